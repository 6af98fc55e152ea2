/* api_announce.c: the public task announcements over HTTP: the list of locked tasks (SPEC §12) and
 * one task's announcement, whose serialized bytes are cached per change epoch (worker.h), and one
 * unit's draw history (GET /api/public/units/{uscc}). */
#include "api_announce.h"
#include "announce.h"

#include <stdio.h>
#include <stdlib.h>

/* Sets the reply from cached announcement bytes (a worker_cache_use callback). */
static void reply_cached(void *arg, const char *data, size_t len)
{
    reply_bytes(arg, 200, "application/json; charset=utf-8", data, len);
}

/* GET /api/public/tasks/{id}. A published announcement changes only when something is committed
 * (a draw, a lock, teams, an approved change), and every commit moves the change epoch: its bytes
 * are kept per task and epoch, so a repeated GET is a lookup and a copy. */
static int h_public_task(req *r)
{
    long long id = req_param_id(r, 0);
    char *err = NULL, key[48];
    int found = 0;
    unsigned long long epoch = r->w->epoch;
    snprintf(key, sizeof key, "announce:%lld", id);
    if (id > 0 && worker_cache_use(key, epoch, reply_cached, r)) return 0;
    json_t *ann = id > 0 ? announce_build(r->db, id, &found, &err) : NULL;
    if (!ann) {
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "没有这个任务公告");
    }
    reply_json(r, 200, ann);
    if (r->status == 200) worker_cache_put(key, epoch, r->reply, r->reply_len);
    return 0;
}

/* GET /api/public/tasks?year=&q=&page= */
static int h_public_list(req *r)
{
    spot_err e = {0};
    long long page;
    if (req_query_int(r, "page", 1, 1000000000LL, 1, &page) != 0) return 0;
    json_t *out = announce_list(&r->ctx, req_query(r, "year"), req_query(r, "q"), page, &e);
    if (!out) return reply_err(r, &e);
    return reply_json(r, 200, out);
}

/* GET /api/public/units/{uscc}: was this unit drawn (SPEC §12). */
static int h_public_unit(req *r)
{
    spot_err e = {0};
    json_t *out = announce_unit(&r->ctx, r->nparams > 0 ? r->params[0] : NULL, &e);
    if (!out) return reply_err(r, &e);
    return reply_json(r, 200, out);
}

const struct route announce_routes[] = {
    {"GET", "/api/public/units/{uscc}", ROLE_PUBLIC, h_public_unit},
    {"GET", "/api/public/tasks", ROLE_PUBLIC, h_public_list},
    {"GET", "/api/public/tasks/{id}", ROLE_PUBLIC, h_public_task},
    {0},
};
