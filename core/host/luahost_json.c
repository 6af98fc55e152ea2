/* luahost_json.c: JSON <-> Lua for the host (see luahost_json.h and the conventions in luahost.h). */
#include "luahost_json.h"
#include "luahost_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#define LHJ_DEPTH 64                  /* nesting limit, both ways */
#define LHJ_NODE_COST 64              /* estimated bytes of one json_t (and its slot) */

static void mark_array(lua_State *L, lh_state *h, int idx)
{
    idx = lua_absindex(L, idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref_arrays);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static void push(lua_State *L, lh_state *h, json_t *v, int depth)
{
    if (depth > LHJ_DEPTH) luaL_error(L, "JSON nesting deeper than %d", LHJ_DEPTH);
    luaL_checkstack(L, 4, "JSON nesting");
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        size_t n = json_object_size(v);
        lua_createtable(L, 0, n > INT_MAX ? INT_MAX : (int)n);
        json_object_foreach(v, k, x) {
            if (json_is_null(x)) continue;
            push(L, h, x, depth + 1);
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
            push(L, h, x, depth + 1);
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

void lhj_push(lua_State *L, json_t *v)
{
    push(L, lh_of(L), v, 0);
}

static int push_entry(lua_State *L)
{
    lhj_push(L, lua_touserdata(L, 1));
    return 1;
}

void lhj_push_steal(lua_State *L, json_t *v)
{
    if (!v) luaL_error(L, "out of memory");
    lua_pushcfunction(L, push_entry);
    lua_pushlightuserdata(L, v);
    int rc = lua_pcall(L, 1, 1, 0);
    json_decref(v);
    if (rc != LUA_OK) lua_error(L);
}

/* Lua -> JSON. Never raises a Lua error (only non-allocating Lua API calls), so the json_t being
 * built is always freed; on failure returns NULL with c->err set. */
typedef struct tojson {
    lua_State *L;
    lh_state *h;
    int depth;
    size_t spent, limit;       /* estimated bytes of output, and the bound */
    const void *path[LHJ_DEPTH + 1];
    char *err;
    size_t errlen;
} tojson;

static json_t *to_json(tojson *c, int idx);

/* Charges n estimated bytes; 0, or -1 with c->err set when the output would pass the bound. */
static int spend(tojson *c, size_t n)
{
    if (n > c->limit - c->spent) {
        snprintf(c->err, c->errlen, "the result is larger than the memory limit of %zu bytes (are tables "
                 "shared or repeated?)", c->limit);
        c->spent = c->limit;
        return -1;
    }
    c->spent += n;
    return 0;
}

static json_t *table_to_json(tojson *c, int idx)
{
    lua_State *L = c->L;
    lh_state *h = c->h;
    if (!lua_checkstack(L, 8)) {
        snprintf(c->err, c->errlen, "stack overflow converting to JSON");
        return NULL;
    }
    int top = lua_gettop(L);
    int t = idx;
    if (lhs_push_real(L, h, idx)) t = lua_gettop(L);
    const void *id = lua_topointer(L, t);
    for (int i = 0; i < c->depth; i++) {
        if (c->path[i] == id) {
            snprintf(c->err, c->errlen, "cycle in table");
            lua_settop(L, top);
            return NULL;
        }
    }
    if (c->depth >= LHJ_DEPTH) {
        snprintf(c->err, c->errlen, "tables nested deeper than %d", LHJ_DEPTH);
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
            size_t klen = 0;
            switch (lua_type(L, -2)) {
            case LUA_TSTRING: key = lua_tolstring(L, -2, &klen); break;
            case LUA_TNUMBER:
                if (lua_isinteger(L, -2))
                    snprintf(kbuf, sizeof kbuf, "%lld", (long long)lua_tointeger(L, -2));
                else
                    snprintf(kbuf, sizeof kbuf, "%.14g", (double)lua_tonumber(L, -2));
                key = kbuf;
                klen = strlen(kbuf);
                break;
            default:
                snprintf(c->err, c->errlen, "table key of type %s cannot be converted to JSON",
                         luaL_typename(L, -2));
                break;
            }
            json_t *x = key && spend(c, klen) == 0 ? to_json(c, lua_gettop(L)) : NULL;
            if (x == NULL) {
                json_decref(out);
                out = NULL;
            } else if (json_object_set_new(out, key, x) != 0) {   /* steals x even on failure */
                snprintf(c->err, c->errlen, "object key is not valid UTF-8");
                json_decref(out);
                out = NULL;
            } else {
                lua_pop(L, 1);
            }
        }
    }
    c->depth--;
    lua_settop(L, top);
    if (out == NULL && c->err[0] == '\0') snprintf(c->err, c->errlen, "out of memory");
    return out;
}

static json_t *to_json(tojson *c, int idx)
{
    lua_State *L = c->L;
    json_t *x = NULL;
    if (spend(c, LHJ_NODE_COST) != 0) return NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: case LUA_TNONE: x = json_null(); break;
    case LUA_TBOOLEAN: x = json_boolean(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            x = json_integer((json_int_t)lua_tointeger(L, idx));
        } else {
            double d = (double)lua_tonumber(L, idx);
            if (!isfinite(d)) {
                snprintf(c->err, c->errlen, "cannot convert NaN or infinity to JSON");
                return NULL;
            }
            x = json_real(d);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (spend(c, n) != 0) return NULL;
        x = json_stringn(s, n);
        if (x == NULL) {
            snprintf(c->err, c->errlen, "string is not valid UTF-8");
            return NULL;
        }
        break;
    }
    case LUA_TTABLE: return table_to_json(c, idx);
    default:
        snprintf(c->err, c->errlen, "cannot convert a %s to JSON", luaL_typename(L, idx));
        return NULL;
    }
    if (x == NULL) snprintf(c->err, c->errlen, "out of memory");
    return x;
}

json_t *lhj_to_json(lua_State *L, int idx, size_t *spent, char *err, size_t errlen)
{
    tojson c;
    c.L = L;
    c.h = lh_of(L);
    c.depth = 0;
    c.limit = c.h->run.lim.memory;
    c.spent = spent ? (*spent < c.limit ? *spent : c.limit) : 0;
    c.err = err;
    c.errlen = errlen;
    err[0] = '\0';
    json_t *x = to_json(&c, lua_absindex(L, idx));
    if (spent) *spent = c.spent;
    return x;
}
