/* draw.h: draw algorithms v1 (SPEC §4) and v2 (SPEC §12) as pure functions, no database: list
 * hashes (H_c, H_i), secret / commitment / witness commitment / seed, and the partial Fisher-Yates
 * selection over a SHA-256 stream.
 * Uses stream.h and libsodium. */
#ifndef SPOT_DRAW_H
#define SPOT_DRAW_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "stream.h"

#define DRAW_ALGORITHM "spotcheck-draw-v1"
#define DRAW_ALGORITHM_V2 "spotcheck-draw-v2"
#define DRAW_HASH_LEN 32

/*
 * HOW A DRAW IS RE-CHECKED (text for the public "how to verify" page)
 * ------------------------------------------------------------------
 * All hashes are SHA-256; all hashes and secrets are published in lowercase hex. uint32_be(x) and
 * uint64_be(x) are x written as 4 or 8 bytes, most significant byte first.
 *
 * 1. List hash. For a list of strings L = (l_0, …, l_{N-1}), sorted by byte order with no
 *    duplicates, hash(L) = SHA-256(l_0 "\n" l_1 "\n" … l_{N-1} "\n"). No item may be empty or
 *    contain a newline. H_c is this hash over the candidate USCCs of all strata, strata in order;
 *    the announcement also gives each stratum's own list hash (field "candidates_hash" of the
 *    stratum) so that a changed USCC can be traced to its stratum. H_i is the list hash of one
 *    inspector slot's pool of 执法证号.
 * 2. commitment = SHA-256(secret); seed = SHA-256(secret || witness), witness as UTF-8 bytes.
 *    v2 (SPEC §12): witness_commitment = SHA-256(witness) is published at freeze with
 *    beacon_source; at the draw the witness is revealed and the public beacon value entered, and
 *    seed = SHA-256(secret || SHA-256(witness) || SHA-256(beacon)), beacon as UTF-8 bytes.
 *    Everything below is the same for v1 and v2.
 * 3. Stream over a prefix P: block j = SHA-256(P || uint64_be(j)), j = 0, 1, 2, …; each block is
 *    read as four big-endian 64-bit integers, in order; the stream is these integers in sequence.
 * 4. uniform(m), m >= 1: take the next integer x of the stream; if x >= 2^64 - (2^64 mod m), take
 *    another, and so on; return x mod m. uniform(1) still takes one integer (and returns 0).
 * 5. Partial Fisher-Yates of count k over a pool of N items: start with a = (0, 1, …, N-1); for
 *    i = 0 … k-1: r = uniform(N - i), swap a[i] and a[i + r]. The drawn items are
 *    pool[a[0]], …, pool[a[k-1]], in that order. Requires k <= N.
 * 6. Units: stratum s (0-based, in announcement order) uses P = seed || H_c || uint32_be(s) and
 *    k = number of selected units of that stratum.
 * 7. Inspectors: for each team and each of its slots, P = seed_t || H_i || USCC || uint32_be(slot)
 *    (USCC = the team's unit code as its ASCII bytes; slot = the slot number), over the slot's pool.
 * 8. Redraws (recusal, approved replacement) continue the same slot's shuffle: they are further
 *    steps i = k, k+1, … of the same partial Fisher-Yates, with the same array a and the same
 *    stream, picking up at the next unused stream integer. The pool and H_i are those of the
 *    original draw and do not change. The j-th redraw (j = 0, 1, … in the order the redraws were
 *    made) yields pool[a[k + j]]; it replaces the team member at the redraw's "position" in the
 *    slot's current picks. Equivalently: run step 5 with count k + R (R = number of redraws); the
 *    first k results are the original picks, result k + j is the replacement of redraw j. A person
 *    once drawn is never drawn again in that slot (their index stays in a[0 … k+j-1]). A redraw
 *    is impossible once k + R would exceed N; the team is then completed by appointment, recorded.
 */

/* ---- list hashes (H_c, H_i) ---- */

/* Streaming SHA-256 of "item\n" for each item of one sorted list, checking the order as it goes.
 * A plain struct; the only heap memory is the copy of the previous item (draw_list_final or
 * draw_list_free releases it). */
typedef struct draw_list_hash {
    crypto_hash_sha256_state sha;
    char *prev;               /* previous item, for the order check */
    size_t prev_len, prev_cap;
    size_t count;             /* items added */
} draw_list_hash;

/* Starts an empty list hash. */
void draw_list_init(draw_list_hash *h);

/* Adds item (len bytes, need not be NUL-terminated). Returns 0; -1 if the item is empty or
 * contains '\n' or NUL (nothing is hashed); -2 if it is not strictly greater than the previous
 * item in byte order (a duplicate or out of order: it is still hashed, so the hash stays that of
 * the list as given); -3 if out of memory. */
int draw_list_add(draw_list_hash *h, const char *item, size_t len);

/* Writes the hash of the items added so far to out and frees the order-check memory; the struct
 * may be reused only after draw_list_init. */
void draw_list_final(draw_list_hash *h, unsigned char out[DRAW_HASH_LEN]);

/* Frees the order-check memory without producing a hash (error paths). Safe after final. */
void draw_list_free(draw_list_hash *h);

/* Streaming H_c and the per-stratum hashes together, for the freeze step and the verifier:
 *     draw_cand_init(&c);
 *     for each stratum: draw_cand_begin(&c);
 *                       for each candidate: draw_cand_add(&c, uscc, len);
 *                       draw_cand_end(&c, stratum_hash);
 *     draw_cand_final(&c, H_c);
 * The order check applies within each stratum. */
typedef struct draw_cand_hash {
    crypto_hash_sha256_state all;   /* H_c */
    draw_list_hash stratum;         /* the open stratum */
    int open;
} draw_cand_hash;

void draw_cand_init(draw_cand_hash *c);
/* Opens the next stratum (closing none: call draw_cand_end first). */
void draw_cand_begin(draw_cand_hash *c);
/* Same contract and return codes as draw_list_add; the item goes into both hashes (unless -1). */
int draw_cand_add(draw_cand_hash *c, const char *uscc, size_t len);
/* Closes the open stratum; stratum_hash may be NULL. */
void draw_cand_end(draw_cand_hash *c, unsigned char stratum_hash[DRAW_HASH_LEN]);
/* Writes H_c. Closes an open stratum if any and releases all memory. */
void draw_cand_final(draw_cand_hash *c, unsigned char hc[DRAW_HASH_LEN]);

/* H_c of nstrata NUL-terminated lists in one call: uscc_by_stratum[s][0 … sizes[s]-1].
 * Returns 0, or the first non-zero code of draw_list_add (-1 bad item, -2 not sorted/unique,
 * -3 out of memory); out is written only on 0. */
int draw_candidates_hash(const char *const *uscc_by_stratum[], const size_t sizes[], size_t nstrata,
                         unsigned char out[DRAW_HASH_LEN]);

/* ---- secret, commitment, seed ---- */

/* Fills secret with 32 bytes from libsodium's CSPRNG. sodium_init() must have succeeded. */
void draw_new_secret(unsigned char secret[32]);

/* commitment = SHA-256(secret). */
void draw_commitment(const unsigned char secret[32], unsigned char out[DRAW_HASH_LEN]);

/* seed = SHA-256(secret || witness); witness is witness_len bytes (may be 0, witness may then be
 * NULL). */
void draw_seed(const unsigned char secret[32], const void *witness, size_t witness_len,
               unsigned char out[DRAW_HASH_LEN]);

/* v2: witness_commitment = SHA-256(witness) (witness_len may be 0, witness then NULL). */
void draw_witness_commitment(const void *witness, size_t witness_len, unsigned char out[DRAW_HASH_LEN]);

/* v2: seed = SHA-256(secret || SHA-256(witness) || SHA-256(beacon)); lengths may be 0 (pointer
 * then NULL). */
void draw_seed_v2(const unsigned char secret[32], const void *witness, size_t witness_len,
                  const void *beacon, size_t beacon_len, unsigned char out[DRAW_HASH_LEN]);

/* ---- stream prefixes ---- */

/* Writes seed || H_c || uint32_be(stratum) to out (68 bytes) and returns 68. */
size_t draw_stratum_prefix(const unsigned char seed[DRAW_HASH_LEN],
                           const unsigned char hc[DRAW_HASH_LEN], uint32_t stratum,
                           unsigned char out[STREAM_PREFIX_MAX]);

/* Writes seed_t || H_i || USCC || uint32_be(slot) to out and returns its length, or 0 if it would
 * exceed STREAM_PREFIX_MAX (USCC longer than 188 bytes). */
size_t draw_slot_prefix(const unsigned char seed_t[DRAW_HASH_LEN],
                        const unsigned char hi[DRAW_HASH_LEN], const char *uscc, size_t uscc_len,
                        uint32_t slot, unsigned char out[STREAM_PREFIX_MAX]);

/* ---- partial Fisher-Yates ---- */

enum draw_fy_mode { DRAW_FY_AUTO = 0, DRAW_FY_SPARSE, DRAW_FY_DENSE };

/* A partial Fisher-Yates in progress over indices 0 … N-1: the stream and the displaced entries
 * of the array a. Sparse mode keeps only the entries that differ from a[x] = x in a small
 * open-addressing table (memory O(steps)); dense mode keeps a whole N-entry array. Both give the
 * same results. The caller may keep the object between steps to continue (redraws); `st` is the
 * live stream, st.consumed the number of 64-bit integers used so far. */
typedef struct draw_fy {
    stream st;
    uint64_t n_pool;          /* N */
    uint64_t steps;           /* i: steps done so far */
    uint64_t *dense;          /* dense mode: a[0 … N-1], else NULL */
    uint64_t *keys, *vals;    /* sparse mode: a[key] = val; key UINT64_MAX = empty */
    size_t cap, used;
} draw_fy;

/* Starts a shuffle over n_pool indices with the stream over prefix. expect_steps is a sizing hint
 * (how many steps the caller plans). DRAW_FY_AUTO uses dense mode when expect_steps is at least a
 * quarter of n_pool, else sparse. Returns 0, or -1 (prefix too long, out of memory). Free with
 * draw_fy_free. */
int draw_fy_init(draw_fy *fy, const void *prefix, size_t len, uint64_t n_pool,
                 uint64_t expect_steps, enum draw_fy_mode mode);

/* One step i = fy->steps: r = uniform(N - i); swap a[i], a[i + r]; *out = a[i]. Returns 0, or -1
 * if the pool is exhausted (i == N) or out of memory (fy unchanged in both cases). */
int draw_fy_step(draw_fy *fy, uint64_t *out);

/* Releases the memory of fy. Safe to call twice and after a failed init. */
void draw_fy_free(draw_fy *fy);

/* Partial Fisher-Yates of n steps over N indices with the stream over prefix: out[0 … n-1]
 * (caller's array) receives a[0 … n-1]; *words_used (may be NULL) the number of stream integers
 * consumed. Returns 0, or -1 if n > N, the prefix is too long or memory runs out. */
int draw_select_prefix(const void *prefix, size_t len, size_t N, size_t n, size_t *out,
                       uint64_t *words_used);

/* The same with an explicit mode (tests compare sparse and dense). */
int draw_select_prefix_mode(const void *prefix, size_t len, size_t N, size_t n, size_t *out,
                            uint64_t *words_used, enum draw_fy_mode mode);

/* The selection of stratum s (SPEC §4 step 3): draw_select_prefix over seed || H_c ||
 * uint32_be(s). Same contract. */
int draw_select(const unsigned char seed[DRAW_HASH_LEN], const unsigned char hc[DRAW_HASH_LEN],
                uint32_t stratum, size_t N, size_t n, size_t *perm_out, uint64_t *words_used);

/* The picks of one inspector slot: draw_select_prefix over seed_t || H_i || USCC ||
 * uint32_be(slot). With n = original count + number of redraws, out[n_orig + j] is redraw j's
 * replacement (see the block comment above). Same contract. */
int draw_select_slot(const unsigned char seed_t[DRAW_HASH_LEN],
                     const unsigned char hi[DRAW_HASH_LEN], const char *uscc, size_t uscc_len,
                     uint32_t slot, size_t N, size_t n, size_t *out, uint64_t *words_used);

#endif
