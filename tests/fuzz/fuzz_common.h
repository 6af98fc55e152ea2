/* fuzz_common.h: shared set-up of the libFuzzer targets (tests/fuzz/README.md): a fresh database in
 * a temporary folder, created as `spotcheck init [--demo]` does (admin user, shipped rules), with
 * spot_config pointing at it and tight Lua limits so a fuzz input cannot run long.
 * Header-only (static functions) so each target is one translation unit. */
#ifndef SPOT_FUZZ_COMMON_H
#define SPOT_FUZZ_COMMON_H

#include "auth.h"
#include "config.h"
#include "db.h"
#include "demo.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates the database and fills spot_config. Exits the process on failure (a broken set-up is not
 * a finding). Returns the temporary folder (static storage). */
static const char *fuzz_setup_db(int demo)
{
    static char dir[] = "/tmp/spotcheck-fuzz-XXXXXX";
    char *err = NULL;
    if (!mkdtemp(dir)) { perror("mkdtemp"); exit(2); }
    if (config_load(NULL, &err) != 0) goto fail;
    char path[1100];
    snprintf(path, sizeof path, "%s/fuzz.db", dir);
    if (config_set("db_path", path, &err) || config_set("export_dir", dir, &err) ||
        config_set("lua_instructions", "200000", &err) || config_set("lua_millis", "200", &err) ||
        config_set("lua_memory", "16777216", &err))
        goto fail;
    sqlite3 *db = db_open(path, 1, &err);
    if (!db) goto fail;
    if (db_begin(db, &err) != 0) goto fail;
    spot_err se;
    if (auth_create_user(db, "system", "admin", "fuzz-admin-password", "admin", NULL, 0, "", 0, &se) < 0) {
        err = strdup(se.message);
        goto fail;
    }
    if (rules_install_defaults(db, spot_config.rules_dir, &err) != 0) goto fail;
    if (demo && demo_populate(db, "fuzz-staff-password", &err) != 0) goto fail;
    if (db_commit(db, &err) != 0) goto fail;
    /* Fuzzing needs no durability: keep the temporary database fast. */
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    db_close(db);
    return dir;
fail:
    fprintf(stderr, "fuzz set-up failed: %s\n", err ? err : "?");
    exit(2);
}

#endif
