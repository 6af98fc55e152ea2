/* luahost.c: the entry points of the Lua host (see luahost.h; STYLE.md "Lua sandbox"): creating
 * and freeing states, loading and calling rules, row calls for batches, the rule test runner and
 * the console. Every entry runs through protected_run: lua_pcall with a traceback message handler
 * (lua.c's docall) under the run context's budget (luahost_run.c). The sandbox itself is built by
 * luahost_sandbox.c, values cross by luahost_json.c.
 *
 * Memory: the run context's lua_Alloc refuses growth past the ceiling; Lua then runs an emergency
 * collection and raises "not enough memory", and the state stays usable.
 */
#include "luahost.h"
#include "luahost_int.h"
#include "luahost_json.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <sodium.h>

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

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
    if (budget) lhr_begin(&h->run);
    int status = lua_pcall(L, 1, LUA_MULTRET, *base + 1);
    int breached = budget ? h->run.breached : 0;
    if (budget) lhr_end(&h->run, h->L);
    lua_remove(L, *base + 1);   /* the message handler */
    if (status == LUA_OK && !breached) return 0;

    char buf[LH_ERRBUF + 64];
    const char *msg = NULL;
    if (status == LUA_ERRMEM) {
        char what[LH_NAME_MAX + 32];
        snprintf(what, sizeof what, what_fmt, what_arg);
        snprintf(buf, sizeof buf, "%s: not enough memory (state memory limit of %zu bytes)",
                 what, h->run.lim.memory);
        msg = buf;
    } else if (status != LUA_OK) {
        msg = lua_tostring(L, -1);
        if (msg == NULL) msg = "unknown error";
    }
    if (breached && (msg == NULL || strstr(msg, lhr_breach_text(breached)) == NULL))
        msg = h->run.breach_msg[0] ? h->run.breach_msg : lhr_breach_text(breached);
    set_err(err, msg);
    lua_settop(L, *base);
    if (h->run.mem_used > h->run.lim.memory / 2) lua_gc(L, LUA_GCCOLLECT);   /* free the failed call's garbage now */
    return -1;
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
        int t = lhs_push_real(L, h, idx) ? lua_gettop(L) : idx;
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
    if (lhs_push_real(L, h, a)) a = lua_gettop(L);
    if (lhs_push_real(L, h, b)) b = lua_gettop(L);
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
    lh_state *h = lh_of(L);
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
    lhr_init(&h->run, lim);
    unsigned char seed[32];
    randombytes_buf(seed, sizeof seed);
    lhs_seed(&h->rng, seed, sizeof seed);
    sodium_memzero(seed, sizeof seed);

    h->L = lua_newstate(lhr_alloc, &h->run);
    if (h->L == NULL) {
        set_err(err, "cannot create a Lua state (memory limit too small?)");
        free(h);
        return NULL;
    }
    int base;
    if (protected_run(h, lhs_setup, h, 0, &base, "%s", "lua host", err) != 0) {
        lua_close(h->L);
        free(h);
        return NULL;
    }
    lua_settop(h->L, 0);
    lhr_install(h->L);
    return h;
}

void lh_free(lh_state *h)
{
    if (h == NULL) return;
    /* anything that still runs while closing (it should not: __gc is refused) has a budget */
    lhr_begin(&h->run);
    lua_close(h->L);
    free(h->out);
    free(h);
}

void lh_set_call_cap(lh_state *h, const lh_limits *cap)
{
    h->run.cap_instructions = cap && cap->instructions > 0 ? cap->instructions : 0;
    h->run.cap_millis = cap && cap->millis > 0 ? cap->millis : 0;
}

static atomic_int gate_taken;

int lh_gate_enter(int slots)
{
    if (slots < 1) slots = 1;
    int n = atomic_load(&gate_taken);
    while (n < slots)
        if (atomic_compare_exchange_weak(&gate_taken, &n, n + 1)) return 1;
    return 0;
}

void lh_gate_leave(void)
{
    atomic_fetch_sub(&gate_taken, 1);
}

size_t lh_memory(lh_state *h)
{
    return h->run.mem_used;
}

void lh_interrupt(lh_state *h)
{
    lhr_interrupt(&h->run);
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
    lhs_push_new_env(L, h);
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
    for (size_t i = 0; i < n; i++) lhj_push(L, json_array_get(c->args, i));
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
    char jerr[LH_ERRBUF];
    jerr[0] = '\0';
    size_t spent = 0;
    for (int i = base + 1; out && i <= top; i++) {
        json_t *x = lhj_to_json(L, i, &spent, jerr, sizeof jerr);
        if (x == NULL || json_array_append_new(out, x) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    lua_settop(L, base);
    if (out == NULL) {
        char buf[LH_ERRBUF * 2];
        snprintf(buf, sizeof buf, "rules/%s.lua: result of %s is not convertible to JSON: %s",
                 rule, fn, jerr[0] ? jerr : "out of memory");
        set_err(err, buf);
        return -1;
    }
    if (ret) *ret = out;
    else json_decref(out);
    return 0;
}

/* --- reading rule data --- */

struct value_ctx {
    lh_state *h;
    const char *rule, *key;
    json_t *value;
    const char *type;
    char jerr[LH_ERRBUF];
};

static int value_entry(lua_State *L)
{
    struct value_ctx *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->h->ref_rules);
    if (lua_getfield(L, 1, c->rule) != LUA_TTABLE) return luaL_error(L, "rule '%s' is not loaded", c->rule);
    int t = lua_getfield(L, 2, c->key);
    c->type = lua_typename(L, t);
    if (t != LUA_TNIL) c->value = lhj_to_json(L, 3, NULL, c->jerr, sizeof c->jerr);
    return 0;
}

int lh_rule_value(lh_state *h, const char *rule, const char *key, json_t **value, const char **type,
                  char **err)
{
    *value = NULL;
    if (type) *type = "nil";
    if (!valid_name(rule) || key == NULL) {
        set_errf(err, "invalid rule name '%s'%s", rule ? rule : "", "");
        return -1;
    }
    struct value_ctx c = { h, rule, key, NULL, "nil", "" };
    int base;
    if (protected_run(h, value_entry, &c, 1, &base, "rules/%s.lua", rule, err) != 0) return -1;
    lua_settop(h->L, base);
    *value = c.value;
    if (type) *type = c.type;
    return 0;
}

/* --- row calls --- */

/* The registry table of an lh_rows (a sequence): the functions, the shared table, the field names,
 * each function's result keys, and the anchor of the last result. */
struct lh_rows {
    lh_state *h;
    const lh_field *fields;
    int nfields, nfns;
    lh_rowfn fns[LH_ROW_FNS];
    int ntab[LH_ROW_FNS][LH_ROW_ARGS];   /* fields in each argument table (a size hint) */
    int keys_at[LH_ROW_FNS];             /* index in the registry table of fns[k]'s first key */
    int ref;                             /* the registry table */
    int anchor;                          /* its slot holding the last result */
    int gcmode;                          /* the collector's mode before */
    /* the running call */
    int fn;
    const lh_value *vals;
    lh_value *out;
    const char *type;
};

#define ROWS_FN(k) (1 + (k))
#define ROWS_SHARED(r) (1 + (r)->nfns)
#define ROWS_FIELD(r, i) (2 + (r)->nfns + (i))

struct rows_open_ctx {
    lh_rows *r;
    json_t *shared;
};

static int rows_open_entry(lua_State *L)
{
    struct rows_open_ctx *c = lua_touserdata(L, 1);
    lh_rows *r = c->r;
    lh_state *h = r->h;
    lua_settop(L, 0);
    lua_createtable(L, r->anchor, 0);                            /* 1: the registry table */
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_rules);             /* 2 */
    for (int k = 0; k < r->nfns; k++) {
        const lh_rowfn *f = &r->fns[k];
        if (lua_getfield(L, 2, f->rule) != LUA_TTABLE) return luaL_error(L, "rule '%s' is not loaded", f->rule);
        if (lua_getfield(L, -1, f->fn) != LUA_TFUNCTION)
            return luaL_error(L, "rules/%s.lua: no function '%s'", f->rule, f->fn);
        lua_rawseti(L, 1, ROWS_FN(k));
        lua_pop(L, 1);
    }
    lhj_push(L, c->shared);
    lhs_push_frozen(L, h, -1);
    lua_rawseti(L, 1, ROWS_SHARED(r));
    lua_pop(L, 1);
    for (int i = 0; i < r->nfields; i++) {
        lua_pushstring(L, r->fields[i].name);
        lua_rawseti(L, 1, ROWS_FIELD(r, i));
    }
    for (int k = 0; k < r->nfns; k++)
        for (int j = 0; j < r->fns[k].nkeys; j++) {
            lua_pushstring(L, r->fns[k].keys[j].name);
            lua_rawseti(L, 1, r->keys_at[k] + j);
        }
    lua_settop(L, 1);
    r->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Whether a field list is well formed. */
static int fields_valid(const lh_field *f, int n)
{
    if (n < 0 || n > LH_ROW_FIELDS || (n && !f)) return 0;
    for (int i = 0; i < n; i++)
        if (!f[i].name || f[i].type < LH_FIELD_TEXT || f[i].type > LH_FIELD_BOOL || f[i].table < 0) return 0;
    return 1;
}

lh_rows *lh_rows_open(lh_state *h, json_t *shared, const lh_field *fields, int nfields,
                      const lh_rowfn *fns, int nfns, char **err)
{
    if (nfns < 1 || nfns > LH_ROW_FNS || !fns || !fields_valid(fields, nfields)) {
        set_err(err, "lh_rows_open: invalid row description");
        return NULL;
    }
    lh_rows *r = calloc(1, sizeof *r);
    if (!r) {
        set_err(err, "out of memory");
        return NULL;
    }
    r->h = h;
    r->fields = fields;
    r->nfields = nfields;
    r->nfns = nfns;
    r->ref = LUA_NOREF;
    int at = ROWS_FIELD(r, nfields);
    for (int k = 0; k < nfns; k++) {
        const lh_rowfn *f = &fns[k];
        int ok = valid_name(f->rule) && f->fn && f->nargs >= 0 && f->nargs <= LH_ROW_ARGS &&
                 fields_valid(f->keys, f->nkeys) &&
                 (f->nkeys > 0 || (f->result_type >= LH_FIELD_TEXT && f->result_type <= LH_FIELD_BOOL));
        for (int a = 0; ok && a < f->nargs; a++) ok = f->args[a] >= LH_ARG_SHARED;
        if (!ok) {
            set_err(err, "lh_rows_open: invalid function description");
            free(r);
            return NULL;
        }
        r->fns[k] = *f;
        for (int a = 0; a < f->nargs; a++)
            for (int i = 0; f->args[a] != LH_ARG_SHARED && i < nfields; i++)
                r->ntab[k][a] += fields[i].table == f->args[a] && (!f->pass || f->pass[i]);
        r->keys_at[k] = at;
        at += f->nkeys;
    }
    r->anchor = at;
    struct rows_open_ctx c = { r, shared };
    int base;
    if (protected_run(h, rows_open_entry, &c, 1, &base, "rules/%s.lua", fns[0].rule, err) != 0) {
        free(r);
        return NULL;
    }
    lua_settop(h->L, base);
    /* argument tables die young: the generational collector handles them cheaply */
    r->gcmode = lua_gc(h->L, LUA_GCGEN, 0, 0);
    return r;
}

/* Reads the value at idx (0: none) into *v as type `type` (see lh_rows_call). Never raises. */
static void read_value(lua_State *L, int idx, int type, lh_value *v)
{
    memset(v, 0, sizeof *v);
    v->nil = 1;
    int t = idx ? lua_type(L, idx) : LUA_TNIL;
    if (type == LH_FIELD_TEXT) {
        if (t == LUA_TSTRING) {
            v->s = lua_tolstring(L, idx, &v->len);
            v->nil = 0;
        }
    } else if (type == LH_FIELD_INT) {
        if (t == LUA_TNUMBER && lua_isinteger(L, idx)) {
            v->i = (long long)lua_tointeger(L, idx);
            v->nil = 0;
        }
    } else if (t == LUA_TBOOLEAN) {
        v->i = lua_toboolean(L, idx);
        v->nil = 0;
    }
}

static int rows_call_entry(lua_State *L)
{
    lh_rows *r = lua_touserdata(L, 1);
    lh_state *h = r->h;
    const lh_rowfn *f = &r->fns[r->fn];
    lua_settop(L, 0);
    luaL_checkstack(L, LH_ROW_ARGS + 8, "row call");
    lhr_rearm(&h->run);   /* the time window opens at the first budget check */
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);   /* 1 */
    lua_rawgeti(L, 1, ROWS_FN(r->fn));           /* 2 */
    for (int a = 0; a < f->nargs; a++) {
        int tab = f->args[a];
        if (tab == LH_ARG_SHARED) {
            lua_rawgeti(L, 1, ROWS_SHARED(r));
            continue;
        }
        lua_createtable(L, 0, r->ntab[r->fn][a]);
        for (int i = 0; i < r->nfields; i++) {
            const lh_field *fd = &r->fields[i];
            const lh_value *v = &r->vals[i];
            if (fd->table != tab || (f->pass && !f->pass[i])) continue;
            if (fd->type == LH_FIELD_TEXT) {
                if (v->s == NULL) continue;
                lua_rawgeti(L, 1, ROWS_FIELD(r, i));
                lua_pushlstring(L, v->s, v->len);
            } else {
                if (v->nil) continue;
                lua_rawgeti(L, 1, ROWS_FIELD(r, i));
                if (fd->type == LH_FIELD_BOOL) lua_pushboolean(L, v->i != 0);
                else lua_pushinteger(L, (lua_Integer)v->i);
            }
            lua_rawset(L, -3);
        }
    }
    lua_call(L, f->nargs, 1);                    /* 2: the result */
    r->type = lua_typename(L, lua_type(L, 2));
    if (f->nkeys == 0) {
        read_value(L, 2, f->result_type, &r->out[0]);
    } else {
        int t = 0;
        if (lua_type(L, 2) == LUA_TTABLE) t = lhs_push_real(L, h, 2) ? lua_gettop(L) : 2;
        for (int j = 0; j < f->nkeys; j++) {
            if (t == 0) {
                read_value(L, 0, f->keys[j].type, &r->out[j]);
                continue;
            }
            lua_rawgeti(L, 1, r->keys_at[r->fn] + j);
            lua_rawget(L, t);
            read_value(L, -1, f->keys[j].type, &r->out[j]);
            lua_pop(L, 1);   /* the result (anchored below) keeps the string alive */
        }
    }
    lua_pushvalue(L, 2);
    lua_rawseti(L, 1, r->anchor);   /* strings in out stay valid until the next call */
    lua_settop(L, 0);
    return 0;
}

int lh_rows_call(lh_rows *r, int fn, const lh_value *vals, lh_value *out, const char **type, char **err)
{
    if (type) *type = "nil";
    if (fn < 0 || fn >= r->nfns || (r->nfields && !vals) || !out) {
        set_err(err, "lh_rows_call: invalid call");
        return -1;
    }
    r->fn = fn;
    r->vals = vals;
    r->out = out;
    r->type = "nil";
    int base;
    int rc = protected_run(r->h, rows_call_entry, r, 1, &base, "rules/%s.lua", r->fns[fn].rule, err);
    lua_settop(r->h->L, base);
    if (rc != 0) return -1;
    if (type) *type = r->type;
    return 0;
}

void lh_rows_close(lh_rows *r)
{
    if (!r) return;
    lua_State *L = r->h->L;
    luaL_unref(L, LUA_REGISTRYINDEX, r->ref);
    if (r->gcmode == LUA_GCINC) lua_gc(L, LUA_GCINC, 0, 0, 0);
    free(r);
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
    lhs_push_new_env(L, h);
    lua_pushcfunction(L, sb_eq);
    lua_setfield(L, -2, "eq");
    lua_setupvalue(L, 1, 1);
    lhr_begin(&h->run);
    int status = lua_pcall(L, 0, 1, 0);
    int breached = h->run.breached;
    lhr_end(&h->run, h->L);
    if (status != LUA_OK || breached) {
        if (breached && h->run.breach_msg[0]) lua_pushstring(L, h->run.breach_msg);
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
            lhr_begin(&h->run);
            status = lua_pcall(L, 0, 0, 3);
            breached = h->run.breached;
            lhr_end(&h->run, h->L);
        }
        if (status == LUA_OK && !breached) {
            c->passed++;
            continue;
        }
        const char *msg;
        if (status == LUA_ERRMEM) msg = "not enough memory";
        else if (status != LUA_OK && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
        else msg = "error";
        if (breached && strstr(msg, lhr_breach_text(breached)) == NULL && h->run.breach_msg[0])
            msg = h->run.breach_msg;
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

struct chunk_ctx {
    lh_state *h;
    const lh_chunk *c;
    char name[LH_NAME_MAX * 4 + 2];   /* "=" name */
};

/* Loads "return " .. src (when expression) or src as text with the chunk name; pushes the
 * function, or the error message of src and returns its status. */
static int load_chunk(lua_State *L, const char *name, const char *src, size_t len, int expression)
{
    if (expression) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "return ");
        luaL_addlstring(&b, src, len);
        luaL_pushresult(&b);
        size_t n;
        const char *ret = lua_tolstring(L, -1, &n);
        int status = luaL_loadbufferx(L, ret, n, name, "t");
        lua_remove(L, -2);
        if (status == LUA_OK) return LUA_OK;
        lua_pop(L, 1);
    }
    return luaL_loadbufferx(L, src, len, name, "t");
}

static int chunk_entry(lua_State *L)
{
    struct chunk_ctx *x = lua_touserdata(L, 1);
    lh_state *h = x->h;
    const lh_chunk *c = x->c;
    lua_settop(L, 0);
    if (load_chunk(L, x->name, c->src, c->len, c->expression) != LUA_OK) return lua_error(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_console);
    lua_setupvalue(L, 1, 1);
    int nargs = 0;
    if (c->argv) {   /* arg = {[0] = argv[0], argv[1], ...}; the chunk gets argv[1 ..] */
        luaL_checkstack(L, c->argc + 4, "too many arguments");
        lua_createtable(L, c->argc, 1);
        for (int i = 0; i < c->argc; i++) {
            lua_pushstring(L, c->argv[i]);
            lua_rawseti(L, -2, i);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_console);
        lua_insert(L, -2);
        lua_setfield(L, -2, "arg");
        lua_pop(L, 1);
        for (int i = 1; i < c->argc; i++) lua_pushstring(L, c->argv[i]);
        nargs = c->argc > 0 ? c->argc - 1 : 0;
    }
    lua_call(L, nargs, LUA_MULTRET);
    int nres = lua_gettop(L);
    if (nres == 0) return 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= nres; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

int lh_run_chunk(lh_state *h, const lh_chunk *c, char **output, char **result, char **err)
{
    if (output) *output = NULL;
    if (result) *result = NULL;
    if (c == NULL || (c->src == NULL && c->len > 0) || (c->argv && c->argc < 1)) {
        set_err(err, "lh_run_chunk: invalid chunk");
        return -1;
    }
    struct chunk_ctx x = { h, c, "" };
    snprintf(x.name, sizeof x.name, "=%s", c->name ? c->name : "console");
    h->capture = 1;
    h->out_len = 0;
    h->out_truncated = 0;
    int base;
    int rc = protected_run(h, chunk_entry, &x, 1, &base, "%s", x.name + 1, err);
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

int lh_console(lh_state *h, const char *code, size_t len, char **output, char **result, char **err)
{
    lh_chunk c = { .name = "console", .src = code, .len = len, .expression = 1 };
    return lh_run_chunk(h, &c, output, result, err);
}

struct incomplete_ctx {
    const char *src;
    size_t len;
    int incomplete;
};

static int incomplete_entry(lua_State *L)
{
    struct incomplete_ctx *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (load_chunk(L, "=console", c->src, c->len, 1) == LUA_OK) return 0;
    size_t n, m = sizeof "<eof>" - 1;
    const char *msg = lua_tolstring(L, -1, &n);
    c->incomplete = msg && n >= m && memcmp(msg + n - m, "<eof>", m) == 0;
    return 0;
}

int lh_chunk_incomplete(lh_state *h, const char *src, size_t len)
{
    struct incomplete_ctx c = { src, len, 0 };
    int base;
    char *err = NULL;
    int rc = protected_run(h, incomplete_entry, &c, 1, &base, "%s", "console", &err);
    free(err);
    lua_settop(h->L, base);
    return rc == 0 && c.incomplete;
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
