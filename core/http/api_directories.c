/* api_directories.c: HTTP for the directories: parses the request (path reference, query
 * parameters, body), calls the directory engine (domain/directory.c) or the import, and replies
 * with its result or its spot_err. */
#include "api_directories.h"
#include "csvimport.h"
#include "download.h"
#include "enterprises.h"
#include "inspectors.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sets q[key] to the query argument key if present. A value that is not UTF-8 text replies 400
 * (quoting it, cleaned) and returns -1: a filter is never silently dropped. */
static int query_put(req *r, json_t *q, const char *key)
{
    const char *v = req_query(r, key);
    if (!v) return 0;
    json_t *s = json_string(v);
    if (!s) return reply_error(r, 400, "bad_parameter", "查询参数 %s 的取值无效：%s", key, v), -1;
    json_object_set_new(q, key, s);
    return 0;
}

/* The query parameters a list or export reads (dir_list_params and the kind's filters) as a new
 * object of strings, or NULL after replying 400. */
static json_t *query_of(req *r, const dir_kind *k)
{
    json_t *q = json_object();
    for (const char *const *p = dir_list_params; *p; p++)
        if (query_put(r, q, *p)) goto bad;
    for (const struct dir_filter *df = k->filters; df->param; df++)
        if (query_put(r, q, df->param)) goto bad;
    return q;
bad:
    json_decref(q);
    return NULL;
}

static const char *ref_of(req *r)
{
    return r->nparams > 0 ? r->params[0] : "";
}

/* The whole filtered directory as a file (fmt FMT_CSV or FMT_XLSX) named after the kind. */
static int dir_file_h(req *r, const dir_kind *k, int fmt, json_t *q)
{
    spot_err e;
    size_t len = 0;
    char *data = dir_export(&r->ctx, k, q, fmt == FMT_XLSX, &len, &e);
    if (!data) return reply_err(r, &e);
    int inspectors = k == &inspector_kind;
    reply_download(r, fmt, inspectors ? "inspectors" : "enterprises", inspectors ? "检查人员名录" : "检查对象名录",
                   data, len);
    free(data);
    return 0;
}

static int dir_list_h(req *r, const dir_kind *k)
{
    long long page, per_page;
    int fmt = req_format(r, 1);
    if (fmt < 0) return 0;
    if (req_query_int(r, "page", 1, 1000000000LL, 1, &page) || req_query_int(r, "per_page", 1, 500, 50, &per_page))
        return 0;
    json_t *q = query_of(r, k);
    if (!q) return 0;
    if (fmt != FMT_JSON) {
        dir_file_h(r, k, fmt, q);
        json_decref(q);
        return 0;
    }
    spot_err e;
    size_t len = 0;
    char *text = dir_list(&r->ctx, k, q, page, per_page, &len, &e);
    json_decref(q);
    if (!text) return reply_err(r, &e);
    reply_bytes(r, 200, "application/json; charset=utf-8", text, len);
    free(text);
    return 0;
}

/* GET …/export: CSV unless format=xlsx. */
static int dir_export_h(req *r, const dir_kind *k)
{
    int fmt = req_format(r, 1);
    if (fmt < 0) return 0;
    json_t *q = query_of(r, k);
    if (!q) return 0;
    dir_file_h(r, k, fmt == FMT_XLSX ? FMT_XLSX : FMT_CSV, q);
    json_decref(q);
    return 0;
}

static int reply_or_err(req *r, int status, json_t *out, const spot_err *e)
{
    return out ? reply_json(r, status, out) : reply_err(r, e);
}

static int dir_get_h(req *r, const dir_kind *k)
{
    spot_err e;
    return reply_or_err(r, 200, dir_get(&r->ctx, k, ref_of(r), &e), &e);
}

static int dir_history_h(req *r, const dir_kind *k)
{
    spot_err e;
    return reply_or_err(r, 200, dir_history(&r->ctx, k, ref_of(r), &e), &e);
}

static int dir_create_h(req *r, const dir_kind *k)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 201, dir_create(&r->ctx, k, r->json, &e), &e);
}

static int dir_update_h(req *r, const dir_kind *k)
{
    spot_err e;
    long long id = dir_resolve(&r->ctx, k, ref_of(r));
    if (id < 0) return reply_error(r, 404, "not_found", "没有这个%s", k->what);
    if (req_require_object(r)) return 0;
    return reply_or_err(r, 200, dir_update(&r->ctx, k, ref_of(r), r->json, &e), &e);
}

/* Checks the Content-Type of an uploaded directory file (CSV or .xlsx); replies 415 and returns -1
 * when it is something else. */
static int upload_type_ok(req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "text/csv", 8) && strncasecmp(ct, "text/plain", 10) &&
        strncasecmp(ct, "application/octet-stream", 24) && strncasecmp(ct, "application/vnd.ms-excel", 24) &&
        strncasecmp(ct, XLSX_MIME, strlen(XLSX_MIME))) {
        reply_error(r, 415, "unsupported_media_type", "请上传 CSV 文件（text/csv）或 Excel 工作簿（.xlsx）");
        return -1;
    }
    return 0;
}

static int dir_import_h(req *r, const dir_kind *k)
{
    if (upload_type_ok(r)) return 0;
    if (!r->body_len) return reply_error(r, 400, "bad_request", "文件为空");
    spot_err e;
    return reply_or_err(r, 200, directory_import(&r->ctx, k, r->body, r->body_len, &e), &e);
}

/* GET …/import/template: the import template, .xlsx unless format=csv. */
static int dir_template_h(req *r, const dir_kind *k)
{
    int fmt = req_format(r, 1);
    if (fmt < 0) return 0;
    fmt = fmt == FMT_CSV ? FMT_CSV : FMT_XLSX;
    spot_err e;
    size_t len = 0;
    char *data = import_template(&r->ctx, k, fmt == FMT_XLSX, &len, &e);
    if (!data) return reply_err(r, &e);
    int inspectors = k == &inspector_kind;
    reply_download(r, fmt, inspectors ? "inspectors-template" : "enterprises-template",
                   inspectors ? "检查人员导入模板" : "检查对象导入模板", data, len);
    free(data);
    return 0;
}

#define MAX_PICKED 10000

/* Parses lines= ("3,5,9-12": line numbers and ranges) into out (at most MAX_PICKED). Returns the
 * count, or -1 after replying 400. */
static int parse_lines(req *r, long *out)
{
    const char *s = req_query(r, "lines");
    int n = 0;
    if (!s || !*s) return reply_error(r, 400, "bad_parameter", "缺少查询参数 lines（被拒绝的行号）"), -1;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 1 || a > 100000000L) goto bad;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a || b > 100000000L) goto bad;
        }
        for (long v = a; v <= b; v++) {
            if (n == MAX_PICKED)
                return reply_error(r, 400, "bad_parameter", "行号过多（最多 %d 行）", MAX_PICKED), -1;
            out[n++] = v;
        }
        if (*end == ',') end++;
        else if (*end) goto bad;
        s = end;
    }
    return n;
bad:
    reply_error(r, 400, "bad_parameter", "查询参数 lines 应为以逗号分隔的行号或行号范围，例如 3,5,9-12");
    return -1;
}

/* POST …/import/rejected?lines=…: the rows of the uploaded file on those lines (the import's
 * rejections) with its header, .xlsx unless format=csv. Imports nothing. */
static int dir_rejected_h(req *r, const dir_kind *k)
{
    int fmt = req_format(r, 1);
    if (fmt < 0 || upload_type_ok(r)) return 0;
    fmt = fmt == FMT_CSV ? FMT_CSV : FMT_XLSX;
    if (!r->body_len) return reply_error(r, 400, "bad_request", "文件为空");
    long *lines = malloc(MAX_PICKED * sizeof *lines);
    if (!lines) return reply_error(r, 500, "internal", "内存不足");
    int n = parse_lines(r, lines);
    if (n >= 0) {
        spot_err e;
        size_t len = 0;
        char *data = import_rejected(k, r->body, r->body_len, lines, n, fmt == FMT_XLSX, &len, &e);
        int inspectors = k == &inspector_kind;
        if (!data) reply_err(r, &e);
        else reply_download(r, fmt, inspectors ? "inspectors-rejected" : "enterprises-rejected",
                            inspectors ? "检查人员导入被拒绝的行" : "检查对象导入被拒绝的行", data, len);
        free(data);
    }
    free(lines);
    return 0;
}

/* ---- enterprises ---- */

static int e_list(req *r) { return dir_list_h(r, &enterprise_kind); }
static int e_export(req *r) { return dir_export_h(r, &enterprise_kind); }
static int e_get(req *r) { return dir_get_h(r, &enterprise_kind); }
static int e_create(req *r) { return dir_create_h(r, &enterprise_kind); }
static int e_update(req *r) { return dir_update_h(r, &enterprise_kind); }
static int e_history(req *r) { return dir_history_h(r, &enterprise_kind); }
static int e_import(req *r) { return dir_import_h(r, &enterprise_kind); }
static int e_template(req *r) { return dir_template_h(r, &enterprise_kind); }
static int e_rejected(req *r) { return dir_rejected_h(r, &enterprise_kind); }

/* Specific paths before {id}: the router takes the first match. */
const struct route enterprise_routes[] = {
    {"GET", "/api/enterprises", ROLE_STAFF, e_list},
    {"POST", "/api/enterprises", ROLE_ADMIN | ROLE_PLANNER, e_create},
    {"GET", "/api/enterprises/export", ROLE_STAFF, e_export},
    {"POST", "/api/enterprises/import", ROLE_ADMIN | ROLE_PLANNER, e_import},
    {"GET", "/api/enterprises/import/template", ROLE_ADMIN | ROLE_PLANNER, e_template},
    {"POST", "/api/enterprises/import/rejected", ROLE_ADMIN | ROLE_PLANNER, e_rejected},
    {"GET", "/api/enterprises/{id}", ROLE_STAFF, e_get},
    {"PUT", "/api/enterprises/{id}", ROLE_ADMIN | ROLE_PLANNER, e_update},
    {"GET", "/api/enterprises/{id}/history", ROLE_STAFF, e_history},
    {0},
};

/* ---- inspectors ---- */

static int i_list(req *r) { return dir_list_h(r, &inspector_kind); }
static int i_export(req *r) { return dir_export_h(r, &inspector_kind); }
static int i_get(req *r) { return dir_get_h(r, &inspector_kind); }
static int i_create(req *r) { return dir_create_h(r, &inspector_kind); }
static int i_update(req *r) { return dir_update_h(r, &inspector_kind); }
static int i_history(req *r) { return dir_history_h(r, &inspector_kind); }
static int i_import(req *r) { return dir_import_h(r, &inspector_kind); }
static int i_template(req *r) { return dir_template_h(r, &inspector_kind); }
static int i_rejected(req *r) { return dir_rejected_h(r, &inspector_kind); }

const struct route inspector_routes[] = {
    {"GET", "/api/inspectors", ROLE_STAFF, i_list},
    {"POST", "/api/inspectors", ROLE_ADMIN | ROLE_PLANNER, i_create},
    {"GET", "/api/inspectors/export", ROLE_STAFF, i_export},
    {"POST", "/api/inspectors/import", ROLE_ADMIN | ROLE_PLANNER, i_import},
    {"GET", "/api/inspectors/import/template", ROLE_ADMIN | ROLE_PLANNER, i_template},
    {"POST", "/api/inspectors/import/rejected", ROLE_ADMIN | ROLE_PLANNER, i_rejected},
    {"GET", "/api/inspectors/{id}", ROLE_STAFF, i_get},
    {"PUT", "/api/inspectors/{id}", ROLE_ADMIN | ROLE_PLANNER, i_update},
    {"GET", "/api/inspectors/{id}/history", ROLE_STAFF, i_history},
    {0},
};
