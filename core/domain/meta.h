/* meta.h: the policy data the web shows as words (GET /api/public/meta): industries of 3.2 with
 * their 5.1.2 category, result categories of 8.4 with the follow-up flag, stratum labels, code
 * lists, replacement and exemption reasons; all read from the loaded rules (never restated in C),
 * serialized once per rule generation and shared by every worker. Uses luahost.h, ctx.h, err.h. */
#ifndef SPOT_META_H
#define SPOT_META_H

#include <stddef.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"
#include "luahost.h"

/* The meta object built from the rules loaded in h, stamped with gen (the rule generation they
 * came from). Returns a new reference, or NULL with *e set (SPOT_E_RULE naming the rule). */
json_t *meta_build(lh_state *h, long long gen, spot_err *e);

/* The serialized meta reply for the rules of c's worker: from the process-wide cache when it holds
 * the worker's generation, else built with meta_build and cached. Returns a new malloc'd
 * NUL-terminated string (caller frees) with its length in *len, or NULL with *e set. */
char *meta_reply(spot_ctx *c, size_t *len, spot_err *e);

#endif
