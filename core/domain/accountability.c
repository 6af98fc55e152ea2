/* accountability.c: accountability (clauses 10.1, 10.2). The state handed to
 * accountability.situations(state, today) (rules/README.md): tasks that ended before today (not
 * drafts) with their unit, entered and published result counts; referrals still to be made;
 * objections not closed; per year (this and the last) and industry, the active units and the units
 * drawn (5.1.2 coverage). Exemptions name an object "task:N", "referral:N", "objection:N" that must
 * exist, or "year:YYYY".
 */
#include "accountability.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "decide.h"
#include "jsonutil.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 4000

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "accountability", err);
}

/* The state table of rules/accountability.lua as of today. New reference or NULL with *err. */
static json_t *state_of(sqlite3 *db, const char *today, char **err)
{
    json_t *tasks = db_rows(db, err,
        "SELECT t.id, t.name, t.end_date, t.status, "
        "(SELECT count(*) FROM task_units u WHERE u.task_id = t.id) AS units, "
        "(SELECT count(*) FROM results r WHERE r.task_id = t.id) AS results_entered, "
        "(SELECT count(*) FROM results r WHERE r.task_id = t.id AND r.status = 'published') AS results_published "
        "FROM tasks t WHERE t.status <> 'draft' AND t.end_date < ? ORDER BY t.id", "s", today);
    if (!tasks) return NULL;
    json_t *refs = db_rows(db, err, "SELECT id, result_id, found_date FROM followups WHERE kind = 'referral' "
                                    "AND state = 'found' ORDER BY id", "");
    if (!refs) { json_decref(tasks); return NULL; }
    size_t i;
    json_t *x;
    json_array_foreach(refs, i, x) {
        json_object_set_new(x, "suspected_crime", json_true());
        json_object_set_new(x, "referred", json_false());
    }
    json_t *objs = db_rows(db, err, "SELECT id, received, review_due, decided, feedback_due, feedback_sent FROM objections "
                                    "WHERE status <> 'closed' ORDER BY id", "");
    if (!objs) { json_decref(tasks); json_decref(refs); return NULL; }
    /* 5.1.2 over the year: per industry, the active units of the directory and the distinct units
     * drawn by dispatched tasks of that year (this year and the last); the rules decide which
     * industries are general and what the floor is. */
    json_t *cov = json_array();
    int year = atoi(today);
    for (int y = year - 1; y <= year && cov; y++) {
        json_t *ind = db_rows(db, err,
            "SELECT e.industry, count(*) AS units, "
            "count(DISTINCT CASE WHEN d.enterprise_id IS NOT NULL THEN e.id END) AS drawn "
            "FROM enterprises e LEFT JOIN (SELECT DISTINCT u.enterprise_id FROM task_units u JOIN tasks t ON t.id = u.task_id "
            "WHERE t.year = ? AND t.status = 'dispatched') d ON d.enterprise_id = e.id "
            "WHERE e.status = 'active' GROUP BY e.industry ORDER BY e.industry", "i", (long long)y);
        if (!ind) { json_decref(cov); cov = NULL; break; }
        json_array_append_new(cov, json_pack("{si so}", "year", y, "industries", ind));
    }
    if (!cov) { json_decref(tasks); json_decref(refs); json_decref(objs); return NULL; }
    /* 6.2 over the year: per active org, the joint tasks (at least one joint org, frozen or later)
     * it led or joined in that year (this year and the last); the rules decide which orgs owe one. */
    json_t *joint = json_array();
    for (int y = year - 1; y <= year && joint; y++) {
        json_t *orgs = db_rows(db, err,
            "SELECT o.id, o.name, o.kind, (SELECT count(*) FROM tasks t WHERE t.year = ?1 AND t.status <> 'draft' "
            "AND t.joint_org_ids <> '[]' AND (t.lead_org_id = o.id OR EXISTS (SELECT 1 FROM json_each(t.joint_org_ids) j "
            "WHERE j.value = o.id))) AS joint_tasks FROM orgs o WHERE o.active = 1 ORDER BY o.id", "i", (long long)y);
        if (!orgs) { json_decref(joint); joint = NULL; break; }
        json_array_append_new(joint, json_pack("{si so}", "year", y, "orgs", orgs));
    }
    if (!joint) { json_decref(tasks); json_decref(refs); json_decref(objs); json_decref(cov); return NULL; }
    /* 10.1 (五): the open situations recorded by hand */
    json_t *recs = db_rows(db, err, "SELECT id, object, reason, actor, at FROM accountability_records "
                                    "WHERE closed_at IS NULL ORDER BY id", "");
    if (!recs) { json_decref(tasks); json_decref(refs); json_decref(objs); json_decref(cov); json_decref(joint); return NULL; }
    return json_pack("{so so so so so so}", "tasks", tasks, "referrals", refs, "objections", objs, "coverage", cov,
                     "joint", joint, "records", recs);
}

json_t *accountability_situations(spot_ctx *c, const char *q, spot_err *e)
{
    char today[16];
    if (q && *q) {
        if (!clock_valid_date(q)) return spot_fail(e, SPOT_E_INPUT, "bad_date", "today 应为 YYYY-MM-DD 日期"), NULL;
        snprintf(today, sizeof today, "%s", q);
    } else {
        clock_today(today);
    }
    char *err = NULL;
    json_t *state = state_of(c->db, today, &err);
    if (!state) return fail_db(e, err), NULL;
    json_t *ret = decide_call(c, "accountability", "situations", json_pack("[os]", state, today), e);
    if (!ret) return NULL;
    json_t *list = json_array_get(ret, 0);
    if (!json_is_array(list)) list = json_array(); /* an empty Lua table comes back as {} */
    else json_incref(list);
    json_decref(ret);
    json_t *ex = db_rows(c->db, &err, "SELECT id, kind, object, code, reason, rule_reason, clause, rule_sha, actor, at "
                                      "FROM exemptions ORDER BY id", "");
    if (!ex) { json_decref(list); return fail_db(e, err), NULL; }
    size_t i, k;
    json_t *s, *x;
    json_array_foreach(list, i, s) {
        json_t *found = NULL;
        json_array_foreach(ex, k, x)
            if (json_equal(json_object_get(x, "kind"), json_object_get(s, "kind")) &&
                json_equal(json_object_get(x, "object"), json_object_get(s, "object"))) found = x;
        json_object_set_new(s, "exempted", json_boolean(found != NULL));
        json_object_set(s, "exemption", found ? found : json_null());
        /* a referral is shown on its result's page: name the task and the unit */
        const char *obj = json_string_value(json_object_get(s, "object"));
        if (obj && !strncmp(obj, "referral:", 9)) {
            json_t *where = db_row(c->db, &err, "SELECT r.id AS result_id, r.task_id, r.uscc FROM followups f JOIN results r "
                                                "ON r.id = f.result_id WHERE f.id = ?", "i", atoll(obj + 9));
            if (err) { json_decref(list); json_decref(ex); return fail_db(e, err), NULL; }
            if (where) json_object_update(s, where);
            json_decref(where);
        }
    }
    /* the situations recorded by hand (10.1 五), open and closed, newest first */
    json_t *recs = db_rows(c->db, &err, "SELECT id, object, reason, actor, at, closed_at, closed_by, close_reason "
                                        "FROM accountability_records ORDER BY id DESC LIMIT 200", "");
    if (!recs) { json_decref(list); json_decref(ex); return fail_db(e, err), NULL; }
    return json_pack("{ss so so so ss}", "today", today, "situations", list, "exemptions", ex, "records", recs,
                     "rule_sha", worker_rule_sha(c->w, "accountability"));
}

/* Whether object ("task:N", "referral:N", "objection:N") exists: 1, 0, -1 with *e. */
static int object_exists(spot_ctx *c, const char *object, spot_err *e)
{
    static const struct { const char *prefix; const char *sql; } KINDS[] = {
        {"task:", "SELECT count(*) FROM tasks WHERE id = ?"},
        {"referral:", "SELECT count(*) FROM followups WHERE id = ? AND kind = 'referral'"},
        {"objection:", "SELECT count(*) FROM objections WHERE id = ?"},
        {"record:", "SELECT count(*) FROM accountability_records WHERE id = ?"},
        {"year:", "SELECT ? BETWEEN 2000 AND 2999"},
    };
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
        size_t n = strlen(KINDS[i].prefix);
        if (strncmp(object, KINDS[i].prefix, n)) continue;
        const char *num = object + n;
        if (!*num || strlen(num) > 18 || strspn(num, "0123456789") != strlen(num)) return 0;
        char *err = NULL;
        long long cnt = db_int(c->db, &err, 0, KINDS[i].sql, "i", atoll(num));
        if (err) return fail_db(e, err);
        return cnt > 0;
    }
    return 0;
}

json_t *accountability_exempt(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"kind", "object", "code", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *kind = json_string_value(json_object_get(in, "kind"));
    const char *object = json_string_value(json_object_get(in, "object"));
    const char *code = json_string_value(json_object_get(in, "code"));
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (!kind || !object || !code || !reason || !*reason || strlen(reason) > REASON_MAX || strlen(kind) > 64 ||
        strlen(code) > 64)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 kind、object、code 和 reason（说明，不超过 %d 字节）", REASON_MAX),
               NULL;
    int ex = object_exists(c, object, e);
    if (ex < 0) return NULL;
    if (!ex)
        return spot_fail(e, SPOT_E_INVALID, "unknown_object", "对象“%s”不存在（应为 task:编号、referral:编号、objection:编号 或 record:编号）",
                         object), NULL;
    json_t *ret = decide_call(c, "accountability", "exempt", json_pack("[ss]", kind, code), e), *ad = NULL, *out = NULL;
    if (!ret) return NULL;
    json_t *d = json_array_get(ret, 0);
    const char *rr = json_string_value(json_object_get(d, "reason"));
    const char *clause = json_string_value(json_object_get(d, "clause"));
    char *err = NULL;
    if (!clause || !*clause) {
        spot_fail_rule(e, xprintf("rules/accountability.lua: exempt(\"%s\", \"%s\") 的决定没有给出条款 clause", kind, code));
        goto done;
    }
    if (!json_is_true(json_object_get(d, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "exemption_refused", "%s", rr ? rr : "不予免责");
        goto done;
    }
    char at[32];
    clock_now_rfc3339(at);
    const char *sha = worker_rule_sha(c->w, "accountability");
    const char *actor = ctx_actor(c);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO exemptions(kind, object, code, reason, rule_reason, clause, rule_sha, actor, at) "
                                 "VALUES (?,?,?,?,?,?,?,?,?)", "sssssssss", kind, object, code, reason, rr ? rr : "",
                    clause, sha, actor, at) == 1;
    long long id = sqlite3_last_insert_rowid(c->db);
    ad = json_pack("{ss ss ss ss ss ss}", "kind", kind, "code", code, "reason", reason, "rule_reason", rr ? rr : "",
                   "clause", clause, "rule_sha", sha);
    ok = ok && audit_log(c->db, actor, "accountability.exempt", object, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        fail_db(e, err);
        goto done;
    }
    out = json_pack("{sI ss ss ss ss ss ss ss ss ss}", "id", (json_int_t)id, "kind", kind, "object", object, "code", code,
                    "reason", reason, "rule_reason", rr ? rr : "", "clause", clause, "rule_sha", sha, "actor", actor,
                    "at", at);
done:
    json_decref(ad);
    json_decref(ret);
    return out;
}

/* ---- 10.1 (五) 其他: situations recorded by hand ---- */

json_t *accountability_record(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"object", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *jr = json_object_get(in, "reason"), *jo = json_object_get(in, "object");
    const char *reason = json_string_value(jr), *object = jo && !json_is_null(jo) ? json_string_value(jo) : "";
    if (!reason || !*reason || json_string_length(jr) > REASON_MAX)
        return spot_fail(e, SPOT_E_INPUT, "reason_required", "须说明情形（1 至 %d 字节）", REASON_MAX), NULL;
    if (!object || strlen(object) > 200)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "object 应为文本（至多 200 字节），如 task:12"), NULL;
    char *err = NULL, at[32];
    clock_now_rfc3339(at);
    json_t *d = json_pack("{ss ss}", "object", object, "reason", reason);
    long long id = -1;
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO accountability_records(object, reason, actor, at) VALUES (?,?,?,?)", "ssss",
                    object, reason, ctx_actor(c), at) == 1;
    if (ok) {
        id = sqlite3_last_insert_rowid(c->db);
        char obj[48];
        snprintf(obj, sizeof obj, "record:%lld", id);
        ok = audit_log(c->db, ctx_actor(c), "accountability.record", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    }
    json_decref(d);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return json_pack("{sI ss ss ss ss}", "id", (json_int_t)id, "object", object, "reason", reason, "actor", ctx_actor(c),
                     "at", at);
}

json_t *accountability_record_close(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *jr = json_object_get(in, "reason");
    const char *reason = json_string_value(jr);
    if (!reason || !*reason || json_string_length(jr) > REASON_MAX)
        return spot_fail(e, SPOT_E_INPUT, "reason_required", "须说明处理结果（1 至 %d 字节）", REASON_MAX), NULL;
    char *err = NULL, at[32], obj[48];
    json_t *row = db_row(c->db, &err, "SELECT id, closed_at FROM accountability_records WHERE id = ?", "i", id);
    if (!row) {
        if (err) return fail_db(e, err), NULL;
        return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这项登记的情形"), NULL;
    }
    int closed = !json_is_null(json_object_get(row, "closed_at"));
    json_decref(row);
    if (closed) return spot_fail(e, SPOT_E_CONFLICT, "closed", "这项情形已办结"), NULL;
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "record:%lld", id);
    json_t *d = json_pack("{ss}", "reason", reason);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE accountability_records SET closed_at = ?, closed_by = ?, close_reason = ? "
                                 "WHERE id = ? AND closed_at IS NULL", "sssi", at, ctx_actor(c), reason, id) == 1 &&
             audit_log(c->db, ctx_actor(c), "accountability.close", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err ? err : strdup("record changed")), NULL;
    }
    return db_row(c->db, &err, "SELECT * FROM accountability_records WHERE id = ?", "i", id);
}
