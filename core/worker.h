/* worker.h: what each thread owns: one SQLite connection and one Lua state with the active rules.
 * Created lazily per thread; the rules are reloaded when their generation in the database changes,
 * so an activation takes effect on every worker's next request, all rules from one snapshot. */
#ifndef SPOT_WORKER_H
#define SPOT_WORKER_H

#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

typedef struct worker {
    sqlite3 *db;
    lh_state *lua;
    long long rules_gen;   /* generation of the loaded rule set */
    json_t *rule_versions; /* {name: {"version", "sha256"}} of the loaded set */
} worker;

/* This thread's worker, created on first use from spot_config. Returns NULL with *err set. */
worker *worker_get(char **err);

/* Reloads the active rules if their generation changed. Returns 0 or -1 with *err. */
int worker_refresh_rules(worker *w, char **err);

/* The SHA-256 (hex) of the loaded version of rule name, for recording with a decision; "" if none.
 * Borrowed until the next refresh. */
const char *worker_rule_sha(worker *w, const char *name);

/* Frees this thread's worker (at thread exit or in the CLI before exit). */
void worker_release(void);

#endif
