/* download.c: file replies with RFC 5987 file names, the format= parameter, JSON lists as .xlsx. */
#define _GNU_SOURCE
#include "download.h"
#include "meta.h"
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
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
    const char *ext = fmt == FMT_XLSX ? "xlsx" : fmt == FMT_JSON ? "json" : "csv";
    const char *type = fmt == FMT_XLSX ? XLSX_MIME : fmt == FMT_JSON ? "application/json; charset=utf-8"
                                                                      : "text/csv; charset=utf-8";
    char full[256], enc[768], disp[1024];
    snprintf(full, sizeof full, "%s.%s", name, ext);
    pct_encode(full, enc, sizeof enc);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"; filename*=UTF-8''%s", ascii, ext, enc);
    reply_header(r, "Content-Disposition", disp);
    return reply_bytes(r, 200, type, data, len);
}

/* The value at key in obj, following "a.b" into nested objects; "a[].b" gives a new array of the
 * b of every object in the array a. *owned is set when the result is a new reference. */
static json_t *path_get(json_t *obj, const char *key, int *owned)
{
    char part[64];
    const char *dot, *arr = strstr(key, "[].");
    *owned = 0;
    if (arr) {
        snprintf(part, sizeof part, "%.*s", (int)(arr - key), key);
        json_t *a = json_object_get(obj, part), *out = json_array(), *x;
        size_t i;
        int sub;
        json_array_foreach(a, i, x) {
            json_t *v = path_get(x, arr + 3, &sub);
            if (json_is_string(v)) json_array_append(out, v);
            if (sub) json_decref(v);
        }
        *owned = 1;
        return out;
    }
    while ((dot = strchr(key, '.')) != NULL) {
        snprintf(part, sizeof part, "%.*s", (int)(dot - key), key);
        obj = json_object_get(obj, part);
        key = dot + 1;
    }
    return json_object_get(obj, key);
}

/* The label of code in the meta value list (a list of {code, label} or an object code -> label),
 * or NULL. Borrowed. */
static const char *meta_label(json_t *list, const char *code)
{
    if (json_is_object(list)) return json_string_value(json_object_get(list, code));
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *c = json_string_value(json_object_get(x, "code"));
        if (c && !strcmp(c, code)) return json_string_value(json_object_get(x, "label"));
    }
    return NULL;
}

/* The label of code in a map of code, label pairs, or NULL. */
static const char *map_label(const char *const *map, const char *code)
{
    for (; map && map[0]; map += 2)
        if (!strcmp(map[0], code)) return map[1];
    return NULL;
}

/* The cell text of v (new string, caller frees; NULL for an empty cell). */
static char *cell_text(json_t *v, json_t *labels, const char *const *map)
{
    if (!v || json_is_null(v)) return NULL;
    if (json_is_string(v)) {
        const char *s = json_string_value(v), *l = labels ? meta_label(labels, s) : map_label(map, s);
        return strdup(l ? l : s);
    }
    if (json_is_true(v)) return strdup("是");
    if (json_is_false(v)) return strdup("否");
    if (json_is_integer(v)) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
        return strdup(b);
    }
    if (json_is_array(v)) {
        size_t i, n = 1;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_string(x)) return json_dumps(v, JSON_COMPACT);
            const char *s = json_string_value(x), *l = labels ? meta_label(labels, s) : NULL;
            n += strlen(l ? l : s) + strlen("；");
        }
        char *out = calloc(1, n), *p = out;
        if (!out) return NULL;
        json_array_foreach(v, i, x) {
            const char *s = json_string_value(x), *l = labels ? meta_label(labels, s) : NULL;
            if (i) p = stpcpy(p, "；");
            p = stpcpy(p, l ? l : s);
        }
        return out;
    }
    return json_dumps(v, JSON_COMPACT);
}

int reply_items_xlsx(req *r, json_t *items, const struct xcol *cols, const char *ascii, const char *name)
{
    const char *labels[XLSX_MAX_COLS];
    int types[XLSX_MAX_COLS], n = 0, failed = 1;
    json_t *lists[XLSX_MAX_COLS] = {0}, *meta = NULL;
    char *cells[XLSX_MAX_COLS] = {0}, *err = NULL, *data = NULL;
    size_t len = 0;
    for (; cols[n].key && n < XLSX_MAX_COLS; n++) {
        labels[n] = cols[n].label;
        types[n] = cols[n].type;
        if (cols[n].meta && !meta) {
            spot_err e;
            size_t mlen = 0;
            char *text = meta_reply(&r->ctx, &mlen, &e);
            if (!text) return reply_err(r, &e);
            meta = json_loadb(text, mlen, 0, NULL);
            free(text);
        }
        lists[n] = cols[n].meta ? json_object_get(meta, cols[n].meta) : NULL;
    }
    xlsx_writer *x = xlsx_new(name, &err);
    if (!x || xlsx_header(x, n, labels, types, &err)) goto done;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        for (int c = 0; c < n; c++) {
            int owned;
            json_t *v = path_get(it, cols[c].key, &owned);
            cells[c] = cell_text(v, lists[c], cols[c].map);
            if (owned) json_decref(v);
        }
        int rc = xlsx_row(x, (const char *const *)cells, &err);
        for (int c = 0; c < n; c++) free(cells[c]), cells[c] = NULL;
        if (rc) goto done;
    }
    data = xlsx_finish(x, &len, &err);
    x = NULL;
    if (!data) goto done;
    reply_download(r, FMT_XLSX, ascii, name, data, len);
    failed = 0;
done:
    if (failed) reply_db_error(r, err ? err : strdup("xlsx: out of memory")), err = NULL;
    xlsx_discard(x);
    free(data);
    free(err);
    json_decref(meta);
    return 0;
}
