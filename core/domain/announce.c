/* announce.c: the public task announcement and `spotcheck verify`.
 *
 * After lock (SPEC §8, verify.h):
 *   {"task": {…public fields…},
 *    "draw": {"algorithm","secret","witness","seed","commitment","candidates_hash","attempts",
 *             v2 only: "witness_commitment","beacon_source" (also before lock), "beacon",
 *             "redraws": [{"attempt","reason"}],                 attempts 2…k with their reasons
 *             "previous_attempts": [{"attempt","secret","commitment","witness","seed","reason",
 *                                    "strata":[{"name","selected"}],"at"}],   superseded attempts
 *             "strata": [{"name","label","size","draw","reason","clause","rule_sha",
 *                         "candidates_hash","candidates","selected"}],
 *             "excluded_total", "excluded_by_reason": [{"reason","clause","count"}], "rule_shas"},
 *    "teams_commitment" (v2 also "teams_witness_commitment", "teams_beacon_source") | "teams_draw"
 *    (v2: with "witness_commitment", "beacon_source", "beacon"), "teams": [{…, "members":[{"cert_no","name"}], "leader_name"}],
 *    "units": [{"uscc","name","stratum"}],                               dispatched units, in order
 *    "audit_head": {"id","hash"}}                                        the lock's audit record
 * "task" carries "items": [{"id","name"}]. Nothing personal: no 身份证号, phone, gender or unit.
 * Before lock: the same "task" and a "draw" with only commitment(s), H_c, strata names and sizes.
 */
#include "announce.h"
#include "fetch.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "draw.h"
#include "taskdata.h"
#include "teams.h"
#include "verify.h"
#include "results.h"
#include "validate.h"
#include "worker.h"
#include "err.h"
#include "jsonutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_MAX ((size_t)2 << 30)   /* 2 GiB: a 1,000,000-unit announcement is about 200 MB */

static json_t *public_task(json_t *t)
{
    static const char *const keys[] = {"id", "plan_id", "year", "name", "item_ids", "mode", "filters", "directed",
                                       "directed_reason", "lead_unit", "joint_units", "start_date", "end_date",
                                       "status", "frozen_at", "drawn_at", "locked_at", "check_methods",
                                       "joint_check_type", NULL};
    json_t *o = json_object();
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(t, *k);
        if (v) json_object_set(o, *k, v);
    }
    json_object_set_new(o, "joint", json_boolean(json_array_size(json_object_get(t, "joint_units")) > 0));
    return o;
}

/* Where the big lists of an announcement go: nowhere (the lock's reply), or a placeholder string
 * that announce_text replaces with the list written straight from the database. */
enum lists { LISTS_NONE, LISTS_PLACEHOLDER };
#define PH_MARK '\x01'   /* a placeholder is "\x01" kind number "\x01"; no stored text holds U+0001 */

/* The strata rows; with_lists adds each stratum's candidate list as a placeholder. New array or
 * NULL with *err. */
static json_t *strata_rows(sqlite3 *db, long long id, int with_lists, char **err)
{
    sqlite3_stmt *q = db_prepare(db, err, "SELECT name, label, size, draw, reason, clause, rule_sha, candidates_hash "
                                          "FROM task_strata WHERE task_id = ? ORDER BY pos", "i", id);
    if (!q) return NULL;
    json_t *out = json_array();
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *s = json_pack("{ss ss sI sI ss ss ss ss}", "name", (const char *)sqlite3_column_text(q, 0),
                              "label", (const char *)sqlite3_column_text(q, 1),
                              "size", (json_int_t)sqlite3_column_int64(q, 2), "draw", (json_int_t)sqlite3_column_int64(q, 3),
                              "reason", (const char *)sqlite3_column_text(q, 4), "clause", (const char *)sqlite3_column_text(q, 5),
                              "rule_sha", (const char *)sqlite3_column_text(q, 6),
                              "candidates_hash", (const char *)sqlite3_column_text(q, 7));
        if (with_lists) {
            char ph[32];
            snprintf(ph, sizeof ph, "%cC%zu%c", PH_MARK, json_array_size(out), PH_MARK);
            json_object_set_new(s, "candidates", json_string(ph));
        }
        json_array_append_new(out, s);
    }
    if (step != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        json_decref(out);
        out = NULL;
    }
    sqlite3_finalize(q);
    return out;
}

static json_t *item_names(sqlite3 *db, json_t *ids, char **err);

/* The task's items as [{"id","name"}] in the task's order (unknown ids skipped). New array, or
 * NULL with *err. */
static json_t *task_items(sqlite3 *db, json_t *ids, char **err)
{
    return db_rows(db, err, "SELECT i.id, i.name FROM json_each(?) j JOIN items i ON i.id = j.value ORDER BY j.key",
                   "j", ids);
}

/* Names the public sees in a locked announcement (SPEC §12): "units" = the dispatched units as
 * [{"uscc","name","stratum"}] in announcement order (统一社会信用代码 and 单位名称 are public
 * registration data; here a placeholder that announce_text fills, or left out), and on every team
 * "members" = [{"cert_no","name"}] and "leader_name" (姓名 + 执法证号, 行政执法公示). Nothing else
 * about a person. Returns 0, or -1 with *err. */
static int name_public(sqlite3 *db, json_t *ann, int lists, char **err)
{
    if (lists == LISTS_PLACEHOLDER) {
        char ph[8];
        snprintf(ph, sizeof ph, "%cU0%c", PH_MARK, PH_MARK);
        json_object_set_new(ann, "units", json_string(ph));
    }
    json_t *teams = json_object_get(ann, "teams");
    if (!json_array_size(teams)) return 0;
    json_t *certs = json_array();
    size_t i, k;
    json_t *tm, *c;
    json_array_foreach(teams, i, tm) json_array_foreach(json_object_get(tm, "inspectors"), k, c) json_array_append(certs, c);
    json_t *rows = db_rows(db, err, "SELECT cert_no, name FROM inspectors WHERE cert_no IN "
                                    "(SELECT value FROM json_each(?))", "j", certs);
    json_decref(certs);
    if (!rows) return -1;
    json_t *names = json_object(), *row;
    json_array_foreach(rows, i, row)
        json_object_set(names, json_string_value(json_object_get(row, "cert_no")), json_object_get(row, "name"));
    json_decref(rows);
    json_array_foreach(teams, i, tm) {
        json_t *members = json_array();
        json_array_foreach(json_object_get(tm, "inspectors"), k, c) {
            json_t *nm = json_is_string(c) ? json_object_get(names, json_string_value(c)) : NULL;
            json_array_append_new(members, json_pack("{sO ss}", "cert_no", c, "name", nm ? json_string_value(nm) : ""));
        }
        json_object_set_new(tm, "members", members);
        json_t *ld = json_object_get(tm, "leader");
        json_t *ln = json_is_string(ld) ? json_object_get(names, json_string_value(ld)) : NULL;
        json_object_set_new(tm, "leader_name", ln ? json_incref(ln) : json_string(""));
    }
    json_decref(names);
    return 0;
}

static json_t *build(sqlite3 *db, long long id, int lists, int *found, char **err);

/* announce_build: see announce.h. */
json_t *announce_build(sqlite3 *db, long long id, int *found, char **err)
{
    return build(db, id, LISTS_NONE, found, err);
}

static json_t *build(sqlite3 *db, long long id, int lists, int *found, char **err)
{
    *found = 0;
    json_t *t = tasks_load(db, id, err);
    if (!t) return NULL;
    const char *st = json_string_value(json_object_get(t, "status"));
    if (!strcmp(st, "draft")) {
        json_decref(t);
        return NULL;
    }
    *found = 1;
    int locked = !strcmp(st, "dispatched");
    json_t *ann = json_object(), *draw = json_object();
    json_object_set_new(ann, "task", public_task(t));
    json_object_set_new(ann, "draw", draw);
    json_t *items = task_items(db, json_object_get(t, "item_ids"), err);
    if (!items) {
        json_decref(ann);
        json_decref(t);
        return NULL;
    }
    json_object_set_new(json_object_get(ann, "task"), "items", items);
    /* v2 (SPEC §12): the witness commitment and beacon source are public from the freeze on. */
    const char *alg = json_string_value(json_object_get(t, "draw_algorithm"));
    int v2 = alg && !strcmp(alg, DRAW_ALGORITHM_V2);
    json_object_set_new(draw, "algorithm", json_string(v2 ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM));
    if (v2) {
        json_object_set(draw, "witness_commitment", json_object_get(t, "witness_commitment"));
        json_object_set(draw, "beacon_source", json_object_get(t, "beacon_source"));
    }
    json_t *strata = strata_rows(db, id, locked && lists == LISTS_PLACEHOLDER, err);
    json_t *draws = strata ? db_rows(db, err, "SELECT attempt, secret, commitment, witness, seed, reason, selection, at, beacon "
                                              "FROM task_draws WHERE task_id = ? ORDER BY attempt", "i", id) : NULL;
    json_t *byr = draws ? db_rows(db, err, "SELECT reason, clause, count(*) AS count FROM task_exclusions "
                                           "WHERE task_id = ? GROUP BY reason, clause ORDER BY min(pos)", "i", id) : NULL;
    /* Every freeze's commitment (a re-freeze is an attempt with its reason); the secrets of the
     * superseded ones only after lock. */
    json_t *freezes = byr ? db_rows(db, err, "SELECT attempt, commitment, candidates_hash, reason, at, "
                                             "witness_commitment, beacon_source, "
                                             "CASE WHEN ?2 AND attempt < (SELECT max(attempt) FROM task_freezes "
                                             "WHERE task_id = ?1) THEN secret END AS secret "
                                             "FROM task_freezes WHERE task_id = ?1 ORDER BY attempt", "ii", id,
                                    (long long)locked) : NULL;
    if (freezes) {
        size_t fi;
        json_t *fr;
        json_array_foreach(freezes, fi, fr) {
            if (json_is_null(json_object_get(fr, "secret"))) json_object_del(fr, "secret");
            if (json_is_null(json_object_get(fr, "reason"))) json_object_del(fr, "reason");
            if (json_is_null(json_object_get(fr, "witness_commitment"))) json_object_del(fr, "witness_commitment");
            if (json_is_null(json_object_get(fr, "beacon_source"))) json_object_del(fr, "beacon_source");
        }
        json_object_set_new(draw, "freeze_attempts", json_integer((json_int_t)json_array_size(freezes)));
        json_object_set_new(draw, "freezes", freezes);
    }
    if (!freezes) {
        json_decref(byr);
        json_decref(strata);
        json_decref(draws);
        json_decref(ann);
        json_decref(t);
        return NULL;
    }
    json_object_set(draw, "candidates_hash", json_object_get(t, "candidates_hash"));
    json_object_set_new(draw, "attempts", json_integer((json_int_t)json_array_size(draws)));
    json_object_set(draw, "excluded_total", json_object_get(t, "excluded_count"));
    json_object_set_new(draw, "excluded_by_reason", byr);
    json_object_set(draw, "rule_shas", json_object_get(t, "rule_shas"));
    size_t i;
    json_t *d;
    static const char *const sel[] = {"selection", NULL};
    json_array_foreach(draws, i, d) {
        spot_decode_json(d, sel);
        if (json_is_null(json_object_get(d, "beacon"))) json_object_del(d, "beacon");
    }
    if (!locked) {
        /* Only commitments: secrets, witnesses and selections appear with the lock. */
        json_object_set(draw, "commitment", json_object_get(t, "commitment"));
        json_t *used = json_array();
        json_array_foreach(draws, i, d) json_array_append(used, json_object_get(d, "commitment"));
        json_object_set_new(draw, "used_commitments", used);
        json_object_set_new(draw, "strata", strata);
        json_object_set_new(ann, "status", json_string(st));
        json_decref(draws);
        json_decref(t);
        return ann;
    }
    size_t n = json_array_size(draws);
    json_t *final = json_array_get(draws, n - 1);
    static const char *const top[] = {"secret", "witness", "seed", "commitment"};
    for (int k = 0; k < 4; k++) json_object_set(draw, top[k], json_object_get(final, top[k]));
    if (v2) json_object_set(draw, "beacon", json_object_get(final, "beacon"));
    json_t *redraws = json_array(), *prev = json_array();
    json_array_foreach(draws, i, d) {
        if (i > 0)
            json_array_append_new(redraws, json_pack("{sO sO}", "attempt", json_object_get(d, "attempt"), "reason",
                                                     json_object_get(d, "reason")));
        if (i + 1 < n) {
            json_t *p = json_deep_copy(d);
            json_object_set(p, "strata", json_object_get(p, "selection"));
            json_object_del(p, "selection");
            json_array_append_new(prev, p);
        }
    }
    json_object_set_new(draw, "redraws", redraws);
    json_object_set_new(draw, "previous_attempts", prev);
    json_t *fsel = json_object_get(final, "selection");
    json_t *s;
    json_array_foreach(strata, i, s) {
        json_t *fs = json_array_get(fsel, i);
        json_object_set(s, "selected", fs ? json_object_get(fs, "selected") : json_array());
    }
    json_object_set_new(draw, "strata", strata);
    json_decref(draws);
    /* The audit trail's head at the lock (the lock's own record), anchoring the trail outside the
     * database: `spotcheck audit verify --anchor` checks a saved announcement against it. */
    char lock_obj[32], head_hash[65];
    long long head_id;
    snprintf(lock_obj, sizeof lock_obj, "task:%lld", id);
    if (audit_find(db, "task.lock", lock_obj, &head_id, head_hash) == 1)
        json_object_set_new(ann, "audit_head", json_pack("{sI ss}", "id", (json_int_t)head_id, "hash", head_hash));
    if (teams_announce(db, t, ann, err) != 0 || name_public(db, ann, lists, err) != 0) {
        json_decref(ann);
        json_decref(t);
        return NULL;
    }
    json_decref(t);
    return ann;
}

/* Appends the candidate list of the k-th stratum (in order) of task id: its stored text, one USCC
 * per line, as a JSON array of strings. 0, or -1 with *err. */
static int put_candidates(sqlite3 *db, long long id, long long k, spot_buf *b, char **err)
{
    sqlite3_stmt *q = db_prepare(db, err, "SELECT candidates FROM task_strata WHERE task_id = ? ORDER BY pos "
                                          "LIMIT 1 OFFSET ?", "ii", id, k);
    if (!q) return -1;
    int rc = sqlite3_step(q), ok = spot_buf_put(b, "[", 1) == 0;
    if (rc == SQLITE_ROW) {
        const char *c = sqlite3_column_blob(q, 0);
        size_t len = (size_t)sqlite3_column_bytes(q, 0), p = 0;
        int first = 1;
        while (ok && c && p < len) {
            const char *nl = memchr(c + p, '\n', len - p);
            if (!nl) break;
            ok = (first || spot_buf_put(b, ",", 1) == 0) && spot_buf_json_string(b, c + p, (size_t)(nl - (c + p))) == 0;
            first = 0;
            p = (size_t)(nl - c) + 1;
        }
    } else if (rc != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        ok = 0;
    }
    sqlite3_finalize(q);
    if (ok && spot_buf_put(b, "]", 1)) ok = 0;
    if (!ok && !*err) *err = xprintf("out of memory");
    return ok ? 0 : -1;
}

/* Appends the dispatched units of task id as [{"uscc","name","stratum"}] in order. 0, or -1. */
static int put_units(sqlite3 *db, long long id, spot_buf *b, char **err)
{
    sqlite3_stmt *q = db_prepare(db, err, "SELECT u.uscc, x.name, u.stratum FROM task_units u "
                                          "JOIN enterprises x ON x.id = u.enterprise_id WHERE u.task_id = ? ORDER BY u.pos",
                                 "i", id);
    if (!q) return -1;
    static const char *const keys[] = {"{\"uscc\":", ",\"name\":", ",\"stratum\":"};
    int rc, ok = spot_buf_put(b, "[", 1) == 0, first = 1;
    while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        ok = first || spot_buf_put(b, ",", 1) == 0;
        for (int i = 0; ok && i < 3; i++) {
            const char *v = (const char *)sqlite3_column_text(q, i);
            ok = spot_buf_put(b, keys[i], strlen(keys[i])) == 0 &&
                 (v ? spot_buf_json_string(b, v, (size_t)sqlite3_column_bytes(q, i)) : spot_buf_put(b, "null", 4)) == 0;
        }
        ok = ok && spot_buf_put(b, "}", 1) == 0;
        first = 0;
    }
    if (ok && rc != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        ok = 0;
    }
    sqlite3_finalize(q);
    if (ok && spot_buf_put(b, "]", 1)) ok = 0;
    if (!ok && !*err) *err = xprintf("out of memory");
    return ok ? 0 : -1;
}

/* announce_text: see announce.h. The announcement is built with placeholders for its big lists
 * (the candidates of every stratum and the dispatched units), serialized, and the placeholders
 * replaced by the lists written straight from their rows: no JSON value per candidate is ever
 * made, so a 1,000,000-unit announcement costs its text and little more. */
char *announce_text(sqlite3 *db, long long id, int *found, size_t *len, char **err)
{
    json_t *ann = build(db, id, LISTS_PLACEHOLDER, found, err);
    if (!ann) return NULL;
    char *small = json_dumps(ann, JSON_COMPACT);
    json_decref(ann);
    if (!small) {
        *err = xprintf("cannot encode the announcement");
        return NULL;
    }
    spot_buf b = {NULL, 0, 0};
    long long total = db_int(db, err, 0, "SELECT coalesce(sum(length(candidates)), 0) + (SELECT count(*) * 64 FROM "
                                         "task_units WHERE task_id = ?1) FROM task_strata WHERE task_id = ?1", "i", id);
    size_t want = strlen(small) + (size_t)(total > 0 ? total : 0) * 3 / 2 + 1;
    if (!*err && (b.p = malloc(want)) != NULL) b.cap = want;   /* one allocation for most announcements */
    static const char mark[] = "\"\\u0001";
    const char *p = small;
    int ok = !*err;
    while (ok) {
        const char *m = strstr(p, mark);
        if (!m) {
            ok = spot_buf_put(&b, p, strlen(p)) == 0;
            break;
        }
        const char *kind = m + sizeof mark - 1, *end = strstr(kind, "\\u0001\"");
        if (!end) { *err = xprintf("announcement placeholder not closed"); ok = 0; break; }
        ok = spot_buf_put(&b, p, (size_t)(m - p)) == 0;
        if (ok && *kind == 'C') ok = put_candidates(db, id, strtoll(kind + 1, NULL, 10), &b, err) == 0;
        else if (ok && *kind == 'U') ok = put_units(db, id, &b, err) == 0;
        else if (ok) { *err = xprintf("unknown announcement placeholder"); ok = 0; }
        p = end + 7;
    }
    free(small);
    if (!ok) {
        if (!*err) *err = xprintf("out of memory");
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* ---- spotcheck verify ---- */

int announce_cmd_verify(int argc, char **argv)
{
    const char *cacert = NULL, *src = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--cacert") && i + 1 < argc) cacert = argv[++i];
        else if (!src && argv[i][0] != '-') src = argv[i];
        else src = NULL, i = argc;
    }
    if (!src || (argc != 1 && argc != 3)) {
        fprintf(stderr, "usage: spotcheck verify [--cacert FILE] FILE|URL\n");
        return 2;
    }
    char *err = NULL;
    size_t len = 0;
    char *text = spot_fetch_ca(src, cacert, FETCH_MAX, &len, &err);
    if (!text) {
        fprintf(stderr, "spotcheck verify: %s\n", err);
        free(err);
        return 1;
    }
    json_t *report = NULL;
    int rc = verify_text(text, len, &report, &err);
    free(text);
    if (rc < 0) {
        fprintf(stderr, "spotcheck verify: malformed announcement: %s\n", err);
        free(err);
        return 1;
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(report, "checks"), i, c) {
        printf("%s %s", json_is_true(json_object_get(c, "ok")) ? "ok  " : "FAIL",
               json_string_value(json_object_get(c, "check")));
        const char *k;
        json_t *v;
        json_object_foreach(c, k, v) {
            if (!strcmp(k, "check") || !strcmp(k, "ok")) continue;
            if (json_is_string(v)) printf(" %s=%s", k, json_string_value(v));
            else if (json_is_integer(v)) printf(" %s=%lld", k, (long long)json_integer_value(v));
        }
        printf("\n");
    }
    json_array_foreach(json_object_get(report, "errors"), i, c) printf("differs: %s\n", json_string_value(c));
    if (rc == 0) printf("verified\n");
    else printf("NOT verified: %zu difference(s)\n", json_array_size(json_object_get(report, "errors")));
    json_decref(report);
    return rc == 0 ? 0 : 1;
}

/* The names of items (JSON array of ids, borrowed) in their order, skipping unknown ids. New
 * array, or NULL with *err. */
static json_t *item_names(sqlite3 *db, json_t *ids, char **err)
{
    json_t *rows = db_rows(db, err, "SELECT i.name FROM json_each(?) j JOIN items i ON i.id = j.value ORDER BY j.key",
                           "j", ids);
    if (!rows) return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_append(out, json_object_get(row, "name"));
    json_decref(rows);
    return out;
}

/* announce_list: see announce.h. */
json_t *announce_list(spot_ctx *c, const char *year, const char *q, long long page, spot_err *e)
{
    char *err = NULL, *like = NULL;
    json_t *rows = NULL, *out = NULL, *list = NULL;
    if (year && *year && (strlen(year) != 4 || strspn(year, "0123456789") != 4)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "year 须为四位年份");
        goto done;
    }
    if (year && !*year) year = NULL;
    if (q && strlen(q) > ANNOUNCE_Q_MAX) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "检索词过长（最多 %d 字节）", ANNOUNCE_Q_MAX);
        goto done;
    }
    if (q && *q) {
        /* a LIKE pattern matching q literally (\ escapes %, _ and itself) */
        size_t n = strlen(q), k = 0;
        like = malloc(2 * n + 3);
        if (!like) { spot_fail_db(e, "announce", xprintf("out of memory")); goto done; }
        like[k++] = '%';
        for (size_t i = 0; i < n; i++) {
            if (q[i] == '%' || q[i] == '_' || q[i] == '\\') like[k++] = '\\';
            like[k++] = q[i];
        }
        like[k++] = '%';
        like[k] = 0;
    }
    if (page < 1) page = 1;
    static const char where[] =
        " FROM tasks t WHERE t.status = 'dispatched' AND (?1 IS NULL OR t.year = CAST(?1 AS INTEGER))"
        " AND (?2 IS NULL OR t.name LIKE ?2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM task_units u"
        " JOIN enterprises x ON x.id = u.enterprise_id WHERE u.task_id = t.id"
        " AND (u.uscc LIKE ?2 ESCAPE '\\' OR x.name LIKE ?2 ESCAPE '\\')))";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT count(*)%s", where);
    long long total = db_int(c->db, &err, 0, sql, "ss", year, like);
    if (err) { spot_fail_db(e, "announce", err); goto done; }
    snprintf(sql, sizeof sql,
             "SELECT t.id, t.year, t.name, t.lead_unit, t.joint_units, t.start_date, t.end_date, t.item_ids,"
             " t.mode, t.directed, t.locked_at, t.teams_at, t.excluded_count,"
             " (SELECT coalesce(sum(size), 0) FROM task_strata s WHERE s.task_id = t.id) AS candidates,"
             " (SELECT count(*) FROM task_units u WHERE u.task_id = t.id) AS units,"
             " (SELECT count(*) FROM task_teams m WHERE m.task_id = t.id) AS teams"
             "%s ORDER BY t.locked_at DESC, t.id DESC LIMIT ?3 OFFSET ?4", where);
    rows = db_rows(c->db, &err, sql, "ssii", year, like, (long long)ANNOUNCE_PAGE, (page - 1) * ANNOUNCE_PAGE);
    if (!rows) { spot_fail_db(e, "announce", err); goto done; }
    list = json_array();
    size_t i;
    json_t *row;
    static const char *const dec[] = {"joint_units", "item_ids", NULL};
    json_array_foreach(rows, i, row) {
        spot_decode_json(row, dec);
        json_t *names = item_names(c->db, json_object_get(row, "item_ids"), &err);
        if (!names) { spot_fail_db(e, "announce", err); goto done; }
        json_t *o = json_pack("{sO sO sO sO sO sb sO sO so sO sO sO}", "id", json_object_get(row, "id"),
            "year", json_object_get(row, "year"), "name", json_object_get(row, "name"),
            "lead_unit", json_object_get(row, "lead_unit"), "joint_units", json_object_get(row, "joint_units"),
            "joint", json_array_size(json_object_get(row, "joint_units")) > 0,
            "start_date", json_object_get(row, "start_date"), "end_date", json_object_get(row, "end_date"),
            "items", names, "item_ids", json_object_get(row, "item_ids"), "mode", json_object_get(row, "mode"),
            "locked_at", json_object_get(row, "locked_at"));
        json_object_set_new(o, "directed", json_boolean(json_integer_value(json_object_get(row, "directed"))));
        json_object_set_new(o, "counts", json_pack("{sO sO sO sO}", "candidates", json_object_get(row, "candidates"),
            "excluded", json_object_get(row, "excluded_count"), "units", json_object_get(row, "units"),
            "teams", json_object_get(row, "teams")));
        json_array_append_new(list, o);
    }
    out = json_pack("{sO sI sI sI}", "tasks", list, "total", (json_int_t)total, "page", (json_int_t)page,
                    "page_size", (json_int_t)ANNOUNCE_PAGE);
done:
    free(like);
    json_decref(rows);
    json_decref(list);
    return out;
}

/* announce_unit: see announce.h. */
json_t *announce_unit(spot_ctx *c, const char *uscc_in, spot_err *e)
{
    char uscc[19], *err = NULL, *line = NULL;
    const char *why = NULL;
    json_t *out = NULL, *tasks = NULL, *results = NULL, *name = NULL;
    if (!uscc_in || !uscc_check(uscc_in, uscc, &why)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "统一社会信用代码不正确：%s", why ? why : "为空");
        goto done;
    }
    line = xprintf("%s\n", uscc);
    /* Every locked task that names the unit: selected (task_units), excluded with its public reason
     * (task_exclusions), or an eligible candidate not drawn (a line of a stratum's sorted list). */
    tasks = db_rows(c->db, &err,
        "SELECT t.id AS task_id, t.name AS task_name, t.year, t.lead_unit, t.start_date, t.end_date, t.locked_at, "
        " CASE WHEN u.stratum IS NOT NULL THEN 'selected' WHEN x.reason IS NOT NULL THEN 'excluded' ELSE 'candidate' END"
        "  AS status, coalesce(u.stratum, (SELECT s.name FROM task_strata s WHERE s.task_id = t.id AND"
        "  (instr(CAST(s.candidates AS BLOB), CAST(?2 AS BLOB)) = 1 OR"
        "   instr(CAST(s.candidates AS BLOB), CAST(char(10) || ?2 AS BLOB)) > 0) ORDER BY s.pos LIMIT 1)) AS stratum,"
        " x.reason, x.clause "
        "FROM tasks t LEFT JOIN task_units u ON u.task_id = t.id AND u.uscc = ?1 "
        "LEFT JOIN task_exclusions x ON x.task_id = t.id AND x.uscc = ?1 "
        "WHERE t.status = 'dispatched' AND (u.uscc IS NOT NULL OR x.uscc IS NOT NULL OR EXISTS ("
        " SELECT 1 FROM task_strata s WHERE s.task_id = t.id AND"
        " (instr(CAST(s.candidates AS BLOB), CAST(?2 AS BLOB)) = 1 OR"
        "  instr(CAST(s.candidates AS BLOB), CAST(char(10) || ?2 AS BLOB)) > 0))) "
        "ORDER BY t.locked_at DESC, t.id DESC", "ss", uscc, line);
    if (!tasks) { spot_fail_db(e, "announce", err); goto done; }
    size_t i;
    json_t *row;
    json_array_foreach(tasks, i, row) {
        if (json_is_null(json_object_get(row, "reason"))) json_object_del(row, "reason");
        if (json_is_null(json_object_get(row, "clause"))) json_object_del(row, "clause");
    }
    results_public_query q = {0};
    q.uscc = uscc;
    json_t *pub = results_public(c, &q, e);
    if (!pub) goto done;
    results = json_incref(json_object_get(pub, "results"));
    json_decref(pub);
    /* the name as registered in the directory, else as fixed on a published result */
    json_t *nm = db_rows(c->db, &err, "SELECT name FROM enterprises WHERE uscc = ?1 UNION ALL "
                                      "SELECT name FROM result_units WHERE uscc = ?1 LIMIT 1", "s", uscc);
    if (!nm) { spot_fail_db(e, "announce", err); goto done; }
    name = json_incref(json_object_get(json_array_get(nm, 0), "name"));
    json_decref(nm);
    out = json_pack("{ss ss sO sO}", "uscc", uscc, "name", name ? json_string_value(name) : "", "tasks", tasks,
                    "results", results);
done:
    free(line);
    json_decref(name);
    json_decref(tasks);
    json_decref(results);
    return out;
}
