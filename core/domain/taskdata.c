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
    /* SPEC §10: the lead org and the participating orgs with the task's items each contributes: how
     * many, how many apply to every industry, and the industries the others name */
    json_t *lead = json_object_get(task, "lead_org_id");
    json_object_set(rt, "lead_org_id", json_is_integer(lead) ? lead : json_null());
    json_t *orgs = db_rows(db, err,
        "SELECT o.id, o.name, o.id = ?1 AS lead, "
        "(SELECT count(*) FROM items i WHERE i.org_id = o.id AND i.id IN (SELECT value FROM json_each(?3))) AS items, "
        "(SELECT count(*) FROM items i WHERE i.org_id = o.id AND i.id IN (SELECT value FROM json_each(?3)) "
        " AND json_array_length(i.industries) = 0) AS items_any_industry, "
        "(SELECT json_group_array(DISTINCT j.value) FROM items i, json_each(i.industries) j WHERE i.org_id = o.id "
        " AND i.id IN (SELECT value FROM json_each(?3))) AS industries "
        "FROM orgs o WHERE o.id = ?1 OR o.id IN (SELECT value FROM json_each(?2)) ORDER BY o.id = ?1 DESC, o.id",
        "jjj", json_is_integer(lead) ? lead : NULL, json_object_get(task, "joint_org_ids"), json_object_get(task, "item_ids"));
    if (!orgs) { json_decref(rt); return NULL; }
    static const char *const dec[] = {"industries", NULL};
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) {
        spot_decode_json(o, dec);
        json_object_set_new(o, "lead", json_boolean(json_integer_value(json_object_get(o, "lead"))));
    }
    json_object_set_new(rt, "orgs", orgs);
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
