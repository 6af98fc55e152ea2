/* api_orgs.c: HTTP for organisations: parses, calls domain/orgs.c, replies. */
#include "api_orgs.h"
#include "orgs.h"

static int reply_or_err(req *r, int status, json_t *out, const spot_err *e)
{
    return out ? reply_json(r, status, out) : reply_err(r, e);
}

static int h_list(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, orgs_list(&r->ctx, &e), &e);
}

static int h_get(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, orgs_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 201, orgs_create(&r->ctx, r->json, &e), &e);
}

static int h_update(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 200, orgs_update(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

/* The reply carries one-time passwords (every /api/ reply is sent with Cache-Control: no-store). */
static int h_accounts(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, orgs_open_accounts(&r->ctx, req_param_id(r, 0), &e), &e);
}

const struct route org_routes[] = {
    {"GET", "/api/orgs", ROLE_STAFF, h_list},
    {"POST", "/api/orgs", ROLE_ADMIN, h_create},
    {"GET", "/api/orgs/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/orgs/{id}", ROLE_ADMIN, h_update},
    {"POST", "/api/orgs/{id}/accounts", ROLE_ADMIN, h_accounts},
    {0},
};
