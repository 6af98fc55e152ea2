/* api_results.c: inspection results over HTTP (clauses 8.1-8.4, 9.1; SPEC §5). Each handler parses
 * the request, calls results.c and maps its spot_err through reply_err.
 *
 * Routes
 *   POST /api/tasks/{id}/results {uscc, category, summary, records:[{item_id, checkpoint_id,
 *        category?, finding, cert_no?}]}      inspector on that unit's team: creates (201) or replaces
 *        (200) the draft result of one unit (one combined record per unit, 8.2; the team is led by the
 *        task's lead unit). A record's cert_no defaults to the caller's. Changing a draft clears its
 *        signatures and any approval (back to draft). 409 once published (use a correction).
 *   GET  /api/tasks/{id}/results[?page=&per_page=&q=&uscc=&status=&mine=1][&format=xlsx]   staff of
 *        the task: results and dispatched units. With any of page, per_page (≤ 500, default 50), q
 *        (part of the USCC or name), uscc, status (none: no result yet; draft, signed: a draft every
 *        member has signed, awaiting review; approved, published)
 *        or mine=1 (units whose team the caller is on): one page of units in draw order (each with
 *        name, industry, region, address, legal_rep and its team), the
 *        results of those units and {total, page, per_page}; without them every unit (format=xlsx:
 *        every result as a workbook).
 *   GET  /api/tasks/{id}/units[?format=xlsx]     staff of the task: the drawn units (抽中名单) in draw
 *        order with their teams (format=xlsx: as a workbook).
 *   GET  /api/results/{id}                    staff of the task: the result with signatures, reviews,
 *        corrections, follow-ups, attachments, objections and its 9.1 deadline.
 *   POST /api/results/{id}/sign               an inspector on the team signs the current version.
 *   POST /api/results/{id}/review {approve, reason|opinion}   head (录入审核; a head, not a team
 *        member, so that nobody reviews their own record): approve needs every signature; a return
 *        needs a reason, sets the result back to draft and clears the signatures. All kept.
 *   POST /api/results/{id}/publish            an inspector on the team or a head ("谁检查、谁录入、
 *        谁公示"): needs every signature (409 unsigned), then the review (409 not_reviewed). Stores
 *        the deadline of deadlines.publication_due(task end) with its reason, clause and rule sha.
 *   POST /api/results/{id}/corrections {reason, changes:{category?, summary?, records?}}
 *        staff except auditors (inspectors only of that team): a pending correction (201).
 *   POST /api/results/{id}/corrections/{cid}/approve {note?}   head only, a second person (9.1): not
 *        the requester (403 own_request), not on the unit's team (403 own_team); it approves exactly
 *        what was requested (changes in the body: 422 changes_not_allowed; nothing to change: 422
 *        empty_correction). Then effective.
 *   POST /api/results/{id}/corrections/{cid}/reject {note}               head only.
 *   GET  /api/corrections?status=pending|approved|rejected&page=&per_page=   admin, planner, head:
 *        correction requests across results, newest first (result id, uscc, unit name, task id and
 *        name, reason, changes, source, requested_at/by, decision), so that a head finds the pending
 *        ones without opening every result.
 *   GET  /api/public/results?task=&year=&industry=&region|township=&category=&uscc=&q=&page=
 *        everyone: published results (q: the unit's USCC or name or the task's name, literally) with
 *        every approved correction applied and the list of corrections (date, reason, before, changes);
 *        no names or id numbers (cert_no only). The unit (USCC, name, industry, region) is the one
 *        fixed at publication (result_units), never looked up in the directory by USCC.
 */
#include "api_results.h"
#include "results.h"
#include "download.h"
#include "xlsx.h"

#include <string.h>

static const char *const RESULT_STATUS[] = {"draft", "草稿", "approved", "已审核", "published", "已公示", NULL};

/* The columns of a task's results as .xlsx. */
static const struct xcol result_cols[] = {
    {"id", "结果编号", XLSX_NUMBER, NULL, NULL},
    {"uscc", "统一社会信用代码", XLSX_TEXT, NULL, NULL},
    {"name", "单位名称", XLSX_TEXT, NULL, NULL},
    {"category_label", "检查结果", XLSX_TEXT, NULL, NULL},
    {"status", "状态", XLSX_TEXT, NULL, RESULT_STATUS},
    {"signed", "已签名人数", XLSX_NUMBER, NULL, NULL},
    {"team_size", "检查组人数", XLSX_NUMBER, NULL, NULL},
    {"deadline", "公示期限", XLSX_DATE, NULL, NULL},
    {"published_at", "公示时间", XLSX_DATE, NULL, NULL},
    {"published_late", "逾期公示", XLSX_TEXT, NULL, NULL},
    {"corrections", "已批准更正", XLSX_NUMBER, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

/* Replies status with v (stolen), or the error e when v is NULL. Returns 0. */
static int answer(req *r, int status, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, status, v) : reply_err(r, e);
}

static int h_enter(req *r)
{
    spot_err e;
    int created = 0;
    json_t *v = results_enter(&r->ctx, req_param_id(r, 0), r->json, &created, &e);
    return answer(r, created ? 201 : 200, v, &e);
}

static int h_task_results(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    results_query q = {0, 50, req_query(r, "q"), req_query(r, "uscc"), NULL, req_query(r, "status")};
    if (fmt == FMT_JSON) {   /* page, per_page, q, uscc, status or mine=1: one page of units */
        const char *mine = req_query(r, "mine");
        if (req_query(r, "page") && req_query_int(r, "page", 1, 1000000000LL, 1, &q.page) != 0) return 0;
        if (req_query_int(r, "per_page", 1, 500, 50, &q.per_page) != 0) return 0;
        if (mine && !strcmp(mine, "1")) q.cert = r->user ? r->user->cert_no : "";
        if (!q.page && (req_query(r, "per_page") || q.q || q.uscc || q.cert || q.status)) q.page = 1;
        if ((q.q && strlen(q.q) > 200) || (q.uscc && strlen(q.uscc) > 64))
            return reply_error(r, 400, "bad_parameter", "q 不超过 200 字节，uscc 不超过 64 字节");
    }
    spot_err e;
    json_t *v = results_of_task(&r->ctx, req_param_id(r, 0), &q, &e);
    if (!v || fmt == FMT_JSON) return answer(r, 200, v, &e);
    reply_items_xlsx(r, json_object_get(v, "results"), result_cols, "task-results", "检查结果");
    json_decref(v);
    return 0;
}

/* The columns of a task's drawn units (抽中名单) as .xlsx. */
static const struct xcol unit_cols[] = {
    {"uscc", "统一社会信用代码", XLSX_TEXT, NULL, NULL},
    {"name", "单位名称", XLSX_TEXT, NULL, NULL},
    {"region", "行政区划", XLSX_TEXT, NULL, NULL},
    {"industry", "行业类别", XLSX_TEXT, NULL, NULL},
    {"inspectors", "检查人员（执法证号）", XLSX_TEXT, NULL, NULL},
    {"leader", "组长（执法证号）", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

/* GET /api/tasks/{id}/units[?format=xlsx]: the task's drawn units in draw order with their teams. */
static int h_task_units(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    spot_err e;
    json_t *v = results_of_task(&r->ctx, req_param_id(r, 0), NULL, &e);
    if (!v) return reply_err(r, &e);
    if (fmt == FMT_JSON) {
        json_t *out = json_pack("{sO}", "units", json_object_get(v, "units"));
        json_decref(v);
        return reply_json(r, 200, out);
    }
    reply_items_xlsx(r, json_object_get(v, "units"), unit_cols, "task-units", "抽中名单");
    json_decref(v);
    return 0;
}

static int h_get(req *r)
{
    spot_err e;
    return answer(r, 200, results_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_sign(req *r)
{
    spot_err e;
    return answer(r, 200, results_sign(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_review(req *r)
{
    spot_err e;
    return answer(r, 200, results_review(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_publish(req *r)
{
    spot_err e;
    return answer(r, 200, results_publish(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_correction(req *r)
{
    spot_err e;
    return answer(r, 201, results_request_correction(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

static int h_correction_approve(req *r)
{
    spot_err e;
    return answer(r, 200, results_decide_correction(&r->ctx, req_param_id(r, 0), req_param_id(r, 1), r->json, 1, &e), &e);
}

static int h_correction_reject(req *r)
{
    spot_err e;
    return answer(r, 200, results_decide_correction(&r->ctx, req_param_id(r, 0), req_param_id(r, 1), r->json, 0, &e), &e);
}

static int h_corrections(req *r)
{
    spot_err e;
    json_t *v = results_corrections(&r->ctx, req_query(r, "status"), req_query(r, "page"), req_query(r, "per_page"), &e);
    return answer(r, 200, v, &e);
}

static int h_public(req *r)
{
    spot_err e;
    const char *region = req_query(r, "region");
    if (!region) region = req_query(r, "township");   /* a county's 行政区划 is its township */
    results_public_query q = {req_query(r, "task"), req_query(r, "year"), req_query(r, "industry"),
                              region, req_query(r, "category"), req_query(r, "page"), req_query(r, "uscc"),
                              req_query(r, "q")};
    return answer(r, 200, results_public(&r->ctx, &q, &e), &e);
}

const struct route results_routes[] = {
    {"POST", "/api/tasks/{id}/results", ROLE_INSPECTOR, h_enter},
    {"GET", "/api/tasks/{id}/results", ROLE_STAFF, h_task_results},
    {"GET", "/api/tasks/{id}/units", ROLE_STAFF, h_task_units},
    {"GET", "/api/results/{id}", ROLE_STAFF, h_get},
    {"POST", "/api/results/{id}/sign", ROLE_INSPECTOR, h_sign},
    {"POST", "/api/results/{id}/review", ROLE_HEAD, h_review},
    {"POST", "/api/results/{id}/publish", ROLE_INSPECTOR | ROLE_HEAD, h_publish},
    {"POST", "/api/results/{id}/corrections", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_correction},
    {"POST", "/api/results/{id}/corrections/{cid}/approve", ROLE_HEAD, h_correction_approve},
    {"POST", "/api/results/{id}/corrections/{cid}/reject", ROLE_HEAD, h_correction_reject},
    {"GET", "/api/corrections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_corrections},
    {"GET", "/api/public/results", ROLE_PUBLIC, h_public},
    {0},
};
