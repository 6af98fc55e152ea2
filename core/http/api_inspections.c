/* api_inspections.c: the inspection record of a unit and incidents over HTTP (SPEC §11; 4.3, 6.2,
 * 10.2). Domain: core/domain/inspections.c.
 *
 * Routes
 *   GET  /api/inspections?uscc=                  staff: the unit's whole inspection record (4.3 cases
 *        entered here and the draws of dispatched tasks), newest first.
 *   POST /api/inspections {uscc, case, basis, date, inspectors?, summary?}   admin, planner, head,
 *        inspector: records an inspection outside the random regime (4.3 case a-e) (201).
 *   POST /api/inspections/{id}/close {date}      admin, planner, head: the case ended.
 *   GET  /api/incidents, GET /api/incidents/{id} staff: incidents (10.2), one with the rule's review
 *        (the inspections before it and the grounds a-e).
 *   POST /api/incidents {uscc, date, description}  admin, planner, head: records an accident or a
 *        problem found at a unit (201).
 *   POST /api/incidents/{id}/ground {ground, explanation}  admin, planner, inspector, head: claims a
 *        10.2 ground.
 *   POST /api/incidents/{id}/decide {decision, reason}     head (not the claimant): decides it.
 */
#include "api_inspections.h"
#include "inspections.h"

static int answer(req *r, int status, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, status, v) : reply_err(r, e);
}

static int h_unit(req *r)
{
    spot_err e;
    return answer(r, 200, inspections_of_unit(&r->ctx, req_query(r, "uscc"), &e), &e);
}

static int h_create(req *r)
{
    spot_err e;
    return answer(r, 201, inspections_create(&r->ctx, r->json, &e), &e);
}

static int h_close(req *r)
{
    spot_err e;
    return answer(r, 200, inspections_close(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_incidents(req *r)
{
    spot_err e;
    return answer(r, 200, incidents_list(&r->ctx, &e), &e);
}

static int h_incident(req *r)
{
    spot_err e;
    return answer(r, 200, incidents_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_incident_create(req *r)
{
    spot_err e;
    return answer(r, 201, incidents_create(&r->ctx, r->json, &e), &e);
}

static int h_claim(req *r)
{
    spot_err e;
    return answer(r, 200, incidents_claim(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_decide(req *r)
{
    spot_err e;
    return answer(r, 200, incidents_decide(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

const struct route inspections_routes[] = {
    {"GET", "/api/inspections", ROLE_STAFF, h_unit},
    {"POST", "/api/inspections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_INSPECTOR, h_create},
    {"POST", "/api/inspections/{id}/close", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_close},
    {"GET", "/api/incidents", ROLE_STAFF, h_incidents},
    {"POST", "/api/incidents", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_incident_create},
    {"GET", "/api/incidents/{id}", ROLE_STAFF, h_incident},
    {"POST", "/api/incidents/{id}/ground", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_claim},
    {"POST", "/api/incidents/{id}/decide", ROLE_HEAD, h_decide},
    {0},
};
