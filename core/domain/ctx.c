/* ctx.c: the acting user's helpers (see ctx.h). */
#include "ctx.h"

#include <string.h>

const char *ctx_actor(const spot_ctx *c)
{
    return c && c->user ? c->user->username : "anonymous";
}

int ctx_has_role(const spot_ctx *c, int mask)
{
    return c && c->user && (c->user->role & mask);
}

int role_from_name(const char *name)
{
    static const char *const names[] = {"admin", "planner", "inspector", "head", "auditor"};
    for (int i = 0; i < 5; i++)
        if (name && !strcmp(name, names[i])) return 1 << i;
    return 0;
}

const char *role_name(int role)
{
    switch (role) {
    case ROLE_ADMIN: return "admin";
    case ROLE_PLANNER: return "planner";
    case ROLE_INSPECTOR: return "inspector";
    case ROLE_HEAD: return "head";
    case ROLE_AUDITOR: return "auditor";
    default: return "public";
    }
}
