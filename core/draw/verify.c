/* verify.c: re-checks a public task announcement against draw algorithm v1 or v2 (see verify.h). */
#include "verify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "stream.h"

/* At most this many "differs at position" messages per list; the rest are counted. */
#define MAX_DIFF_MESSAGES 10

typedef struct vctx {
    json_t *checks;   /* report "checks" */
    json_t *errors;   /* report "errors" */
    char *err;        /* first malformed-input message; set => result -1 */
} vctx;

/* A malloc'd formatted string, or NULL if out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* Appends a human-readable difference to the report. */
static void add_error(vctx *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (s) json_array_append_new(v->errors, json_string(s));
    free(s);
}

/* Records malformed input (only the first message is kept). Returns -1. */
static int malformed(vctx *v, const char *fmt, ...)
{
    if (v->err) return -1;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    v->err = format("malformed announcement: %s", s ? s : "(out of memory)");
    free(s);
    return -1;
}

/* Appends check object c (steals it) with "ok" set. */
static void add_check(vctx *v, json_t *c, int ok)
{
    if (!c) return;
    json_object_set_new(c, "ok", json_boolean(ok));
    json_array_append_new(v->checks, c);
}

static json_t *chk(const char *name)
{
    return json_pack("{s:s}", "check", name);
}

static json_t *chk_stratum(const char *name, size_t s, const char *sname)
{
    return json_pack("{s:s,s:I,s:s}", "check", name, "stratum", (json_int_t)s, "name", sname);
}

static json_t *chk_slot(const char *name, const char *uscc, json_int_t slot)
{
    return json_pack("{s:s,s:s,s:I}", "check", name, "uscc", uscc, "slot", slot);
}

/* ---- typed field access: each returns 0, or -1 after recording malformed input ---- */

static int get_field(vctx *v, json_t *obj, const char *key, const char *where, int required,
                     json_t **out)
{
    *out = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!*out && required) return malformed(v, "%s.%s is missing", where, key);
    return 0;
}

static int get_string(vctx *v, json_t *obj, const char *key, const char *where, int required,
                      const char **s, size_t *len)
{
    json_t *f;
    *s = NULL;
    if (len) *len = 0;
    if (get_field(v, obj, key, where, required, &f) != 0) return -1;
    if (!f) return 0;
    if (!json_is_string(f)) return malformed(v, "%s.%s must be a string", where, key);
    *s = json_string_value(f);
    if (len) *len = json_string_length(f);
    return 0;
}

static int get_array(vctx *v, json_t *obj, const char *key, const char *where, int required,
                     json_t **arr)
{
    if (get_field(v, obj, key, where, required, arr) != 0) return -1;
    if (*arr && !json_is_array(*arr)) return malformed(v, "%s.%s must be an array", where, key);
    return 0;
}

/* An array whose elements are all strings. */
static int get_string_array(vctx *v, json_t *obj, const char *key, const char *where, int required,
                            json_t **arr)
{
    if (get_array(v, obj, key, where, required, arr) != 0) return -1;
    if (!*arr) return 0;
    size_t k;
    json_t *e;
    json_array_foreach(*arr, k, e) {
        if (!json_is_string(e))
            return malformed(v, "%s.%s[%zu] must be a string", where, key, k);
    }
    return 0;
}

static int get_int(vctx *v, json_t *obj, const char *key, const char *where, int required,
                   int *present, json_int_t *out)
{
    json_t *f;
    *present = 0;
    if (get_field(v, obj, key, where, required, &f) != 0) return -1;
    if (!f) return 0;
    if (!json_is_integer(f)) return malformed(v, "%s.%s must be an integer", where, key);
    *out = json_integer_value(f);
    *present = 1;
    return 0;
}

static int get_hash(vctx *v, json_t *obj, const char *key, const char *where, int required,
                    int *present, unsigned char out[DRAW_HASH_LEN])
{
    const char *s;
    if (present) *present = 0;
    if (get_string(v, obj, key, where, required, &s, NULL) != 0) return -1;
    if (!s) return 0;
    if (hex_decode(out, DRAW_HASH_LEN, s) != 0)
        return malformed(v, "%s.%s must be 64 hex digits", where, key);
    if (present) *present = 1;
    return 0;
}

static const char *elem(json_t *arr, size_t k)
{
    return json_string_value(json_array_get(arr, k));
}

static size_t elem_len(json_t *arr, size_t k)
{
    return json_string_length(json_array_get(arr, k));
}

/* Whether string s occurs in the string array arr; binary search if arr is known to be sorted. */
static int list_contains(json_t *arr, int sorted, const char *s)
{
    size_t n = json_array_size(arr);
    if (sorted) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(elem(arr, mid), s);
            if (c == 0) return 1;
            if (c < 0) lo = mid + 1; else hi = mid;
        }
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        if (strcmp(elem(arr, k), s) == 0) return 1;
    return 0;
}

/* Compares an announced hash to a computed one; adds a check and, on mismatch, an error
 * "<label>: <computed_from> = X, announced <label> Y". Returns 1 if equal. */
static int compare_hash(vctx *v, json_t *check, const char *label, const char *computed_from,
                        const unsigned char computed[DRAW_HASH_LEN],
                        const unsigned char announced[DRAW_HASH_LEN])
{
    int ok = sodium_memcmp(computed, announced, DRAW_HASH_LEN) == 0;
    if (!ok) {
        char a[2 * DRAW_HASH_LEN + 1], b[2 * DRAW_HASH_LEN + 1];
        hex_encode(a, computed, DRAW_HASH_LEN);
        hex_encode(b, announced, DRAW_HASH_LEN);
        add_error(v, "%s differs: %s = %s, announced %s", label, computed_from, a, b);
    }
    add_check(v, check, ok);
    return ok;
}

/* Hashes a sorted list (candidates of one stratum or one slot's pool) through add(), reporting
 * bad entries and order violations prefixed by `who`. Returns 1 if the list is valid, sorted and
 * unique, 0 if not, -1 on out of memory. */
typedef int (*list_add_fn)(void *h, const char *item, size_t len);

static int hash_list(vctx *v, json_t *arr, const char *who, const char *what, list_add_fn add,
                     void *h)
{
    size_t n = json_array_size(arr), bad = 0;
    for (size_t k = 0; k < n; k++) {
        const char *s = elem(arr, k);
        int rc = add(h, s, elem_len(arr, k));
        if (rc == -3) return -1;
        if (rc == 0) continue;
        if (++bad <= MAX_DIFF_MESSAGES) {
            if (rc == -1)
                add_error(v, "%s: %s %zu (\"%s\") is empty or contains a newline or NUL", who,
                          what, k, s);
            else
                add_error(v, "%s: %s not sorted by byte order or not unique at position %zu: "
                          "\"%s\" follows \"%s\"", who, what, k, s, elem(arr, k - 1));
        }
    }
    if (bad > MAX_DIFF_MESSAGES)
        add_error(v, "%s: %zu more %s order problems", who, bad - MAX_DIFF_MESSAGES, what);
    return bad == 0;
}

static int cand_add(void *h, const char *item, size_t len)
{
    return draw_cand_add(h, item, len);
}

static int list_add(void *h, const char *item, size_t len)
{
    return draw_list_add(h, item, len);
}

/* Compares announced[k] with pool[idx[k]] for k = 0 … n-1 (announced may be shorter: only the
 * first n entries are compared). Returns the number of differences. */
static size_t compare_picks(vctx *v, const char *who, const char *what, json_t *pool,
                            int pool_sorted, const size_t *idx, json_t *announced, size_t n)
{
    size_t diffs = 0;
    for (size_t k = 0; k < n; k++) {
        const char *want = elem(pool, idx[k]);
        const char *got = elem(announced, k);
        if (strcmp(want, got) == 0) continue;
        if (++diffs <= MAX_DIFF_MESSAGES)
            add_error(v, "%s: %s differs at position %zu: expected %s, announced %s%s", who, what,
                      k, want, got,
                      list_contains(pool, pool_sorted, got) ? "" : " (not in the list drawn from)");
    }
    if (diffs > MAX_DIFF_MESSAGES)
        add_error(v, "%s: %zu more %s differences", who, diffs - MAX_DIFF_MESSAGES, what);
    return diffs;
}

/* ---- the unit draw ---- */

/* Checks one stratum and feeds its candidates into H_c. selected_set collects every selected
 * USCC (for the teams). Returns 0, or -1 (malformed / out of memory). */
static int verify_stratum(vctx *v, json_t *st, size_t s, const unsigned char seed[DRAW_HASH_LEN],
                          const unsigned char hc_announced[DRAW_HASH_LEN], draw_cand_hash *all,
                          json_t *selected_set, int *stratum_hash_mismatch)
{
    char where[64], *who = NULL;
    const char *name;
    json_t *cands, *sel;
    json_int_t size;
    int has_size, has_hash, rc = -1;
    unsigned char ann_hash[DRAW_HASH_LEN], my_hash[DRAW_HASH_LEN];
    size_t *idx = NULL;

    snprintf(where, sizeof where, "draw.strata[%zu]", s);
    if (!json_is_object(st)) return malformed(v, "%s must be an object", where);
    if (get_string(v, st, "name", where, 1, &name, NULL) != 0 ||
        get_string_array(v, st, "candidates", where, 1, &cands) != 0 ||
        get_string_array(v, st, "selected", where, 1, &sel) != 0 ||
        get_int(v, st, "size", where, 0, &has_size, &size) != 0 ||
        get_hash(v, st, "candidates_hash", where, 0, &has_hash, ann_hash) != 0)
        return -1;
    who = format("stratum %zu (\"%s\")", s, name);
    if (!who) return malformed(v, "out of memory");

    size_t N = json_array_size(cands), n = json_array_size(sel);
    if (has_size) {
        int ok = size >= 0 && (size_t)size == N;
        if (!ok)
            add_error(v, "%s: size is %lld but %zu candidates are listed", who, (long long)size, N);
        add_check(v, chk_stratum("size", s, name), ok);
    }

    draw_cand_begin(all);
    int sorted = hash_list(v, cands, who, "candidates", cand_add, all);
    draw_cand_end(all, my_hash);
    if (sorted < 0) {
        malformed(v, "out of memory");
        goto done;
    }
    add_check(v, chk_stratum("candidates_order", s, name), sorted);
    if (has_hash) {
        char *label = format("%s: candidates_hash", who);
        if (!compare_hash(v, chk_stratum("stratum_candidates_hash", s, name),
                          label ? label : who, "SHA-256 of this stratum's listed candidates",
                          my_hash, ann_hash))
            *stratum_hash_mismatch = 1;
        free(label);
    }

    if (n > N) {
        add_error(v, "%s: %zu selected but only %zu candidates", who, n, N);
        add_check(v, chk_stratum("selection", s, name), 0);
    } else {
        idx = malloc((n ? n : 1) * sizeof *idx);
        if (!idx || draw_select(seed, hc_announced, (uint32_t)s, N, n, idx, NULL) != 0) {
            malformed(v, "out of memory");
            goto done;
        }
        size_t diffs = compare_picks(v, who, "selection", cands, sorted, idx, sel, n);
        add_check(v, chk_stratum("selection", s, name), diffs == 0);
    }
    for (size_t k = 0; k < n; k++) json_object_set(selected_set, elem(sel, k), json_true());
    rc = 0;
done:
    free(idx);
    free(who);
    return rc;
}

/* Checks secret/witness/seed/commitment of a draw object; writes the recomputed seed. prefix is
 * "" or "teams " for the labels. v2 != 0: algorithm v2 (SPEC §12), which also checks
 * witness_commitment = SHA-256(witness), needs a non-empty beacon_source and takes the seed over
 * SHA-256(witness) and SHA-256(beacon). Returns 0 or -1. */
static int verify_seed(vctx *v, json_t *d, const char *where, const char *label_prefix, int v2,
                       unsigned char seed_out[DRAW_HASH_LEN])
{
    unsigned char secret[32], seed[DRAW_HASH_LEN], commit[DRAW_HASH_LEN], mine[DRAW_HASH_LEN];
    unsigned char wc[DRAW_HASH_LEN];
    const char *witness, *beacon = NULL, *source = NULL;
    size_t wlen, blen = 0;
    char label[64], name[64];

    if (get_hash(v, d, "secret", where, 1, NULL, secret) != 0 ||
        get_string(v, d, "witness", where, 1, &witness, &wlen) != 0 ||
        get_hash(v, d, "seed", where, 1, NULL, seed) != 0 ||
        get_hash(v, d, "commitment", where, 1, NULL, commit) != 0)
        return -1;
    if (v2 && (get_hash(v, d, "witness_commitment", where, 1, NULL, wc) != 0 ||
               get_string(v, d, "beacon_source", where, 1, &source, NULL) != 0 ||
               get_string(v, d, "beacon", where, 1, &beacon, &blen) != 0)) {
        sodium_memzero(secret, sizeof secret);
        return -1;
    }

    draw_commitment(secret, mine);
    snprintf(label, sizeof label, "%scommitment", label_prefix);
    snprintf(name, sizeof name, "%s%s", *label_prefix ? "teams_" : "", "commitment");
    compare_hash(v, chk(name), label, "SHA-256(secret)", mine, commit);

    if (v2) {
        draw_witness_commitment(witness, wlen, mine);
        snprintf(label, sizeof label, "%switness_commitment", label_prefix);
        snprintf(name, sizeof name, "%s%s", *label_prefix ? "teams_" : "", "witness_commitment");
        compare_hash(v, chk(name), label, "SHA-256(witness)", mine, wc);
        snprintf(name, sizeof name, "%s%s", *label_prefix ? "teams_" : "", "beacon_source");
        int ok = *source != 0;
        if (!ok) add_error(v, "%sbeacon_source is empty: the beacon was not named before the draw", label_prefix);
        add_check(v, chk(name), ok);
        draw_seed_v2(secret, witness, wlen, beacon, blen, seed_out);
    } else {
        draw_seed(secret, witness, wlen, seed_out);
    }
    snprintf(label, sizeof label, "%sseed", label_prefix);
    snprintf(name, sizeof name, "%s%s", *label_prefix ? "teams_" : "", "seed");
    compare_hash(v, chk(name), label,
                 v2 ? "SHA-256(secret || SHA-256(witness) || SHA-256(beacon))" : "SHA-256(secret || witness)",
                 seed_out, seed);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

static int verify_draw(vctx *v, json_t *d, json_t *selected_set)
{
    const char *alg;
    unsigned char seed[DRAW_HASH_LEN], hc_ann[DRAW_HASH_LEN], hc[DRAW_HASH_LEN];
    json_t *strata, *redraws;
    json_int_t attempts = 0;
    int has_attempts, stratum_mismatch = 0, has_stratum_hashes = 1;
    draw_cand_hash all;

    if (!json_is_object(d)) return malformed(v, "draw must be an object");
    if (get_string(v, d, "algorithm", "draw", 1, &alg, NULL) != 0) return -1;
    int v2 = strcmp(alg, DRAW_ALGORITHM_V2) == 0;
    int ok = v2 || strcmp(alg, DRAW_ALGORITHM) == 0;
    if (!ok) add_error(v, "algorithm is \"%s\", expected \"%s\" or \"%s\"", alg, DRAW_ALGORITHM, DRAW_ALGORITHM_V2);
    add_check(v, chk("algorithm"), ok);

    if (verify_seed(v, d, "draw", "", v2, seed) != 0 ||
        get_hash(v, d, "candidates_hash", "draw", 1, NULL, hc_ann) != 0 ||
        get_int(v, d, "attempts", "draw", 1, &has_attempts, &attempts) != 0 ||
        get_array(v, d, "redraws", "draw", 0, &redraws) != 0 ||
        get_array(v, d, "strata", "draw", 1, &strata) != 0)
        return -1;

    /* attempts and their recorded reasons (SPEC §4 step 6). */
    ok = attempts >= 1;
    if (!ok) add_error(v, "attempts is %lld, must be at least 1", (long long)attempts);
    if (ok && attempts > 1) {
        size_t nr = redraws ? json_array_size(redraws) : 0;
        if (nr != (size_t)(attempts - 1)) {
            add_error(v, "attempts is %lld but %zu redraw reasons are published (expected %lld)",
                      (long long)attempts, nr, (long long)(attempts - 1));
            ok = 0;
        }
        for (size_t k = 0; k < nr; k++) {
            const char *reason;
            char where[48];
            snprintf(where, sizeof where, "draw.redraws[%zu]", k);
            if (get_string(v, json_array_get(redraws, k), "reason", where, 1, &reason, NULL) != 0)
                return -1;
            if (!*reason) {
                add_error(v, "redraw %zu has an empty reason", k);
                ok = 0;
            }
        }
    }
    add_check(v, chk("attempts"), ok);

    size_t ns = json_array_size(strata);
    if (ns > UINT32_MAX) return malformed(v, "too many strata");
    int rc = 0;
    draw_cand_init(&all);
    for (size_t s = 0; s < ns && rc == 0; s++) {
        json_t *st = json_array_get(strata, s);
        if (!json_object_get(st, "candidates_hash")) has_stratum_hashes = 0;
        rc = verify_stratum(v, st, s, seed, hc_ann, &all, selected_set, &stratum_mismatch);
    }
    draw_cand_final(&all, hc);   /* releases the hasher on every path */
    if (rc != 0) return -1;
    if (!compare_hash(v, chk("candidates_hash"), "candidates_hash",
                      "SHA-256 of the candidate lists of all strata", hc, hc_ann) &&
        !stratum_mismatch) {
        add_error(v, has_stratum_hashes
                         ? "candidates_hash differs but every stratum's own candidates_hash "
                           "matches: a stratum was added, removed or reordered, or H_c was changed"
                         : "candidates_hash differs; the strata do not all publish their own "
                           "candidates_hash, so the changed stratum is named only by the order "
                           "and selection checks above");
    }
    return 0;
}

/* ---- inspector teams ---- */

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the strings of arr into a new malloc'd array of n pointers (NULL if out of memory). */
static const char **sorted_strings(json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    const char **p = malloc((*n ? *n : 1) * sizeof *p);
    if (!p) return NULL;
    for (size_t k = 0; k < *n; k++) p[k] = elem(arr, k);
    qsort(p, *n, sizeof *p, cmp_strp);
    return p;
}

/* Verifies one slot of a random team; appends its final picks to final_team. Returns 0 or -1. */
static int verify_slot(vctx *v, json_t *slot, const char *where, const char *uscc, size_t uscc_len,
                       const unsigned char seed_t[DRAW_HASH_LEN], json_t *slot_numbers,
                       json_t *final_team)
{
    json_int_t num = 0;
    int has_num, has_hash, rc = -1;
    const char *label;
    json_t *pool, *picks, *redraws, *current = NULL;
    unsigned char hi[DRAW_HASH_LEN], ann_hi[DRAW_HASH_LEN];
    char *who = NULL, key[32];
    size_t *idx = NULL;
    draw_list_hash lh;

    if (!json_is_object(slot)) return malformed(v, "%s must be an object", where);
    if (get_int(v, slot, "slot", where, 1, &has_num, &num) != 0 ||
        get_string(v, slot, "name", where, 0, &label, NULL) != 0 ||
        get_string_array(v, slot, "pool", where, 1, &pool) != 0 ||
        get_hash(v, slot, "pool_hash", where, 0, &has_hash, ann_hi) != 0 ||
        get_string_array(v, slot, "picks", where, 1, &picks) != 0 ||
        get_array(v, slot, "redraws", where, 0, &redraws) != 0)
        return -1;
    if (num < 0 || num > (json_int_t)UINT32_MAX)
        return malformed(v, "%s.slot must be between 0 and 4294967295", where);
    who = label ? format("team %s slot %lld (\"%s\")", uscc, (long long)num, label)
                : format("team %s slot %lld", uscc, (long long)num);
    if (!who) return malformed(v, "out of memory");

    snprintf(key, sizeof key, "%lld", (long long)num);
    if (json_object_get(slot_numbers, key)) {
        add_error(v, "%s: slot number used twice in the team", who);
        add_check(v, chk_slot("slot_unique", uscc, num), 0);
    }
    json_object_set(slot_numbers, key, json_true());

    draw_list_init(&lh);
    int sorted = hash_list(v, pool, who, "pool", list_add, &lh);
    draw_list_final(&lh, hi);
    if (sorted < 0) {
        malformed(v, "out of memory");
        goto done;
    }
    add_check(v, chk_slot("slot_pool_order", uscc, num), sorted);
    if (has_hash) {
        char *l = format("%s: pool_hash", who);
        compare_hash(v, chk_slot("slot_pool_hash", uscc, num), l ? l : who,
                     "SHA-256 of the listed pool", hi, ann_hi);
        free(l);
    }

    size_t N = json_array_size(pool), k = json_array_size(picks);
    size_t R = redraws ? json_array_size(redraws) : 0;
    current = json_copy(picks);
    if (!current) {
        malformed(v, "out of memory");
        goto done;
    }
    if (k + R > N) {
        add_error(v, "%s: %zu picks and %zu redraws but the pool has only %zu inspectors", who, k,
                  R, N);
        add_check(v, chk_slot("slot_picks", uscc, num), 0);
    } else {
        idx = malloc((k + R ? k + R : 1) * sizeof *idx);
        if (!idx || draw_select_slot(seed_t, hi, uscc, uscc_len, (uint32_t)num, N, k + R, idx,
                                     NULL) != 0) {
            if (idx) malformed(v, "%s: uscc too long for the stream prefix", where);
            else malformed(v, "out of memory");
            goto done;
        }
        size_t diffs = compare_picks(v, who, "picks", pool, sorted, idx, picks, k);
        add_check(v, chk_slot("slot_picks", uscc, num), diffs == 0);

        int rok = 1;
        for (size_t j = 0; j < R; j++) {
            json_t *r = json_array_get(redraws, j);
            char rwhere[160];
            const char *removed, *repl, *reason;
            json_int_t pos = 0;
            int has_pos;
            snprintf(rwhere, sizeof rwhere, "%s.redraws[%zu]", where, j);
            if (!json_is_object(r)) {
                malformed(v, "%s must be an object", rwhere);
                goto done;
            }
            if (get_int(v, r, "position", rwhere, 1, &has_pos, &pos) != 0 ||
                get_string(v, r, "removed", rwhere, 1, &removed, NULL) != 0 ||
                get_string(v, r, "replacement", rwhere, 1, &repl, NULL) != 0 ||
                get_string(v, r, "reason", rwhere, 1, &reason, NULL) != 0)
                goto done;
            const char *want = elem(pool, idx[k + j]);
            if (!*reason) {
                add_error(v, "%s: redraw %zu has an empty reason", who, j);
                rok = 0;
            }
            if (pos < 0 || (size_t)pos >= k) {
                add_error(v, "%s: redraw %zu position %lld is not a pick position (0..%zu)", who,
                          j, (long long)pos, k ? k - 1 : 0);
                rok = 0;
            } else {
                const char *cur = elem(current, (size_t)pos);
                if (strcmp(cur, removed) != 0) {
                    add_error(v, "%s: redraw %zu removes %s but position %lld holds %s", who, j,
                              removed, (long long)pos, cur);
                    rok = 0;
                }
                json_array_set_new(current, (size_t)pos, json_string(repl));
            }
            if (strcmp(want, repl) != 0) {
                add_error(v, "%s: redraw %zu replacement differs: expected %s (stream step %zu), "
                          "announced %s", who, j, want, k + j, repl);
                rok = 0;
            }
        }
        if (R > 0) add_check(v, chk_slot("slot_redraws", uscc, num), rok);
    }
    json_array_extend(final_team, current);
    rc = 0;
done:
    json_decref(current);
    free(idx);
    free(who);
    return rc;
}

/* Verifies one team. Returns 0 or -1. */
static int verify_team(vctx *v, json_t *team, size_t t, int have_seed_t,
                       const unsigned char seed_t[DRAW_HASH_LEN], json_t *selected_set,
                       json_t *seen_teams)
{
    char where[48];
    const char *uscc, *method, *leader, *reason;
    size_t uscc_len;
    json_t *inspectors, *slots, *final_team = NULL, *slot_numbers = NULL;
    const char **a = NULL, **b = NULL;
    int rc = -1;

    snprintf(where, sizeof where, "teams[%zu]", t);
    if (!json_is_object(team)) return malformed(v, "%s must be an object", where);
    if (get_string(v, team, "uscc", where, 1, &uscc, &uscc_len) != 0 ||
        get_string(v, team, "method", where, 1, &method, NULL) != 0 ||
        get_string(v, team, "leader", where, 1, &leader, NULL) != 0 ||
        get_string(v, team, "reason", where, 0, &reason, NULL) != 0 ||
        get_string_array(v, team, "inspectors", where, 0, &inspectors) != 0 ||
        get_array(v, team, "slots", where, 0, &slots) != 0)
        return -1;

    int ok = json_object_get(selected_set, uscc) != NULL;
    if (!ok) add_error(v, "team %s: the unit is not among the selected units", uscc);
    if (json_object_get(seen_teams, uscc)) {
        add_error(v, "team %s: the unit has more than one team", uscc);
        ok = 0;
    }
    json_object_set(seen_teams, uscc, json_true());
    add_check(v, json_pack("{s:s,s:s}", "check", "team_unit", "uscc", uscc), ok);

    if (strcmp(method, "appointed") == 0) {
        ok = reason && *reason;
        if (!ok) add_error(v, "team %s: method \"appointed\" without a reason", uscc);
        if (!inspectors) {
            malformed(v, "%s.inspectors is missing (required for an appointed team)", where);
            goto done;
        }
        add_check(v, json_pack("{s:s,s:s}", "check", "team_appointed", "uscc", uscc), ok);
        final_team = json_incref(inspectors);
    } else if (strcmp(method, "random") == 0) {
        if (!slots || json_array_size(slots) == 0) {
            malformed(v, "%s.slots is missing or empty (required for a random team)", where);
            goto done;
        }
        if (!have_seed_t) {
            malformed(v, "teams_draw is missing but team %s was drawn at random", uscc);
            goto done;
        }
        final_team = json_array();
        slot_numbers = json_object();
        if (!final_team || !slot_numbers) {
            malformed(v, "out of memory");
            goto done;
        }
        size_t k;
        json_t *slot;
        json_array_foreach(slots, k, slot) {
            char swhere[96];
            snprintf(swhere, sizeof swhere, "%s.slots[%zu]", where, k);
            if (verify_slot(v, slot, swhere, uscc, uscc_len, seed_t, slot_numbers, final_team) != 0)
                goto done;
        }
        if (inspectors) {
            size_t na, nb;
            a = sorted_strings(final_team, &na);
            b = sorted_strings(inspectors, &nb);
            if (!a || !b) {
                malformed(v, "out of memory");
                goto done;
            }
            ok = na == nb;
            for (size_t i = 0; ok && i < na; i++) ok = strcmp(a[i], b[i]) == 0;
            if (!ok)
                add_error(v, "team %s: inspectors do not match the slots' picks after redraws",
                          uscc);
            add_check(v, json_pack("{s:s,s:s}", "check", "team_members", "uscc", uscc), ok);
        }
    } else {
        add_error(v, "team %s: unknown method \"%s\" (expected \"random\" or \"appointed\")",
                  uscc, method);
        add_check(v, json_pack("{s:s,s:s}", "check", "team_method", "uscc", uscc), 0);
        rc = 0;
        goto done;
    }

    /* No one twice on a team; the leader is on it. */
    {
        size_t n;
        free(a);
        a = sorted_strings(final_team, &n);
        if (!a) {
            malformed(v, "out of memory");
            goto done;
        }
        ok = 1;
        for (size_t i = 1; i < n; i++) {
            if (strcmp(a[i - 1], a[i]) == 0) {
                add_error(v, "team %s: inspector %s appears twice", uscc, a[i]);
                ok = 0;
            }
        }
        add_check(v, json_pack("{s:s,s:s}", "check", "team_distinct", "uscc", uscc), ok);
        /* an appointed team whose every position awaits the executing org's appointment (7.3)
         * has no leader yet: leader "" and no members */
        ok = bsearch(&leader, a, n, sizeof *a, cmp_strp) != NULL ||
             (n == 0 && !*leader && strcmp(method, "appointed") == 0);
        if (!ok) add_error(v, "team %s: leader %s is not on the team", uscc, leader);
        add_check(v, json_pack("{s:s,s:s}", "check", "team_leader", "uscc", uscc), ok);
    }
    rc = 0;
done:
    free(a);
    free(b);
    json_decref(final_team);
    json_decref(slot_numbers);
    return rc;
}

/* Whether every string of arr (an array, or NULL) is a key of set; names the first one that is not
 * in *missing (borrowed). */
static int all_in(json_t *arr, json_t *set, const char **missing)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_is_string(x) && !json_object_get(set, json_string_value(x))) {
            *missing = json_string_value(x);
            return 0;
        }
    return 1;
}

/* The pool committed at lock ("teams_pool": {"hash", "inspectors"}, optional): its hash matches
 * the listed inspectors (sorted, unique), and every slot's pool, every appointed inspector and
 * every team member comes from it. Returns 0 or -1 (malformed). */
static int verify_team_pool(vctx *v, json_t *ann, json_t *teams)
{
    json_t *tp, *list, *set = NULL;
    unsigned char ann_h[DRAW_HASH_LEN], h[DRAW_HASH_LEN];
    int has_hash, rc = -1;
    draw_list_hash lh;
    if (get_field(v, ann, "teams_pool", "announcement", 0, &tp) != 0) return -1;
    if (!tp) return 0;
    if (!json_is_object(tp)) return malformed(v, "teams_pool must be an object");
    if (get_string_array(v, tp, "inspectors", "teams_pool", 1, &list) != 0 ||
        get_hash(v, tp, "hash", "teams_pool", 1, &has_hash, ann_h) != 0)
        return -1;
    draw_list_init(&lh);
    int sorted = hash_list(v, list, "teams_pool", "inspector", list_add, &lh);
    draw_list_final(&lh, h);
    if (sorted < 0) return malformed(v, "out of memory");
    add_check(v, chk("teams_pool_order"), sorted);
    compare_hash(v, chk("teams_pool_hash"), "teams_pool.hash", "SHA-256 of the committed pool", h, ann_h);
    set = json_object();
    if (!set) return malformed(v, "out of memory");
    size_t i, k;
    json_t *x, *team, *slot;
    json_array_foreach(list, i, x) json_object_set(set, json_string_value(x), json_true());
    json_array_foreach(teams, i, team) {
        const char *uscc = json_string_value(json_object_get(team, "uscc"));
        const char *missing = NULL;
        int ok = all_in(json_object_get(team, "inspectors"), set, &missing);
        json_array_foreach(json_object_get(team, "slots"), k, slot) {
            if (!ok) break;
            ok = all_in(json_object_get(slot, "pool"), set, &missing) &&
                 all_in(json_object_get(slot, "appointed"), set, &missing);
        }
        if (!ok)
            add_error(v, "team %s: inspector %s is not in the pool committed at lock", uscc ? uscc : "?",
                      missing ? missing : "?");
        add_check(v, json_pack("{s:s,s:s}", "check", "team_committed_pool", "uscc", uscc ? uscc : ""), ok);
    }
    rc = 0;
    json_decref(set);
    return rc;
}

static int verify_teams(vctx *v, json_t *ann, json_t *selected_set)
{
    json_t *teams, *td, *seen = NULL;
    unsigned char seed_t[DRAW_HASH_LEN];
    int have_seed_t = 0, rc = -1;

    if (get_array(v, ann, "teams", "announcement", 0, &teams) != 0 ||
        get_field(v, ann, "teams_draw", "announcement", 0, &td) != 0)
        return -1;
    if (td) {
        const char *alg;
        if (!json_is_object(td)) return malformed(v, "teams_draw must be an object");
        if (get_string(v, td, "algorithm", "teams_draw", 0, &alg, NULL) != 0) return -1;
        int v2 = alg && strcmp(alg, DRAW_ALGORITHM_V2) == 0;
        if (alg) {
            int ok = v2 || strcmp(alg, DRAW_ALGORITHM) == 0;
            if (!ok)
                add_error(v, "teams algorithm is \"%s\", expected \"%s\" or \"%s\"", alg, DRAW_ALGORITHM,
                          DRAW_ALGORITHM_V2);
            add_check(v, chk("teams_algorithm"), ok);
        }
        if (verify_seed(v, td, "teams_draw", "teams ", v2, seed_t) != 0) return -1;
        have_seed_t = 1;
    }
    if (!teams) return 0;
    seen = json_object();
    if (!seen) return malformed(v, "out of memory");
    size_t t;
    json_t *team;
    json_array_foreach(teams, t, team) {
        if (verify_team(v, team, t, have_seed_t, seed_t, selected_set, seen) != 0) goto done;
    }
    if (verify_team_pool(v, ann, teams) != 0) goto done;
    rc = 0;
done:
    json_decref(seen);
    return rc;
}

/* ---- entry points ---- */

int verify_announcement(json_t *ann, json_t **report, char **err)
{
    vctx v = {json_array(), json_array(), NULL};
    json_t *selected_set = json_object(), *draw;
    int rc = -1;

    *report = NULL;
    *err = NULL;
    if (!v.checks || !v.errors || !selected_set) {
        malformed(&v, "out of memory");
        goto done;
    }
    if (!json_is_object(ann)) {
        malformed(&v, "the announcement must be a JSON object");
        goto done;
    }
    if (get_field(&v, ann, "draw", "announcement", 1, &draw) != 0 ||
        verify_draw(&v, draw, selected_set) != 0 || verify_teams(&v, ann, selected_set) != 0)
        goto done;

    int ok = json_array_size(v.errors) == 0;
    *report = json_pack("{s:b,s:O,s:O}", "ok", ok, "checks", v.checks, "errors", v.errors);
    if (!*report) {
        malformed(&v, "out of memory");
        goto done;
    }
    rc = ok ? 0 : 1;
done:
    if (rc < 0) {
        *err = v.err ? v.err : format("malformed announcement");
        v.err = NULL;
    }
    free(v.err);
    json_decref(v.checks);
    json_decref(v.errors);
    json_decref(selected_set);
    return rc;
}

int verify_text(const char *json_text, size_t len, json_t **report, char **err)
{
    json_error_t jerr;
    *report = NULL;
    *err = NULL;
    json_t *ann = json_loadb(json_text, len, 0, &jerr);
    if (!ann) {
        *err = format("not valid JSON: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return -1;
    }
    int rc = verify_announcement(ann, report, err);
    json_decref(ann);
    return rc;
}
