/* fetch.h: reading a small document from a file or from a loopback HTTP URL, for the CLI's checks
 * against published data (`spotcheck verify`, `spotcheck audit verify --anchor`). Uses libc sockets
 * only. */
#ifndef SPOT_FETCH_H
#define SPOT_FETCH_H

#include <stddef.h>

/* The bytes of src: "http://HOST:PORT/PATH" (HTTP/1.0 GET; loopback addresses only; status 200
 * required) or a file path. At most max bytes. Returns a new NUL-terminated buffer (caller frees)
 * with its length in *len, or NULL with *err (caller frees). */
char *spot_fetch(const char *src, size_t max, size_t *len, char **err);

#endif
