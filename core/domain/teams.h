/* teams.h: inspector teams (clause 7.3, SPEC §4): the team draw after lock, recusals, replacements
 * with a head's approval, and the teams' part of the public announcement. Routes are listed at the
 * top of teams.c. Uses db.h, audit.h, http.h, luahost.h, ruledata.h, draw.h, tasks.h. */
#ifndef SPOT_TEAMS_H
#define SPOT_TEAMS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* Adds the teams of task (a tasks_load row, borrowed) to ann: "teams_draw" {algorithm, commitment,
 * secret, witness, seed} and "teams" once drawn, else "teams_commitment". No personal data (cert_no
 * only). Returns 0 or -1 with *err. */
int teams_announce(sqlite3 *db, json_t *task, json_t *ann, char **err);

extern const struct route teams_routes[];

#endif
