/* fetch.c: see fetch.h. */
#include "fetch.h"
#include "buf.h"
#include "err.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The growing reply body of one transfer. */
struct body {
    spot_buf data;      /* always a string once anything came: an error reply is quoted from it */
    size_t max;
    int too_large;
};

/* CURLOPT_WRITEFUNCTION: appends the chunk (already decompressed when the server sent gzip);
 * returning less than given aborts the transfer (too large, out of memory). */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t k = size * nmemb;
    if (k > b->max - b->data.len) { b->too_large = 1; return 0; }
    return spot_buf_put(&b->data, ptr, k) ? 0 : k;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* GET url (http or https, any host; redirects followed within http/https; gzip accepted) with
 * libcurl. cacert (NULL: the system's CA store) is a PEM file of trusted CAs. Returns the body
 * (malloc'd, NUL-terminated, *len) or NULL with *err. */
static char *fetch_url(const char *url, const char *cacert, size_t max, size_t *len, char **err)
{
    struct body b = {{0}, max, 0};
    char ebuf[CURL_ERROR_SIZE] = "";
    long status = 0;
    char *out = NULL;
    pthread_once(&curl_once, curl_init);
    CURL *h = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!h) { *err = xprintf("cannot start libcurl"); return NULL; }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");          /* every encoding libcurl decodes */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "spotcheck-verify");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);           /* give up after 60 s without a byte */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (cacert) curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (b.too_large) *err = xprintf("%s: reply larger than %zu bytes", url, max);
    else if (rc != CURLE_OK) *err = xprintf("%s: %s", url, *ebuf ? ebuf : curl_easy_strerror(rc));
    else if (status != 200) {
        /* at most 300 bytes of the reply, not cut inside a UTF-8 character */
        int q = b.data.len > 300 ? 300 : (int)b.data.len;
        while (q > 0 && q < (int)b.data.len && ((unsigned char)b.data.p[q] & 0xC0) == 0x80) q--;
        *err = xprintf("%s: HTTP %ld: %.*s", url, status, q, b.data.p ? b.data.p : "");
    }
    else {
        out = b.data.p ? b.data.p : malloc(1);
        b.data.p = NULL;
        if (!out) *err = xprintf("out of memory");
        else {
            out[b.data.len] = 0;
            *len = b.data.len;
        }
    }
    if (!out && !*err) *err = xprintf("out of memory");
    free(b.data.p);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return out;
}

static char *read_file(const char *path, size_t max, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) { *err = xprintf("%s: cannot open", path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = cap < max ? realloc(buf, cap * 2 + 1) : NULL;
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) { *err = xprintf("%s: too large or out of memory", path); return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

char *spot_fetch_ca(const char *src, const char *cacert, size_t max, size_t *len, char **err)
{
    *err = NULL;
    if (!strncmp(src, "http://", 7) || !strncmp(src, "https://", 8)) return fetch_url(src, cacert, max, len, err);
    return read_file(src, max, len, err);
}

char *spot_fetch(const char *src, size_t max, size_t *len, char **err)
{
    return spot_fetch_ca(src, NULL, max, len, err);
}
