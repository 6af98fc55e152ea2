/* tasks.h: spot-check tasks (clauses 6.2, 7.1, 7.2) and their verifiable draw (SPEC §4): create and
 * list tasks, freeze the candidates (eligibility and sampling rules, H_c, commitment), draw with a
 * witness (redraws recorded and published), lock (dispatch, team commitment, announcement).
 * Routes: GET/POST /api/tasks, GET /api/tasks/{id}, GET /api/tasks/{id}/excluded,
 * POST /api/tasks/{id}/freeze, POST /api/tasks/{id}/draw, POST /api/tasks/{id}/lock.
 * Also a few helpers shared by plans.c, teams.c and announce.c.
 * Uses db.h, audit.h, http.h, luahost.h, worker.h, ruledata.h and draw.h. */
#ifndef SPOT_TASKS_H
#define SPOT_TASKS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* The task row as stored (JSON columns decoded), or NULL (no such task, or *err set). New ref. */
json_t *tasks_load(sqlite3 *db, long long id, char **err);

/* The task table that rules receive: {id, year, name, directed, directed_reason, mode, start_date,
 * end_date, ratios (from the plan), and the options team_size, require_expert, required_level,
 * workload_cap}. New reference, or NULL with *err. */
json_t *tasks_rule_task(sqlite3 *db, json_t *task, char **err);

/* The selected units of a dispatched task in announcement order: [{"uscc","stratum","enterprise_id"}].
 * New reference, or NULL with *err. */
json_t *tasks_units(sqlite3 *db, long long task_id, char **err);

extern const struct route tasks_routes[];

#endif
