/* taskdata.c: reading a stored task (see taskdata.h). */
#include "taskdata.h"
#include "db.h"
#include "jsonutil.h"
#include "plans.h"

const char *const TASK_JSON_COLUMNS[] = {"item_ids", "filters", "joint_units", "joint_org_ids", "options", "rule_shas",
                                         "team_pool", "check_methods", NULL};

json_t *tasks_load(sqlite3 *db, long long id, char **err)
{
    json_t *t = db_row(db, err, "SELECT * FROM tasks WHERE id = ?", "i", id);
    if (t) {
        spot_decode_json(t, TASK_JSON_COLUMNS);
        json_object_set_new(t, "directed", json_boolean(json_integer_value(json_object_get(t, "directed"))));
    }
    return t;
}

json_t *tasks_rule_task(sqlite3 *db, json_t *task, char **err)
{
    json_t *rt = json_pack("{sO sO sO sO sO? sO sO sO}", "id", json_object_get(task, "id"),
                           "year", json_object_get(task, "year"), "name", json_object_get(task, "name"),
                           "directed", json_object_get(task, "directed"),
                           "directed_reason", json_object_get(task, "directed_reason"),
                           "mode", json_object_get(task, "mode"), "start_date", json_object_get(task, "start_date"),
                           "end_date", json_object_get(task, "end_date"));
    json_object_update(rt, json_object_get(task, "options"));
    json_object_set(rt, "joint", json_boolean(json_array_size(json_object_get(task, "joint_units")) > 0));
    json_t *pid = json_object_get(task, "plan_id");
    if (json_is_integer(pid)) {
        json_t *plan = plans_load(db, json_integer_value(pid), err);
        if (!plan && *err) { json_decref(rt); return NULL; }
        if (plan) json_object_set(rt, "ratios", json_object_get(plan, "ratios"));
        json_decref(plan);
    }
    return rt;
}

json_t *tasks_units(sqlite3 *db, long long task_id, char **err)
{
    return db_rows(db, err, "SELECT uscc, stratum, enterprise_id FROM task_units WHERE task_id = ? ORDER BY pos", "i",
                   task_id);
}
