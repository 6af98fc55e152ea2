/* plans.c: the annual plan (6.1), domain side (api_plans.c is the HTTP side). C checks shapes and
 * types (SPOT_E_INPUT); the plans rule decides whether the content is acceptable (SPOT_E_INVALID
 * plan_invalid with its problems, each with reason and clause). Every change of a stored plan keeps
 * the previous version and the reason in plan_adjustments; those made after publication are public. */
#include "plans.h"
#include "stats.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "luahost.h"
#include "jsonutil.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 4000

static const char *const PLAN_FIELDS[] = {"year", "name", "scope", "ratios", "schedule", "estimated_count",
                                          "joint_checks", "tasks", "filed_at", "filed_with", NULL};
static const char *const PLAN_JSON[] = {"ratios", "schedule", "tasks", NULL};

json_t *plans_load(sqlite3 *db, long long id, char **err)
{
    json_t *p = db_row(db, err, "SELECT * FROM plans WHERE id = ?", "i", id);
    if (p) spot_decode_json(p, PLAN_JSON);
    return p;
}

static int bad(spot_err *e, const char *field, const char *what)
{
    return spot_fail(e, SPOT_E_INPUT, "bad_request", "字段 %s %s", field, what);
}

/* Checks the types of the plan fields present in in (all required when full). Returns 0, or -1
 * with *e (SPOT_E_INPUT). */
static int check_types(json_t *in, int full, spot_err *e)
{
    if (spot_check_fields(in, PLAN_FIELDS, e) != 0) return -1;
    json_t *v;
    if ((v = json_object_get(in, "year")) || full)
        if (!json_is_integer(v) || json_integer_value(v) < 1900 || json_integer_value(v) > 2999)
            return bad(e, "year", "须为1900至2999之间的整数年份");
    static const char *const texts[] = {"name", "scope"};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(in, texts[i])) || full)
            if (!json_is_string(v) || json_string_length(v) > TEXT_MAX) return bad(e, texts[i], "须为文本");
    if ((v = json_object_get(in, "ratios")) || full) {
        if (!json_is_object(v)) return bad(e, "ratios", "须为对象 {抽查层: 比例}");
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
            if (!json_is_number(x)) return bad(e, "ratios", "的每个比例须为数字");
    }
    if ((v = json_object_get(in, "schedule")) || full) {
        if (json_is_array(v)) {
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x)
                if (!json_is_string(x)) return bad(e, "schedule", "须为文本或文本数组");
        } else if (!json_is_string(v)) {
            return bad(e, "schedule", "须为文本或文本数组");
        }
    }
    if ((v = json_object_get(in, "estimated_count")) || full)
        if (!json_is_integer(v) || json_integer_value(v) < 0) return bad(e, "estimated_count", "须为非负整数");
    if ((v = json_object_get(in, "joint_checks")) && (!json_is_integer(v) || json_integer_value(v) < 0))
        return bad(e, "joint_checks", "须为非负整数");
    if ((v = json_object_get(in, "tasks"))) {
        if (!json_is_array(v)) return bad(e, "tasks", "须为数组");
        size_t i;
        json_t *t;
        static const char *const tf[] = {"name", "joint", "start_date", "end_date", NULL};
        json_array_foreach(v, i, t) {
            if (!json_is_object(t)) return bad(e, "tasks", "的元素须为对象");
            if (spot_check_fields(t, tf, e) != 0) return -1;
            json_t *j = json_object_get(t, "joint");
            if (!json_is_string(json_object_get(t, "name")) || (j && !json_is_boolean(j)))
                return bad(e, "tasks", "的元素须有 name（文本）和 joint（布尔）");
            json_t *s = json_object_get(t, "start_date"), *en = json_object_get(t, "end_date");
            if ((s && !json_is_string(s)) || (en && !json_is_string(en))) return bad(e, "tasks", "的日期须为 YYYY-MM-DD");
        }
    }
    if ((v = json_object_get(in, "filed_at")) && !json_is_null(v))
        if (!json_is_string(v) || !clock_valid_date(json_string_value(v)))
            return bad(e, "filed_at", "须为有效日期 YYYY-MM-DD");
    if ((v = json_object_get(in, "filed_with")) && !json_is_null(v))
        if (!json_is_string(v) || json_string_length(v) > TEXT_MAX) return bad(e, "filed_with", "须为文本");
    return 0;
}

/* Runs plans.validate on plan. Returns 0 if ok; else -1 with *e: SPOT_E_RULE when the rule failed,
 * SPOT_E_INVALID plan_invalid (message: the first problem's reason) with *problems (new reference,
 * caller frees) when it refused the plan. */
static int validate(spot_ctx *c, json_t *plan, json_t **problems, spot_err *e)
{
    json_t *lp = json_pack("{sO? sO? sO? sO? sO? sO? sO? sO?}", "year", json_object_get(plan, "year"),
                           "name", json_object_get(plan, "name"), "scope", json_object_get(plan, "scope"),
                           "ratios", json_object_get(plan, "ratios"), "schedule", json_object_get(plan, "schedule"),
                           "estimated_count", json_object_get(plan, "estimated_count"),
                           "tasks", json_object_get(plan, "tasks"), "joint_checks", json_object_get(plan, "joint_checks"));
    json_t *args = json_pack("[o]", lp), *ret = NULL;
    char *err = NULL;
    int rc = lh_call(c->w->lua, "plans", "validate", args, &ret, &err);
    json_decref(args);
    if (rc != 0) return spot_fail_rule(e, err);
    json_t *d = json_array_get(ret, 0);
    if (json_is_true(json_object_get(d, "ok"))) {
        json_decref(ret);
        return 0;
    }
    json_t *pr = json_object_get(d, "problems");
    const char *first = json_string_value(json_object_get(json_array_get(pr, 0), "reason"));
    spot_fail(e, SPOT_E_INVALID, "plan_invalid", "%s", first ? first : "计划未通过校验");
    *problems = pr ? json_incref(pr) : json_array();
    json_decref(ret);
    return -1;
}

static json_t *with_adjustments(sqlite3 *db, json_t *plan, int public_only, char **err)
{
    json_t *adj = db_rows(db, err, public_only
        ? "SELECT version, at, reason, changes FROM plan_adjustments WHERE plan_id = ? AND published = 1 ORDER BY id"
        : "SELECT version, at, actor, reason, published, changes FROM plan_adjustments WHERE plan_id = ? ORDER BY id",
        "i", (long long)json_integer_value(json_object_get(plan, "id")));
    if (!adj) return NULL;
    size_t i;
    json_t *a;
    static const char *const keys[] = {"changes", NULL};
    json_array_foreach(adj, i, a) spot_decode_json(a, keys);
    json_object_set_new(plan, "adjustments", adj);
    json_object_set_new(plan, "filed", json_boolean(!json_is_null(json_object_get(plan, "filed_at")) &&
                                                    json_object_get(plan, "filed_at")));
    return plan;
}

/* Sets p's "warnings" to plans.warnings over p and the tasks of its year (joint_tasks: tasks with at
 * least one joint org, 6.2 computed, not typed; coverage: the year's general units and how many
 * were drawn, 5.1.2). Returns 0, or -1 with *e. */
static int with_warnings(spot_ctx *c, json_t *p, spot_err *e)
{
    char *err = NULL;
    long long joint = db_int(c->db, &err, 0, "SELECT count(*) FROM tasks WHERE year = ? AND joint_org_ids <> '[]'", "i",
                             (long long)json_integer_value(json_object_get(p, "year")));
    if (err) return spot_fail_db(e, "plans", err);
    /* 5.1.2 over the year so far: the rule warns ahead of the year's end (accountability flags it after) */
    json_t *cov = stats_coverage(c, (long long)json_integer_value(json_object_get(p, "year")), e);
    if (!cov) return -1;
    json_t *lp = json_pack("{sO? sO? sI s{sO sO}}", "year", json_object_get(p, "year"), "tasks", json_object_get(p, "tasks"),
                           "joint_tasks", (json_int_t)joint, "coverage", "general_units",
                           json_object_get(cov, "general_units"), "drawn", json_object_get(cov, "drawn"));
    json_decref(cov);
    json_t *args = json_pack("[o]", lp), *ret = NULL;
    int rc = lh_call(c->w->lua, "plans", "warnings", args, &ret, &err);
    json_decref(args);
    if (rc != 0) return spot_fail_rule(e, err);
    json_t *w = json_array_get(ret, 0);
    json_object_set_new(p, "joint_tasks", json_integer(joint));
    json_object_set_new(p, "warnings", json_is_array(w) ? json_incref(w) : json_array());
    json_decref(ret);
    return 0;
}

/* The staff view of plan id with its adjustments and warnings (new reference), or NULL with *e. */
static json_t *plan_view(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *p = plans_load(c->db, id, &err);
    if (!p || !with_adjustments(c->db, p, 0, &err)) {
        json_decref(p);
        spot_fail_db(e, "plans", err);
        return NULL;
    }
    if (with_warnings(c, p, e) != 0) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* The stored plan id (new reference), or NULL with *e (SPOT_E_NOTFOUND or SPOT_E_DB). */
static json_t *plan_or_404(sqlite3 *db, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *p = id > 0 ? plans_load(db, id, &err) : NULL;
    if (!p) {
        if (err) spot_fail_db(e, "plans", err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个计划");
    }
    return p;
}

json_t *plans_list(spot_ctx *c, const char *year, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT id FROM plans WHERE (? IS NULL OR year = ?) ORDER BY year DESC, id DESC",
                           "ss", year, year);
    if (!rows) return spot_fail_db(e, "plans", err), NULL;
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *p = plans_load(c->db, json_integer_value(json_object_get(row, "id")), &err);
        if (!p) {
            json_decref(rows);
            json_decref(out);
            return spot_fail_db(e, "plans", err), NULL;
        }
        json_array_append_new(out, p);
    }
    json_decref(rows);
    return json_pack("{so}", "plans", out);
}

json_t *plans_create(spot_ctx *c, json_t *in, json_t **problems, spot_err *e)
{
    if (check_types(in, 1, e) != 0) return NULL;
    json_t *plan = json_deep_copy(in);
    if (!json_object_get(plan, "tasks")) json_object_set_new(plan, "tasks", json_array());
    if (!json_object_get(plan, "joint_checks")) json_object_set_new(plan, "joint_checks", json_integer(0));
    if (validate(c, plan, problems, e) != 0) { json_decref(plan); return NULL; }
    char *err = NULL, at[32];
    clock_now_rfc3339(at);
    if (db_begin(c->db, &err) != 0) { json_decref(plan); return spot_fail_db(e, "plans", err), NULL; }
    json_t *fa = json_object_get(plan, "filed_at"), *fw = json_object_get(plan, "filed_with");
    int rc = db_run(c->db, &err,
        "INSERT INTO plans(year, name, scope, ratios, schedule, estimated_count, joint_checks, tasks, filed_at, "
        "filed_with, rule_sha, author, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "jjjjjjjjssssss", json_object_get(plan, "year"), json_object_get(plan, "name"), json_object_get(plan, "scope"),
        json_object_get(plan, "ratios"), json_object_get(plan, "schedule"), json_object_get(plan, "estimated_count"),
        json_object_get(plan, "joint_checks"), json_object_get(plan, "tasks"), json_string_value(fa),
        json_string_value(fw), worker_rule_sha(c->w, "plans"), ctx_actor(c), at, at);
    long long id = sqlite3_last_insert_rowid(c->db);
    char obj[32];
    snprintf(obj, sizeof obj, "plan:%lld", id);
    if (rc < 0 || audit_log(c->db, ctx_actor(c), "plan.create", obj, plan, &err) != 0 || db_commit(c->db, &err) != 0) {
        json_decref(plan);
        return spot_fail_db(e, "plans", err), NULL;
    }
    json_decref(plan);
    return plan_view(c, id, e);
}

json_t *plans_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *p = plan_or_404(c->db, id, e);
    char *err = NULL;
    if (p && !with_adjustments(c->db, p, 0, &err)) {
        json_decref(p);
        return spot_fail_db(e, "plans", err), NULL;
    }
    if (p && with_warnings(c, p, e) != 0) {
        json_decref(p);
        return NULL;
    }
    return p;
}

json_t *plans_adjust(spot_ctx *c, long long id, json_t *body, json_t **problems, spot_err *e)
{
    char *err = NULL;
    json_t *cur = plan_or_404(c->db, id, e);
    if (!cur) return NULL;
    json_t *in = json_deep_copy(body), *out = NULL;
    json_t *reason = json_object_get(in, "reason");
    json_incref(reason);
    json_object_del(in, "reason");
    int published = !strcmp(json_string_value(json_object_get(cur, "status")), "published");
    if (check_types(in, 0, e) != 0) goto done;
    if (reason && (!json_is_string(reason) || json_string_length(reason) > TEXT_MAX)) {
        bad(e, "reason", "须为文本");
        goto done;
    }
    if (published && (!reason || json_string_length(reason) == 0)) {
        spot_fail(e, SPOT_E_INPUT, "reason_required", "已公示的计划调整须说明理由（reason）");
        goto done;
    }
    json_t *next = json_deep_copy(cur), *changes = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(in, k, v) {
        json_t *old = json_object_get(cur, k);
        if (!json_equal(old, v)) json_object_set_new(changes, k, json_pack("[OO]", old ? old : json_null(), v));
        json_object_set(next, k, v);
    }
    if (json_object_size(changes) == 0) {
        json_decref(next);
        json_decref(changes);
        if (!with_adjustments(c->db, cur, 0, &err)) { spot_fail_db(e, "plans", err); goto done; }
        out = json_incref(cur);
        goto done;
    }
    if (validate(c, next, problems, e) != 0) { json_decref(next); json_decref(changes); goto done; }
    char at[32], obj[32];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "plan:%lld", id);
    json_t *prev = json_deep_copy(cur);
    json_t *details = json_pack("{sO sO?}", "changes", changes, "reason", reason);
    int ok = db_begin(c->db, &err) == 0 &&
        db_run(c->db, &err, "INSERT INTO plan_adjustments(plan_id, version, at, actor, reason, published, changes, "
                            "previous) VALUES (?,?,?,?,?,?,?,?)", "iisssijj", id,
               (long long)json_integer_value(json_object_get(cur, "version")), at, ctx_actor(c),
               reason ? json_string_value(reason) : "", (long long)published, changes, prev) >= 0 &&
        db_run(c->db, &err, "UPDATE plans SET year=?, name=?, scope=?, ratios=?, schedule=?, estimated_count=?, "
                            "joint_checks=?, tasks=?, filed_at=?, filed_with=?, rule_sha=?, version=version+1, "
                            "updated_at=? WHERE id=?", "jjjjjjjjssssi",
               json_object_get(next, "year"), json_object_get(next, "name"), json_object_get(next, "scope"),
               json_object_get(next, "ratios"), json_object_get(next, "schedule"),
               json_object_get(next, "estimated_count"), json_object_get(next, "joint_checks"),
               json_object_get(next, "tasks"), json_string_value(json_object_get(next, "filed_at")),
               json_string_value(json_object_get(next, "filed_with")), worker_rule_sha(c->w, "plans"), at, id) >= 0 &&
        audit_log(c->db, ctx_actor(c), "plan.adjust", obj, details, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(details);
    json_decref(prev);
    json_decref(next);
    json_decref(changes);
    if (!ok) { spot_fail_db(e, "plans", err); goto done; }
    out = plan_view(c, id, e);
done:
    json_decref(in);
    json_decref(reason);
    json_decref(cur);
    return out;
}

json_t *plans_publish(spot_ctx *c, long long id, json_t **problems, spot_err *e)
{
    char *err = NULL;
    json_t *cur = plan_or_404(c->db, id, e);
    if (!cur) return NULL;
    if (!strcmp(json_string_value(json_object_get(cur, "status")), "published")) {
        json_decref(cur);
        return spot_fail(e, SPOT_E_CONFLICT, "already_published", "计划已公示"), NULL;
    }
    if (validate(c, cur, problems, e) != 0) { json_decref(cur); return NULL; }
    json_decref(cur);
    char at[32], obj[32];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "plan:%lld", id);
    json_t *d = json_pack("{ss}", "published_at", at);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE plans SET status='published', published_at=?, updated_at=? WHERE id=? "
                                 "AND status='draft'", "ssi", at, at, id) == 1 &&
             audit_log(c->db, ctx_actor(c), "plan.publish", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    if (!ok) return spot_fail_db(e, "plans", err ? err : strdup("plan changed concurrently")), NULL;
    return plan_view(c, id, e);
}

json_t *plans_public(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT id, year, name, scope, ratios, schedule, estimated_count, joint_checks, "
                                        "tasks, filed_at, filed_with, published_at, version, updated_at FROM plans "
                                        "WHERE status = 'published' ORDER BY year DESC, id DESC", "");
    if (!rows) return spot_fail_db(e, "plans", err), NULL;
    size_t i;
    json_t *p;
    json_array_foreach(rows, i, p) {
        spot_decode_json(p, PLAN_JSON);
        if (!with_adjustments(c->db, p, 1, &err)) {
            json_decref(rows);
            return spot_fail_db(e, "plans", err), NULL;
        }
    }
    return json_pack("{so}", "plans", rows);
}
