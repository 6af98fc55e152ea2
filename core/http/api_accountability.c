/* api_accountability.c: accountability (clauses 10.1, 10.2) over HTTP.
 *
 * Routes
 *   GET  /api/accountability[?today=YYYY-MM-DD]   auditor, head, admin: {today, situations:[{kind,
 *        object, reason, clause, level, exempted, exemption}], exemptions, rule_sha}. today defaults
 *        to the bureau's date (a past or future date shows the situations as of that day).
 *   POST /api/accountability/exemptions {kind, object, code, reason}   head, admin: records a 10.2
 *        exemption (201) when accountability.exempt(kind, code) allows it, with the rule's reason,
 *        clause and sha; 422 exemption_refused otherwise. object is "task:N", "referral:N" or
 *        "objection:N" and must exist.
 */
#include "api_accountability.h"
#include "accountability.h"

static int h_list(req *r)
{
    spot_err e;
    json_t *v = accountability_situations(&r->ctx, req_query(r, "today"), &e);
    return v ? reply_json(r, 200, v) : reply_err(r, &e);
}

static int h_exempt(req *r)
{
    spot_err e;
    json_t *v = accountability_exempt(&r->ctx, r->json, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

const struct route accountability_routes[] = {
    {"GET", "/api/accountability", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_list},
    {"POST", "/api/accountability/exemptions", ROLE_ADMIN | ROLE_HEAD, h_exempt},
    {0},
};
