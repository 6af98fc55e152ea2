/* dryrun.h: what a candidate rule set would decide differently from the active one on current
 * data (SPEC §3 dry run): units whose eligibility or stratum changes, stratum sizes and counts,
 * deadlines that move. Each unit is judged with its real history of the task's year (the one the
 * freeze gives eligibility: dispatched tasks that selected it). Reads only; changes nothing. */
#ifndef SPOT_DRYRUN_H
#define SPOT_DRYRUN_H

#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

/* Compares the active state `cur` with the candidate `cand` over the database. task (borrowed,
 * may be NULL) is the task context for eligibility and sampling (default: an untargeted,
 * non-directed task this year). *report: new JSON object. Returns 0 or -1 with *err. */
int dryrun_compare(sqlite3 *db, lh_state *cur, lh_state *cand, json_t *task, json_t **report, char **err);

#endif
