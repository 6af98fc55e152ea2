/* csvimport.h: CSV import of the directories (SPEC §8): Chinese or English headers in any order,
 * UTF-8 with or without BOM or GB18030 (converted with iconv), quoted fields (libcsv), per-row
 * validation with the physical line number where the record starts, duplicate keys inside the
 * file, known keys updating their row with history, one transaction per file and one audit record
 * per file (counts and the file's SHA-256). Used by the HTTP import routes and `spotcheck import`.
 * .xlsx workbooks go through the same path (xlsx.h). Uses db.h, audit.h, validate.h, directory.h
 * (the directory kinds), xlsx.h, libcsv, iconv, libsodium. */
#ifndef SPOT_CSVIMPORT_H
#define SPOT_CSVIMPORT_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "directory.h"
#include "err.h"
#include "luahost.h"

/* Imports the file image data (len bytes) into k's table inside one transaction of its own. An
 * .xlsx workbook (a zip archive) is read with xlsx_read (its first sheet; line numbers are the
 * spreadsheet's row numbers) and goes through the same per-row checks as a CSV file.
 * lua: a state with the active rules (industry check). On success returns 0 and *result is a new
 * object {"imported":N,"updated":N,"unchanged":N,"rejected":[{"line":N,"error":"…"}],
 * "rejected_count":N} (at most 10,000 rejections are listed). Returns 1 when the whole file is
 * refused (encoding, headers; *err a Chinese message, nothing written), -1 on a database error
 * (*err; nothing written). */
int csv_import(sqlite3 *db, lh_state *lua, const dir_kind *k, const char *data, size_t len,
               const char *actor, json_t **result, char **err);

/* csv_import for the caller of c (its connection, Lua state and name for the trail): returns the
 * result object (new reference), or NULL with *e: 422 invalid_file when the whole file is refused,
 * 500 on a database error. */
json_t *directory_import(spot_ctx *c, const dir_kind *k, const char *data, size_t len, spot_err *e);

/* The import template of k: its Chinese header row and one example row (k->example; industries
 * from the categories rule), as CSV (UTF-8 with BOM) or, when xlsx, an .xlsx workbook. New buffer
 * (caller frees), length in *len; NULL with *e. */
char *import_template(spot_ctx *c, const dir_kind *k, int xlsx, size_t *len, spot_err *e);

/* The rows of an uploaded file (CSV or .xlsx, as the import reads it) that start on the given
 * lines (the "line" of the import's rejections), after the file's own header row, as CSV or .xlsx
 * (xlsx), for the uploader to fix and import again. Nothing is imported. New buffer (caller
 * frees), length in *outlen; NULL with *e (422 invalid_file when the file cannot be read). */
char *import_rejected(const dir_kind *k, const char *data, size_t len, const long *lines, int nlines, int xlsx,
                      size_t *outlen, spot_err *e);

/* `spotcheck import enterprises|inspectors FILE`: argc/argv after the command name. Prints the
 * counts and every rejected line; exit status 0 when the file was imported (even with rejected
 * rows), 1 on error, 2 on usage. */
int csvimport_cli(int argc, char **argv);

#endif
