/* stream.h: the SHA-256 counter stream and uniform() of draw algorithm v1 (SPEC §4, steps 4-5).
 * Block j is SHA-256(prefix || uint64_be(j)); each block gives four big-endian 64-bit integers.
 * Uses libsodium. The whole state is a plain struct: copy it to save, copy back to replay. */
#ifndef SPOT_STREAM_H
#define SPOT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_PREFIX_MAX 256

typedef struct stream {
    unsigned char prefix[STREAM_PREFIX_MAX];
    size_t prefix_len;
    uint64_t block;           /* index j of the block in buf */
    unsigned char buf[32];
    int pos;                  /* next word of buf, 0..4; 4 means compute block+1 */
    uint64_t consumed;        /* 64-bit integers taken so far */
} stream;

/* Starts a stream over prefix (at most STREAM_PREFIX_MAX bytes). Returns 0, or -1 if too long. */
int stream_init(stream *s, const void *prefix, size_t len);

/* The next unsigned 64-bit integer of the stream. */
uint64_t stream_next(stream *s);

/* uniform(m) of SPEC §4 step 4: rejection sampling, m >= 1; always consumes at least one word
 * (uniform(1) takes a word and returns 0). m == 0 returns 0 and consumes nothing. */
uint64_t stream_uniform(stream *s, uint64_t m);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(char *out, const unsigned char *in, size_t n);

/* Parses exactly 2n hex digits (either case) into out. Returns 0, or -1 if malformed. */
int hex_decode(unsigned char *out, size_t n, const char *hex);

#endif
