/* stats.c: see stats.h. Definitions (each figure is a plain count over these rows, see
 * tests/http/test_stats.py which recomputes them in SQL):
 *   checked units: the rows of task_units of the year's dispatched tasks (tasks.year = year), with
 *     the unit's region (township) and industry from the directory, the task's lead unit (org) and
 *     the unit's result if one is entered (any status);
 *   results: checked units with a result; published: with a published result; problems: with a
 *     result whose follow_up is 1 (the category needs follow-up, categories.lua);
 *     problem_rate = problems / results (0 when there are none);
 *   joint: checked units of tasks with at least one joint unit (joint_units not empty);
 *   overdue: checked units of tasks that ended before today without a result (no_result); results
 *     not published whose publication deadline is before today (unpublished_past_due); results
 *     published after their deadline (published_late);
 *   coverage (5.1.2): active units of the directory whose industry is "general"
 *     (categories.category_code) and how many of them the year's dispatched tasks drew, against
 *     sampling.floor("general_other"); need = ceil(units * floor);
 *   monthly: per month of the year, the checked units of tasks that started in it, the results
 *     published in it (published_date) and the problems among the units of tasks started in it.
 */
#include "stats.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "db.h"
#include "decide.h"

/* The checked units of a year as one subquery (year bound as ?1). */
#define CHECKED                                                                                        \
    "(SELECT t.id AS task_id, t.name AS task_name, t.lead_unit AS org, t.start_date, t.end_date, "      \
    "json_array_length(t.joint_units) > 0 AS joint, u.uscc, e.name, e.region AS township, e.industry, " \
    "r.id AS result_id, r.category, r.category_label, r.status AS result_status, "                     \
    "coalesce(r.follow_up, 0) AS problem, r.due_date, r.published_date, r.published_late "             \
    "FROM tasks t JOIN task_units u ON u.task_id = t.id JOIN enterprises e ON e.id = u.enterprise_id "   \
    "LEFT JOIN results r ON r.task_id = t.id AND r.uscc = u.uscc "                                      \
    "WHERE t.year = ?1 AND t.status = 'dispatched')"

#define FIGURES                                                                                         \
    "count(*) AS units, count(result_id) AS results, "                                                   \
    "sum(result_status IS 'published') AS published, sum(problem) AS problems"

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "stats", err);
}

/* Adds problem_rate = problems / results to every object of rows (borrowed), or to one object. */
static void rate(json_t *o)
{
    long long res = json_integer_value(json_object_get(o, "results"));
    long long p = json_integer_value(json_object_get(o, "problems"));
    json_object_set_new(o, "problem_rate", json_real(res ? (double)p / (double)res : 0.0));
}

static void rates(json_t *rows)
{
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o) rate(o);
}

/* sum() of no rows is NULL: totals read as 0. */
static void zeroes(json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) if (json_is_null(v)) json_object_set_new(o, k, json_integer(0));
}

/* stats_coverage: see stats.h. */
json_t *stats_coverage(spot_ctx *c, long long year, spot_err *e)
{
    char *err = NULL;
    json_t *ind = db_rows(c->db, &err,
        "SELECT e.industry, count(*) AS units, count(d.enterprise_id) AS drawn FROM enterprises e "
        "LEFT JOIN (SELECT DISTINCT u.enterprise_id FROM task_units u JOIN tasks t ON t.id = u.task_id "
        "WHERE t.year = ?1 AND t.status = 'dispatched') d ON d.enterprise_id = e.id "
        "WHERE e.status = 'active' GROUP BY e.industry ORDER BY e.industry", "i", year);
    if (!ind) return fail_db(e, err), NULL;
    json_t *out = NULL, *gen = json_array();
    long long units = 0, drawn = 0;
    size_t i;
    json_t *x;
    json_array_foreach(ind, i, x) {
        json_t *r = decide_call(c, "categories", "category_code", json_pack("[O]", json_object_get(x, "industry")), e);
        if (!r) goto done;
        int general = !strcmp(json_string_value(json_array_get(r, 0)) ? json_string_value(json_array_get(r, 0)) : "",
                              "general");
        json_decref(r);
        if (!general) continue;
        units += json_integer_value(json_object_get(x, "units"));
        drawn += json_integer_value(json_object_get(x, "drawn"));
        json_array_append(gen, x);
    }
    json_t *f = decide_call(c, "sampling", "floor", json_pack("[s]", "general_other"), e);
    if (!f) goto done;
    double floor_ratio = json_number_value(json_array_get(f, 0));
    json_decref(f);
    long long need = (long long)ceil((double)units * floor_ratio - 1e-9);
    out = json_pack("{sI sI sf sI sf sb so}", "general_units", (json_int_t)units, "drawn", (json_int_t)drawn,
                    "floor", floor_ratio, "need", (json_int_t)need, "ratio", units ? (double)drawn / (double)units : 0.0,
                    "met", drawn >= need, "industries", gen);
    gen = NULL;
done:
    json_decref(gen);
    json_decref(ind);
    return out;
}

/* Rows of sql (year bound as ?1) with their problem rates, stored in out under key.
 * Returns 0 or -1 with *err. */
static int group(spot_ctx *c, json_t *out, const char *key, const char *sql, long long year, char **err)
{
    json_t *rows = db_rows(c->db, err, sql, "i", year);
    if (!rows) return -1;
    rates(rows);
    json_object_set_new(out, key, rows);
    return 0;
}

json_t *stats_year(spot_ctx *c, long long year, spot_err *e)
{
    char today[16], *err = NULL;
    clock_today(today);
    json_t *out = json_pack("{sI}", "year", (json_int_t)year);
    json_t *tot = db_row(c->db, &err, "SELECT " FIGURES ", sum(joint) AS joint_units, "
                                      "count(DISTINCT task_id) AS tasks, count(DISTINCT CASE WHEN joint THEN task_id END) AS joint_tasks "
                                      "FROM " CHECKED, "i", year);
    if (!tot) goto db_fail;
    zeroes(tot);
    rate(tot);
    json_object_set_new(out, "totals", tot);
    if (group(c, out, "by_org", "SELECT org AS key, " FIGURES " FROM " CHECKED " GROUP BY org ORDER BY units DESC, org", year, &err) ||
        group(c, out, "by_township", "SELECT township AS key, " FIGURES " FROM " CHECKED " GROUP BY township ORDER BY units DESC, township", year, &err) ||
        group(c, out, "by_industry", "SELECT industry AS key, " FIGURES " FROM " CHECKED " GROUP BY industry ORDER BY units DESC, industry", year, &err) ||
        group(c, out, "by_category", "SELECT coalesce(category, '') AS key, coalesce(category_label, '未录入结果') AS label, " FIGURES
                                     " FROM " CHECKED " GROUP BY category ORDER BY category IS NULL, category", year, &err) ||
        group(c, out, "joint", "SELECT CASE joint WHEN 1 THEN 'joint' ELSE 'single' END AS key, count(DISTINCT task_id) AS tasks, "
                               FIGURES " FROM " CHECKED " GROUP BY joint ORDER BY joint DESC", year, &err))
        goto db_fail;
    json_t *od = db_row(c->db, &err, "SELECT sum(end_date < ?2 AND result_id IS NULL) AS no_result, "
                                     "sum(result_id IS NOT NULL AND result_status <> 'published' AND due_date < ?2) AS unpublished_past_due, "
                                     "sum(published_late IS 1) AS published_late FROM " CHECKED, "is", year, today);
    if (!od) goto db_fail;
    zeroes(od);
    json_object_set_new(out, "overdue", od);
    json_t *months = json_array();
    json_object_set_new(out, "monthly", months);
    for (int m = 1; m <= 12; m++) {
        char ym[16];
        snprintf(ym, sizeof ym, "%04lld-%02d", year, m);
        json_t *row = db_row(c->db, &err, "SELECT ?2 AS month, sum(substr(start_date, 1, 7) = ?2) AS units, "
                                          "sum(substr(published_date, 1, 7) = ?2) AS published, "
                                          "sum(substr(start_date, 1, 7) = ?2 AND problem) AS problems FROM " CHECKED,
                             "is", year, ym);
        if (!row) goto db_fail;
        zeroes(row);
        json_array_append_new(months, row);
    }
    json_t *cov = stats_coverage(c, year, e);
    if (!cov) goto fail;
    json_object_set_new(out, "coverage", cov);
    return out;
db_fail:
    fail_db(e, err);
fail:
    json_decref(out);
    return NULL;
}

json_t *stats_rows(spot_ctx *c, long long year, const char *dim, const char *key, long long problem, spot_err *e)
{
    static const struct {
        const char *dim, *where;
    } dims[] = {
        {"all", "1"},
        {"org", "org = ?2"},
        {"township", "township = ?2"},
        {"industry", "industry = ?2"},
        {"category", "coalesce(category, '') = ?2"},
        {"month", "substr(start_date, 1, 7) = ?2"},
        {"joint", "joint = (?2 = 'joint')"},
    };
    const char *where = NULL;
    for (size_t i = 0; dim && i < sizeof dims / sizeof dims[0]; i++)
        if (!strcmp(dims[i].dim, dim)) where = dims[i].where;
    if (!where)
        return spot_fail(e, SPOT_E_INPUT, "bad_parameter", "dim 应为 all、org、township、industry、category、month 或 joint"), NULL;
    if (strcmp(dim, "all") && !key)
        return spot_fail(e, SPOT_E_INPUT, "bad_parameter", "需要 key（要查看的统计项）"), NULL;
    char sql[2048], *err = NULL;
    snprintf(sql, sizeof sql, "SELECT task_id, task_name, org, start_date, end_date, joint, uscc, name, township, industry, "
                              "category, category_label, result_status, problem, due_date, published_date FROM " CHECKED
                              " WHERE %s AND (?3 < 0 OR problem = ?3) ORDER BY task_id, uscc", where);
    json_t *rows = db_rows(c->db, &err, sql, "isi", year, key ? key : "", problem);
    if (!rows) return fail_db(e, err), NULL;
    return json_pack("{so}", "rows", rows);
}
