/* download.h: replies that are files (an .xlsx workbook, a CSV, a JSON document) with a Chinese
 * file name (Content-Disposition with an ASCII fallback and the RFC 5987 UTF-8 name), the format=
 * query parameter every exportable list reads, and a list's JSON items as an .xlsx workbook.
 * Uses http.h, xlsx.h, meta.h (labels of codes). */
#ifndef SPOT_DOWNLOAD_H
#define SPOT_DOWNLOAD_H

#include <stddef.h>
#include "http.h"

enum { FMT_JSON, FMT_XLSX, FMT_CSV };

#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* The format= query parameter: FMT_JSON when absent or "json", FMT_XLSX for "xlsx", FMT_CSV for
 * "csv" when csv_ok. Otherwise replies 400 bad_parameter and returns -1. */
int req_format(req *r, int csv_ok);

/* Replies 200 with data (len bytes, copied) as an attachment: name is the UTF-8 (Chinese) file
 * name, ascii the fallback for old clients; the type and extension come from fmt (FMT_XLSX,
 * FMT_CSV or FMT_JSON). Returns 0. */
int reply_download(req *r, int fmt, const char *ascii, const char *name, const char *data, size_t len);

/* A column of a list exported as .xlsx from its JSON items: the item's key ("a.b" reaches into a
 * nested object, "a[].b" joins the b of every object of the array a), the Chinese header, the xlsx
 * type (xlsx.h) and how a code becomes words: meta, when the words are policy, names the key of
 * the meta reply (GET /api/public/meta) that labels it (a list of {code, label} or an object
 * {code: label}); map, for a status the page shows in words, is a list of code, label pairs ending
 * with NULL. A list's columns end with key NULL. */
struct xcol {
    const char *key;
    const char *label;
    int type;
    const char *meta;
    const char *const *map;
};

/* Replies the JSON array items (borrowed; objects) as an .xlsx download with one row per item and
 * the columns cols: strings as text, integers as numbers where the column says so, true/false as
 * 是/否, null as empty, arrays of strings joined by "；", other values as compact JSON. Files are
 * named as reply_download. Returns 0 (after replying an error when the workbook fails). */
int reply_items_xlsx(req *r, json_t *items, const struct xcol *cols, const char *ascii, const char *name);

#endif
