/* api_meta.c: GET /api/public/meta (no login): the policy data of the active rules, as meta.h
 * builds and caches it; the web loads it once per page load and renders it. */
#include "api_meta.h"
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>

/* Replies 200 with the cached meta object, or the rule error that kept it from being built. */
static int h_meta(req *r)
{
    spot_err e = {0};
    size_t len = 0;
    char *body = meta_reply(&r->ctx, &len, &e);
    if (!body) return reply_err(r, &e);
    char etag[40];
    snprintf(etag, sizeof etag, "\"rules-%lld\"", r->w->rules_gen);
    reply_header(r, "ETag", etag);
    reply_header(r, "Cache-Control", "no-cache");
    int out = reply_bytes(r, 200, "application/json; charset=utf-8", body, len);
    free(body);
    return out;
}

const struct route meta_routes[] = {
    {"GET", "/api/public/meta", ROLE_PUBLIC, h_meta},
    {0},
};
