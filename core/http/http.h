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
#include "ctx.h"
#include "server.h"
#include "err.h"
#include "jsonutil.h"


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
    spot_ctx ctx;                     /* what the domain receives: db, worker, user, client address */
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

/* Not a role either (like ROUTE_BEFORE_PW_CHANGE): the route takes file uploads, so its body cap is
 * spot_config.upload_max instead of spot_config.body_max. The cap is decided from the route table
 * before any byte of the body is accepted. */
#define ROUTE_UPLOAD (1 << 7)
_Static_assert(!(ROUTE_UPLOAD & (ROLE_STAFF | ROLE_PUBLIC | ROUTE_BEFORE_PW_CHANGE)), "ROUTE_UPLOAD is not a role");

/* Not a role either: the route runs Lua whose cost the client chooses (console code, a rule's top
 * level, an evaluation's arguments). Its handler runs on a thread of the Lua lane (lane.h), never on a
 * request thread, so the request threads stay free; a full lane answers 503 "busy" at once. */
#define ROUTE_LUA (1 << 8)
_Static_assert(!(ROUTE_LUA & (ROLE_STAFF | ROLE_PUBLIC | ROUTE_BEFORE_PW_CHANGE | ROUTE_UPLOAD)), "ROUTE_LUA is not a role");

struct route {
    const char *method;     /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;    /* "/api/enterprises/{id}" */
    int roles;              /* ROLE_* set (0 is refused at start-up: deny by default), with
                             * ROUTE_BEFORE_PW_CHANGE and ROUTE_UPLOAD where they apply */
    handler_fn fn;
};

/* Reply with JSON (steals body). Returns 0. */
int reply_json(req *r, int status, json_t *body);

/* Reply with {"error": code, "message": printf(fmt, …)} (SPEC §5). Returns 0. */
int reply_error(req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The error-mapping place (reply.c). reply_err answers e with the status of its kind, after rolling
 * back a transaction left open; reply_db_error logs err (freed) and answers 500; reply_rule_error
 * answers 422 rule_error naming the rule failure err (freed). All return 0. */
int http_status_of(spot_errkind kind);
int reply_err(req *r, const spot_err *e);
int reply_db_error(req *r, char *err);
int reply_rule_error(req *r, char *err);

/* Checks that every key of obj is in allowed (NULL-terminated); otherwise replies 400
 * unknown_field and returns -1. */
int req_check_fields(req *r, json_t *obj, const char *const *allowed);

/* Reply with raw bytes (copied). */
int reply_bytes(req *r, int status, const char *content_type, const void *data, size_t len);

/* Reply with data (malloc'd, len bytes), which the reply takes over (freed with it). */
int reply_take(req *r, int status, const char *content_type, char *data, size_t len);

/* Adds a response header (copied). */
void reply_header(req *r, const char *name, const char *value);

/* A query-string argument (decoded) or NULL; a request header or NULL. Borrowed. */
const char *req_query(req *r, const char *key);
const char *req_header(req *r, const char *name);

/* The query argument key as an integer in [min, max]: *out = dflt when it is absent or empty.
 * Returns 0; or, when it is not a decimal integer or is out of range (overflow included), replies
 * 400 bad_parameter naming key and the range and returns -1 (*out untouched). */
int req_query_int(req *r, const char *key, long long min, long long max, long long dflt, long long *out);

/* The path parameter {name} as a positive integer id, or -1 if it is not one. */
long long req_param_id(req *r, int index);

/* Checks the JSON body is an object; otherwise replies 400 and returns -1. */
int req_require_object(req *r);

/* Whether the user has one of the roles in mask. */
int req_has_role(const req *r, int mask);

/* Actor name for the audit trail: username or "anonymous". */
const char *req_actor(const req *r);



#endif
