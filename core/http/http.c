/* http.c: libmicrohttpd server, request accumulation and body cap, routing with path parameters,
 * role checks (deny by default), CSRF, JSON bodies, SPEC §5 errors, static files, security headers
 * and one log line per request. */
#include "http.h"
#include "auth.h"
#include "lane.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "enterprises.h"
#include "routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

/* Per-request state, hung on *req_cls and freed in request_completed. */
typedef struct conn_state {
    req r;
    char *body;
    size_t len, alloc;                /* body bytes received; bytes allocated for them */
    size_t cap;                       /* the route's body cap (spot_config.body_max or upload_max) */
    size_t reserved;                  /* bytes of the process-wide body budget held (buffered_total) */
    int refused;                      /* 1: body over the cap, 2: over the budget */
    user u;
    char csrf[65];
    struct timespec start;
#ifdef SPOT_FUZZING
    /* http_dispatch_for_test only (conn == NULL): the caller's user, query string and headers. */
    int test_mode;
    const char *test_query;           /* "a=1&b=2", not decoded further; may be NULL */
    const char *test_headers;         /* "Name: value\n..." lines; may be NULL */
    char test_value[1024];            /* the last value looked up in test mode */
#endif
    size_t sent_len;                  /* bytes of the reply handed to libmicrohttpd */
    int lane;                         /* LANE_*: where a ROUTE_LUA request is (see on_request) */
} conn_state;

enum { LANE_NONE, LANE_QUEUED, LANE_DONE };

/* A request that moved this much data (reply or body) gives its freed heap back to the system when
 * it completes: glibc keeps freed memory of each thread's arena resident otherwise, so one big
 * announcement (a 1,000,000-unit draw is ~24 MB of JSON built from millions of small objects)
 * would pin hundreds of MiB for the life of the server. */
#define TRIM_AFTER_BYTES (1u << 20)

static const char *const SECURITY_HEADERS[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
     "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
};

static void set_reply(req *r, int status, const char *ctype, char *body, size_t len)
{
    free(r->reply);
    r->status = status;
    r->content_type = ctype;
    r->reply = body;
    r->reply_len = len;
}

int reply_json(req *r, int status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!s) {
        s = strdup("{\"error\":\"internal\",\"message\":\"cannot encode reply\"}");
        status = 500;
    }
    set_reply(r, status, "application/json; charset=utf-8", s, strlen(s));
    return 0;
}

int reply_error(req *r, int status, const char *code, const char *fmt, ...)
{
    /* Formatted through spot_err: cut at a character boundary and cleaned of invalid UTF-8, so that
     * a message quoting client input always encodes (a split character used to turn a 400 into a 500). */
    spot_err e;
    va_list ap;
    va_start(ap, fmt);
    char buf[SPOT_ERR_MSG_MAX * 2];
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t len = k < 0 ? 0 : (size_t)k >= sizeof buf ? sizeof buf - 1 : (size_t)k;
    size_t n = spot_utf8_cut(buf, len, sizeof e.message - 1);
    memcpy(e.message, buf, n);
    e.message[n] = 0;
    spot_utf8_clean(e.message);
    return reply_json(r, status, json_pack("{ss ss}", "error", code, "message", e.message));
}

int reply_bytes(req *r, int status, const char *ctype, const void *data, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) return reply_error(r, 500, "internal", "out of memory");
    memcpy(copy, data, len);
    set_reply(r, status, ctype, copy, len);
    return 0;
}

int reply_take(req *r, int status, const char *ctype, char *data, size_t len)
{
    set_reply(r, status, ctype, data, len);
    return 0;
}

void reply_header(req *r, const char *name, const char *value)
{
    if (r->nextra < (int)(sizeof r->extra_headers / sizeof r->extra_headers[0]))
        r->extra_headers[r->nextra++] = xprintf("%s: %s", name, value);
}

#ifdef SPOT_FUZZING
#define TEST_MODE(cs) ((cs)->test_mode)
/* Test mode (no MHD connection): finds key in list, whose entries are separated by sep and split
 * from their value by kv (case-insensitive keys when nocase). The value is copied into the
 * request's scratch buffer (valid until the next lookup). Returns it or NULL. */
static const char *test_lookup(req *r, const char *list, char sep, char kv, int nocase, const char *key)
{
    conn_state *cs = (conn_state *)r; /* r is the first member of its conn_state */
    size_t klen = strlen(key);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, sep);
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p, kv, (size_t)(end - p));
        if (eq && (size_t)(eq - p) == klen && !(nocase ? strncasecmp(p, key, klen) : strncmp(p, key, klen))) {
            const char *v = eq + 1;
            while (kv == ':' && v < end && *v == ' ') v++;
            size_t n = (size_t)(end - v);
            if (n >= sizeof cs->test_value) n = sizeof cs->test_value - 1;
            memcpy(cs->test_value, v, n);
            cs->test_value[n] = 0;
            return cs->test_value;
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
}

#else
#define TEST_MODE(cs) 0
#endif

const char *req_query(req *r, const char *key)
{
#ifdef SPOT_FUZZING
    if (!r->conn) return test_lookup(r, ((conn_state *)r)->test_query, '&', '=', 0, key);
#endif
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(req *r, const char *name)
{
#ifdef SPOT_FUZZING
    if (!r->conn) return test_lookup(r, ((conn_state *)r)->test_headers, '\n', ':', 1, name);
#endif
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_query_int(req *r, const char *key, long long min, long long max, long long dflt, long long *out)
{
    const char *s = req_query(r, key);
    if (!s || !*s) {
        *out = dflt;
        return 0;
    }
    /* strtoll accepts leading blanks and saturates on overflow (errno = ERANGE): refuse both. */
    char *end = NULL;
    errno = 0;
    long long v = (*s == '-' || (*s >= '0' && *s <= '9')) ? strtoll(s, &end, 10) : 0;
    if (!end || end == s || *end || errno == ERANGE || v < min || v > max) {
        reply_error(r, 400, "bad_parameter", "参数 %s 应为 %lld 到 %lld 之间的整数", key, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

long long req_param_id(req *r, int index)
{
    if (index < 0 || index >= r->nparams) return -1;
    const char *s = r->params[index];
    if (!*s || strlen(s) > 15) return -1;
    long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
    }
    return v > 0 ? v : -1;
}

int req_require_object(req *r)
{
    if (json_is_object(r->json)) return 0;
    reply_error(r, 400, "bad_request", "请求体必须是 JSON 对象");
    return -1;
}

int req_has_role(const req *r, int mask)
{
    return r->user && (r->user->role & mask);
}

const char *req_actor(const req *r)
{
    return r->user ? r->user->username : "anonymous";
}

/* Whether path matches pattern, without allocating: the common case of a mismatch stays cheap. */
static int route_matches(const char *p, const char *s)
{
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            size_t seg = strcspn(s, "/");
            if (!pe || seg == 0) return 0;
            p = pe + 1;
            s += seg;
            continue;
        }
        if (*p++ != *s++) return 0;
    }
    return !*p && !*s;
}

/* Matches path against pattern; on success fills r->params (new strings). */
static int match_route(const char *pattern, const char *path, req *r)
{
    if (!route_matches(pattern, path)) return 0;
    const char *p = pattern, *s = path;
    int n = 0;
    char *found[REQ_MAX_PARAMS];
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *se = strchr(s, '/');
            if (!se) se = s + strlen(s);
            if (!pe || se == s || n == REQ_MAX_PARAMS) goto fail;
            found[n++] = strndup(s, (size_t)(se - s));
            p = pe + 1;
            s = se;
            continue;
        }
        if (*p != *s) goto fail;
        p++;
        s++;
    }
    if (*p || *s) goto fail;
    for (int i = 0; i < n; i++) r->params[i] = found[i];
    r->nparams = n;
    return 1;
fail:
    for (int i = 0; i < n; i++) free(found[i]);
    return 0;
}

/* Finds the route; *path_known tells whether some method matched the path (405 vs 404). */
static const struct route *find_route(req *r, int *path_known)
{
    *path_known = 0;
    for (int t = 0; spot_route_tables[t]; t++) {
        for (const struct route *rt = spot_route_tables[t]; rt->method; rt++) {
            req probe = {0};
            if (!match_route(rt->pattern, r->path, &probe)) continue;
            if (!strcmp(rt->method, r->method)) {
                memcpy(r->params, probe.params, sizeof probe.params);
                r->nparams = probe.nparams;
                return rt;
            }
            for (int i = 0; i < probe.nparams; i++) free(probe.params[i]);
            *path_known = 1;
        }
    }
    return NULL;
}

static const char *content_type_for(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"}, {".csv", "text/csv; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i][0])) return types[i][1];
    return "application/octet-stream";
}

/* Static files from web_dir (and /vendor/codemirror/, /vendor/chart.js/ from Debian's libjs-codemirror
 * and libjs-chart.js). */
static void serve_static(req *r)
{
    const char *path = r->path;
    /* No parent segments, and nothing of the test tooling that may sit beside the pages. */
    if (strstr(path, "..") || strchr(path, '\\') || strlen(path) > 512 || !strncmp(path, "/node_modules", 13) ||
        !strncmp(path, "/package", 8)) {
        reply_error(r, 404, "not_found", "没有这个页面");
        return;
    }
    char file[2048];
    if (!strncmp(path, "/vendor/codemirror/", 19))
        snprintf(file, sizeof file, "/usr/share/javascript/codemirror/%s", path + 19);
    else if (!strncmp(path, "/vendor/chart.js/", 17))
        snprintf(file, sizeof file, "/usr/share/javascript/chart.js/%s", path + 17);
    else
        snprintf(file, sizeof file, "%s%s", spot_config.web_dir, path);
    struct stat sb;
    if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* path may be "" (a request target of only "?…"): no path[-1] then */
        strncat(file, path[0] && path[strlen(path) - 1] == '/' ? "index.html" : "/index.html",
                sizeof file - strlen(file) - 1);
    }
    FILE *f = fopen(file, "rb");
    if (!f || stat(file, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (64 << 20)) {
        if (f) fclose(f);
        reply_error(r, 404, "not_found", "没有这个页面：%s", path);
        return;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    if (!buf) { reply_error(r, 500, "internal", "out of memory"); return; }
    set_reply(r, 200, content_type_for(file), buf, n);
    reply_header(r, "Cache-Control", "no-cache");
}

static int is_json_type(const char *ct)
{
    return ct && !strncasecmp(ct, "application/json", 16);
}

/* The checks that need only the request line and headers, made before any byte of the body is
 * accepted and again once it has arrived: route (404, 405), this thread's worker (503), session,
 * roles (401, 403), initial password (403) and CSRF token (403). Returns the route when the request
 * may go on, or NULL with the refusal set as r's reply. Fills r->params, r->w, r->db, r->user and
 * r->ctx (a second call starts afresh). */
static const struct route *admit(conn_state *cs)
{
    req *r = &cs->r;
    char *err = NULL;
    for (int i = 0; i < r->nparams; i++) free(r->params[i]);
    r->nparams = 0;
    r->user = NULL;
    int path_known;
    const struct route *rt = find_route(r, &path_known);
    if (!rt) {
        if (path_known) reply_error(r, 405, "method_not_allowed", "此路径不支持 %s 方法", r->method);
        else reply_error(r, 404, "not_found", "没有这个接口：%s", r->path);
        return NULL;
    }
    if (!(rt->roles & (ROLE_STAFF | ROLE_PUBLIC))) { /* deny by default: a route that admits nobody */
        reply_error(r, 403, "forbidden", "此接口未声明角色，拒绝访问");
        return NULL;
    }
    r->w = worker_get(&err);
    if (!r->w) {
        fprintf(stderr, "spotcheck: worker: %s\n", err);
        free(err);
        reply_error(r, 503, "unavailable", "数据库暂不可用");
        return NULL;
    }
    r->db = r->w->db;
    /* Syncs the change epoch first (see worker.h), then again once the handler is done, before the
     * reply leaves: whatever this request committed invalidates every cache before anyone hears. */
    if (worker_refresh_rules(r->w, &err) != 0) {
        fprintf(stderr, "spotcheck: rules: %s\n", err);
        free(err);
        err = NULL;
    }
    if (TEST_MODE(cs)) r->user = cs->u.role ? &cs->u : NULL; /* set by http_dispatch_for_test */
    else {
        char th[65];
        if (auth_cookie_token_hash(req_header(r, "Cookie"), th) && auth_resolve(r->w, th, &cs->u, cs->csrf) == 1)
            r->user = &cs->u;
    }
    r->ctx = (spot_ctx){.db = r->db, .w = r->w, .user = r->user, .client_ip = r->client_ip};
    if (!(rt->roles & ROLE_PUBLIC)) {
        if (!r->user) {
            reply_error(r, 401, "unauthorized", "请先登录");
            return NULL;
        }
        if (!(rt->roles & r->user->role)) {
            fprintf(stderr, "security: role refused: user=%s role=%s %s %s\n", r->user->username,
                    role_name(r->user->role), r->method, r->path);
            reply_error(r, 403, "forbidden", "当前角色（%s）无权执行此操作", role_name(r->user->role));
            return NULL;
        }
        if (r->user->must_change && !(rt->roles & ROUTE_BEFORE_PW_CHANGE)) {
            reply_error(r, 403, "password_change_required", "请先修改管理员设置的初始密码（POST /api/me/password）");
            return NULL;
        }
    }
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD") && r->user && !TEST_MODE(cs)) {
        const char *tok = req_header(r, "X-CSRF-Token");
        if (!tok || strlen(tok) != 64 || sodium_memcmp(tok, cs->csrf, 64) != 0) {
            fprintf(stderr, "security: csrf refused: user=%s %s %s\n", r->user->username, r->method, r->path);
            reply_error(r, 403, "csrf", "缺少或错误的 X-CSRF-Token");
            return NULL;
        }
    }
    return rt;
}

/* ---- reply cache of GET routes ------------------------------------------------------------------
 * A GET's reply is a function of the route, its query arguments, the caller's session, the database
 * and the clock. So a 200 JSON reply is kept in the process-wide cache (worker.h) keyed by the
 * current second, the session (its CSRF token; "-" for anonymous callers), the path and the query
 * arguments in order, stamped with the change epoch read before the handler ran, and stored only if
 * the epoch did not move by the end of the request (a GET that commits, e.g. one that audits, is
 * never cached). Any commit anywhere makes every entry stale (worker.h). Not cached: /api/health,
 * ROUTE_LUA routes, replies with extra headers, requests in test mode. */

struct key_buf {
    char *p;
    size_t len, cap;
    int overflow;
};

/* Appends s (n bytes) to k. */
static void key_add(struct key_buf *k, const char *s, size_t n)
{
    if (k->overflow || k->len + n + 1 > k->cap) { k->overflow = 1; return; }
    memcpy(k->p + k->len, s, n);
    k->len += n;
    k->p[k->len] = 0;
}

/* MHD_get_connection_values callback: appends "&key=value" (value may be NULL). */
static enum MHD_Result key_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct key_buf *k = cls;
    key_add(k, "&", 1);
    key_add(k, key ? key : "", key ? strlen(key) : 0);
    if (value) {
        key_add(k, "=", 1);
        key_add(k, value, strlen(value));
    }
    return k->overflow ? MHD_NO : MHD_YES;
}

/* Writes r's cache key into key (cap bytes). Returns 1 if the request may use the reply cache. */
static int reply_cache_key(conn_state *cs, const struct route *rt, char *key, size_t cap)
{
    req *r = &cs->r;
    if (strcmp(r->method, "GET") || (rt->roles & ROUTE_LUA) || !strcmp(r->path, "/api/health") || !r->conn)
        return 0;
    struct key_buf k = {key, 0, cap, 0};
    key[0] = 0;
    char head[128];
    int n = snprintf(head, sizeof head, "reply|%lld|%s|", clock_unix(), r->user ? cs->csrf : "-");
    key_add(&k, head, (size_t)n);
    key_add(&k, r->path, strlen(r->path));
    key_add(&k, "?", 1);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, key_arg, &k);
    return !k.overflow;
}

/* Sets r's reply from cached bytes (a worker_cache_use callback). */
static void reply_from_cache(void *arg, const char *data, size_t len)
{
    reply_bytes(arg, 200, "application/json; charset=utf-8", data, len);
}

/* Answers a complete request: a static file, or the route's handler once admit (again) lets it in
 * and the body parses. */
static void dispatch(conn_state *cs)
{
    req *r = &cs->r;
    if (strncmp(r->path, "/api/", 5) != 0) {
        if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
            reply_error(r, 405, "method_not_allowed", "不支持的请求方法");
            return;
        }
        serve_static(r);
        return;
    }
    const struct route *rt = admit(cs);
    char ckey[2048];
    int cacheable = rt && reply_cache_key(cs, rt, ckey, sizeof ckey);
    unsigned long long epoch = r->w ? r->w->epoch : 0;
    if (cacheable && worker_cache_use(ckey, epoch, reply_from_cache, r)) rt = NULL;
    if (rt) {
        const char *ct = req_header(r, "Content-Type");
        json_t *parsed = NULL;
        if (r->body_len > 0 && (is_json_type(ct) || !ct)) {
            json_error_t je;
            parsed = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
            if (!parsed)
                reply_error(r, 400, "bad_json", "JSON 格式错误（第 %d 行第 %d 列）：%s", je.line, je.column, je.text);
        }
        if (parsed || !r->reply) {
            r->json = parsed;
            int rc = rt->fn(r);
            if (!sqlite3_get_autocommit(r->db)) db_rollback(r->db); /* a handler that left a transaction open */
            if (rc != 0 || !r->reply) {
                if (!r->reply || r->status < 400) reply_error(r, 500, "internal", "服务器内部错误");
            }
            r->json = NULL;
            json_decref(parsed);
        }
    }
    /* A GET commits nothing but, at most, the deletion of an expired session (seen_at is in memory). */
    if (r->w) {
        if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) worker_sync_own(r->w);
        else worker_sync(r->w);
        /* Kept only if nothing was committed since epoch was read (worker_cache_put checks). */
        if (rt && cacheable && r->status == 200 && r->reply && r->nextra == 0 && r->content_type &&
            !strncmp(r->content_type, "application/json", 16))
            worker_cache_put(ckey, epoch, r->reply, r->reply_len);
    }
}

#ifdef SPOT_FUZZING
/* Test-only entry point (fuzzers in tests/fuzz/, no libmicrohttpd): dispatches one request through
 * the real router, role checks and handlers on this thread's worker (spot_config.db_path must name
 * an existing database). method and path as on the wire but path already decoded and without '?';
 * query: "k=v&k2=v2" or NULL (values taken verbatim); content_type may be NULL; body (len bytes,
 * need not be NUL-terminated); role: one ROLE_* bit acting as user `username` (cert_no ""), or 0
 * for an anonymous caller. CSRF is not checked. Returns the reply status; *reply (if not NULL)
 * receives the reply body as a new NUL-terminated string (caller frees), *reply_len its length. */
int http_dispatch_for_test(const char *method, const char *path, const char *query,
                           const char *content_type, const char *body, size_t len, int role,
                           const char *username, char **reply, size_t *reply_len)
{
    conn_state *cs = calloc(1, sizeof *cs);
    if (!cs) return -1;
    char headers[256];
    snprintf(headers, sizeof headers, "Content-Type: %s", content_type ? content_type : "");
    cs->test_mode = 1;
    cs->test_query = query;
    cs->test_headers = content_type ? headers : NULL;
    cs->u.id = 1;
    cs->u.role = role;
    snprintf(cs->u.username, sizeof cs->u.username, "%s", username ? username : "fuzz");
    cs->body = malloc(len + 1);
    if (!cs->body) { free(cs); return -1; }
    if (len) memcpy(cs->body, body, len);
    cs->body[len] = 0;
    cs->r.method = method;
    cs->r.path = path;
    cs->r.client_ip = strdup("127.0.0.1");
    cs->r.body = cs->body;
    cs->r.body_len = len;
    dispatch(cs);
    int status = cs->r.reply ? cs->r.status : 500;
    if (reply) {
        char *out = malloc(cs->r.reply_len + 1);
        if (out) {
            if (cs->r.reply_len) memcpy(out, cs->r.reply, cs->r.reply_len);
            out[cs->r.reply_len] = 0;
        }
        *reply = out;
        if (reply_len) *reply_len = out ? cs->r.reply_len : 0;
    }
    for (int i = 0; i < cs->r.nparams; i++) free(cs->r.params[i]);
    for (int i = 0; i < cs->r.nextra; i++) free(cs->r.extra_headers[i]);
    free(cs->r.reply);
    free((char *)cs->r.client_ip);
    free(cs->body);
    free(cs);
    return status;
}
#endif

static enum MHD_Result send_reply(struct MHD_Connection *conn, conn_state *cs)
{
    req *r = &cs->r;
    if (!r->reply) reply_error(r, 500, "internal", "no reply");
    cs->sent_len = r->reply_len;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
    r->reply = NULL;
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "application/json");
    for (size_t i = 0; i < sizeof SECURITY_HEADERS / sizeof SECURITY_HEADERS[0]; i++)
        MHD_add_response_header(resp, SECURITY_HEADERS[i][0], SECURITY_HEADERS[i][1]);
    if (!strncmp(r->path, "/api/", 5)) MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (int i = 0; i < r->nextra; i++) {
        char *h = r->extra_headers[i];
        char *colon = strchr(h, ':');
        if (!colon) continue;
        *colon = 0;
        MHD_add_response_header(resp, h, colon + 2);
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The X-Forwarded-For header lines of a request, the last XFF_KEEP of them in order. */
#define XFF_KEEP 8
typedef struct xff_lines {
    const char *v[XFF_KEEP];
    int n;
} xff_lines;

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    xff_lines *x = cls;
    if (!key || !value || strcasecmp(key, "X-Forwarded-For")) return MHD_YES;
    if (x->n == XFF_KEEP) {
        memmove(x->v, x->v + 1, sizeof x->v[0] * (XFF_KEEP - 1));
        x->n--;
    }
    x->v[x->n++] = value;
    return MHD_YES;
}

/* The client address of a request, as a new string the caller frees (NULL if out of memory).
 * It is the TCP peer unless the peer is listed in trusted_proxies; then it is the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy (the left-most entry if all are).
 * A missing header or any malformed entry met on the way falls back to the peer: only entries a
 * trusted proxy appended are believed, so a client cannot choose its own address. The result is
 * always inet_ntop's canonical text, so it is safe in log lines and stable as a throttling key. */
static char *resolve_client_ip(struct MHD_Connection *conn)
{
    char text[INET6_ADDRSTRLEN];
    spot_ip peer;
    memset(&peer, 0, sizeof peer);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        peer.family = AF_INET;
        memcpy(peer.addr, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, 4);
    } else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
        /* Through the text form so that an IPv4-mapped peer is stored as IPv4, as in the list. */
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, text, sizeof text);
        if (spot_ip_parse(text, strlen(text), &peer) != 0) peer.family = 0;
    }
    if (!peer.family) return strdup("");
    if (!config_trusted_proxy(&peer)) return strdup(spot_ip_format(&peer, text, sizeof text));
    xff_lines x = {.n = 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, &collect_xff, &x);
    spot_ip found = peer;
    for (int h = x.n - 1; h >= 0; h--) {
        const char *line = x.v[h], *end = line + strlen(line);
        for (;;) {
            const char *start = end;
            while (start > line && start[-1] != ',') start--;
            const char *s = start, *e = end;
            while (s < e && (*s == ' ' || *s == '\t')) s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            spot_ip hop;
            if (spot_ip_parse(s, (size_t)(e - s), &hop) != 0)
                return strdup(spot_ip_format(&peer, text, sizeof text));
            found = hop;
            if (!config_trusted_proxy(&hop)) return strdup(spot_ip_format(&found, text, sizeof text));
            if (start == line) break;
            end = start - 1;
        }
    }
    return strdup(spot_ip_format(&found, text, sizeof text));
}

/* Bytes reserved for request bodies across all connections (see body_reserve). */
static size_t buffered_total; /* accessed only through __atomic builtins */

/* The most all connections together may hold of request bodies at once: two uploads at their cap
 * and a full-sized ordinary body for each worker thread. */
static size_t buffer_budget(void)
{
    return 2 * spot_config.upload_max + (size_t)spot_config.threads * spot_config.body_max;
}

/* Reserves n more bytes of body for cs against the process-wide budget. Returns 0, or -1 (nothing
 * reserved) when the budget would be exceeded. */
static int body_reserve(conn_state *cs, size_t n)
{
    size_t cur = __atomic_load_n(&buffered_total, __ATOMIC_SEQ_CST), budget = buffer_budget();
    do {
        if (n > budget || cur > budget - n) return -1;
    } while (!__atomic_compare_exchange_n(&buffered_total, &cur, cur + n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    cs->reserved += n;
    return 0;
}

/* The Content-Length header lines of a request: how many, and whether they all agree. */
typedef struct clen_lines {
    int n, conflict, bad;
    unsigned long long value;
} clen_lines;

static enum MHD_Result collect_clen(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    clen_lines *c = cls;
    if (!key || strcasecmp(key, "Content-Length")) return MHD_YES;
    const char *v = value ? value : "";
    unsigned long long n = 0;
    int digits = 0;
    for (; *v >= '0' && *v <= '9'; v++, digits++) {
        if (n > (ULLONG_MAX - 9) / 10) { c->bad = 1; break; }
        n = n * 10 + (unsigned long long)(*v - '0');
    }
    if (!digits || *v) c->bad = 1;
    if (c->n && n != c->value) c->conflict = 1;
    c->value = n;
    c->n++;
    return MHD_YES;
}

/* Everything the server decides on seeing the headers, before accepting a byte of the body: a
 * single well-formed Content-Length (400 otherwise); the route's checks (admit: 404, 405, 401, 403);
 * the route's body cap (413); and the declared body against the process-wide budget (503). Returns
 * 0 when the body may come, or -1 with the refusal set as the reply. */
static int before_body(conn_state *cs, const char *url)
{
    req *r = &cs->r;
    clen_lines cl = {0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, &collect_clen, &cl);
    if (cl.n > 1 || cl.bad) {
        fprintf(stderr, "security: refused Content-Length: %d header(s)%s %s\n", cl.n,
                cl.conflict ? " that disagree" : cl.bad ? ", malformed" : "", r->method);
        reply_error(r, 400, "bad_request", "Content-Length 头重复、冲突或格式错误");
        return -1;
    }
    cs->cap = spot_config.body_max;
    /* No body announced (most requests): nothing to protect here; dispatch checks the rest. */
    if (!(cl.n && cl.value > 0) && !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Transfer-Encoding"))
        return 0;
    if (strncmp(url, "/api/", 5) != 0) {
        if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
            reply_error(r, 405, "method_not_allowed", "不支持的请求方法");
            return -1;
        }
    } else {
        const struct route *rt = admit(cs);
        if (!rt) return -1;
        if (rt->roles & ROUTE_UPLOAD) cs->cap = spot_config.upload_max;
    }
    if (cl.n && cl.value > cs->cap) {
        reply_error(r, 413, "too_large", "请求体超过上限（%zu 字节）", cs->cap);
        return -1;
    }
    if (cl.n && cl.value > 0 && body_reserve(cs, (size_t)cl.value) != 0) {
        fprintf(stderr, "security: body budget exhausted (%zu bytes buffered): %s %s\n", __atomic_load_n(&buffered_total, __ATOMIC_SEQ_CST),
                r->method, r->path);
        reply_header(r, "Retry-After", "5");
        reply_error(r, 503, "busy", "服务器正忙，请稍后再试");
        return -1;
    }
    return 0;
}

/* Appends n bytes of body, within cs->cap and the reservation (grown for a chunked body against
 * the budget). Returns 0, 1 when over the cap (413), 2 when over the budget (503), -1 out of memory. */
static int body_append(conn_state *cs, const char *data, size_t n)
{
    if (cs->len + n > cs->cap) return 1;
    if (cs->len + n > cs->reserved) {
        size_t want = cs->len + n - cs->reserved;
        if (want < 65536 && cs->reserved + 65536 <= cs->cap) want = 65536;
        if (body_reserve(cs, want) != 0) return 2;
    }
    if (cs->len + n + 1 > cs->alloc) {
        size_t nc = cs->alloc ? cs->alloc : 4096;
        while (nc < cs->len + n + 1) nc *= 2;
        if (nc > cs->reserved + 1) nc = cs->reserved + 1;
        char *nb = realloc(cs->body, nc);
        if (!nb) return -1;
        cs->body = nb;
        cs->alloc = nc;
    }
    memcpy(cs->body + cs->len, data, n);
    cs->len += n;
    return 0;
}

/* Whether r's route is a ROUTE_LUA one (the route is looked up again by dispatch on the lane). */
static int wants_lane(req *r)
{
    if (strncmp(r->path, "/api/", 5) != 0) return 0;
    for (int i = 0; i < r->nparams; i++) free(r->params[i]); /* admit may have filled them already */
    r->nparams = 0;
    int known;
    const struct route *rt = find_route(r, &known);
    for (int i = 0; i < r->nparams; i++) free(r->params[i]);
    r->nparams = 0;
    return rt && (rt->roles & ROUTE_LUA);
}

/* A lane job: answers the suspended request on the lane thread's own worker (database and Lua
 * state), then hands the connection back to libmicrohttpd, which calls on_request again. */
static void run_on_lane(void *arg)
{
    conn_state *cs = arg;
    dispatch(cs);
    __atomic_store_n(&cs->lane, LANE_DONE, __ATOMIC_RELEASE);
    MHD_resume_connection(cs->r.conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)version;
    conn_state *cs = *req_cls;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &cs->start);
        cs->r.method = method;
        cs->r.path = url;
        cs->r.conn = conn;
        cs->r.client_ip = resolve_client_ip(conn);
        *req_cls = cs;
        if (before_body(cs, url) != 0) return send_reply(conn, cs);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cs->refused) {
            int rc = body_append(cs, upload_data, *upload_size);
            if (rc < 0) return MHD_NO;
            if (rc > 0) { /* keep nothing more: what was kept goes back now */
                cs->refused = rc;
                free(cs->body);
                cs->body = NULL;
                cs->len = cs->alloc = 0;
                if (cs->reserved) __atomic_fetch_sub(&buffered_total, cs->reserved, __ATOMIC_SEQ_CST);
                cs->reserved = 0;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* A chunked body that went over the cap or the budget was read on and dropped (nothing more
     * kept); answered now that it has ended. */
    if (cs->refused == 1) {
        reply_error(&cs->r, 413, "too_large", "请求体超过上限（%zu 字节）", cs->cap);
        return send_reply(conn, cs);
    }
    if (cs->refused == 2) {
        reply_header(&cs->r, "Retry-After", "5");
        reply_error(&cs->r, 503, "busy", "服务器正忙，请稍后再试");
        return send_reply(conn, cs);
    }
    /* A request that ran on the Lua lane is called again once the lane resumed it: reply now. */
    if (__atomic_load_n(&cs->lane, __ATOMIC_ACQUIRE) == LANE_DONE) return send_reply(conn, cs);
    if (!cs->body) cs->body = strdup("");
    else cs->body[cs->len] = 0;
    cs->r.body = cs->body;
    cs->r.body_len = cs->len;
    if (wants_lane(&cs->r)) {
        /* Suspended before it is queued: the lane may resume it as soon as it is submitted. */
        cs->lane = LANE_QUEUED;
        MHD_suspend_connection(conn);
        if (lane_submit(run_on_lane, cs) == 0) return MHD_YES;
        reply_header(&cs->r, "Retry-After", "2");
        reply_error(&cs->r, 503, "busy", "服务器正在运行其他规则或脚本，请稍后重试");
        __atomic_store_n(&cs->lane, LANE_DONE, __ATOMIC_RELEASE);
        MHD_resume_connection(conn);
        return MHD_YES;
    }
    dispatch(cs);
    return send_reply(conn, cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_state *cs = *req_cls;
    if (!cs) return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ms = (double)(end.tv_sec - cs->start.tv_sec) * 1e3 + (double)(end.tv_nsec - cs->start.tv_nsec) / 1e6;
    /* The decoded path may hold control characters (%0a): never let them forge a log line. */
    char path[512];
    snprintf(path, sizeof path, "%s", cs->r.path ? cs->r.path : "");
    for (char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    spot_utf8_clean(path); /* and never let a client's invalid bytes (%ff) into the log as they are */
    /* One write(2) per line: no stdio lock shared by every worker, and a line is never split. */
    char line[768];
    int n = snprintf(line, sizeof line, "request: %s %s %d %.1fms user=%s ip=%s\n", cs->r.method, path,
                     cs->r.status, ms, cs->r.user ? cs->r.user->username : "-",
                     cs->r.client_ip ? cs->r.client_ip : "-");
    if (n >= (int)sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) { /* nowhere to report it */ }
    for (int i = 0; i < cs->r.nparams; i++) free(cs->r.params[i]);
    for (int i = 0; i < cs->r.nextra; i++) free(cs->r.extra_headers[i]);
    free(cs->r.reply);
    free((char *)cs->r.client_ip);
    int trim = cs->sent_len >= TRIM_AFTER_BYTES || cs->len >= TRIM_AFTER_BYTES;
    if (cs->reserved) __atomic_fetch_sub(&buffered_total, cs->reserved, __ATOMIC_SEQ_CST);
    free(cs->body);
    free(cs);
    *req_cls = NULL;
    if (trim) malloc_trim(0);
}

static volatile int mhd_log_on; /* libmicrohttpd's messages: silent until the daemon runs */

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!mhd_log_on) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    fprintf(stderr, "spotcheck: http: %s\n", msg);
}

/* Moves rows written behind the server's back (the demo loader, sqlite3, the console's tools) into
 * the directory's search index before serving (they are found meanwhile anyway: directory.h). */
static void flush_search_index(void)
{
    char *ferr = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 0, &ferr);
    if (!db || db_begin(db, &ferr) != 0 || dir_fts_flush(db, &enterprise_kind, &ferr) != 0 || db_commit(db, &ferr) != 0)
        fprintf(stderr, "spotcheck: search index not brought up to date: %s\n", ferr ? ferr : "?");
    if (db && !sqlite3_get_autocommit(db)) db_rollback(db);
    free(ferr);
    db_close(db);
}

int http_serve(char **err)
{
    for (int t = 0; spot_route_tables[t]; t++)
        for (const struct route *rt = spot_route_tables[t]; rt->method; rt++)
            if (!(rt->roles & (ROLE_STAFF | ROLE_PUBLIC))) {
                *err = xprintf("route %s %s declares no roles", rt->method, rt->pattern);
                return -1;
            }
    /* Blocks of 1 MiB and more (an announcement's text, its gzip, a workbook) are mapped on their
     * own and go back to the system when freed: glibc's default threshold rises to the size of the
     * largest block freed, after which such blocks stay in the heap and the process keeps them. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    flush_search_index();
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t slen;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES) flags |= MHD_USE_EPOLL;
    if (inet_pton(AF_INET, spot_config.listen_addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)spot_config.listen_port);
        slen = sizeof *a4;
    } else if (inet_pton(AF_INET6, spot_config.listen_addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)spot_config.listen_port);
        slen = sizeof *a6;
        flags |= MHD_USE_IPv6;
    } else {
        *err = xprintf("listen address '%s' is not an IPv4 or IPv6 address", spot_config.listen_addr);
        return -1;
    }
    (void)slen;
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT and SIGTERM are blocked here, before any thread starts, so every thread inherits the
     * mask and only this one takes them, in sigwait below. (A handler setting a flag for pause()
     * lost the signal whenever the kernel delivered it to another thread: the server then ran on.) */
    sigset_t stopset;
    sigemptyset(&stopset);
    sigaddset(&stopset, SIGINT);
    sigaddset(&stopset, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopset, NULL);
    /* The Lua lane: one thread fewer than the request threads (at least one), as many as the Lua
     * slots of luahost.h lh_gate_enter, and a short queue: a client that finds it full retries. */
    int lane_threads = spot_config.threads > 1 ? spot_config.threads - 1 : 1;
    if (lane_start(lane_threads, 2 * lane_threads, err) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &stopset, NULL);
        return -1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)spot_config.listen_port, NULL, NULL, &on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)spot_config.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)spot_config.conn_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)spot_config.per_ip_limit,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, &mhd_logger, NULL,
        MHD_OPTION_END);
    if (!d) {
        lane_stop();
        pthread_sigmask(SIG_UNBLOCK, &stopset, NULL);
        *err = xprintf("cannot listen on %s:%d (%s)", spot_config.listen_addr, spot_config.listen_port,
                       errno ? strerror(errno) : "address in use?");
        return -1;
    }
    mhd_log_on = 1;
    fprintf(stderr, "spotcheck: serving http://%s:%d/ (%d threads, database %s)\n", spot_config.listen_addr,
            spot_config.listen_port, spot_config.threads, spot_config.db_path);
    int sig = 0;
    while (sigwait(&stopset, &sig) != 0) {}
    lane_stop(); /* every suspended request is answered and resumed before the daemon stops */
    MHD_stop_daemon(d);
    /* Sessions' last-seen times live in memory while serving (auth.h); keep them for the next start. */
    char *ferr = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 0, &ferr);
    if (!db || auth_flush_seen(db, &ferr) != 0)
        fprintf(stderr, "spotcheck: sessions' last-seen times not saved: %s\n", ferr ? ferr : "?");
    free(ferr);
    db_close(db);
    fprintf(stderr, "spotcheck: stopped\n");
    return 0;
}
