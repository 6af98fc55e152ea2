/* tasks.h: spot-check tasks (clauses 6.2, 7.1, 7.2) and their verifiable draw (SPEC §4), domain
 * side: create and list tasks, freeze the candidates (eligibility and sampling rules, H_c,
 * commitment), draw with a witness (redraws recorded and published), lock (dispatch, team
 * commitment, announcement). HTTP routes are in api_tasks.c; reading a stored task in taskdata.h.
 * Each function returns 0 with *out (new reference, the reply body) or -1 with *e.
 * Uses ctx.h, err.h, db.h, audit.h, luahost.h, rulebatch.h, history.h, draw.h, announce.h. */
#ifndef SPOT_TASKS_H
#define SPOT_TASKS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"
#include "taskdata.h"

/* Creates a draft task from in (the body of POST /api/tasks; checked: 400, 422 unknown_item,
 * unknown_plan, unknown_industry, bad_date). *out: the staff view. */
int tasks_create(spot_ctx *c, json_t *in, json_t **out, spot_err *e);

/* PUT /api/tasks/{id}: replaces a draft task's fields with in (the body of POST /api/tasks, checked
 * the same way), by the lead org's planner or an admin; 409 not_draft / cancelled otherwise. The
 * audit record holds the task before and the body. *out = the task's view. */
int tasks_update(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

/* POST /api/tasks/{id}/cancel {reason}: cancels a draft task (reason required, audited); it leaves
 * the task list (GET /api/tasks?status=cancelled lists it) and cannot be edited, frozen or joined. */
int tasks_cancel(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

/* *out = {tasks:[…], total, page, per_page}: the tasks the caller may see (taskorgs.h), filtered by
 * status and year (decimal string, either NULL for all), newest first, page (from 1) of per_page. */
int tasks_list(spot_ctx *c, const char *status, const char *year, long long page, long long per_page, json_t **out,
               spot_err *e);

/* *out = task id with strata and draws (404 not_found). */
int tasks_get(spot_ctx *c, long long id, json_t **out, spot_err *e);

/* *out = {total, page, page_size, excluded:[…]} of task id; page >= 1 (the caller range-checks it). */
int tasks_excluded(spot_ctx *c, long long id, long long page, json_t **out, spot_err *e);

/* Freezes the candidates of task id; in is the body {reason?} or NULL. *out = {strata, excluded,
 * excluded_total, excluded_by_reason, candidates_hash, commitment, rule_shas, units_checked,
 * excluded_page_size, freeze_attempt}. */
int tasks_freeze(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

/* Draws (or redraws) task id with in {witness?, reason?} or NULL. *out = {strata, attempt, seed,
 * witness, next_commitment}. */
int tasks_draw(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

/* Locks and dispatches task id (in must be NULL or {}). *out = the announcement. */
int tasks_lock(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

#endif
