/* err.c: spot_err constructors (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t spot_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    size_t n = max;
    /* step back over continuation bytes to the start of the character that crosses max */
    size_t back = 0;
    while (n > 0 && back < 4 && ((unsigned char)s[n] & 0xC0) == 0x80) { n--; back++; }
    return n;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or values above
 * U+10FFFF), or 0 if there is none. */
static size_t seq_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

char *spot_utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = seq_len(p);
        if (n == 0) { *p++ = '?'; continue; }
        p += n;
    }
    return s;
}

static void set_message(spot_err *e, const char *fmt, va_list ap)
{
    char buf[SPOT_ERR_MSG_MAX * 2];
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    size_t len = k < 0 ? 0 : (size_t)k >= sizeof buf ? sizeof buf - 1 : (size_t)k;
    size_t n = spot_utf8_cut(buf, len, sizeof e->message - 1);
    memcpy(e->message, buf, n);
    e->message[n] = 0;
    spot_utf8_clean(e->message);
}

int spot_fail(spot_err *e, spot_errkind kind, const char *code, const char *fmt, ...)
{
    if (!e) return -1;
    e->kind = kind;
    snprintf(e->code, sizeof e->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    set_message(e, fmt, ap);
    va_end(ap);
    return -1;
}

int spot_fail_db(spot_err *e, const char *area, char *detail)
{
    fprintf(stderr, "spotcheck: %s: %s\n", area ? area : "db", detail ? detail : "?");
    free(detail);
    return spot_fail(e, SPOT_E_DB, "internal", "数据库错误");
}

int spot_fail_rule(spot_err *e, char *detail)
{
    int rc = spot_fail(e, SPOT_E_RULE, "rule_error", "规则执行失败：%s", detail ? detail : "?");
    free(detail);
    return rc;
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
