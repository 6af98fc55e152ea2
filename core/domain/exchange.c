/* exchange.c: the exchange export of published results (see exchange.h, docs/EXCHANGE.md). */
#include "exchange.h"
#include "clock.h"
#include "db.h"
#include "results.h"

#include <stdlib.h>
#include <string.h>

const struct exchange_field exchange_fields[] = {
    {"record_id", "记录编号", 0},
    {"uscc", "统一社会信用代码", 0},
    {"name", "单位名称", 0},
    {"region", "行政区划", 0},
    {"industry", "行业类别", 0},
    {"items", "抽查事项", 0},
    {"authority", "检查机关", 0},
    {"joint_authorities", "联合检查部门", 0},
    {"check_date", "检查日期", 1},
    {"result_code", "检查结果代码", 0},
    {"result", "检查结果", 0},
    {"summary", "检查情况", 0},
    {"task", "抽查任务", 0},
    {"published_date", "公示日期", 1},
    {"corrected", "是否更正", 0},
    {"corrections", "更正说明", 0},
    {NULL, NULL, 0},
};

/* Joins the strings of array a with sep into a new string (caller frees). */
static char *join(json_t *a, const char *sep)
{
    size_t n = 1, i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v)) n += strlen(json_string_value(v)) + strlen(sep);
    char *out = calloc(1, n), *p = out;
    if (!out) return NULL;
    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) continue;
        if (p != out) p = stpcpy(p, sep);
        p = stpcpy(p, json_string_value(v));
    }
    return out;
}

/* Turns the row of one published result (with "records" and its corrections applied) into the
 * exchange record. Returns a new reference or NULL with *e. */
static json_t *record_of(spot_ctx *c, json_t *x, spot_err *e)
{
    char *err = NULL;
    /* the items checked, in the order their first record appears */
    json_t *items = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(x, "records"), i, r) {
        char *name = db_text(c->db, &err, "SELECT name FROM items WHERE id = ?", "i",
                             (long long)json_integer_value(json_object_get(r, "item_id")));
        if (err) {
            json_decref(items);
            spot_fail_db(e, "exchange", err);
            return NULL;
        }
        int seen = 0;
        size_t j;
        json_t *v;
        json_array_foreach(items, j, v) if (name && !strcmp(json_string_value(v), name)) seen = 1;
        if (name && !seen) json_array_append_new(items, json_string(name));
        free(name);
    }
    if (!json_array_size(items)) {
        /* no checkpoint recorded: the items of the task */
        json_decref(items);
        items = db_rows(c->db, &err, "SELECT i.name FROM json_each(?) j JOIN items i ON i.id = j.value ORDER BY j.key", "s",
                        json_string_value(json_object_get(x, "item_ids")) ?: "[]");
        if (!items) {
            spot_fail_db(e, "exchange", err);
            return NULL;
        }
        json_t *names = json_array(), *v;
        json_array_foreach(items, i, v) json_array_append(names, json_object_get(v, "name"));
        json_decref(items);
        items = names;
    }
    json_t *joint = json_loads(json_string_value(json_object_get(x, "joint_units")) ?: "[]", 0, NULL);
    json_t *reasons = json_array();
    json_array_foreach(json_object_get(x, "corrections"), i, r) {
        const char *why = json_string_value(json_object_get(r, "reason"));
        const char *date = json_string_value(json_object_get(r, "date"));
        char *s = xprintf("%s%s%s", date ? date : "", date ? " " : "", why ? why : "");
        json_array_append_new(reasons, json_string(s));
        free(s);
    }
    char *items_s = join(items, "；"), *joint_s = json_is_array(joint) ? join(joint, "、") : NULL;
    char *reasons_s = join(reasons, "；");
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(x, "id")));
    json_t *out = json_object();
    json_object_set_new(out, "record_id", json_string(id));
    static const char *const copy[][2] = {{"uscc", "uscc"}, {"name", "name"}, {"region", "region"},
                                          {"industry", "industry"}, {"authority", "lead_unit"},
                                          {"check_date", "check_date"}, {"result_code", "category"},
                                          {"result", "category_label"}, {"summary", "summary"},
                                          {"task", "task_name"}, {"published_date", "published_date"}};
    for (size_t k = 0; k < sizeof copy / sizeof copy[0]; k++) {
        json_t *v = json_object_get(x, copy[k][1]);
        json_object_set_new(out, copy[k][0], json_is_string(v) ? json_string(json_string_value(v)) : json_string(""));
    }
    json_object_set_new(out, "items", json_string(items_s ? items_s : ""));
    json_object_set_new(out, "joint_authorities", json_string(joint_s ? joint_s : ""));
    json_object_set_new(out, "corrected", json_boolean(json_is_true(json_object_get(x, "corrected"))));
    json_object_set_new(out, "corrections", json_string(reasons_s ? reasons_s : ""));
    free(items_s);
    free(joint_s);
    free(reasons_s);
    json_decref(items);
    json_decref(joint);
    json_decref(reasons);
    /* the keys in layout order */
    json_t *ordered = json_object();
    for (const struct exchange_field *f = exchange_fields; f->key; f++)
        json_object_set(ordered, f->key, json_object_get(out, f->key));
    json_decref(out);
    return ordered;
}

json_t *exchange_results(spot_ctx *c, const exchange_query *q, spot_err *e)
{
    const char *from = q->from && *q->from ? q->from : NULL, *to = q->to && *q->to ? q->to : NULL;
    long long year = 0, task = 0;
    if (q->year && *q->year) {
        char *end;
        year = strtoll(q->year, &end, 10);
        if (*end || year < 1900 || year > 2999)
            return spot_fail(e, SPOT_E_INPUT, "bad_request", "year 应为年份（1900-2999）"), NULL;
    }
    if (q->task && *q->task) {
        char *end;
        task = strtoll(q->task, &end, 10);
        if (*end || task < 1 || task > (1LL << 53))
            return spot_fail(e, SPOT_E_INPUT, "bad_request", "task 应为任务编号"), NULL;
    }
    if ((from && !clock_valid_date(from)) || (to && !clock_valid_date(to)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "from 与 to 应为日期（YYYY-MM-DD）"), NULL;
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err,
        "SELECT r.id, ru.uscc, ru.name, ru.region, ru.industry, r.lead_unit, t.joint_units, "
        "coalesce(r.check_date, " CLOCK_SQL_DAY("r.entered_at") ") AS check_date, r.category, r.category_label, r.summary, "
        "t.name AS task_name, t.item_ids, r.published_date "
        "FROM results r JOIN tasks t ON t.id = r.task_id JOIN result_units ru ON ru.result_id = r.id "
        "WHERE r.status = 'published' AND (?1 = 0 OR t.year = ?1) AND (?2 IS NULL OR r.published_date >= ?2) "
        "AND (?3 IS NULL OR r.published_date <= ?3) AND (?4 = 0 OR r.task_id = ?4) "
        "ORDER BY r.published_date, r.id", "issi", year, from, to, task);
    if (!rows) return spot_fail_db(e, "exchange", err), NULL;
    json_t *records = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        long long id = json_integer_value(json_object_get(x, "id"));
        json_t *recs = db_rows(c->db, &err, "SELECT item_id FROM result_records WHERE result_id = ? ORDER BY pos", "i", id);
        if (!recs) {
            spot_fail_db(e, "exchange", err);
            goto fail;
        }
        json_object_set_new(x, "records", recs);
        if (results_apply_corrections(c, x, e) != 0) goto fail;
        json_t *rec = record_of(c, x, e);
        if (!rec) goto fail;
        json_array_append_new(records, rec);
    }
    json_decref(rows);
    char now[32];
    clock_now_rfc3339(now);
    json_t *filters = json_object();
    if (year) json_object_set_new(filters, "year", json_integer(year));
    if (from) json_object_set_new(filters, "from", json_string(from));
    if (to) json_object_set_new(filters, "to", json_string(to));
    if (task) json_object_set_new(filters, "task", json_integer(task));
    return json_pack("{ss ss so sI so}", "layout", EXCHANGE_LAYOUT, "generated_at", now, "filters", filters, "count",
                     (json_int_t)json_array_size(records), "records", records);
fail:
    json_decref(rows);
    json_decref(records);
    return NULL;
}
