/* api_tasks.c: tasks and their verifiable draw over HTTP (clauses 6.2, 7.1, 7.2; SPEC §4). Each
 * handler parses the request, calls tasks.c and maps its spot_err through reply_err.
 *
 * Routes
 *   GET  /api/tasks?status=&year=&page=&per_page=   staff: tasks, newest first, a page at a time
 *        (per_page 1-200, default 100): {tasks, total, page, per_page}.
 *   POST /api/tasks {plan_id?, name, item_ids?, mode, filters?, directed?, directed_reason?,
 *        lead_unit?, joint_units?, start_date, end_date, team_size?, require_expert?,
 *        required_level?, workload_cap?}       admin, planner: a draft task (201).
 *   GET  /api/tasks/{id}                       staff: the task with strata and draws.
 *   PUT  /api/tasks/{id} {as POST}             admin, lead org's planner: edits a draft task (409
 *        not_draft once frozen, cancelled); audited with the task before and the body.
 *   POST /api/tasks/{id}/cancel {reason}       admin, lead org's planner: cancels a draft task
 *        (reason required); GET /api/tasks?status=cancelled lists the cancelled ones.
 *   GET  /api/tasks/{id}/excluded?page=        staff: excluded units with reason, clause, rule sha.
 *   POST /api/tasks/{id}/freeze {reason?, witness?, beacon_source?}   admin, planner: freeze the
 *        candidates (a re-freeze needs a reason; 409 once drawn or dispatched). Draw algorithm v2
 *        (SPEC §12): witness (only its SHA-256 is stored) and beacon_source; without them 422
 *        v2_required unless the rules allow v1.
 *   POST /api/tasks/{id}/draw {witness?, beacon?, reason?}   admin, planner: draw; a redraw needs a
 *        reason; v2: 422 witness_mismatch when SHA-256(witness) is not the freeze's commitment.
 *   POST /api/tasks/{id}/lock {witness?, beacon_source?}   admin, planner, head: dispatch; the
 *        team draw's v2 commitment as for the freeze; replies the announcement.
 *   POST /api/tasks/{id}/join {item_ids, org_id?}   admin, planner: the caller's org joins a draft
 *        task of another org with its items (8.2, SPEC §10).
 *   GET  /api/inbox?page=&org_id=&mine=       staff: units executed by the caller's org or of joint
 *        tasks it takes part in; mine=1: only those whose team the caller is on.
 * Planners act only on tasks their org leads; staff other than admin and auditor see only the tasks
 * their org leads, joins or executes (taskorgs.h).
 */
#include "api_tasks.h"
#include "taskorgs.h"
#include "tasks.h"

/* Replies status with *out (stolen) when rc is 0, else the error e. Returns 0. */
static int answer(req *r, int status, int rc, json_t *out, const spot_err *e)
{
    return rc == 0 ? reply_json(r, status, out) : reply_err(r, e);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_create(&r->ctx, r->json, &out, &e);
    return answer(r, 201, rc, out, &e);
}

static int h_list(req *r)
{
    spot_err e;
    json_t *out = NULL;
    long long page, per_page;
    if (req_query_int(r, "page", 1, 1000000LL, 1, &page) != 0 || req_query_int(r, "per_page", 1, 200, 100, &per_page) != 0)
        return 0;
    int rc = tasks_list(&r->ctx, req_query(r, "status"), req_query(r, "year"), page, per_page, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_get(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_get(&r->ctx, req_param_id(r, 0), &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_excluded(req *r)
{
    long long page;
    if (req_query_int(r, "page", 1, 1000000000LL, 1, &page) != 0) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_excluded(&r->ctx, req_param_id(r, 0), page, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_freeze(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_freeze(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_draw(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_draw(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_lock(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_lock(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_update(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_update(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_cancel(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = tasks_cancel(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_join(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = taskorgs_join(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_inbox(req *r)
{
    long long page, org, mine;
    if (req_query_int(r, "page", 1, 1000000LL, 1, &page) != 0 || req_query_int(r, "org_id", 0, 1LL << 50, 0, &org) != 0 ||
        req_query_int(r, "mine", 0, 1, 0, &mine) != 0)
        return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = taskorgs_inbox(&r->ctx, org, (int)mine, page, &out, &e);
    return answer(r, 200, rc, out, &e);
}

const struct route tasks_routes[] = {
    {"GET", "/api/tasks", ROLE_STAFF, h_list},
    {"POST", "/api/tasks", ROLE_ADMIN | ROLE_PLANNER, h_create},
    {"GET", "/api/tasks/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/tasks/{id}", ROLE_ADMIN | ROLE_PLANNER, h_update},
    {"POST", "/api/tasks/{id}/cancel", ROLE_ADMIN | ROLE_PLANNER, h_cancel},
    {"GET", "/api/tasks/{id}/excluded", ROLE_STAFF, h_excluded},
    {"POST", "/api/tasks/{id}/freeze", ROLE_ADMIN | ROLE_PLANNER, h_freeze},
    {"POST", "/api/tasks/{id}/draw", ROLE_ADMIN | ROLE_PLANNER, h_draw},
    {"POST", "/api/tasks/{id}/lock", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_lock},
    {"POST", "/api/tasks/{id}/join", ROLE_ADMIN | ROLE_PLANNER, h_join},
    {"GET", "/api/inbox", ROLE_STAFF, h_inbox},
    {0},
};
