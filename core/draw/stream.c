/* stream.c: SHA-256 counter stream (SPEC §4). */
#include "stream.h"

#include <string.h>
#include <sodium.h>

static void put_u64_be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)(v & 0xff); v >>= 8; }
}

static uint64_t get_u64_be(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void compute_block(stream *s)
{
    crypto_hash_sha256_state st;
    unsigned char j[8];
    put_u64_be(j, s->block);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, s->prefix, s->prefix_len);
    crypto_hash_sha256_update(&st, j, sizeof j);
    crypto_hash_sha256_final(&st, s->buf);
    s->pos = 0;
}

int stream_init(stream *s, const void *prefix, size_t len)
{
    memset(s, 0, sizeof *s);
    if (len > STREAM_PREFIX_MAX) return -1;
    memcpy(s->prefix, prefix, len);
    s->prefix_len = len;
    s->block = 0;
    compute_block(s);
    return 0;
}

uint64_t stream_next(stream *s)
{
    if (s->pos == 4) {
        s->block++;
        compute_block(s);
    }
    uint64_t v = get_u64_be(s->buf + 8 * s->pos);
    s->pos++;
    s->consumed++;
    return v;
}

uint64_t stream_uniform(stream *s, uint64_t m)
{
    /* m == 1 still consumes one word (x mod 1 == 0): the spec takes x before testing it, and a
     * continued stream (redraws) must stay in step with a literal implementation. m == 0 is not a
     * valid argument and consumes nothing. */
    if (m == 0) return 0;
    /* limit = 2^64 - (2^64 mod m); 2^64 mod m == (0 - m) mod m in 64-bit arithmetic. */
    uint64_t rem = (0 - m) % m;
    for (;;) {
        uint64_t x = stream_next(s);
        if (rem == 0 || x < 0 - rem) return x % m;
    }
}

void hex_encode(char *out, const unsigned char *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hex_decode(unsigned char *out, size_t n, const char *hex)
{
    if (strlen(hex) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
