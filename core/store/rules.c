/* rules.c: rule versions in the database and loading them into a Lua state. */
#include "rules.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "stream.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

const char *const spot_rule_names[] = {
    "categories", "calendar", "deadlines", "eligibility", "sampling", "inspectors",
    "accountability", "plans", NULL,
};

/* Reads a whole file into a new buffer (NUL-terminated). Returns NULL with *err set. */
static char *read_file(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = xprintf("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 14, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    fclose(f);
    if (!buf) { *err = xprintf("out of memory reading %s", path); return NULL; }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

void rules_sha256(const char *src, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)src, len);
    hex_encode(out, h, 32);
}

/* The shipped rule file name.lua in dir: its text (caller frees) and length, and when sha is not
 * NULL its SHA-256 hex; NULL with *err when it cannot be read. */
static char *read_shipped(const char *dir, const char *name, size_t *len, char *sha, char **err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    char *src = read_file(path, len, err);
    if (src && sha) rules_sha256(src, *len, sha);
    return src;
}

int rules_install_defaults(sqlite3 *db, const char *dir, char **err)
{
    char at[32];
    clock_now_rfc3339(at);
    for (int i = 0; spot_rule_names[i]; i++) {
        char sha[65];
        size_t len;
        char *src = read_shipped(dir, spot_rule_names[i], &len, sha, err);
        if (!src) return -1;
        int rc = db_run(db, err, "INSERT INTO rule_versions(name, version, source, sha256, author, "
                                 "created_at, active) VALUES (?, 1, ?, ?, 'system', ?, 1)",
                        "stss", spot_rule_names[i], src, (int)len, sha, at);
        if (rc >= 0) {
            json_t *d = json_pack("{ss si ss}", "name", spot_rule_names[i], "version", 1, "sha256", sha);
            rc = audit_log(db, "system", "rule.install", spot_rule_names[i], d, err);
            json_decref(d);
        }
        free(src);
        if (rc < 0) return -1;
    }
    return 0;
}

int rules_known(const char *name)
{
    for (int i = 0; spot_rule_names[i]; i++)
        if (!strcmp(spot_rule_names[i], name)) return 1;
    return 0;
}

/* Loads the active set, with `override` (if not NULL) replaced by src. */
static int load_set(sqlite3 *db, lh_state *h, const char *override, const char *src, size_t srclen,
                    long long *gen, json_t **versions, char **err)
{
    int rc = -1;
    json_t *vers = json_object();
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        *err = xprintf("begin: %s", sqlite3_errmsg(db));
        return -1;
    }
    char *g = db_meta_get(db, "rules_gen");
    long long generation = g ? atoll(g) : 0;
    free(g);
    lh_clear_rules(h);
    for (int i = 0; spot_rule_names[i]; i++) {
        if (override && !strcmp(override, spot_rule_names[i])) {
            if (lh_load_rule(h, override, src, srclen, err) != 0) goto done;
            continue;
        }
        sqlite3_stmt *st = db_prepare(db, err, "SELECT source, version, sha256 FROM rule_versions "
                                               "WHERE name = ? AND active = 1", "s", spot_rule_names[i]);
        if (!st) goto done;
        if (sqlite3_step(st) != SQLITE_ROW) {
            *err = xprintf("rule %s has no active version", spot_rule_names[i]);
            sqlite3_finalize(st);
            goto done;
        }
        json_object_set_new(vers, spot_rule_names[i],
                            json_pack("{sI ss}", "version", (json_int_t)sqlite3_column_int64(st, 1),
                                      "sha256", (const char *)sqlite3_column_text(st, 2)));
        int r = lh_load_rule(h, spot_rule_names[i], (const char *)sqlite3_column_text(st, 0),
                             (size_t)sqlite3_column_bytes(st, 0), err);
        sqlite3_finalize(st);
        if (r != 0) goto done;
    }
    if (gen) *gen = generation;
    if (versions) { *versions = vers; vers = NULL; }
    rc = 0;
done:
    json_decref(vers);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int rules_load_active(sqlite3 *db, lh_state *h, long long *gen, json_t **versions, char **err)
{
    return load_set(db, h, NULL, NULL, 0, gen, versions, err);
}

int rules_load_candidate(sqlite3 *db, lh_state *h, const char *name, const char *src, size_t len,
                         char **err)
{
    return load_set(db, h, name, src, len, NULL, NULL, err);
}

int rules_load_dir(lh_state *h, const char *dir, char **err)
{
    lh_clear_rules(h);
    for (int i = 0; spot_rule_names[i]; i++) {
        size_t len;
        char *src = read_shipped(dir, spot_rule_names[i], &len, NULL, err);
        if (!src) return -1;
        int r = lh_load_rule(h, spot_rule_names[i], src, len, err);
        free(src);
        if (r != 0) return -1;
    }
    return 0;
}

int rules_run_tests(lh_state *h, const char *dir, json_t **report, char **err)
{
    json_t *files = json_array();
    long long passed = 0, failed = 0;
    for (int i = 0; spot_rule_names[i]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/tests/%s_test.lua", dir, spot_rule_names[i]);
        size_t len;
        char *src = read_file(path, &len, err);
        if (!src) { json_decref(files); return -1; }
        json_t *rep = NULL;
        int r = lh_run_tests(h, spot_rule_names[i], src, len, &rep, err);
        free(src);
        if (r != 0) { json_decref(files); return -1; }
        passed += json_integer_value(json_object_get(rep, "passed"));
        failed += json_integer_value(json_object_get(rep, "failed"));
        json_object_set_new(rep, "name", json_string(spot_rule_names[i]));
        json_array_append_new(files, rep);
    }
    *report = json_pack("{sI sI so}", "passed", (json_int_t)passed, "failed", (json_int_t)failed,
                        "files", files);
    return failed ? 1 : 0;
}

int rules_upgrade_shipped(sqlite3 *db, lh_state *h, const char *dir, char **err)
{
    /* nothing to do (the usual start): every active version is the shipped file */
    int differs = 0;
    for (int i = 0; spot_rule_names[i] && !differs; i++) {
        char sha[65];
        size_t len;
        char *src = read_shipped(dir, spot_rule_names[i], &len, sha, err);
        if (!src) return -1;
        free(src);
        differs = db_int(db, err, 0, "SELECT count(*) FROM rule_versions WHERE name = ? AND active = 1 AND sha256 = ?", "ss",
                         spot_rule_names[i], sha) == 0;
        if (*err) return -1;
    }
    if (!differs) return 0;
    /* the shipped set must pass its own tests before any of it replaces an active version */
    json_t *report = NULL;
    if (rules_load_dir(h, dir, err) != 0) return -1;
    int trc = rules_run_tests(h, dir, &report, err);
    long long failed = json_integer_value(json_object_get(report, "failed"));
    json_decref(report);
    if (trc < 0) return -1;
    if (trc != 0) {
        fprintf(stderr, "rules: the shipped rules in %s fail %lld of their tests; the active versions stay\n", dir, failed);
        return 0;
    }
    char at[32];
    clock_now_rfc3339(at);
    for (int i = 0; spot_rule_names[i]; i++) {
        const char *name = spot_rule_names[i];
        char sha[65];
        size_t len;
        char *src = read_shipped(dir, name, &len, sha, err);
        if (!src) return -1;
        json_t *act = db_row(db, err, "SELECT version, sha256, author FROM rule_versions WHERE name = ? AND active = 1", "s", name);
        if (!act && *err) { free(src); return -1; }
        const char *asha = act ? json_string_value(json_object_get(act, "sha256")) : NULL;
        const char *author = act ? json_string_value(json_object_get(act, "author")) : NULL;
        long long from = act ? json_integer_value(json_object_get(act, "version")) : 0;
        int known = db_int(db, err, 0, "SELECT count(*) FROM rule_versions WHERE name = ? AND sha256 = ?", "ss", name, sha) > 0;
        if (*err) { json_decref(act); free(src); return -1; }
        if (!act || (asha && !strcmp(asha, sha)) || known) {
            /* current, or this shipped text was stored before (an administrator moved away from it) */
        } else if (!author || strcmp(author, "system")) {
            fprintf(stderr, "rules: %s: a new shipped version is in %s; the active version %lld, stored by %s, stays "
                            "(compare them in the rule editor)\n", name, dir, from, author ? author : "?");
        } else {
            json_t *d = json_pack("{ss sI ss ss}", "name", name, "from_version", (json_int_t)from, "sha256", sha, "reason",
                                  "upgrade: the shipped version replaces the shipped version it was installed with");
            int ok = db_begin(db, err) == 0 &&
                     db_run(db, err, "INSERT INTO rule_versions(name, version, source, sha256, author, created_at, active) "
                                     "SELECT ?1, max(version) + 1, ?2, ?3, 'system', ?4, 0 FROM rule_versions WHERE name = ?1",
                            "stss", name, src, (int)len, sha, at) == 1 &&
                     db_run(db, err, "UPDATE rule_versions SET active = 0 WHERE name = ? AND active = 1", "s", name) >= 0 &&
                     db_run(db, err, "UPDATE rule_versions SET active = 1 WHERE name = ? AND sha256 = ? AND version = "
                                     "(SELECT max(version) FROM rule_versions WHERE name = ?)", "sss", name, sha, name) == 1 &&
                     db_run(db, err, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rules_gen'", "") >= 0 &&
                     audit_log(db, "system", "rule.upgrade", name, d, err) == 0 && db_commit(db, err) == 0;
            json_decref(d);
            if (!ok) {
                if (!sqlite3_get_autocommit(db)) db_rollback(db);
                json_decref(act);
                free(src);
                return -1;
            }
            fprintf(stderr, "rules: %s upgraded to the shipped version (was version %lld)\n", name, from);
        }
        json_decref(act);
        free(src);
    }
    return 0;
}
