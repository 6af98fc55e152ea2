/*
** [spotcheck] lstrmatch.h: interface of lstrmatch.c, the pattern-matching
** functions of Lua 5.4.4's lstrlib.c with step counting (README.md).
** Copyright (C) 1994-2022 Lua.org, PUC-Rio; MIT licence (LICENSE).
*/
#ifndef LSTRMATCH_H
#define LSTRMATCH_H

#include <stddef.h>
#include "lua.h"
#include "lauxlib.h"

/* steps between two calls of lstrmatch_charge */
#define LSTRMATCH_TICK 1024

/* string.find, string.match, string.gmatch, string.gsub (NULL-terminated) */
extern const luaL_Reg lstrmatch_funcs[];

/*
** Provided by the embedding program. Called by a running match every
** LSTRMATCH_TICK steps: 'used' steps since the last call, 'total' steps of
** this library call so far, 'subject_len' bytes of its subject. May raise
** a Lua error to stop the call (it then does not return).
*/
void lstrmatch_charge (lua_State *L, long used, long total, size_t subject_len);

#endif
