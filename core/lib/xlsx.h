/* xlsx.h: .xlsx workbooks, both ways. The writer (libxlsxwriter, constant-memory mode: rows go to a
 * temporary file as they come) makes one sheet with a bold frozen header row, dates as real Excel
 * dates and column widths that fit Chinese text. The reader (libzip + expat) reads the first sheet
 * of an uploaded workbook into rows of text cells with their spreadsheet row numbers, bounded in
 * memory and refusing DTDs, zip bombs and missing parts. Uses libxlsxwriter, libzip, expat. */
#ifndef SPOT_XLSX_H
#define SPOT_XLSX_H

#include <stddef.h>

/* Column types of the writer. */
enum xlsx_type {
    XLSX_TEXT,      /* a string cell (never a formula) */
    XLSX_DATE,      /* "YYYY-MM-DD" -> a date cell; "YYYY-MM-DD[T ]HH:MM:SS" -> a date-time cell, and
                     * an RFC 3339 UTC time "…Z" one in China Standard Time (UTC+8) */
    XLSX_NUMBER,    /* a decimal integer -> a number cell */
};

#define XLSX_MAX_COLS 64

typedef struct xlsx_writer xlsx_writer;

/* A new workbook with one sheet named sheet (UTF-8, at most 31 characters). NULL with *err (caller
 * frees) when the temporary file cannot be made. */
xlsx_writer *xlsx_new(const char *sheet, char **err);

/* The header row: ncols (1..XLSX_MAX_COLS) labels (borrowed, copied) and the type of each column.
 * Call once, before any xlsx_row. Returns 0, or -1 with *err. */
int xlsx_header(xlsx_writer *x, int ncols, const char *const *labels, const int *types, char **err);

/* Appends one row of ncols cells (as given to xlsx_header; NULL or "" = empty). A date cell that
 * does not parse is written as text. Returns 0, or -1 with *err. */
int xlsx_row(xlsx_writer *x, const char *const *cells, char **err);

/* Closes the workbook and returns its bytes (new buffer, caller frees; length in *len), or NULL
 * with *err. Frees x either way. */
char *xlsx_finish(xlsx_writer *x, size_t *len, char **err);

/* Frees an unfinished workbook (NULL is fine). */
void xlsx_discard(xlsx_writer *x);

/* ---- reader ---- */

typedef struct xlsx_row_in {
    long line;          /* the spreadsheet row number (1-based) */
    int ncells;         /* cells[0..ncells-1]: column A.. (a missing cell is "") */
    char **cells;
} xlsx_row_in;

typedef struct xlsx_sheet {
    long nrows;         /* rows that have at least one cell, in order */
    xlsx_row_in *rows;
} xlsx_sheet;

/* Whether data looks like a zip archive (an .xlsx) rather than text. */
int xlsx_sniff(const char *data, size_t len);

/* Reads the first sheet of the workbook data (len bytes). Numbers come as their decimal text
 * (integers without ".0"), cells styled as dates as "YYYY-MM-DD", booleans as "1"/"0", shared and
 * inline strings as their text. Bounded: at most max_bytes of XML are inflated in total and at most
 * XLSX_MAX_COLS columns are read. Returns a new sheet (xlsx_sheet_free), or NULL with *err (a
 * Chinese message for the uploader, caller frees). */
xlsx_sheet *xlsx_read(const char *data, size_t len, size_t max_bytes, char **err);

void xlsx_sheet_free(xlsx_sheet *s);

#endif
