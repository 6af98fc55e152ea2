/* download.c: file replies with RFC 5987 file names, and the format= parameter. */
#include "download.h"

#include <stdio.h>
#include <string.h>

int req_format(req *r, int csv_ok)
{
    const char *f = req_query(r, "format");
    if (!f || !*f || !strcmp(f, "json")) return FMT_JSON;
    if (!strcmp(f, "xlsx")) return FMT_XLSX;
    if (csv_ok && !strcmp(f, "csv")) return FMT_CSV;
    reply_error(r, 400, "bad_parameter", "查询参数 format 只能是 json、xlsx%s", csv_ok ? " 或 csv" : "");
    return -1;
}

/* Percent-encodes s (UTF-8) as an RFC 5987 value-chars into out (cap bytes, truncated safely). */
static void pct_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = 0;
}

int reply_download(req *r, int fmt, const char *ascii, const char *name, const char *data, size_t len)
{
    const char *ext = fmt == FMT_XLSX ? "xlsx" : "csv";
    char full[256], enc[768], disp[1024];
    snprintf(full, sizeof full, "%s.%s", name, ext);
    pct_encode(full, enc, sizeof enc);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"; filename*=UTF-8''%s", ascii, ext, enc);
    reply_header(r, "Content-Disposition", disp);
    return reply_bytes(r, 200, fmt == FMT_XLSX ? XLSX_MIME : "text/csv; charset=utf-8", data, len);
}
