/* teampool.h: the inspector pool a task's team draw uses, committed at lock (SPEC §4 "Inspector
 * teams"): the inspectors that inspectors.eligible admits for the task then, sorted by cert_no,
 * without names; its list hash is published with the lock announcement, so that changing
 * inspectors' status between lock and the team draw cannot steer the teams.
 * Uses db.h, luahost.h, ruledata.h, draw.h. */
#ifndef SPOT_TEAMPOOL_H
#define SPOT_TEAMPOOL_H

#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

/* Evaluates inspectors.eligible(inspector, rtask) for every inspector of db (rtask borrowed: the
 * rule task of tasks_rule_task). On success returns 0, *records a new array of the admitted
 * inspectors' records (ruledata_inspector without "name"), sorted by cert_no, and hash_hex the
 * lowercase hex of SHA-256("cert_no\n"…). Returns -1 with *err (caller frees) and *is_rule set when
 * a rule failed. */
int teampool_commit(sqlite3 *db, lh_state *lua, json_t *rtask, json_t **records, char hash_hex[65], char **err,
                    int *is_rule);

/* The cert_nos of records (borrowed), in order. New array. */
json_t *teampool_certs(json_t *records);

#endif
