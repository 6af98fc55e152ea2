/* api_items.c: HTTP for the item list: parses, calls domain/items.c, replies. */
#include "api_items.h"
#include "items.h"

#include <string.h>

static int reply_or_err(req *r, int status, json_t *out, const spot_err *e)
{
    return out ? reply_json(r, status, out) : reply_err(r, e);
}

static int h_list(req *r)
{
    const char *a = req_query(r, "active");
    spot_err e;
    return reply_or_err(r, 200, items_list(&r->ctx, a && (!strcmp(a, "1") || !strcmp(a, "true")), &e), &e);
}

static int h_public(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, items_public(&r->ctx, &e), &e);
}

static int h_get(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, items_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 201, items_add(&r->ctx, r->json, &e), &e);
}

static int h_update(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 200, items_update(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

const struct route item_routes[] = {
    {"GET", "/api/items", ROLE_STAFF, h_list},
    {"POST", "/api/items", ROLE_ADMIN | ROLE_PLANNER, h_create},
    {"GET", "/api/items/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/items/{id}", ROLE_ADMIN | ROLE_PLANNER, h_update},
    {"GET", "/api/public/items", ROLE_PUBLIC, h_public},
    {0},
};
