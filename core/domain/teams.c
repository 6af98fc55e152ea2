/* teams.c: inspector teams (clause 7.3; SPEC §4 "Inspector teams"), domain side; api_teams.c
 * parses the requests, calls the teams_* functions below and maps their spot_err.
 *
 * Routes (api_teams.c)
 *   POST /api/tasks/{id}/teams {"witness", "beacon"?}          admin, planner: draw every team once
 *        (the reply lists each unit's team: members, leader, method, reason, open positions; the
 *        slots with their pools and hashes are in GET and the announcement),
 *        after lock; seed_t = SHA-256(team_secret || witness), the team secret's commitment having
 *        been published with the lock announcement. 409 before lock or when already drawn.
 *        Draw algorithm v2 (when the lock carried {"witness","beacon_source"}, SPEC §12): the witness
 *        must hash to the lock's team_witness_commitment (422 witness_mismatch), the beacon is required
 *        and seed_t = SHA-256(team_secret || SHA-256(witness) || SHA-256(beacon)).
 *   GET  /api/tasks/{id}/teams[?page=&per_page=&q=&mine=1&open=1&unlinked=1]   staff: teams, pending
 *        replacements; with page (or mine, open or unlinked) one page of the teams (per_page 1-200,
 *        default 50) filtered by q (USCC or unit name), mine (teams with the caller on them), open
 *        (positions awaiting appointment) and unlinked (a member without an active account; the
 *        reply adds unlinked_members, the task's distinct such members), with total; format=xlsx:
 *        every team as a workbook (单位, 检查人员, 组长, 产生方式).
 *   POST /api/conflicts {"task_id","uscc","cert_no","reason"}  recusal (回避) request: an inspector
 *        for themself (their account's cert_no), or admin/planner/head. Pending: it changes nothing.
 *   POST /api/conflicts/{id}/approve, /reject                  head only: an approved recusal counts
 *        for the pools (unit.conflicts) and, when the inspector is on that unit's team, the slot is
 *        redrawn (continuation rule of draw.h: the next unused stream position).
 *   POST /api/tasks/{id}/teams/{uscc}/replace {"cert_no","reason_code","reason"}   admin, planner:
 *        a pending replacement; reason_code must be accepted by inspectors.replacement (job_change,
 *        conflict, health). Nothing changes until a head approves.
 *   POST /api/tasks/{id}/teams/{uscc}/replace/{rid}/approve    head only: the slot is redrawn.
 *   POST /api/tasks/{id}/teams/{uscc}/replace/{rid}/reject     head only.
 *   GET  /api/tasks/{id}/teams/{uscc}/candidates?slot=         admin, planner, head: who may be
 *        appointed to the team's open position (inspectors.appointable's answer for each).
 *   POST /api/tasks/{id}/teams/{uscc}/appoint {"cert_no","slot"?,"reason"?}   the head of the
 *        unit's executing org appoints by name to an open position (7.3 "由执行单位直接委派").
 *
 * Drawing (for each dispatched unit in announcement order): inspectors.slots(unit, task); pool of a
 * slot = inspectors of the pool committed at lock (teampool.h: inspectors.eligible ok then), not recused (inspectors.conflict, with
 * the recusals declared for this unit as unit.conflicts), not already on this team, and passing
 * inspectors.in_pool(slot, inspector, unit, task, {last_team, load, cap}) where cap comes from
 * inspectors.workload_cap and last_team is the unit's team in its previous task (rotation); sorted
 * by cert_no. inspectors.fallback decides "random" (draw_select_slot) or "appointed".
 * Appointment (team method "appointed" with the rule's reason): the whole (too small) pool is
 * taken and the slot's other positions stay open. The program never picks someone: the head of
 * the unit's executing org appoints by name (teams_appoint: any inspector of the committed pool not
 * on the team, not recused, whom inspectors.appointable accepts), recorded with who appointed,
 * the org and the reason. Until every position is filled the result can be neither entered nor
 * published (results.c team_complete). The leader is inspectors.leader over the team's records
 * without names (its reason is published); "" while the team has no member yet.
 * A redraw continues the slot's Fisher-Yates (draw.h rule 8) and skips, as further recorded
 * redraws, replacements that are on the team, recused or no longer in the pool; when the pool is
 * used up the member leaves and the position is open for appointment (team method "appointed").
 *
 * Speed (issue 19): the rules' answers are remembered for the draw (tctx.memo, tctx.pm): slots and
 * in_pool see only the unit fields inspectors.lua declares, in_pool's context is two flags
 * (on_last_team, at_cap), so each distinct question is asked once; conflict is asked only for the
 * pairs inspectors.conflict_keys or a recorded recusal points at. Statements are prepared once and
 * the whole draw (reads and writes) is one transaction.
 * Joint tasks (SPEC §10): the rule task carries lead_org_id and orgs (taskdata.c); inspectors.slots
 * adds a required slot per joint org whose items apply; a required slot the pool cannot fill is a
 * 422 no_org_inspector naming it, and nothing is stored (one transaction).
 *
 * Stored slot JSON (task_teams.slots): [{"slot","name","label","count","method","reason",
 * "pool" (only in draws before migration 0023; since, the pools are the row's pools column, put
 * back into the slots when read: attach_pools), "pool_hash","picks","redraws":[{"position","removed","replacement","reason"}],"current",
 * "appointed":[cert_no…] (appointees chosen by the draw itself before named appointment; [] for
 * draws since), "appointments":[{"position","removed" (null: an open position filled, at the end),
 * "replacement" (null: the member left, the position is open),"reason","by"?,"by_org"?,"at"?}],
 * "exhausted"}]. A slot's members are: random: picks, each redraw replacing its position;
 * appointed: pool then appointed; then each appointment in order. The slots' members concatenated
 * are the team; a slot's open positions are its count less its members. The public announcement
 * shows these without personal data (an appointment names the org, not the account), and
 * "teams_pool" {"hash","inspectors"} (committed at lock).
 *
 * Stored pools (task_teams.pools, written once by the draw, never changed): a JSON array with one
 * element per slot, in the slots' order. Since issue 19's second round each element is a string,
 * the slot's pool as a bitmap over the pool committed at lock (tasks.team_pool, in its order):
 * byte j, as two lowercase hex digits, holds members 8j..8j+7, member 8j+b in bit b (value 1<<b);
 * ceil(n/8) bytes for n committed inspectors. Draws between migration 0023 and then stored each
 * element as the array of cert_no; attach_pools reads both.
 */
#include "teams.h"
#include "taskorgs.h"
#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "draw.h"
#include "jsonutil.h"
#include "luahost.h"
#include "ruledata.h"
#include "taskdata.h"
#include "teampool.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define TEXT_MAX 1000

/* Remembered in_pool answers: for each key (the slot and the unit's declared fields) a vector of
 * 4 bytes per inspector (index i * 4 + on_last_team * 2 + at_cap): 0 not asked yet, 1 false,
 * 2 true. Because in_pool is pure and sees only the slot, the inspector's record, the declared
 * unit fields, the task and the two context flags, the answer for a key is the answer of a call. */
typedef struct pool_memo {
    json_t *index;            /* {key: integer position in vecs} */
    unsigned char **vecs;
    size_t n, cap;
} pool_memo;

/* What a team draw or redraw needs. */
typedef struct tctx {
    spot_ctx *sc;       /* borrowed: the caller's context */
    long long task_id;
    json_t *task;       /* tasks_load row */
    json_t *rtask;      /* rule task (with lead_org_id, joint and orgs for joint tasks) */
    json_t *elig;       /* eligible inspector records, sorted by cert_no */
    size_t n;           /* json_array_size(elig) */
    json_t *idx;        /* {cert_no: index in elig} */
    json_int_t *load;   /* load[i]: units of inspector i in this task */
    json_t *ckeys;      /* NULL (no inspectors.conflict_keys: conflict asked for every pair), or
                           what inspectors.conflict_keys returned, by key: {"n\x1e<unit name>" or
                           "u\x1e<uscc>": [index in elig…]} */
    json_t *pool_fields;   /* inspectors.pool_unit_fields (NULL: in_pool gets the whole unit, no memo) */
    json_t *slot_fields;   /* inspectors.slot_unit_fields (NULL: slots gets the whole unit, no memo) */
    json_t *leader_fields; /* inspectors.leader_unit_fields (NULL: leader gets the whole unit) */
    json_t *memo;       /* {key: first result} of slots and fallback */
    json_t *hmemo;      /* {pool bitmap: pool hash hex}: a pool met again is not hashed again */
    pool_memo pm;
    const char **certs; /* certs[i]: cert_no of elig[i] (borrowed from elig) */
    sqlite3_stmt *q_unit, *q_conf, *q_last;   /* unitx_load's queries, prepared once */
    json_t *pre_conf, *pre_last; /* whole-task draw (tctx_preload): {uscc: [cert…]} of the approved
                                    recusals and {uscc: [cert…]} of each unit's previous team, read
                                    at once instead of by q_conf and q_last; NULL otherwise */
    json_int_t cap;
    json_t *cap_ret;    /* [cap, reason, clause] */
    char *refused;      /* a required slot without enough inspectors: its label (owned), or NULL */
} tctx;

/* One unit during a draw or redraw. */
typedef struct unitx {
    const char *uscc;
    json_t *unit;       /* rule record, with unit.conflicts (approved recusals in this task) */
    json_t *last;       /* the unit's team in its previous task (rotation) */
    json_t *pool_unit;  /* the unit's fields in_pool declares (or the whole unit) */
    char *pool_key;     /* pool_unit dumped, sorted keys (NULL: no memo) */
    unsigned char *rec; /* rec[i]: inspector i must recuse (inspectors.conflict) */
    unsigned char *mark;/* mark[i]: 1 inspector i was on last, 2 is on the team being drawn */
} unitx;

static void unitx_free(unitx *u)
{
    json_decref(u->unit);
    json_decref(u->last);
    json_decref(u->pool_unit);
    free(u->pool_key);
    free(u->rec);
    free(u->mark);
    memset(u, 0, sizeof *u);
}

static void tctx_free(tctx *c)
{
    json_decref(c->task);
    json_decref(c->rtask);
    json_decref(c->elig);
    json_decref(c->idx);
    free(c->load);
    json_decref(c->ckeys);
    json_decref(c->pool_fields);
    json_decref(c->slot_fields);
    json_decref(c->leader_fields);
    json_decref(c->memo);
    json_decref(c->hmemo);
    json_decref(c->pm.index);
    for (size_t i = 0; i < c->pm.n; i++) free(c->pm.vecs[i]);
    free(c->pm.vecs);
    free(c->certs);
    sqlite3_finalize(c->q_unit);
    sqlite3_finalize(c->q_conf);
    sqlite3_finalize(c->q_last);
    json_decref(c->pre_conf);
    json_decref(c->pre_last);
    json_decref(c->cap_ret);
    free(c->refused);
    memset(c, 0, sizeof *c);
}

/* rules.inspectors[fn](args) -> first result (new ref) or NULL with *err. args stolen. */
static json_t *rule1(tctx *c, const char *fn, json_t *args, json_t **all, char **err)
{
    json_t *ret = NULL;
    int rc = lh_call(c->sc->w->lua, "inspectors", fn, args, &ret, err);
    json_decref(args);
    if (rc != 0) return NULL;
    json_t *first = json_incref(json_array_get(ret, 0));
    if (!first) first = json_null();
    if (all) *all = ret;
    else json_decref(ret);
    return first;
}

/* Index of cert in the committed pool, or -1. */
static long long idx_of(tctx *c, const char *cert)
{
    json_t *v = json_object_get(c->idx, cert);
    return v ? (long long)json_integer_value(v) : -1;
}

static void load_add(tctx *c, const char *cert, int d)
{
    long long i = idx_of(c, cert);
    if (i >= 0) c->load[i] += d;
}

static const char *cert_at(tctx *c, size_t i)
{
    return c->certs[i];
}

/* A declared field list of inspectors.lua (a sequence of names), or NULL when the rule does not
 * declare it. New reference. Returns -1 with *err on a malformed list. */
static int declared_fields(tctx *c, const char *key, json_t **out, char **err)
{
    json_t *v = NULL;
    const char *type = NULL;
    *out = NULL;
    if (lh_rule_value(c->sc->w->lua, "inspectors", key, &v, &type, err) != 0) return -1;
    if (!v) return 0;
    size_t i;
    json_t *x;
    int ok = json_is_array(v);
    json_array_foreach(v, i, x) ok = ok && json_is_string(x);
    if (!ok) {
        json_decref(v);
        *err = xprintf("rules/inspectors.lua: %s 须为字段名列表", key);
        return -1;
    }
    *out = v;
    return 0;
}

/* The unit's fields named in fields (a new object), or a new reference to unit when fields is NULL. */
static json_t *unit_subset(json_t *unit, json_t *fields)
{
    if (!fields) return json_incref(unit);
    json_t *o = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        json_t *v = json_object_get(unit, json_string_value(f));
        if (v) json_object_set(o, json_string_value(f), v);
    }
    return o;
}

/* Loads the context; n_units for the workload cap. Returns 0 or -1 with *err (rule or db error;
 * *is_rule tells which). */
static int tctx_load(tctx *c, spot_ctx *sc, long long id, json_t *task, long long n_units, char **err, int *is_rule)
{
    memset(c, 0, sizeof *c);
    c->sc = sc;
    c->task_id = id;
    c->task = json_incref(task);
    *is_rule = 0;
    c->rtask = tasks_rule_task(sc->db, task, err);
    if (!c->rtask) return -1;
    /* The pool committed at lock (teampool.h), never the inspectors' status now: deactivating
     * inspectors between lock and the draw cannot steer the teams. */
    json_t *pool = json_object_get(task, "team_pool");
    if (!json_is_array(pool)) {
        *err = xprintf("task %lld: no inspector pool committed at lock", id);
        return -1;
    }
    c->elig = json_deep_copy(pool);
    c->n = json_array_size(c->elig);
    c->idx = json_object();
    c->load = calloc(c->n + 1, sizeof *c->load);
    c->certs = calloc(c->n + 1, sizeof *c->certs);
    c->memo = json_object();
    c->hmemo = json_object();
    c->pm.index = json_object();
    if (!c->load || !c->certs) { *err = strdup("out of memory"); return -1; }
    c->q_unit = db_prepare(sc->db, err, "SELECT " RULEDATA_UNIT_COLUMNS " FROM enterprises WHERE uscc = ?", "");
    c->q_conf = c->q_unit ? db_prepare(sc->db, err, "SELECT cert_no FROM task_conflicts WHERE task_id = ? AND uscc = ? AND "
                                                    "status = 'approved' ORDER BY id", "") : NULL;
    c->q_last = c->q_conf ? db_prepare(sc->db, err, "SELECT tt.inspectors FROM task_teams tt JOIN tasks t ON t.id = tt.task_id "
                                                    "WHERE tt.uscc = ? AND tt.task_id <> ? ORDER BY t.locked_at DESC, t.id DESC "
                                                    "LIMIT 1", "") : NULL;
    if (!c->q_last) return -1;
    /* a pool committed before orgs were recorded in it: the inspectors' orgs now */
    json_t *orgs = db_rows(sc->db, err, "SELECT cert_no, org_id FROM inspectors WHERE org_id IS NOT NULL", "");
    if (!orgs) return -1;
    json_t *org_of = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(orgs, i, row)
        json_object_set(org_of, json_string_value(json_object_get(row, "cert_no")), json_object_get(row, "org_id"));
    json_decref(orgs);
    json_array_foreach(c->elig, i, row) {
        const char *cert = json_string_value(json_object_get(row, "cert_no"));
        c->certs[i] = cert ? cert : "";
        json_object_set_new(c->idx, c->certs[i], json_integer((json_int_t)i));
        if (!json_object_get(row, "org_id") && json_object_get(org_of, cert))
            json_object_set(row, "org_id", json_object_get(org_of, cert));
    }
    json_decref(org_of);
    json_t *lr = db_rows(sc->db, err, "SELECT j.value AS cert, count(*) AS n FROM task_teams t, json_each(t.inspectors) j "
                                     "WHERE t.task_id = ? GROUP BY j.value", "i", id);
    if (!lr) return -1;
    json_array_foreach(lr, i, row)
        load_add(c, json_string_value(json_object_get(row, "cert")), (int)json_integer_value(json_object_get(row, "n")));
    json_decref(lr);
    *is_rule = 1;
    if (declared_fields(c, "pool_unit_fields", &c->pool_fields, err) != 0 ||
        declared_fields(c, "slot_unit_fields", &c->slot_fields, err) != 0 ||
        declared_fields(c, "leader_unit_fields", &c->leader_fields, err) != 0)
        return -1;
    /* inspectors.conflict_keys: what each inspector is related to; conflict is asked only for the
     * pairs these (or a recorded recusal) point at */
    json_t *v = NULL;
    const char *type = NULL;
    if (lh_rule_value(sc->w->lua, "inspectors", "conflict_keys", &v, &type, err) != 0) return -1;
    json_decref(v);
    if (type && !strcmp(type, "function")) {
        c->ckeys = json_object();
        json_array_foreach(c->elig, i, row) {
            json_t *k = rule1(c, "conflict_keys", json_pack("[O]", row), NULL, err);
            if (!k) return -1;
            static const char *const lists[][2] = {{"names", "n"}, {"usccs", "u"}};
            for (int l = 0; l < 2; l++) {
                size_t j;
                json_t *x;
                json_array_foreach(json_object_get(k, lists[l][0]), j, x) {
                    if (!json_is_string(x)) continue;
                    char *key = xprintf("%s\x1e%s", lists[l][1], json_string_value(x));
                    json_t *at = json_object_get(c->ckeys, key);
                    if (!at) json_object_set_new(c->ckeys, key, at = json_array());
                    json_array_append_new(at, json_integer((json_int_t)i));
                    free(key);
                }
            }
            json_decref(k);
        }
    }
    json_t *cap = rule1(c, "workload_cap", json_pack("[OII]", c->rtask, (json_int_t)n_units, (json_int_t)c->n),
                        &c->cap_ret, err);
    if (!cap) return -1;
    c->cap = json_integer_value(cap);
    if (json_is_real(cap)) c->cap = (json_int_t)json_real_value(cap);
    json_decref(cap);
    *is_rule = 0;
    return 0;
}

static int str_in(json_t *list, const char *s)
{
    size_t i;
    json_t *x;
    if (!s) return 0;
    json_array_foreach(list, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), s)) return 1;
    return 0;
}

static int on_team(json_t *team, const char *cert)
{
    return str_in(team, cert);
}

/* Loads unit uscc into u: the rule record (with the recusals declared for it in this task as
 * unit.conflicts), its previous team (rotation), its in_pool fields and who must recuse
 * (inspectors.conflict, asked for the pairs conflict_keys or a recorded recusal point at).
 * Returns 0, or -1 with *err (*is_rule tells a rule error). */
static int unitx_load(tctx *c, const char *uscc, unitx *u, char **err, int *is_rule)
{
    memset(u, 0, sizeof *u);
    u->uscc = uscc;
    *is_rule = 0;
    sqlite3_stmt *q = c->q_unit;
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, uscc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { *err = xprintf("%s", sqlite3_errmsg(c->sc->db)); return -1; }
    u->unit = rc == SQLITE_ROW ? ruledata_unit(q) : json_pack("{ss}", "uscc", uscc);
    sqlite3_reset(q);
    json_t *list = json_array();
    json_object_set_new(u->unit, "conflicts", list);
    if (c->pre_last) {
        json_array_extend(list, json_object_get(c->pre_conf, uscc));
        u->last = json_incref(json_object_get(c->pre_last, uscc));
        goto loaded;
    }
    q = c->q_conf;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, c->task_id);
    sqlite3_bind_text(q, 2, uscc, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) json_array_append_new(list, json_string((const char *)sqlite3_column_text(q, 0)));
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) { *err = xprintf("%s", sqlite3_errmsg(c->sc->db)); return -1; }
    q = c->q_last;
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, c->task_id);
    rc = sqlite3_step(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { *err = xprintf("%s", sqlite3_errmsg(c->sc->db)); sqlite3_reset(q); return -1; }
    u->last = rc == SQLITE_ROW && sqlite3_column_text(q, 0) ? json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL) : NULL;
    sqlite3_reset(q);
loaded:
    if (!u->last) u->last = json_array();
    size_t i;
    json_t *x;
    u->mark = calloc(c->n + 1, 1);
    u->rec = calloc(c->n + 1, 1);
    if (!u->mark || !u->rec) { *err = strdup("out of memory"); return -1; }
    json_array_foreach(u->last, i, x) {
        long long li = json_is_string(x) ? idx_of(c, json_string_value(x)) : -1;
        if (li >= 0) u->mark[li] = 1;
    }
    u->pool_unit = unit_subset(u->unit, c->pool_fields);
    if (c->pool_fields) u->pool_key = json_dumps(u->pool_unit, JSON_COMPACT | JSON_SORT_KEYS);
    const char *name = json_string_value(json_object_get(u->unit, "name"));
    if (c->ckeys) {   /* rec[i] = 2: to ask (a recorded recusal, or conflict_keys names the unit) */
        json_array_foreach(list, i, x) {
            long long li = idx_of(c, json_string_value(x));
            if (li >= 0) u->rec[li] = 2;
        }
        for (int l = 0; l < 2; l++) {
            const char *v = l ? uscc : name;
            if (!v) continue;
            char *key = xprintf("%s\x1e%s", l ? "u" : "n", v);
            json_array_foreach(json_object_get(c->ckeys, key), i, x) u->rec[json_integer_value(x)] = 2;
            free(key);
        }
    }
    *is_rule = 1;
    for (i = 0; i < c->n; i++) {
        json_t *p = json_array_get(c->elig, i);
        if (c->ckeys && u->rec[i] != 2) continue;
        json_t *d = rule1(c, "conflict", json_pack("[OO]", p, u->unit), NULL, err);
        if (!d) return -1;
        u->rec[i] = json_is_true(json_object_get(d, "conflict"));
        json_decref(d);
    }
    *is_rule = 0;
    return 0;
}

/* For a draw of the whole task (inside its transaction): reads every approved recusal of the task
 * and every drawn unit's previous team (the team of its latest other task by locked_at, then id:
 * q_last's order) at once. 0, or -1 with *err. */
static int tctx_preload(tctx *c, char **err)
{
    json_t *conf = db_rows(c->sc->db, err, "SELECT uscc, cert_no FROM task_conflicts WHERE task_id = ? AND "
                                           "status = 'approved' ORDER BY id", "i", c->task_id);
    json_t *last = conf ? db_rows(c->sc->db, err, "SELECT tt.uscc, tt.inspectors FROM task_units u JOIN task_teams tt "
                                  "ON tt.uscc = u.uscc AND tt.task_id <> u.task_id JOIN tasks t ON t.id = tt.task_id "
                                  "WHERE u.task_id = ? ORDER BY t.locked_at, t.id", "i", c->task_id) : NULL;
    if (!last) { json_decref(conf); return -1; }
    c->pre_conf = json_object();
    c->pre_last = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(conf, i, r) {
        const char *uscc = json_string_value(json_object_get(r, "uscc"));
        json_t *l = json_object_get(c->pre_conf, uscc);
        if (!l) json_object_set_new(c->pre_conf, uscc, l = json_array());
        json_array_append(l, json_object_get(r, "cert_no"));
    }
    json_array_foreach(last, i, r) {   /* later rows are later tasks: the last one stays */
        const char *txt = json_string_value(json_object_get(r, "inspectors"));
        json_t *team = txt ? json_loads(txt, 0, NULL) : NULL;
        if (team) json_object_set_new(c->pre_last, json_string_value(json_object_get(r, "uscc")), team);
    }
    json_decref(conf);
    json_decref(last);
    return 0;
}

/* The slot as in_pool sees it: {name} (new object). */
static json_t *slot_arg(json_t *slot)
{
    json_t *o = json_pack("{sO}", "name", json_object_get(slot, "name"));
    return o;
}

/* The memo vector of slot skey (a slot_arg dump) for unit u: NULL when not memoised (no declared
 * fields); *err set on out of memory. Borrowed from c. */
static unsigned char *pool_vec(tctx *c, unitx *u, const char *skey, char **err)
{
    if (!skey || !u->pool_key) return NULL;
    char *key = xprintf("%s\x1e%s", skey, u->pool_key);
    json_t *pos = json_object_get(c->pm.index, key);
    unsigned char *vec = NULL;
    if (pos) {
        vec = c->pm.vecs[json_integer_value(pos)];
    } else {
        if (c->pm.n == c->pm.cap) {
            size_t nc = c->pm.cap ? c->pm.cap * 2 : 16;
            unsigned char **nv = realloc(c->pm.vecs, nc * sizeof *nv);
            if (!nv) { free(key); *err = strdup("out of memory"); return NULL; }
            c->pm.vecs = nv;
            c->pm.cap = nc;
        }
        vec = calloc(c->n * 4 + 1, 1);
        if (!vec) { free(key); *err = strdup("out of memory"); return NULL; }
        json_object_set_new(c->pm.index, key, json_integer((json_int_t)c->pm.n));
        c->pm.vecs[c->pm.n++] = vec;
    }
    free(key);
    return vec;
}

/* Whether inspector i passes in_pool(slot.name, inspector, unit, task, {on_last_team, at_cap},
 * slot) for unit u; sarg from slot_arg, vec from pool_vec (NULL: no memo). 1, 0, or -1 with *err. */
static int pool_ok(tctx *c, unitx *u, json_t *sarg, unsigned char *vec, size_t i, char **err)
{
    int last = u->mark[i] & 1, at_cap = c->load[i] >= c->cap;
    if (vec) {
        unsigned char m = vec[i * 4 + (size_t)last * 2 + (size_t)at_cap];
        if (m) return m == 2;
    }
    json_t *ctx = json_pack("{sb sb}", "on_last_team", last, "at_cap", at_cap);
    json_t *d = rule1(c, "in_pool", json_pack("[OOOOoO]", json_object_get(sarg, "name"), json_array_get(c->elig, i),
                                               u->pool_unit, c->rtask, ctx, sarg), NULL, err);
    if (!d) return -1;
    int out = json_is_true(d);
    json_decref(d);
    if (vec) vec[i * 4 + (size_t)last * 2 + (size_t)at_cap] = out ? 2 : 1;
    return out;
}

/* Memoised rule call: rules.inspectors[fn](args) under key (args stolen); first result borrowed
 * from the memo, or NULL with *err. */
static json_t *rule_memo(tctx *c, const char *fn, const char *key, json_t *args, char **err)
{
    json_t *hit = key ? json_object_get(c->memo, key) : NULL;
    if (hit) { json_decref(args); return hit; }
    json_t *r = rule1(c, fn, args, NULL, err);
    if (!r) return NULL;
    char *k = key ? strdup(key) : xprintf("%s\x1e%zu", fn, json_object_size(c->memo));
    json_object_set_new(c->memo, k, r);
    free(k);
    return r;
}

static json_t *record_of(tctx *c, const char *cert)
{
    long long i = idx_of(c, cert);
    return i < 0 ? NULL : json_array_get(c->elig, (size_t)i);
}

/* Positions of slot sl not filled: its count less its current members. */
static json_int_t slot_open(json_t *sl)
{
    json_int_t n = json_integer_value(json_object_get(sl, "count")) - (json_int_t)json_array_size(json_object_get(sl, "current"));
    return n > 0 ? n : 0;
}

/* The team's current members: concatenation of the slots' "current". New ref. */
static json_t *team_of(json_t *slots)
{
    json_t *team = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(slots, i, s) json_array_extend(team, json_object_get(s, "current"));
    return team;
}

/* Leader by the rule over the team's records. Sets *leader and *reason (new refs). */
static int pick_leader(tctx *c, json_t *team, json_t *unit, json_t **leader, json_t **reason, char **err)
{
    if (json_array_size(team) == 0) {   /* every position awaits appointment */
        *leader = json_string("");
        *reason = json_string("检查组人员全部待执行单位负责人委派，委派后确定组长");
        return 0;
    }
    json_t *recs = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(team, i, x) {
        json_t *p = record_of(c, json_string_value(x));
        json_array_append_new(recs, p ? json_incref(p) : json_pack("{sO}", "cert_no", x));
    }
    json_t *all = NULL;
    json_t *l = rule1(c, "leader", json_pack("[ooO]", recs, unit_subset(unit, c->leader_fields), c->rtask), &all, err);
    if (!l) return -1;
    *leader = l;
    *reason = json_incref(json_array_get(all, 1));
    if (!*reason) *reason = json_string("");
    json_decref(all);
    return 0;
}

/* Appends the pool pidx[0..np) (ascending indices into the committed pool of n) to b as a JSON
 * string: the bitmap described at the top of this file. 0, or -1 on out of memory. */
static int pool_bits_put(spot_buf *b, const size_t *pidx, size_t np, size_t n)
{
    size_t nb = (n + 7) / 8;
    unsigned char *bits = calloc(nb + 1, 1);
    char *hex = malloc(nb * 2 + 3);
    int rc = -1;
    if (bits && hex) {
        for (size_t i = 0; i < np; i++) bits[pidx[i] / 8] |= (unsigned char)(1u << (pidx[i] % 8));
        hex[0] = '"';
        hex_encode(hex + 1, bits, nb);
        hex[nb * 2 + 1] = '"';
        rc = spot_buf_put(b, hex, nb * 2 + 2);
    }
    free(bits);
    free(hex);
    return rc;
}

/* The members of a stored pool bitmap (hex text of a pool_bits_put) over certs, the committed
 * pool's cert_no in order: a new array, or NULL when the text does not fit certs. */
static json_t *pool_bits_get(const char *hex, size_t len, json_t *certs)
{
    size_t n = json_array_size(certs), nb = (n + 7) / 8;
    if (!certs || len != nb * 2) return NULL;
    json_t *out = json_array();
    for (size_t j = 0; j < nb; j++) {
        unsigned v = 0;
        for (int h = 0; h < 2; h++) {
            char ch = hex[j * 2 + (size_t)h];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (d < 0) { json_decref(out); return NULL; }
            v = v * 16 + (unsigned)d;
        }
        for (unsigned b = 0; b < 8; b++)
            if (v & (1u << b)) {
                if (j * 8 + b >= n) { json_decref(out); return NULL; }
                json_array_append(out, json_array_get(certs, j * 8 + b));
            }
    }
    return out;
}

/* Draws the team of one unit. Returns a new row object {uscc, method, reason, inspectors, leader,
 * leader_reason, slots} or NULL with *err (c->refused set when a required slot cannot be filled). */
static json_t *draw_team(tctx *c, const char *uscc, const unsigned char seed_t[DRAW_HASH_LEN], char **err)
{
    spot_buf pools_buf = {0}, *pools = &pools_buf;   /* the row's pools column: a bitmap per slot */
    json_t *slots_rule = NULL, *slots = json_array(), *team = json_array();
    json_t *out = NULL, *method_reason = NULL, *sunit = NULL;
    char *sk = NULL;
    int appointed = 0, is_rule = 0;
    unitx u;
    if (unitx_load(c, uscc, &u, err, &is_rule) != 0) goto done;
    sunit = unit_subset(u.unit, c->slot_fields);
    if (c->slot_fields) {
        char *d = json_dumps(sunit, JSON_COMPACT | JSON_SORT_KEYS);
        sk = xprintf("slots\x1e%s", d ? d : "");
        free(d);
    }
    slots_rule = json_incref(rule_memo(c, "slots", sk, json_pack("[OO]", sunit, c->rtask), err));
    if (!slots_rule) goto done;
    if (!json_is_array(slots_rule)) { *err = strdup("rules/inspectors.lua: slots 须返回抽取位列表"); goto done; }
    if (spot_buf_put(pools, "[", 1) != 0) { *err = strdup("out of memory"); goto done; }
    size_t k;
    json_t *sr;
    json_array_foreach(slots_rule, k, sr) {
        const char *sname = json_string_value(json_object_get(sr, "name"));
        json_int_t count = json_integer_value(json_object_get(sr, "count"));
        if (!sname || count < 0) { *err = strdup("rules/inspectors.lua: slots 返回的抽取位无效"); goto done; }
        json_t *sarg = slot_arg(sr);
        char *skey = json_dumps(sarg, JSON_COMPACT | JSON_SORT_KEYS);
        /* the pool as indices into c->elig (in cert_no order); the row's pools column keeps it
         * as a bitmap (no JSON value per member: issue 19) */
        size_t np = 0, *pidx = malloc((c->n + 1) * sizeof *pidx);
        unsigned char *vec = pidx ? pool_vec(c, &u, skey, err) : NULL;
        int bad = !pidx || *err != NULL;
        if (!pidx && !*err) *err = strdup("out of memory");
        for (size_t i = 0; i < c->n && !bad; i++) {
            if (u.rec[i] || (u.mark[i] & 2)) continue;
            int rc = pool_ok(c, &u, sarg, vec, i, err);
            if (rc < 0) bad = 1;
            else if (rc) pidx[np++] = i;
        }
        json_decref(sarg);
        free(skey);
        if (bad) { free(pidx); goto done; }
        /* a required slot (SPEC §10: a joint org's own inspector) is never filled by appointment of
         * someone else: the draw is refused, naming the slot */
        if (json_is_true(json_object_get(sr, "required")) && (json_int_t)np < count) {
            const char *label = json_string_value(json_object_get(sr, "label"));
            c->refused = xprintf("%s（单位 %s）", label ? label : sname, uscc);
            *err = xprintf("required slot %s has %zu of %lld", sname, np, (long long)count);
            free(pidx);
            goto done;
        }
        char fk[96];
        snprintf(fk, sizeof fk, "fallback\x1e%s\x1e%zu\x1e%lld", sname, np, (long long)count);
        json_t *fb = json_incref(rule_memo(c, "fallback", fk, json_pack("[sII]", sname, (json_int_t)np, count), err));
        if (!fb) { free(pidx); goto done; }
        const char *m = json_string_value(json_object_get(fb, "method"));
        int random = m && !strcmp(m, "random");
        /* H_i (SPEC §4) over the pool's cert_no in order; many units share a pool, hashed once */
        unsigned char hi[DRAW_HASH_LEN];
        char hi_hex[65];
        size_t at = pools->len + (k ? 1 : 0);
        if ((k && spot_buf_put(pools, ",", 1) != 0) || pool_bits_put(pools, pidx, np, c->n) != 0) {
            *err = strdup("out of memory");
            free(pidx);
            json_decref(fb);
            goto done;
        }
        json_t *hh = json_object_getn(c->hmemo, pools->p + at, pools->len - at);
        if (hh) {
            memcpy(hi_hex, json_string_value(hh), 65);
            hex_decode(hi, DRAW_HASH_LEN, hi_hex);
        } else {
            draw_list_hash lh;
            draw_list_init(&lh);
            for (size_t i = 0; i < np; i++) {
                const char *cert = cert_at(c, pidx[i]);
                draw_list_add(&lh, cert, strlen(cert));
            }
            draw_list_final(&lh, hi);
            hex_encode(hi_hex, hi, DRAW_HASH_LEN);
            json_object_setn_new(c->hmemo, pools->p + at, pools->len - at, json_string(hi_hex));
        }
        json_t *picks = json_array(), *current = json_array(), *appointees = json_array();
        if (random) {
            size_t *idx = malloc(((size_t)count + 1) * sizeof *idx);
            if (!idx || draw_select_slot(seed_t, hi, uscc, strlen(uscc), (uint32_t)k, np, (size_t)count, idx, NULL) != 0) {
                free(idx);
                free(pidx);
                *err = xprintf("slot %zu: cannot draw %lld of %zu", k, (long long)count, np);
                json_decref(fb); json_decref(picks); json_decref(current); json_decref(appointees);
                goto done;
            }
            for (json_int_t j = 0; j < count; j++) json_array_append(picks, json_object_get(json_array_get(c->elig, pidx[idx[j]]), "cert_no"));
            free(idx);
            json_array_extend(current, picks);
        } else {
            /* 7.3 "不足的，由执行单位直接委派": the whole pool, and the rest of the slot's positions
             * stay open until the executing org's head appoints someone by name (teams_appoint) */
            appointed = 1;
            if (!method_reason) method_reason = json_incref(json_object_get(fb, "reason"));
            for (size_t i = 0; i < np; i++) json_array_append(current, json_object_get(json_array_get(c->elig, pidx[i]), "cert_no"));
        }
        free(pidx);
        size_t i;
        json_t *p;
        json_array_extend(team, current);
        json_array_foreach(current, i, p) {
            long long pi = idx_of(c, json_string_value(p));
            if (pi >= 0) { c->load[pi] += 1; u.mark[pi] |= 2; }
        }
        json_t *so = json_pack("{sI sO sO sI sO sO ss so s[] so so}", "slot", (json_int_t)k,
            "name", json_object_get(sr, "name"), "label", json_object_get(sr, "label") ? json_object_get(sr, "label") : json_null(),
            "count", count, "method", json_object_get(fb, "method"), "reason", json_object_get(fb, "reason"),
            "pool_hash", hi_hex, "picks", picks, "redraws", "current", current, "appointed", appointees);
        json_array_append_new(slots, so);
        json_decref(fb);
    }
    json_t *leader = NULL, *lreason = NULL;
    if (pick_leader(c, team, u.unit, &leader, &lreason, err) != 0) goto done;
    if (spot_buf_put(pools, "]", 1) != 0) { json_decref(leader); json_decref(lreason); *err = strdup("out of memory"); goto done; }
    out = json_pack("{ss ss so so so so so ss%}", "uscc", uscc, "method", appointed ? "appointed" : "random",
                    "reason", appointed ? json_incref(method_reason) : json_string(""), "leader", leader, "leader_reason", lreason,
                    "slots", slots, "inspectors", team, "pools", pools->p, pools->len);
    if (!out) { *err = strdup("out of memory"); goto done; }
    slots = NULL;
    team = NULL;
done:
    free(pools_buf.p);
    unitx_free(&u);
    free(sk);
    json_decref(sunit);
    json_decref(slots_rule);
    json_decref(slots);
    json_decref(team);
    json_decref(method_reason);
    return out;
}

/* The stored task id (new reference), or NULL with *e (not_found, also for a task the caller's org
 * takes no part in: taskorgs_may_see; or a database error). */
static json_t *task_or_404(spot_ctx *sc, long long id, spot_err *e)
{
    char *err = NULL;
    if (id > 0 && sc->user && taskorgs_may_see(sc, id, e) != 1) return NULL;
    json_t *t = id > 0 ? tasks_load(sc->db, id, &err) : NULL;
    if (!t) {
        if (err) spot_fail_db(e, "teams", err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务");
    }
    return t;
}

int teams_draw(spot_ctx *sc, long long id, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(sc, id, e);
    if (!t) return -1;
    if (!taskorgs_may_lead(sc, t, 1, e)) { json_decref(t); return -1; }   /* SPEC §10: the lead org draws */
    static const char *const fields[] = {"witness", "beacon", NULL};
    json_t *jw = in ? json_object_get(in, "witness") : NULL;
    int out_rc = 0;
    char *err = NULL;
    tctx c;
    memset(&c, 0, sizeof c);
    json_t *rows = NULL, *units = NULL;
    if (in && !json_is_object(in)) {
        out_rc = spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体须为 JSON 对象");
        goto done;
    }
    if (in && spot_check_fields(in, fields, e) != 0) {
        out_rc = -1;
        goto done;
    }
    if (jw && (!json_is_string(jw) || json_string_length(jw) > TEXT_MAX)) {
        out_rc = spot_fail(e, SPOT_E_INPUT, "bad_request", "witness 须为文本");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(t, "status")), "dispatched")) {
        out_rc = spot_fail(e, SPOT_E_CONFLICT, "not_locked", "任务锁定派发后才能抽取检查人员");
        goto done;
    }
    if (!json_is_null(json_object_get(t, "team_seed")) && json_object_get(t, "team_seed")) {
        out_rc = spot_fail(e, SPOT_E_CONFLICT, "teams_drawn", "检查组已抽取；更换人员请走回避或更换审批");
        goto done;
    }
    units = tasks_units(sc->db, id, &err);
    if (!units) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    int is_rule = 0;
    if (tctx_load(&c, sc, id, t, (long long)json_array_size(units), &err, &is_rule) != 0) {
        out_rc = is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err);
        goto done;
    }
    unsigned char secret[32], seed_t[DRAW_HASH_LEN];
    const char *sh = json_string_value(json_object_get(t, "team_secret"));
    if (!sh || hex_decode(secret, 32, sh) != 0) { out_rc = spot_fail_db(e, "teams", strdup("team secret missing")); goto done; }
    const char *witness = jw ? json_string_value(jw) : "";
    size_t wlen = jw ? json_string_length(jw) : 0;
    /* Draw algorithm v2 (issue 16, SPEC §12), committed at lock: the revealed team witness must hash
     * to team_witness_commitment; seed_t = SHA-256(team_secret || SHA-256(witness) || SHA-256(beacon)). */
    const char *talg = json_string_value(json_object_get(t, "team_draw_algorithm"));
    int v2 = talg && !strcmp(talg, DRAW_ALGORITHM_V2);
    json_t *jb = in ? json_object_get(in, "beacon") : NULL;
    const char *beacon = json_is_string(jb) ? json_string_value(jb) : NULL;
    size_t blen = beacon ? json_string_length(jb) : 0;
    if (!v2 && jb) {
        sodium_memzero(secret, sizeof secret);
        out_rc = spot_fail(e, SPOT_E_INVALID, "v1_task", "本任务锁定时未指定检查组抽取的公开随机数来源（抽取算法 v1），不能输入 beacon");
        goto done;
    }
    if (v2) {
        unsigned char wc[DRAW_HASH_LEN];
        char wc_hex[65];
        draw_witness_commitment(witness, wlen, wc);
        hex_encode(wc_hex, wc, DRAW_HASH_LEN);
        const char *want = json_string_value(json_object_get(t, "team_witness_commitment"));
        if (!want || strcmp(want, wc_hex)) {
            sodium_memzero(secret, sizeof secret);
            out_rc = spot_fail(e, SPOT_E_INVALID, "witness_mismatch",
                               "监督人见证文字与锁定时公布的承诺值不符，未抽取；请由监督人输入锁定时的原文");
            goto done;
        }
        if (!beacon || blen == 0 || blen > TEXT_MAX || strlen(beacon) != blen) {
            sodium_memzero(secret, sizeof secret);
            out_rc = spot_fail(e, SPOT_E_INVALID, "beacon_required",
                               "须输入锁定时指定的公开随机数（beacon）的开奖值（最多 %d 字节）", TEXT_MAX);
            goto done;
        }
        draw_seed_v2(secret, witness, wlen, beacon, blen, seed_t);
    } else {
        draw_seed(secret, witness, wlen, seed_t);
    }
    sodium_memzero(secret, sizeof secret);
    char seed_hex[65], at[32], obj[32];
    hex_encode(seed_hex, seed_t, DRAW_HASH_LEN);
    /* One transaction: the draw reads (units, recusals, previous teams) and every team's row, the
     * task's seed and the audit record are one consistent step. */
    int ok = db_begin(sc->db, &err) == 0 &&
             db_int(sc->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ? AND team_seed IS NULL AND status = 'dispatched'",
                    "i", id) == 1;
    if (!ok) {
        out_rc = err ? spot_fail_db(e, "teams", err) : spot_fail(e, SPOT_E_CONFLICT, "teams_drawn", "检查组已抽取");
        goto done;
    }
    if (tctx_preload(&c, &err) != 0) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    /* Each team is stored as soon as it is drawn (the draw of a later unit reads only other tasks'
     * teams), so that memory holds one team's slots and pools at a time; rows keeps what the reply
     * names of each: members, leader, how the team was made, open positions. The slots with their
     * pools, picks and hashes (O(units x inspectors) bytes) are in GET /api/tasks/{id}/teams and
     * the announcement. */
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    const char *isha = worker_rule_sha(sc->w, "inspectors");
    sqlite3_stmt *ins = db_prepare(sc->db, &err, "INSERT INTO task_teams(task_id, pos, uscc, method, reason, inspectors, "
                                   "leader, leader_reason, slots, rule_sha, updated_at, pools) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", "");
    if (!ins) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    rows = json_array();
    size_t i;
    json_t *u;
    ok = 1;
    json_array_foreach(units, i, u) {
        json_t *row = draw_team(&c, json_string_value(json_object_get(u, "uscc")), seed_t, &err);
        if (!row) {
            sqlite3_finalize(ins);
            if (c.refused) {
                free(err);
                out_rc = spot_fail(e, SPOT_E_INVALID, "no_org_inspector", "没有可抽取的%s：请先在检查人员名录中登记符合条件的有效人员，再抽取检查组",
                                   c.refused);
            } else {
                out_rc = spot_fail_rule(e, err);
            }
            goto done;
        }
        static const char *const cols[] = {"uscc", "method", "reason", "inspectors", "leader", "leader_reason", "slots"};
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)i);
        for (int k = 0; k < 7; k++) {
            json_t *v = json_object_get(row, cols[k]);
            if (json_is_string(v))
                sqlite3_bind_text(ins, 3 + k, json_string_value(v), (int)json_string_length(v), SQLITE_STATIC);
            else
                sqlite3_bind_text(ins, 3 + k, json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS), -1, free);
        }
        sqlite3_bind_text(ins, 10, isha, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 11, at, -1, SQLITE_STATIC);
        json_t *pt = json_object_get(row, "pools");
        sqlite3_bind_text(ins, 12, json_string_value(pt), (int)json_string_length(pt), SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            err = xprintf("insert team: %s", sqlite3_errmsg(sc->db));
            ok = 0;
        }
        sqlite3_reset(ins);
        json_int_t open = 0;
        size_t k;
        json_t *sl;
        json_array_foreach(json_object_get(row, "slots"), k, sl) open += slot_open(sl);
        json_array_append_new(rows, json_pack("{sO sO sO sO sO sI}", "uscc", json_object_get(row, "uscc"), "inspectors",
            json_object_get(row, "inspectors"), "leader", json_object_get(row, "leader"), "method",
            json_object_get(row, "method"), "reason", json_object_get(row, "reason"), "open", open));
        json_decref(row);
        if (!ok) break;
    }
    sqlite3_finalize(ins);
    json_t *d = json_pack("{ss% ss sI sO}", "witness", witness, wlen, "seed", seed_hex, "teams",
                          (json_int_t)json_array_size(rows), "workload_cap", c.cap_ret);
    if (v2) json_object_set_new(d, "beacon", json_stringn(beacon, blen));
    ok = ok && db_run(sc->db, &err, "UPDATE tasks SET team_witness = ?, team_seed = ?, teams_at = ?, updated_at = ?, "
                                   "team_beacon = ? WHERE id = ?", "tssssi", witness, (int)wlen, seed_hex, at, at,
                      v2 ? beacon : NULL, id) == 1 &&
         audit_log(sc->db, ctx_actor(sc), "task.teams", obj, d, &err) == 0 && db_commit(sc->db, &err) == 0;
    json_decref(d);
    if (!ok) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    json_t *view = rows;
    rows = NULL;
    *out = json_pack("{so ss ss% sO}", "teams", view, "seed", seed_hex, "witness", witness, wlen,
                     "workload_cap", c.cap_ret);
    json_object_set_new(*out, "algorithm", json_string(v2 ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM));
    if (v2) json_object_set_new(*out, "beacon", json_stringn(beacon, blen));
done:
    if (out_rc != 0 && !sqlite3_get_autocommit(sc->db)) db_rollback(sc->db);
    json_decref(rows);
    json_decref(units);
    tctx_free(&c);
    json_decref(t);
    return out_rc;
}

/* Puts each slot's pool back from the row's pools column (teams drawn since migration 0023; certs:
 * the committed pool's cert_no in order, to read the bitmaps) and drops the column from the row.
 * Returns 1 when the pools came from the column, 0 when the slots carry their own (older draws). */
static int attach_pools(json_t *row, json_t *certs)
{
    json_t *pt = json_object_get(row, "pools");
    int split = json_is_string(pt);
    if (split) {
        json_t *arr = json_loadb(json_string_value(pt), json_string_length(pt), 0, NULL);
        size_t k;
        json_t *sl;
        json_array_foreach(json_object_get(row, "slots"), k, sl) {
            json_t *pl = json_array_get(arr, k);
            if (json_object_get(sl, "pool")) continue;
            if (json_is_string(pl))
                json_object_set_new(sl, "pool", pool_bits_get(json_string_value(pl), json_string_length(pl), certs));
            else if (json_is_array(pl))
                json_object_set(sl, "pool", pl);
        }
        json_decref(arr);
    }
    json_object_del(row, "pools");
    return split;
}

/* The slots to store for a row whose pools are in the pools column: a copy without them. New ref. */
static json_t *slots_to_store(json_t *slots, int split)
{
    if (!split) return json_incref(slots);
    json_t *out = json_deep_copy(slots), *sl;
    size_t k;
    json_array_foreach(out, k, sl) json_object_del(sl, "pool");
    return out;
}

/* Decodes the JSON columns of team rows and adds each team's open positions (7.3: awaiting the
 * executing org head's appointment). */
static json_t *decode_teams(json_t *rows, json_t *task)
{
    static const char *const keys[] = {"inspectors", "slots", NULL};
    size_t i, k;
    json_t *row, *sl;
    json_t *certs = teampool_certs(json_object_get(task, "team_pool"));
    json_array_foreach(rows, i, row) {
        spot_decode_json(row, keys);
        attach_pools(row, certs);
        json_int_t open = 0;
        json_array_foreach(json_object_get(row, "slots"), k, sl) open += slot_open(sl);
        json_object_set_new(row, "open", json_integer(open));
    }
    json_decref(certs);
    return rows;
}

/* Every team of task (its id and team_pool), in draw order. */
static json_t *team_rows(sqlite3 *db, json_t *task, char **err)
{
    long long id = json_integer_value(json_object_get(task, "id"));
    return decode_teams(db_rows(db, err, "SELECT t.uscc, t.method, t.reason, t.inspectors, t.leader, t.leader_reason, t.slots, "
                                         "t.pools, t.rule_sha, t.updated_at, d.org_id AS exec_org_id FROM task_teams t LEFT JOIN "
                                         "task_dispatch d ON d.task_id = t.task_id AND d.uscc = t.uscc WHERE t.task_id = ? "
                                         "ORDER BY t.pos", "i", id), task);
}

/* A member j.value (json_each of a team's inspectors) who has no active account. */
#define UNLINKED_SQL "NOT EXISTS (SELECT 1 FROM users us WHERE us.cert_no = j.value AND us.active = 1)"

/* One page of the task's teams (issue 18: a 13,000-unit task): filtered by q (in the USCC or the
 * unit's name) and by cert (teams with that member); *total receives the filtered count. */
static json_t *team_page(sqlite3 *db, json_t *task, const teams_query *q, long long *total, char **err)
{
    long long id = json_integer_value(json_object_get(task, "id"));
    static const char *const where =
        " FROM task_teams t LEFT JOIN task_units u ON u.task_id = t.task_id AND u.uscc = t.uscc "
        "LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE t.task_id = ?1 "
        "AND (?2 IS NULL OR instr(t.uscc, ?2) > 0 OR instr(coalesce(e.name, ''), ?2) > 0) "
        "AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(t.inspectors) j WHERE j.value = ?3)) "
        "AND (?6 = 0 OR EXISTS (SELECT 1 FROM json_each(t.slots) s WHERE "
        "json_extract(s.value, '$.count') > json_array_length(s.value, '$.current'))) "
        "AND (?7 = 0 OR EXISTS (SELECT 1 FROM json_each(t.inspectors) j WHERE " UNLINKED_SQL "))";
    char sql[1200];
    const char *qq = q->q && *q->q ? q->q : NULL, *cert = q->cert && *q->cert ? q->cert : NULL;
    snprintf(sql, sizeof sql, "SELECT count(*)%s", where);
    *total = db_int(db, err, 0, sql, "issiiii", id, qq, cert, 0LL, 0LL, (long long)q->open, (long long)q->unlinked);
    if (*err) return NULL;
    snprintf(sql, sizeof sql, "SELECT t.uscc, e.name AS unit_name, t.method, t.reason, t.inspectors, t.leader, t.leader_reason, "
                              "t.slots, t.pools, t.rule_sha, t.updated_at, (SELECT d.org_id FROM task_dispatch d WHERE d.task_id = "
                              "t.task_id AND d.uscc = t.uscc) AS exec_org_id%s ORDER BY t.pos LIMIT ?4 OFFSET ?5", where);
    return decode_teams(db_rows(db, err, sql, "issiiii", id, qq, cert, q->per_page, (q->page - 1) * q->per_page,
                                (long long)q->open, (long long)q->unlinked), task);
}

int teams_get(spot_ctx *sc, long long id, const teams_query *q, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(sc, id, e);
    if (!t) return -1;
    char *err = NULL;
    long long total = -1;
    json_t *rows = q && q->page > 0 ? team_page(sc->db, t, q, &total, &err) : team_rows(sc->db, t, &err);
    json_t *pend = rows ? db_rows(sc->db, &err, "SELECT id, uscc, cert_no, reason_code, reason, rule_reason, status, "
                                               "requested_by, requested_at, decided_by, decided_at, replacement "
                                               "FROM task_replacements WHERE task_id = ? ORDER BY id", "i", id) : NULL;
    json_t *conf = pend ? db_rows(sc->db, &err, "SELECT id, uscc, cert_no, reason, actor, at, status, decided_by, decided_at, "
                                               "replacement FROM task_conflicts "
                                               "WHERE task_id = ? ORDER BY id", "i", id) : NULL;
    if (!conf) { json_decref(rows); json_decref(pend); json_decref(t); return spot_fail_db(e, "teams", err); }
    *out = json_pack("{so so so sO sO sO}", "teams", rows, "replacements", pend, "conflicts", conf,
                            "team_commitment", json_object_get(t, "team_commitment"), "team_seed",
                            json_object_get(t, "team_seed") ? json_object_get(t, "team_seed") : json_null(),
                            "team_witness", json_object_get(t, "team_witness") ? json_object_get(t, "team_witness") : json_null());
    if (total >= 0 && q->unlinked) {
        long long n = db_int(sc->db, &err, 0, "SELECT count(DISTINCT j.value) FROM task_teams t, json_each(t.inspectors) j "
                                              "WHERE t.task_id = ? AND " UNLINKED_SQL, "i", id);
        if (err) { json_decref(*out); *out = NULL; json_decref(t); return spot_fail_db(e, "teams", err); }
        json_object_set_new(*out, "unlinked_members", json_integer(n));
    }
    if (total >= 0) {
        json_object_set_new(*out, "total", json_integer(total));
        json_object_set_new(*out, "page", json_integer(q->page));
        json_object_set_new(*out, "per_page", json_integer(q->per_page));
    }
    /* draw algorithm v2 (issue 16): what the team draw form needs */
    static const char *const v2keys[] = {"team_draw_algorithm", "team_witness_commitment", "team_beacon_source",
                                         "team_beacon", NULL};
    for (const char *const *k = v2keys; *k; k++)
        json_object_set(*out, *k, json_object_get(t, *k) ? json_object_get(t, *k) : json_null());
    json_decref(t);
    return 0;
}

/* Replaces cert at unit uscc of task c->task_id (continuation rule). Writes the row and an audit
 * record inside the caller's transaction. *replacement receives the new member (new string) or
 * NULL when no one could be found. Returns 0, 1 when cert is not on the team, -1 with *err
 * (*is_rule for rule errors). */
static int redraw(tctx *c, const char *uscc, const char *cert, const char *reason, const char *action,
                  char **replacement, char **err, int *is_rule)
{
    *replacement = NULL;
    *is_rule = 0;
    json_t *row = db_row(c->sc->db, err, "SELECT pos, method, reason, inspectors, slots, pools FROM task_teams WHERE "
                                        "task_id = ? AND uscc = ?", "is", c->task_id, uscc);
    if (!row) return *err ? -1 : 1;
    static const char *const keys[] = {"inspectors", "slots", NULL};
    spot_decode_json(row, keys);
    json_t *certs = teampool_certs(c->elig);
    int split = attach_pools(row, certs);
    json_decref(certs);
    json_t *slots = json_object_get(row, "slots"), *slot = NULL, *sarg = NULL;
    char *skey = NULL;
    unitx u;
    memset(&u, 0, sizeof u);
    int rc = -1, pos = -1;
    size_t k;
    json_t *s;
    json_array_foreach(slots, k, s) {
        json_t *cur = json_object_get(s, "current");
        for (size_t i = 0; i < json_array_size(cur) && pos < 0; i++)
            if (!strcmp(json_string_value(json_array_get(cur, i)), cert)) { pos = (int)i; slot = s; }
        if (slot) break;
    }
    if (!slot) { json_decref(row); return 1; }
    if (unitx_load(c, uscc, &u, err, is_rule) != 0) goto done;
    *is_rule = 1;
    json_t *current = json_object_get(slot, "current");
    const char *sname = json_string_value(json_object_get(slot, "name"));
    sarg = slot_arg(slot);
    skey = json_dumps(sarg, JSON_COMPACT | JSON_SORT_KEYS);
    load_add(c, cert, -1);
    const char *method = json_string_value(json_object_get(slot, "method"));
    char *why = strdup(reason);
    const char *chosen = NULL;
    json_t *team = team_of(slots);
    if (!strcmp(method, "random")) {
        json_t *pool = json_object_get(slot, "pool"), *redraws = json_object_get(slot, "redraws");
        size_t N = json_array_size(pool), count = json_array_size(json_object_get(slot, "picks"));
        unsigned char seed_t[DRAW_HASH_LEN], hi[DRAW_HASH_LEN];
        if (hex_decode(seed_t, DRAW_HASH_LEN, json_string_value(json_object_get(c->task, "team_seed"))) != 0 ||
            hex_decode(hi, DRAW_HASH_LEN, json_string_value(json_object_get(slot, "pool_hash"))) != 0) {
            *err = strdup("team seed or pool hash missing");
            *is_rule = 0;
            free(why);
            json_decref(team);
            goto done;
        }
        while (!chosen) {
            size_t R = json_array_size(redraws), n = count + R + 1;
            if (n > N) break;
            size_t *idx = malloc(n * sizeof *idx);
            if (!idx || draw_select_slot(seed_t, hi, uscc, strlen(uscc), (uint32_t)json_integer_value(json_object_get(slot, "slot")),
                                         N, n, idx, NULL) != 0) {
                free(idx);
                *err = strdup("redraw failed");
                *is_rule = 0;
                free(why);
                json_decref(team);
                goto done;
            }
            json_t *cand = json_array_get(pool, idx[n - 1]);
            free(idx);
            const char *cc = json_string_value(cand);
            json_array_append_new(redraws, json_pack("{sI sO sO ss}", "position", (json_int_t)pos, "removed",
                                                     json_array_get(current, (size_t)pos), "replacement", cand, "reason", why));
            json_array_set(current, (size_t)pos, cand);
            free(why);
            why = NULL;
            /* suitable? on the team elsewhere, recused, or out of the pool now: record and go on */
            long long pi = idx_of(c, cc);
            int bad = on_team(team, cc) || pi < 0 || u.rec[pi];
            if (!bad) {
                unsigned char *vec = pool_vec(c, &u, skey, err);
                int ip = *err ? -1 : pool_ok(c, &u, sarg, vec, (size_t)pi, err);
                if (ip < 0) { json_decref(team); goto done; }
                bad = !ip;
            }
            if (bad) why = xprintf("候补人员（执法证号%s）已在本组、须回避或不再符合抽取条件，按顺序继续抽取", cc);
            else chosen = cc;
        }
        if (!chosen) {
            /* pool used up: appointment, recorded (the rule gives the reason) */
            free(why);
            why = NULL;
            json_t *fb = rule1(c, "fallback", json_pack("[sII]", sname, (json_int_t)0, (json_int_t)1), NULL, err);
            if (!fb) { json_decref(team); goto done; }
            /* the slot keeps the method it was drawn by (its picks and redraws stay checkable);
             * what follows is recorded as an appointment */
            json_object_set_new(slot, "exhausted", json_true());
            json_object_set(slot, "reason", json_object_get(fb, "reason"));
            json_object_set_new(row, "method", json_string("appointed"));
            json_object_set(row, "reason", json_object_get(fb, "reason"));
            json_decref(fb);
            method = "appointed";
        }
    }
    if (!chosen) {
        /* no one to draw: the member leaves and the position stays open until the executing org's
         * head appoints someone by name (7.3, teams_appoint), recorded as an appointment entry
         * without a replacement so that the published slots always add up to the team */
        json_t *changes = json_object_get(slot, "appointments");
        if (!changes) { json_object_set_new(slot, "appointments", json_array()); changes = json_object_get(slot, "appointments"); }
        json_array_append_new(changes, json_pack("{sI sO sn ss}", "position", (json_int_t)pos, "removed",
                                                 json_array_get(current, (size_t)pos), "replacement", "reason", why ? why : reason));
        json_array_remove(current, (size_t)pos);
    }
    free(why);
    json_decref(team);
    if (chosen) load_add(c, chosen, 1);
    json_t *newteam = team_of(slots), *leader = NULL, *lreason = NULL;
    if (pick_leader(c, newteam, u.unit, &leader, &lreason, err) != 0) {
        json_decref(newteam);
        goto done;
    }
    *is_rule = 0;
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", c->task_id, uscc);
    json_t *d = json_pack("{ss ss so? ss sO}", "removed", cert, "reason", reason, "replacement", chosen ? json_string(chosen) : NULL,
                          "method", json_string_value(json_object_get(row, "method")), "leader", leader);
    json_t *stored = slots_to_store(slots, split);
    int ok = db_run(c->sc->db, err, "UPDATE task_teams SET method = ?, reason = ?, inspectors = ?, leader = ?, "
                                   "leader_reason = ?, slots = ?, updated_at = ? WHERE task_id = ? AND uscc = ?",
                    "jjjjjjsis", json_object_get(row, "method"), json_object_get(row, "reason"), newteam, leader, lreason,
                    stored, at, c->task_id, uscc) == 1 &&
             audit_log(c->sc->db, ctx_actor(c->sc), action, obj, d, err) == 0;
    json_decref(stored);
    json_decref(d);
    json_decref(newteam);
    json_decref(leader);
    json_decref(lreason);
    if (!ok) goto done;
    if (chosen) *replacement = strdup(chosen);
    rc = 0;
done:
    unitx_free(&u);
    json_decref(sarg);
    free(skey);
    json_decref(row);
    return rc;
}

/* POST /api/conflicts: a recusal request. Nothing changes (pools, teams) until a head approves it. */
int teams_conflict(spot_ctx *sc, json_t *in, json_t **out, spot_err *e)
{
    static const char *const fields[] = {"task_id", "uscc", "cert_no", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return -1;
    json_t *jt = json_object_get(in, "task_id");
    const char *uscc = json_string_value(json_object_get(in, "uscc"));
    const char *cert = json_string_value(json_object_get(in, "cert_no"));
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (!json_is_integer(jt) || !uscc || !cert || !reason || !*reason || strlen(reason) > TEXT_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 task_id（整数）、uscc、cert_no 和 reason（回避理由）");
    if ((sc->user->role & ROLE_INSPECTOR) && strcmp(sc->user->cert_no, cert))
        return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "检查人员只能为本人申报回避");
    long long id = json_integer_value(jt);
    char *err = NULL;
    json_t *t = tasks_load(sc->db, id, &err);
    if (!t) {
        if (err) return spot_fail_db(e, "teams", err);
        return spot_fail(e, SPOT_E_INVALID, "unknown_task", "任务不存在：%lld", id);
    }
    long long known = db_int(sc->db, &err, 0, "SELECT count(*) FROM inspectors WHERE cert_no = ?", "s", cert);
    int dispatched = !strcmp(json_string_value(json_object_get(t, "status")), "dispatched");
    json_decref(t);
    long long unit_ok = err ? 0 : dispatched
        ? db_int(sc->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ? AND uscc = ?", "is", id, uscc)
        : db_int(sc->db, &err, 0, "SELECT count(*) FROM enterprises WHERE uscc = ?", "s", uscc);
    if (err) return spot_fail_db(e, "teams", err);
    if (!known) return spot_fail(e, SPOT_E_INVALID, "unknown_inspector", "没有执法证号为 %s 的检查人员", cert);
    if (!unit_ok) return spot_fail(e, SPOT_E_INVALID, "unknown_unit", "%s 不是本任务的检查对象", uscc);
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", id, uscc);
    if (db_begin(sc->db, &err) != 0) return spot_fail_db(e, "teams", err);
    long long dup = db_int(sc->db, &err, 0, "SELECT count(*) FROM task_conflicts WHERE task_id = ? AND uscc = ? AND "
                                           "cert_no = ? AND status IN ('pending','approved')", "iss", id, uscc, cert);
    if (err) return spot_fail_db(e, "teams", err);
    if (dup) {
        db_rollback(sc->db);
        return spot_fail(e, SPOT_E_CONFLICT, "duplicate", "该回避已登记");
    }
    json_t *d = json_pack("{ss ss ss}", "cert_no", cert, "reason", reason, "status", "pending");
    int ok = db_run(sc->db, &err, "INSERT INTO task_conflicts(task_id, uscc, cert_no, reason, actor, at) VALUES (?,?,?,?,?,?)",
                    "isssss", id, uscc, cert, reason, ctx_actor(sc), at) >= 0;
    long long cid = sqlite3_last_insert_rowid(sc->db);
    ok = ok && audit_log(sc->db, ctx_actor(sc), "team.conflict_request", obj, d, &err) == 0 && db_commit(sc->db, &err) == 0;
    json_decref(d);
    if (!ok) return spot_fail_db(e, "teams", err);
    *out = json_pack("{sI sI ss ss ss sb sn}", "id", (json_int_t)cid, "task_id", (json_int_t)id,
                     "uscc", uscc, "cert_no", cert, "status", "pending", "replaced", 0, "replacement");
    return 0;
}

/* POST /api/conflicts/{id}/approve|reject (head): approving makes the recusal count for the pools
 * and, when the inspector is on that unit's team, redraws the slot (next unused stream position). */
static int result_fixed(spot_ctx *sc, long long id, const char *uscc, spot_err *e);

int teams_conflict_decide(spot_ctx *sc, long long cid, int approve, json_t **out, spot_err *e)
{
    char *err = NULL, *repl = NULL;
    int out_rc = 0, is_rule = 0, on = 0;
    tctx c;
    memset(&c, 0, sizeof c);
    json_t *t = NULL;
    json_t *cf = cid > 0 ? db_row(sc->db, &err, "SELECT * FROM task_conflicts WHERE id = ?", "i", cid) : NULL;
    if (!cf) {
        out_rc = err ? spot_fail_db(e, "teams", err) : spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个回避申请");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(cf, "status")), "pending")) {
        out_rc = spot_fail(e, SPOT_E_CONFLICT, "decided", "该回避申请已处理");
        goto done;
    }
    /* SPEC §10: the head of the unit's executing org decides */
    if (taskorgs_may_decide(sc, json_integer_value(json_object_get(cf, "task_id")),
                            json_string_value(json_object_get(cf, "uscc")), e) != 1) {
        out_rc = -1;
        goto done;
    }
    long long id = json_integer_value(json_object_get(cf, "task_id"));
    const char *uscc = json_string_value(json_object_get(cf, "uscc"));
    const char *cert = json_string_value(json_object_get(cf, "cert_no"));
    t = tasks_load(sc->db, id, &err);
    if (!t) { out_rc = spot_fail_db(e, "teams", err ? err : strdup("task of a recusal missing")); goto done; }
    if (approve && !strcmp(json_string_value(json_object_get(t, "status")), "dispatched") &&
        json_is_string(json_object_get(t, "team_seed"))) {
        on = (int)db_int(sc->db, &err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                         "AND t.uscc = ? AND j.value = ?", "iss", id, uscc, cert);
        long long n_units = err ? 0 : db_int(sc->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ?", "i", id);
        if (err) { out_rc = spot_fail_db(e, "teams", err); goto done; }
        if (on && result_fixed(sc, id, uscc, e) != 0) { out_rc = -1; goto done; }
        if (on && tctx_load(&c, sc, id, t, n_units, &err, &is_rule) != 0) {
            out_rc = is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err);
            goto done;
        }
    }
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", id, uscc);
    if (db_begin(sc->db, &err) != 0) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    int ok = db_run(sc->db, &err, "UPDATE task_conflicts SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? "
                                 "AND status = 'pending'", "sssi", approve ? "approved" : "rejected", ctx_actor(sc), at,
                    cid) == 1;
    if (ok && on) {
        char *why = xprintf("利益冲突回避：%s（已经执行单位负责人批准）", json_string_value(json_object_get(cf, "reason")));
        int rc = redraw(&c, uscc, cert, why, "team.recusal", &repl, &err, &is_rule);
        free(why);
        if (rc < 0) { out_rc = is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err); goto done; }
        ok = db_run(sc->db, &err, "UPDATE task_conflicts SET replacement = ? WHERE id = ?", "si", repl, cid) == 1;
    }
    json_t *d = json_pack("{sI ss ss so?}", "conflict_id", (json_int_t)cid, "cert_no", cert, "reason",
                          json_string_value(json_object_get(cf, "reason")), "replacement", repl ? json_string(repl) : NULL);
    ok = ok && audit_log(sc->db, ctx_actor(sc), approve ? "team.conflict_approve" : "team.conflict_reject", obj, d, &err) == 0 &&
         db_commit(sc->db, &err) == 0;
    json_decref(d);
    if (!ok) {
        if (err) { out_rc = spot_fail_db(e, "teams", err); goto done; }
        db_rollback(sc->db);
        out_rc = spot_fail(e, SPOT_E_CONFLICT, "decided", "该回避申请已处理");
        goto done;
    }
    *out = json_pack("{sI sI ss ss ss sb so?}", "id", (json_int_t)cid, "task_id", (json_int_t)id, "uscc", uscc,
                     "cert_no", cert, "status", approve ? "approved" : "rejected", "replaced", on,
                     "replacement", repl ? json_string(repl) : NULL);
done:
    free(repl);
    tctx_free(&c);
    json_decref(cf);
    json_decref(t);
    return out_rc;
}

/* POST /api/tasks/{id}/teams/{uscc}/replace */
/* 7.3, 9.1: once a member of the unit's team has signed its result, or the result is published,
 * the team that inspected stands: no replacement (a correction of the result instead). Returns 1
 * (and sets *e: 409 result_signed), 0 when the team may still change, -1 with *e. */
static int result_fixed(spot_ctx *sc, long long id, const char *uscc, spot_err *e)
{
    char *err = NULL;
    long long n = db_int(sc->db, &err, 0, "SELECT count(*) FROM results r WHERE r.task_id = ? AND r.uscc = ? AND "
                                        "(r.status = 'published' OR EXISTS (SELECT 1 FROM result_signatures s "
                                        "WHERE s.result_id = r.id))", "is", id, uscc);
    if (err) return spot_fail_db(e, "teams", err);
    if (!n) return 0;
    spot_fail(e, SPOT_E_CONFLICT, "result_signed",
              "该单位的检查结果已有检查人员签名或已公示，检查组不能再更换人员（第7.3条）；如结果有误，请申请更正（第9.1条）");
    return 1;
}

int teams_replace(spot_ctx *sc, long long id, const char *uscc, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(sc, id, e);
    if (!t) return -1;
    json_decref(t);
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
    static const char *const fields[] = {"cert_no", "reason_code", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return -1;
    const char *cert = json_string_value(json_object_get(in, "cert_no"));
    const char *code = json_string_value(json_object_get(in, "reason_code"));
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (!cert || !code || !reason || !*reason || strlen(reason) > TEXT_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 cert_no、reason_code 和 reason");
    char *err = NULL;
    long long on = db_int(sc->db, &err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                          "AND t.uscc = ? AND j.value = ?", "iss", id, uscc, cert);
    if (err) return spot_fail_db(e, "teams", err);
    if (!on) return spot_fail(e, SPOT_E_INVALID, "not_on_team", "执法证号 %s 不在 %s 的检查组中", cert, uscc);
    if (result_fixed(sc, id, uscc, e) != 0) return -1;
    json_t *args = json_pack("[s]", code), *ret = NULL;
    int rc = lh_call(sc->w->lua, "inspectors", "replacement", args, &ret, &err);
    json_decref(args);
    if (rc != 0) return spot_fail_rule(e, err);
    json_t *d = json_array_get(ret, 0);
    if (!json_is_true(json_object_get(d, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "replacement_refused", "%s", json_string_value(json_object_get(d, "reason")));
        json_decref(ret);
        return -1;
    }
    const char *rr = json_string_value(json_object_get(d, "reason"));
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", id, uscc);
    json_t *ad = json_pack("{ss ss ss}", "cert_no", cert, "reason_code", code, "reason", reason);
    int ok = db_begin(sc->db, &err) == 0 &&
             db_run(sc->db, &err, "INSERT INTO task_replacements(task_id, uscc, cert_no, reason_code, reason, rule_reason, "
                                 "rule_sha, requested_by, requested_at) VALUES (?,?,?,?,?,?,?,?,?)", "issssssss", id, uscc,
                    cert, code, reason, rr ? rr : "", worker_rule_sha(sc->w, "inspectors"), ctx_actor(sc), at) >= 0;
    long long rid = sqlite3_last_insert_rowid(sc->db);
    ok = ok && audit_log(sc->db, ctx_actor(sc), "team.replace_request", obj, ad, &err) == 0 && db_commit(sc->db, &err) == 0;
    json_decref(ad);
    if (!ok) { json_decref(ret); return spot_fail_db(e, "teams", err); }
    *out = json_pack("{sI ss ss ss ss ss}", "id", (json_int_t)rid, "status", "pending", "uscc", uscc, "cert_no", cert,
                            "reason_code", code, "rule_reason", rr ? rr : "");
    json_decref(ret);
    return 0;
}

int teams_replace_decide(spot_ctx *sc, long long id, const char *uscc, long long rid, int approve, json_t *in,
                         json_t **out, spot_err *e)
{
    static const char *const fields[] = {"reason", NULL};
    if (in && !json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
    if (in && spot_check_fields(in, fields, e) != 0) return -1;
    json_t *jnote = in ? json_object_get(in, "reason") : NULL;
    if (jnote && !(json_is_string(jnote) && json_string_length(jnote) <= TEXT_MAX))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "reason（负责人的书面理由）应为不超过 %d 字节的文字", TEXT_MAX);
    const char *note = jnote ? json_string_value(jnote) : "";
    json_t *t = task_or_404(sc, id, e);
    if (!t) return -1;
    char *err = NULL, *repl = NULL;
    int out_rc = 0, is_rule = 0;
    tctx c;
    memset(&c, 0, sizeof c);
    json_t *rep = rid > 0 ? db_row(sc->db, &err, "SELECT * FROM task_replacements WHERE id = ? AND task_id = ? AND uscc = ?",
                                   "iis", rid, id, uscc) : NULL;
    if (!rep) {
        out_rc = err ? spot_fail_db(e, "teams", err) : spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个更换申请");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(rep, "status")), "pending")) {
        out_rc = spot_fail(e, SPOT_E_CONFLICT, "decided", "该更换申请已处理");
        goto done;
    }
    /* SPEC §10, 7.3: the head of the unit's executing org approves */
    if (taskorgs_may_decide(sc, id, uscc, e) != 1) {
        out_rc = -1;
        goto done;
    }
    const char *cert = json_string_value(json_object_get(rep, "cert_no"));
    if (approve) {
        int fixed = result_fixed(sc, id, uscc, e);
        if (fixed != 0) { out_rc = -1; goto done; }
        /* 7.3 "等原因": a reason outside the listed ones needs the head's written reason */
        json_t *args = json_pack("[O]", json_object_get(rep, "reason_code")), *ret = NULL;
        int rc = lh_call(sc->w->lua, "inspectors", "replacement", args, &ret, &err);
        json_decref(args);
        if (rc != 0) { out_rc = spot_fail_rule(e, err); goto done; }
        int need = json_is_true(json_object_get(json_array_get(ret, 0), "head_reason_required"));
        json_decref(ret);
        if (need && !*note) {
            out_rc = spot_fail(e, SPOT_E_INVALID, "reason_required",
                               "该更换不属于工作岗位调整、工作冲突或身体健康原因，须由执行单位负责人写明批准理由（第7.3条）");
            goto done;
        }
    }
    long long n_units = db_int(sc->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ?", "i", id);
    if (approve && tctx_load(&c, sc, id, t, n_units, &err, &is_rule) != 0) {
        out_rc = is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err);
        goto done;
    }
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", id, uscc);
    if (db_begin(sc->db, &err) != 0) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    if (approve) {
        char *why = *note ? xprintf("%s；%s（已经执行单位负责人批准，批准理由：%s）",
                                    json_string_value(json_object_get(rep, "rule_reason")),
                                    json_string_value(json_object_get(rep, "reason")), note)
                          : xprintf("%s；%s（已经执行单位负责人批准）", json_string_value(json_object_get(rep, "rule_reason")),
                                    json_string_value(json_object_get(rep, "reason")));
        int rc = redraw(&c, uscc, cert, why, "team.replace", &repl, &err, &is_rule);
        free(why);
        if (rc < 0) { out_rc = is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err); goto done; }
        if (rc == 1) {
            db_rollback(sc->db);
            out_rc = spot_fail(e, SPOT_E_CONFLICT, "not_on_team", "执法证号 %s 已不在检查组中", cert);
            goto done;
        }
    }
    json_t *d = json_pack("{sI ss so? ss}", "replacement_id", (json_int_t)rid, "cert_no", cert, "replacement",
                          repl ? json_string(repl) : NULL, "head_reason", note);
    int ok = db_run(sc->db, &err, "UPDATE task_replacements SET status = ?, decided_by = ?, decided_at = ?, replacement = ? "
                                 "WHERE id = ? AND status = 'pending'", "ssssi", approve ? "approved" : "rejected",
                    ctx_actor(sc), at, repl, rid) == 1 &&
             audit_log(sc->db, ctx_actor(sc), approve ? "team.replace_approve" : "team.replace_reject", obj, d, &err) == 0 &&
             db_commit(sc->db, &err) == 0;
    json_decref(d);
    if (!ok) { out_rc = spot_fail_db(e, "teams", err); goto done; }
    *out = json_pack("{sI ss ss so?}", "id", (json_int_t)rid, "status", approve ? "approved" : "rejected",
                     "cert_no", cert, "replacement", repl ? json_string(repl) : NULL);
done:
    free(repl);
    tctx_free(&c);
    json_decref(rep);
    json_decref(t);
    return out_rc;
}

/* ---- direct appointment by the executing org's head (7.3 "由执行单位直接委派") ---- */

/* The slot of slots to appoint into: the one numbered want (want >= 0), or the first with an open
 * position. Borrowed, or NULL. */
static json_t *open_slot(json_t *slots, json_int_t want)
{
    size_t k;
    json_t *sl;
    json_array_foreach(slots, k, sl) {
        if (want >= 0 && json_integer_value(json_object_get(sl, "slot")) != want) continue;
        if (slot_open(sl) > 0) return sl;
        if (want >= 0) return NULL;
    }
    return NULL;
}

/* What the appointment routes share: the dispatched task with its teams drawn, the unit's team row
 * (slots decoded) and the draw context with the unit loaded. Returns 0, or -1 with *e. */
typedef struct appoint_ctx {
    json_t *task, *row;
    tctx c;
    unitx u;
} appoint_ctx;

static void appoint_ctx_free(appoint_ctx *a)
{
    unitx_free(&a->u);
    tctx_free(&a->c);
    json_decref(a->row);
    json_decref(a->task);
}

static int appoint_ctx_load(spot_ctx *sc, long long id, const char *uscc, appoint_ctx *a, spot_err *e)
{
    memset(a, 0, sizeof *a);
    char *err = NULL;
    int is_rule = 0;
    a->task = task_or_404(sc, id, e);
    if (!a->task) return -1;
    if (!json_is_string(json_object_get(a->task, "team_seed")))
        return spot_fail(e, SPOT_E_CONFLICT, "teams_not_drawn", "检查组尚未抽取");
    a->row = db_row(sc->db, &err, "SELECT method, reason, inspectors, slots, updated_at FROM task_teams WHERE task_id = ? "
                                  "AND uscc = ?", "is", id, uscc);
    if (!a->row) return err ? spot_fail_db(e, "teams", err) : spot_fail(e, SPOT_E_NOTFOUND, "not_found", "该单位没有检查组");
    static const char *const keys[] = {"inspectors", "slots", NULL};
    spot_decode_json(a->row, keys);
    long long n_units = db_int(sc->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ?", "i", id);
    if (err) return spot_fail_db(e, "teams", err);
    if (tctx_load(&a->c, sc, id, a->task, n_units, &err, &is_rule) != 0 || unitx_load(&a->c, uscc, &a->u, &err, &is_rule) != 0)
        return is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "teams", err);
    return 0;
}

/* inspectors.appointable for inspector i at slot sl. New reference {ok, reason, clause}, or NULL
 * with *err. */
static json_t *appointable(appoint_ctx *a, json_t *sl, size_t i, char **err)
{
    json_t *d = rule1(&a->c, "appointable", json_pack("[OOOO]", json_object_get(sl, "name"), json_array_get(a->c.elig, i),
                                                      a->u.unit, a->c.rtask), NULL, err);
    if (d && !json_is_object(d)) {
        json_decref(d);
        *err = strdup("rules/inspectors.lua: appointable 须返回 { ok, reason, clause }");
        return NULL;
    }
    return d;
}

int teams_candidates(spot_ctx *sc, long long id, const char *uscc, json_int_t slot, json_t **out, spot_err *e)
{
    appoint_ctx a;
    int rc = -1;
    char *err = NULL;
    json_t *list = NULL, *names = NULL;
    if (appoint_ctx_load(sc, id, uscc, &a, e) != 0) goto done;
    json_t *slots = json_object_get(a.row, "slots"), *sl = open_slot(slots, slot);
    if (!sl) {
        spot_fail(e, SPOT_E_CONFLICT, "no_open_position", "该单位的检查组没有待委派的名额");
        goto done;
    }
    names = db_rows(sc->db, &err, "SELECT i.cert_no, i.name, o.name AS org_name FROM inspectors i LEFT JOIN orgs o "
                                  "ON o.id = i.org_id", "");
    if (!names) { spot_fail_db(e, "teams", err); goto done; }
    json_t *by = json_object();
    size_t i;
    json_t *x;
    json_array_foreach(names, i, x) json_object_set(by, json_string_value(json_object_get(x, "cert_no")), x);
    json_t *team = json_object_get(a.row, "inspectors");
    list = json_array();
    for (i = 0; i < a.c.n; i++) {
        const char *cert = cert_at(&a.c, i);
        if (a.u.rec[i] || on_team(team, cert)) continue;
        json_t *d = appointable(&a, sl, i, &err);
        if (!d) { json_decref(by); spot_fail_rule(e, err); goto done; }
        json_t *n = json_object_get(by, cert), *rec = json_array_get(a.c.elig, i);
        json_array_append_new(list, json_pack("{ss sO sO sO sO sI sO sO}", "cert_no", cert,
            "name", n ? json_object_get(n, "name") : json_null(), "org_name", n ? json_object_get(n, "org_name") : json_null(),
            "expertise", json_object_get(rec, "expertise") ? json_object_get(rec, "expertise") : json_null(),
            "is_expert", json_boolean(json_is_true(json_object_get(rec, "is_expert"))), "load", a.c.load[i],
            "ok", json_object_get(d, "ok") ? json_object_get(d, "ok") : json_false(),
            "reason", json_object_get(d, "reason") ? json_object_get(d, "reason") : json_string("")));
        json_decref(d);
    }
    json_decref(by);
    *out = json_pack("{ss sO sO sO sI so}", "uscc", uscc, "slot", json_object_get(sl, "slot"), "slot_label",
                     json_object_get(sl, "label"), "slot_reason", json_object_get(sl, "reason"), "open", slot_open(sl),
                     "candidates", list);
    list = NULL;
    rc = 0;
done:
    json_decref(list);
    json_decref(names);
    appoint_ctx_free(&a);
    return rc;
}

int teams_appoint(spot_ctx *sc, long long id, const char *uscc, json_t *in, json_t **out, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
    static const char *const fields[] = {"cert_no", "slot", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return -1;
    const char *cert = json_string_value(json_object_get(in, "cert_no"));
    json_t *js = json_object_get(in, "slot"), *jr = json_object_get(in, "reason");
    if (!cert || (js && !json_is_null(js) && !json_is_integer(js)) ||
        (jr && !json_is_null(jr) && !(json_is_string(jr) && json_string_length(jr) <= TEXT_MAX)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 cert_no（被委派人员的执法证号）；slot 为名额编号（可选），"
                                                        "reason 为不超过 %d 字节的委派说明（可选）", TEXT_MAX);
    const char *note = json_is_string(jr) ? json_string_value(jr) : "";
    json_int_t want = json_is_integer(js) ? json_integer_value(js) : -1;
    appoint_ctx a;
    int rc = -1;
    char *err = NULL, *why = NULL;
    json_t *leader = NULL, *lreason = NULL, *team = NULL, *org = NULL;
    /* 7.3, SPEC §10: the head of the unit's executing org appoints */
    if (taskorgs_may_decide(sc, id, uscc, e) != 1) return -1;
    if (result_fixed(sc, id, uscc, e) != 0) return -1;
    if (appoint_ctx_load(sc, id, uscc, &a, e) != 0) goto done;
    json_t *slots = json_object_get(a.row, "slots"), *sl = open_slot(slots, want);
    if (!sl) {
        spot_fail(e, SPOT_E_CONFLICT, "no_open_position", want >= 0 ? "该名额没有待委派的位置" : "该单位的检查组没有待委派的名额");
        goto done;
    }
    long long i = idx_of(&a.c, cert);
    if (i < 0) {
        spot_fail(e, SPOT_E_INVALID, "not_in_pool", "执法证号 %s 不在本任务锁定时确定的检查人员池中（须在职并持有在任务期间有效的执法证）",
                  cert);
        goto done;
    }
    if (on_team(json_object_get(a.row, "inspectors"), cert)) {
        spot_fail(e, SPOT_E_INVALID, "on_team", "执法证号 %s 已在该单位的检查组中", cert);
        goto done;
    }
    if (a.u.rec[i]) {
        spot_fail(e, SPOT_E_INVALID, "recused", "执法证号 %s 与该单位有利害关系，须回避，不能委派（第7.3条）", cert);
        goto done;
    }
    json_t *d = appointable(&a, sl, (size_t)i, &err);
    if (!d) { spot_fail_rule(e, err); goto done; }
    if (!json_is_true(json_object_get(d, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "appoint_refused", "%s（第%s条）", json_string_value(json_object_get(d, "reason")),
                  json_string_value(json_object_get(d, "clause")) ? json_string_value(json_object_get(d, "clause")) : "7.3");
        json_decref(d);
        goto done;
    }
    org = db_row(sc->db, &err, "SELECT name FROM orgs WHERE id = ?", "i", sc->user ? sc->user->org_id : 0);
    if (!org && err) { json_decref(d); spot_fail_db(e, "teams", err); goto done; }
    const char *org_name = org ? json_string_value(json_object_get(org, "name")) : "";
    why = *note ? xprintf("%s负责人直接委派：%s；%s", org_name, json_string_value(json_object_get(d, "reason")), note)
                : xprintf("%s负责人直接委派：%s", org_name, json_string_value(json_object_get(d, "reason")));
    json_decref(d);
    char at[32], obj[96];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld:%s", id, uscc);
    json_t *current = json_object_get(sl, "current");
    json_t *changes = json_object_get(sl, "appointments");
    if (!changes) { json_object_set_new(sl, "appointments", json_array()); changes = json_object_get(sl, "appointments"); }
    /* removed null: the position is added (the slot's members: current, then this) */
    json_array_append_new(changes, json_pack("{sI sn ss ss ss ss ss}", "position", (json_int_t)json_array_size(current),
                                             "removed", "replacement", cert, "reason", why, "by", ctx_actor(sc),
                                             "by_org", org_name, "at", at));
    json_array_append_new(current, json_string(cert));
    load_add(&a.c, cert, 1);
    team = team_of(slots);
    if (pick_leader(&a.c, team, a.u.unit, &leader, &lreason, &err) != 0) { spot_fail_rule(e, err); goto done; }
    json_int_t open = 0;
    size_t k;
    json_t *x;
    json_array_foreach(slots, k, x) open += slot_open(x);
    json_t *ad = json_pack("{ss sO ss ss sI}", "cert_no", cert, "slot", json_object_get(sl, "slot"), "reason", why,
                           "by_org", org_name, "open", open);
    /* the row as read: a concurrent change of the team (another appointment, a replacement) makes
     * this one a 409, never a lost update */
    int ok = db_begin(sc->db, &err) == 0;
    int n = ok ? db_run(sc->db, &err, "UPDATE task_teams SET inspectors = ?, leader = ?, leader_reason = ?, slots = ?, "
                                     "updated_at = ? WHERE task_id = ? AND uscc = ? AND updated_at = ?", "jjjjsiss", team, leader,
                        lreason, slots, at, id, uscc, json_string_value(json_object_get(a.row, "updated_at"))) : -1;
    ok = n == 1 && audit_log(sc->db, ctx_actor(sc), "team.appoint", obj, ad, &err) == 0 && db_commit(sc->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(sc->db)) db_rollback(sc->db);
        if (n == 0) spot_fail(e, SPOT_E_CONFLICT, "team_changed", "该检查组刚刚有变动，请刷新后重新委派");
        else spot_fail_db(e, "teams", err);
        goto done;
    }
    *out = json_pack("{ss sO ss ss sO sO sI}", "uscc", uscc, "slot", json_object_get(sl, "slot"), "cert_no", cert, "reason", why,
                     "inspectors", team, "leader", leader, "open", open);
    rc = 0;
done:
    free(why);
    json_decref(org);
    json_decref(team);
    json_decref(leader);
    json_decref(lreason);
    appoint_ctx_free(&a);
    return rc;
}

int teams_announce(sqlite3 *db, json_t *task, json_t *ann, char **err)
{
    json_t *seed = json_object_get(task, "team_seed");
    json_t *pool = json_object_get(task, "team_pool");
    if (json_is_array(pool))   /* committed at lock: every slot's pool is drawn from these */
        json_object_set_new(ann, "teams_pool", json_pack("{sO so}", "hash", json_object_get(task, "team_pool_hash"),
                                                         "inspectors", teampool_certs(pool)));
    /* v2 (issue 16): the team witness commitment and beacon source are public from the lock on. */
    const char *talg = json_string_value(json_object_get(task, "team_draw_algorithm"));
    int v2 = talg && !strcmp(talg, DRAW_ALGORITHM_V2);
    if (!json_is_string(seed)) {
        json_object_set(ann, "teams_commitment", json_object_get(task, "team_commitment"));
        if (v2) {
            json_object_set(ann, "teams_witness_commitment", json_object_get(task, "team_witness_commitment"));
            json_object_set(ann, "teams_beacon_source", json_object_get(task, "team_beacon_source"));
        }
        return 0;
    }
    json_object_set_new(ann, "teams_draw", json_pack("{ss sO sO sO sO}", "algorithm", v2 ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM,
        "commitment", json_object_get(task, "team_commitment"), "secret", json_object_get(task, "team_secret"), "witness",
        json_object_get(task, "team_witness"), "seed", seed));
    if (v2)
        json_object_update_missing_new(json_object_get(ann, "teams_draw"), json_pack("{sO sO sO}", "witness_commitment",
            json_object_get(task, "team_witness_commitment"), "beacon_source", json_object_get(task, "team_beacon_source"),
            "beacon", json_object_get(task, "team_beacon")));
    json_t *rows = team_rows(db, task, err);
    if (!rows) return -1;
    json_t *teams = json_array();
    size_t i, k;
    json_t *row, *s;
    json_array_foreach(rows, i, row) {
        json_t *slots = json_array();
        json_array_foreach(json_object_get(row, "slots"), k, s) {
            json_t *o = json_pack("{sO sO sO sO sO sO sO sO sO sO}", "slot", json_object_get(s, "slot"), "name",
                json_object_get(s, "name"), "label", json_object_get(s, "label"), "count", json_object_get(s, "count"),
                "method", json_object_get(s, "method"), "reason", json_object_get(s, "reason"),
                "pool", json_object_get(s, "pool"), "pool_hash", json_object_get(s, "pool_hash"),
                "picks", json_object_get(s, "picks"), "redraws", json_object_get(s, "redraws"));
            json_object_set(o, "appointed", json_object_get(s, "appointed"));
            json_t *apps = json_object_get(s, "appointments");
            if (apps) {   /* who appointed: the org, not the account (no personal data) */
                json_t *pub = json_array(), *ap;
                size_t j;
                json_array_foreach(apps, j, ap) {
                    json_t *c = json_copy(ap);
                    json_object_del(c, "by");
                    json_array_append_new(pub, c);
                }
                json_object_set_new(o, "appointments", pub);
            }
            if (json_object_get(s, "exhausted")) json_object_set(o, "exhausted", json_object_get(s, "exhausted"));
            json_array_append_new(slots, o);
        }
        json_array_append_new(teams, json_pack("{sO sO sO sO sO sO so sO}", "uscc", json_object_get(row, "uscc"),
            "method", json_object_get(row, "method"), "reason", json_object_get(row, "reason"), "inspectors",
            json_object_get(row, "inspectors"), "leader", json_object_get(row, "leader"), "leader_reason",
            json_object_get(row, "leader_reason"), "slots", slots, "rule_sha", json_object_get(row, "rule_sha")));
    }
    json_decref(rows);
    json_object_set_new(ann, "teams", teams);
    return 0;
}
