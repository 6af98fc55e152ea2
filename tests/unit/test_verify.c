/* test_verify.c: core/draw/verify.c. An announcement is built here with the real draw functions and must
 * verify; then each published field is tampered with and the report must name what differs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "draw.h"
#include "stream.h"
#include "verify.h"

static json_t *hexj(const unsigned char *h)
{
    char s[65];
    hex_encode(s, h, 32);
    return json_string(s);
}

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

/* ---- building a correct announcement ---- */

enum { NSTRATA = 2 };
static const char *stratum_names[NSTRATA] = {"key_high", "general_low"};
static const size_t stratum_sizes[NSTRATA] = {30, 40};
static const size_t stratum_draw[NSTRATA] = {4, 3};

/* One random team for uscc: slot 0 from C000..C009 (1 pick), slot 1 from C000..C019 without
 * slot 0's pick (1 pick); with_redraw adds one redraw on slot 1. */
static json_t *build_team(const unsigned char seed_t[32], const char *uscc, int with_redraw)
{
    json_t *slots = json_array(), *team_members = json_array();
    char certs[20][16];
    const char *pool[20];
    const char *slot0_pick = NULL;
    char leader[16] = "";

    for (int slot = 0; slot < 2; slot++) {
        size_t N = 0;
        for (int i = 0; i < (slot == 0 ? 10 : 20); i++) {
            snprintf(certs[i], sizeof certs[i], "C%03d", i);
            if (slot == 1 && slot0_pick && strcmp(certs[i], slot0_pick) == 0) continue;
            pool[N++] = certs[i];
        }
        draw_list_hash lh;
        unsigned char hi[32];
        draw_list_init(&lh);
        for (size_t i = 0; i < N; i++) assert_int_equal(draw_list_add(&lh, pool[i], strlen(pool[i])), 0);
        draw_list_final(&lh, hi);

        size_t R = (slot == 1 && with_redraw) ? 1 : 0, idx[2];
        assert_int_equal(draw_select_slot(seed_t, hi, uscc, strlen(uscc), (uint32_t)slot, N, 1 + R,
                                          idx, NULL), 0);
        json_t *s = json_pack("{s:i,s:s,s:o,s:o,s:[s]}", "slot", slot, "name",
                              slot == 0 ? "expertise" : "general", "pool", strings(pool, N),
                              "pool_hash", hexj(hi), "picks", pool[idx[0]]);
        if (R) {
            json_object_set_new(s, "redraws",
                                json_pack("[{s:i,s:s,s:s,s:s}]", "position", 0, "removed",
                                          pool[idx[0]], "replacement", pool[idx[1]], "reason",
                                          "conflict of interest (7.3)"));
            json_array_append_new(team_members, json_string(pool[idx[1]]));
        } else {
            json_array_append_new(team_members, json_string(pool[idx[0]]));
        }
        if (slot == 0) {
            snprintf(leader, sizeof leader, "%s", pool[idx[0]]);
            slot0_pick = leader;
        }
        json_array_append_new(slots, s);
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:o}", "uscc", uscc, "method", "random", "leader", leader,
                     "inspectors", team_members, "slots", slots);
}

static json_t *build_announcement(int with_stratum_hashes)
{
    unsigned char secret[32], commit[32], seed[32], hc[32], sh[NSTRATA][32];
    char cand[NSTRATA][40][40];
    const char *lists[NSTRATA][40];

    for (int i = 0; i < 32; i++) secret[i] = (unsigned char)(7 * i + 3);
    draw_commitment(secret, commit);
    const char *witness = "监督人 张三 2025-03-01";
    draw_seed(secret, witness, strlen(witness), seed);

    draw_cand_hash c;
    draw_cand_init(&c);
    for (int s = 0; s < NSTRATA; s++) {
        draw_cand_begin(&c);
        for (size_t i = 0; i < stratum_sizes[s]; i++) {
            snprintf(cand[s][i], sizeof cand[s][i], "91370322%cA%03zuX", s ? 'G' : 'K', i);
            lists[s][i] = cand[s][i];
            assert_int_equal(draw_cand_add(&c, lists[s][i], strlen(lists[s][i])), 0);
        }
        draw_cand_end(&c, sh[s]);
    }
    draw_cand_final(&c, hc);

    json_t *strata = json_array(), *selected0 = NULL, *selected1 = NULL;
    for (int s = 0; s < NSTRATA; s++) {
        size_t idx[8];
        const char *sel[8];
        assert_int_equal(draw_select(seed, hc, (uint32_t)s, stratum_sizes[s], stratum_draw[s], idx,
                                     NULL), 0);
        for (size_t i = 0; i < stratum_draw[s]; i++) sel[i] = lists[s][idx[i]];
        json_t *st = json_pack("{s:s,s:i,s:o,s:o}", "name", stratum_names[s], "size",
                               (int)stratum_sizes[s], "candidates",
                               strings(lists[s], stratum_sizes[s]), "selected",
                               strings(sel, stratum_draw[s]));
        if (with_stratum_hashes) json_object_set_new(st, "candidates_hash", hexj(sh[s]));
        json_array_append_new(strata, st);
        if (s == 0) selected0 = json_object_get(st, "selected");
        if (s == 1) selected1 = json_object_get(st, "selected");
    }

    json_t *draw = json_pack("{s:s,s:o,s:s,s:o,s:o,s:o,s:i,s:o}", "algorithm", DRAW_ALGORITHM,
                             "secret", hexj(secret), "witness", witness, "seed", hexj(seed),
                             "commitment", hexj(commit), "candidates_hash", hexj(hc), "attempts",
                             1, "strata", strata);

    /* Teams: the first three units of stratum 0 at random (the first with a redraw), the first of
     * stratum 1 by appointment. */
    unsigned char secret_t[32], commit_t[32], seed_t[32];
    for (int i = 0; i < 32; i++) secret_t[i] = (unsigned char)(255 - i);
    draw_commitment(secret_t, commit_t);
    draw_seed(secret_t, "team witness", 12, seed_t);
    json_t *teams = json_array();
    for (size_t k = 0; k < 3; k++)
        json_array_append_new(teams, build_team(seed_t, json_string_value(json_array_get(selected0, k)),
                                                k == 0));
    json_array_append_new(teams, json_pack("{s:s,s:s,s:s,s:[s,s],s:s}", "uscc",
                                           json_string_value(json_array_get(selected1, 0)),
                                           "method", "appointed", "reason",
                                           "too few certified inspectors (7.3)", "inspectors",
                                           "C100", "C101", "leader", "C100"));

    return json_pack("{s:{s:i,s:s},s:o,s:{s:s,s:o,s:s,s:o,s:o},s:o}", "task", "id", 7, "name",
                     "2025 Q1 spot check", "draw", draw, "teams_draw", "algorithm", DRAW_ALGORITHM,
                     "secret", hexj(secret_t), "witness", "team witness", "seed", hexj(seed_t),
                     "commitment", hexj(commit_t), "teams", teams);
}

/* ---- helpers ---- */

static int run(json_t *ann, json_t **report)
{
    char *err = NULL;
    int rc = verify_announcement(ann, report, &err);
    if (rc < 0) {
        assert_null(*report);
        assert_non_null(err);
    } else {
        assert_null(err);
        assert_non_null(*report);
    }
    free(err);
    return rc;
}

/* Whether some error message contains every one of the NULL-terminated substrings. */
static int has_error(json_t *report, ...)
{
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(report, "errors"), k, e) {
        const char *msg = json_string_value(e);
        int all = 1;
        va_list ap;
        va_start(ap, report);
        for (const char *sub = va_arg(ap, const char *); sub; sub = va_arg(ap, const char *))
            if (!strstr(msg, sub)) all = 0;
        va_end(ap);
        if (all) return 1;
    }
    return 0;
}

static void dump(json_t *report)
{
    char *s = report ? json_dumps(report, JSON_INDENT(1)) : NULL;
    print_message("%s\n", s ? s : "(no report)");
    free(s);
}

/* Expects rc 1 and an error containing every substring; prints the report otherwise. */
#define EXPECT_DIFF(ann, ...)                                                                  \
    do {                                                                                       \
        json_t *rep_ = NULL;                                                                   \
        int rc_ = run(ann, &rep_);                                                             \
        int found_ = rc_ == 1 && has_error(rep_, __VA_ARGS__, (const char *)NULL);             \
        if (!found_) dump(rep_);                                                               \
        assert_int_equal(rc_, 1);                                                              \
        assert_true(found_);                                                                   \
        assert_false(json_is_true(json_object_get(rep_, "ok")));                               \
        json_decref(rep_);                                                                     \
    } while (0)

static json_t *draw_of(json_t *ann) { return json_object_get(ann, "draw"); }

static json_t *stratum(json_t *ann, size_t s)
{
    return json_array_get(json_object_get(draw_of(ann), "strata"), s);
}

/* Changes the first hex digit of obj[key]. */
static void flip_hex(json_t *obj, const char *key)
{
    char s[65];
    snprintf(s, sizeof s, "%s", json_string_value(json_object_get(obj, key)));
    s[0] = s[0] == '0' ? '1' : '0';
    json_object_set_new(obj, key, json_string(s));
}

/* Changes one character of array element k (keeping it a plausible code). */
static void alter_element(json_t *arr, size_t k)
{
    char s[64];
    snprintf(s, sizeof s, "%s", json_string_value(json_array_get(arr, k)));
    s[strlen(s) - 1] = s[strlen(s) - 1] == 'Y' ? 'Z' : 'Y';
    json_array_set_new(arr, k, json_string(s));
}

static void swap_elements(json_t *arr, size_t a, size_t b)
{
    json_t *x = json_incref(json_array_get(arr, a));
    json_array_set(arr, a, json_array_get(arr, b));
    json_array_set_new(arr, b, x);
}

/* Index in stratum s of a candidate that is not selected. */
static size_t unselected_candidate(json_t *ann, size_t s)
{
    json_t *st = stratum(ann, s), *cands = json_object_get(st, "candidates");
    json_t *sel = json_object_get(st, "selected");
    for (size_t k = 0; k < json_array_size(cands); k++) {
        int chosen = 0;
        for (size_t j = 0; j < json_array_size(sel); j++)
            if (json_equal(json_array_get(cands, k), json_array_get(sel, j))) chosen = 1;
        if (!chosen) return k;
    }
    fail();
    return 0;
}

static int setup(void **state)
{
    *state = build_announcement(1);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    json_decref(*state);
    return 0;
}

/* ---- tests ---- */

static void test_genuine_announcement_verifies(void **state)
{
    json_t *report = NULL;
    int rc = run(*state, &report);
    if (rc != 0) dump(report);
    assert_int_equal(rc, 0);
    assert_true(json_is_true(json_object_get(report, "ok")));
    assert_int_equal(json_array_size(json_object_get(report, "errors")), 0);
    /* algorithm, commitment, seed, attempts, per stratum 4 checks (size, order, hash, selection),
     * H_c, and team checks. */
    assert_true(json_array_size(json_object_get(report, "checks")) > 12);
    json_decref(report);

    /* Also without the per-stratum hashes and without teams. */
    json_t *bare = build_announcement(0);
    json_object_del(bare, "teams");
    json_object_del(bare, "teams_draw");
    rc = run(bare, &report);
    assert_int_equal(rc, 0);
    json_decref(report);
    json_decref(bare);

    /* verify_text on the serialised form. */
    char *text = json_dumps(*state, 0), *err = NULL;
    assert_int_equal(verify_text(text, strlen(text), &report, &err), 0);
    assert_null(err);
    json_decref(report);
    free(text);
}

static void test_tampered_secret(void **state)
{
    json_t *a = json_deep_copy(*state);
    flip_hex(draw_of(a), "secret");
    EXPECT_DIFF(a, "commitment differs", "SHA-256(secret)");
    EXPECT_DIFF(a, "seed differs", "secret || witness");
    json_decref(a);
}

static void test_tampered_witness(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_object_set_new(draw_of(a), "witness", json_string("监督人 李四 2025-03-01"));
    EXPECT_DIFF(a, "seed differs", "witness");
    json_decref(a);
}

static void test_tampered_seed(void **state)
{
    json_t *a = json_deep_copy(*state);
    flip_hex(draw_of(a), "seed");
    EXPECT_DIFF(a, "seed differs");
    /* The selections are recomputed from secret and witness, so only the seed is named. */
    json_t *report;
    run(a, &report);
    assert_int_equal(json_array_size(json_object_get(report, "errors")), 1);
    json_decref(report);
    json_decref(a);
}

static void test_tampered_commitment(void **state)
{
    json_t *a = json_deep_copy(*state);
    flip_hex(draw_of(a), "commitment");
    EXPECT_DIFF(a, "commitment differs");
    json_decref(a);
}

static void test_tampered_candidates_hash(void **state)
{
    json_t *a = json_deep_copy(*state);
    flip_hex(draw_of(a), "candidates_hash");
    EXPECT_DIFF(a, "candidates_hash differs");
    json_decref(a);
}

static void test_tampered_algorithm(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_object_set_new(draw_of(a), "algorithm", json_string("spotcheck-draw-v0"));
    EXPECT_DIFF(a, "algorithm");
    json_decref(a);
}

/* One unselected candidate USCC changed: H_c differs and the stratum is named. */
static void test_tampered_candidate_uscc(void **state)
{
    json_t *a = json_deep_copy(*state);
    size_t k = unselected_candidate(a, 1);
    alter_element(json_object_get(stratum(a, 1), "candidates"), k);
    EXPECT_DIFF(a, "candidates_hash differs", "SHA-256 of the candidate lists");
    EXPECT_DIFF(a, "stratum 1 (\"general_low\")", "candidates_hash");
    /* Stratum 0 is not blamed. */
    json_t *report;
    run(a, &report);
    assert_false(has_error(report, "key_high", (const char *)NULL));
    json_decref(report);
    json_decref(a);

    /* Without per-stratum hashes, a changed selected candidate is still named by the selection. */
    json_t *b = build_announcement(0);
    json_t *st = stratum(b, 0);
    json_t *sel0 = json_array_get(json_object_get(st, "selected"), 0);
    json_t *cands = json_object_get(st, "candidates");
    for (size_t j = 0; j < json_array_size(cands); j++)
        if (json_equal(json_array_get(cands, j), sel0)) alter_element(cands, j);
    EXPECT_DIFF(b, "candidates_hash differs");
    EXPECT_DIFF(b, "stratum 0 (\"key_high\")", "selection differs at position 0");
    json_decref(b);
}

static void test_tampered_selected_uscc(void **state)
{
    json_t *a = json_deep_copy(*state);
    alter_element(json_object_get(stratum(a, 1), "selected"), 2);
    EXPECT_DIFF(a, "stratum 1 (\"general_low\")", "selection differs at position 2",
                "not in the list drawn from");
    json_decref(a);

    /* Replaced by another real candidate. */
    a = json_deep_copy(*state);
    size_t k = unselected_candidate(a, 0);
    json_t *other = json_array_get(json_object_get(stratum(a, 0), "candidates"), k);
    json_array_set(json_object_get(stratum(a, 0), "selected"), 1, other);
    EXPECT_DIFF(a, "stratum 0 (\"key_high\")", "selection differs at position 1",
                json_string_value(other));
    json_decref(a);
}

static void test_tampered_selection_order(void **state)
{
    json_t *a = json_deep_copy(*state);
    swap_elements(json_object_get(stratum(a, 0), "selected"), 0, 3);
    EXPECT_DIFF(a, "stratum 0 (\"key_high\")", "selection differs at position 0");
    EXPECT_DIFF(a, "stratum 0 (\"key_high\")", "selection differs at position 3");
    json_decref(a);
}

static void test_tampered_candidate_order(void **state)
{
    json_t *a = json_deep_copy(*state);
    swap_elements(json_object_get(stratum(a, 1), "candidates"), 5, 6);
    EXPECT_DIFF(a, "stratum 1 (\"general_low\")", "not sorted");
    EXPECT_DIFF(a, "stratum 1 (\"general_low\")", "candidates_hash");
    json_decref(a);

    /* A duplicate candidate. */
    a = json_deep_copy(*state);
    json_t *c = json_object_get(stratum(a, 0), "candidates");
    json_array_set(c, 8, json_array_get(c, 7));
    EXPECT_DIFF(a, "stratum 0 (\"key_high\")", "not unique at position 8");
    json_decref(a);
}

static void test_tampered_size(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_object_set_new(stratum(a, 0), "size", json_integer(31));
    EXPECT_DIFF(a, "stratum 0 (\"key_high\")", "size is 31 but 30 candidates");
    json_decref(a);
}

static void test_redraw_without_reason(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_object_set_new(draw_of(a), "attempts", json_integer(2));
    EXPECT_DIFF(a, "attempts is 2 but 0 redraw reasons");
    json_object_set_new(draw_of(a), "redraws", json_pack("[{s:s}]", "reason", ""));
    EXPECT_DIFF(a, "redraw 0 has an empty reason");
    json_object_set_new(draw_of(a), "redraws", json_pack("[{s:s}]", "reason", "witness absent"));
    json_t *report;
    assert_int_equal(run(a, &report), 0);
    json_decref(report);
    json_decref(a);
}

static json_t *team(json_t *ann, size_t t)
{
    return json_array_get(json_object_get(ann, "teams"), t);
}

static json_t *slot_of(json_t *ann, size_t t, size_t s)
{
    return json_array_get(json_object_get(team(ann, t), "slots"), s);
}

static void test_tampered_team_draw(void **state)
{
    json_t *a = json_deep_copy(*state);
    flip_hex(json_object_get(a, "teams_draw"), "secret");
    EXPECT_DIFF(a, "teams commitment differs");
    EXPECT_DIFF(a, "teams seed differs");
    json_decref(a);

    a = json_deep_copy(*state);
    json_object_set_new(json_object_get(a, "teams_draw"), "witness", json_string("someone else"));
    EXPECT_DIFF(a, "teams seed differs");
    EXPECT_DIFF(a, "slot 0 (\"expertise\")", "picks differs at position 0");
    json_decref(a);
}

static void test_tampered_team_picks(void **state)
{
    json_t *a = json_deep_copy(*state);
    const char *uscc = json_string_value(json_object_get(team(a, 1), "uscc"));
    json_t *picks = json_object_get(slot_of(a, 1, 0), "picks");
    json_t *pool = json_object_get(slot_of(a, 1, 0), "pool");
    /* Pick someone else from the pool. */
    size_t other = strcmp(json_string_value(json_array_get(pool, 0)),
                          json_string_value(json_array_get(picks, 0))) == 0 ? 1 : 0;
    json_array_set(picks, 0, json_array_get(pool, other));
    EXPECT_DIFF(a, uscc, "slot 0 (\"expertise\")", "picks differs at position 0");
    json_decref(a);

    /* A pick that is not in the pool at all. */
    a = json_deep_copy(*state);
    json_array_set_new(json_object_get(slot_of(a, 2, 1), "picks"), 0, json_string("C999"));
    EXPECT_DIFF(a, "slot 1 (\"general\")", "picks differs", "C999", "not in the list drawn from");
    json_decref(a);

    /* A changed pool. */
    a = json_deep_copy(*state);
    alter_element(json_object_get(slot_of(a, 0, 1), "pool"), 3);
    EXPECT_DIFF(a, "slot 1 (\"general\")", "pool_hash differs");
    json_decref(a);
}

static void test_tampered_team_redraw(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_t *r = json_array_get(json_object_get(slot_of(a, 0, 1), "redraws"), 0);
    json_t *pool = json_object_get(slot_of(a, 0, 1), "pool");
    const char *repl = json_string_value(json_object_get(r, "replacement"));
    const char *other = json_string_value(json_array_get(pool, 0));
    if (strcmp(repl, other) == 0) other = json_string_value(json_array_get(pool, 1));
    json_object_set_new(r, "replacement", json_string(other));
    EXPECT_DIFF(a, "redraw 0 replacement differs");
    json_decref(a);

    a = json_deep_copy(*state);
    r = json_array_get(json_object_get(slot_of(a, 0, 1), "redraws"), 0);
    json_object_set_new(r, "reason", json_string(""));
    EXPECT_DIFF(a, "redraw 0 has an empty reason");
    json_decref(a);

    /* Removing the redraw makes the published team disagree with the picks. */
    a = json_deep_copy(*state);
    json_object_del(slot_of(a, 0, 1), "redraws");
    EXPECT_DIFF(a, "inspectors do not match");
    json_decref(a);
}

static void test_tampered_team_leader_and_method(void **state)
{
    json_t *a = json_deep_copy(*state);
    json_object_set_new(team(a, 1), "leader", json_string("C777"));
    EXPECT_DIFF(a, "leader C777 is not on the team");
    json_decref(a);

    a = json_deep_copy(*state);
    json_object_del(team(a, 3), "reason");
    EXPECT_DIFF(a, "appointed\" without a reason");
    json_decref(a);

    a = json_deep_copy(*state);
    json_object_set_new(team(a, 2), "uscc", json_string("91370322ZZ999X"));
    EXPECT_DIFF(a, "not among the selected units");
    json_decref(a);
}

/* SPEC §12's v2 vector as an announcement, with its literal published values. */
static json_t *v2_vector_announcement(void)
{
    json_t *cands = json_array();
    char text[50 * 5 + 1], c[5];
    for (int i = 0; i < 50; i++) {
        snprintf(c, sizeof c, "A%03d", i);
        json_array_append_new(cands, json_string(c));
        memcpy(text + 5 * i, c, 4);
        text[5 * i + 4] = '\n';
    }
    unsigned char hc[32];
    crypto_hash_sha256(hc, (const unsigned char *)text, 250);
    return json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:[{s:s,s:o,s:[s,s,s,s,s]}]}}", "draw",
        "algorithm", "spotcheck-draw-v2",
        "secret", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "commitment", "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
        "witness", "witness",
        "witness_commitment", "ba1c566a4bad288c22a0b7511458c92ca5822cd41632e51806e9ea75ed12d13d",
        "beacon_source", "福彩3D 2026058期开奖号码",
        "beacon", "福彩3D 2026058期 开奖号码 3 7 1",
        "seed", "b02ab84d68073cfa7007b09c51d7ce22f0eeb09454e7f89851b239940273a220",
        "candidates_hash", hexj(hc), "attempts", 1,
        "strata", "name", "general", "candidates", cands, "selected", "A041", "A044", "A024", "A005", "A047");
}

/* Whether the report has a check named name with the given ok. */
static int has_check(json_t *report, const char *name, int ok)
{
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(report, "checks"), k, c)
        if (!strcmp(json_string_value(json_object_get(c, "check")), name) &&
            json_is_true(json_object_get(c, "ok")) == !!ok) return 1;
    return 0;
}

static void test_v2_vector_verifies(void **state)
{
    (void)state;
    json_t *ann = v2_vector_announcement(), *report = NULL;
    assert_non_null(ann);
    int rc = run(ann, &report);
    if (rc != 0) dump(report);
    assert_int_equal(rc, 0);
    assert_true(has_check(report, "witness_commitment", 1));
    assert_true(has_check(report, "beacon_source", 1));
    assert_true(has_check(report, "seed", 1));
    assert_true(has_check(report, "selection", 1));
    json_decref(report);
    json_decref(ann);
}

static void test_v2_changed_beacon_fails_seed(void **state)
{
    (void)state;
    json_t *ann = v2_vector_announcement(), *report = NULL;
    json_object_set_new(draw_of(ann), "beacon", json_string("福彩3D 2026058期 开奖号码 3 7 2"));
    EXPECT_DIFF(ann, "seed differs", "SHA-256(beacon)");
    assert_int_equal(run(ann, &report), 1);
    assert_true(has_check(report, "seed", 0));
    assert_true(has_check(report, "witness_commitment", 1));
    json_decref(report);
    json_decref(ann);
}

static void test_v2_changed_witness_fails_commitment(void **state)
{
    (void)state;
    json_t *ann = v2_vector_announcement(), *report = NULL;
    json_object_set_new(draw_of(ann), "witness", json_string("witness2"));
    EXPECT_DIFF(ann, "witness_commitment differs", "SHA-256(witness)");
    assert_int_equal(run(ann, &report), 1);
    assert_true(has_check(report, "witness_commitment", 0));
    assert_true(has_check(report, "seed", 0));
    json_decref(report);
    json_decref(ann);
}

static void test_v2_without_beacon_is_malformed(void **state)
{
    (void)state;
    static const char *const need[] = {"beacon", "beacon_source", "witness_commitment"};
    for (int k = 0; k < 3; k++) {
        json_t *ann = v2_vector_announcement(), *report = NULL;
        json_object_del(draw_of(ann), need[k]);
        char *err = NULL;
        assert_int_equal(verify_announcement(ann, &report, &err), -1);
        assert_non_null(strstr(err, need[k]));
        free(err);
        json_decref(ann);
    }
    /* an empty beacon_source differs (nothing was named before the draw) */
    json_t *ann = v2_vector_announcement();
    json_object_set_new(draw_of(ann), "beacon_source", json_string(""));
    EXPECT_DIFF(ann, "beacon_source is empty");
    json_decref(ann);
}

static void test_malformed_input(void **state)
{
    json_t *report = (json_t *)1;
    char *err = NULL;

    json_t *a = json_deep_copy(*state);
    json_object_del(a, "draw");
    assert_int_equal(verify_announcement(a, &report, &err), -1);
    assert_null(report);
    assert_non_null(strstr(err, "draw is missing"));
    free(err);
    json_decref(a);

    a = json_deep_copy(*state);
    json_object_set_new(draw_of(a), "secret", json_string("abc"));
    assert_int_equal(verify_announcement(a, &report, &err), -1);
    assert_non_null(strstr(err, "draw.secret must be 64 hex digits"));
    free(err);
    json_decref(a);

    a = json_deep_copy(*state);
    json_array_set_new(json_object_get(stratum(a, 1), "candidates"), 0, json_integer(5));
    assert_int_equal(verify_announcement(a, &report, &err), -1);
    assert_non_null(strstr(err, "draw.strata[1].candidates[0] must be a string"));
    free(err);
    json_decref(a);

    a = json_deep_copy(*state);
    json_object_del(a, "teams_draw");
    assert_int_equal(verify_announcement(a, &report, &err), -1);
    assert_non_null(strstr(err, "teams_draw is missing"));
    free(err);
    json_decref(a);

    const char *bad = "{\"draw\": [1, 2";
    assert_int_equal(verify_text(bad, strlen(bad), &report, &err), -1);
    assert_null(report);
    assert_non_null(strstr(err, "not valid JSON"));
    free(err);

    assert_int_equal(verify_text("[]", 2, &report, &err), -1);
    assert_non_null(strstr(err, "must be a JSON object"));
    free(err);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_genuine_announcement_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_witness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_commitment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_candidates_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_algorithm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_candidate_uscc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_selected_uscc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_selection_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_candidate_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redraw_without_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_team_draw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_team_picks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_team_redraw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_team_leader_and_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_input, setup, teardown),
        cmocka_unit_test(test_v2_vector_verifies),
        cmocka_unit_test(test_v2_changed_beacon_fails_seed),
        cmocka_unit_test(test_v2_changed_witness_fails_commitment),
        cmocka_unit_test(test_v2_without_beacon_is_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
