/* api_plans.c: the annual plan (6.1) over HTTP. Each handler parses the request, calls plans.c and
 * maps its spot_err through reply_err; a plan the plans rule refuses answers 422 plan_invalid with
 * the rule's problems (each with reason and clause).
 *
 * Routes
 *   GET  /api/plans?year=                     staff: plans, newest first.
 *   POST /api/plans {year, name, scope, ratios, schedule, estimated_count, joint_checks?, tasks?,
 *        filed_at?, filed_with?}              admin, planner: a draft plan (201).
 *   GET  /api/plans/{id}                      staff: the plan with its adjustments.
 *   PUT  /api/plans/{id} {changed fields, reason}   admin, planner: an adjustment (reason required
 *        once published); the previous version is kept.
 *   POST /api/plans/{id}/publish              admin, planner, head (409 already_published).
 *   GET  /api/public/plans                    everyone: published plans and public adjustments.
 */
#include "api_plans.h"
#include "plans.h"

/* Replies status with v (stolen); or 422 with problems (stolen) when the rule refused the plan;
 * or the error e. Returns 0. */
static int answer(req *r, int status, json_t *v, json_t *problems, const spot_err *e)
{
    if (v) return reply_json(r, status, v);
    if (problems)
        return reply_json(r, 422, json_pack("{ss ss so}", "error", e->code, "message", e->message, "problems", problems));
    return reply_err(r, e);
}

static int h_list(req *r)
{
    spot_err e;
    return answer(r, 200, plans_list(&r->ctx, req_query(r, "year"), &e), NULL, &e);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *problems = NULL;
    json_t *v = plans_create(&r->ctx, r->json, &problems, &e);
    return answer(r, 201, v, problems, &e);
}

static int h_get(req *r)
{
    spot_err e;
    return answer(r, 200, plans_get(&r->ctx, req_param_id(r, 0), &e), NULL, &e);
}

/* PUT /api/plans/{id}: changed fields plus "reason" (required once published). */
static int h_put(req *r)
{
    long long id = req_param_id(r, 0);
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *problems = NULL;
    json_t *v = plans_adjust(&r->ctx, id, r->json, &problems, &e);
    return answer(r, 200, v, problems, &e);
}

static int h_publish(req *r)
{
    spot_err e;
    json_t *problems = NULL;
    json_t *v = plans_publish(&r->ctx, req_param_id(r, 0), &problems, &e);
    return answer(r, 200, v, problems, &e);
}

static int h_public(req *r)
{
    spot_err e;
    return answer(r, 200, plans_public(&r->ctx, &e), NULL, &e);
}

const struct route plans_routes[] = {
    {"GET", "/api/plans", ROLE_STAFF, h_list},
    {"POST", "/api/plans", ROLE_ADMIN | ROLE_PLANNER, h_create},
    {"GET", "/api/plans/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/plans/{id}", ROLE_ADMIN | ROLE_PLANNER, h_put},
    {"POST", "/api/plans/{id}/publish", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_publish},
    {"GET", "/api/public/plans", ROLE_PUBLIC, h_public},
    {0},
};
