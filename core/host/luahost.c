/* luahost.c: the sandboxed Lua host (see luahost.h and STYLE.md "Lua sandbox").
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
 *
 * Budgets: one count hook (every LH_HOOK_COUNT instructions) is installed on the main thread and
 * inherited by (and explicitly set on) every coroutine. It charges the instruction budget and
 * checks the monotonic deadline and the interrupt flag. On a breach it raises an error naming
 * file:line and re-arms itself on every line and instruction, so a script's pcall cannot swallow it;
 * lh_call also reports the breach if the script managed to return anyway.
 *
 * Pattern matching: string.find/match/gmatch/gsub are replaced by our own matcher, written from the
 * Lua 5.4 manual (§6.4.1). It counts steps; a single library call may take at most
 * PM_STEPS_BASE + PM_STEPS_PER_BYTE * #subject steps before it raises "pattern too complex", and the
 * steps are charged to the call's instruction budget and deadline as well.
 *
 * Memory: a per-state lua_Alloc with exact accounting refuses growth past the ceiling; Lua then
 * runs an emergency collection and raises "not enough memory", and the state stays usable.
 */
#define _GNU_SOURCE   /* memmem */
#include "luahost.h"
#include "stream.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <sodium.h>

#define LH_HOOK_COUNT 1000            /* instructions between two budget checks */
#define LH_JSON_DEPTH 64              /* nesting limit of JSON <-> Lua conversions */
#define LH_OUTPUT_MAX (1024 * 1024)   /* captured console output */
#define LH_NAME_MAX 64                /* rule name length */
#define LH_ERRBUF 256

#define PM_MAXCAP 32                  /* captures per pattern */
#define PM_MAXDEPTH 200               /* recursion of the matcher */
#define PM_TICK 1024                  /* steps between two budget checks */
#define PM_STEPS_BASE 2000000L        /* steps allowed to one library call ... */
#define PM_STEPS_PER_BYTE 64L         /* ... plus this much per byte of subject */

static const char LOCKED[] = "locked";

enum { BREACH_NONE = 0, BREACH_INSTRUCTIONS, BREACH_TIME, BREACH_INTERRUPT };

struct lh_state {
    lua_State *L;
    lh_limits lim;
    size_t mem_used;
    _Atomic int interrupt;

    /* budget of the running call */
    int depth;                 /* nesting of budget_begin; 0 outside calls */
    long instr_left;
    long long deadline_ns;
    int breached;              /* BREACH_* of the running call */
    int hook_armed;            /* some thread was re-armed on every line */
    char breach_msg[LH_ERRBUF];

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

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static lh_state *state_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_err(char **err, const char *msg)
{
    if (err) *err = strdup(msg ? msg : "unknown error");
}

static void set_errf(char **err, const char *fmt, const char *a, const char *b)
{
    char buf[LH_ERRBUF + 128];
    snprintf(buf, sizeof buf, fmt, a, b);
    set_err(err, buf);
}

static int valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > LH_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(isalnum(c) || c == '_')) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Memory                                                                                      */

/* lua_Alloc with exact accounting: used = used - (ptr ? osize : 0) + nsize. Growth beyond the
 * ceiling is refused (NULL); shrinking never fails, as Lua requires. */
static void *lh_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lh_state *h = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->mem_used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > h->lim.memory - h->mem_used) return NULL;
    void *p = realloc(ptr, nsize);
    if (p == NULL) {
        if (nsize <= old) p = ptr;   /* a failed shrink keeps the block */
        else return NULL;
    }
    h->mem_used = h->mem_used - old + nsize;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Budget: hook, deadline, interrupt                                                           */

static void lh_hook(lua_State *L, lua_Debug *ar);

static int budget_check(lh_state *h)
{
    if (atomic_load_explicit(&h->interrupt, memory_order_relaxed)) return BREACH_INTERRUPT;
    if (h->instr_left < 0) return BREACH_INSTRUCTIONS;
    long long t = now_ns();
    if (h->deadline_ns == 0) {   /* a batch re-armed it for a new unit: the window opens now */
        h->deadline_ns = t + (long long)h->lim.millis * 1000000LL;
        return BREACH_NONE;
    }
    if (t > h->deadline_ns) return BREACH_TIME;
    return BREACH_NONE;
}

static const char *breach_text(int kind)
{
    switch (kind) {
    case BREACH_INSTRUCTIONS: return "instruction budget exceeded";
    case BREACH_TIME: return "time limit exceeded";
    case BREACH_INTERRUPT: return "interrupted";
    default: return "budget exceeded";
    }
}

/* Raises the breach error at the position of stack level `level` and re-arms the hook of L on
 * every line and instruction, so that every later step raises again. Does not return. */
static int raise_breach(lh_state *h, lua_State *L, int level)
{
    lua_sethook(L, lh_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    h->hook_armed = 1;
    luaL_where(L, level);
    lua_pushstring(L, breach_text(h->breached));
    lua_concat(L, 2);
    if (h->breach_msg[0] == '\0')
        snprintf(h->breach_msg, sizeof h->breach_msg, "%s", lua_tostring(L, -1));
    return lua_error(L);
}

static void lh_hook(lua_State *L, lua_Debug *ar)
{
    lh_state *h = state_of(L);
    int rearmed = (lua_gethookmask(L) & LUA_MASKLINE) || lua_gethookcount(L) != LH_HOOK_COUNT;
    if (h->depth == 0) {   /* outside calls: nothing to check */
        if (rearmed) lua_sethook(L, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
        return;
    }
    if (!h->breached) {
        if (rearmed)   /* left over from an earlier breach: back to the cheap count hook */
            lua_sethook(L, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
        else if (ar->event == LUA_HOOKCOUNT)
            h->instr_left -= LH_HOOK_COUNT;
        h->breached = budget_check(h);
        if (!h->breached) return;
    }
    raise_breach(h, L, 0);
}

/* Starts the budget of a call (nested calls share the outer budget). */
static void budget_begin(lh_state *h)
{
    if (h->depth++ > 0) return;
    h->instr_left = h->lim.instructions;
    h->deadline_ns = now_ns() + (long long)h->lim.millis * 1000000LL;
    h->breached = BREACH_NONE;
    h->breach_msg[0] = '\0';
    atomic_store_explicit(&h->interrupt, 0, memory_order_relaxed);
}

/* Ends it; the breach state stays readable until the next budget_begin. */
static void budget_end(lh_state *h)
{
    if (--h->depth > 0) return;
    if (h->hook_armed) {
        lua_sethook(h->L, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
        h->hook_armed = 0;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Calling into Lua                                                                            */

/* Message handler (as lua.c's msghandler): the message plus a traceback. Never runs Lua code. */
static int lh_msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Runs f(ud) in protected mode with the message handler and a budget (when budget is set).
 * Results stay on the stack above *base. Returns 0, or -1 with *err (malloc'd) set; what_fmt with
 * what_arg names the script for errors that carry no position (memory). The stack is left at
 * *base on error. */
static int protected_run(lh_state *h, lua_CFunction f, void *ud, int budget, int *base,
                         const char *what_fmt, const char *what_arg, char **err)
{
    lua_State *L = h->L;
    *base = lua_gettop(L);
    lua_pushcfunction(L, lh_msgh);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    if (budget) budget_begin(h);
    int status = lua_pcall(L, 1, LUA_MULTRET, *base + 1);
    int breached = budget ? h->breached : 0;
    if (budget) budget_end(h);
    lua_remove(L, *base + 1);   /* the message handler */
    if (status == LUA_OK && !breached) return 0;

    char buf[LH_ERRBUF + 64];
    const char *msg = NULL;
    if (status == LUA_ERRMEM) {
        char what[LH_NAME_MAX + 32];
        snprintf(what, sizeof what, what_fmt, what_arg);
        snprintf(buf, sizeof buf, "%s: not enough memory (state memory limit of %zu bytes)",
                 what, h->lim.memory);
        msg = buf;
    } else if (status != LUA_OK) {
        msg = lua_tostring(L, -1);
        if (msg == NULL) msg = "unknown error";
    }
    if (breached && (msg == NULL || strstr(msg, breach_text(breached)) == NULL))
        msg = h->breach_msg[0] ? h->breach_msg : breach_text(breached);
    set_err(err, msg);
    lua_settop(L, *base);
    if (h->mem_used > h->lim.memory / 2) lua_gc(L, LUA_GCCOLLECT);   /* free the failed call's garbage now */
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Frozen proxies                                                                              */

/* Pushes the real table behind the proxy at idx, or nothing and returns 0 if it is no proxy. */
static int push_real(lua_State *L, lh_state *h, int idx)
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
static void push_frozen(lua_State *L, lh_state *h, int idx)
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
    lh_state *h = state_of(L);
    if (!push_real(L, h, 1)) return 0;
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) push_frozen(L, h, -1);
    return 1;
}

static int deep_len(lua_State *L)
{
    lh_state *h = state_of(L);
    if (!push_real(L, h, 1)) return 0;
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* Iterator of __pairs for deep proxies: next over the real table, values wrapped. */
static int deep_next(lua_State *L)
{
    lh_state *h = state_of(L);
    if (!push_real(L, h, 1)) return 0;
    lua_pushvalue(L, 2);
    if (!lua_next(L, -2)) return 0;
    if (lua_type(L, -1) == LUA_TTABLE) {
        push_frozen(L, h, -1);
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
    lh_state *h = state_of(L);
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
    lh_state *h = state_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 3);
    if (push_real(L, h, 1)) return luaL_error(L, "attempt to modify a read-only table");
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
static void push_new_env(lua_State *L, lh_state *h)
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
    push_new_env(L, h);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only; the environment defaults to the
 * caller's. Upvalue 1: the real load. */
static int sb_load(lua_State *L)
{
    lh_state *h = state_of(L);
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
    lh_state *h = state_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_arrays);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_settop(L, 1);
    return 1;
}

/* coroutine.create: upvalue 1 is the real create; the new thread gets the budget hook. */
static int sb_co_create(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    lua_State *co = lua_tothread(L, -1);
    if (co) lua_sethook(co, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
    return 1;
}

static int sb_co_wrap_call(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int narg = lua_gettop(L);
    if (co == L) return luaL_error(L, "cannot resume non-suspended coroutine");
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0)
        return luaL_error(L, "cannot resume dead coroutine");
    if (lua_status(co) != LUA_OK && lua_status(co) != LUA_YIELD)
        return luaL_error(L, "cannot resume dead coroutine");
    if (!lua_checkstack(co, narg + 1)) return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, narg);
    int nres = 0;
    int status = lua_resume(co, L, narg, &nres);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            return luaL_error(L, "too many results to resume");
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);   /* error object */
#if LUA_VERSION_RELEASE_NUM >= 50406
    lua_closethread(co, L);
#else
    lua_resetthread(co);
#endif
    return lua_error(L);
}

/* coroutine.wrap, built on lua_newthread so the thread gets the budget hook. */
static int sb_co_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_sethook(co, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, sb_co_wrap_call, 1);
    return 1;
}

/* table.move, charging the number of moved elements to the budget first (the real one loops in C
 * without hooks). Upvalue 1: the real table.move. */
static int sb_table_move(lua_State *L)
{
    lh_state *h = state_of(L);
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f && h->depth > 0) {
        lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)f + 1;
        if (n > (lua_Unsigned)LONG_MAX || (long)n > h->instr_left) {
            h->instr_left = -1;
            if (!h->breached) h->breached = BREACH_INSTRUCTIONS;
            return raise_breach(h, L, 1);
        }
        h->instr_left -= (long)n;
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* ------------------------------------------------------------------------------------------ */
/* math.random bound to the core stream                                                        */

static int seed_stream(stream *s, const void *extra, size_t n)
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
    lh_state *h = state_of(L);
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
    lh_state *h = state_of(L);
    if (lua_isnone(L, 1)) {
        unsigned char seed[32];
        randombytes_buf(seed, sizeof seed);
        seed_stream(&h->rng, seed, sizeof seed);
        return 0;
    }
    char buf[64];
    if (lua_isinteger(L, 1))
        snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, 1));
    else
        snprintf(buf, sizeof buf, "%.14g", (double)luaL_checknumber(L, 1));
    seed_stream(&h->rng, buf, strlen(buf));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Bounded pattern matching (own implementation of Lua 5.4 patterns, manual §6.4.1)            */

#define CAP_OPEN (-1)
#define CAP_POS (-2)

typedef struct pm_state {
    lua_State *L;
    lh_state *h;
    const char *s0, *s_end;      /* subject */
    const char *p_end;           /* end of pattern */
    int level;                   /* captures in use */
    int depth;                   /* recursion */
    long steps, charged, next_tick, limit;
    struct { const char *start; ptrdiff_t len; } cap[PM_MAXCAP];
} pm_state;

static void pm_tick(pm_state *m)
{
    if (m->steps > m->limit) luaL_error(m->L, "pattern too complex");
    lh_state *h = m->h;
    long used = m->steps - m->charged;
    m->charged = m->steps;
    m->next_tick = m->steps + PM_TICK;
    if (h->depth > 0) {
        h->instr_left -= used;
        if (!h->breached) h->breached = budget_check(h);
        if (h->breached) raise_breach(h, m->L, 1);
    }
}

static inline void pm_step(pm_state *m, long n)
{
    m->steps += n;
    if (m->steps >= m->next_tick) pm_tick(m);
}

static void pm_init(pm_state *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    m->L = L;
    m->h = state_of(L);
    m->s0 = s;
    m->s_end = s + ls;
    m->p_end = p + lp;
    m->level = 0;
    m->depth = 0;
    m->steps = m->charged = 0;
    m->next_tick = PM_TICK;
    m->limit = PM_STEPS_BASE + PM_STEPS_PER_BYTE * (long)ls;
}

/* End of the single-character class starting at p. */
static const char *pm_class_end(pm_state *m, const char *p)
{
    char c = *p++;
    if (c == '%') {
        if (p >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < m->p_end && *p == '^') p++;
        int first = 1;
        for (;;) {
            if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == '%') {
                if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
                p++;
            } else if (c == ']' && !first) {
                return p;
            }
            first = 0;
        }
    }
    return p;
}

/* Does character c belong to class %cl (or equal cl when it is no class letter)? */
static int pm_class(int c, int cl)
{
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    case 'z': r = (c == 0); break;   /* deprecated in the manual, still accepted by Lua 5.4 */
    default: return cl == c;
    }
    if (isupper(cl)) r = !r;
    return r != 0;
}

/* Set [...] from p (at '[') to close (at the final ']'). */
static int pm_set(int c, const char *p, const char *close)
{
    int neg = 0;
    p++;
    if (*p == '^') { neg = 1; p++; }
    while (p < close) {
        if (*p == '%') {
            p++;
            if (pm_class(c, (unsigned char)*p)) return !neg;
            p++;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return !neg;
            p += 3;
        } else {
            if ((unsigned char)*p == c) return !neg;
            p++;
        }
    }
    return neg;
}

static int pm_single(pm_state *m, const char *s, const char *p, const char *ep)
{
    if (s >= m->s_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case '%': return pm_class(c, (unsigned char)p[1]);
    case '[': pm_step(m, 1 + (ep - p) / 16); return pm_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *pm_match(pm_state *m, const char *s, const char *p);

static const char *pm_max_expand(pm_state *m, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (pm_single(m, s + i, p, ep)) {
        i++;
        pm_step(m, 1);
    }
    for (; i >= 0; i--) {
        const char *r = pm_match(m, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

static const char *pm_min_expand(pm_state *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = pm_match(m, s, ep + 1);
        if (r) return r;
        if (!pm_single(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *pm_open(pm_state *m, const char *s, const char *p, ptrdiff_t what)
{
    if (m->level >= PM_MAXCAP) luaL_error(m->L, "too many captures");
    m->cap[m->level].start = s;
    m->cap[m->level].len = what;
    m->level++;
    const char *r = pm_match(m, s, p);
    if (r == NULL) m->level--;
    return r;
}

static const char *pm_close(pm_state *m, const char *s, const char *p)
{
    int l = m->level - 1;
    while (l >= 0 && m->cap[l].len != CAP_OPEN) l--;
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].start;
    const char *r = pm_match(m, s, p);
    if (r == NULL) m->cap[l].len = CAP_OPEN;
    return r;
}

/* %bxy at p (pointing at x). */
static const char *pm_balance(pm_state *m, const char *s, const char *p)
{
    if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->s_end || *s != p[0]) return NULL;
    char open = p[0], close = p[1];
    int level = 1;
    while (++s < m->s_end) {
        pm_step(m, 1);
        if (*s == close) {
            if (--level == 0) return s + 1;
        } else if (*s == open) {
            level++;
        }
    }
    return NULL;
}

/* Matches pattern p (up to p_end) at s; returns the end of the match or NULL. */
static const char *pm_match(pm_state *m, const char *s, const char *p)
{
    if (++m->depth > PM_MAXDEPTH) luaL_error(m->L, "pattern too complex");
    for (;;) {
        pm_step(m, 1);
        if (p == m->p_end) break;
        if (*p == '(') {
            if (p + 1 < m->p_end && p[1] == ')') s = pm_open(m, s, p + 2, CAP_POS);
            else s = pm_open(m, s, p + 1, CAP_OPEN);
            break;
        }
        if (*p == ')') {
            s = pm_close(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->p_end) {
            if (s != m->s_end) s = NULL;
            break;
        }
        if (*p == '%' && p + 1 < m->p_end) {
            char k = p[1];
            if (k == 'b') {
                s = pm_balance(m, s, p + 2);
                if (s == NULL) break;
                p += 4;
                continue;
            }
            if (k == 'f') {
                p += 2;
                if (p >= m->p_end || *p != '[')
                    luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = pm_class_end(m, p);
                int prev = (s == m->s0) ? 0 : (unsigned char)s[-1];
                int cur = (s < m->s_end) ? (unsigned char)*s : 0;
                if (!pm_set(prev, p, ep - 1) && pm_set(cur, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                break;
            }
            if (isdigit((unsigned char)k)) {
                int l = k - '1';
                if (l < 0 || l >= m->level || m->cap[l].len == CAP_OPEN)
                    luaL_error(m->L, "invalid capture index %%%d", l + 1);
                ptrdiff_t len = m->cap[l].len;
                if (len >= 0 && m->s_end - s >= len && memcmp(m->cap[l].start, s, (size_t)len) == 0) {
                    pm_step(m, len / 16);
                    s += len;
                    p += 2;
                    continue;
                }
                s = NULL;
                break;
            }
        }
        /* a single-character class, maybe quantified */
        const char *ep = pm_class_end(m, p);
        int ok = pm_single(m, s, p, ep);
        char q = ep < m->p_end ? *ep : '\0';
        if (q == '?') {
            if (ok) {
                const char *r = pm_match(m, s + 1, ep + 1);
                if (r) { s = r; break; }
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') { s = ok ? pm_max_expand(m, s + 1, p, ep) : NULL; break; }
        if (q == '*') { s = pm_max_expand(m, s, p, ep); break; }
        if (q == '-') { s = pm_min_expand(m, s, p, ep); break; }
        if (!ok) { s = NULL; break; }
        s++;
        p = ep;
    }
    m->depth--;
    return s;
}

/* Pushes capture i (the whole match s..e when there are no captures and i == 0). */
static void pm_push_one(pm_state *m, int i, const char *s, const char *e)
{
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (len == CAP_POS) lua_pushinteger(m->L, (m->cap[i].start - m->s0) + 1);
    else lua_pushlstring(m->L, m->cap[i].start, (size_t)len);
}

/* Pushes all captures (the whole match if none and s != NULL); returns how many. */
static int pm_push_all(pm_state *m, const char *s, const char *e)
{
    int n = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) pm_push_one(m, i, s, e);
    return n;
}

static size_t pm_posrelat(lua_Integer pos, size_t len)
{
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int pm_has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr("^$*+?.([%-", p[i])) return 1;
    return 0;
}

static int pm_find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = pm_posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !pm_has_specials(p, lp))) {
        /* plain search: memmem is linear */
        const char *hit = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        if (hit) {
            lua_pushinteger(L, (hit - s) + 1);
            lua_pushinteger(L, (hit - s) + (lua_Integer)lp);
            return 2;
        }
    } else {
        pm_state m;
        pm_init(&m, L, s, ls, p, lp);
        int anchor = lp > 0 && *p == '^';
        if (anchor) p++;
        const char *s1 = s + init;
        do {
            m.level = 0;
            m.depth = 0;
            const char *e = pm_match(&m, s1, p);
            if (e) {
                if (find) {
                    lua_pushinteger(L, (s1 - s) + 1);
                    lua_pushinteger(L, e - s);
                    return pm_push_all(&m, NULL, NULL) + 2;
                }
                return pm_push_all(&m, s1, e);
            }
        } while (s1++ < m.s_end && !anchor);
    }
    luaL_pushfail(L);
    return 1;
}

static int pm_find(lua_State *L) { return pm_find_aux(L, 1); }
static int pm_match_fn(lua_State *L) { return pm_find_aux(L, 0); }

/* gmatch iterator; upvalues: subject, pattern, next position, end of the last match (-1). */
static int pm_gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    pm_state m;
    pm_init(&m, L, s, ls, p, lp);
    for (const char *src = s + pos; src <= m.s_end; src++) {
        m.level = 0;
        m.depth = 0;
        const char *e = pm_match(&m, src, p);
        if (e && (last < 0 || e != s + last)) {
            lua_pushinteger(L, e - s);
            lua_replace(L, lua_upvalueindex(3));
            lua_pushinteger(L, e - s);
            lua_replace(L, lua_upvalueindex(4));
            return pm_push_all(&m, src, e);
        }
    }
    return 0;
}

static int pm_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = pm_posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, pm_gmatch_next, 4);
    return 1;
}

/* Appends the replacement string (argument 3) with %0-%9 and %% expanded. */
static void pm_add_s(pm_state *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l);
    const char *re = r + l;
    pm_step(m, 1 + (long)(l / 16));
    while (r < re) {
        const char *pct = memchr(r, '%', (size_t)(re - r));
        if (pct == NULL) {
            luaL_addlstring(b, r, (size_t)(re - r));
            return;
        }
        luaL_addlstring(b, r, (size_t)(pct - r));
        pct++;
        if (pct < re && *pct == '%') {
            luaL_addchar(b, '%');
        } else if (pct < re && *pct == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (pct < re && isdigit((unsigned char)*pct)) {
            pm_push_one(m, *pct - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%%' in replacement string");
        }
        r = pct + 1;
    }
}

/* Appends the replacement of match s..e; returns whether the text changed. */
static int pm_add_value(pm_state *m, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = pm_push_all(m, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        pm_push_one(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        pm_add_s(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pm_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                     tr == LUA_TTABLE, 3, "string/function/table");
    const char *lastmatch = NULL;
    lua_Integer n = 0;
    int changed = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pm_state m;
    pm_init(&m, L, src, ls, p, lp);
    int anchor = lp > 0 && *p == '^';
    if (anchor) p++;
    while (n < max_s) {
        m.level = 0;
        m.depth = 0;
        const char *e = pm_match(&m, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = pm_add_value(&m, &b, src, e, tr) | changed;
            src = lastmatch = e;
        } else if (src < m.s_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.s_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON <-> Lua                                                                                */

static void mark_array(lua_State *L, lh_state *h, int idx)
{
    idx = lua_absindex(L, idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_arrays);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Pushes v (borrowed) as a Lua value; raises on nesting beyond LH_JSON_DEPTH or memory. */
static void push_json(lua_State *L, lh_state *h, json_t *v, int depth)
{
    if (depth > LH_JSON_DEPTH) luaL_error(L, "JSON nesting deeper than %d", LH_JSON_DEPTH);
    luaL_checkstack(L, 4, "JSON nesting");
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        size_t n = json_object_size(v);
        lua_createtable(L, 0, n > INT_MAX ? INT_MAX : (int)n);
        json_object_foreach(v, k, x) {
            if (json_is_null(x)) continue;
            push_json(L, h, x, depth + 1);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(v, i);
            if (json_is_null(x)) continue;
            push_json(L, h, x, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        if (n == 0) mark_array(L, h, -1);
        break;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
    case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    default: lua_pushnil(L); break;
    }
}

/* Lua -> JSON. Never raises a Lua error (only non-allocating Lua API calls), so the json_t being
 * built is always freed; on failure returns NULL with c->err set. */
typedef struct tojson {
    lua_State *L;
    lh_state *h;
    int depth;
    const void *path[LH_JSON_DEPTH + 1];
    char err[LH_ERRBUF];
} tojson;

static json_t *to_json(tojson *c, int idx);

static json_t *table_to_json(tojson *c, int idx)
{
    lua_State *L = c->L;
    lh_state *h = c->h;
    if (!lua_checkstack(L, 8)) {
        snprintf(c->err, sizeof c->err, "stack overflow converting to JSON");
        return NULL;
    }
    int top = lua_gettop(L);
    int t = idx;
    if (push_real(L, h, idx)) t = lua_gettop(L);
    const void *id = lua_topointer(L, t);
    for (int i = 0; i < c->depth; i++) {
        if (c->path[i] == id) {
            snprintf(c->err, sizeof c->err, "cycle in table");
            lua_settop(L, top);
            return NULL;
        }
    }
    if (c->depth >= LH_JSON_DEPTH) {
        snprintf(c->err, sizeof c->err, "tables nested deeper than %d", LH_JSON_DEPTH);
        lua_settop(L, top);
        return NULL;
    }
    c->path[c->depth++] = id;

    lua_Integer max = 0;
    size_t count = 0;
    int seq = 1;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        count++;
        if (lua_isinteger(L, -2)) {
            lua_Integer k = lua_tointeger(L, -2);
            if (k < 1) seq = 0;
            else if (k > max) max = k;
        } else {
            seq = 0;
        }
        lua_pop(L, 1);
    }
    json_t *out = NULL;
    if (count == 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_arrays);
        lua_pushvalue(L, t);
        int marked = lua_rawget(L, -2) != LUA_TNIL;
        if (!marked && t != idx) {   /* the proxy itself may be marked */
            lua_pop(L, 1);
            lua_pushvalue(L, idx);
            marked = lua_rawget(L, -2) != LUA_TNIL;
        }
        lua_pop(L, 2);
        out = marked ? json_array() : json_object();
    } else if (seq && (lua_Unsigned)max == count) {
        out = json_array();
        for (lua_Integer i = 1; out && i <= max; i++) {
            lua_rawgeti(L, t, i);
            json_t *x = to_json(c, lua_gettop(L));
            lua_pop(L, 1);
            if (x == NULL || json_array_append_new(out, x) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
    } else {
        out = json_object();
        lua_pushnil(L);
        while (out && lua_next(L, t)) {
            char kbuf[64];
            const char *key = NULL;
            switch (lua_type(L, -2)) {
            case LUA_TSTRING: key = lua_tostring(L, -2); break;
            case LUA_TNUMBER:
                if (lua_isinteger(L, -2))
                    snprintf(kbuf, sizeof kbuf, "%lld", (long long)lua_tointeger(L, -2));
                else
                    snprintf(kbuf, sizeof kbuf, "%.14g", (double)lua_tonumber(L, -2));
                key = kbuf;
                break;
            default:
                snprintf(c->err, sizeof c->err, "table key of type %s cannot be converted to JSON",
                         luaL_typename(L, -2));
                break;
            }
            json_t *x = key ? to_json(c, lua_gettop(L)) : NULL;
            if (x == NULL) {
                json_decref(out);
                out = NULL;
            } else if (json_object_set_new(out, key, x) != 0) {   /* steals x even on failure */
                snprintf(c->err, sizeof c->err, "object key is not valid UTF-8");
                json_decref(out);
                out = NULL;
            } else {
                lua_pop(L, 1);
            }
        }
    }
    c->depth--;
    lua_settop(L, top);
    if (out == NULL && c->err[0] == '\0') snprintf(c->err, sizeof c->err, "out of memory");
    return out;
}

static json_t *to_json(tojson *c, int idx)
{
    lua_State *L = c->L;
    json_t *x = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: case LUA_TNONE: x = json_null(); break;
    case LUA_TBOOLEAN: x = json_boolean(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            x = json_integer((json_int_t)lua_tointeger(L, idx));
        } else {
            double d = (double)lua_tonumber(L, idx);
            if (!isfinite(d)) {
                snprintf(c->err, sizeof c->err, "cannot convert NaN or infinity to JSON");
                return NULL;
            }
            x = json_real(d);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        x = json_stringn(s, n);
        if (x == NULL) {
            snprintf(c->err, sizeof c->err, "string is not valid UTF-8");
            return NULL;
        }
        break;
    }
    case LUA_TTABLE: return table_to_json(c, idx);
    default:
        snprintf(c->err, sizeof c->err, "cannot convert a %s to JSON", luaL_typename(L, idx));
        return NULL;
    }
    if (x == NULL) snprintf(c->err, sizeof c->err, "out of memory");
    return x;
}

/* ------------------------------------------------------------------------------------------ */
/* eq() for rule tests                                                                         */

/* A bounded C-side text buffer for eq() messages (no Lua allocation while traversing). */
typedef struct cbuf {
    char b[512];
    size_t n;
} cbuf;

static void cb_add(cbuf *c, const char *s, size_t n)
{
    size_t room = sizeof c->b - 1 - c->n;
    if (n > room) n = room;
    memcpy(c->b + c->n, s, n);
    c->n += n;
    c->b[c->n] = '\0';
}

static void cb_str(cbuf *c, const char *s) { cb_add(c, s, strlen(s)); }

static void repr(lua_State *L, lh_state *h, int idx, cbuf *c, int depth)
{
    char tmp[64];
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: cb_str(c, "nil"); return;
    case LUA_TBOOLEAN: cb_str(c, lua_toboolean(L, idx) ? "true" : "false"); return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, idx));
        else snprintf(tmp, sizeof tmp, "%.14g", (double)lua_tonumber(L, idx));
        cb_str(c, tmp);
        return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        cb_str(c, "\"");
        cb_add(c, s, n > 120 ? 120 : n);
        cb_str(c, n > 120 ? "...\"" : "\"");
        return;
    }
    case LUA_TTABLE: {
        if (depth > 3 || !lua_checkstack(L, 6)) { cb_str(c, "{...}"); return; }
        int top = lua_gettop(L);
        int t = push_real(L, h, idx) ? lua_gettop(L) : idx;
        cb_str(c, "{");
        int n = 0;
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (n++ > 0) cb_str(c, ", ");
            if (n > 20 || c->n > 400) { cb_str(c, "..."); break; }
            if (lua_type(L, -2) == LUA_TSTRING) {
                cb_str(c, lua_tostring(L, -2));
            } else {
                cb_str(c, "[");
                repr(L, h, -2, c, depth + 1);
                cb_str(c, "]");
            }
            cb_str(c, "=");
            repr(L, h, -1, c, depth + 1);
            lua_pop(L, 1);
        }
        cb_str(c, "}");
        lua_settop(L, top);
        return;
    }
    default:
        snprintf(tmp, sizeof tmp, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
        cb_str(c, tmp);
        return;
    }
}

static int deep_equal(lua_State *L, lh_state *h, int a, int b, int depth)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    if (lua_rawequal(L, a, b)) return 1;
    if (lua_type(L, a) != LUA_TTABLE || lua_type(L, b) != LUA_TTABLE) return 0;
    if (depth > 32) return 0;
    luaL_checkstack(L, 8, "eq");
    int top = lua_gettop(L);
    if (push_real(L, h, a)) a = lua_gettop(L);
    if (push_real(L, h, b)) b = lua_gettop(L);
    int equal = 1;
    lua_pushnil(L);
    while (equal && lua_next(L, a)) {
        lua_pushvalue(L, -2);
        lua_rawget(L, b);
        if (!deep_equal(L, h, -2, -1, depth + 1)) equal = 0;
        lua_pop(L, 2);
    }
    if (equal) {
        lua_pushnil(L);
        while (equal && lua_next(L, b)) {
            lua_pushvalue(L, -2);
            if (lua_rawget(L, a) == LUA_TNIL) equal = 0;
            lua_pop(L, 2);
        }
    }
    lua_settop(L, top);
    return equal;
}

/* eq(actual, expected [, msg]): raises at the caller's line when they differ. */
static int sb_eq(lua_State *L)
{
    lh_state *h = state_of(L);
    lua_settop(L, 3);
    if (deep_equal(L, h, 1, 2, 0)) return 0;
    cbuf c;
    c.n = 0;
    c.b[0] = '\0';
    if (!lua_isnil(L, 3)) {
        size_t n;
        const char *m = luaL_tolstring(L, 3, &n);
        cb_add(&c, m, n);
        cb_str(&c, ": ");
        lua_pop(L, 1);
    }
    cb_str(&c, "expected ");
    repr(L, h, 2, &c, 0);
    cb_str(&c, ", got ");
    repr(L, h, 1, &c, 0);
    luaL_where(L, 1);
    lua_pushlstring(L, c.b, c.n);
    lua_concat(L, 2);
    return lua_error(L);
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

static int setup_entry(lua_State *L)
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
        "rawget", "rawlen", "select", "tonumber", "tostring", "type", "xpcall", "_VERSION", NULL
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
    lua_pushcfunction(L, pm_find);
    lua_setfield(L, -2, "find");
    lua_pushcfunction(L, pm_match_fn);
    lua_setfield(L, -2, "match");
    lua_pushcfunction(L, pm_gmatch);
    lua_setfield(L, -2, "gmatch");
    lua_pushcfunction(L, pm_gsub);
    lua_setfield(L, -2, "gsub");
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
    make_shallow_proxy(L, h);
    lua_setfield(L, api, "utf8");

    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 0);
    wrap_field(L, "create", sb_co_create);
    lua_pushcfunction(L, sb_co_wrap);
    lua_setfield(L, -2, "wrap");
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
    push_frozen(L, h, -1);
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

    push_new_env(L, h);
    h->ref_console = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

void lh_default_limits(lh_limits *lim)
{
    lim->instructions = 50000000L;
    lim->millis = 2000;
    lim->memory = (size_t)64 * 1024 * 1024;
}

lh_state *lh_new(const lh_limits *lim, char **err)
{
    if (sodium_init() < 0) {
        set_err(err, "libsodium initialisation failed");
        return NULL;
    }
    lh_state *h = calloc(1, sizeof *h);
    if (h == NULL) {
        set_err(err, "out of memory");
        return NULL;
    }
    lh_default_limits(&h->lim);
    if (lim) {
        if (lim->instructions > 0) h->lim.instructions = lim->instructions;
        if (lim->millis > 0) h->lim.millis = lim->millis;
        if (lim->memory > 0) h->lim.memory = lim->memory;
    }
    atomic_init(&h->interrupt, 0);
    unsigned char seed[32];
    randombytes_buf(seed, sizeof seed);
    seed_stream(&h->rng, seed, sizeof seed);
    sodium_memzero(seed, sizeof seed);

    h->L = lua_newstate(lh_alloc, h);
    if (h->L == NULL) {
        set_err(err, "cannot create a Lua state (memory limit too small?)");
        free(h);
        return NULL;
    }
    int base;
    if (protected_run(h, setup_entry, h, 0, &base, "%s", "lua host", err) != 0) {
        lua_close(h->L);
        free(h);
        return NULL;
    }
    lua_settop(h->L, 0);
    lua_sethook(h->L, lh_hook, LUA_MASKCOUNT, LH_HOOK_COUNT);
    return h;
}

void lh_free(lh_state *h)
{
    if (h == NULL) return;
    /* anything that still runs while closing (it should not: __gc is refused) has a budget */
    budget_begin(h);
    lua_close(h->L);
    free(h->out);
    free(h);
}

size_t lh_memory(lh_state *h)
{
    return h->mem_used;
}

void lh_interrupt(lh_state *h)
{
    atomic_store_explicit(&h->interrupt, 1, memory_order_relaxed);
}

/* --- rules --- */

struct load_ctx {
    lh_state *h;
    const char *name, *src;
    size_t len;
};

static int load_entry(lua_State *L)
{
    struct load_ctx *c = lua_touserdata(L, 1);
    lh_state *h = c->h;
    lua_settop(L, 0);
    char chunk[LH_NAME_MAX + 16];
    snprintf(chunk, sizeof chunk, "=rules/%s.lua", c->name);
    if (luaL_loadbufferx(L, c->src, c->len, chunk, "t") != LUA_OK) return lua_error(L);
    push_new_env(L, h);
    lua_setupvalue(L, 1, 1);
    lua_call(L, 0, 1);
    if (lua_type(L, -1) != LUA_TTABLE)
        return luaL_error(L, "rules/%s.lua: the script must return a table (it returned %s)",
                          c->name, luaL_typename(L, -1));
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, c->name);
    return 0;
}

int lh_load_rule(lh_state *h, const char *name, const char *src, size_t len, char **err)
{
    if (!valid_name(name)) {
        set_errf(err, "invalid rule name '%s'%s", name ? name : "", "");
        return -1;
    }
    struct load_ctx c = { h, name, src, len };
    int base;
    if (protected_run(h, load_entry, &c, 1, &base, "rules/%s.lua", name, err) != 0) return -1;
    lua_settop(h->L, base);
    return 0;
}

static int clear_entry(lua_State *L)
{
    lh_state *h = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    return 0;
}

void lh_clear_rules(lh_state *h)
{
    int base;
    char *err = NULL;
    protected_run(h, clear_entry, h, 0, &base, "%s", "lua host", &err);
    free(err);
    lua_settop(h->L, base);
}

/* --- calls --- */

struct call_ctx {
    lh_state *h;
    const char *rule, *fn;
    json_t *args;
};

static int call_entry(lua_State *L)
{
    struct call_ctx *c = lua_touserdata(L, 1);
    lh_state *h = c->h;
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    if (lua_getfield(L, 1, c->rule) != LUA_TTABLE)
        return luaL_error(L, "rule '%s' is not loaded", c->rule);
    size_t n = json_is_array(c->args) ? json_array_size(c->args) : 0;
    int type = lua_getfield(L, 2, c->fn);
    if (type != LUA_TFUNCTION) {
        /* A data field, read without arguments (see lh_call). */
        if (type == LUA_TNIL || n > 0)
            return luaL_error(L, "rules/%s.lua: no function '%s'", c->rule, c->fn);
        lua_replace(L, 1);
        lua_settop(L, 1);
        return 1;
    }
    lua_replace(L, 1);
    lua_settop(L, 1);
    if (n > 200) return luaL_error(L, "too many arguments for %s.%s", c->rule, c->fn);
    luaL_checkstack(L, (int)n + 4, "too many arguments");
    for (size_t i = 0; i < n; i++) push_json(L, h, json_array_get(c->args, i), 0);
    lua_call(L, (int)n, LUA_MULTRET);
    return lua_gettop(L);
}

int lh_call(lh_state *h, const char *rule, const char *fn, json_t *args, json_t **ret, char **err)
{
    if (ret) *ret = NULL;
    if (!valid_name(rule) || fn == NULL) {
        set_errf(err, "invalid rule name '%s'%s", rule ? rule : "", "");
        return -1;
    }
    lua_State *L = h->L;
    struct call_ctx c = { h, rule, fn, args };
    int base;
    if (protected_run(h, call_entry, &c, 1, &base, "rules/%s.lua", rule, err) != 0) return -1;

    int top = lua_gettop(L);
    json_t *out = json_array();
    tojson tj;
    tj.L = L;
    tj.h = h;
    tj.depth = 0;
    tj.err[0] = '\0';
    for (int i = base + 1; out && i <= top; i++) {
        json_t *x = to_json(&tj, i);
        if (x == NULL || json_array_append_new(out, x) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    lua_settop(L, base);
    if (out == NULL) {
        char buf[LH_ERRBUF * 2];
        snprintf(buf, sizeof buf, "rules/%s.lua: result of %s is not convertible to JSON: %s",
                 rule, fn, tj.err[0] ? tj.err : "out of memory");
        set_err(err, buf);
        return -1;
    }
    if (ret) *ret = out;
    else json_decref(out);
    return 0;
}

/* --- batch evaluation of units --- */

#define LH_BATCH_MAX 64            /* fields and strata of one batch */
#define LH_FAST_DECISIONS 32       /* decisions recognised by string identity */
#define LH_MEMO_ENTRIES (1 << 18)  /* distinct tuples remembered per batch; later ones just run */
#define LH_MEMO_KEY_BYTES ((size_t)16 << 20)   /* bytes of remembered tuples per batch */

enum { USE_CHECK = 1, USE_STRATUM = 2 };   /* batch_ctx.use: which rule declares a field */

typedef struct decision {
    int ok;
    char *reason, *clause;
    size_t hash;
} decision;

/* One remembered outcome: the tuple of declared values (bytes in memo.keys) -> the unit result. */
typedef struct memo_entry {
    uint64_t hash;
    size_t off, len;
    int ok, decision, stratum;
    char *sname;                   /* ok && stratum < 0: copy of the name stratum returned, or NULL */
} memo_entry;

typedef struct memo {
    memo_entry *e;
    size_t n, cap;
    uint32_t *slot;                /* open addressing over e: index + 1, or 0 */
    size_t nslot;
    unsigned char *keys;           /* every remembered tuple, back to back */
    size_t klen, kcap;
    uint64_t seed;
    int full;                      /* no more entries are added (limits or out of memory) */
} memo;

typedef struct batch_ctx {
    lh_state *h;
    const lh_batch *b;
    lh_value vals[LH_BATCH_MAX];
    unsigned char use[LH_BATCH_MAX];   /* USE_* bits of each field */
    long long count;
    int cb_failed;
    char *cb_err;
    /* distinct decisions (C copies), and an open-addressing index over them by content */
    decision *dec;
    size_t ndec, capdec;
    int *slot;                     /* index + 1, or 0 */
    size_t nslot;
    /* fast path: anchored Lua strings (pointer identity implies equal content) -> decision */
    struct { const char *r, *c; int ok, id; } fast[LH_FAST_DECISIONS];
    int nfast;
    const char *sname[LH_BATCH_MAX];   /* the stratum names as Lua strings (on the stack) */
    size_t slen[LH_BATCH_MAX];
    memo m;
    unsigned char *key;            /* the current unit's tuple */
    size_t keycap;
} batch_ctx;

static size_t decision_hash(int ok, const char *r, size_t rl, const char *c, size_t cl)
{
    size_t x = ok ? 0x9e3779b97f4a7c15u : 1469598103934665603u;
    for (size_t i = 0; i < rl; i++) x = (x ^ (unsigned char)r[i]) * 1099511628211u;
    x = (x ^ 0xff) * 1099511628211u;
    for (size_t i = 0; i < cl; i++) x = (x ^ (unsigned char)c[i]) * 1099511628211u;
    return x;
}

/* The id of decision (ok, r, c), adding a copy if it is new. Returns -1 when out of memory, -2
 * when r or c is not valid UTF-8. Pure C: never raises. */
static int decision_intern(batch_ctx *b, int ok, const char *r, size_t rl, const char *c, size_t cl)
{
    size_t hv = decision_hash(ok, r, rl, c, cl);
    if (b->nslot) {
        for (size_t i = hv & (b->nslot - 1);; i = (i + 1) & (b->nslot - 1)) {
            int k = b->slot[i];
            if (k == 0) break;
            decision *d = &b->dec[k - 1];
            if (d->hash == hv && d->ok == ok && strlen(d->reason) == rl && strlen(d->clause) == cl &&
                !memcmp(d->reason, r, rl) && !memcmp(d->clause, c, cl))
                return k - 1;
        }
    }
    json_t *vr = json_stringn(r, rl), *vc = json_stringn(c, cl);
    int valid = vr && vc;
    json_decref(vr);
    json_decref(vc);
    if (!valid) return -2;
    if (b->ndec == b->capdec) {
        size_t cap = b->capdec ? b->capdec * 2 : 16;
        decision *p = realloc(b->dec, cap * sizeof *p);
        if (!p) return -1;
        b->dec = p;
        b->capdec = cap;
    }
    if ((b->ndec + 1) * 2 > b->nslot) {   /* keep the index at most half full */
        size_t n = b->nslot ? b->nslot * 2 : 64;
        while ((b->ndec + 1) * 2 > n) n *= 2;
        int *s = calloc(n, sizeof *s);
        if (!s) return -1;
        for (size_t k = 0; k < b->ndec; k++) {
            size_t i = b->dec[k].hash & (n - 1);
            while (s[i]) i = (i + 1) & (n - 1);
            s[i] = (int)k + 1;
        }
        free(b->slot);
        b->slot = s;
        b->nslot = n;
    }
    decision *d = &b->dec[b->ndec];
    d->reason = malloc(rl + 1);
    d->clause = malloc(cl + 1);
    if (!d->reason || !d->clause) {
        free(d->reason);
        free(d->clause);
        return -1;
    }
    memcpy(d->reason, r, rl);
    d->reason[rl] = '\0';
    memcpy(d->clause, c, cl);
    d->clause[cl] = '\0';
    d->ok = ok;
    d->hash = hv;
    size_t i = hv & (b->nslot - 1);
    while (b->slot[i]) i = (i + 1) & (b->nslot - 1);
    b->slot[i] = (int)b->ndec + 1;
    return (int)b->ndec++;
}

/* --- the memo: declared values -> outcome --- */

/* Hash of a tuple, eight bytes at a time, keyed by the batch's random seed (the table's probe
 * lengths cannot be steered by crafted directory data). */
static uint64_t memo_hash(uint64_t seed, const unsigned char *p, size_t n)
{
    const uint64_t k = 0x9fb21c651e98df25u;
    uint64_t x = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15u);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        x = (x ^ w) * k;
        x ^= x >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    x = (x ^ w) * k;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93u;
    x ^= x >> 32;
    return x;
}

/* Appends n bytes to the tuple being built (c->key, *len used). Returns 0 or -1 (out of memory). */
static int key_add(batch_ctx *c, size_t *len, const void *p, size_t n)
{
    if (*len + n > c->keycap) {
        size_t cap = c->keycap ? c->keycap : 256;
        while (cap < *len + n) cap *= 2;
        unsigned char *k = realloc(c->key, cap);
        if (!k) return -1;
        c->key = k;
        c->keycap = cap;
    }
    memcpy(c->key + *len, p, n);
    *len += n;
    return 0;
}

/* Encodes the current unit's declared values into c->key (prefix-free per field, so equal bytes
 * mean equal values): TEXT nil 0 / 1 length bytes; INT nil 0 / 1 value; BOOL nil 0 / true 1 /
 * false 2 (booleans as Lua sees them). Returns the length, or -1 when out of memory. */
static long long key_build(batch_ctx *c)
{
    const lh_batch *b = c->b;
    size_t len = 0;
    for (int i = 0; i < b->nfields; i++) {
        if (!c->use[i]) continue;
        const lh_value *v = &c->vals[i];
        unsigned char tag;
        int rc;
        switch (b->fields[i].type) {
        case LH_FIELD_TEXT:
            tag = v->s != NULL;
            rc = key_add(c, &len, &tag, 1);
            if (rc == 0 && tag) {
                size_t n = v->len;
                rc = key_add(c, &len, &n, sizeof n);
                if (rc == 0) rc = key_add(c, &len, v->s, n);
            }
            break;
        case LH_FIELD_INT:
            tag = !v->nil;
            rc = key_add(c, &len, &tag, 1);
            if (rc == 0 && tag) rc = key_add(c, &len, &v->i, sizeof v->i);
            break;
        default:
            tag = v->nil ? 0 : v->i != 0 ? 1 : 2;
            rc = key_add(c, &len, &tag, 1);
            break;
        }
        if (rc != 0) return -1;
    }
    return (long long)len;
}

/* The remembered entry of tuple c->key[0 .. len-1] with hash hv, or NULL. */
static const memo_entry *memo_find(const memo *m, const unsigned char *key, size_t len, uint64_t hv)
{
    if (m->nslot == 0) return NULL;
    for (size_t i = hv & (m->nslot - 1);; i = (i + 1) & (m->nslot - 1)) {
        uint32_t k = m->slot[i];
        if (k == 0) return NULL;
        const memo_entry *e = &m->e[k - 1];
        if (e->hash == hv && e->len == len && !memcmp(m->keys + e->off, key, len)) return e;
    }
}

/* Remembers res for the tuple (a copy of the key and of an unknown stratum name). When a limit is
 * reached or memory runs out the memo stops growing: later new tuples are simply evaluated. */
static void memo_add(memo *m, const unsigned char *key, size_t len, uint64_t hv, const lh_unit_result *res)
{
    if (m->full) return;
    if (m->n >= LH_MEMO_ENTRIES || len > LH_MEMO_KEY_BYTES - m->klen) goto full;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        memo_entry *e = realloc(m->e, cap * sizeof *e);
        if (!e) goto full;
        m->e = e;
        m->cap = cap;
    }
    if ((m->n + 1) * 2 > m->nslot) {   /* at most half full */
        size_t n = m->nslot ? m->nslot * 2 : 1024;
        uint32_t *s = calloc(n, sizeof *s);
        if (!s) goto full;
        for (size_t k = 0; k < m->n; k++) {
            size_t i = m->e[k].hash & (n - 1);
            while (s[i]) i = (i + 1) & (n - 1);
            s[i] = (uint32_t)k + 1;
        }
        free(m->slot);
        m->slot = s;
        m->nslot = n;
    }
    if (m->klen + len > m->kcap) {
        size_t cap = m->kcap ? m->kcap : 4096;
        while (cap < m->klen + len) cap *= 2;
        unsigned char *k = realloc(m->keys, cap);
        if (!k) goto full;
        m->keys = k;
        m->kcap = cap;
    }
    char *sname = NULL;
    if (res->ok && res->stratum < 0 && res->stratum_name && !(sname = strdup(res->stratum_name))) goto full;
    memo_entry *e = &m->e[m->n];
    memcpy(m->keys + m->klen, key, len);
    e->hash = hv;
    e->off = m->klen;
    e->len = len;
    e->ok = res->ok;
    e->decision = res->decision;
    e->stratum = res->stratum;
    e->sname = sname;
    m->klen += len;
    size_t i = hv & (m->nslot - 1);
    while (m->slot[i]) i = (i + 1) & (m->nslot - 1);
    m->slot[i] = (uint32_t)m->n + 1;
    m->n++;
    return;
full:
    m->full = 1;
}

static void memo_free(memo *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->e[i].sname);
    free(m->e);
    free(m->slot);
    free(m->keys);
}

/* --- declared fields --- */

/* Marks in use[] (bit `bit`) the fields of table `table` named in rule's list `key` (a sequence of
 * strings; the rule table is at rule_idx). Raises when the list is missing or malformed. */
static void declared_list(lua_State *L, lh_state *h, int rule_idx, const char *rule, const char *key,
                          const lh_field *f, int n, int table, unsigned char bit, unsigned char *use)
{
    int top = lua_gettop(L);
    if (lua_getfield(L, rule_idx, key) != LUA_TTABLE)
        luaL_error(L, "rules/%s.lua: %s 应为该规则读取的字段名列表（见 rules/README.md），现为 %s", rule, key,
                   luaL_typename(L, -1));
    int t = lua_gettop(L);
    if (push_real(L, h, t)) t = lua_gettop(L);
    lua_Unsigned len = lua_rawlen(L, t);
    for (lua_Unsigned k = 1; k <= len; k++) {
        if (lua_rawgeti(L, t, (lua_Integer)k) != LUA_TSTRING)
            luaL_error(L, "rules/%s.lua: %s[%d] 应为字段名（字符串），现为 %s", rule, key, (int)k,
                       luaL_typename(L, -1));
        size_t nl;
        const char *name = lua_tolstring(L, -1, &nl);
        for (int i = 0; i < n; i++)
            if (f[i].table == table && strlen(f[i].name) == nl && !memcmp(f[i].name, name, nl)) use[i] |= bit;
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

/* Fills use[0 .. n-1] with the USE_* bits of each field from the loaded rules' declarations.
 * Raises on a missing rule or a malformed list. */
static void declared_fields(lua_State *L, lh_state *h, const lh_field *f, int n, unsigned char *use)
{
    int top = lua_gettop(L);
    memset(use, 0, (size_t)n);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    if (lua_getfield(L, -1, "eligibility") != LUA_TTABLE) luaL_error(L, "rule 'eligibility' is not loaded");
    declared_list(L, h, lua_gettop(L), "eligibility", "unit_fields", f, n, LH_IN_UNIT, USE_CHECK, use);
    declared_list(L, h, lua_gettop(L), "eligibility", "history_fields", f, n, LH_IN_HISTORY, USE_CHECK, use);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "sampling") != LUA_TTABLE) luaL_error(L, "rule 'sampling' is not loaded");
    declared_list(L, h, lua_gettop(L), "sampling", "unit_fields", f, n, LH_IN_UNIT, USE_STRATUM, use);
    lua_settop(L, top);
}

struct fields_ctx {
    lh_state *h;
    const lh_field *f;
    int n;
    unsigned char *use;
};

static int fields_entry(lua_State *L)
{
    struct fields_ctx *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    declared_fields(L, c->h, c->f, c->n, c->use);
    return 0;
}

int lh_batch_fields(lh_state *h, const lh_field *fields, int nfields, unsigned char *used, char **err)
{
    if (nfields < 0 || nfields > LH_BATCH_MAX || (nfields && (!fields || !used))) {
        set_err(err, "lh_batch_fields: invalid field list");
        return -1;
    }
    for (int i = 0; i < nfields; i++)
        if (!fields[i].name) {
            set_err(err, "lh_batch_fields: a field has no name");
            return -1;
        }
    unsigned char use[LH_BATCH_MAX];
    struct fields_ctx c = { h, fields, nfields, use };
    int base;
    if (protected_run(h, fields_entry, &c, 1, &base, "rules/%s.lua", "eligibility", err) != 0) return -1;
    lua_settop(h->L, base);
    for (int i = 0; i < nfields; i++) used[i] = use[i] != 0;
    return 0;
}

/* --- evaluation --- */

/* Stack layout of batch_entry (absolute indices). */
enum { BI_CHECK = 1, BI_STRATUM, BI_TASK, BI_ANCHOR, BI_KOK, BI_KREASON, BI_KCLAUSE, BI_KEYS };

/* The decision at index d (a table: check's result) as an interned id; raises on a bad shape. */
static int batch_decision(lua_State *L, batch_ctx *c, int d, lh_unit_result *res)
{
    lh_state *h = c->h;
    if (lua_type(L, d) != LUA_TTABLE)
        return luaL_error(L, "rules/eligibility.lua: check 没有返回 {ok, reason, clause}（返回了 %s）",
                          luaL_typename(L, d));
    int t = d;
    if (push_real(L, h, d)) t = lua_gettop(L);   /* a frozen proxy: read the table behind it */
    lua_pushvalue(L, BI_KOK);
    if (lua_rawget(L, t) != LUA_TBOOLEAN)
        return luaL_error(L, "rules/eligibility.lua: check 没有返回 {ok, reason, clause}（ok 不是布尔值）");
    int ok = lua_toboolean(L, -1);
    lua_pushvalue(L, BI_KREASON);
    const char *r = lua_rawget(L, t) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pushvalue(L, BI_KCLAUSE);
    const char *cl = lua_rawget(L, t) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int id = -1;
    for (int i = 0; i < c->nfast; i++)
        if (c->fast[i].r == r && c->fast[i].c == cl && c->fast[i].ok == ok) {
            id = c->fast[i].id;
            break;
        }
    if (id < 0) {
        size_t rl = r ? lua_rawlen(L, -2) : 0, cll = cl ? lua_rawlen(L, -1) : 0;
        id = decision_intern(c, ok, r ? r : "", rl, cl ? cl : "", cll);
        if (id == -1) return luaL_error(L, "rules/eligibility.lua: not enough memory for decisions");
        if (id == -2)
            return luaL_error(L, "rules/eligibility.lua: result of check is not convertible to JSON: "
                                 "string is not valid UTF-8");
        if (c->nfast < LH_FAST_DECISIONS) {   /* anchor both strings: their addresses stay theirs */
            for (int k = -2; k <= -1; k++) {
                if (lua_type(L, k) != LUA_TSTRING) continue;
                lua_pushvalue(L, k);
                lua_pushboolean(L, 1);
                lua_rawset(L, BI_ANCHOR);
            }
            c->fast[c->nfast].r = r;
            c->fast[c->nfast].c = cl;
            c->fast[c->nfast].ok = ok;
            c->fast[c->nfast].id = id;
            c->nfast++;
        }
    }
    lua_settop(L, d);
    res->ok = ok;
    res->decision = id;
    res->reason = c->dec[id].reason;
    res->clause = c->dec[id].clause;
    return 0;
}

/* Pushes a new table with the fields of vals whose table is `which` and whose use has `bit`. */
static void batch_table(lua_State *L, batch_ctx *c, int which, unsigned char bit, int n)
{
    const lh_batch *b = c->b;
    lua_createtable(L, 0, n);
    for (int i = 0; i < b->nfields; i++) {
        const lh_field *f = &b->fields[i];
        const lh_value *v = &c->vals[i];
        if (f->table != which || !(c->use[i] & bit)) continue;
        if (f->type == LH_FIELD_TEXT) {
            if (v->s == NULL) continue;
            lua_pushvalue(L, BI_KEYS + i);
            lua_pushlstring(L, v->s, v->len);
        } else {
            if (v->nil) continue;
            lua_pushvalue(L, BI_KEYS + i);
            if (f->type == LH_FIELD_BOOL) lua_pushboolean(L, v->i != 0);
            else lua_pushinteger(L, (lua_Integer)v->i);
        }
        lua_rawset(L, -3);
    }
}

/* Calls the rules for the current unit (c->vals) with a fresh budget; fills *res. The stack is
 * left at top + 1 (the decision) or top + 2 (and the stratum name). Raises on rule errors. */
static void batch_eval(lua_State *L, batch_ctx *c, int top, const int *n, lh_unit_result *res)
{
    lh_state *h = c->h;
    const lh_batch *b = c->b;
    h->instr_left = h->lim.instructions;   /* every call gets the whole per-call budget */
    h->deadline_ns = 0;
    lua_pushvalue(L, BI_CHECK);
    batch_table(L, c, LH_IN_UNIT, USE_CHECK, n[0]);
    lua_pushvalue(L, BI_TASK);
    batch_table(L, c, LH_IN_HISTORY, USE_CHECK, n[1]);
    lua_call(L, 3, 1);
    batch_decision(L, c, top + 1, res);
    res->stratum = -1;
    res->stratum_name = NULL;
    if (!res->ok) return;
    lua_pushvalue(L, BI_STRATUM);
    batch_table(L, c, LH_IN_UNIT, USE_STRATUM, n[2]);
    lua_pushvalue(L, BI_TASK);
    lua_call(L, 2, 1);
    if (lua_type(L, -1) != LUA_TSTRING) return;
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    res->stratum_name = s;
    for (int i = 0; i < b->nstrata && res->stratum < 0; i++)
        if (c->sname[i] == s) res->stratum = i;
    for (int i = 0; i < b->nstrata && res->stratum < 0; i++)
        if (c->slen[i] == len && !memcmp(c->sname[i], s, len)) res->stratum = i;
}

static int batch_entry(lua_State *L)
{
    batch_ctx *c = lua_touserdata(L, 1);
    lh_state *h = c->h;
    const lh_batch *b = c->b;
    lua_settop(L, 0);
    luaL_checkstack(L, BI_KEYS + b->nfields + b->nstrata + 16, "batch");
    declared_fields(L, h, b->fields, b->nfields, c->use);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);
    if (lua_getfield(L, -1, "eligibility") != LUA_TTABLE) return luaL_error(L, "rule 'eligibility' is not loaded");
    if (lua_getfield(L, -1, "check") != LUA_TFUNCTION)
        return luaL_error(L, "rules/eligibility.lua: no function 'check'");
    lua_insert(L, 1);
    lua_settop(L, 2);
    if (lua_getfield(L, 2, "sampling") != LUA_TTABLE) return luaL_error(L, "rule 'sampling' is not loaded");
    if (lua_getfield(L, -1, "stratum") != LUA_TFUNCTION)
        return luaL_error(L, "rules/sampling.lua: no function 'stratum'");
    lua_replace(L, BI_STRATUM);
    lua_settop(L, BI_STRATUM);
    push_json(L, h, b->task, 0);                  /* BI_TASK: one read-only table for every unit */
    push_frozen(L, h, -1);
    lua_remove(L, -2);
    lua_createtable(L, 0, LH_FAST_DECISIONS * 2); /* BI_ANCHOR */
    lua_pushliteral(L, "ok");
    lua_pushliteral(L, "reason");
    lua_pushliteral(L, "clause");
    int n[3] = {0, 0, 0};   /* sizes of check's unit and history tables, stratum's unit table */
    for (int i = 0; i < b->nfields; i++) {
        lua_pushstring(L, b->fields[i].name);
        if (b->fields[i].table == LH_IN_HISTORY) n[1] += (c->use[i] & USE_CHECK) != 0;
        else {
            n[0] += (c->use[i] & USE_CHECK) != 0;
            n[2] += (c->use[i] & USE_STRATUM) != 0;
        }
    }
    for (int i = 0; i < b->nstrata; i++)
        c->sname[i] = lua_pushlstring(L, b->strata[i], c->slen[i] = strlen(b->strata[i]));
    int top = lua_gettop(L);
    int memo_on = !b->no_memo;
    for (;;) {
        int rc = b->next(b->ud, c->vals, &c->cb_err);
        if (rc < 0) { c->cb_failed = 1; break; }
        if (rc == 0) break;
        lh_unit_result res;
        long long klen = memo_on ? key_build(c) : -1;
        uint64_t hv = 0;
        if (klen >= 0) {
            hv = memo_hash(c->m.seed, c->key, (size_t)klen);
            const memo_entry *e = memo_find(&c->m, c->key, (size_t)klen, hv);
            if (e) {
                res.ok = e->ok;
                res.decision = e->decision;
                res.reason = c->dec[e->decision].reason;
                res.clause = c->dec[e->decision].clause;
                res.stratum = e->stratum;
                res.stratum_name = !e->ok ? NULL : e->stratum >= 0 ? b->strata[e->stratum] : e->sname;
                c->count++;
                if (b->each(b->ud, &res, &c->cb_err) != 0) { c->cb_failed = 1; break; }
                continue;
            }
        }
        batch_eval(L, c, top, n, &res);
        if (klen >= 0) memo_add(&c->m, c->key, (size_t)klen, hv, &res);
        c->count++;
        if (b->each(b->ud, &res, &c->cb_err) != 0) { c->cb_failed = 1; break; }
        lua_settop(L, top);
    }
    lua_settop(L, 0);
    return 0;
}

int lh_eval_units(lh_state *h, const lh_batch *b, long long *count, char **err)
{
    if (count) *count = 0;
    if (b == NULL || b->next == NULL || b->each == NULL || b->nfields < 0 || b->nfields > LH_BATCH_MAX ||
        b->nstrata < 0 || b->nstrata > LH_BATCH_MAX || (b->nfields && !b->fields) || (b->nstrata && !b->strata)) {
        set_err(err, "lh_eval_units: invalid batch description");
        return -1;
    }
    for (int i = 0; i < b->nfields; i++)
        if (!b->fields[i].name) {
            set_err(err, "lh_eval_units: a field has no name");
            return -1;
        }
    for (int i = 0; i < b->nstrata; i++)
        if (!b->strata[i]) {
            set_err(err, "lh_eval_units: a stratum has no name");
            return -1;
        }
    batch_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        set_err(err, "out of memory");
        return -1;
    }
    c->h = h;
    c->b = b;
    randombytes_buf(&c->m.seed, sizeof c->m.seed);
    int base;
    /* unit and history tables die young: the generational collector handles them cheaply */
    int mode = lua_gc(h->L, LUA_GCGEN, 0, 0);
    int rc = protected_run(h, batch_entry, c, 1, &base, "rules/%s.lua", "eligibility", err);
    lua_settop(h->L, base);
    if (mode == LUA_GCINC) lua_gc(h->L, LUA_GCINC, 0, 0, 0);
    if (rc == 0 && c->cb_failed) {
        if (err) *err = c->cb_err ? c->cb_err : strdup("lh_eval_units: stopped by the caller");
        else free(c->cb_err);
        c->cb_err = NULL;
        rc = -1;
    }
    if (count) *count = c->count;
    for (size_t i = 0; i < c->ndec; i++) {
        free(c->dec[i].reason);
        free(c->dec[i].clause);
    }
    free(c->dec);
    free(c->slot);
    free(c->cb_err);
    memo_free(&c->m);
    free(c->key);
    free(c);
    return rc;
}

/* --- rule tests --- */

struct test_ctx {
    lh_state *h;
    const char *name, *src;
    size_t len;
    json_t *failures;   /* owned by the caller */
    long passed, failed;
};

static int test_entry(lua_State *L)
{
    struct test_ctx *c = lua_touserdata(L, 1);
    lh_state *h = c->h;
    lua_settop(L, 0);
    char chunk[LH_NAME_MAX + 32];
    snprintf(chunk, sizeof chunk, "=rules/tests/%s_test.lua", c->name);
    if (luaL_loadbufferx(L, c->src, c->len, chunk, "t") != LUA_OK) return lua_error(L);
    push_new_env(L, h);
    lua_pushcfunction(L, sb_eq);
    lua_setfield(L, -2, "eq");
    lua_setupvalue(L, 1, 1);
    budget_begin(h);
    int status = lua_pcall(L, 0, 1, 0);
    int breached = h->breached;
    budget_end(h);
    if (status != LUA_OK || breached) {
        if (breached && h->breach_msg[0]) lua_pushstring(L, h->breach_msg);
        return lua_error(L);
    }
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "%s: the test file must return a sequence of cases", chunk + 1);
    lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_settop(L, 1);
        lua_geti(L, 1, i);                 /* 2: case */
        char cname[128];
        snprintf(cname, sizeof cname, "case %lld", (long long)i);
        if (lua_type(L, 2) == LUA_TTABLE) {
            if (lua_geti(L, 2, 1) == LUA_TSTRING)
                snprintf(cname, sizeof cname, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        lua_pushcfunction(L, lh_msgh);     /* 3 */
        if (lua_type(L, 2) != LUA_TTABLE || lua_geti(L, 2, 2) != LUA_TFUNCTION) {
            lua_settop(L, 3);
            lua_pushfstring(L, "%s: case %d is not { \"name\", function() ... end }", chunk + 1,
                            (int)i);
            status = LUA_ERRRUN;
            breached = 0;
        } else {
            budget_begin(h);
            status = lua_pcall(L, 0, 0, 3);
            breached = h->breached;
            budget_end(h);
        }
        if (status == LUA_OK && !breached) {
            c->passed++;
            continue;
        }
        const char *msg;
        if (status == LUA_ERRMEM) msg = "not enough memory";
        else if (status != LUA_OK && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
        else msg = "error";
        if (breached && strstr(msg, breach_text(breached)) == NULL && h->breach_msg[0])
            msg = h->breach_msg;
        c->failed++;
        json_t *f = json_pack("{s:s, s:s}", "case", cname, "error", msg);
        if (f == NULL)
            f = json_pack("{s:s, s:s}", "case", "(name not valid UTF-8)", "error",
                          "(error message not valid UTF-8)");
        if (f) json_array_append_new(c->failures, f);
    }
    return 0;
}

int lh_run_tests(lh_state *h, const char *name, const char *src, size_t len, json_t **report,
                 char **err)
{
    if (report) *report = NULL;
    if (!valid_name(name)) {
        set_errf(err, "invalid rule name '%s'%s", name ? name : "", "");
        return -1;
    }
    struct test_ctx c = { h, name, src, len, json_array(), 0, 0 };
    if (c.failures == NULL) {
        set_err(err, "out of memory");
        return -1;
    }
    int base;
    if (protected_run(h, test_entry, &c, 0, &base, "rules/tests/%s_test.lua", name, err) != 0) {
        json_decref(c.failures);
        return -1;
    }
    lua_settop(h->L, base);
    json_t *r = json_pack("{s:I, s:I, s:o}", "passed", (json_int_t)c.passed, "failed",
                          (json_int_t)c.failed, "failures", c.failures);
    if (r == NULL) {
        set_err(err, "out of memory");
        return -1;
    }
    if (report) *report = r;
    else json_decref(r);
    return 0;
}

/* --- console --- */

struct console_ctx {
    lh_state *h;
    const char *code;
    size_t len;
};

static int console_entry(lua_State *L)
{
    struct console_ctx *c = lua_touserdata(L, 1);
    lh_state *h = c->h;
    lua_settop(L, 0);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "return ");
    luaL_addlstring(&b, c->code, c->len);
    luaL_pushresult(&b);
    size_t n;
    const char *ret = lua_tolstring(L, 1, &n);
    if (luaL_loadbufferx(L, ret, n, "=console", "t") != LUA_OK) {
        lua_settop(L, 0);
        if (luaL_loadbufferx(L, c->code, c->len, "=console", "t") != LUA_OK) return lua_error(L);
    } else {
        lua_remove(L, 1);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_console);
    lua_setupvalue(L, 1, 1);
    lua_call(L, 0, LUA_MULTRET);
    int nres = lua_gettop(L);
    if (nres == 0) return 0;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= nres; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

int lh_console(lh_state *h, const char *code, size_t len, char **output, char **result, char **err)
{
    if (output) *output = NULL;
    if (result) *result = NULL;
    h->capture = 1;
    h->out_len = 0;
    h->out_truncated = 0;
    struct console_ctx c = { h, code, len };
    int base;
    int rc = protected_run(h, console_entry, &c, 1, &base, "%s", "console", err);
    h->capture = 0;
    if (output) {
        *output = malloc(h->out_len + 1);
        if (*output) {
            if (h->out_len) memcpy(*output, h->out, h->out_len);
            (*output)[h->out_len] = '\0';
        }
    }
    if (rc != 0) return -1;
    if (lua_gettop(h->L) > base && result) {
        size_t n;
        const char *s = lua_tolstring(h->L, -1, &n);
        *result = malloc(n + 1);
        if (*result) {
            memcpy(*result, s, n);
            (*result)[n] = '\0';
        }
    }
    lua_settop(h->L, base);
    return 0;
}

struct register_ctx {
    lh_state *h;
    const char *global;
    const struct luaL_Reg *fns;
    void *ud;
};

static int register_entry(lua_State *L)
{
    struct register_ctx *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->h->ref_console);
    lua_createtable(L, 0, 8);
    lua_pushlightuserdata(L, c->ud);
    luaL_setfuncs(L, c->fns, 1);
    lua_setfield(L, 1, c->global);
    return 0;
}

int lh_console_register(lh_state *h, const char *global, const struct luaL_Reg *fns, void *ud)
{
    if (!valid_name(global) || fns == NULL) return -1;
    struct register_ctx c = { h, global, fns, ud };
    int base;
    char *err = NULL;
    int rc = protected_run(h, register_entry, &c, 0, &base, "%s", "console", &err);
    free(err);
    lua_settop(h->L, base);
    return rc;
}
