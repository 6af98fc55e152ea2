/* api_documents.c: printable documents and their templates over HTTP (SPEC §13, 9.2). Domain:
 * core/domain/documents.c.
 *
 * Routes
 *   GET  /api/documents/{kind}?task=ID&uscc=USCC   staff who may see the task (unit kinds: the unit's
 *        result archive; the notice also planners): issues the document -- A4 print-ready HTML from
 *        the active template -- and archives it. Headers X-Document-Id, X-Document-SHA256,
 *        X-Template-Version. Kinds notice, record, rectification (unit), announcement, results (task).
 *   GET  /api/documents?task=ID                     the task's archived documents the caller may see.
 *   GET  /api/documents/archive/{id}                an archived document, byte for byte as issued.
 *   GET  /api/tasks/{id}/archive[?format=xlsx]      admin, planner, head, auditor of the task: the
 *        archive catalogue (9.2): every issued document and attachment with its kind, unit, date,
 *        SHA-256, size and retention (rules.deadlines.retention); format=xlsx: as a workbook.
 *   GET  /api/document-templates                    admin: every kind with its versions.
 *   GET  /api/document-templates/{kind}             admin: the active version with body and versions.
 *   POST /api/document-templates/{kind} {body, note?, activate?}   admin: stores a new version (201).
 *   POST /api/document-templates/{kind}/activate {version}         admin: activates a stored version.
 */
#include "api_documents.h"
#include <stdio.h>
#include "documents.h"
#include "download.h"
#include "xlsx.h"

static const char *const ARCHIVE_KIND[] = {"notice", "随机抽查通知书", "record", "检查记录表", "rectification",
                                           "责令限期整改指令书", "announcement", "抽查任务公告", "results",
                                           "抽查结果公示", "attachment", "附件", NULL};

/* The columns of the archive catalogue as .xlsx. */
static const struct xcol catalogue_cols[] = {
    {"ref", "档案编号", XLSX_TEXT, NULL, NULL},
    {"kind", "类别", XLSX_TEXT, NULL, ARCHIVE_KIND},
    {"name", "文件名", XLSX_TEXT, NULL, NULL},
    {"uscc", "统一社会信用代码", XLSX_TEXT, NULL, NULL},
    {"unit_name", "单位名称", XLSX_TEXT, NULL, NULL},
    {"at", "形成时间", XLSX_DATE, NULL, NULL},
    {"by", "经办人", XLSX_TEXT, NULL, NULL},
    {"size", "字节数", XLSX_NUMBER, NULL, NULL},
    {"sha256", "SHA-256", XLSX_TEXT, NULL, NULL},
    {"template_version", "模板版本", XLSX_NUMBER, NULL, NULL},
    {"retention_years", "保管期限（年）", XLSX_NUMBER, NULL, NULL},
    {"keep_until", "保管至", XLSX_DATE, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static int answer(req *r, int status, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, status, v) : reply_err(r, e);
}

static int reply_document(req *r, spot_document *d)
{
    char n[32];
    snprintf(n, sizeof n, "%lld", d->id);
    reply_header(r, "X-Document-Id", n);
    reply_header(r, "X-Document-SHA256", d->sha256);
    snprintf(n, sizeof n, "%lld", d->template_version);
    reply_header(r, "X-Template-Version", n);
    reply_header(r, "Cache-Control", "no-store");
    int rc = reply_bytes(r, 200, "text/html; charset=utf-8", d->html, d->len);
    documents_free(d);
    return rc;
}

static int h_issue(req *r)
{
    spot_err e;
    spot_document d;
    long long task = 0;
    if (req_query_int(r, "task", 1, (long long)1 << 53, 0, &task) != 0) return 0;
    if (documents_issue(&r->ctx, r->params[0], task, req_query(r, "uscc"), &d, &e) != 0) return reply_err(r, &e);
    return reply_document(r, &d);
}

static int h_reprint(req *r)
{
    spot_err e;
    spot_document d;
    if (documents_reprint(&r->ctx, req_param_id(r, 0), &d, &e) != 0) return reply_err(r, &e);
    return reply_document(r, &d);
}

static int h_list(req *r)
{
    spot_err e;
    long long task = 0;
    if (req_query_int(r, "task", 1, (long long)1 << 53, 0, &task) != 0) return 0;
    return answer(r, 200, documents_list(&r->ctx, task, &e), &e);
}

static int h_catalogue(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    spot_err e;
    json_t *v = documents_catalogue(&r->ctx, req_param_id(r, 0), &e);
    if (!v || fmt == FMT_JSON) return answer(r, 200, v, &e);
    reply_items_xlsx(r, json_object_get(v, "items"), catalogue_cols, "archive-catalogue", "档案目录");
    json_decref(v);
    return 0;
}

static int h_templates(req *r)
{
    spot_err e;
    return answer(r, 200, documents_templates(&r->ctx, &e), &e);
}

static int h_template(req *r)
{
    spot_err e;
    return answer(r, 200, documents_template(&r->ctx, r->params[0], &e), &e);
}

static int h_store(req *r)
{
    spot_err e;
    return answer(r, 201, documents_template_store(&r->ctx, r->params[0], r->json, &e), &e);
}

static int h_activate(req *r)
{
    spot_err e;
    return answer(r, 200, documents_template_activate(&r->ctx, r->params[0], r->json, &e), &e);
}

const struct route documents_routes[] = {
    {"GET", "/api/documents", ROLE_STAFF, h_list},
    {"GET", "/api/documents/archive/{id}", ROLE_STAFF, h_reprint},
    {"GET", "/api/tasks/{id}/archive", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, h_catalogue},
    {"GET", "/api/documents/{kind}", ROLE_STAFF, h_issue},
    {"GET", "/api/document-templates", ROLE_ADMIN, h_templates},
    {"GET", "/api/document-templates/{kind}", ROLE_ADMIN, h_template},
    {"POST", "/api/document-templates/{kind}", ROLE_ADMIN, h_store},
    {"POST", "/api/document-templates/{kind}/activate", ROLE_ADMIN, h_activate},
    {0},
};
