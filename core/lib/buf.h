/* buf.h: a growing byte buffer (always NUL-terminated once anything is put) and the one CSV field
 * writer, with the formula guard against CSV injection. Uses libc only. */
#ifndef SPOT_BUF_H
#define SPOT_BUF_H

#include <stddef.h>

typedef struct spot_buf {
    char *p;          /* malloc'd, NUL-terminated after the first put; NULL while empty (caller frees) */
    size_t len, cap;
} spot_buf;

/* Appends n bytes of s. Returns 0, or -1 out of memory (b unchanged). */
int spot_buf_put(spot_buf *b, const void *s, size_t n);

/* Appends one CSV field, preceded by a comma unless first; quoted when it holds , " CR or LF. A
 * field that begins with = + - @, a tab or a carriage return is what a spreadsheet runs as a formula
 * (CSV injection): it goes out with a leading apostrophe, which the spreadsheet shows as text.
 * Returns 0 or -1 out of memory. */
int spot_buf_csv_field(spot_buf *b, const char *s, int first);

/* Appends s (n bytes) as a JSON string, escaped as jansson escapes (", \\, control characters;
 * UTF-8 as it is). Returns 0 or -1 out of memory. */
int spot_buf_json_string(spot_buf *b, const char *s, size_t n);

#endif
