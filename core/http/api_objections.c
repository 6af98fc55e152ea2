/* api_objections.c: objections to published results over HTTP (clause 9.2).
 *
 * Routes
 *   POST /api/objections {result_id, received, text, applicant?}   admin, planner, head: registers an
 *        objection to a published result (201); review deadline = deadlines.objection_review_due
 *        (received), stored with its reason, clause, warning and rule sha. received may not be in
 *        the future.
 *   GET  /api/objections[?status=]              staff: list with deadlines and warning levels; an
 *        inspector sees only the objections of tasks with them on a team.
 *   GET  /api/objections/{id}                   staff: one objection (403 for an inspector on none of
 *        the task's teams).
 *   POST /api/objections/{id}/decide {decision: upheld|rejected, reason, decided, changes?}   head:
 *        feedback deadline = deadlines.feedback_due(decided). upheld (异议成立) opens a pending
 *        correction of the result (source "objection", with the decision's reason and the optional
 *        changes) that a head approves like any other correction.
 *   POST /api/objections/{id}/feedback {sent}   admin, planner, head: the date feedback was given.
 */
#include "api_objections.h"
#include "objections.h"

static int answer(req *r, int status, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, status, v) : reply_err(r, e);
}

static int h_create(req *r)
{
    spot_err e;
    return answer(r, 201, objections_create(&r->ctx, r->json, &e), &e);
}

static int h_list(req *r)
{
    spot_err e;
    return answer(r, 200, objections_list(&r->ctx, req_query(r, "status"), &e), &e);
}

static int h_get(req *r)
{
    spot_err e;
    return answer(r, 200, objections_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_decide(req *r)
{
    spot_err e;
    return answer(r, 200, objections_decide(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_feedback(req *r)
{
    spot_err e;
    return answer(r, 200, objections_feedback(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

const struct route objections_routes[] = {
    {"POST", "/api/objections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_create},
    {"GET", "/api/objections", ROLE_STAFF, h_list},
    {"GET", "/api/objections/{id}", ROLE_STAFF, h_get},
    {"POST", "/api/objections/{id}/decide", ROLE_HEAD, h_decide},
    {"POST", "/api/objections/{id}/feedback", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_feedback},
    {0},
};
