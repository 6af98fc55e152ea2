/* download.h: replies that are files (an .xlsx workbook or a CSV) with a Chinese file name
 * (Content-Disposition with an ASCII fallback and the RFC 5987 UTF-8 name), and the format=
 * query parameter every exportable list reads. Uses http.h. */
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
 * name, ascii the fallback for old clients; the extension comes from fmt (FMT_XLSX or FMT_CSV).
 * Returns 0. */
int reply_download(req *r, int fmt, const char *ascii, const char *name, const char *data, size_t len);

#endif
