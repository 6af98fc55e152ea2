/* api_announce.c: the public task announcements over HTTP: the list of locked tasks (SPEC §12) and
 * one task's announcement, whose serialized bytes (and their gzip, sent to a client that accepts it)
 * are cached per change epoch (worker.h), and one
 * unit's draw history (GET /api/public/units/{uscc}). */
#include "api_announce.h"
#include "announce.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define GZIP_MIN 8192   /* bytes: smaller announcements go out as they are */

/* Sets the reply from cached announcement bytes (a worker_cache_use callback). */
static void reply_cached(void *arg, const char *data, size_t len)
{
    reply_bytes(arg, 200, "application/json; charset=utf-8", data, len);
}

/* Sets the reply from cached gzip bytes of an announcement (a worker_cache_use callback). */
static void reply_cached_gz(void *arg, const char *data, size_t len)
{
    reply_bytes(arg, 200, "application/json; charset=utf-8", data, len);
    reply_header(arg, "Content-Encoding", "gzip");
}

/* Whether the request's Accept-Encoding names gzip (or *) with a q-value above 0. */
static int accepts_gzip(req *r)
{
    const char *ae = req_header(r, "Accept-Encoding");
    while (ae && *ae) {
        ae += strspn(ae, " \t,");
        size_t n = strcspn(ae, ",;");
        int named = (n == 4 && !strncasecmp(ae, "gzip", 4)) || (n == 1 && *ae == '*');
        const char *next = strchr(ae, ',');
        if (named) {
            const char *q = ae[n] == ';' ? strstr(ae + n, "q=") : NULL;
            if (!q || (next && q > next) || strtod(q + 2, NULL) > 0) return 1;
        }
        ae = next;
    }
    return 0;
}

/* gzip (RFC 1952) of len bytes (at most 1 GiB: one deflate call into deflateBound's room). Returns
 * a new buffer (caller frees) with *out_len, or NULL. */
static unsigned char *gzip_bytes(const char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (len > (1u << 30) || deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&zs, (uLong)len);
    unsigned char *out = malloc(cap);
    int rc = Z_MEM_ERROR;
    if (out) {
        zs.next_in = (Bytef *)(uintptr_t)data;
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        rc = deflate(&zs, Z_FINISH);
    }
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Copies cached bytes out (a worker_cache_use callback; arg: struct copy). The cache's lock is
 * held during the call, so nothing here may use the cache. */
struct copy { char *data; size_t len; };
static void copy_cached(void *arg, const char *data, size_t len)
{
    struct copy *c = arg;
    c->data = malloc(len + 1);
    if (!c->data) return;
    memcpy(c->data, data, len + 1);
    c->len = len;
}

/* Sets the reply to the gzip of data (status 200) and keeps it in the cache under gzkey; the plain
 * bytes when they are small or compression fails. */
static void reply_gz(req *r, const char *gzkey, unsigned long long epoch, const char *data, size_t len)
{
    size_t zlen = 0;
    unsigned char *z = len >= GZIP_MIN ? gzip_bytes(data, len, &zlen) : NULL;
    if (!z) {
        reply_cached(r, data, len);
        return;
    }
    reply_cached_gz(r, (const char *)z, zlen);
    if (zlen > WORKER_CACHE_ENTRY_MAX) worker_cache_put_large(gzkey, epoch, (const char *)z, zlen);
    else worker_cache_put(gzkey, epoch, (const char *)z, zlen);
    free(z);
}

/* GET /api/public/tasks/{id}. A published announcement changes only when something is committed
 * (a draw, a lock, teams, an approved change), and every commit moves the change epoch: its bytes
 * are kept per task and epoch, so a repeated GET is a lookup and a copy. */
static int h_public_task(req *r)
{
    long long id = req_param_id(r, 0);
    char *err = NULL, key[48], gzkey[48];
    int found = 0, gz = accepts_gzip(r);
    unsigned long long epoch = r->w->epoch;
    struct copy plain = {NULL, 0};
    snprintf(key, sizeof key, "announce:%lld", id);
    snprintf(gzkey, sizeof gzkey, "announce.gz:%lld", id);
    reply_header(r, "Vary", "Accept-Encoding");
    if (id > 0 && gz && worker_cache_use(gzkey, epoch, reply_cached_gz, r)) return 0;
    if (id > 0 && !gz && worker_cache_use(key, epoch, reply_cached, r)) return 0;
    if (id > 0 && gz && worker_cache_use(key, epoch, copy_cached, &plain) && plain.data) {
        reply_gz(r, gzkey, epoch, plain.data, plain.len);
        free(plain.data);
        return 0;
    }
    json_t *ann = id > 0 ? announce_build(r->db, id, &found, &err) : NULL;
    if (!ann) {
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "没有这个任务公告");
    }
    reply_json(r, 200, ann);
    if (r->status != 200) return 0;
    worker_cache_put(key, epoch, r->reply, r->reply_len);
    if (gz) {
        /* reply_gz replaces the reply: the plain bytes are taken over first */
        char *bytes = r->reply;
        size_t len = r->reply_len;
        r->reply = NULL;
        r->reply_len = 0;
        reply_gz(r, gzkey, epoch, bytes, len);
        free(bytes);
    }
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
