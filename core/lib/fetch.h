/* fetch.h: reading a document from a file or from an http/https URL, for the CLI's checks against
 * published data (`spotcheck verify`, `spotcheck audit verify --anchor`). Uses libcurl (any host,
 * redirects, gzip, TLS with the system's CA store or a given CA file). */
#ifndef SPOT_FETCH_H
#define SPOT_FETCH_H

#include <stddef.h>

/* The bytes of src: an "http://…" or "https://…" URL (GET, status 200 required after redirects;
 * a compressed reply is decompressed) or a file path. At most max bytes (after decompression).
 * cacert: NULL for the system's trusted CAs, else a PEM file of the CAs to trust (a private CA).
 * Returns a new NUL-terminated buffer (caller frees) with its length in *len, or NULL with *err
 * (caller frees). Not for server threads: the first call initialises libcurl. */
char *spot_fetch_ca(const char *src, const char *cacert, size_t max, size_t *len, char **err);

/* spot_fetch_ca with the system's CAs. */
char *spot_fetch(const char *src, size_t max, size_t *len, char **err);

#endif
