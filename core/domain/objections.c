/* objections.c: objections to published results (clause 9.2).
 *
 * Routes
 *   POST /api/objections {result_id, received, text, applicant?}   admin, planner, head: registers an
 *        objection to a published result; review deadline = deadlines.objection_review_due(received),
 *        stored with its reason, clause, warning and rule sha. received may not be in the future.
 *   GET  /api/objections[?status=]              staff: list with deadlines and warning levels.
 *   GET  /api/objections/{id}                   staff: one objection.
 *   POST /api/objections/{id}/decide {decision: upheld|rejected, reason, decided, changes?}   head:
 *        feedback deadline = deadlines.feedback_due(decided). upheld (异议成立) opens a pending
 *        correction of the result (source "objection", with the decision's reason and the optional
 *        changes) that a head approves like any other correction.
 *   POST /api/objections/{id}/feedback {sent}   admin, planner, head: the date feedback was given.
 * Replies carry "deadlines": {"review": {date, days, reason, clause, warning, level}, "feedback": …}.
 */
#include "objections.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "results.h"
#include "tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8000

static json_t *deadline_of(req *r, json_t *o, const char *prefix, const char *today, int open, char **err)
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
        json_t *lv = results_level(r, due, today, err);
        if (!lv) { json_decref(d); return NULL; }
        json_object_set(d, "level", json_object_get(lv, "level"));
        json_object_set(d, "level_reason", json_object_get(lv, "reason"));
        json_decref(lv);
    } else {
        json_object_set_new(d, "level", json_string("done"));
    }
    return d;
}

/* The objection id as shown to staff, or NULL (none / *err). */
static json_t *objection_view(req *r, long long id, char **err)
{
    json_t *o = db_row(r->db, err, "SELECT o.*, r.task_id, r.uscc FROM objections o JOIN results r ON r.id = o.result_id "
                                   "WHERE o.id = ?", "i", id);
    if (!o) return NULL;
    char today[16];
    clock_today(today);
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *rv = deadline_of(r, o, "review", today, !strcmp(status, "received"), err);
    json_t *fb = rv ? deadline_of(r, o, "feedback", today, !strcmp(status, "decided"), err) : NULL;
    if (!fb) { json_decref(rv); json_decref(o); return NULL; }
    json_object_set(o, "review_warning", json_object_get(rv, "level"));
    json_object_set(o, "feedback_warning", json_object_get(fb, "level"));
    json_object_set_new(o, "deadlines", json_pack("{so so}", "review", rv, "feedback", fb));
    return o;
}

static int reply_view(req *r, int status, long long id)
{
    char *err = NULL;
    json_t *o = objection_view(r, id, &err);
    if (!o) return err && strstr(err, "rules/") ? reply_rule_error(r, err)
                                                : err ? reply_db_error(r, err) : reply_error(r, 404, "not_found", "没有这个异议");
    return reply_json(r, status, o);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    static const char *const fields[] = {"result_id", "received", "text", "applicant", NULL};
    if (req_check_fields(r, r->json, fields) != 0) return 0;
    json_t *rid = json_object_get(r->json, "result_id"), *app = json_object_get(r->json, "applicant");
    const char *received = json_string_value(json_object_get(r->json, "received"));
    const char *text = json_string_value(json_object_get(r->json, "text"));
    if (!json_is_integer(rid) || !received || !text || !*text || strlen(text) > TEXT_MAX ||
        (app && !(json_is_string(app) && json_string_length(app) <= 400)))
        return reply_error(r, 400, "bad_request", "需要 result_id、received（收到日期）和 text（异议内容，不超过 %d 字节）", TEXT_MAX);
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!clock_valid_date(received) || strcmp(received, today) > 0)
        return reply_error(r, 400, "bad_date", "收到日期应为不晚于今天的 YYYY-MM-DD 日期");
    char *err = NULL;
    long long result_id = json_integer_value(rid);
    char *st = db_text(r->db, &err, "SELECT status FROM results WHERE id = ?", "i", result_id);
    if (err) return reply_db_error(r, err);
    if (!st) return reply_error(r, 422, "unknown_result", "没有编号为 %lld 的检查结果", result_id);
    int published = !strcmp(st, "published");
    free(st);
    if (!published) return reply_error(r, 409, "not_published", "只能对已公示的检查结果提出异议");
    json_t *due = results_deadline(r, "objection_review_due", received, today, &err);
    if (!due) return reply_rule_error(r, err);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO objections(result_id, applicant, received, text, review_due, review_reason, "
                                 "review_clause, review_warning, review_rule_sha, created_by, created_at) "
                                 "VALUES (?,?,?,?,?,?,?,?,?,?,?)", "isssjjjjjss", result_id,
                    json_is_string(app) ? json_string_value(app) : "", received, text, json_object_get(due, "date"),
                    json_object_get(due, "reason"), json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_object_get(due, "rule_sha"), req_actor(r), at) == 1;
    long long id = sqlite3_last_insert_rowid(r->db);
    snprintf(obj, sizeof obj, "objection:%lld", id);
    json_t *ad = json_pack("{sI ss sO sO sO}", "result_id", (json_int_t)result_id, "received", received, "review_due",
                           json_object_get(due, "date"), "reason", json_object_get(due, "reason"), "rule_sha",
                           json_object_get(due, "rule_sha"));
    ok = ok && audit_log(r->db, req_actor(r), "objection.create", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    json_decref(due);
    if (!ok) return reply_db_error(r, err);
    return reply_view(r, 201, id);
}

static int h_list(req *r)
{
    const char *status = req_query(r, "status");
    if (status && !*status) status = NULL;
    char *err = NULL;
    json_t *ids = db_rows(r->db, &err, "SELECT id FROM objections WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT 500",
                          "ss", status, status);
    if (!ids) return reply_db_error(r, err);
    json_t *list = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x) {
        json_t *o = objection_view(r, json_integer_value(json_object_get(x, "id")), &err);
        if (!o) {
            json_decref(ids);
            json_decref(list);
            return err && strstr(err, "rules/") ? reply_rule_error(r, err) : reply_db_error(r, err);
        }
        json_array_append_new(list, o);
    }
    json_decref(ids);
    return reply_json(r, 200, json_pack("{so}", "objections", list));
}

static int h_get(req *r)
{
    long long id = req_param_id(r, 0);
    if (id <= 0) return reply_error(r, 404, "not_found", "没有这个异议");
    return reply_view(r, 200, id);
}

static json_t *objection_or_404(req *r, long long *id)
{
    *id = req_param_id(r, 0);
    char *err = NULL;
    json_t *o = *id > 0 ? db_row(r->db, &err, "SELECT * FROM objections WHERE id = ?", "i", *id) : NULL;
    if (!o) {
        if (err) reply_db_error(r, err);
        else reply_error(r, 404, "not_found", "没有这个异议");
    }
    return o;
}

static int h_decide(req *r)
{
    long long id;
    json_t *o = objection_or_404(r, &id), *due = NULL, *changes = NULL;
    if (!o) return 0;
    int out = 0;
    char *err = NULL;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"decision", "reason", "decided", "changes", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *decision = json_string_value(json_object_get(r->json, "decision"));
    const char *reason = json_string_value(json_object_get(r->json, "reason"));
    const char *decided = json_string_value(json_object_get(r->json, "decided"));
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!decided && !json_object_get(r->json, "decided")) decided = today;
    if (!decision || (strcmp(decision, "upheld") && strcmp(decision, "rejected"))) {
        out = reply_error(r, 400, "bad_decision", "decision 应为 upheld（异议成立）或 rejected（异议不成立）");
        goto done;
    }
    if (!reason || !*reason || strlen(reason) > TEXT_MAX) { out = reply_error(r, 400, "reason_required", "复核决定须说明理由"); goto done; }
    if (!decided || !clock_valid_date(decided) || strcmp(decided, today) > 0 ||
        strcmp(decided, json_string_value(json_object_get(o, "received"))) < 0) {
        out = reply_error(r, 400, "bad_date", "decided 应为收到日期之后、不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "received")) {
        out = reply_error(r, 409, "decided", "该异议已作出复核决定");
        goto done;
    }
    int upheld = !strcmp(decision, "upheld");
    long long result_id = json_integer_value(json_object_get(o, "result_id"));
    json_t *given = json_object_get(r->json, "changes");
    if (given && !upheld) { out = reply_error(r, 400, "bad_request", "异议不成立时不能给出 changes"); goto done; }
    if (given) {
        json_t *res = results_load(r->db, result_id, 0, &err);
        if (!res) { out = reply_db_error(r, err); goto done; }
        changes = results_check_changes(r, res, given);
        json_decref(res);
        if (!changes) goto done;
    }
    due = results_deadline(r, "feedback_due", decided, today, &err);
    if (!due) { out = reply_rule_error(r, err); goto done; }
    snprintf(obj, sizeof obj, "objection:%lld", id);
    long long cid = 0;
    int ok = db_begin(r->db, &err) == 0;
    if (ok && upheld) {
        if (!changes) changes = json_object();
        char *why = xprintf("异议成立（%s收到，%s决定）：%s", json_string_value(json_object_get(o, "received")), decided, reason);
        ok = db_run(r->db, &err, "INSERT INTO result_corrections(result_id, reason, changes, source, objection_id, rule_sha, "
                                 "requested_by, requested_at) VALUES (?,?,?,'objection',?,?,?,?)", "isjisss", result_id, why,
                    changes, id, json_object_get(changes, "category") ?
                    worker_rule_sha(r->w, "categories") : "", req_actor(r), at) == 1;
        free(why);
        cid = sqlite3_last_insert_rowid(r->db);
    }
    json_t *ad = json_pack("{ss ss ss sO sO so}", "decision", decision, "reason", reason, "decided", decided, "feedback_due",
                           json_object_get(due, "date"), "rule_sha", json_object_get(due, "rule_sha"), "correction_id",
                           cid ? json_integer(cid) : json_null());
    ok = ok && db_run(r->db, &err, "UPDATE objections SET status = 'decided', decision = ?, decision_reason = ?, decided = ?, "
                                   "decided_by = ?, feedback_due = ?, feedback_reason = ?, feedback_clause = ?, "
                                   "feedback_warning = ?, feedback_rule_sha = ?, correction_id = ? "
                                   "WHERE id = ? AND status = 'received'", "ssssjjjjjji", decision, reason, decided,
                      req_actor(r), json_object_get(due, "date"), json_object_get(due, "reason"),
                      json_object_get(due, "clause"), json_object_get(due, "warning"), json_object_get(due, "rule_sha"),
                      cid ? json_object_get(ad, "correction_id") : NULL, id) == 1 &&
         audit_log(r->db, req_actor(r), "objection.decide", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(changes);
    json_decref(due);
    json_decref(o);
    return out;
}

static int h_feedback(req *r)
{
    long long id;
    json_t *o = objection_or_404(r, &id);
    if (!o) return 0;
    int out = 0;
    char *err = NULL;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"sent", "note", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *sent = json_string_value(json_object_get(r->json, "sent"));
    char today[16], obj[64];
    clock_today(today);
    if (!sent || !clock_valid_date(sent) || strcmp(sent, today) > 0) {
        out = reply_error(r, 400, "bad_date", "sent 应为不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "decided")) {
        out = reply_error(r, 409, "not_decided", "该异议尚未作出复核决定或已反馈");
        goto done;
    }
    if (strcmp(sent, json_string_value(json_object_get(o, "decided"))) < 0) {
        out = reply_error(r, 400, "bad_date", "反馈日期不能早于复核决定日期");
        goto done;
    }
    snprintf(obj, sizeof obj, "objection:%lld", id);
    int late = strcmp(sent, json_string_value(json_object_get(o, "feedback_due"))) > 0;
    json_t *ad = json_pack("{ss sO sb}", "sent", sent, "feedback_due", json_object_get(o, "feedback_due"), "late", late);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "UPDATE objections SET status = 'closed', feedback_sent = ?, feedback_by = ? "
                                 "WHERE id = ? AND status = 'decided'", "ssi", sent, req_actor(r), id) == 1 &&
             audit_log(r->db, req_actor(r), "objection.feedback", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(o);
    return out;
}

const struct route objections_routes[] = {
    {"POST", "/api/objections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_create},
    {"GET", "/api/objections", ROLE_STAFF, h_list},
    {"GET", "/api/objections/{id}", ROLE_STAFF, h_get},
    {"POST", "/api/objections/{id}/decide", ROLE_HEAD, h_decide},
    {"POST", "/api/objections/{id}/feedback", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_feedback},
    {0},
};
