/* api_followups.c: follow-up of a result's problems over HTTP (clause 9.2).
 *
 * Routes
 *   POST /api/results/{id}/followups {kind, note, due_date?, found_date?}   staff except auditors
 *        (inspectors only of that unit's team): kind rectification (责令改正; due_date required,
 *        state "ordered"), pending_case (待后续处理; state "open") or referral (涉嫌犯罪移送;
 *        found_date, default today; state "found"). 201.
 *   PUT  /api/followups/{id} {state, note, date?, receiving_unit?, due_date?}   the same people: a
 *        state change with its note, kept in followup_history. A referral becomes "referred" only
 *        with the date and the receiving police unit; "closed" is final and needs a note.
 *   GET  /api/followups/{id}                  staff of the task: the follow-up with its history.
 */
#include "api_followups.h"
#include "followups.h"

static int h_create(req *r)
{
    spot_err e;
    json_t *v = followups_create(&r->ctx, req_param_id(r, 0), r->json, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

static int h_get(req *r)
{
    spot_err e;
    json_t *v = followups_get(&r->ctx, req_param_id(r, 0), &e);
    return v ? reply_json(r, 200, v) : reply_err(r, &e);
}

static int h_update(req *r)
{
    spot_err e;
    json_t *v = followups_update(&r->ctx, req_param_id(r, 0), r->json, &e);
    return v ? reply_json(r, 200, v) : reply_err(r, &e);
}

const struct route followups_routes[] = {
    {"POST", "/api/results/{id}/followups", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_create},
    {"GET", "/api/followups/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/followups/{id}", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_update},
    {0},
};
