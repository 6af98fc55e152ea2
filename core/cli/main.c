/* main.c: the spotcheck command line (SPEC §6). Global options --db PATH and --config FILE may
 * stand anywhere on the line; each subcommand is one function in the table below. */
#include "audit.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "console.h"
#include "db.h"
#include "server.h"
#include "luahost.h"
#include "rules.h"
#include "worker.h"
#include "demo.h"
#include "announce.h"
#include "csvimport.h"
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

typedef int (*command_fn)(int argc, char **argv);

struct command {
    const char *name;
    command_fn fn;
    const char *usage;
    const char *help;
};

static int die(const char *what, char *err)
{
    fprintf(stderr, "spotcheck: %s%s%s\n", what, err ? ": " : "", err ? err : "");
    free(err);
    return 1;
}

/* Takes "--name value" or "--name=value" at argv[*i]; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] == 0 && *i + 1 < argc) return argv[++*i];
    return NULL;
}

/* A password for generated accounts: 12 characters without look-alikes, into out (13 bytes). */
static void generate_password(char out[13])
{
    unsigned char b[12];
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    randombytes_buf(b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++) out[i] = alphabet[b[i] % (sizeof alphabet - 1)];
    out[sizeof b] = 0;
}

static int cmd_init(int argc, char **argv)
{
    int demo = 0;
    const char *bureau = NULL, *v;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--demo")) demo = 1;
        else if ((v = opt_value(argc, argv, &i, "--bureau"))) bureau = v;
        else { fprintf(stderr, "spotcheck init: unknown option %s\n", argv[i]); return 2; }
    }
    if (bureau && (!*bureau || strlen(bureau) > 100)) {
        fprintf(stderr, "spotcheck init: --bureau needs the bureau's name (1-100 bytes)\n");
        return 2;
    }
    char *err = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 1, &err);
    if (!db) return die("init", err);
    const char *pw = getenv("SPOTCHECK_ADMIN_PASSWORD");
    char generated[13], staff_generated[13];
    if (!pw || !*pw) {
        generate_password(generated);
        pw = generated;
    }
    const char *staff_pw = getenv("SPOTCHECK_DEMO_PASSWORD");
    if (demo && (!staff_pw || !*staff_pw)) {
        generate_password(staff_generated);
        staff_pw = staff_generated;
    }
    int rc = 1;
    if (db_begin(db, &err) != 0) goto done;
    spot_err e;
    if (auth_create_user(db, "system", "admin", pw, "admin", NULL, 0, "", 0, &e) < 0) {
        err = xprintf("admin account (SPOTCHECK_ADMIN_PASSWORD): %s", e.message);
        goto fail;
    }
    if (bureau) {
        json_t *d = json_pack("{ss}", "name", bureau);
        long long bid = db_int(db, &err, 0, "SELECT id FROM orgs WHERE kind = 'bureau'", "");
        char obj[32];
        snprintf(obj, sizeof obj, "org:%lld", bid);
        int brc = !err && db_run(db, &err, "UPDATE orgs SET name = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                                           "WHERE id = ?", "si", bureau, bid) == 1 &&
                  audit_log(db, "system", "org.update", obj, d, &err) == 0;
        json_decref(d);
        if (!brc) goto fail;
    }
    if (rules_install_defaults(db, spot_config.rules_dir, &err) != 0) goto fail;
    if (demo) {
        if (demo_populate(db, staff_pw, &err) != 0) goto fail;
    }
    if (db_commit(db, &err) != 0) goto fail;
    printf("created %s (schema version %d)%s\n", spot_config.db_path, db_schema_version(db),
           demo ? " with demo data" : "");
    if (pw == generated) printf("admin password (shown once): %s\n", generated);
    if (demo && staff_pw == staff_generated)
        printf("demo staff accounts' initial password (shown once, to be changed at the first login): %s\n",
               staff_generated);
    rc = 0;
    goto done;
fail:
    db_rollback(db);
done:
    db_close(db);
    if (rc) {
        remove(spot_config.db_path);
        char side[1100];
        snprintf(side, sizeof side, "%s-wal", spot_config.db_path); remove(side);
        snprintf(side, sizeof side, "%s-shm", spot_config.db_path); remove(side);
        return die("init", err);
    }
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    char *err = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--listen"))) {
            if (config_set("listen", v, &err)) return die("serve", err);
        } else if ((v = opt_value(argc, argv, &i, "--threads"))) {
            if (config_set("threads", v, &err)) return die("serve", err);
        } else {
            fprintf(stderr, "spotcheck serve: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    /* Open once up front: a missing database or a failed migration stops start-up here. */
    worker *w = worker_get(&err);
    if (!w) return die("serve", err);
    if (rules_upgrade_shipped(w->db, w->lua, spot_config.rules_dir, &err) != 0) {   /* the active rules still serve */
        fprintf(stderr, "rules: cannot check the shipped rules in %s: %s\n", spot_config.rules_dir, err ? err : "?");
        free(err);
        err = NULL;
    }
    w->rules_gen = -1;   /* the upgrade check may have left the shipped set in w->lua: load the active one */
    if (worker_refresh_rules(w, &err) != 0) return die("serve: loading rules", err);
    worker_release();
    if (http_serve(&err) != 0) return die("serve", err);
    return 0;
}

static int cmd_rules(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "test")) {
        fprintf(stderr, "usage: spotcheck rules test [--rules DIR]\n");
        return 2;
    }
    const char *dir = spot_config.rules_dir;
    for (int i = 1; i < argc; i++) {
        const char *v = opt_value(argc, argv, &i, "--rules");
        if (v) dir = v;
        else { fprintf(stderr, "spotcheck rules test: unknown option %s\n", argv[i]); return 2; }
    }
    char *err = NULL;
    lh_state *h = lh_new(&spot_config.lua, &err);
    if (!h) return die("rules test", err);
    json_t *report = NULL;
    int rc = rules_load_dir(h, dir, &err);
    if (rc == 0) rc = rules_run_tests(h, dir, &report, &err);
    lh_free(h);
    if (rc < 0) return die("rules test", err);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "files"), i, f) {
        printf("rules/tests/%s_test.lua: %lld passed, %lld failed\n", json_string_value(json_object_get(f, "name")),
               (long long)json_integer_value(json_object_get(f, "passed")),
               (long long)json_integer_value(json_object_get(f, "failed")));
        size_t j;
        json_t *fail;
        json_array_foreach(json_object_get(f, "failures"), j, fail)
            printf("  FAIL %s: %s\n", json_string_value(json_object_get(fail, "case")),
                   json_string_value(json_object_get(fail, "error")));
    }
    printf("%lld passed, %lld failed\n", (long long)json_integer_value(json_object_get(report, "passed")),
           (long long)json_integer_value(json_object_get(report, "failed")));
    json_decref(report);
    return rc == 0 ? 0 : 1;
}

/* `spotcheck audit verify [--anchor FILE|URL]...`: the chain, then every published head found in
 * each FILE (a saved /api/public/audit-head page or announcement) or URL (loopback http). */
static int cmd_audit(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "verify")) {
        fprintf(stderr, "usage: spotcheck audit verify [--anchor FILE|URL]...\n");
        return 2;
    }
    const char *anchors[16];
    int nanchors = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = opt_value(argc, argv, &i, "--anchor");
        if (!v || nanchors == (int)(sizeof anchors / sizeof anchors[0])) {
            fprintf(stderr, "usage: spotcheck audit verify [--anchor FILE|URL]...\n");
            return 2;
        }
        anchors[nanchors++] = v;
    }
    char *err = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 0, &err);
    if (!db) return die("audit verify", err);
    long long count = 0, bad = 0;
    int rc = audit_verify(db, &count, &bad, &err);
    for (int k = 0; rc == 0 && k < nanchors; k++) {
        size_t len = 0;
        char *text = spot_fetch(anchors[k], 64u << 20, &len, &err);
        if (!text) {
            char *why = xprintf("%s: %s", anchors[k], err ? err : "unreadable");
            free(err);
            err = why;
            rc = -1;
            break;
        }
        json_error_t je;
        json_t *doc = json_loadb(text, len, 0, &je);
        free(text);
        if (!doc) {
            err = xprintf("%s: not JSON (line %d: %s)", anchors[k], je.line, je.text);
            rc = -1;
            break;
        }
        long long n = 0;
        rc = audit_check_anchors(db, doc, &n, &bad, &err);
        json_decref(doc);
        if (rc == 0) printf("%s: %lld published head%s found in the chain\n", anchors[k], n, n == 1 ? "" : "s");
        else if (rc < 0 && err) {
            char *why = xprintf("%s: %s", anchors[k], err);
            free(err);
            err = why;
        }
    }
    db_close(db);
    if (rc == 0) {
        printf("audit chain intact: %lld records\n", count);
        return 0;
    }
    return die("audit verify", err);
}

static int cmd_backup(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: spotcheck backup DEST\n");
        return 2;
    }
    char *err = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 0, &err);
    if (!db) return die("backup", err);
    sqlite3 *dst = NULL;
    /* A copy of everything the database protects: 0600 whatever the umask (and its journal with it). */
    if (db_create_private(argv[0], &err) != 0) {
        db_close(db);
        return die("backup", err);
    }
    int rc = sqlite3_open_v2(argv[0], &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", db, "main") : NULL;
    if (b) {
        /* One step: in WAL mode this reads a consistent snapshot without blocking writers, and a
         * copy in small steps would restart whenever another connection writes. */
        do {
            rc = sqlite3_backup_step(b, -1);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        sqlite3_backup_finish(b);
    }
    if (rc != SQLITE_DONE) err = xprintf("%s: %s", argv[0], dst ? sqlite3_errmsg(dst) : "cannot open");
    sqlite3_close(dst);
    db_close(db);
    if (err) return die("backup", err);
    printf("backup written to %s\n", argv[0]);
    return 0;
}

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"init", cmd_init, "init [--demo] [--bureau NAME]",
     "create the database with user admin (password from SPOTCHECK_ADMIN_PASSWORD, else generated and "
     "printed once), the bureau (named by --bureau, else 本局) and the default rules; --demo adds the 高青县 "
     "demo data set with staff accounts (initial password SPOTCHECK_DEMO_PASSWORD, else generated and printed "
     "once)"},
    {"serve", cmd_serve, "serve [--listen ADDR:PORT] [--threads N]", "serve the web pages and the API"},
    {"rules", cmd_rules, "rules test [--rules DIR]", "run the rule tests inside the sandbox"},
    {"audit", cmd_audit, "audit verify [--anchor FILE|URL]",
     "check the audit trail's hash chain and that published heads (a saved /api/public/audit-head page or "
     "announcement, or its http/https URL) are still in it; names the first broken, missing or altered record"},
    {"import", csvimport_cli, "import enterprises|inspectors FILE",
     "import a directory CSV (SPEC §8); bad rows are listed with their line numbers, good rows kept"},
    {"backup", cmd_backup, "backup DEST", "online copy of the database (SQLite backup API)"},
    {"verify", announce_cmd_verify, "verify [--cacert FILE] FILE|URL",
     "re-check a task announcement (a saved file, or its http/https URL on any host; --cacert FILE "
     "trusts a private CA); draw algorithms v1 and v2"},
    {"console", console_main, "console",
     "interactive Lua console (the server's sandbox, read-only data access; help() lists the API)"},
    {"run", console_run_main, "run FILE.lua [ARGS...]",
     "run an administrator's Lua script in the console environment (args in the global arg)"},
    {"version", cmd_version, "version", "print the version and the schema version"},
    {"help", cmd_help, "help", "this text"},
    {0},
};

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("spotcheck %s (schema version %d)\n", SPOT_VERSION, db_schema_latest());
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: spotcheck [--db PATH] [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++) printf("  %-44s %s\n", c->usage, c->help);
    printf("\nThe database is ./spotcheck.db unless --db or SPOTCHECK_DB says otherwise.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return die("cannot initialise libsodium", NULL);
    /* Pull out the global options wherever they stand. */
    const char *db = NULL, *cfg = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--db"))) db = v;
        else if ((v = opt_value(argc, argv, &i, "--config"))) cfg = v;
        else if (!strcmp(argv[i], "--version")) rest[n++] = "version";
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) rest[n++] = "help";
        else rest[n++] = argv[i];
    }
    char *err = NULL;
    if (config_load(cfg, &err) != 0) {
        free(rest);
        return die("configuration", err);
    }
    if (db && config_set("db_path", db, &err) != 0) {
        free(rest);
        return die("--db", err);
    }
    if (n == 0) {
        cmd_help(0, NULL);
        free(rest);
        return 2;
    }
    int rc = -1;
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, rest[0])) rc = c->fn(n - 1, rest + 1);
    if (rc == -1) {
        fprintf(stderr, "spotcheck: unknown command '%s' (see spotcheck help)\n", rest[0]);
        rc = 2;
    }
    worker_release();
    free(rest);
    return rc;
}
