/* teams.h: inspector teams (clause 7.3, SPEC §4), domain side: the team draw after lock, recusals,
 * replacements with a head's approval, and the teams' part of the public announcement. HTTP routes
 * are in api_teams.c (listed at the top of teams.c). Each teams_* request function returns 0 with
 * *out (new reference, the reply body) or -1 with *e.
 * Uses ctx.h, err.h, db.h, audit.h, luahost.h, ruledata.h, draw.h, taskdata.h, teampool.h. */
#ifndef SPOT_TEAMS_H
#define SPOT_TEAMS_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* Adds the teams of task (a tasks_load row, borrowed) to ann: "teams_draw" {algorithm, commitment,
 * secret, witness, seed} and "teams" once drawn, else "teams_commitment". No personal data (cert_no
 * only). Returns 0 or -1 with *err. */
int teams_announce(sqlite3 *db, json_t *task, json_t *ann, char **err);

/* Draws every team of dispatched task id once; in is {witness?} or NULL. *out = {teams, seed,
 * witness, workload_cap}. 409 not_locked / teams_drawn. */
int teams_draw(spot_ctx *sc, long long id, json_t *in, json_t **out, spot_err *e);

/* *out = {teams, replacements, conflicts, team_commitment, team_seed, team_witness} of task id. */
/* A page of the teams (GET …/teams?page=&per_page=&q=&mine=1): page 1…, per_page 1…200; q: part of
 * the USCC or the unit's name; cert: only teams with this member. */
typedef struct teams_query {
    long long page, per_page;
    const char *q, *cert;
    int open;   /* only teams with positions awaiting appointment */
    int unlinked;   /* only teams with a member who has no active account; adds unlinked_members */
} teams_query;

/* GET /api/tasks/{id}/teams: {teams, replacements, conflicts, team_commitment, …}; q NULL or page 0:
 * every team (each with its slots and pools); else one page of them ({total, page, per_page} added,
 * each team with unit_name; with unlinked also unlinked_members, how many distinct members of the
 * task's teams have no active account). */
int teams_get(spot_ctx *sc, long long id, const teams_query *q, json_t **out, spot_err *e);

/* Records a pending recusal from in {task_id, uscc, cert_no, reason} (an object); an inspector only
 * for their own cert_no (403). *out = the request. */
int teams_conflict(spot_ctx *sc, json_t *in, json_t **out, spot_err *e);

/* Approves (approve 1) or rejects recusal cid; an approval redraws the inspector's slot when they
 * are on the unit's team. *out = {id, task_id, uscc, cert_no, status, replaced, replacement}. */
int teams_conflict_decide(spot_ctx *sc, long long cid, int approve, json_t **out, spot_err *e);

/* Records a pending replacement of in {cert_no, reason_code, reason} at unit uscc of task id. */
int teams_replace(spot_ctx *sc, long long id, const char *uscc, json_t *in, json_t **out, spot_err *e);

/* Approves (redraws the slot) or rejects replacement rid at unit uscc of task id. in (borrowed, may
 * be NULL): {reason?}, the head's written reason, required when inspectors.replacement says
 * head_reason_required. An approval is refused (409 result_signed) once the unit's result is signed
 * or published. */
int teams_replace_decide(spot_ctx *sc, long long id, const char *uscc, long long rid, int approve, json_t *in,
                         json_t **out, spot_err *e);

/* 7.3 "由执行单位直接委派": GET /api/tasks/{id}/teams/{uscc}/candidates?slot=: who may be appointed
 * to the team's first open position (or slot's): every inspector of the pool committed at lock not on
 * the team and not recused, with {cert_no, name, org_name, expertise, is_expert, load, ok, reason}
 * (ok and reason from inspectors.appointable). 409 no_open_position. */
int teams_candidates(spot_ctx *sc, long long id, const char *uscc, json_int_t slot, json_t **out, spot_err *e);

/* POST /api/tasks/{id}/teams/{uscc}/appoint {cert_no, slot?, reason?}: the head of the unit's
 * executing org appoints cert_no by name to an open position; recorded in the slot's appointments
 * ({position, removed: null, replacement, reason, by, by_org, at}) and the audit trail, the leader
 * chosen again. 403 not that head; 409 result_signed, no_open_position, team_changed; 422
 * not_in_pool, on_team, recused, appoint_refused (inspectors.appointable's reason). */
int teams_appoint(spot_ctx *sc, long long id, const char *uscc, json_t *in, json_t **out, spot_err *e);

#endif
