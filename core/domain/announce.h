/* announce.h: the public task announcement (SPEC §8 GET /api/public/tasks/{id}, the shape verify.h
 * checks), the public list of locked tasks and one unit's draw history (SPEC §12), and `spotcheck
 * verify FILE|URL`. Uses db.h, tasks.h, teams.h, verify.h, results.h, fetch.h; the routes are in
 * http/api_announce.c. */
#ifndef SPOT_ANNOUNCE_H
#define SPOT_ANNOUNCE_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"

#define ANNOUNCE_PAGE 20      /* tasks per page of the public list */
#define ANNOUNCE_Q_MAX 200    /* bytes of a search text */

/* The announcement of task id as a new JSON object, without its big lists (the strata's candidates
 * and the dispatched units; announce_text has them). Before lock it holds only what the freeze
 * published (commitment, H_c, strata names and sizes, the commitments of attempts made); after lock
 * the draw proof, the team commitment or team draw, and the teams (cert_no and name).
 * Returns NULL with *found = 0 for an unknown or draft task (and *err NULL), or NULL with *err on a
 * database error. */
json_t *announce_build(sqlite3 *db, long long id, int *found, char **err);

/* The whole announcement of task id as compact JSON text (malloc'd, *len bytes, NUL-terminated):
 * announce_build's object with every stratum's "candidates" and the "units" after lock, written
 * from their rows as they are read. NULL as announce_build. */
char *announce_text(sqlite3 *db, long long id, int *found, size_t *len, char **err);

/* `spotcheck verify [--cacert FILE] FILE|URL` (http or https, any host, fetch.h): prints each check
 * and "verified", or what differs. Returns the exit status: 0 verified, 1 not verified or
 * unreadable, 2 usage. */
int announce_cmd_verify(int argc, char **argv);

/* The public list of locked tasks (SPEC §12): {"tasks":[{id, year, name, lead_unit, joint_units,
 * joint, start_date, end_date, items (names), item_ids, mode, directed, locked_at, counts:
 * {candidates, excluded, units, teams}}], "total", "page", "page_size"}, newest lock first.
 * year (NULL or "" for all) must be four digits; q (NULL or "" for none) matches task names and the
 * names and USCCs of the drawn units. Returns a new reference, or NULL with *e set. */
json_t *announce_list(spot_ctx *c, const char *year, const char *q, long long page, spot_err *e);

/* "Was my company drawn?" (SPEC §12): {"uscc","name","tasks":[{task_id, task_name, year, lead_unit,
 * start_date, end_date, locked_at, status: "selected"|"candidate"|"excluded", stratum, reason?, clause?}],
 * "results": [its published results as results_public gives them]}, newest lock first, locked tasks
 * only. uscc must be a valid 统一社会信用代码 (400 otherwise); an unknown one has empty lists.
 * Returns a new reference, or NULL with *e. */
json_t *announce_unit(spot_ctx *c, const char *uscc, spot_err *e);

#endif
