/* jsonutil.h: small jansson helpers every layer shares: the unknown-field check of an input object
 * and the decoding of JSON text columns read from SQLite. Uses jansson and err.h. */
#ifndef SPOT_JSONUTIL_H
#define SPOT_JSONUTIL_H

#include <jansson.h>
#include "err.h"

/* Checks that every key of obj is in allowed (NULL-terminated). Returns 0, or -1 with *e set to
 * SPOT_E_INPUT "unknown_field" naming the first unknown key. */
int spot_check_fields(json_t *obj, const char *const *allowed, spot_err *e);

/* Replaces the string members keys (NULL-terminated) of obj holding JSON text by their parsed
 * value; members that do not parse are left as they are. */
void spot_decode_json(json_t *obj, const char *const *keys);

#endif
