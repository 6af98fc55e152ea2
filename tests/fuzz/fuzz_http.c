/* fuzz_http: JSON (and other) request bodies through the real router, role checks and handlers
 * (http_dispatch_for_test in core/http.c) against a temporary demo database. Input format:
 *   byte 0: role (0 anonymous, then admin, planner, inspector, head, auditor)
 *   then one line "METHOD /path?query" and the body after the newline.
 * Without a newline the whole input is a body for a route picked by byte 1 from a fixed list, so
 * plain JSON inputs reach the handlers. Every reply must be a status 100..599 with a body, 4xx/5xx
 * bodies must be SPEC §5 JSON errors for /api/ paths, and no transaction may stay open. */
#include "http.h"
#include "worker.h"
#include "fuzz_common.h"

#include <stdint.h>

int http_dispatch_for_test(const char *method, const char *path, const char *query,
                           const char *content_type, const char *body, size_t len, int role,
                           const char *username, char **reply, size_t *reply_len);

static const char *const ROUTES[][2] = {
    {"POST", "/api/enterprises"}, {"PUT", "/api/enterprises/1"}, {"POST", "/api/inspectors"},
    {"PUT", "/api/inspectors/1"}, {"POST", "/api/items"}, {"PUT", "/api/items/1"},
    {"POST", "/api/plans"}, {"PUT", "/api/plans/1"}, {"POST", "/api/tasks"},
    {"POST", "/api/users"}, {"PUT", "/api/users/1"}, {"POST", "/api/rules/eval"},
    {"POST", "/api/conflicts"}, {"POST", "/api/login"}, {"POST", "/api/tasks/1/draw"},
    {"POST", "/api/tasks/1/freeze"}, {"PUT", "/api/rules/sampling"}, {"POST", "/api/console"},
    {"POST", "/api/plans/1/publish"}, {"POST", "/api/tasks/1/teams"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_setup_db(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int roles[] = {0, ROLE_ADMIN, ROLE_PLANNER, ROLE_INSPECTOR, ROLE_HEAD, ROLE_AUDITOR};
    if (size < 2 || size > 65536) return 0;
    int role = roles[data[0] % 6];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    char line[1024], method[16], path[1024];
    const char *query = NULL, *body;
    size_t body_len;
    const char *nl = memchr(p, '\n', n);
    if (nl && (size_t)(nl - p) < sizeof line) {
        memcpy(line, p, (size_t)(nl - p));
        line[nl - p] = 0;
        char *sp = strchr(line, ' ');
        if (!sp || sp - line >= (long)sizeof method || memchr(line, 0, (size_t)(nl - p))) return 0;
        memcpy(method, line, (size_t)(sp - line));
        method[sp - line] = 0;
        snprintf(path, sizeof path, "%s", sp + 1);
        char *q = strchr(path, '?');
        if (q) { *q = 0; query = q + 1; }
        body = nl + 1;
        body_len = n - (size_t)(nl - p) - 1;
    } else {
        const char *const *rt = ROUTES[(unsigned char)p[0] % (sizeof ROUTES / sizeof ROUTES[0])];
        snprintf(method, sizeof method, "%s", rt[0]);
        snprintf(path, sizeof path, "%s", rt[1]);
        body = p + 1;
        body_len = n - 1;
    }
    char *reply = NULL;
    size_t reply_len = 0;
    int status = http_dispatch_for_test(method, path, query, "application/json", body, body_len, role, "admin",
                                        &reply, &reply_len);
    if (status < 100 || status > 599 || !reply) abort();
    if (status >= 400 && !strncmp(path, "/api/", 5)) {
        json_t *j = json_loadb(reply, reply_len, 0, NULL);
        if (!json_is_string(json_object_get(j, "error")) || !json_is_string(json_object_get(j, "message"))) {
            fprintf(stderr, "fuzz_http: %d reply is not a SPEC §5 error: %.300s\n", status, reply);
            abort();
        }
        json_decref(j);
    }
    char *err = NULL;
    worker *w = worker_get(&err);
    if (!w || !sqlite3_get_autocommit(w->db)) abort();
    free(reply);
    return 0;
}
