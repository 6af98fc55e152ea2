/* luahost_sandbox.c: construction of a sandboxed state (see luahost_int.h, STYLE.md "Lua sandbox").
 *
 * Layout of one state (everything a script can reach is listed here):
 *  - The libraries are opened one by one with luaL_requiref (base, string, table, math, utf8,
 *    coroutine, os); never luaL_openlibs. The real global table is emptied after the API table has
 *    been assembled from it, so no chunk can ever reach the raw base library.
 *  - API (registry, unreachable from scripts): the safe base functions, wrapped versions of load,
 *    rawset, setmetatable, print and collectgarbage, stubs for blocked functions, frozen proxies of
 *    the libraries, the `rules` proxy and json_array().
 *  - Every script (each rule, each test file, the console) gets its own environment table whose
 *    locked metatable has __index = API. A script's globals land in its own table, invisible to
 *    every other script; the shared tables behind it are never handed out.
 *  - Shared tables are handed out only as empty proxies with a locked metatable whose __newindex
 *    raises. Library proxies index their real table directly (fast path); rule tables and the
 *    `rules` table use deep proxies: any table read through them comes back as a proxy too.
 *    rawset refuses proxies and tables whose metatable is protected (__metatable field).
 *  - setmetatable refuses metatables with a __gc field: finalizers would run at arbitrary times,
 *    inside another script's call.
 *  - Coroutines: coroutine.create and coroutine.wrap are Lua's own; a new thread inherits the
 *    budget hook of the thread that creates it (lua_newthread copies it).
 *  - xpcall is the host's: the message handler runs after the stack unwinds, under the budget.
 *
 * Cost-bounded library functions: every C library function whose running time depends on its
 * arguments is either charged to the call's budget before it runs (lhr_charge) or replaced.
 * Pattern matching (string.find/match/gmatch/gsub) is Lua 5.4.4's own code, vendored with step
 * counting in third_party/lua/lstrmatch.c: a single call may take at most
 * PM_STEPS_BASE + PM_STEPS_PER_BYTE * #subject steps before it raises "pattern too complex", and
 * the steps are charged to the call's instruction budget and deadline as well.
 */
#include "luahost_int.h"
#include "lstrmatch.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>
#include <sodium.h>

#define PM_STEPS_BASE 2000000L        /* steps allowed to one pattern library call ... */
#define PM_STEPS_PER_BYTE 64L         /* ... plus this much per byte of subject */

static const char LOCKED[] = "locked";

/* ------------------------------------------------------------------------------------------ */
/* Frozen proxies                                                                              */

/* Pushes the real table behind the proxy at idx, or nothing and returns 0 if it is no proxy. */
int lhs_push_real(lua_State *L, lh_state *h, int idx)
{
    idx = lua_absindex(L, idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_frozen);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    return 0;
}

/* __newindex of every proxy. */
static int frozen_newindex(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "attempt to modify a read-only table (field '%s')", lua_tostring(L, 2));
    return luaL_error(L, "attempt to modify a read-only table");
}

/* Pushes a deep proxy for the table at idx (the same proxy each time, cached weakly). Values that
 * are not tables, and tables that already are proxies, are pushed unchanged. */
void lhs_push_frozen(lua_State *L, lh_state *h, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushvalue(L, idx);
        return;
    }
    /* the usual case first: a table that already has its proxy (proxies are never keys here) */
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_proxies);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_frozen);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) != LUA_TNIL) {   /* already a proxy */
        lua_pop(L, 2);
        lua_pushvalue(L, idx);
        return;
    }
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_proxies);
    /* stack: frozen, proxies */
    lua_createtable(L, 0, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_deep_mt);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);           /* proxies[real] = proxy */
    lua_pushvalue(L, -1);
    lua_pushvalue(L, idx);
    lua_rawset(L, -5);           /* frozen[proxy] = real */
    lua_remove(L, -2);
    lua_remove(L, -2);
}

/* __index of deep proxies: real[k], with tables wrapped. */
static int deep_index(lua_State *L)
{
    lh_state *h = lh_of(L);
    if (!lhs_push_real(L, h, 1)) return 0;
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) lhs_push_frozen(L, h, -1);
    return 1;
}

static int deep_len(lua_State *L)
{
    lh_state *h = lh_of(L);
    if (!lhs_push_real(L, h, 1)) return 0;
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* Iterator of __pairs for deep proxies: next over the real table, values wrapped. */
static int deep_next(lua_State *L)
{
    lh_state *h = lh_of(L);
    if (!lhs_push_real(L, h, 1)) return 0;
    lua_pushvalue(L, 2);
    if (!lua_next(L, -2)) return 0;
    if (lua_type(L, -1) == LUA_TTABLE) {
        lhs_push_frozen(L, h, -1);
        lua_remove(L, -2);
    }
    return 2;
}

static int deep_pairs(lua_State *L)
{
    lua_pushcfunction(L, deep_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Iterator of __pairs for library proxies: upvalue 1 is the real table. */
static int shallow_next(lua_State *L)
{
    lua_settop(L, 2);
    if (!lua_next(L, lua_upvalueindex(1))) return 0;
    return 2;
}

static int shallow_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, shallow_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Replaces the table at the top by a shallow proxy: its metatable indexes the real table directly
 * (values are functions and numbers, nothing to wrap). */
static void make_shallow_proxy(lua_State *L, lh_state *h)
{
    int real = lua_gettop(L);
    lua_createtable(L, 0, 0);                /* proxy */
    lua_createtable(L, 0, 4);                /* metatable */
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, real);
    lua_pushcclosure(L, shallow_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushstring(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_frozen);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, real);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_replace(L, real);
}

/* ------------------------------------------------------------------------------------------ */
/* Sandbox functions                                                                           */

static int blocked_stub(lua_State *L)
{
    return luaL_error(L, "blocked Lua function: %s", lua_tostring(L, lua_upvalueindex(1)));
}

static void push_stub(lua_State *L, const char *name)
{
    lua_pushstring(L, name);
    lua_pushcclosure(L, blocked_stub, 1);
}

/* print: captured into the state's buffer in the console, discarded elsewhere. */
static void out_append(lh_state *h, const char *s, size_t n)
{
    if (h->out_truncated) return;
    if (h->out_len + n > LH_OUTPUT_MAX) {
        n = LH_OUTPUT_MAX - h->out_len;
        h->out_truncated = 1;
    }
    static const char note[] = "\n[output truncated at 1 MiB]\n";
    size_t need = h->out_len + n + sizeof note;
    if (need > h->out_cap) {
        size_t cap = h->out_cap ? h->out_cap : 256;
        while (cap < need) cap *= 2;
        char *p = realloc(h->out, cap);
        if (p == NULL) { h->out_truncated = 1; return; }
        h->out = p;
        h->out_cap = cap;
    }
    memcpy(h->out + h->out_len, s, n);
    h->out_len += n;
    if (h->out_truncated) {
        memcpy(h->out + h->out_len, note, sizeof note - 1);
        h->out_len += sizeof note - 1;
    }
}

static int sb_print(lua_State *L)
{
    lh_state *h = lh_of(L);
    if (!h->capture) return 0;
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) out_append(h, "\t", 1);
        out_append(h, s, len);
        lua_pop(L, 1);
    }
    out_append(h, "\n", 1);
    return 0;
}

static int sb_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") != 0)
        return luaL_error(L, "blocked Lua function: collectgarbage (only \"count\" is allowed)");
    int kb = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, (lua_Number)kb + (lua_Number)b / 1024.0);
    return 1;
}

/* rawset, refusing proxies and tables with a protected metatable (except script environments,
 * which are private to their script). Upvalue 1: the real rawset. */
static int sb_rawset(lua_State *L)
{
    lh_state *h = lh_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 3);
    if (lhs_push_real(L, h, 1)) return luaL_error(L, "attempt to modify a read-only table");
    if (lua_getmetatable(L, 1)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_env_mt);
        int is_env = lua_rawequal(L, -1, -2);
        lua_pop(L, 1);
        if (!is_env) {
            lua_pushliteral(L, "__metatable");
            int locked = lua_rawget(L, -2) != LUA_TNIL;
            if (locked) return luaL_error(L, "attempt to modify a protected table");
        }
        lua_settop(L, 3);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 3, 1);
    return 1;
}

/* setmetatable without finalizers. Upvalue 1: the real setmetatable. */
static int sb_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "blocked Lua function: setmetatable with __gc");
        lua_pop(L, 1);
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

/* Pushes a new private environment: an empty table whose locked metatable reads from the API. */
void lhs_push_new_env(lua_State *L, lh_state *h)
{
    lua_createtable(L, 0, 4);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_env_mt);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
}

/* Pushes the _ENV of the Lua function at stack level `level`, or a fresh environment. */
static void push_caller_env(lua_State *L, lh_state *h, int level)
{
    lua_Debug ar;
    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "f", &ar)) {
        if (lua_iscfunction(L, -1) == 0) {
            for (int i = 1;; i++) {
                const char *name = lua_getupvalue(L, -1, i);
                if (name == NULL) break;
                if (strcmp(name, "_ENV") == 0) {
                    lua_remove(L, -2);
                    return;
                }
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    lhs_push_new_env(L, h);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only; the environment defaults to the
 * caller's. Upvalue 1: the real load. */
static int sb_load(lua_State *L)
{
    lh_state *h = lh_of(L);
    int n = lua_gettop(L);
    lua_settop(L, 4);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    if (n < 4) {
        push_caller_env(L, h, 1);
        lua_replace(L, 4);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

/* json_array(t): marks t so that it converts to a JSON array even when empty. Returns t. */
static int sb_json_array(lua_State *L)
{
    lh_state *h = lh_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_arrays);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_settop(L, 1);
    return 1;
}

/* table.move, charging the number of moved elements to the budget first (the real one loops in C
 * without hooks). Upvalue 1: the real table.move. */
static int sb_table_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f) lhr_charge(L, (double)e - (double)f + 1);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* ------------------------------------------------------------------------------------------ */
/* math.random bound to the core stream                                                        */

int lhs_seed(stream *s, const void *extra, size_t n)
{
    unsigned char prefix[STREAM_PREFIX_MAX];
    static const char tag[] = "spotcheck-lua-rng";
    size_t t = sizeof tag - 1;
    if (n > sizeof prefix - t) n = sizeof prefix - t;
    memcpy(prefix, tag, t);
    memcpy(prefix + t, extra, n);
    return stream_init(s, prefix, t + n);
}

static int sb_random(lua_State *L)
{
    lh_state *h = lh_of(L);
    lua_Integer low, up;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, (lua_Number)(stream_next(&h->rng) >> 11) * 0x1.0p-53);
        return 1;
    case 1:
        low = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) {   /* math.random(0): all bits */
            lua_pushinteger(L, (lua_Integer)stream_next(&h->rng));
            return 1;
        }
        break;
    case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, lua_gettop(L), "interval is empty");
    lua_Unsigned span = (lua_Unsigned)up - (lua_Unsigned)low;
    lua_Unsigned r = span == (lua_Unsigned)-1 ? stream_next(&h->rng)
                                              : stream_uniform(&h->rng, (uint64_t)span + 1);
    lua_pushinteger(L, (lua_Integer)((lua_Unsigned)low + r));
    return 1;
}

/* math.randomseed([x]): with x, the stream restarts from "spotcheck-lua-rng" .. x, so a sequence
 * can be replayed; without, from fresh OS randomness. */
static int sb_randomseed(lua_State *L)
{
    lh_state *h = lh_of(L);
    if (lua_isnone(L, 1)) {
        unsigned char seed[32];
        randombytes_buf(seed, sizeof seed);
        lhs_seed(&h->rng, seed, sizeof seed);
        return 0;
    }
    char buf[64];
    if (lua_isinteger(L, 1))
        snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, 1));
    else
        snprintf(buf, sizeof buf, "%.14g", (double)luaL_checknumber(L, 1));
    lhs_seed(&h->rng, buf, strlen(buf));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pattern matching: third_party/lua/lstrmatch.c reports its steps here                        */

void lstrmatch_charge(lua_State *L, long used, long total, size_t subject_len)
{
    if ((size_t)total > (size_t)PM_STEPS_BASE + (size_t)PM_STEPS_PER_BYTE * subject_len)
        luaL_error(L, "pattern too complex");
    lhr_charge(L, (double)used);
}

/* ------------------------------------------------------------------------------------------ */
/* Cost-bounded library functions                                                              */

/* The C library functions below loop (or copy) in C as many times as their arguments say, where
 * the count hook never runs: string.rep("", math.maxinteger) alone would run for years. Each is
 * wrapped: the wrapper computes the work the call will do from its arguments and charges it to
 * the running call's instruction budget (lhr_charge, which also checks the deadline and the
 * interrupt flag) BEFORE calling the real function, so a call that would pass the budget raises
 * "instruction budget exceeded" at the caller's line instead of running. Work that allocates is
 * also charged by the allocator (luahost_run.c), per byte. The attacks that motivated each wrapper
 * are the cases of tests/unit/test_host_limits.c (string_rep_empty_maxinteger_stopped,
 * table_concat_index_metamethod_stopped, table_insert_remove_len_stopped, table_sort_len_stopped,
 * table_unpack_many_stopped, utf8_char_many_args_stopped, string_format_widths_stopped,
 * long_string_copies_stopped; xpcall: xpcall_handler_loop_stopped). */

enum {
    COST_REP, COST_FORMAT, COST_BYTES1, COST_NARGS, COST_CONCAT, COST_INSERT, COST_REMOVE, COST_SORT,
    COST_UNPACK, COST_PACK, COST_UNPACKSTR
};

/* Length of argument idx if it is a string (or a number, as Lua would convert it), else 0. */
static double arg_len(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TSTRING ? (double)lua_rawlen(L, idx) : 0.0;
}

/* #t as the real function will see it (calls __len, which runs under the budget). */
static double len_of(lua_State *L, int idx)
{
    return (double)luaL_len(L, idx);
}

/* The work of one call of the wrapped function `kind` with the arguments on the stack. */
static double call_cost(lua_State *L, int kind)
{
    int n = lua_gettop(L);
    switch (kind) {
    case COST_REP: {          /* string.rep(s, n [, sep]): n iterations copying #s + #sep bytes */
        double times = (double)luaL_checkinteger(L, 2);
        if (times <= 0) return 1;
        double bytes = times * (arg_len(L, 1) + arg_len(L, 3));
        /* a result past the memory ceiling fails at its one allocation, before any loop: let the
         * memory error say so */
        if (bytes > (double)lhr_of(L)->lim.memory) return 1;
        return times + bytes / 64;
    }
    case COST_FORMAT: {       /* string.format(fmt, ...): a conversion writes up to ~60 bytes per
                                 character of the format ('%99.99f'), and every argument is copied */
        double c = 1 + 4 * arg_len(L, 1) + n;
        for (int i = 2; i <= n; i++) c += arg_len(L, i) / 16;
        return c;
    }
    case COST_BYTES1:         /* work linear in the first argument's length */
        return 1 + arg_len(L, 1) / 16;
    case COST_NARGS:          /* one step per argument */
        return 1 + n;
    case COST_CONCAT: {       /* table.concat(t [, sep [, i [, j]]]): j - i + 1 elements */
        luaL_checktype(L, 1, LUA_TTABLE);
        double i = (double)luaL_optinteger(L, 3, 1);
        double j = lua_isnoneornil(L, 4) ? len_of(L, 1) : (double)luaL_checkinteger(L, 4);
        return 1 + (j >= i ? j - i + 1 : 0) * (1 + arg_len(L, 2) / 64);
    }
    case COST_INSERT: {       /* table.insert(t, pos, v) moves #t + 1 - pos elements */
        if (n != 3) return 1;
        double e = len_of(L, 1) + 1, pos = (double)luaL_checkinteger(L, 2);
        return 1 + (e > pos ? e - pos : 0);
    }
    case COST_REMOVE: {       /* table.remove(t [, pos]) moves #t - pos elements */
        double size = len_of(L, 1), pos = (double)luaL_optinteger(L, 2, (lua_Integer)size);
        return 1 + (size > pos ? size - pos : 0);
    }
    case COST_SORT: {         /* table.sort(t [, comp]): about n log2 n comparisons and moves */
        double m = len_of(L, 1);
        return m > 1 ? 1 + m * log2(m) : 1;
    }
    case COST_UNPACK: {       /* table.unpack(t [, i [, j]]): j - i + 1 values */
        double i = (double)luaL_optinteger(L, 2, 1);
        double j = lua_isnoneornil(L, 3) ? len_of(L, 1) : (double)luaL_checkinteger(L, 3);
        return 1 + (j >= i ? j - i + 1 : 0);
    }
    case COST_PACK:           /* string.pack/packsize(fmt, ...): the format and the arguments */
        return 1 + arg_len(L, 1) + n + (n > 1 ? arg_len(L, n) / 64 : 0);
    case COST_UNPACKSTR:      /* string.unpack(fmt, s [, pos]) */
        return 1 + arg_len(L, 1) + arg_len(L, 2) / 64;
    default:
        return 1;
    }
}

/* The wrapper: upvalue 1 the real function, upvalue 2 the cost kind. */
static int sb_costed(lua_State *L)
{
    lhr_charge(L, call_cost(L, (int)lua_tointeger(L, lua_upvalueindex(2))));
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* Replaces field `name` of the table on top by the costed wrapper of kind `kind`. */
static void wrap_costed(lua_State *L, const char *name, int kind)
{
    lua_getfield(L, -1, name);
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, sb_costed, 2);
    lua_setfield(L, -2, name);
}

/* xpcall(f, msgh, ...): Lua's own runs the message handler at the point of the error, and when
 * the error is a budget breach raised inside the count hook, hooks are off until the stack
 * unwinds: a handler `function() while true do end end` would never stop. This one calls f in
 * protected mode and runs msgh(err) after unwinding, as an ordinary call under the budget (the
 * breach re-arms the hook, so the handler stops at its first step). An error inside the handler
 * is its result. No debug library is reachable, so a handler cannot tell the difference. */
static int xpcall_done(lua_State *L, int status, lua_KContext extra)
{
    (void)extra;
    if (status != LUA_OK && status != LUA_YIELD) {   /* stack: msgh, error */
        lua_pushvalue(L, 1);
        lua_insert(L, -2);
        lua_pcall(L, 1, 1, 0);   /* the handler's result, or its own error */
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_replace(L, 1);           /* msgh -> true */
    return lua_gettop(L);
}

static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_replace(L, 1);
    lua_replace(L, 2);           /* msgh, f, args */
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 0, 0, xpcall_done);
    return xpcall_done(L, status, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* State construction                                                                          */

static int new_ref_table(lua_State *L, const char *mode)
{
    lua_createtable(L, 0, 0);
    if (mode) {
        lua_createtable(L, 0, 1);
        lua_pushstring(L, mode);
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Moves global `name` of the real global table into the API table at index api. */
static void api_take(lua_State *L, int api, const char *name)
{
    lua_getglobal(L, name);
    lua_setfield(L, api, name);
}

/* Replaces field `name` of the table on top by a closure of f with the old value as upvalue. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

static void set_stub(lua_State *L, const char *lib, const char *name)
{
    char full[64];
    snprintf(full, sizeof full, "%s%s%s", lib ? lib : "", lib ? "." : "", name);
    push_stub(L, full);
    lua_setfield(L, -2, name);
}

int lhs_setup(lua_State *L)
{
    lh_state *h = lua_touserdata(L, 1);
    lua_settop(L, 0);

    h->ref_frozen = new_ref_table(L, "k");    /* proxy -> real table */
    h->ref_proxies = new_ref_table(L, "k");   /* real table -> deep proxy */
    h->ref_arrays = new_ref_table(L, "k");    /* tables marked as JSON arrays */
    h->ref_rules = new_ref_table(L, NULL);    /* rule name -> table */

    /* deep proxy metatable */
    lua_createtable(L, 0, 5);
    lua_pushcfunction(L, deep_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, deep_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushcfunction(L, deep_len);
    lua_setfield(L, -2, "__len");
    lua_pushstring(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    h->ref_deep_mt = luaL_ref(L, LUA_REGISTRYINDEX);

    /* libraries, one by one */
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    lua_pop(L, 1);
    lua_createtable(L, 0, 48);
    int api = lua_gettop(L);

    static const char *const base_safe[] = {
        "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
        "rawget", "rawlen", "select", "tostring", "type", "_VERSION", NULL
    };
    for (int i = 0; base_safe[i]; i++) api_take(L, api, base_safe[i]);
    lua_getglobal(L, "rawset");
    lua_pushcclosure(L, sb_rawset, 1);
    lua_setfield(L, api, "rawset");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, sb_setmetatable, 1);
    lua_setfield(L, api, "setmetatable");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, sb_load, 1);
    lua_setfield(L, api, "load");
    lua_pushcfunction(L, sb_print);
    lua_setfield(L, api, "print");
    lua_pushcfunction(L, sb_xpcall);
    lua_setfield(L, api, "xpcall");
    lua_getglobal(L, "tonumber");
    lua_pushinteger(L, COST_BYTES1);
    lua_pushcclosure(L, sb_costed, 2);
    lua_setfield(L, api, "tonumber");
    lua_pushcfunction(L, sb_collectgarbage);
    lua_setfield(L, api, "collectgarbage");
    lua_pushcfunction(L, sb_json_array);
    lua_setfield(L, api, "json_array");
    push_stub(L, "dofile");
    lua_setfield(L, api, "dofile");
    push_stub(L, "loadfile");
    lua_setfield(L, api, "loadfile");
    push_stub(L, "require");
    lua_setfield(L, api, "require");

    /* empty the real global table: nothing may reach the raw base library */
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);

    /* string: bounded matcher, no dump, locked metatable */
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    set_stub(L, "string", "dump");
    luaL_setfuncs(L, lstrmatch_funcs, 0);
    wrap_costed(L, "find", COST_BYTES1);   /* the plain search scans the subject uncounted */
    wrap_costed(L, "rep", COST_REP);
    wrap_costed(L, "format", COST_FORMAT);
    wrap_costed(L, "byte", COST_BYTES1);
    wrap_costed(L, "char", COST_NARGS);
    wrap_costed(L, "upper", COST_BYTES1);
    wrap_costed(L, "lower", COST_BYTES1);
    wrap_costed(L, "reverse", COST_BYTES1);
    wrap_costed(L, "pack", COST_PACK);
    wrap_costed(L, "packsize", COST_PACK);
    wrap_costed(L, "unpack", COST_UNPACKSTR);
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushstring(L, LOCKED);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "string");

    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
    wrap_field(L, "move", sb_table_move);
    wrap_costed(L, "concat", COST_CONCAT);
    wrap_costed(L, "insert", COST_INSERT);
    wrap_costed(L, "remove", COST_REMOVE);
    wrap_costed(L, "sort", COST_SORT);
    wrap_costed(L, "unpack", COST_UNPACK);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "table");

    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    lua_pushcfunction(L, sb_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, sb_randomseed);
    lua_setfield(L, -2, "randomseed");
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "math");

    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
    wrap_costed(L, "char", COST_NARGS);
    wrap_costed(L, "len", COST_BYTES1);
    wrap_costed(L, "codepoint", COST_BYTES1);
    wrap_costed(L, "offset", COST_BYTES1);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "utf8");

    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 0);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "coroutine");

    /* os: time, date, clock, difftime; the rest are stubs */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    int os_real = lua_gettop(L);
    lua_createtable(L, 0, 12);
    static const char *const os_safe[] = { "time", "date", "clock", "difftime", NULL };
    for (int i = 0; os_safe[i]; i++) {
        lua_getfield(L, os_real, os_safe[i]);
        lua_setfield(L, -2, os_safe[i]);
    }
    wrap_costed(L, "date", COST_BYTES1);   /* strftime over the whole format */
    static const char *const os_blocked[] = { "execute", "exit", "getenv", "remove", "rename",
                                              "tmpname", "setlocale", NULL };
    for (int i = 0; os_blocked[i]; i++) set_stub(L, "os", os_blocked[i]);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "os");
    lua_pop(L, 1);

    /* io: stubs only (the library is never opened) */
    lua_createtable(L, 0, 12);
    static const char *const io_blocked[] = { "close", "flush", "input", "lines", "open", "output",
                                              "popen", "read", "tmpfile", "type", "write", NULL };
    for (int i = 0; io_blocked[i]; i++) set_stub(L, "io", io_blocked[i]);
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "io");

    /* rules: a deep proxy of the loaded rules table */
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    lhs_push_frozen(L, h, -1);
    lua_setfield(L, api, "rules");
    lua_pop(L, 1);

    /* environment metatable */
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, api);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    h->ref_env_mt = luaL_ref(L, LUA_REGISTRYINDEX);
    h->ref_api = luaL_ref(L, LUA_REGISTRYINDEX);   /* pops api */

    lhs_push_new_env(L, h);
    h->ref_console = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */
