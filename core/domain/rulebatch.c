/* rulebatch.c: the freeze's batch evaluation of units (see rulebatch.h). The memo of outcomes per
 * distinct tuple of declared values and the decisions' interning live here; Lua is reached only
 * through the host's generic row calls (luahost.h lh_rows_*). */
#include "rulebatch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define RB_MAX 64                  /* fields and strata of one batch */
#define RB_MEMO_ENTRIES (1 << 18)  /* distinct tuples remembered per batch; later ones just run */
#define RB_MEMO_KEY_BYTES ((size_t)16 << 20)   /* bytes of remembered tuples per batch */

enum { USE_CHECK = 1, USE_STRATUM = 2 };   /* which rule declares a field */
enum { FN_CHECK = 0, FN_STRATUM = 1 };      /* the row functions */
enum { K_OK = 0, K_REASON, K_CLAUSE };      /* the keys read from check's result */

typedef struct decision {
    int ok;
    char *reason, *clause;
    size_t hash;
} decision;

/* One remembered outcome: the tuple of declared values (bytes in memo.keys) -> the unit result. */
typedef struct memo_entry {
    uint64_t hash;
    size_t off, len;
    int ok, decision, stratum;
    char *sname;                   /* ok && stratum < 0: copy of the name stratum returned, or NULL */
} memo_entry;

typedef struct memo {
    memo_entry *e;
    size_t n, cap;
    uint32_t *slot;                /* open addressing over e: index + 1, or 0 */
    size_t nslot;
    unsigned char *keys;           /* every remembered tuple, back to back */
    size_t klen, kcap;
    uint64_t seed;
    int full;                      /* no more entries are added (limits or out of memory) */
} memo;

typedef struct batch_ctx {
    lh_state *h;
    const rulebatch *b;
    lh_rows *rows;
    lh_value vals[RB_MAX];
    unsigned char use[RB_MAX];         /* USE_* bits of each field */
    unsigned char pass_check[RB_MAX], pass_stratum[RB_MAX];
    long long count;
    int cb_failed;
    char *cb_err;
    /* distinct decisions (C copies), and an open-addressing index over them by content */
    decision *dec;
    size_t ndec, capdec;
    int *slot;                     /* index + 1, or 0 */
    size_t nslot;
    size_t slen[RB_MAX];               /* lengths of the stratum names */
    memo m;
    unsigned char *key;            /* the current unit's tuple */
    size_t keycap;
} batch_ctx;

static size_t decision_hash(int ok, const char *r, size_t rl, const char *c, size_t cl)
{
    size_t x = ok ? 0x9e3779b97f4a7c15u : 1469598103934665603u;
    for (size_t i = 0; i < rl; i++) x = (x ^ (unsigned char)r[i]) * 1099511628211u;
    x = (x ^ 0xff) * 1099511628211u;
    for (size_t i = 0; i < cl; i++) x = (x ^ (unsigned char)c[i]) * 1099511628211u;
    return x;
}

/* The id of decision (ok, r, c), adding a copy if it is new. Returns -1 when out of memory, -2
 * when r or c is not valid UTF-8. Pure C: never raises. */
static int decision_intern(batch_ctx *b, int ok, const char *r, size_t rl, const char *c, size_t cl)
{
    size_t hv = decision_hash(ok, r, rl, c, cl);
    if (b->nslot) {
        for (size_t i = hv & (b->nslot - 1);; i = (i + 1) & (b->nslot - 1)) {
            int k = b->slot[i];
            if (k == 0) break;
            decision *d = &b->dec[k - 1];
            if (d->hash == hv && d->ok == ok && strlen(d->reason) == rl && strlen(d->clause) == cl &&
                !memcmp(d->reason, r, rl) && !memcmp(d->clause, c, cl))
                return k - 1;
        }
    }
    json_t *vr = json_stringn(r, rl), *vc = json_stringn(c, cl);
    int valid = vr && vc;
    json_decref(vr);
    json_decref(vc);
    if (!valid) return -2;
    if (b->ndec == b->capdec) {
        size_t cap = b->capdec ? b->capdec * 2 : 16;
        decision *p = realloc(b->dec, cap * sizeof *p);
        if (!p) return -1;
        b->dec = p;
        b->capdec = cap;
    }
    if ((b->ndec + 1) * 2 > b->nslot) {   /* keep the index at most half full */
        size_t n = b->nslot ? b->nslot * 2 : 64;
        while ((b->ndec + 1) * 2 > n) n *= 2;
        int *s = calloc(n, sizeof *s);
        if (!s) return -1;
        for (size_t k = 0; k < b->ndec; k++) {
            size_t i = b->dec[k].hash & (n - 1);
            while (s[i]) i = (i + 1) & (n - 1);
            s[i] = (int)k + 1;
        }
        free(b->slot);
        b->slot = s;
        b->nslot = n;
    }
    decision *d = &b->dec[b->ndec];
    d->reason = malloc(rl + 1);
    d->clause = malloc(cl + 1);
    if (!d->reason || !d->clause) {
        free(d->reason);
        free(d->clause);
        return -1;
    }
    memcpy(d->reason, r, rl);
    d->reason[rl] = '\0';
    memcpy(d->clause, c, cl);
    d->clause[cl] = '\0';
    d->ok = ok;
    d->hash = hv;
    size_t i = hv & (b->nslot - 1);
    while (b->slot[i]) i = (i + 1) & (b->nslot - 1);
    b->slot[i] = (int)b->ndec + 1;
    return (int)b->ndec++;
}

/* --- the memo: declared values -> outcome --- */

/* Hash of a tuple, eight bytes at a time, keyed by the batch's random seed (the table's probe
 * lengths cannot be steered by crafted directory data). */
static uint64_t memo_hash(uint64_t seed, const unsigned char *p, size_t n)
{
    const uint64_t k = 0x9fb21c651e98df25u;
    uint64_t x = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15u);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        x = (x ^ w) * k;
        x ^= x >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    x = (x ^ w) * k;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93u;
    x ^= x >> 32;
    return x;
}

/* Appends n bytes to the tuple being built (c->key, *len used). Returns 0 or -1 (out of memory). */
static int key_add(batch_ctx *c, size_t *len, const void *p, size_t n)
{
    if (*len + n > c->keycap) {
        size_t cap = c->keycap ? c->keycap : 256;
        while (cap < *len + n) cap *= 2;
        unsigned char *k = realloc(c->key, cap);
        if (!k) return -1;
        c->key = k;
        c->keycap = cap;
    }
    memcpy(c->key + *len, p, n);
    *len += n;
    return 0;
}

/* Encodes the current unit's declared values into c->key (prefix-free per field, so equal bytes
 * mean equal values): TEXT nil 0 / 1 length bytes; INT nil 0 / 1 value; BOOL nil 0 / true 1 /
 * false 2 (booleans as Lua sees them). Returns the length, or -1 when out of memory. */
static long long key_build(batch_ctx *c)
{
    const rulebatch *b = c->b;
    size_t len = 0;
    for (int i = 0; i < b->nfields; i++) {
        if (!c->use[i]) continue;
        const lh_value *v = &c->vals[i];
        unsigned char tag;
        int rc;
        switch (b->fields[i].type) {
        case LH_FIELD_TEXT:
            tag = v->s != NULL;
            rc = key_add(c, &len, &tag, 1);
            if (rc == 0 && tag) {
                size_t n = v->len;
                rc = key_add(c, &len, &n, sizeof n);
                if (rc == 0) rc = key_add(c, &len, v->s, n);
            }
            break;
        case LH_FIELD_INT:
            tag = !v->nil;
            rc = key_add(c, &len, &tag, 1);
            if (rc == 0 && tag) rc = key_add(c, &len, &v->i, sizeof v->i);
            break;
        default:
            tag = v->nil ? 0 : v->i != 0 ? 1 : 2;
            rc = key_add(c, &len, &tag, 1);
            break;
        }
        if (rc != 0) return -1;
    }
    return (long long)len;
}

/* The remembered entry of tuple c->key[0 .. len-1] with hash hv, or NULL. */
static const memo_entry *memo_find(const memo *m, const unsigned char *key, size_t len, uint64_t hv)
{
    if (m->nslot == 0) return NULL;
    for (size_t i = hv & (m->nslot - 1);; i = (i + 1) & (m->nslot - 1)) {
        uint32_t k = m->slot[i];
        if (k == 0) return NULL;
        const memo_entry *e = &m->e[k - 1];
        if (e->hash == hv && e->len == len && !memcmp(m->keys + e->off, key, len)) return e;
    }
}

/* Remembers res for the tuple (a copy of the key and of an unknown stratum name). When a limit is
 * reached or memory runs out the memo stops growing: later new tuples are simply evaluated. */
static void memo_add(memo *m, const unsigned char *key, size_t len, uint64_t hv, const rb_result *res)
{
    if (m->full) return;
    if (m->n >= RB_MEMO_ENTRIES || len > RB_MEMO_KEY_BYTES - m->klen) goto full;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        memo_entry *e = realloc(m->e, cap * sizeof *e);
        if (!e) goto full;
        m->e = e;
        m->cap = cap;
    }
    if ((m->n + 1) * 2 > m->nslot) {   /* at most half full */
        size_t n = m->nslot ? m->nslot * 2 : 1024;
        uint32_t *s = calloc(n, sizeof *s);
        if (!s) goto full;
        for (size_t k = 0; k < m->n; k++) {
            size_t i = m->e[k].hash & (n - 1);
            while (s[i]) i = (i + 1) & (n - 1);
            s[i] = (uint32_t)k + 1;
        }
        free(m->slot);
        m->slot = s;
        m->nslot = n;
    }
    if (m->klen + len > m->kcap) {
        size_t cap = m->kcap ? m->kcap : 4096;
        while (cap < m->klen + len) cap *= 2;
        unsigned char *k = realloc(m->keys, cap);
        if (!k) goto full;
        m->keys = k;
        m->kcap = cap;
    }
    char *sname = NULL;
    if (res->ok && res->stratum < 0 && res->stratum_name && !(sname = strdup(res->stratum_name))) goto full;
    memo_entry *e = &m->e[m->n];
    memcpy(m->keys + m->klen, key, len);
    e->hash = hv;
    e->off = m->klen;
    e->len = len;
    e->ok = res->ok;
    e->decision = res->decision;
    e->stratum = res->stratum;
    e->sname = sname;
    m->klen += len;
    size_t i = hv & (m->nslot - 1);
    while (m->slot[i]) i = (i + 1) & (m->nslot - 1);
    m->slot[i] = (uint32_t)m->n + 1;
    m->n++;
    return;
full:
    m->full = 1;
}

static void memo_free(memo *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->e[i].sname);
    free(m->e);
    free(m->slot);
    free(m->keys);
}

/* --- declared fields --- */

static char *xdup(const char *fmt, const char *a, const char *b, const char *c, int k)
{
    char buf[512];
    if (k >= 0) snprintf(buf, sizeof buf, fmt, a, b, k, c);
    else snprintf(buf, sizeof buf, fmt, a, b, c);
    return strdup(buf);
}

/* The Lua type name a JSON value came from. */
static const char *kind_name(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: return "string";
    case JSON_INTEGER: case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_OBJECT: case JSON_ARRAY: return "table";
    default: return "nil";
    }
}

/* Marks in use[] (bit `bit`) the fields of table `table` named in rule's list `key` (a sequence of
 * strings). Returns 0, or -1 with *err when the rule is missing or the list malformed. */
static int declared_list(lh_state *h, const char *rule, const char *key, const lh_field *f, int n, int table,
                         unsigned char bit, unsigned char *use, char **err)
{
    json_t *v = NULL;
    const char *type = "nil";
    if (lh_rule_value(h, rule, key, &v, &type, err) != 0) return -1;
    int rc = 0;
    size_t len = 0;
    if (json_is_array(v)) {
        len = json_array_size(v);
    } else if (json_is_object(v)) {
        /* a table whose keys are not exactly 1..n: an empty one is an empty list; otherwise the
         * first missing position is nil */
        len = json_object_size(v);
        for (size_t k = 1; k <= len; k++) {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", k);
            if (!json_object_get(v, idx)) {
                *err = xdup("rules/%s.lua: %s[%d] 应为字段名（字符串），现为 %s", rule, key, "nil", (int)k);
                rc = -1;
                goto done;
            }
        }
        len = 0;
    } else {
        *err = xdup("rules/%s.lua: %s 应为该规则读取的字段名列表（见 rules/README.md），现为 %s", rule, key, type, -1);
        rc = -1;
        goto done;
    }
    for (size_t k = 0; k < len; k++) {
        json_t *x = json_array_get(v, k);
        if (!json_is_string(x)) {
            *err = xdup("rules/%s.lua: %s[%d] 应为字段名（字符串），现为 %s", rule, key, kind_name(x), (int)k + 1);
            rc = -1;
            goto done;
        }
        const char *name = json_string_value(x);
        size_t nl = json_string_length(x);
        for (int i = 0; i < n; i++)
            if (f[i].table == table && strlen(f[i].name) == nl && !memcmp(f[i].name, name, nl)) use[i] |= bit;
    }
done:
    json_decref(v);
    return rc;
}

/* Fills use[0 .. n-1] with the USE_* bits of each field from the loaded rules' declarations.
 * Returns 0, or -1 with *err on a missing rule or a malformed list. */
static int declared_fields(lh_state *h, const lh_field *f, int n, unsigned char *use, char **err)
{
    memset(use, 0, (size_t)n);
    if (declared_list(h, "eligibility", "unit_fields", f, n, RB_UNIT, USE_CHECK, use, err) != 0 ||
        declared_list(h, "eligibility", "history_fields", f, n, RB_HISTORY, USE_CHECK, use, err) != 0 ||
        declared_list(h, "sampling", "unit_fields", f, n, RB_UNIT, USE_STRATUM, use, err) != 0)
        return -1;
    return 0;
}

/* Checks the shape of a field list. */
static int fields_ok(const lh_field *fields, int nfields, char **err)
{
    if (nfields < 0 || nfields > RB_MAX || (nfields && !fields)) {
        *err = strdup("rulebatch: invalid field list");
        return 0;
    }
    for (int i = 0; i < nfields; i++)
        if (!fields[i].name || (fields[i].table != RB_UNIT && fields[i].table != RB_HISTORY)) {
            *err = strdup("rulebatch: a field has no name or no table");
            return 0;
        }
    return 1;
}

int rulebatch_fields(lh_state *h, const lh_field *fields, int nfields, unsigned char *used, char **err)
{
    if (!fields_ok(fields, nfields, err)) return -1;
    if (nfields && !used) {
        *err = strdup("rulebatch: no output");
        return -1;
    }
    unsigned char use[RB_MAX];
    if (declared_fields(h, fields, nfields, use, err) != 0) return -1;
    for (int i = 0; i < nfields; i++) used[i] = use[i] != 0;
    return 0;
}

/* --- evaluation --- */

static const lh_field CHECK_KEYS[] = {
    {"ok", LH_FIELD_BOOL, 0}, {"reason", LH_FIELD_TEXT, 0}, {"clause", LH_FIELD_TEXT, 0},
};

/* Calls the rules for the current unit (c->vals); fills *res. Returns 0, or -1 with *err. */
static int unit_eval(batch_ctx *c, rb_result *res, char **err)
{
    const rulebatch *b = c->b;
    lh_value out[3];
    const char *type = NULL;
    if (lh_rows_call(c->rows, FN_CHECK, c->vals, out, &type, err) != 0) return -1;
    if (strcmp(type, "table") != 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "rules/eligibility.lua: check 没有返回 {ok, reason, clause}（返回了 %s）", type);
        *err = strdup(buf);
        return -1;
    }
    if (out[K_OK].nil) {
        *err = strdup("rules/eligibility.lua: check 没有返回 {ok, reason, clause}（ok 不是布尔值）");
        return -1;
    }
    int ok = out[K_OK].i != 0;
    const lh_value *r = &out[K_REASON], *cl = &out[K_CLAUSE];
    int id = decision_intern(c, ok, r->s ? r->s : "", r->s ? r->len : 0, cl->s ? cl->s : "", cl->s ? cl->len : 0);
    if (id == -1) {
        *err = strdup("rules/eligibility.lua: not enough memory for decisions");
        return -1;
    }
    if (id == -2) {
        *err = strdup("rules/eligibility.lua: result of check is not convertible to JSON: string is not valid UTF-8");
        return -1;
    }
    res->ok = ok;
    res->decision = id;
    res->reason = c->dec[id].reason;
    res->clause = c->dec[id].clause;
    res->stratum = -1;
    res->stratum_name = NULL;
    if (!ok) return 0;
    lh_value sv;
    if (lh_rows_call(c->rows, FN_STRATUM, c->vals, &sv, NULL, err) != 0) return -1;
    if (sv.s == NULL) return 0;
    res->stratum_name = sv.s;   /* Lua strings end in NUL; valid until the next call */
    for (int i = 0; i < b->nstrata && res->stratum < 0; i++)
        if (c->slen[i] == sv.len && !memcmp(b->strata[i], sv.s, sv.len)) res->stratum = i;
    return 0;
}

/* The batch's loop; returns 0, or -1 with *err (a rule's error; the callbacks' go to cb_err). */
static int batch_run(batch_ctx *c, char **err)
{
    const rulebatch *b = c->b;
    int memo_on = !b->no_memo;
    for (;;) {
        int rc = b->next(b->ud, c->vals, &c->cb_err);
        if (rc < 0) { c->cb_failed = 1; return 0; }
        if (rc == 0) return 0;
        rb_result res;
        long long klen = memo_on ? key_build(c) : -1;
        uint64_t hv = 0;
        const memo_entry *e = NULL;
        if (klen >= 0) {
            hv = memo_hash(c->m.seed, c->key, (size_t)klen);
            e = memo_find(&c->m, c->key, (size_t)klen, hv);
        }
        if (e) {
            res.ok = e->ok;
            res.decision = e->decision;
            res.reason = c->dec[e->decision].reason;
            res.clause = c->dec[e->decision].clause;
            res.stratum = e->stratum;
            res.stratum_name = !e->ok ? NULL : e->stratum >= 0 ? b->strata[e->stratum] : e->sname;
        } else {
            if (unit_eval(c, &res, err) != 0) return -1;
            if (klen >= 0) memo_add(&c->m, c->key, (size_t)klen, hv, &res);
        }
        c->count++;
        if (b->each(b->ud, &res, &c->cb_err) != 0) { c->cb_failed = 1; return 0; }
    }
}

int rulebatch_eval(lh_state *h, const rulebatch *b, long long *count, char **err)
{
    if (count) *count = 0;
    if (b == NULL || b->next == NULL || b->each == NULL || b->nstrata < 0 || b->nstrata > RB_MAX ||
        (b->nstrata && !b->strata)) {
        *err = strdup("rulebatch_eval: invalid batch description");
        return -1;
    }
    if (!fields_ok(b->fields, b->nfields, err)) return -1;
    for (int i = 0; i < b->nstrata; i++)
        if (!b->strata[i]) {
            *err = strdup("rulebatch_eval: a stratum has no name");
            return -1;
        }
    batch_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        *err = strdup("out of memory");
        return -1;
    }
    int rc = -1;
    c->h = h;
    c->b = b;
    randombytes_buf(&c->m.seed, sizeof c->m.seed);
    for (int i = 0; i < b->nstrata; i++) c->slen[i] = strlen(b->strata[i]);
    if (declared_fields(h, b->fields, b->nfields, c->use, err) != 0) goto done;
    for (int i = 0; i < b->nfields; i++) {
        c->pass_check[i] = (c->use[i] & USE_CHECK) != 0;
        c->pass_stratum[i] = (c->use[i] & USE_STRATUM) != 0;
    }
    const lh_rowfn fns[2] = {
        {.rule = "eligibility", .fn = "check", .nargs = 3, .args = {RB_UNIT, LH_ARG_SHARED, RB_HISTORY},
         .pass = c->pass_check, .keys = CHECK_KEYS, .nkeys = 3},
        {.rule = "sampling", .fn = "stratum", .nargs = 2, .args = {RB_UNIT, LH_ARG_SHARED},
         .pass = c->pass_stratum, .nkeys = 0, .result_type = LH_FIELD_TEXT},
    };
    c->rows = lh_rows_open(h, b->task, b->fields, b->nfields, fns, 2, err);
    if (!c->rows) goto done;
    rc = batch_run(c, err);
    lh_rows_close(c->rows);
    if (rc == 0 && c->cb_failed) {
        *err = c->cb_err ? c->cb_err : strdup("rulebatch_eval: stopped by the caller");
        c->cb_err = NULL;
        rc = -1;
    }
done:
    if (count) *count = c->count;
    for (size_t i = 0; i < c->ndec; i++) {
        free(c->dec[i].reason);
        free(c->dec[i].clause);
    }
    free(c->dec);
    free(c->slot);
    free(c->cb_err);
    memo_free(&c->m);
    free(c->key);
    free(c);
    return rc;
}
