/* api_system.c: GET /api/health and the audit trail routes (GET /api/audit, /api/audit/verify):
 * parse the query, call the domain (system.c), reply; and the public head of the trail
 * (GET /api/public/audit-head). */
#include "api_system.h"
#include "system.h"
#include "download.h"
#include "xlsx.h"

/* The columns of the audit trail as .xlsx. */
static const struct xcol audit_cols[] = {
    {"id", "序号", XLSX_NUMBER, NULL, NULL},
    {"at", "时间", XLSX_DATE, NULL, NULL},
    {"actor", "操作人", XLSX_TEXT, NULL, NULL},
    {"action", "操作", XLSX_TEXT, NULL, NULL},
    {"object", "对象", XLSX_TEXT, NULL, NULL},
    {"details", "详情", XLSX_TEXT, NULL, NULL},
    {"hash", "记录哈希", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static int h_health(req *r)
{
    spot_err e;
    json_t *out = system_health(&r->ctx, &e);
    return out ? reply_json(r, 200, out) : reply_err(r, &e);
}

/* GET /api/audit[?action=&object=&actor=&from=&to=&before=&limit=][&format=xlsx]: newest first; the JSON
 * list takes at most 1,000 records a page, the workbook up to 50,000 (default 50,000), paged the
 * same way with before=. */
static int h_audit(req *r)
{
    long long limit, before_id;
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    if (req_query_int(r, "limit", 1, fmt == FMT_XLSX ? 50000 : 1000, fmt == FMT_XLSX ? 50000 : 100, &limit) ||
        req_query_int(r, "before", 1, 1LL << 62, 1LL << 62, &before_id))
        return 0;
    spot_err e;
    const char *from = req_query(r, "from"), *to = req_query(r, "to");
    json_t *rows = system_audit_list(&r->ctx, req_query(r, "action"), req_query(r, "object"), req_query(r, "actor"),
                                     from && *from ? from : NULL, to && *to ? to : NULL, before_id, limit, &e);
    if (!rows) return reply_err(r, &e);
    if (fmt == FMT_JSON) return reply_json(r, 200, json_pack("{so}", "records", rows));
    reply_items_xlsx(r, rows, audit_cols, "audit", "审计记录");
    json_decref(rows);
    return 0;
}

static int h_audit_verify(req *r)
{
    spot_err e;
    json_t *out = system_audit_verify(&r->ctx, &e);
    return out ? reply_json(r, 200, out) : reply_err(r, &e);
}

/* GET /api/public/audit-head: the day's published head of the audit trail, for anyone to keep and
 * later check with `spotcheck audit verify --anchor`. */
static int h_audit_head(req *r)
{
    spot_err e;
    json_t *out = system_audit_anchor(&r->ctx, &e);
    return out ? reply_json(r, 200, out) : reply_err(r, &e);
}

const struct route system_routes[] = {
    {"GET", "/api/health", ROLE_PUBLIC, h_health},
    {"GET", "/api/audit", ROLE_ADMIN | ROLE_AUDITOR | ROLE_HEAD, h_audit},
    {"GET", "/api/audit/verify", ROLE_ADMIN | ROLE_AUDITOR | ROLE_HEAD, h_audit_verify},
    {"GET", "/api/public/audit-head", ROLE_PUBLIC, h_audit_head},
    {0},
};
