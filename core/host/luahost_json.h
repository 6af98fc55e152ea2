/* luahost_json.h: the one JSON <-> Lua converter of core/host/ (the conventions are listed at the
 * end of luahost.h): rule calls, the row calls' shared value, rule tests and the admin API all use
 * it. Internal to core/host/. Uses jansson, luahost_int.h (proxies, the JSON-array marks). */
#ifndef SPOT_LUAHOST_JSON_H
#define SPOT_LUAHOST_JSON_H

#include <stddef.h>
#include <jansson.h>
#include <lua.h>

/* Pushes v (borrowed; NULL pushes nil) as a Lua value. Raises on nesting deeper than 64 levels or
 * when out of memory. */
void lhj_push(lua_State *L, json_t *v);

/* lhj_push, then releases v (also when raising). Raises "out of memory" when v is NULL. */
void lhj_push_steal(lua_State *L, json_t *v);

/* The JSON form of the value at idx: a new reference, or NULL with err (errlen bytes) set. Never
 * raises. The output is bounded: conversion stops with an error once its estimated size passes
 * the state's memory ceiling (a result whose tables share sub-tables would otherwise expand each
 * time it is reached, outside the Lua allocator), and when it meets a cycle or nesting deeper than
 * 64 levels. *spent (if not NULL) accumulates the estimate, so several values converted for one
 * reply share one bound. */
json_t *lhj_to_json(lua_State *L, int idx, size_t *spent, char *err, size_t errlen);

#endif
