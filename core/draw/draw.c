/* draw.c: draw algorithm v1 (SPEC §4): list hashes, commitment, seed, partial Fisher-Yates. */
#include "draw.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char newline = '\n';

static void put_u32_be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Byte-order comparison of two strings given with lengths (a prefix sorts first). */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* 0 if item is a valid list entry (non-empty, no '\n', no NUL), else -1. */
static int item_check(const char *item, size_t len)
{
    if (len == 0) return -1;
    if (memchr(item, '\n', len) || memchr(item, '\0', len)) return -1;
    return 0;
}

/* ---- list hashes ---- */

void draw_list_init(draw_list_hash *h)
{
    memset(h, 0, sizeof *h);
    crypto_hash_sha256_init(&h->sha);
}

int draw_list_add(draw_list_hash *h, const char *item, size_t len)
{
    if (item_check(item, len) != 0) return -1;
    int rc = 0;
    if (h->count > 0 && bytes_cmp(h->prev, h->prev_len, item, len) >= 0) rc = -2;
    if (len > h->prev_cap) {
        size_t cap = len < 32 ? 32 : len * 2;
        char *p = realloc(h->prev, cap);
        if (!p) return -3;
        h->prev = p;
        h->prev_cap = cap;
    }
    memcpy(h->prev, item, len);
    h->prev_len = len;
    crypto_hash_sha256_update(&h->sha, (const unsigned char *)item, len);
    crypto_hash_sha256_update(&h->sha, &newline, 1);
    h->count++;
    return rc;
}

void draw_list_free(draw_list_hash *h)
{
    free(h->prev);
    h->prev = NULL;
    h->prev_len = h->prev_cap = 0;
}

void draw_list_final(draw_list_hash *h, unsigned char out[DRAW_HASH_LEN])
{
    crypto_hash_sha256_final(&h->sha, out);
    draw_list_free(h);
}

void draw_cand_init(draw_cand_hash *c)
{
    memset(c, 0, sizeof *c);
    crypto_hash_sha256_init(&c->all);
}

void draw_cand_begin(draw_cand_hash *c)
{
    draw_list_init(&c->stratum);
    c->open = 1;
}

int draw_cand_add(draw_cand_hash *c, const char *uscc, size_t len)
{
    int rc = draw_list_add(&c->stratum, uscc, len);
    if (rc == -1 || rc == -3) return rc;
    crypto_hash_sha256_update(&c->all, (const unsigned char *)uscc, len);
    crypto_hash_sha256_update(&c->all, &newline, 1);
    return rc;
}

void draw_cand_end(draw_cand_hash *c, unsigned char stratum_hash[DRAW_HASH_LEN])
{
    unsigned char tmp[DRAW_HASH_LEN];
    if (!c->open) return;
    draw_list_final(&c->stratum, stratum_hash ? stratum_hash : tmp);
    c->open = 0;
}

void draw_cand_final(draw_cand_hash *c, unsigned char hc[DRAW_HASH_LEN])
{
    draw_cand_end(c, NULL);
    crypto_hash_sha256_final(&c->all, hc);
}

int draw_candidates_hash(const char *const *uscc_by_stratum[], const size_t sizes[], size_t nstrata,
                         unsigned char out[DRAW_HASH_LEN])
{
    draw_cand_hash c;
    unsigned char hc[DRAW_HASH_LEN];
    int rc = 0;

    draw_cand_init(&c);
    for (size_t s = 0; s < nstrata && rc == 0; s++) {
        draw_cand_begin(&c);
        for (size_t k = 0; k < sizes[s] && rc == 0; k++) {
            const char *u = uscc_by_stratum[s][k];
            rc = draw_cand_add(&c, u, strlen(u));
        }
        draw_cand_end(&c, NULL);
    }
    draw_cand_final(&c, hc);
    if (rc == 0) memcpy(out, hc, sizeof hc);
    return rc;
}

/* ---- secret, commitment, seed ---- */

void draw_new_secret(unsigned char secret[32])
{
    randombytes_buf(secret, 32);
}

void draw_commitment(const unsigned char secret[32], unsigned char out[DRAW_HASH_LEN])
{
    crypto_hash_sha256(out, secret, 32);
}

void draw_seed(const unsigned char secret[32], const void *witness, size_t witness_len,
               unsigned char out[DRAW_HASH_LEN])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, secret, 32);
    if (witness_len > 0) crypto_hash_sha256_update(&st, witness, witness_len);
    crypto_hash_sha256_final(&st, out);
}

void draw_witness_commitment(const void *witness, size_t witness_len, unsigned char out[DRAW_HASH_LEN])
{
    crypto_hash_sha256(out, witness_len ? witness : (const void *)"", witness_len);
}

void draw_seed_v2(const unsigned char secret[32], const void *witness, size_t witness_len,
                  const void *beacon, size_t beacon_len, unsigned char out[DRAW_HASH_LEN])
{
    unsigned char hw[DRAW_HASH_LEN], hb[DRAW_HASH_LEN];
    crypto_hash_sha256_state st;
    draw_witness_commitment(witness, witness_len, hw);
    crypto_hash_sha256(hb, beacon_len ? beacon : (const void *)"", beacon_len);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, secret, 32);
    crypto_hash_sha256_update(&st, hw, sizeof hw);
    crypto_hash_sha256_update(&st, hb, sizeof hb);
    crypto_hash_sha256_final(&st, out);
}

/* ---- prefixes ---- */

size_t draw_stratum_prefix(const unsigned char seed[DRAW_HASH_LEN],
                           const unsigned char hc[DRAW_HASH_LEN], uint32_t stratum,
                           unsigned char out[STREAM_PREFIX_MAX])
{
    memcpy(out, seed, DRAW_HASH_LEN);
    memcpy(out + DRAW_HASH_LEN, hc, DRAW_HASH_LEN);
    put_u32_be(out + 2 * DRAW_HASH_LEN, stratum);
    return 2 * DRAW_HASH_LEN + 4;
}

size_t draw_slot_prefix(const unsigned char seed_t[DRAW_HASH_LEN],
                        const unsigned char hi[DRAW_HASH_LEN], const char *uscc, size_t uscc_len,
                        uint32_t slot, unsigned char out[STREAM_PREFIX_MAX])
{
    if (uscc_len > STREAM_PREFIX_MAX - 2 * DRAW_HASH_LEN - 4) return 0;
    memcpy(out, seed_t, DRAW_HASH_LEN);
    memcpy(out + DRAW_HASH_LEN, hi, DRAW_HASH_LEN);
    memcpy(out + 2 * DRAW_HASH_LEN, uscc, uscc_len);
    put_u32_be(out + 2 * DRAW_HASH_LEN + uscc_len, slot);
    return 2 * DRAW_HASH_LEN + uscc_len + 4;
}

/* ---- partial Fisher-Yates ---- */

#define EMPTY_KEY UINT64_MAX

static size_t slot_of(uint64_t key, size_t cap)
{
    /* Fibonacci hashing; cap is a power of two. */
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

/* Allocates an empty sparse table of cap (power of two) entries. Returns 0 or -1. */
static int sparse_alloc(uint64_t **keys, uint64_t **vals, size_t cap)
{
    *keys = malloc(cap * sizeof **keys);
    *vals = malloc(cap * sizeof **vals);
    if (!*keys || !*vals) {
        free(*keys);
        free(*vals);
        *keys = *vals = NULL;
        return -1;
    }
    for (size_t k = 0; k < cap; k++) (*keys)[k] = EMPTY_KEY;
    return 0;
}

/* a[x] in sparse mode. */
static uint64_t sparse_get(const draw_fy *fy, uint64_t x)
{
    for (size_t k = slot_of(x, fy->cap);; k = (k + 1) & (fy->cap - 1)) {
        if (fy->keys[k] == x) return fy->vals[k];
        if (fy->keys[k] == EMPTY_KEY) return x;
    }
}

/* a[x] = v in sparse mode; the table has room (checked by the caller). */
static void sparse_put(draw_fy *fy, uint64_t x, uint64_t v)
{
    size_t k = slot_of(x, fy->cap);
    while (fy->keys[k] != EMPTY_KEY && fy->keys[k] != x) k = (k + 1) & (fy->cap - 1);
    if (fy->keys[k] == EMPTY_KEY) {
        fy->keys[k] = x;
        fy->used++;
    }
    fy->vals[k] = v;
}

/* Doubles the sparse table. Returns 0 or -1 (table unchanged). */
static int sparse_grow(draw_fy *fy)
{
    uint64_t *keys, *vals;
    size_t cap = fy->cap * 2;
    if (sparse_alloc(&keys, &vals, cap) != 0) return -1;
    uint64_t *okeys = fy->keys, *ovals = fy->vals;
    size_t ocap = fy->cap;
    fy->keys = keys;
    fy->vals = vals;
    fy->cap = cap;
    fy->used = 0;
    for (size_t k = 0; k < ocap; k++)
        if (okeys[k] != EMPTY_KEY) sparse_put(fy, okeys[k], ovals[k]);
    free(okeys);
    free(ovals);
    return 0;
}

int draw_fy_init(draw_fy *fy, const void *prefix, size_t len, uint64_t n_pool,
                 uint64_t expect_steps, enum draw_fy_mode mode)
{
    memset(fy, 0, sizeof *fy);
    if (stream_init(&fy->st, prefix, len) != 0) return -1;
    fy->n_pool = n_pool;
    if (expect_steps > n_pool) expect_steps = n_pool;
    if (mode == DRAW_FY_AUTO)
        mode = (expect_steps >= n_pool / 4 && n_pool <= SIZE_MAX / sizeof(uint64_t))
                   ? DRAW_FY_DENSE : DRAW_FY_SPARSE;
    if (mode == DRAW_FY_DENSE) {
        if (n_pool > SIZE_MAX / sizeof(uint64_t)) return -1;
        fy->dense = malloc((n_pool ? (size_t)n_pool : 1) * sizeof(uint64_t));
        if (!fy->dense) return -1;
        for (uint64_t x = 0; x < n_pool; x++) fy->dense[x] = x;
        return 0;
    }
    /* Each step adds at most one entry; keep the load factor at most 1/2. */
    size_t cap = 16;
    while (cap / 2 < expect_steps + 1 && cap < (SIZE_MAX >> 2)) cap *= 2;
    fy->cap = cap;
    return sparse_alloc(&fy->keys, &fy->vals, cap);
}

int draw_fy_step(draw_fy *fy, uint64_t *out)
{
    uint64_t i = fy->steps;
    if (i >= fy->n_pool) return -1;
    if (!fy->dense && (fy->used + 1) * 2 > fy->cap && sparse_grow(fy) != 0) return -1;

    uint64_t j = i + stream_uniform(&fy->st, fy->n_pool - i);
    uint64_t ai, aj;
    if (fy->dense) {
        ai = fy->dense[i];
        aj = fy->dense[j];
        fy->dense[i] = aj;
        fy->dense[j] = ai;
    } else {
        /* a[i] is never read again (later steps only touch indices > i), so only a[j] is stored. */
        ai = sparse_get(fy, i);
        aj = sparse_get(fy, j);
        if (j != i) sparse_put(fy, j, ai);
    }
    fy->steps++;
    *out = aj;
    return 0;
}

void draw_fy_free(draw_fy *fy)
{
    free(fy->dense);
    free(fy->keys);
    free(fy->vals);
    fy->dense = fy->keys = fy->vals = NULL;
    fy->cap = fy->used = 0;
}

int draw_select_prefix_mode(const void *prefix, size_t len, size_t N, size_t n, size_t *out,
                            uint64_t *words_used, enum draw_fy_mode mode)
{
    draw_fy fy;
    int rc = -1;

    if (n > N) return -1;
    if (draw_fy_init(&fy, prefix, len, N, n, mode) != 0) goto done;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (draw_fy_step(&fy, &v) != 0) goto done;
        out[i] = (size_t)v;
    }
    if (words_used) *words_used = fy.st.consumed;
    rc = 0;
done:
    draw_fy_free(&fy);
    return rc;
}

int draw_select_prefix(const void *prefix, size_t len, size_t N, size_t n, size_t *out,
                       uint64_t *words_used)
{
    return draw_select_prefix_mode(prefix, len, N, n, out, words_used, DRAW_FY_AUTO);
}

int draw_select(const unsigned char seed[DRAW_HASH_LEN], const unsigned char hc[DRAW_HASH_LEN],
                uint32_t stratum, size_t N, size_t n, size_t *perm_out, uint64_t *words_used)
{
    unsigned char prefix[STREAM_PREFIX_MAX];
    size_t len = draw_stratum_prefix(seed, hc, stratum, prefix);
    return draw_select_prefix(prefix, len, N, n, perm_out, words_used);
}

int draw_select_slot(const unsigned char seed_t[DRAW_HASH_LEN],
                     const unsigned char hi[DRAW_HASH_LEN], const char *uscc, size_t uscc_len,
                     uint32_t slot, size_t N, size_t n, size_t *out, uint64_t *words_used)
{
    unsigned char prefix[STREAM_PREFIX_MAX];
    size_t len = draw_slot_prefix(seed_t, hi, uscc, uscc_len, slot, prefix);
    if (len == 0) return -1;
    return draw_select_prefix(prefix, len, N, n, out, words_used);
}
