/* tmpl.h: a small logic-less template renderer (a subset of Mustache) for the printable documents
 * (SPEC §13): {{name}} and {{a.b}} insert a value HTML-escaped (there is no unescaped form),
 * {{#name}}…{{/name}} repeats for each element of an array or shows once for a true value or object
 * (0 and "" are false),
 * {{^name}}…{{/name}} shows when the value is missing, false, null, "" or an empty array,
 * {{.}} is the current element and {{! …}} a comment. Uses jansson only. */
#ifndef SPOT_TMPL_H
#define SPOT_TMPL_H

#include <stddef.h>
#include <jansson.h>

/* Renders the template src (len bytes) with data (borrowed). Returns a new malloc'd NUL-terminated
 * string (caller frees) with its length in *out_len, or NULL with *err set to a new malloc'd English
 * message naming the byte offset of the fault (unclosed tag, section closed by another name,
 * nesting deeper than 16). */
char *tmpl_render(const char *src, size_t len, json_t *data, size_t *out_len, char **err);

/* Checks the whole structure of src without data (every tag closed and named, every section closed
 * by its own name, nesting at most 16), including sections a given data set would skip. Returns 0,
 * or -1 with *err as tmpl_render. */
int tmpl_check(const char *src, size_t len, char **err);

/* The text of the first comment {{! key: value}} whose key is key, trimmed, as a new malloc'd
 * string, or NULL when there is none. Lets a template carry its own settings. */
char *tmpl_directive(const char *src, size_t len, const char *key);

#endif
