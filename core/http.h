/* http.h: the HTTP server (libmicrohttpd, internal thread pool) and what handlers see: the request
 * with its path parameters, parsed JSON body, session user and this thread's worker; and the
 * helpers that set the reply (JSON, SPEC §5 errors, raw bytes). Routes are declared per module in
 * tables of struct route (see routes.c) and every route names the roles it admits. */
#ifndef SPOT_HTTP_H
#define SPOT_HTTP_H

#include <stddef.h>
#include <jansson.h>
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
} user;

#define REQ_MAX_PARAMS 4

typedef struct req {
    const char *method;
    const char *path;                 /* decoded path, without query string */
    char *params[REQ_MAX_PARAMS];     /* {name} segments of the matched pattern, decoded */
    int nparams;
    const char *body;                 /* raw body (NUL-terminated), may be "" */
    size_t body_len;
    json_t *json;                     /* parsed body if it was JSON, else NULL (borrowed) */
    const user *user;                 /* NULL for anonymous */
    worker *w;                        /* this thread's database and Lua state */
    sqlite3 *db;                      /* == w->db */
    const char *client_ip;
    void *conn;                       /* struct MHD_Connection * */

    /* the reply, set by the helpers below */
    int status;
    char *reply;
    size_t reply_len;
    const char *content_type;
    char *extra_headers[8];           /* "Name: value" strings, freed by the server */
    int nextra;
} req;

typedef int (*handler_fn)(req *r);

struct route {
    const char *method;     /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;    /* "/api/enterprises/{id}" */
    int roles;              /* ROLE_* set; 0 is refused at start-up (deny by default) */
    handler_fn fn;
};

/* Reply with JSON (steals body). Returns 0. */
int reply_json(req *r, int status, json_t *body);

/* Reply with {"error": code, "message": printf(fmt, …)} (SPEC §5). Returns 0. */
int reply_error(req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reply with raw bytes (copied). */
int reply_bytes(req *r, int status, const char *content_type, const void *data, size_t len);

/* Adds a response header (copied). */
void reply_header(req *r, const char *name, const char *value);

/* A query-string argument (decoded) or NULL; a request header or NULL. Borrowed. */
const char *req_query(req *r, const char *key);
const char *req_header(req *r, const char *name);

/* The path parameter {name} as a positive integer id, or -1 if it is not one. */
long long req_param_id(req *r, int index);

/* Checks the JSON body is an object; otherwise replies 400 and returns -1. */
int req_require_object(req *r);

/* Whether the user has one of the roles in mask. */
int req_has_role(const req *r, int mask);

/* Actor name for the audit trail: username or "anonymous". */
const char *req_actor(const req *r);

/* Starts serving spot_config's address with spot_config.threads workers and blocks until SIGINT or
 * SIGTERM. Returns 0 on clean stop, -1 with *err (e.g. port in use). */
int http_serve(char **err);

/* Role name <-> bit. role_from_name returns 0 for an unknown name. */
int role_from_name(const char *name);
const char *role_name(int role);

#endif
