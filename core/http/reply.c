/* reply.c: the one place where errors become HTTP statuses. A domain function fails with a
 * spot_err (kind, code, message); a handler passes it to reply_err, which rolls back whatever
 * transaction the request left open (nothing half-changed) and answers the SPEC §5 body with the
 * status of its kind. */
#include "http.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { spot_errkind kind; int status; } STATUS[] = {
    {SPOT_E_INPUT, 400},     {SPOT_E_UNAUTH, 401},   {SPOT_E_FORBIDDEN, 403}, {SPOT_E_NOTFOUND, 404},
    {SPOT_E_METHOD, 405},    {SPOT_E_CONFLICT, 409}, {SPOT_E_TOOLARGE, 413},  {SPOT_E_MEDIA, 415},
    {SPOT_E_INVALID, 422},   {SPOT_E_RULE, 422},     {SPOT_E_LIMIT, 429},     {SPOT_E_DB, 500},
    {SPOT_E_UNAVAILABLE, 503},
};

int http_status_of(spot_errkind kind)
{
    for (size_t i = 0; i < sizeof STATUS / sizeof STATUS[0]; i++)
        if (STATUS[i].kind == kind) return STATUS[i].status;
    return 500;
}

int reply_err(req *r, const spot_err *e)
{
    if (r->db && !sqlite3_get_autocommit(r->db)) db_rollback(r->db);
    return reply_error(r, http_status_of(e->kind), e->code[0] ? e->code : "internal", "%s", e->message);
}

int reply_db_error(req *r, char *err)
{
    spot_err e;
    spot_fail_db(&e, r->path, err);
    return reply_err(r, &e);
}

int reply_rule_error(req *r, char *err)
{
    spot_err e;
    spot_fail_rule(&e, err);
    return reply_err(r, &e);
}

int req_check_fields(req *r, json_t *obj, const char *const *allowed)
{
    spot_err e;
    if (spot_check_fields(obj, allowed, &e) != 0) return reply_err(r, &e), -1;
    return 0;
}
