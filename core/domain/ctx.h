/* ctx.h: who is acting and with what, as every domain function receives it: the caller's database
 * connection and Lua host (this thread's worker), the signed-in user with role, and the client
 * address for the trail. Knows nothing of HTTP; the server and the CLI both build one.
 * Uses worker.h. */
#ifndef SPOT_CTX_H
#define SPOT_CTX_H

#include <sqlite3.h>
#include "worker.h"

/* Roles (SPEC §5). A route admits a set of them; ROLE_PUBLIC admits anonymous callers. */
enum {
    ROLE_ADMIN = 1 << 0,
    ROLE_PLANNER = 1 << 1,
    ROLE_INSPECTOR = 1 << 2,
    ROLE_HEAD = 1 << 3,
    ROLE_AUDITOR = 1 << 4,
    ROLE_PUBLIC = 1 << 5,
    ROLE_STAFF = ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD | ROLE_AUDITOR,
    /* not a role: the route stays open to a session whose password must be changed first */
    ROUTE_BEFORE_PW_CHANGE = 1 << 6,
};

typedef struct user {
    long long id;
    char username[64];
    int role;              /* one ROLE_* bit */
    char cert_no[64];      /* linked inspector's 执法证号, or "" */
    int must_change;       /* an administrator set the password: only ROUTE_BEFORE_PW_CHANGE routes */
    long long org_id;      /* the org the user acts for (SPEC §10); 0 only for an account not yet migrated */
    char real_name[96];    /* 姓名, "" when not filled in */
} user;

typedef struct spot_ctx {
    sqlite3 *db;            /* == w->db */
    worker *w;              /* this thread's database connection and Lua state */
    const user *user;       /* NULL for anonymous callers and the CLI */
    const char *client_ip;  /* for the trail; "" from the CLI */
} spot_ctx;

/* Actor name for the audit trail: the user's name, or "anonymous". */
const char *ctx_actor(const spot_ctx *c);

/* Whether the user has one of the roles in mask. */
int ctx_has_role(const spot_ctx *c, int mask);

/* Role name <-> bit. role_from_name returns 0 for an unknown name. */
int role_from_name(const char *name);
const char *role_name(int role);

#endif
