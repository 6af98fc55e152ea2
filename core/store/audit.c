/* audit.c: hash-chained audit records. The canonical form of a record is the compact JSON of
 * {"action","actor","at","details","id","object"} with sorted keys; hash = SHA-256 of the previous
 * record's hash (lowercase hex; 64 zeros for the first) followed by the canonical form. */
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static const char GENESIS[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Computes the chained hash of one record into out (65 bytes). Returns 0 or -1 (no memory). */
static int record_hash(long long id, const char *at, const char *actor, const char *action,
                       const char *object, const char *details, const char *prev, char *out)
{
    json_t *d = json_loads(details, JSON_DECODE_ANY, NULL);
    json_t *rec = json_pack("{sI ss ss ss ss so}", "id", (json_int_t)id, "at", at, "actor", actor,
                            "action", action, "object", object, "details", d ? d : json_null());
    if (!rec) return -1;
    char *canon = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(rec);
    if (!canon) return -1;
    crypto_hash_sha256_state st;
    unsigned char h[32];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prev, strlen(prev));
    crypto_hash_sha256_update(&st, (const unsigned char *)canon, strlen(canon));
    crypto_hash_sha256_final(&st, h);
    free(canon);
    hex_encode(out, h, 32);
    return 0;
}

/* record_hash for details given as dtext, the canonical dump of a value (json_dumps with
 * JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY, as audit_log stores it), without parsing it
 * again: the record is dumped with "details": null and dtext hashed in the place of that null, the
 * same bytes record_hash dumps (a draw's details hold every drawn unit, and parsing and dumping
 * them again was most of the draw's time: issue 19). tests/unit/test_audit.c checks the two agree. */
static int record_hash_canon(long long id, const char *at, const char *actor, const char *action,
                             const char *object, const char *dtext, const char *prev, char *out)
{
    json_t *rec = json_pack("{sI ss ss ss ss sn}", "id", (json_int_t)id, "at", at, "actor", actor,
                            "action", action, "object", object, "details");
    if (!rec) return -1;
    char *canon = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(rec);
    if (!canon) return -1;
    /* sorted keys: action, actor, at, details, id, object; a quote inside a string value is
     * escaped, so the first ,"details":null, is the key itself */
    static const char mark[] = ",\"details\":null,";
    char *at_mark = strstr(canon, mark);
    if (!at_mark) {
        free(canon);
        return record_hash(id, at, actor, action, object, dtext, prev, out);
    }
    size_t head = (size_t)(at_mark - canon) + sizeof mark - 1 - 5;   /* up to and with ,"details": */
    crypto_hash_sha256_state st;
    unsigned char h[32];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prev, strlen(prev));
    crypto_hash_sha256_update(&st, (const unsigned char *)canon, head);
    crypto_hash_sha256_update(&st, (const unsigned char *)dtext, strlen(dtext));
    crypto_hash_sha256_update(&st, (const unsigned char *)canon + head + 4, strlen(canon + head + 4));
    crypto_hash_sha256_final(&st, h);
    free(canon);
    hex_encode(out, h, 32);
    return 0;
}

/* Appends the record whose details are dtext (canonical; taken and freed). */
static int log_text(sqlite3 *db, const char *actor, const char *action, const char *object, char *dtext,
                    char **err)
{
    char at[32], hash[65];
    clock_now_rfc3339(at);
    if (!dtext) { if (err) *err = strdup("out of memory"); return -1; }
    int rc = -1;
    json_t *last = db_row(db, err, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", "");
    if (!last && err && *err) goto done;
    long long id = last ? json_integer_value(json_object_get(last, "id")) + 1 : 1;
    const char *prev = last ? json_string_value(json_object_get(last, "hash")) : GENESIS;
    if (record_hash_canon(id, at, actor, action, object, dtext, prev, hash) != 0) {
        if (err) *err = strdup("out of memory");
        goto done;
    }
    if (db_run(db, err, "INSERT INTO audit(id, at, actor, action, object, details, prev_hash, hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "isssssss",
               id, at, actor, action, object, dtext, prev, hash) < 0)
        goto done;
    rc = 0;
done:
    json_decref(last);
    free(dtext);
    return rc;
}

int audit_log(sqlite3 *db, const char *actor, const char *action, const char *object,
              json_t *details, char **err)
{
    return log_text(db, actor, action, object,
                    details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("{}"), err);
}

int audit_log_with(sqlite3 *db, const char *actor, const char *action, const char *object, json_t *details,
                   const char *key, const char *ktext, char **err)
{
    char *canon = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canon) { if (err) *err = strdup("out of memory"); return -1; }
    /* "key":null at the top level: the key is a member of details and no nested object names it
     * (audit.h); a quote inside a string is escaped, so an unescaped "key":null is a key */
    size_t klen = strlen(key), tlen = strlen(ktext);
    char *mark = malloc(klen + 8);
    if (!mark) { free(canon); if (err) *err = strdup("out of memory"); return -1; }
    snprintf(mark, klen + 8, "\"%s\":null", key);
    char *hit = canon;
    while ((hit = strstr(hit, mark)) && !(hit > canon && (hit[-1] == '{' || hit[-1] == ','))) hit++;
    size_t mlen = strlen(mark);
    free(mark);
    if (!hit) {
        free(canon);
        if (err) *err = strdup("audit_log_with: the key is not null in details");
        return -1;
    }
    size_t head = (size_t)(hit - canon) + mlen - 4, rest = strlen(canon) - head - 4;   /* up to "key": */
    char *dtext = malloc(head + tlen + rest + 1);
    if (dtext) {
        memcpy(dtext, canon, head);
        memcpy(dtext + head, ktext, tlen);
        memcpy(dtext + head + tlen, canon + head + 4, rest + 1);
    }
    free(canon);
    return log_text(db, actor, action, object, dtext, err);
}

int audit_verify(sqlite3 *db, long long *count, long long *bad_id, char **msg)
{
    char *err = NULL;
    sqlite3_stmt *st = db_prepare(db, &err, "SELECT id, at, actor, action, object, details, "
                                            "prev_hash, hash FROM audit ORDER BY id", "");
    if (!st) { if (msg) *msg = err; else free(err); return -1; }
    char prev[65];
    memcpy(prev, GENESIS, sizeof prev);
    long long n = 0, expect_id = 1;
    int rc, result = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        const char *f[7];
        for (int i = 0; i < 7; i++) {
            f[i] = (const char *)sqlite3_column_text(st, i + 1);
            if (!f[i]) f[i] = "";
        }
        char h[65];
        const char *why = NULL;
        if (id != expect_id) why = "a record is missing before it (ids are not consecutive)";
        else if (strcmp(f[5], prev) != 0) why = "its prev_hash does not match the previous record's hash";
        else if (record_hash(id, f[0], f[1], f[2], f[3], f[4], prev, h) != 0) why = "out of memory";
        else if (strcmp(h, f[6]) != 0) why = "its content does not match its hash (the record was altered)";
        if (why) {
            if (bad_id) *bad_id = id;
            if (msg) *msg = xprintf("audit record %lld: %s", id, why);
            result = 1;
            break;
        }
        memcpy(prev, f[6], 65);
        prev[64] = 0;
        n++;
        expect_id++;
    }
    if (result == 0 && rc != SQLITE_DONE) {
        if (msg) *msg = xprintf("audit read: %s", sqlite3_errmsg(db));
        result = -1;
    }
    sqlite3_finalize(st);
    if (count) *count = n;
    return result;
}

int audit_head(sqlite3 *db, long long *id, char hash[65])
{
    return audit_find(db, NULL, NULL, id, hash);
}

int audit_find(sqlite3 *db, const char *action, const char *object, long long *id, char hash[65])
{
    char *err = NULL;
    /* Two statements, so that each is served by an index (audit_object) or the rowid order. */
    json_t *row = action && object
        ? db_row(db, &err, "SELECT id, hash FROM audit WHERE object = ? AND action = ? ORDER BY id DESC LIMIT 1",
                 "ss", object, action)
        : db_row(db, &err, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", "");
    if (!row) {
        int rc = err ? -1 : 0;
        free(err);
        return rc;
    }
    *id = json_integer_value(json_object_get(row, "id"));
    snprintf(hash, 65, "%s", json_string_value(json_object_get(row, "hash")) ? json_string_value(json_object_get(row, "hash")) : "");
    json_decref(row);
    return 1;
}

/* Appends the anchors found in v to out (an array of {"id","hash"}, borrowed references). */
static void collect_anchors(json_t *v, json_t *out, int depth)
{
    if (depth > 4) return;
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) collect_anchors(x, out, depth + 1);
        return;
    }
    if (!json_is_object(v)) return;
    if (json_is_integer(json_object_get(v, "id")) && json_is_string(json_object_get(v, "hash"))) json_array_append(out, v);
    collect_anchors(json_object_get(v, "anchors"), out, depth + 1);
    collect_anchors(json_object_get(v, "audit_head"), out, depth + 1);
}

static int by_id(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
    return (x > y) - (x < y);
}

int audit_check_anchors(sqlite3 *db, json_t *doc, long long *count, long long *bad_id, char **msg)
{
    json_t *found = json_array();
    json_t **list = NULL;
    collect_anchors(doc, found, 0);
    size_t n = json_array_size(found);
    int result = -1;
    if (n == 0) {
        if (msg) *msg = xprintf("no published audit head (\"id\" and \"hash\") found");
        goto done;
    }
    long long checked = 0;
    result = audit_verify(db, &checked, bad_id, msg);
    if (result != 0) goto done;
    list = malloc(n * sizeof *list);
    if (!list) {
        if (msg) *msg = xprintf("out of memory");
        result = -1;
        goto done;
    }
    for (size_t i = 0; i < n; i++) list[i] = json_array_get(found, i);
    qsort(list, n, sizeof *list, by_id);
    long long last_ok = 0, tail = 0;
    char hash[65];
    if (audit_head(db, &tail, hash) < 0) {
        if (msg) *msg = xprintf("audit read: %s", sqlite3_errmsg(db));
        result = -1;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        long long id = json_integer_value(json_object_get(list[i], "id"));
        const char *want = json_string_value(json_object_get(list[i], "hash"));
        const char *when = json_string_value(json_object_get(list[i], "time"));
        char *err = NULL;
        char *have = db_text(db, &err, "SELECT hash FROM audit WHERE id = ?", "i", id);
        if (!have && err) {
            if (msg) *msg = err;
            else free(err);
            result = -1;
            goto done;
        }
        if (!have) {
            if (bad_id) *bad_id = tail + 1;
            if (msg)
                *msg = xprintf("audit record %lld is missing: a published head%s%s names record %lld (hash %.16s…) "
                               "but the trail ends at record %lld (records were deleted from its end)",
                               tail + 1, when ? " of " : "", when ? when : "", id, want, tail);
            result = 1;
            goto done;
        }
        int same = !strcmp(have, want);
        free(have);
        if (!same) {
            if (bad_id) *bad_id = id;
            if (msg)
                *msg = xprintf("audit record %lld was altered: its hash differs from the one published%s%s (%.16s…); "
                               "the trail was rewritten after record %lld and at or before record %lld",
                               id, when ? " at " : "", when ? when : "", want, last_ok, id);
            result = 1;
            goto done;
        }
        last_ok = id;
    }
    if (count) *count = (long long)n;
    result = 0;
done:
    free(list);
    json_decref(found);
    return result;
}
