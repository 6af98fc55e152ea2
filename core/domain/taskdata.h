/* taskdata.h: reading a stored task, shared by the task, team and announcement modules (below all
 * three, so that they do not include each other): the row, the table rules receive, the selected
 * units. Uses db.h, jsonutil.h and plans.h (the plan's ratios). */
#ifndef SPOT_TASKDATA_H
#define SPOT_TASKDATA_H

#include <sqlite3.h>
#include <jansson.h>

/* The JSON-encoded columns of a tasks row (NULL-terminated), for spot_decode_json. */
extern const char *const TASK_JSON_COLUMNS[];

/* The task row as stored (JSON columns decoded, directed as a boolean), or NULL (no such task, or
 * *err set, caller frees). New reference. */
json_t *tasks_load(sqlite3 *db, long long id, char **err);

/* The task table that rules receive: {id, year, name, directed, directed_reason, mode, start_date,
 * end_date, ratios (from the plan), the options team_size, require_expert, required_level,
 * workload_cap, joint, lead_org_id and orgs: the lead and joint orgs [{id, name, lead, items (the
 * task's items of that org), items_any_industry, industries (named by its other items)}], lead
 * first}. New reference, or NULL with *err. */
json_t *tasks_rule_task(sqlite3 *db, json_t *task, char **err);

/* The selected units of a dispatched task in announcement order: [{"uscc","stratum","enterprise_id"}].
 * New reference, or NULL with *err. */
json_t *tasks_units(sqlite3 *db, long long task_id, char **err);

#endif
