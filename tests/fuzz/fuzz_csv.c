/* fuzz_csv: CSV import (core/domain/csvimport.h csv_import) of arbitrary bytes into the enterprise or the
 * inspector directory of a temporary database with the shipped rules loaded. The first byte picks
 * the directory; the rest is the file. Any outcome is fine (imported, rows rejected, file refused)
 * except a crash, a sanitizer report, or a transaction left open. */
#include "csvimport.h"
#include "enterprises.h"
#include "inspectors.h"
#include "fuzz_common.h"

#include <stdint.h>

static sqlite3 *db;
static lh_state *lua;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *err = NULL;
    fuzz_setup_db(0);
    db = db_open(spot_config.db_path, 0, &err);
    lua = db ? lh_new(&spot_config.lua, &err) : NULL;
    long long gen;
    if (!lua || rules_load_active(db, lua, &gen, NULL, &err) != 0) {
        fprintf(stderr, "fuzz_csv: %s\n", err ? err : "?");
        exit(2);
    }
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const dir_kind *k = (data[0] & 1) ? &inspector_kind : &enterprise_kind;
    json_t *result = NULL;
    char *err = NULL;
    int rc = csv_import(db, lua, k, (const char *)data + 1, size - 1, "fuzz", &result, &err);
    if (rc == 0 && !json_is_object(result)) abort();
    if (!sqlite3_get_autocommit(db)) abort(); /* csv_import must end its own transaction */
    json_decref(result);
    free(err);
    return 0;
}
