/* test_draw.c: draw algorithms v1 and v2 (core/draw/draw.c, core/draw/stream.c): the SPEC §9 and §12 test vectors, hashes
 * recomputed independently with libsodium, uniform() edge cases, sparse vs dense shuffles, redraw
 * continuation and a 1,000,000-unit freeze + draw. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>

#include "draw.h"
#include "stream.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Word w of the stream over prefix, computed from the definition (not through stream.c). */
static uint64_t word_at(const unsigned char *prefix, size_t len, uint64_t w)
{
    unsigned char buf[STREAM_PREFIX_MAX + 8], h[32];
    uint64_t j = w / 4, v = 0;
    memcpy(buf, prefix, len);
    for (int b = 0; b < 8; b++) buf[len + b] = (unsigned char)(j >> (56 - 8 * b));
    crypto_hash_sha256(h, buf, len + 8);
    for (int b = 0; b < 8; b++) v = v << 8 | h[8 * (w % 4) + (uint64_t)b];
    return v;
}

/* The 50 candidates "A000" … "A049" of SPEC §9. */
static char vec_buf[50][5];
static const char *vec_list[50];

static void vec_init(void)
{
    for (int i = 0; i < 50; i++) {
        snprintf(vec_buf[i], sizeof vec_buf[i], "A%03d", i);
        vec_list[i] = vec_buf[i];
    }
}

static void test_spec_vector(void **state)
{
    (void)state;
    unsigned char secret[32], commit[32], seed[32], hc[32], want[32];
    for (int i = 0; i < 32; i++) secret[i] = (unsigned char)i;
    vec_init();

    /* commitment = SHA-256(secret) */
    draw_commitment(secret, commit);
    crypto_hash_sha256(want, secret, 32);
    assert_memory_equal(commit, want, 32);

    /* seed = SHA-256(secret || "witness") */
    unsigned char sw[32 + 7];
    memcpy(sw, secret, 32);
    memcpy(sw + 32, "witness", 7);
    draw_seed(secret, "witness", 7, seed);
    crypto_hash_sha256(want, sw, sizeof sw);
    assert_memory_equal(seed, want, 32);

    /* H_c = SHA-256("A000\nA001\n…A049\n") */
    char text[50 * 5 + 1];
    for (int i = 0; i < 50; i++) {
        memcpy(text + 5 * i, vec_buf[i], 4);
        text[5 * i + 4] = '\n';
    }
    text[250] = '\0';
    assert_int_equal(strncmp(text, "A000\nA001\n", 10), 0);
    assert_int_equal(strcmp(text + 245, "A049\n"), 0);
    crypto_hash_sha256(want, (const unsigned char *)text, 250);
    const char *const *strata[1] = {vec_list};
    size_t sizes[1] = {50};
    assert_int_equal(draw_candidates_hash(strata, sizes, 1, hc), 0);
    assert_memory_equal(hc, want, 32);

    /* The streaming API gives the same H_c and, for one stratum, the same stratum hash. */
    draw_cand_hash c;
    unsigned char hc2[32], sh[32];
    draw_cand_init(&c);
    draw_cand_begin(&c);
    for (int i = 0; i < 50; i++) assert_int_equal(draw_cand_add(&c, vec_list[i], 4), 0);
    draw_cand_end(&c, sh);
    draw_cand_final(&c, hc2);
    assert_memory_equal(hc2, want, 32);
    assert_memory_equal(sh, want, 32);

    /* Selection A031, A044, A028, A042, A043. */
    size_t idx[5];
    uint64_t words = 0;
    assert_int_equal(draw_select(seed, hc, 0, 50, 5, idx, &words), 0);
    const char *expect[5] = {"A031", "A044", "A028", "A042", "A043"};
    for (int i = 0; i < 5; i++) assert_string_equal(vec_list[idx[i]], expect[i]);
    assert_true(words >= 5);

    /* Same with forced sparse and dense engines. */
    unsigned char prefix[STREAM_PREFIX_MAX];
    size_t plen = draw_stratum_prefix(seed, hc, 0, prefix);
    assert_int_equal(plen, 68);
    for (int mode = DRAW_FY_SPARSE; mode <= DRAW_FY_DENSE; mode++) {
        size_t idx2[5];
        uint64_t w2;
        assert_int_equal(draw_select_prefix_mode(prefix, plen, 50, 5, idx2, &w2, mode), 0);
        assert_memory_equal(idx2, idx, sizeof idx);
        assert_int_equal(w2, words);
    }
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* SPEC §12's v2 vector: §9's secret and candidates, witness "witness", beacon
 * "福彩3D 2026058期 开奖号码 3 7 1", n = 5. */
static void test_spec_vector_v2(void **state)
{
    (void)state;
    static const char beacon[] = "福彩3D 2026058期 开奖号码 3 7 1";
    unsigned char secret[32], wc[32], seed[32], hc[32];
    char hex[65];
    for (int i = 0; i < 32; i++) secret[i] = (unsigned char)i;
    vec_init();

    draw_witness_commitment("witness", 7, wc);
    hex_of(wc, 32, hex);
    assert_string_equal(hex, "ba1c566a4bad288c22a0b7511458c92ca5822cd41632e51806e9ea75ed12d13d");

    draw_seed_v2(secret, "witness", 7, beacon, strlen(beacon), seed);
    hex_of(seed, 32, hex);
    assert_string_equal(hex, "b02ab84d68073cfa7007b09c51d7ce22f0eeb09454e7f89851b239940273a220");

    const char *const *strata[1] = {vec_list};
    size_t sizes[1] = {50};
    assert_int_equal(draw_candidates_hash(strata, sizes, 1, hc), 0);
    size_t idx[5];
    assert_int_equal(draw_select(seed, hc, 0, 50, 5, idx, NULL), 0);
    const char *expect[5] = {"A041", "A044", "A024", "A005", "A047"};
    for (int i = 0; i < 5; i++) assert_string_equal(vec_list[idx[i]], expect[i]);

    /* one byte of the beacon changed: another seed */
    unsigned char other[32];
    draw_seed_v2(secret, "witness", 7, "福彩3D 2026058期 开奖号码 3 7 2", strlen(beacon), other);
    assert_memory_not_equal(other, seed, 32);
}

static void test_stream_matches_definition(void **state)
{
    (void)state;
    const unsigned char prefix[] = "some prefix bytes";
    stream s;
    assert_int_equal(stream_init(&s, prefix, sizeof prefix - 1), 0);
    for (uint64_t w = 0; w < 13; w++) assert_true(stream_next(&s) == word_at(prefix, sizeof prefix - 1, w));
    assert_int_equal(s.consumed, 13);

    unsigned char big[STREAM_PREFIX_MAX + 1] = {0};
    assert_int_equal(stream_init(&s, big, sizeof big), -1);
}

/* uniform(1): takes one word and returns 0 (the word is consumed, as the spec reads it). */
static void test_uniform_m1_consumes_a_word(void **state)
{
    (void)state;
    stream s;
    assert_int_equal(stream_init(&s, "u1", 2), 0);
    assert_int_equal(stream_uniform(&s, 1), 0);
    assert_int_equal(s.consumed, 1);
    assert_true(stream_next(&s) == word_at((const unsigned char *)"u1", 2, 1));

    /* A shuffle of N = 1, n = 1 therefore uses exactly one word. */
    size_t idx[1];
    uint64_t words;
    assert_int_equal(draw_select_prefix("u1", 2, 1, 1, idx, &words), 0);
    assert_int_equal(idx[0], 0);
    assert_int_equal(words, 1);
}

/* m = 2^63 + 1: limit = 2^64 - (2^64 mod m) = 2^63 + 1, so about half the words are rejected. Find
 * a prefix whose first word is rejected and check the result comes from the second word. */
static void test_uniform_rejection_2p63_plus_1(void **state)
{
    (void)state;
    const uint64_t m = (UINT64_C(1) << 63) + 1;
    const uint64_t limit = (UINT64_C(1) << 63) + 1;
    int found_reject = 0, found_accept = 0;
    for (int k = 0; k < 200 && !(found_reject && found_accept); k++) {
        char p[32];
        int len = snprintf(p, sizeof p, "edge-%d", k);
        uint64_t w0 = word_at((const unsigned char *)p, (size_t)len, 0);
        uint64_t w1 = word_at((const unsigned char *)p, (size_t)len, 1);
        stream s;
        assert_int_equal(stream_init(&s, p, (size_t)len), 0);
        uint64_t r = stream_uniform(&s, m);
        assert_true(r < m);
        if (w0 < limit) {
            assert_true(r == w0 % m);
            assert_int_equal(s.consumed, 1);
            found_accept = 1;
        } else if (w1 < limit) {
            assert_true(r == w1 % m);
            assert_int_equal(s.consumed, 2);
            found_reject = 1;
        }
    }
    assert_true(found_reject);
    assert_true(found_accept);
}

/* Powers of two never reject; m = 3 rejects only 2^64 - 1. */
static void test_uniform_no_rejection_cases(void **state)
{
    (void)state;
    const unsigned char p[] = "pow2";
    stream s;
    assert_int_equal(stream_init(&s, p, 4), 0);
    uint64_t m = UINT64_C(1) << 63;
    for (uint64_t w = 0; w < 8; w++) assert_true(stream_uniform(&s, m) == word_at(p, 4, w) % m);
    assert_int_equal(s.consumed, 8);
    for (uint64_t w = 8; w < 16; w++) assert_true(stream_uniform(&s, 3) == word_at(p, 4, w) % 3);
    assert_int_equal(s.consumed, 16);
}

static void test_sparse_equals_dense(void **state)
{
    (void)state;
    const size_t Ns[] = {1, 2, 3, 7, 50, 1000, 4096};
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++) {
        size_t N = Ns[a];
        size_t ns[] = {0, 1, N / 3, N / 2, N};
        for (size_t b = 0; b < 5; b++) {
            size_t n = ns[b];
            char p[32];
            int len = snprintf(p, sizeof p, "cmp-%zu-%zu", N, n);
            size_t *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
            uint64_t wx, wy;
            assert_non_null(x);
            assert_non_null(y);
            assert_int_equal(draw_select_prefix_mode(p, (size_t)len, N, n, x, &wx, DRAW_FY_SPARSE), 0);
            assert_int_equal(draw_select_prefix_mode(p, (size_t)len, N, n, y, &wy, DRAW_FY_DENSE), 0);
            if (n) assert_memory_equal(x, y, n * sizeof *x);
            assert_int_equal(wx, wy);
            free(x);
            free(y);
        }
    }
}

/* A full shuffle (n = N) is a permutation. */
static void test_full_shuffle_is_permutation(void **state)
{
    (void)state;
    enum { N = 997 };
    size_t idx[N];
    char seen[N] = {0};
    assert_int_equal(draw_select_prefix("perm", 4, N, N, idx, NULL), 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(idx[i] < N);
        assert_false(seen[idx[i]]);
        seen[idx[i]] = 1;
    }
}

/* Redraws: continuing the same draw_fy for R more steps gives the same as a fresh shuffle of
 * count n + R, whose first n are the original picks (prefix consistency). */
static void test_redraw_continuation(void **state)
{
    (void)state;
    unsigned char seed_t[32], hi[32], prefix[STREAM_PREFIX_MAX];
    crypto_hash_sha256(seed_t, (const unsigned char *)"t", 1);
    crypto_hash_sha256(hi, (const unsigned char *)"i", 1);
    const char *uscc = "91370322MA3C000001";
    size_t len = draw_slot_prefix(seed_t, hi, uscc, strlen(uscc), 1, prefix);
    assert_int_equal(len, 32 + 32 + 18 + 4);
    assert_memory_equal(prefix, seed_t, 32);
    assert_memory_equal(prefix + 32, hi, 32);
    assert_memory_equal(prefix + 64, uscc, 18);
    const unsigned char slot_be[4] = {0, 0, 0, 1};
    assert_memory_equal(prefix + 82, slot_be, 4);

    enum { N = 12, K = 2, R = 3 };
    size_t full[K + R], orig[K];
    assert_int_equal(draw_select_slot(seed_t, hi, uscc, strlen(uscc), 1, N, K + R, full, NULL), 0);
    assert_int_equal(draw_select_slot(seed_t, hi, uscc, strlen(uscc), 1, N, K, orig, NULL), 0);
    assert_memory_equal(orig, full, sizeof orig);

    for (int mode = DRAW_FY_SPARSE; mode <= DRAW_FY_DENSE; mode++) {
        draw_fy fy;
        assert_int_equal(draw_fy_init(&fy, prefix, len, N, K, mode), 0);
        uint64_t v;
        for (size_t i = 0; i < K + R; i++) {
            assert_int_equal(draw_fy_step(&fy, &v), 0);
            assert_int_equal(v, full[i]);
        }
        /* Exhaust the pool, then a step fails. */
        for (size_t i = K + R; i < N; i++) assert_int_equal(draw_fy_step(&fy, &v), 0);
        assert_int_equal(draw_fy_step(&fy, &v), -1);
        draw_fy_free(&fy);
        draw_fy_free(&fy);
    }

    char longu[200];
    memset(longu, 'X', sizeof longu);
    assert_int_equal(draw_slot_prefix(seed_t, hi, longu, sizeof longu, 0, prefix), 0);
    assert_int_equal(draw_select_slot(seed_t, hi, longu, sizeof longu, 0, N, 1, orig, NULL), -1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    size_t idx[4];
    assert_int_equal(draw_select_prefix("x", 1, 3, 4, idx, NULL), -1);
    assert_int_equal(draw_select_prefix("x", 1, 0, 0, idx, NULL), 0);

    draw_list_hash h;
    draw_list_init(&h);
    assert_int_equal(draw_list_add(&h, "B", 1), 0);
    assert_int_equal(draw_list_add(&h, "B", 1), -2);   /* duplicate */
    assert_int_equal(draw_list_add(&h, "A", 1), -2);   /* out of order */
    assert_int_equal(draw_list_add(&h, "C\n", 2), -1); /* newline */
    assert_int_equal(draw_list_add(&h, "", 0), -1);    /* empty */
    assert_int_equal(draw_list_add(&h, "C", 1), 0);
    assert_int_equal(draw_list_add(&h, "CA", 2), 0);   /* a prefix sorts first */
    unsigned char got[32], want[32];
    draw_list_final(&h, got);
    crypto_hash_sha256(want, (const unsigned char *)"B\nB\nA\nC\nCA\n", 11);
    assert_memory_equal(got, want, 32);

    /* Byte order, not locale order: 'Z' (0x5a) < 'a' (0x61) and 0x80+ bytes sort last. */
    draw_list_init(&h);
    assert_int_equal(draw_list_add(&h, "Z", 1), 0);
    assert_int_equal(draw_list_add(&h, "a", 1), 0);
    assert_int_equal(draw_list_add(&h, "\xe4\xb8\xad", 3), 0);
    draw_list_free(&h);

    const char *bad[] = {"A2", "A1"};
    const char *const *strata[1] = {bad};
    size_t sizes[1] = {2};
    assert_int_equal(draw_candidates_hash(strata, sizes, 1, got), -2);

    /* Two strata: each sorted on its own, not across strata. */
    const char *s0[] = {"B1", "B2"}, *s1[] = {"A1"};
    const char *const *two[2] = {s0, s1};
    size_t sz2[2] = {2, 1};
    assert_int_equal(draw_candidates_hash(two, sz2, 2, got), 0);
    crypto_hash_sha256(want, (const unsigned char *)"B1\nB2\nA1\n", 9);
    assert_memory_equal(got, want, 32);
}

static void test_new_secret(void **state)
{
    (void)state;
    unsigned char a[32], b[32];
    draw_new_secret(a);
    draw_new_secret(b);
    assert_memory_not_equal(a, b, 32);
}

/* 1,000,000 candidates: freeze (H_c) + draw of 50,000 distinct indices, well under a second in an
 * optimised build (the bound here is loose for Debug and sanitizer builds). */
static void test_large_draw(void **state)
{
    (void)state;
    enum { N = 1000000, n = 50000 };
    double t0 = now_seconds();

    draw_cand_hash c;
    unsigned char hc[32], seed[32], secret[32];
    char u[24];
    draw_cand_init(&c);
    draw_cand_begin(&c);
    for (int i = 0; i < N; i++) {
        int len = snprintf(u, sizeof u, "91370322MA%07dX", i);
        assert_int_equal(draw_cand_add(&c, u, (size_t)len), 0);
    }
    draw_cand_final(&c, hc);
    double t1 = now_seconds();

    draw_new_secret(secret);
    draw_seed(secret, "witness", 7, seed);
    size_t *idx = malloc(n * sizeof *idx);
    unsigned char *seen = calloc(N / 8 + 1, 1);
    assert_non_null(idx);
    assert_non_null(seen);
    uint64_t words;
    assert_int_equal(draw_select(seed, hc, 0, N, n, idx, &words), 0);
    double t2 = now_seconds();
    for (size_t i = 0; i < n; i++) {
        assert_true(idx[i] < N);
        assert_false(seen[idx[i] / 8] & (1u << (idx[i] % 8)));
        seen[idx[i] / 8] |= (unsigned char)(1u << (idx[i] % 8));
    }
    assert_true(words >= n);

    /* The dense engine agrees on this size too. */
    unsigned char prefix[STREAM_PREFIX_MAX];
    size_t plen = draw_stratum_prefix(seed, hc, 0, prefix);
    size_t *idx2 = malloc(n * sizeof *idx2);
    assert_non_null(idx2);
    assert_int_equal(draw_select_prefix_mode(prefix, plen, N, n, idx2, NULL, DRAW_FY_DENSE), 0);
    assert_memory_equal(idx, idx2, n * sizeof *idx);

    print_message("freeze of %d candidates: %.3f s, draw of %d: %.3f s (%llu stream words)\n", N,
                  t1 - t0, n, t2 - t1, (unsigned long long)words);
    assert_true(t2 - t0 < 10.0);
    free(idx);
    free(idx2);
    free(seen);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vector),
        cmocka_unit_test(test_spec_vector_v2),
        cmocka_unit_test(test_stream_matches_definition),
        cmocka_unit_test(test_uniform_m1_consumes_a_word),
        cmocka_unit_test(test_uniform_rejection_2p63_plus_1),
        cmocka_unit_test(test_uniform_no_rejection_cases),
        cmocka_unit_test(test_sparse_equals_dense),
        cmocka_unit_test(test_full_shuffle_is_permutation),
        cmocka_unit_test(test_redraw_continuation),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_new_secret),
        cmocka_unit_test(test_large_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
