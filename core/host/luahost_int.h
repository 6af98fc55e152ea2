/* luahost_int.h: what the files of core/host/ share and nobody else sees: the layout of lh_state
 * (its run context first), the sandbox's construction and frozen proxies (luahost_sandbox.c) and
 * print capture. Uses luahost_run.h, stream.h and Lua 5.4's C API. */
#ifndef SPOT_LUAHOST_INT_H
#define SPOT_LUAHOST_INT_H

#include <stddef.h>
#include <lua.h>
#include "luahost.h"
#include "luahost_run.h"
#include "stream.h"

#define LH_OUTPUT_MAX (1024 * 1024)   /* captured console output */
#define LH_NAME_MAX 64                /* rule name length */
#define LH_ERRBUF 256

struct lh_state {
    lh_run run;                /* first: the allocator's ud is the state */
    lua_State *L;

    /* registry references */
    int ref_api, ref_env_mt, ref_frozen, ref_proxies, ref_deep_mt, ref_arrays, ref_rules,
        ref_console;

    stream rng;                /* math.random */

    /* captured print output (console only) */
    int capture;
    char *out;
    size_t out_len, out_cap;
    int out_truncated;
};

/* The state owning L (any thread of it). */
static inline lh_state *lh_of(lua_State *L)
{
    return (lh_state *)lhr_of(L);
}

/* ---- luahost_sandbox.c ---- */

/* lua_CFunction run once in protected mode by lh_new (argument 1: the lh_state as light
 * userdata): opens the libraries one by one, builds the API table, the proxies and the console
 * environment, and empties the real global table. */
int lhs_setup(lua_State *L);

/* Restarts the math.random stream from the prefix "spotcheck-lua-rng" .. extra[0 .. n-1]. */
int lhs_seed(stream *s, const void *extra, size_t n);

/* Pushes the real table behind the proxy at idx and returns 1, or pushes nothing and returns 0
 * when idx is no proxy. */
int lhs_push_real(lua_State *L, lh_state *h, int idx);

/* Pushes a deep read-only proxy of the table at idx (the same proxy each time); other values,
 * and proxies, are pushed unchanged. */
void lhs_push_frozen(lua_State *L, lh_state *h, int idx);

/* Pushes a new private environment (an empty table whose locked metatable reads the API). */
void lhs_push_new_env(lua_State *L, lh_state *h);

#endif
