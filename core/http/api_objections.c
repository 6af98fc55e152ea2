/* api_objections.c: objections to published results over HTTP (clause 9.2).
 *
 * Routes
 *   POST /api/objections {result_id, received, text, applicant?}   admin, planner, head: registers an
 *        objection to a published result (201); review deadline = deadlines.objection_review_due
 *        (received), stored with its reason, clause, warning and rule sha. received may not be in
 *        the future.
 *   GET  /api/objections[?status=&q=&page=&per_page=][&format=xlsx]   staff: one page (per_page ≤ 500,
 *        default 50) of objections, newest first, with deadlines and warning levels, {total, page,
 *        per_page}; q: part of the unit's USCC or name or the applicant. An inspector sees only the
 *        objections of tasks with them on a team. format=xlsx: every matching objection as a workbook.
 *   GET  /api/objections/{id}                   staff: one objection (403 for an inspector on none of
 *        the task's teams).
 *   POST /api/objections/{id}/decide {decision: upheld|rejected, reason, decided, changes?}   head:
 *        feedback deadline = deadlines.feedback_due(decided). upheld (异议成立) opens a pending
 *        correction of the result (source "objection", with the decision's reason and the optional
 *        changes) that a head approves like any other correction.
 *   POST /api/objections/{id}/feedback {sent}   admin, planner, head: the date feedback was given.
 *   POST /api/public/objections {uscc, code, text, applicant, contact?, attachments?}   anyone
 *        (the inspected unit, with the one-time code of its 随机抽查通知书): files an objection online
 *        (201), received today; JSON only (415 otherwise, so no cross-site form can post it); a wrong
 *        USCC or code is refused alike (403 bad_code), ten lock the unit's codes for an hour (429).
 */
#include "api_objections.h"
#include "objections.h"
#include "download.h"
#include "xlsx.h"

#include <string.h>
#include <strings.h>

static const char *const OBJECTION_STATUS[] = {"received", "已受理", "decided", "已决定", "closed", "已反馈", NULL};
static const char *const OBJECTION_SOURCE[] = {"staff", "书面提出", "online", "网上提出", NULL};
static const char *const OBJECTION_DECISION[] = {"upheld", "异议成立", "rejected", "异议不成立", NULL};

/* The columns of the objection list as .xlsx. */
static const struct xcol objection_cols[] = {
    {"id", "异议编号", XLSX_NUMBER, NULL, NULL},
    {"result_id", "检查结果编号", XLSX_NUMBER, NULL, NULL},
    {"applicant", "异议人", XLSX_TEXT, NULL, NULL},
    {"received", "收到日期", XLSX_DATE, NULL, NULL},
    {"text", "异议内容", XLSX_TEXT, NULL, NULL},
    {"source", "提出方式", XLSX_TEXT, NULL, OBJECTION_SOURCE},
    {"status", "状态", XLSX_TEXT, NULL, OBJECTION_STATUS},
    {"review_due", "复核期限", XLSX_DATE, NULL, NULL},
    {"decision", "复核决定", XLSX_TEXT, NULL, OBJECTION_DECISION},
    {"decision_reason", "决定理由", XLSX_TEXT, NULL, NULL},
    {"decided", "决定日期", XLSX_DATE, NULL, NULL},
    {"feedback_due", "反馈期限", XLSX_DATE, NULL, NULL},
    {"feedback_sent", "反馈日期", XLSX_DATE, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

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
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    long long page = 1, per_page = 1LL << 40;   /* a workbook holds every objection */
    const char *q = req_query(r, "q");
    if (fmt == FMT_JSON && (req_query_int(r, "page", 1, 1000000000LL, 1, &page) != 0 ||
                            req_query_int(r, "per_page", 1, 500, 50, &per_page) != 0)) return 0;
    if (q && strlen(q) > 200) return reply_error(r, 400, "bad_parameter", "q 不超过 200 字节");
    spot_err e;
    json_t *v = objections_list(&r->ctx, req_query(r, "status"), q, page, per_page, &e);
    if (!v || fmt == FMT_JSON) return answer(r, 200, v, &e);
    reply_items_xlsx(r, json_object_get(v, "objections"), objection_cols, "objections", "异议处理");
    json_decref(v);
    return 0;
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

static int h_file_online(req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16))
        return reply_error(r, 415, "unsupported_media_type", "请以 JSON（application/json）提交异议");
    spot_err e;
    return answer(r, 201, objections_file_online(&r->ctx, r->json, &e), &e);
}

const struct route objections_routes[] = {
    {"POST", "/api/public/objections", ROLE_PUBLIC, h_file_online},
    {"POST", "/api/objections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_create},
    {"GET", "/api/objections", ROLE_STAFF, h_list},
    {"GET", "/api/objections/{id}", ROLE_STAFF, h_get},
    {"POST", "/api/objections/{id}/decide", ROLE_HEAD, h_decide},
    {"POST", "/api/objections/{id}/feedback", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_feedback},
    {0},
};
