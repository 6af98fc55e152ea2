/* fetch.c: see fetch.h. */
#include "fetch.h"

#include <netdb.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A new string printf(fmt, ...), or NULL if out of memory. */
static char *msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* GET url (http://HOST:PORT/PATH, loopback only). Returns the body (malloc'd, *len) or NULL with
 * *err. */
static char *fetch_url(const char *url, size_t max, size_t *len, char **err)
{
    const char *p = url + 7;
    const char *slash = strchr(p, '/');
    char hostport[256], host[256], port[16] = "80";
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    if (hl == 0 || hl >= sizeof hostport) { *err = msg("bad URL: %s", url); return NULL; }
    memcpy(hostport, p, hl);
    hostport[hl] = 0;
    const char *path = slash ? slash : "/";
    if (hostport[0] == '[') {
        char *e = strchr(hostport, ']');
        if (!e) { *err = msg("bad URL: %s", url); return NULL; }
        snprintf(host, sizeof host, "%.*s", (int)(e - hostport - 1), hostport + 1);
        if (e[1] == ':') snprintf(port, sizeof port, "%s", e + 2);
    } else {
        char *c = strrchr(hostport, ':');
        if (c) { *c = 0; snprintf(port, sizeof port, "%s", c + 1); }
        snprintf(host, sizeof host, "%s", hostport);
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) { *err = msg("%s: %s", host, gai_strerror(gai)); return NULL; }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        int loop = 0;
        if (a->ai_family == AF_INET)
            loop = (((const unsigned char *)&((struct sockaddr_in *)a->ai_addr)->sin_addr)[0] == 127);
        else if (a->ai_family == AF_INET6)
            loop = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr);
        if (!loop) continue;
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) { close(fd); fd = -1; }
    }
    freeaddrinfo(res);
    if (fd < 0) { *err = msg("cannot connect to %s:%s (only loopback addresses are allowed)", host, port); return NULL; }
    char *reqs = msg("GET %s HTTP/1.0\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n", path,
                         hostport);
    size_t rl = strlen(reqs), off = 0;
    while (off < rl) {
        ssize_t w = write(fd, reqs + off, rl - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(reqs);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            if (cap >= max) { free(buf); buf = NULL; break; }
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    if (!buf) { *err = msg("reply too large or out of memory"); return NULL; }
    buf[n] = 0;
    int status = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1) { free(buf); *err = msg("not an HTTP reply"); return NULL; }
    char *body = strstr(buf, "\r\n\r\n");
    if (!body) { free(buf); *err = msg("incomplete HTTP reply"); return NULL; }
    body += 4;
    if (status != 200) {
        *err = msg("HTTP %d: %.300s", status, body);
        free(buf);
        return NULL;
    }
    *len = n - (size_t)(body - buf);
    memmove(buf, body, *len + 1);
    return buf;
}

static char *read_file(const char *path, size_t max, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) { *err = msg("%s: cannot open", path); return NULL; }
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
    if (!buf) { *err = msg("%s: too large or out of memory", path); return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

char *spot_fetch(const char *src, size_t max, size_t *len, char **err)
{
    if (!strncmp(src, "http://", 7)) return fetch_url(src, max, len, err);
    return read_file(src, max, len, err);
}
