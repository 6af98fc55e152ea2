/* objections.c: objections to published results (clause 9.2). Who may do what: see
 * http/api_objections.c. Views carry "deadlines": {"review": {date, days, reason, clause, warning,
 * level}, "feedback": …}.
 */
#include "objections.h"
#include "access.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "decide.h"
#include "jsonutil.h"
#include "results.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8000

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "objections", err);
}

/* The review or feedback deadline of objection o (prefix "review"/"feedback") with its level today
 * when open. New reference (json null when there is none), or NULL with *e. */
static json_t *deadline_of(spot_ctx *c, json_t *o, const char *prefix, const char *today, int open, spot_err *e)
{
    char k[32];
    snprintf(k, sizeof k, "%s_due", prefix);
    const char *due = json_string_value(json_object_get(o, k));
    if (!due) return json_null();
    json_t *d = json_pack("{ss}", "date", due);
    static const char *const parts[] = {"reason", "clause", "warning", "rule_sha", NULL};
    for (const char *const *p = parts; *p; p++) {
        snprintf(k, sizeof k, "%s_%s", prefix, *p);
        json_object_set(d, *p, json_object_get(o, k) ? json_object_get(o, k) : json_null());
    }
    if (open) {
        json_t *lv = decide_level(c, due, today, e);
        if (!lv) { json_decref(d); return NULL; }
        json_object_set(d, "level", json_object_get(lv, "level"));
        json_object_set(d, "level_reason", json_object_get(lv, "reason"));
        json_decref(lv);
    } else {
        json_object_set_new(d, "level", json_string("done"));
    }
    return d;
}

/* The objection id as shown to staff. New reference or NULL with *e (404 when there is none). */
static json_t *objection_view(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT o.*, r.task_id, r.uscc FROM objections o JOIN results r ON r.id = o.result_id "
                                             "WHERE o.id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个异议");
        return NULL;
    }
    char today[16];
    clock_today(today);
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *rv = deadline_of(c, o, "review", today, !strcmp(status, "received"), e);
    json_t *fb = rv ? deadline_of(c, o, "feedback", today, !strcmp(status, "decided"), e) : NULL;
    if (!fb) { json_decref(rv); json_decref(o); return NULL; }
    json_object_set(o, "review_warning", json_object_get(rv, "level"));
    json_object_set(o, "feedback_warning", json_object_get(fb, "level"));
    json_object_set_new(o, "deadlines", json_pack("{so so}", "review", rv, "feedback", fb));
    return o;
}

json_t *objections_create(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"result_id", "received", "text", "applicant", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *rid = json_object_get(in, "result_id"), *app = json_object_get(in, "applicant");
    const char *received = json_string_value(json_object_get(in, "received"));
    const char *text = json_string_value(json_object_get(in, "text"));
    if (!json_is_integer(rid) || !received || !text || !*text || strlen(text) > TEXT_MAX ||
        (app && !(json_is_string(app) && json_string_length(app) <= 400)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 result_id、received（收到日期）和 text（异议内容，不超过 %d 字节）",
                         TEXT_MAX), NULL;
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!clock_valid_date(received) || strcmp(received, today) > 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "收到日期应为不晚于今天的 YYYY-MM-DD 日期"), NULL;
    char *err = NULL;
    long long result_id = json_integer_value(rid);
    json_t *res = db_row(c->db, &err, "SELECT status, coalesce(published_date, '') AS published_date FROM results "
                                      "WHERE id = ?", "i", result_id);
    if (err) return fail_db(e, err), NULL;
    if (!res) return spot_fail(e, SPOT_E_INVALID, "unknown_result", "没有编号为 %lld 的检查结果", result_id), NULL;
    int published = !strcmp(json_string_value(json_object_get(res, "status")), "published");
    json_t *pub_date = json_incref(json_object_get(res, "published_date"));
    json_decref(res);
    if (!published) {
        json_decref(pub_date);
        return spot_fail(e, SPOT_E_CONFLICT, "not_published", "只能对已公示的检查结果提出异议"), NULL;
    }
    /* 9.2: received within the filing period after publication (deadlines.objection_admissible) */
    json_t *adm = decide_call(c, "deadlines", "objection_admissible", json_pack("[os]", pub_date, received), e);
    if (!adm) return NULL;
    json_t *a0 = json_array_get(adm, 0);
    if (!json_is_object(a0) || !json_is_boolean(json_object_get(a0, "ok"))) {
        json_decref(adm);
        return spot_fail(e, SPOT_E_RULE, "rule_error", "规则 deadlines.objection_admissible 应返回 {ok, reason, clause}"), NULL;
    }
    if (!json_is_true(json_object_get(a0, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "objection_not_admissible", "%s（第%s条）",
                  json_string_value(json_object_get(a0, "reason")) ? json_string_value(json_object_get(a0, "reason")) : "",
                  json_string_value(json_object_get(a0, "clause")) ? json_string_value(json_object_get(a0, "clause")) : "9.2");
        json_decref(adm);
        return NULL;
    }
    json_decref(adm);
    json_t *due = decide_deadline(c, "objection_review_due", received, today, e);
    if (!due) return NULL;
    const char *actor = ctx_actor(c);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO objections(result_id, applicant, received, text, review_due, review_reason, "
                                 "review_clause, review_warning, review_rule_sha, created_by, created_at) "
                                 "VALUES (?,?,?,?,?,?,?,?,?,?,?)", "isssjjjjjss", result_id,
                    json_is_string(app) ? json_string_value(app) : "", received, text, json_object_get(due, "date"),
                    json_object_get(due, "reason"), json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_object_get(due, "rule_sha"), actor, at) == 1;
    long long id = sqlite3_last_insert_rowid(c->db);
    snprintf(obj, sizeof obj, "objection:%lld", id);
    json_t *ad = json_pack("{sI ss sO sO sO}", "result_id", (json_int_t)result_id, "received", received, "review_due",
                           json_object_get(due, "date"), "reason", json_object_get(due, "reason"), "rule_sha",
                           json_object_get(due, "rule_sha"));
    ok = ok && audit_log(c->db, actor, "objection.create", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    json_decref(due);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return objection_view(c, id, e);
}

/* The certificate an inspector caller is limited by (objections of tasks with them on a team), or
 * NULL for the other staff roles, who see every objection. "" for an inspector without one. */
static const char *inspector_scope(spot_ctx *c)
{
    if (!ctx_has_role(c, ROLE_INSPECTOR)) return NULL;
    return c->user->cert_no;
}

json_t *objections_list(spot_ctx *c, const char *status, spot_err *e)
{
    if (status && !*status) status = NULL;
    char *err = NULL;
    json_t *ids = db_rows(c->db, &err, "SELECT o.id FROM objections o WHERE (?1 IS NULL OR o.status = ?1) AND (?2 IS NULL OR "
                                       "EXISTS (SELECT 1 FROM results r JOIN task_teams t ON t.task_id = r.task_id, "
                                       "json_each(t.inspectors) j WHERE r.id = o.result_id AND j.value = ?2)) "
                                       "ORDER BY o.id DESC LIMIT 500", "ss", status, inspector_scope(c));
    if (!ids) return fail_db(e, err), NULL;
    json_t *list = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x) {
        json_t *o = objection_view(c, json_integer_value(json_object_get(x, "id")), e);
        if (!o) {
            json_decref(ids);
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, o);
    }
    json_decref(ids);
    return json_pack("{so}", "objections", list);
}

json_t *objections_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *o = objection_view(c, id, e);
    if (!o || !inspector_scope(c)) return o;
    int staff = access_task_staff(c, json_integer_value(json_object_get(o, "task_id")), 0, e);
    if (staff > 0) return o;
    json_decref(o);
    if (staff == 0) spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务检查组的成员可以查看该任务的异议");
    return NULL;
}

/* The stored objection id (new ref), or NULL with *e (404). */
static json_t *objection_row(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT * FROM objections WHERE id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个异议");
    }
    return o;
}

json_t *objections_decide(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *o = objection_row(c, id, e), *due = NULL, *changes = NULL, *ad = NULL, *out = NULL;
    if (!o) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"decision", "reason", "decided", "changes", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *decision = json_string_value(json_object_get(in, "decision"));
    const char *reason = json_string_value(json_object_get(in, "reason"));
    const char *decided = json_string_value(json_object_get(in, "decided"));
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!decided && !json_object_get(in, "decided")) decided = today;
    if (!decision || (strcmp(decision, "upheld") && strcmp(decision, "rejected"))) {
        spot_fail(e, SPOT_E_INPUT, "bad_decision", "decision 应为 upheld（异议成立）或 rejected（异议不成立）");
        goto done;
    }
    if (!reason || !*reason || strlen(reason) > TEXT_MAX) {
        spot_fail(e, SPOT_E_INPUT, "reason_required", "复核决定须说明理由");
        goto done;
    }
    if (!decided || !clock_valid_date(decided) || strcmp(decided, today) > 0 ||
        strcmp(decided, json_string_value(json_object_get(o, "received"))) < 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "decided 应为收到日期之后、不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "received")) {
        spot_fail(e, SPOT_E_CONFLICT, "decided", "该异议已作出复核决定");
        goto done;
    }
    int upheld = !strcmp(decision, "upheld");
    long long result_id = json_integer_value(json_object_get(o, "result_id"));
    json_t *given = json_object_get(in, "changes");
    if (given && !upheld) { spot_fail(e, SPOT_E_INPUT, "bad_request", "异议不成立时不能给出 changes"); goto done; }
    if (given) {
        json_t *res = results_load(c, result_id, 0, e);
        if (!res) { if (e->kind == SPOT_E_NOTFOUND) fail_db(e, strdup("result missing")); goto done; }
        changes = results_check_changes(c, res, given, e);
        json_decref(res);
        if (!changes) goto done;
    }
    due = decide_deadline(c, "feedback_due", decided, today, e);
    if (!due) goto done;
    snprintf(obj, sizeof obj, "objection:%lld", id);
    const char *actor = ctx_actor(c);
    long long cid = 0;
    int ok = db_begin(c->db, &err) == 0;
    if (ok && upheld) {
        if (!changes) changes = json_object();
        char *why = xprintf("异议成立（%s收到，%s决定）：%s", json_string_value(json_object_get(o, "received")), decided, reason);
        ok = db_run(c->db, &err, "INSERT INTO result_corrections(result_id, reason, changes, source, objection_id, rule_sha, "
                                 "requested_by, requested_at) VALUES (?,?,?,'objection',?,?,?,?)", "isjisss", result_id, why,
                    changes, id, json_object_get(changes, "category") ? worker_rule_sha(c->w, "categories") : "", actor,
                    at) == 1;
        free(why);
        cid = sqlite3_last_insert_rowid(c->db);
    }
    ad = json_pack("{ss ss ss sO sO so}", "decision", decision, "reason", reason, "decided", decided, "feedback_due",
                   json_object_get(due, "date"), "rule_sha", json_object_get(due, "rule_sha"), "correction_id",
                   cid ? json_integer(cid) : json_null());
    ok = ok && db_run(c->db, &err, "UPDATE objections SET status = 'decided', decision = ?, decision_reason = ?, decided = ?, "
                                   "decided_by = ?, feedback_due = ?, feedback_reason = ?, feedback_clause = ?, "
                                   "feedback_warning = ?, feedback_rule_sha = ?, correction_id = ? "
                                   "WHERE id = ? AND status = 'received'", "ssssjjjjjji", decision, reason, decided,
                      actor, json_object_get(due, "date"), json_object_get(due, "reason"),
                      json_object_get(due, "clause"), json_object_get(due, "warning"), json_object_get(due, "rule_sha"),
                      cid ? json_object_get(ad, "correction_id") : NULL, id) == 1 &&
         audit_log(c->db, actor, "objection.decide", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = objection_view(c, id, e);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(changes);
    json_decref(due);
    json_decref(o);
    return out;
}

json_t *objections_feedback(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *o = objection_row(c, id, e), *ad = NULL, *out = NULL;
    if (!o) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"sent", "note", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *sent = json_string_value(json_object_get(in, "sent"));
    char today[16], obj[64];
    clock_today(today);
    if (!sent || !clock_valid_date(sent) || strcmp(sent, today) > 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "sent 应为不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "decided")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_decided", "该异议尚未作出复核决定或已反馈");
        goto done;
    }
    if (strcmp(sent, json_string_value(json_object_get(o, "decided"))) < 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "反馈日期不能早于复核决定日期");
        goto done;
    }
    snprintf(obj, sizeof obj, "objection:%lld", id);
    int late = strcmp(sent, json_string_value(json_object_get(o, "feedback_due"))) > 0;
    const char *actor = ctx_actor(c);
    ad = json_pack("{ss sO sb}", "sent", sent, "feedback_due", json_object_get(o, "feedback_due"), "late", late);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE objections SET status = 'closed', feedback_sent = ?, feedback_by = ? "
                                 "WHERE id = ? AND status = 'decided'", "ssi", sent, actor, id) == 1 &&
             audit_log(c->db, actor, "objection.feedback", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = objection_view(c, id, e);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(o);
    return out;
}
