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

struct copy { char *data; size_t len; };

/* The plain bytes of gzip data (a worker_cache_use callback; arg: struct copy): a large
 * announcement is kept only compressed, and a client that does not take gzip gets it inflated. */
static void inflate_cached(void *arg, const char *data, size_t len)
{
    struct copy *c = arg;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return;
    size_t cap = len * 4 + 1024, n = 0;
    char *out = malloc(cap);
    int rc = Z_OK;
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    while (out && rc == Z_OK) {
        if (n == cap) {
            char *grown = realloc(out, cap * 2);
            if (!grown) break;
            out = grown;
            cap *= 2;
        }
        zs.next_out = (Bytef *)out + n;
        zs.avail_out = (uInt)(cap - n);
        rc = inflate(&zs, Z_NO_FLUSH);
        n = zs.total_out;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return;
    }
    c->data = out;
    c->len = n;
}

/* GET /api/public/tasks/{id}. A published announcement changes only when something is committed
 * (a draw, a lock, teams, an approved change), and every commit moves the change epoch: its bytes
 * are kept per task and epoch (gzip, and the plain text too when it is small), so a repeated GET
 * is a lookup and a copy. The text is written by announce_text straight from the rows. */
static int h_public_task(req *r)
{
    long long id = req_param_id(r, 0);
    char *err = NULL, key[48], gzkey[48];
    int found = 0, gz = accepts_gzip(r);
    unsigned long long epoch = r->w->epoch;
    snprintf(key, sizeof key, "announce:%lld", id);
    snprintf(gzkey, sizeof gzkey, "announce.gz:%lld", id);
    reply_header(r, "Vary", "Accept-Encoding");
    if (id > 0 && gz && worker_cache_use(gzkey, epoch, reply_cached_gz, r)) return 0;
    if (id > 0 && worker_cache_use(key, epoch, reply_cached, r)) return 0;
    if (id > 0 && !gz) {
        struct copy plain = {NULL, 0};
        if (worker_cache_use(gzkey, epoch, inflate_cached, &plain) && plain.data) {
            reply_take(r, 200, "application/json; charset=utf-8", plain.data, plain.len);
            return 0;
        }
    }
    size_t len = 0;
    char *text = id > 0 ? announce_text(r->db, id, &found, &len, &err) : NULL;
    if (!text) {
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "没有这个任务公告");
    }
    if (len <= WORKER_CACHE_ENTRY_MAX) worker_cache_put(key, epoch, text, len);
    size_t zlen = 0;
    unsigned char *z = len >= GZIP_MIN ? gzip_bytes(text, len, &zlen) : NULL;
    if (z) {
        if (zlen > WORKER_CACHE_ENTRY_MAX) worker_cache_put_large(gzkey, epoch, (const char *)z, zlen);
        else worker_cache_put(gzkey, epoch, (const char *)z, zlen);
    }
    if (gz && z) {
        free(text);
        reply_take(r, 200, "application/json; charset=utf-8", (char *)z, zlen);
        reply_header(r, "Content-Encoding", "gzip");
        return 0;
    }
    free(z);
    reply_take(r, 200, "application/json; charset=utf-8", text, len);
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
