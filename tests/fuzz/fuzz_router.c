/* fuzz_router: raw request targets as they arrive on the wire: percent-decoded with
 * libmicrohttpd's own MHD_http_unescape (what the server sees as the path), split at '?', then
 * routed by the real router (GET and a write method, anonymous and admin) including the static
 * file server and its traversal guard. A 200 for a non-/api/ path must be a real file under
 * web_dir (or the Debian codemirror directory), never anything reached through "..". */
#include "http.h"
#include "fuzz_common.h"

#include <microhttpd.h>
#include <stdint.h>

int http_dispatch_for_test(const char *method, const char *path, const char *query,
                           const char *content_type, const char *body, size_t len, int role,
                           const char *username, char **reply, size_t *reply_len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_setup_db(0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    char *url = malloc(size + 1);
    memcpy(url, data, size);
    url[size] = 0;
    char *query = NULL;
    char *q = strchr(url, '?');
    if (q) { *q = 0; query = q + 1; }
    MHD_http_unescape(url); /* in place, returns the new length; stops at an embedded NUL */
    static const char *const methods[] = {"GET", "DELETE"};
    static const int roles[] = {0, ROLE_ADMIN};
    for (int m = 0; m < 2; m++) {
        for (int ro = 0; ro < 2; ro++) {
            /* only read-only calls as admin: writes through the router are fuzz_http's */
            if (m == 1 && ro == 1) continue;
            char *reply = NULL;
            size_t len = 0;
            int st = http_dispatch_for_test(methods[m], url, query, NULL, "", 0, roles[ro], "admin", &reply, &len);
            if (st < 100 || st > 599 || !reply) abort();
            if (st == 200 && strncmp(url, "/api/", 5) && strstr(url, "..")) {
                fprintf(stderr, "fuzz_router: static file served for a '..' path: %s\n", url);
                abort();
            }
            free(reply);
        }
    }
    free(url);
    return 0;
}
