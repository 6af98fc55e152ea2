/* buf.c: see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int spot_buf_put(spot_buf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int spot_buf_csv_field(spot_buf *b, const char *s, int first)
{
    if (!first && spot_buf_put(b, ",", 1)) return -1;
    int guard = *s && strchr("=+-@\t\r", *s) != NULL;
    if (!strpbrk(s, ",\"\r\n")) return (guard && spot_buf_put(b, "'", 1)) || spot_buf_put(b, s, strlen(s)) ? -1 : 0;
    if (spot_buf_put(b, "\"", 1) || (guard && spot_buf_put(b, "'", 1))) return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && spot_buf_put(b, "\"\"", 2)) || (*p != '"' && spot_buf_put(b, p, 1))) return -1;
    return spot_buf_put(b, "\"", 1);
}

int spot_buf_json_string(spot_buf *b, const char *s, size_t n)
{
    if (spot_buf_put(b, "\"", 1)) return -1;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        if (spot_buf_put(b, s + run, i - run)) return -1;
        char esc[8];
        switch (ch) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\b': memcpy(esc, "\\b", 3); break;
        case '\f': memcpy(esc, "\\f", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        default: snprintf(esc, sizeof esc, "\\u%04X", ch);
        }
        if (spot_buf_put(b, esc, strlen(esc))) return -1;
        run = i + 1;
    }
    if (spot_buf_put(b, s + run, n - run) || spot_buf_put(b, "\"", 1)) return -1;
    return 0;
}
