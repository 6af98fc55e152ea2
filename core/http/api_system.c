/* api_system.c: GET /api/health and the audit trail routes (GET /api/audit, /api/audit/verify):
 * parse the query, call the domain (system.c), reply; and the public head of the trail
 * (GET /api/public/audit-head). */
#include "api_system.h"
#include "system.h"

static int h_health(req *r)
{
    spot_err e;
    json_t *out = system_health(&r->ctx, &e);
    return out ? reply_json(r, 200, out) : reply_err(r, &e);
}

static int h_audit(req *r)
{
    long long limit, before_id;
    if (req_query_int(r, "limit", 1, 1000, 100, &limit) ||
        req_query_int(r, "before", 1, 1LL << 62, 1LL << 62, &before_id))
        return 0;
    spot_err e;
    json_t *rows = system_audit_list(&r->ctx, req_query(r, "action"), req_query(r, "object"), req_query(r, "actor"),
                                     before_id, limit, &e);
    return rows ? reply_json(r, 200, json_pack("{so}", "records", rows)) : reply_err(r, &e);
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
