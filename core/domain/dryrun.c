/* dryrun.c: active vs candidate rule set on current data. Nothing is written. */
#include "dryrun.h"
#include "clock.h"
#include "db.h"
#include "history.h"
#include "ruledata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 200   /* changed units listed in full; the counts cover all */

/* One call returning its results array (new ref) or NULL with *err. */
static json_t *call(lh_state *h, const char *rule, const char *fn, json_t *args, char **err)
{
    json_t *ret = NULL;
    if (lh_call(h, rule, fn, args, &ret, err) != 0) return NULL;
    return ret;
}

static int same(json_t *a, json_t *b)
{
    return json_equal(a, b);
}

/* Adds size to strata[name] (creating it). */
static void bump(json_t *strata, const char *name)
{
    json_t *n = json_object_get(strata, name);
    json_object_set_new(strata, name, json_integer(n ? json_integer_value(n) + 1 : 1));
}

static json_t *default_task(void)
{
    char today[11];
    clock_today(today);
    int year = atoi(today);
    char start[11], end[11];
    snprintf(start, sizeof start, "%04d-01-01", year);
    snprintf(end, sizeof end, "%04d-12-31", year);
    return json_pack("{si sb ss ss ss}", "year", year, "directed", 0, "mode", "untargeted", "start_date", start,
                     "end_date", end);
}

/* Every unit, by uscc; its history comes from hist_load (history.h), the query the freeze uses. */
static const char UNITS_SQL[] = "SELECT " RULEDATA_UNIT_COLUMNS " FROM enterprises ORDER BY uscc";

/* The history object of enterprise eid as the freeze gives it to eligibility.check (new
 * reference): drawn_this_year = the number of dispatched tasks of the year that selected the
 * unit, last_drawn = the date of the latest lock among them (absent when never drawn). */
static json_t *unit_history(const hist *h, long long eid)
{
    const hist_row *r = hist_find(h, eid);
    json_t *o = json_pack("{sI}", "drawn_this_year", (json_int_t)(r ? r->n : 0));
    if (r && r->last) json_object_set_new(o, "last_drawn", json_string(r->last));
    if (r && r->open_case) json_object_set_new(o, "open_case", json_string(r->open_case));
    json_object_set_new(o, "drawn_last_year", json_integer(r ? r->prev : 0));
    json_object_set_new(o, "cases_this_year", json_integer(r ? r->cases : 0));
    return o;
}

static int compare_units(sqlite3 *db, lh_state *cur, lh_state *cand, json_t *task, json_t *report, char **err)
{
    /* the history of the task's year; of this year for a task without one */
    json_t *jyear = json_object_get(task, "year");
    char today[11];
    clock_today(today);
    long long year = json_is_integer(jyear) ? (long long)json_integer_value(jyear) : atoll(today);
    hist hs;
    if (hist_load(db, year, 0, NULL, NULL, &hs, err) != 0) return -1;
    sqlite3_stmt *st = db_prepare(db, err, UNITS_SQL, "");
    if (!st) {
        hist_free(&hs);
        return -1;
    }
    json_t *changed = json_array(), *sizes_cur = json_object(), *sizes_new = json_object();
    long long n = 0, n_changed = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *unit = ruledata_unit(st);
        json_t *history = unit_history(&hs, sqlite3_column_int64(st, 0));
        json_t *args = json_pack("[OOO]", unit, task, history);
        json_t *sargs = json_pack("[OO]", unit, task);
        json_t *e0 = call(cur, "eligibility", "check", args, err);
        json_t *e1 = e0 ? call(cand, "eligibility", "check", args, err) : NULL;
        json_t *s0 = e1 ? call(cur, "sampling", "stratum", sargs, err) : NULL;
        json_t *s1 = s0 ? call(cand, "sampling", "stratum", sargs, err) : NULL;
        if (!s1) rc = -1;
        else {
            json_t *d0 = json_array_get(e0, 0), *d1 = json_array_get(e1, 0);
            int ok0 = json_is_true(json_object_get(d0, "ok")), ok1 = json_is_true(json_object_get(d1, "ok"));
            const char *st0 = json_string_value(json_array_get(s0, 0)), *st1 = json_string_value(json_array_get(s1, 0));
            if (ok0 && st0) bump(sizes_cur, st0);
            if (ok1 && st1) bump(sizes_new, st1);
            if (ok0 != ok1 || (ok0 && !same(json_array_get(s0, 0), json_array_get(s1, 0)))) {
                n_changed++;
                if (json_array_size(changed) < LIST_MAX)
                    json_array_append_new(changed, json_pack("{sO sO s{sb sO sO} s{sb sO sO}}",
                        "uscc", json_object_get(unit, "uscc"), "name", json_object_get(unit, "name"),
                        "before", "eligible", ok0, "stratum", json_array_get(s0, 0), "decision", d0,
                        "after", "eligible", ok1, "stratum", json_array_get(s1, 0), "decision", d1));
            }
        }
        n++;
        json_decref(e0); json_decref(e1); json_decref(s0); json_decref(s1);
        json_decref(args); json_decref(sargs); json_decref(unit); json_decref(history);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_finalize(st);
    hist_free(&hs);
    if (rc != 0) {
        json_decref(changed); json_decref(sizes_cur); json_decref(sizes_new);
        return -1;
    }
    /* Stratum sizes and counts under both sets. */
    json_t *strata = json_array();
    const char *name;
    json_t *v;
    json_t *all = json_object();
    json_object_foreach(sizes_cur, name, v) json_object_set_new(all, name, json_true());
    json_object_foreach(sizes_new, name, v) json_object_set_new(all, name, json_true());
    json_object_foreach(all, name, v) {
        json_int_t z0 = json_integer_value(json_object_get(sizes_cur, name));
        json_int_t z1 = json_integer_value(json_object_get(sizes_new, name));
        json_t *a0 = json_pack("[sIO]", name, z0, task), *a1 = json_pack("[sIO]", name, z1, task);
        json_t *c0 = call(cur, "sampling", "count", a0, err);
        json_t *c1 = c0 ? call(cand, "sampling", "count", a1, err) : NULL;
        json_decref(a0);
        json_decref(a1);
        if (!c1) { json_decref(c0); rc = -1; break; }
        json_array_append_new(strata, json_pack("{ss s{sI sO sO} s{sI sO sO} sb}", "name", name,
            "before", "size", z0, "draw", json_array_get(c0, 0), "reason", json_array_get(c0, 1),
            "after", "size", z1, "draw", json_array_get(c1, 0), "reason", json_array_get(c1, 1),
            "changed", z0 != z1 || !json_equal(json_array_get(c0, 0), json_array_get(c1, 0))));
        json_decref(c0);
        json_decref(c1);
    }
    json_decref(all);
    json_decref(sizes_cur);
    json_decref(sizes_new);
    json_object_set_new(report, "units_checked", json_integer(n));
    json_object_set_new(report, "units_changed", json_integer(n_changed));
    json_object_set_new(report, "changed_units", changed);
    json_object_set_new(report, "strata", strata);
    return rc;
}

/* Deadlines: every base date of last, this and next year through the three deadline functions. */
static int compare_deadlines(lh_state *cur, lh_state *cand, json_t *report, char **err)
{
    static const char *const fns[] = {"publication_due", "objection_review_due", "feedback_due"};
    char today[11];
    clock_today(today);
    int year = atoi(today);
    json_t *moved = json_array();
    long long n_moved = 0;
    for (int y = year - 1; y <= year + 1; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                char date[11];
                snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
                if (!clock_valid_date(date)) continue;
                json_t *args = json_pack("[s]", date);
                for (int f = 0; f < 3; f++) {
                    json_t *r0 = call(cur, "deadlines", fns[f], args, err);
                    json_t *r1 = r0 ? call(cand, "deadlines", fns[f], args, err) : NULL;
                    if (!r1) { json_decref(r0); json_decref(args); json_decref(moved); return -1; }
                    json_t *d0 = json_object_get(json_array_get(r0, 0), "date");
                    json_t *d1 = json_object_get(json_array_get(r1, 0), "date");
                    if (!json_equal(d0, d1)) {
                        n_moved++;
                        if (json_array_size(moved) < LIST_MAX)
                            json_array_append_new(moved, json_pack("{ss ss sO sO}", "deadline", fns[f], "from", date,
                                                                   "before", d0, "after", d1));
                    }
                    json_decref(r0);
                    json_decref(r1);
                }
                json_decref(args);
            }
    json_object_set_new(report, "deadlines_moved", json_integer(n_moved));
    json_object_set_new(report, "moved_deadlines", moved);
    return 0;
}

int dryrun_compare(sqlite3 *db, lh_state *cur, lh_state *cand, json_t *task, json_t **report, char **err)
{
    json_t *t = json_is_object(task) ? json_incref(task) : default_task();
    json_t *rep = json_object();
    json_object_set(rep, "task", t);
    int rc = compare_units(db, cur, cand, t, rep, err);
    if (rc == 0) rc = compare_deadlines(cur, cand, rep, err);
    json_decref(t);
    if (rc != 0) {
        json_decref(rep);
        return -1;
    }
    *report = rep;
    return 0;
}
