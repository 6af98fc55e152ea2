/* rules.h: rule versions in the database (SPEC §3): loading the shipped files as version 1, listing,
 * storing a new version after it compiles and passes its tests, activating and rolling back.
 * Uses db.h, audit.h, luahost.h. */
#ifndef SPOT_RULES_H
#define SPOT_RULES_H

#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

/* The rule names, in load order (calendar before deadlines, ...). NULL-terminated. */
extern const char *const spot_rule_names[];

/* Inserts every shipped file of dir (rules/<name>.lua) as version 1, active. For init. */
int rules_install_defaults(sqlite3 *db, const char *dir, char **err);

/* At start-up after an upgrade (spotcheck serve): every rule whose active version is one the system
 * installed (author "system") and whose shipped file in dir is new to the database becomes that
 * file, as a new version, audited as rule.upgrade; a version an administrator stored stays (a line
 * on stderr says a new shipped one exists). Nothing changes unless the shipped set in dir passes
 * its own tests (run in h, which is left holding the shipped set). Returns 0 or -1 with *err. */
int rules_upgrade_shipped(sqlite3 *db, lh_state *h, const char *dir, char **err);

/* Loads the active version of every rule into h (clearing it first), reading them in one
 * transaction so the set is consistent. *gen receives the generation read; *versions (if not NULL)
 * a new JSON object {name: {"version": N, "sha256": "…"}} of what was loaded. */
int rules_load_active(sqlite3 *db, lh_state *h, long long *gen, json_t **versions, char **err);

/* Loads a candidate set into h: the active versions, except `name` whose source is src. Used to
 * check a new version before storing or activating it. */
int rules_load_candidate(sqlite3 *db, lh_state *h, const char *name, const char *src, size_t len,
                         char **err);

/* Whether name is one of spot_rule_names. */
int rules_known(const char *name);

/* Runs every rule test file of dir/tests against the rules loaded in h. *report: new JSON object
 * {"passed","failed","files":[{"name","passed","failed","failures":[…]}]}. Returns 0 if all passed,
 * 1 if some failed, -1 on error. */
int rules_run_tests(lh_state *h, const char *dir, json_t **report, char **err);

/* Loads every rule file of dir (rules/<name>.lua) into h, clearing it first. For `rules test`. */
int rules_load_dir(lh_state *h, const char *dir, char **err);

/* Lowercase hex SHA-256 of a rule source into out (65 bytes). */
void rules_sha256(const char *src, size_t len, char out[65]);

#endif
