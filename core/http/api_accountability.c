/* api_accountability.c: accountability (clauses 10.1, 10.2) over HTTP.
 *
 * Routes
 *   GET  /api/accountability[?today=YYYY-MM-DD]   auditor, head, admin: {today, situations:[{kind,
 *        object, reason, clause, level, exempted, exemption}], exemptions, rule_sha}. today defaults
 *        to the bureau's date (a past or future date shows the situations as of that day).
 *        format=xlsx: the situations as a workbook.
 *   POST /api/accountability/situations {object?, reason}   auditor, head, admin: records a 10.1 (五)
 *        situation by hand (201): listed as kind "other" (object "record:N") until closed; the reply
 *        of GET /api/accountability lists the recorded ones, open and closed, as "records".
 *   POST /api/accountability/situations/{id}/close {reason}   head, admin: closes one (409 if closed).
 *   POST /api/accountability/exemptions {kind, object, code, reason}   head, admin: records a 10.2
 *        exemption (201) when accountability.exempt(kind, code) allows it, with the rule's reason,
 *        clause and sha; 422 exemption_refused otherwise. object is "task:N", "referral:N",
 *        "objection:N" or "record:N" and must exist.
 */
#include "api_accountability.h"
#include "accountability.h"
#include "download.h"
#include "xlsx.h"

/* The columns of the accountability situations as .xlsx; the situation's words come from the rule
 * through the meta reply (accountability_kinds). */
static const struct xcol situation_cols[] = {
    {"kind", "情形", XLSX_TEXT, "accountability_kinds", NULL},
    {"object", "对象", XLSX_TEXT, NULL, NULL},
    {"reason", "说明", XLSX_TEXT, NULL, NULL},
    {"clause", "条款", XLSX_TEXT, NULL, NULL},
    {"exempted", "已免责", XLSX_TEXT, NULL, NULL},
    {"exemption.reason", "免责理由", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static int h_list(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    spot_err e;
    json_t *v = accountability_situations(&r->ctx, req_query(r, "today"), &e);
    if (!v) return reply_err(r, &e);
    if (fmt == FMT_JSON) return reply_json(r, 200, v);
    reply_items_xlsx(r, json_object_get(v, "situations"), situation_cols, "accountability", "责任追究情形");
    json_decref(v);
    return 0;
}

static int h_exempt(req *r)
{
    spot_err e;
    json_t *v = accountability_exempt(&r->ctx, r->json, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

static int h_record(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *v = accountability_record(&r->ctx, r->json, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

static int h_record_close(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *v = accountability_record_close(&r->ctx, req_param_id(r, 0), r->json, &e);
    return v ? reply_json(r, 200, v) : reply_err(r, &e);
}

const struct route accountability_routes[] = {
    {"GET", "/api/accountability", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_list},
    {"POST", "/api/accountability/exemptions", ROLE_ADMIN | ROLE_HEAD, h_exempt},
    {"POST", "/api/accountability/situations", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_record},
    {"POST", "/api/accountability/situations/{id}/close", ROLE_ADMIN | ROLE_HEAD, h_record_close},
    {0},
};
