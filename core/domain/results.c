/* results.c: inspection results, sign-off, review, publication and corrections (clauses 8.1-8.4,
 * 9.1; SPEC §5).
 *
 * Routes
 *   POST /api/tasks/{id}/results {uscc, category, summary, records:[{item_id, checkpoint_id,
 *        category?, finding, cert_no?}]}      inspector on that unit's team: creates or replaces the
 *        draft result of one unit (one combined record per unit, 8.2; the team is led by the task's
 *        lead unit). A record's cert_no defaults to the caller's. Changing a draft clears its
 *        signatures and any approval (back to draft). 409 once published (use a correction).
 *   GET  /api/tasks/{id}/results              staff of the task: results and dispatched units.
 *   GET  /api/results/{id}                    staff of the task: the result with signatures, reviews,
 *        corrections, follow-ups, attachments, objections and its 9.1 deadline.
 *   POST /api/results/{id}/sign               an inspector on the team signs the current version.
 *   POST /api/results/{id}/review {approve, reason|opinion}   head (录入审核; a head, not a team
 *        member, so that nobody reviews their own record): approve needs every signature; a return
 *        needs a reason, sets the result back to draft and clears the signatures. All kept.
 *   POST /api/results/{id}/publish            an inspector on the team or a head ("谁检查、谁录入、
 *        谁公示"): needs every signature (409 unsigned), then the review (409 not_reviewed). Stores
 *        the deadline of deadlines.publication_due(task end) with its reason, clause and rule sha.
 *   POST /api/results/{id}/corrections {reason, changes:{category?, summary?, records?}}
 *        staff except auditors (inspectors only of that team): a pending correction.
 *   POST /api/results/{id}/corrections/{cid}/approve {note?, changes?}   head only: effective.
 *   POST /api/results/{id}/corrections/{cid}/reject {note}               head only.
 *   GET  /api/corrections?status=pending|approved|rejected&page=&per_page=   admin, planner, head:
 *        correction requests across results, newest first (result id, uscc, unit name, task id and
 *        name, reason, changes, source, requested_at/by, decision), so that a head finds the pending
 *        ones without opening every result. result_corrections stays small (one row per request), so
 *        no index serves the status filter.
 *   GET  /api/public/results?task=&year=&industry=&region=&category=&page=   everyone: published
 *        results with every approved correction applied and the list of corrections (date, reason);
 *        no names or id numbers (cert_no only).
 *
 * A published result is never updated: the database refuses it (triggers of 0004_results.sql);
 * approved corrections overlay it in approval order (result_corrections.seq).
 */
#include "results.h"
#include "attachments.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "followups.h"
#include "luahost.h"
#include "tasks.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8000
#define REASON_MAX 2000
#define RECORDS_MAX 1000
#define PUBLIC_PAGE 50

/* ---- shared helpers ---- */

json_t *results_rule(req *r, const char *rule, const char *fn, json_t *args, char **err)
{
    json_t *ret = NULL;
    int rc = lh_call(r->w->lua, rule, fn, args, &ret, err);
    json_decref(args);
    if (rc != 0) return NULL;
    return ret;
}

json_t *results_level(req *r, const char *due_date, const char *today, char **err)
{
    char now[16];
    if (!today) { clock_today(now); today = now; }
    json_t *ret = results_rule(r, "deadlines", "warning_level", json_pack("[ss]", due_date, today), err);
    if (!ret) return NULL;
    json_t *out = json_pack("{sO? sO? sO?}", "level", json_array_get(ret, 0), "reason", json_array_get(ret, 1),
                            "clause", json_array_get(ret, 2));
    json_decref(ret);
    return out;
}

json_t *results_deadline(req *r, const char *fn, const char *date, const char *today, char **err)
{
    json_t *ret = results_rule(r, "deadlines", fn, json_pack("[s]", date), err);
    if (!ret) return NULL;
    json_t *d = json_array_get(ret, 0);
    const char *due = json_string_value(json_object_get(d, "date"));
    if (!due || !clock_valid_date(due)) {
        json_decref(ret);
        *err = xprintf("rules/deadlines.lua: %s 未返回有效日期", fn);
        return NULL;
    }
    json_t *out = json_pack("{ss sO? sO? sO? sO? ss}", "date", due, "days", json_object_get(d, "days"), "reason",
                            json_object_get(d, "reason"), "clause", json_object_get(d, "clause"), "warning",
                            json_object_get(d, "warning"), "rule_sha", worker_rule_sha(r->w, "deadlines"));
    json_decref(ret);
    json_t *lv = results_level(r, json_string_value(json_object_get(out, "date")), today, err);
    if (!lv) { json_decref(out); return NULL; }
    json_object_set(out, "level", json_object_get(lv, "level"));
    json_object_set(out, "level_reason", json_object_get(lv, "reason"));
    json_decref(lv);
    return out;
}

int results_on_team(sqlite3 *db, long long task_id, const char *uscc, const char *cert_no, char **err)
{
    if (!cert_no || !*cert_no) return 0;
    long long n = db_int(db, err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                     "AND t.uscc = ? AND j.value = ?", "iss", task_id, uscc, cert_no);
    return *err ? -1 : n > 0;
}

int results_task_staff(req *r, long long task_id, int roles, char **err)
{
    if (req_has_role(r, roles)) return 1;
    if (!req_has_role(r, ROLE_INSPECTOR) || !r->user->cert_no[0]) return 0;
    long long n = db_int(r->db, err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                        "AND j.value = ?", "is", task_id, r->user->cert_no);
    return *err ? -1 : n > 0;
}

static json_t *records_of(sqlite3 *db, long long id, char **err)
{
    return db_rows(db, err, "SELECT item_id, checkpoint_id, checkpoint, category, finding, cert_no FROM result_records "
                            "WHERE result_id = ? ORDER BY pos", "i", id);
}

int results_apply_corrections(sqlite3 *db, json_t *res, char **err)
{
    long long id = json_integer_value(json_object_get(res, "id"));
    json_t *rows = db_rows(db, err, "SELECT id, reason, changes, source, decided_date AS date, decided_at AS at "
                                    "FROM result_corrections WHERE result_id = ? AND status = 'approved' ORDER BY seq", "i", id);
    if (!rows) return -1;
    size_t i;
    json_t *c;
    static const char *const keys[] = {"changes", NULL};
    json_array_foreach(rows, i, c) {
        spot_decode_json(c, keys);
        json_t *ch = json_object_get(c, "changes");
        static const char *const fields[] = {"category", "category_label", "follow_up", "summary", "records", NULL};
        for (const char *const *f = fields; *f; f++)
            if (json_object_get(ch, *f)) json_object_set(res, *f, json_object_get(ch, *f));
    }
    json_object_set_new(res, "corrected", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(res, "corrections", rows);
    return 0;
}

json_t *results_load(sqlite3 *db, long long id, int current, char **err)
{
    json_t *res = db_row(db, err, "SELECT * FROM results WHERE id = ?", "i", id);
    if (!res) return NULL;
    json_object_set_new(res, "follow_up", json_boolean(json_integer_value(json_object_get(res, "follow_up"))));
    json_object_set_new(res, "published_late", json_boolean(json_integer_value(json_object_get(res, "published_late"))));
    json_t *recs = records_of(db, id, err);
    if (!recs) { json_decref(res); return NULL; }
    json_object_set_new(res, "records", recs);
    if (current && !strcmp(json_string_value(json_object_get(res, "status")), "published") &&
        results_apply_corrections(db, res, err) != 0) {
        json_decref(res);
        return NULL;
    }
    return res;
}

/* The 8.4 category entry for code: 1 with *label and *follow_up set, 0 when unknown, -1 with *err. */
static int category_of(req *r, const char *code, json_t **label, int *follow_up, char **err)
{
    json_t *ret = results_rule(r, "categories", "result_category", json_pack("[s]", code), err);
    if (!ret) return -1;
    json_t *e = json_array_get(ret, 0);
    int ok = json_is_object(e) && json_is_string(json_object_get(e, "label"));
    if (ok) {
        *label = json_incref(json_object_get(e, "label"));
        *follow_up = json_is_true(json_object_get(e, "follow_up"));
    }
    json_decref(ret);
    return ok;
}

/* Replies 422 unknown_category or the rule error; returns 0 for `return`. */
static int category_fail(req *r, const char *code, char *err)
{
    if (err) return reply_rule_error(r, err);
    return reply_error(r, 422, "unknown_category", "未知的检查结果类别“%s”：应为第8.4条所列 a–h 之一", code);
}

static int text_ok(json_t *v, size_t max)
{
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) <= max);
}

/* Validates records for task (a tasks_load row) and unit uscc. Returns a new normalised array, or
 * NULL after replying (400/422/500). */
static json_t *check_records(req *r, json_t *task, const char *uscc, json_t *recs)
{
    if (!recs || json_is_null(recs)) return json_array();
    if (!json_is_array(recs) || json_array_size(recs) > RECORDS_MAX)
        return reply_error(r, 400, "bad_request", "records 应为不超过 %d 条的数组", RECORDS_MAX), NULL;
    long long task_id = json_integer_value(json_object_get(task, "id"));
    json_t *items = json_object_get(task, "item_ids");
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    char *err = NULL;
    json_array_foreach(recs, i, rec) {
        static const char *const fields[] = {"item_id", "checkpoint_id", "category", "finding", "cert_no", NULL};
        if (!json_is_object(rec)) { reply_error(r, 400, "bad_request", "第 %zu 条记录应为对象", i + 1); goto fail; }
        if (req_check_fields(r, rec, fields) != 0) goto fail;
        json_t *iid = json_object_get(rec, "item_id"), *cid = json_object_get(rec, "checkpoint_id");
        json_t *cat = json_object_get(rec, "category"), *finding = json_object_get(rec, "finding");
        json_t *cert = json_object_get(rec, "cert_no");
        if (!json_is_integer(iid) || (cid && !json_is_null(cid) && !json_is_integer(cid)) ||
            (cat && !json_is_null(cat) && !json_is_string(cat)) || !text_ok(finding, TEXT_MAX) ||
            (cert && !json_is_null(cert) && !json_is_string(cert))) {
            reply_error(r, 400, "bad_request", "第 %zu 条记录：item_id 应为整数，checkpoint_id 为整数，finding 为不超过 %d 字节的文字",
                        i + 1, TEXT_MAX);
            goto fail;
        }
        int listed = 0;
        size_t k;
        json_t *x;
        json_array_foreach(items, k, x) listed |= json_integer_value(x) == json_integer_value(iid);
        if (!listed) {
            reply_error(r, 422, "unknown_item", "第 %zu 条记录：抽查事项 %lld 不属于本任务", i + 1,
                        (long long)json_integer_value(iid));
            goto fail;
        }
        char *cp_text = NULL;
        if (json_is_integer(cid)) {
            cp_text = db_text(r->db, &err, "SELECT text FROM item_checkpoints WHERE id = ? AND item_id = ?", "ii",
                              (long long)json_integer_value(cid), (long long)json_integer_value(iid));
            if (err) { reply_db_error(r, err); goto fail; }
            if (!cp_text) {
                reply_error(r, 422, "unknown_checkpoint", "第 %zu 条记录：检查要点 %lld 不属于抽查事项 %lld", i + 1,
                            (long long)json_integer_value(cid), (long long)json_integer_value(iid));
                goto fail;
            }
        }
        json_t *label = NULL;
        int fu = 0;
        if (json_is_string(cat)) {
            int rc = category_of(r, json_string_value(cat), &label, &fu, &err);
            if (rc != 1) { free(cp_text); category_fail(r, json_string_value(cat), err); goto fail; }
            json_decref(label);
        }
        const char *who = json_is_string(cert) ? json_string_value(cert) : r->user->cert_no;
        if (json_is_string(cert)) {
            int on = results_on_team(r->db, task_id, uscc, who, &err);
            if (on < 0) { free(cp_text); reply_db_error(r, err); goto fail; }
            if (!on) {
                free(cp_text);
                reply_error(r, 422, "not_on_team", "第 %zu 条记录：执法证号 %s 不在该单位的检查组中", i + 1, who);
                goto fail;
            }
        }
        json_array_append_new(out, json_pack("{sO sO? ss sO? ss so?}", "item_id", iid, "checkpoint_id", cid,
                                             "checkpoint", cp_text ? cp_text : "", "category", cat, "finding",
                                             json_is_string(finding) ? json_string_value(finding) : "",
                                             "cert_no", *who ? json_string(who) : NULL));
        free(cp_text);
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static int insert_records(sqlite3 *db, long long id, json_t *recs, char **err)
{
    if (db_run(db, err, "DELETE FROM result_records WHERE result_id = ?", "i", id) < 0) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(recs, i, x) {
        if (db_run(db, err, "INSERT INTO result_records(result_id, pos, cert_no, item_id, checkpoint_id, checkpoint, "
                            "category, finding) VALUES (?,?,?,?,?,?,?,?)", "iijjjjjj", id, (long long)i,
                   json_object_get(x, "cert_no"), json_object_get(x, "item_id"), json_object_get(x, "checkpoint_id"),
                   json_object_get(x, "checkpoint"), json_object_get(x, "category"), json_object_get(x, "finding")) < 0)
            return -1;
    }
    return 0;
}

json_t *results_check_changes(req *r, json_t *res, json_t *changes)
{
    if (!json_is_object(changes) || json_object_size(changes) == 0)
        return reply_error(r, 400, "bad_request", "changes 应为非空对象：category、summary、records 之一或多项"), NULL;
    static const char *const fields[] = {"category", "summary", "records", NULL};
    if (req_check_fields(r, changes, fields) != 0) return NULL;
    json_t *cat = json_object_get(changes, "category"), *sum = json_object_get(changes, "summary");
    if ((cat && !json_is_string(cat)) || (sum && !(json_is_string(sum) && json_string_length(sum) <= TEXT_MAX)))
        return reply_error(r, 400, "bad_request", "category 应为代码，summary 为不超过 %d 字节的文字", TEXT_MAX), NULL;
    json_t *out = json_object();
    char *err = NULL;
    if (cat) {
        json_t *label = NULL;
        int fu = 0;
        int rc = category_of(r, json_string_value(cat), &label, &fu, &err);
        if (rc != 1) { json_decref(out); category_fail(r, json_string_value(cat), err); return NULL; }
        json_object_set(out, "category", cat);
        json_object_set_new(out, "category_label", label);
        json_object_set_new(out, "follow_up", json_boolean(fu));
    }
    if (sum) json_object_set(out, "summary", sum);
    if (json_object_get(changes, "records")) {
        long long task_id = json_integer_value(json_object_get(res, "task_id"));
        json_t *task = tasks_load(r->db, task_id, &err);
        if (!task) { json_decref(out); reply_db_error(r, err ? err : strdup("task missing")); return NULL; }
        json_t *recs = check_records(r, task, json_string_value(json_object_get(res, "uscc")),
                                     json_object_get(changes, "records"));
        json_decref(task);
        if (!recs) { json_decref(out); return NULL; }
        json_object_set_new(out, "records", recs);
    }
    return out;
}

/* ---- views ---- */

/* The team row of the result's unit: {inspectors:[…], leader} or NULL (none / *err). */
static json_t *team_of(sqlite3 *db, long long task_id, const char *uscc, char **err)
{
    json_t *t = db_row(db, err, "SELECT inspectors, leader, method FROM task_teams WHERE task_id = ? AND uscc = ?", "is",
                       task_id, uscc);
    static const char *const keys[] = {"inspectors", NULL};
    if (t) spot_decode_json(t, keys);
    return t;
}

/* Signatures of the result and the team members still to sign. */
static int signatures(sqlite3 *db, json_t *res, json_t **signed_out, json_t **pending_out, char **err)
{
    long long id = json_integer_value(json_object_get(res, "id"));
    json_t *team = team_of(db, json_integer_value(json_object_get(res, "task_id")),
                           json_string_value(json_object_get(res, "uscc")), err);
    if (!team && *err) return -1;
    json_t *sig = db_rows(db, err, "SELECT cert_no, version, at FROM result_signatures WHERE result_id = ? ORDER BY at, cert_no",
                          "i", id);
    if (!sig) { json_decref(team); return -1; }
    json_t *pending = json_array();
    size_t i, k;
    json_t *c, *s;
    json_array_foreach(json_object_get(team, "inspectors"), i, c) {
        int done = 0;
        json_array_foreach(sig, k, s) done |= json_equal(json_object_get(s, "cert_no"), c);
        if (!done) json_array_append(pending, c);
    }
    json_decref(team);
    *signed_out = sig;
    *pending_out = pending;
    return 0;
}

/* The staff view of one result (see the header comment). New reference or NULL with *err. */
static json_t *result_view(req *r, long long id, char **err)
{
    json_t *res = results_load(r->db, id, 0, err);
    if (!res) return NULL;
    long long task_id = json_integer_value(json_object_get(res, "task_id"));
    const char *uscc = json_string_value(json_object_get(res, "uscc"));
    json_t *sig = NULL, *pending = NULL;
    if (signatures(r->db, res, &sig, &pending, err) != 0) goto fail;
    json_object_set_new(res, "signatures", sig);
    json_object_set_new(res, "pending_signatures", pending);
    json_object_set_new(res, "all_signed", json_boolean(json_array_size(pending) == 0 && json_array_size(sig) > 0));
    json_t *team = team_of(r->db, task_id, uscc, err);
    if (!team && *err) goto fail;
    json_object_set_new(res, "team", team ? team : json_null());
    json_t *reviews = db_rows(r->db, err, "SELECT id, version, approve, opinion, signers, actor, at FROM result_reviews "
                                          "WHERE result_id = ? ORDER BY id", "i", id);
    if (!reviews) goto fail;
    size_t i;
    json_t *x;
    static const char *const sk[] = {"signers", NULL}, *const ck[] = {"changes", NULL};
    json_array_foreach(reviews, i, x) {
        spot_decode_json(x, sk);
        json_object_set_new(x, "approve", json_boolean(json_integer_value(json_object_get(x, "approve"))));
    }
    json_object_set(res, "review", json_array_size(reviews) ? json_array_get(reviews, json_array_size(reviews) - 1) : json_null());
    json_object_set_new(res, "reviews", reviews);
    json_t *corr = db_rows(r->db, err, "SELECT id, reason, changes, source, objection_id, status, requested_by, requested_at, "
                                       "decided_by, decided_at, decided_date, note, seq FROM result_corrections "
                                       "WHERE result_id = ? ORDER BY id", "i", id);
    if (!corr) goto fail;
    json_array_foreach(corr, i, x) spot_decode_json(x, ck);
    json_object_set_new(res, "correction_requests", corr);
    if (!strcmp(json_string_value(json_object_get(res, "status")), "published")) {
        json_t *cur = json_pack("{sO sO sO sO sO}", "id", json_object_get(res, "id"), "category",
                                json_object_get(res, "category"), "category_label", json_object_get(res, "category_label"),
                                "summary", json_object_get(res, "summary"), "records", json_object_get(res, "records"));
        if (results_apply_corrections(r->db, cur, err) != 0) { json_decref(cur); goto fail; }
        json_object_del(cur, "id");
        json_object_set_new(res, "current", cur);
    }
    json_t *fu = followups_of_result(r->db, id, err);
    if (!fu) goto fail;
    json_object_set_new(res, "followups", fu);
    json_t *att = attachments_list(r->db, task_id, id, err);
    if (!att) goto fail;
    json_object_set_new(res, "attachments", att);
    json_t *obj = db_rows(r->db, err, "SELECT id, received, status, decision, review_due, feedback_due, feedback_sent "
                                      "FROM objections WHERE result_id = ? ORDER BY id", "i", id);
    if (!obj) goto fail;
    json_object_set_new(res, "objections", obj);
    json_t *due = json_object_get(res, "due_date");
    if (json_is_string(due)) {
        json_object_set(res, "deadline", due);
        if (strcmp(json_string_value(json_object_get(res, "status")), "published")) {
            json_t *lv = results_level(r, json_string_value(due), NULL, err);
            if (!lv) goto fail;
            json_object_set(res, "warning", json_object_get(lv, "level"));
            json_object_set(res, "warning_reason", json_object_get(lv, "reason"));
            json_decref(lv);
        }
    }
    return res;
fail:
    json_decref(res);
    return NULL;
}

static json_t *result_or_404(req *r, long long *id)
{
    *id = req_param_id(r, 0);
    char *err = NULL;
    json_t *res = *id > 0 ? db_row(r->db, &err, "SELECT id, task_id, uscc, status, version, category FROM results WHERE id = ?",
                                   "i", *id) : NULL;
    if (!res) {
        if (err) reply_db_error(r, err);
        else reply_error(r, 404, "not_found", "没有这个检查结果");
    }
    return res;
}

/* Replies with the view of result id (status). */
static int reply_view(req *r, int status, long long id)
{
    char *err = NULL;
    json_t *v = result_view(r, id, &err);
    if (!v) return err && strstr(err, "rules/") ? reply_rule_error(r, err) : reply_db_error(r, err);
    return reply_json(r, status, v);
}

/* ---- entry ---- */

static int h_enter(req *r)
{
    long long task_id = req_param_id(r, 0);
    char *err = NULL;
    json_t *task = task_id > 0 ? tasks_load(r->db, task_id, &err) : NULL, *recs = NULL, *label = NULL, *due = NULL;
    json_t *ad = NULL;
    int out = 0;
    if (!task) return err ? reply_db_error(r, err) : reply_error(r, 404, "not_found", "没有这个任务");
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"uscc", "category", "summary", "records", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *uscc = json_string_value(json_object_get(r->json, "uscc"));
    const char *cat = json_string_value(json_object_get(r->json, "category"));
    json_t *summary = json_object_get(r->json, "summary");
    if (!uscc || !cat || !text_ok(summary, TEXT_MAX)) {
        out = reply_error(r, 400, "bad_request", "需要 uscc、category（a–h），summary 为不超过 %d 字节的文字", TEXT_MAX);
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(task, "status")), "dispatched")) {
        out = reply_error(r, 409, "not_dispatched", "任务尚未锁定派发，不能录入检查结果");
        goto done;
    }
    long long in_task = db_int(r->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ? AND uscc = ?", "is",
                               task_id, uscc);
    if (err) { out = reply_db_error(r, err); goto done; }
    if (!in_task) { out = reply_error(r, 422, "unknown_unit", "单位 %s 不在本任务的抽查名单中", uscc); goto done; }
    int on = results_on_team(r->db, task_id, uscc, r->user->cert_no, &err);
    if (on < 0) { out = reply_db_error(r, err); goto done; }
    if (!on) {
        out = reply_error(r, 403, "not_on_team", "“谁检查、谁录入”：只有该单位检查组的成员可以录入检查结果");
        goto done;
    }
    int fu = 0;
    int rc = category_of(r, cat, &label, &fu, &err);
    if (rc != 1) { out = category_fail(r, cat, err); goto done; }
    recs = check_records(r, task, uscc, json_object_get(r->json, "records"));
    if (!recs) goto done;
    json_t *old = db_row(r->db, &err, "SELECT id, status, version FROM results WHERE task_id = ? AND uscc = ?", "is",
                         task_id, uscc);
    if (!old && err) { out = reply_db_error(r, err); goto done; }
    if (old && !strcmp(json_string_value(json_object_get(old, "status")), "published")) {
        json_decref(old);
        out = reply_error(r, 409, "published", "检查结果已公示，不能修改；如需更正请提交更正申请（第9.1条）");
        goto done;
    }
    due = results_deadline(r, "publication_due", json_string_value(json_object_get(task, "end_date")), NULL, &err);
    if (!due) { json_decref(old); out = reply_rule_error(r, err); goto done; }
    char at[32], obj[64];
    clock_now_rfc3339(at);
    const char *sumtext = json_is_string(summary) ? json_string_value(summary) : "";
    long long id = old ? json_integer_value(json_object_get(old, "id")) : 0;
    long long cleared = 0;
    if (db_begin(r->db, &err) != 0) { json_decref(old); out = reply_db_error(r, err); goto done; }
    int ok;
    if (old) {
        cleared = db_int(r->db, &err, 0, "SELECT count(*) FROM result_signatures WHERE result_id = ?", "i", id);
        ok = !err &&
             db_run(r->db, &err, "DELETE FROM result_signatures WHERE result_id = ?", "i", id) >= 0 &&
             db_run(r->db, &err, "UPDATE results SET category = ?, category_label = ?, follow_up = ?, summary = ?, "
                                 "status = 'draft', version = version + 1, rule_sha = ?, due_date = ?, due_reason = ?, "
                                 "due_clause = ?, due_warning = ?, due_rule_sha = ?, updated_by = ?, updated_at = ?, "
                                 "reviewed_by = NULL, reviewed_at = NULL WHERE id = ? AND status <> 'published'",
                    "sjisssjjjsssi", cat, label, (long long)fu, sumtext, worker_rule_sha(r->w, "categories"),
                    json_string_value(json_object_get(due, "date")), json_object_get(due, "reason"),
                    json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_string_value(json_object_get(due, "rule_sha")), req_actor(r), at, id) == 1;
    } else {
        ok = db_run(r->db, &err, "INSERT INTO results(task_id, uscc, lead_unit, category, category_label, follow_up, summary, "
                                 "rule_sha, due_date, due_reason, due_clause, due_warning, due_rule_sha, entered_by, entered_at, "
                                 "updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    "isjsjisssjjjsssss", task_id, uscc, json_object_get(task, "lead_unit"), cat, label, (long long)fu,
                    sumtext, worker_rule_sha(r->w, "categories"), json_string_value(json_object_get(due, "date")),
                    json_object_get(due, "reason"), json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_string_value(json_object_get(due, "rule_sha")), req_actor(r), at, req_actor(r), at) == 1;
        id = sqlite3_last_insert_rowid(r->db);
    }
    int existed = old != NULL;
    json_decref(old);
    snprintf(obj, sizeof obj, "result:%lld", id);
    ad = json_pack("{sI ss ss sI sI ss ss}", "task_id", (json_int_t)task_id, "uscc", uscc, "category", cat, "records",
                   (json_int_t)json_array_size(recs), "signatures_cleared", (json_int_t)cleared, "rule_sha",
                   worker_rule_sha(r->w, "categories"), "publication_due", json_string_value(json_object_get(due, "date")));
    ok = ok && insert_records(r->db, id, recs, &err) == 0 &&
         audit_log(r->db, req_actor(r), existed ? "result.update" : "result.create", obj, ad, &err) == 0 &&
         db_commit(r->db, &err) == 0;
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, existed ? 200 : 201, id);
done:
    json_decref(ad);
    json_decref(due);
    json_decref(label);
    json_decref(recs);
    json_decref(task);
    return out;
}

static int h_task_results(req *r)
{
    long long task_id = req_param_id(r, 0);
    char *err = NULL;
    json_t *task = task_id > 0 ? tasks_load(r->db, task_id, &err) : NULL;
    if (!task) return err ? reply_db_error(r, err) : reply_error(r, 404, "not_found", "没有这个任务");
    json_decref(task);
    int staff = results_task_staff(r, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, &err);
    if (staff < 0) return reply_db_error(r, err);
    if (!staff) return reply_error(r, 403, "forbidden", "只有本任务的工作人员可以查看检查结果");
    json_t *rows = db_rows(r->db, &err,
        "SELECT r.id, r.uscc, e.name, r.category, r.category_label, r.status, r.version, r.due_date AS deadline, "
        "r.published_at, r.published_late, (SELECT count(*) FROM result_signatures s WHERE s.result_id = r.id) AS signed, "
        "(SELECT json_array_length(t.inspectors) FROM task_teams t WHERE t.task_id = r.task_id AND t.uscc = r.uscc) AS team_size, "
        "(SELECT count(*) FROM result_corrections c WHERE c.result_id = r.id AND c.status = 'approved') AS corrections "
        "FROM results r LEFT JOIN enterprises e ON e.uscc = r.uscc WHERE r.task_id = ? ORDER BY r.id", "i", task_id);
    json_t *units = rows ? db_rows(r->db, &err, "SELECT u.uscc, e.name, e.industry, e.region, t.leader, t.inspectors "
                                               "FROM task_units u LEFT JOIN enterprises e ON e.id = u.enterprise_id "
                                               "LEFT JOIN task_teams t ON t.task_id = u.task_id AND t.uscc = u.uscc "
                                               "WHERE u.task_id = ? ORDER BY u.pos", "i", task_id) : NULL;
    if (!units) { json_decref(rows); return reply_db_error(r, err); }
    size_t i;
    json_t *x;
    static const char *const keys[] = {"inspectors", NULL};
    json_array_foreach(units, i, x) spot_decode_json(x, keys);
    json_array_foreach(rows, i, x) {
        json_object_set_new(x, "published_late", json_boolean(json_integer_value(json_object_get(x, "published_late"))));
        const char *d = json_string_value(json_object_get(x, "deadline"));
        if (d && strcmp(json_string_value(json_object_get(x, "status")), "published")) {
            json_t *lv = results_level(r, d, NULL, &err);
            if (!lv) { json_decref(rows); json_decref(units); return reply_rule_error(r, err); }
            json_object_set(x, "warning", json_object_get(lv, "level"));
            json_decref(lv);
        }
    }
    return reply_json(r, 200, json_pack("{so so}", "results", rows, "units", units));
}

static int h_get(req *r)
{
    long long id;
    json_t *res = result_or_404(r, &id);
    if (!res) return 0;
    char *err = NULL;
    int staff = results_task_staff(r, json_integer_value(json_object_get(res, "task_id")),
                                   ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, &err);
    json_decref(res);
    if (staff < 0) return reply_db_error(r, err);
    if (!staff) return reply_error(r, 403, "forbidden", "只有本任务的工作人员可以查看检查结果");
    return reply_view(r, 200, id);
}

/* ---- sign, review, publish ---- */

static int h_sign(req *r)
{
    long long id;
    json_t *res = result_or_404(r, &id);
    if (!res) return 0;
    int out = 0;
    char *err = NULL;
    if (r->json && !json_is_object(r->json)) { out = reply_error(r, 400, "bad_request", "请求体应为 JSON 对象"); goto done; }
    if (r->json && json_object_size(r->json)) { out = reply_error(r, 400, "unknown_field", "签名不需要参数"); goto done; }
    long long task_id = json_integer_value(json_object_get(res, "task_id"));
    const char *uscc = json_string_value(json_object_get(res, "uscc"));
    int on = results_on_team(r->db, task_id, uscc, r->user->cert_no, &err);
    if (on < 0) { out = reply_db_error(r, err); goto done; }
    if (!on) { out = reply_error(r, 403, "not_on_team", "只有该单位检查组的成员本人可以签名"); goto done; }
    if (strcmp(json_string_value(json_object_get(res, "status")), "draft")) {
        out = reply_error(r, 409, "not_draft", "检查结果已审核或已公示，不能再签名");
        goto done;
    }
    long long have = db_int(r->db, &err, 0, "SELECT count(*) FROM result_signatures WHERE result_id = ? AND cert_no = ?", "is",
                            id, r->user->cert_no);
    if (err) { out = reply_db_error(r, err); goto done; }
    if (have) { out = reply_error(r, 409, "already_signed", "您已签名"); goto done; }
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    json_t *ad = json_pack("{ss sO}", "cert_no", r->user->cert_no, "version", json_object_get(res, "version"));
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO result_signatures(result_id, cert_no, username, version, at) VALUES (?,?,?,?,?)",
                    "issjs", id, r->user->cert_no, r->user->username, json_object_get(res, "version"), at) == 1 &&
             audit_log(r->db, req_actor(r), "result.sign", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(res);
    return out;
}

/* Team members who have not signed result id: -1 on error, else the count (and *signers the
 * signed cert_nos, new ref, if signers). */
static long long unsigned_count(sqlite3 *db, json_t *res, json_t **signers, char **err)
{
    json_t *sig = NULL, *pending = NULL;
    if (signatures(db, res, &sig, &pending, err) != 0) return -1;
    long long n = (long long)json_array_size(pending);
    if (!json_array_size(sig)) n = n ? n : 1;
    if (signers) {
        *signers = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(sig, i, s) json_array_append(*signers, json_object_get(s, "cert_no"));
    }
    json_decref(sig);
    json_decref(pending);
    return n;
}

static int h_review(req *r)
{
    long long id;
    json_t *res = result_or_404(r, &id), *signers = NULL;
    if (!res) return 0;
    int out = 0;
    char *err = NULL;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"approve", "reason", "opinion", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    json_t *ap = json_object_get(r->json, "approve");
    json_t *op = json_object_get(r->json, "opinion");
    if (!op) op = json_object_get(r->json, "reason");
    if (!json_is_boolean(ap) || !text_ok(json_object_get(r->json, "reason"), REASON_MAX) ||
        !text_ok(json_object_get(r->json, "opinion"), REASON_MAX)) {
        out = reply_error(r, 400, "bad_request", "需要 approve（true/false）；reason 或 opinion 为不超过 %d 字节的文字", REASON_MAX);
        goto done;
    }
    int approve = json_is_true(ap);
    const char *opinion = json_is_string(op) ? json_string_value(op) : "";
    if (!approve && !*opinion) { out = reply_error(r, 400, "reason_required", "退回须说明理由"); goto done; }
    if (strcmp(json_string_value(json_object_get(res, "status")), "draft")) {
        out = reply_error(r, 409, "not_draft", "只有待审核（草稿）的检查结果可以审核");
        goto done;
    }
    int own = results_on_team(r->db, json_integer_value(json_object_get(res, "task_id")),
                              json_string_value(json_object_get(res, "uscc")), r->user->cert_no, &err);
    if (own < 0) { out = reply_db_error(r, err); goto done; }
    if (own) { out = reply_error(r, 403, "own_result", "检查组成员不能审核本组的检查结果"); goto done; }
    long long missing = unsigned_count(r->db, res, &signers, &err);
    if (missing < 0) { out = reply_db_error(r, err); goto done; }
    if (approve && missing > 0) {
        out = reply_error(r, 409, "unsigned", "检查组还有 %lld 名成员未签名，不能审核通过（第8.4条：检查组成员均须签名）", missing);
        goto done;
    }
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    json_t *ad = json_pack("{sb ss sO sO}", "approve", approve, "opinion", opinion, "version", json_object_get(res, "version"),
                           "signers", signers);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO result_reviews(result_id, version, approve, opinion, signers, actor, at) "
                                 "VALUES (?,?,?,?,?,?,?)", "ijisjss", id, json_object_get(res, "version"), (long long)approve,
                    opinion, signers, req_actor(r), at) == 1 &&
             (approve ? db_run(r->db, &err, "UPDATE results SET status = 'approved', reviewed_by = ?, reviewed_at = ? "
                                            "WHERE id = ? AND status = 'draft'", "ssi", req_actor(r), at, id) == 1
                      : db_run(r->db, &err, "DELETE FROM result_signatures WHERE result_id = ?", "i", id) >= 0) &&
             audit_log(r->db, req_actor(r), approve ? "result.approve" : "result.return", obj, ad, &err) == 0 &&
             db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(signers);
    json_decref(res);
    return out;
}

static int h_publish(req *r)
{
    long long id;
    json_t *res = result_or_404(r, &id), *due = NULL, *task = NULL;
    if (!res) return 0;
    int out = 0;
    char *err = NULL;
    if (r->json && !(json_is_object(r->json) && json_object_size(r->json) == 0)) {
        out = reply_error(r, 400, "unknown_field", "公示不需要参数");
        goto done;
    }
    long long task_id = json_integer_value(json_object_get(res, "task_id"));
    const char *uscc = json_string_value(json_object_get(res, "uscc"));
    if (!req_has_role(r, ROLE_HEAD)) {
        int on = results_on_team(r->db, task_id, uscc, r->user->cert_no, &err);
        if (on < 0) { out = reply_db_error(r, err); goto done; }
        if (!on) {
            out = reply_error(r, 403, "not_on_team", "“谁检查、谁公示”：只有该单位检查组的成员或执法单位负责人可以公示");
            goto done;
        }
    }
    const char *status = json_string_value(json_object_get(res, "status"));
    if (!strcmp(status, "published")) { out = reply_error(r, 409, "published", "检查结果已公示"); goto done; }
    long long missing = unsigned_count(r->db, res, NULL, &err);
    if (missing < 0) { out = reply_db_error(r, err); goto done; }
    if (missing > 0) {
        out = reply_error(r, 409, "unsigned", "检查组还有 %lld 名成员未签名，不能公示（第8.4条）", missing);
        goto done;
    }
    if (strcmp(status, "approved")) { out = reply_error(r, 409, "not_reviewed", "检查结果尚未通过录入审核，不能公示"); goto done; }
    task = tasks_load(r->db, task_id, &err);
    if (!task) { out = reply_db_error(r, err ? err : strdup("task missing")); goto done; }
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    due = results_deadline(r, "publication_due", json_string_value(json_object_get(task, "end_date")), today, &err);
    if (!due) { out = reply_rule_error(r, err); goto done; }
    const char *due_date = json_string_value(json_object_get(due, "date"));
    int late = strcmp(today, due_date) > 0;
    snprintf(obj, sizeof obj, "result:%lld", id);
    json_t *ad = json_pack("{ss sO ss sO sO sb}", "uscc", uscc, "version", json_object_get(res, "version"), "publication_due",
                           due_date, "due_reason", json_object_get(due, "reason"), "rule_sha", json_object_get(due, "rule_sha"),
                           "late", late);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "UPDATE results SET status = 'published', published_by = ?, published_at = ?, "
                                 "published_date = ?, published_late = ?, due_date = ?, due_reason = ?, due_clause = ?, "
                                 "due_warning = ?, due_rule_sha = ? WHERE id = ? AND status = 'approved'",
                    "sssisjjjji", req_actor(r), at, today, (long long)late, due_date, json_object_get(due, "reason"),
                    json_object_get(due, "clause"), json_object_get(due, "warning"), json_object_get(due, "rule_sha"),
                    id) == 1 &&
             audit_log(r->db, req_actor(r), "result.publish", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(task);
    json_decref(due);
    json_decref(res);
    return out;
}

/* ---- corrections (9.1) ---- */

static int h_correction(req *r)
{
    long long id;
    json_t *res = result_or_404(r, &id), *changes = NULL;
    if (!res) return 0;
    int out = 0;
    char *err = NULL;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"reason", "changes", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *reason = json_string_value(json_object_get(r->json, "reason"));
    if (!reason || !*reason || strlen(reason) > REASON_MAX) {
        out = reply_error(r, 400, "reason_required", "更正须说明理由（不超过 %d 字节）", REASON_MAX);
        goto done;
    }
    if (req_has_role(r, ROLE_INSPECTOR)) {
        int on = results_on_team(r->db, json_integer_value(json_object_get(res, "task_id")),
                                 json_string_value(json_object_get(res, "uscc")), r->user->cert_no, &err);
        if (on < 0) { out = reply_db_error(r, err); goto done; }
        if (!on) { out = reply_error(r, 403, "not_on_team", "只有该单位检查组的成员可以申请更正"); goto done; }
    }
    if (strcmp(json_string_value(json_object_get(res, "status")), "published")) {
        out = reply_error(r, 409, "not_published", "检查结果尚未公示，请直接修改草稿");
        goto done;
    }
    json_t *full = results_load(r->db, id, 0, &err);
    if (!full) { out = reply_db_error(r, err); goto done; }
    changes = results_check_changes(r, full, json_object_get(r->json, "changes"));
    json_decref(full);
    if (!changes) goto done;
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    json_t *ad = json_pack("{ss sO}", "reason", reason, "changes", changes);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO result_corrections(result_id, reason, changes, rule_sha, requested_by, requested_at) "
                                 "VALUES (?,?,?,?,?,?)", "isjsss", id, reason, changes,
                    json_object_get(changes, "category") ? worker_rule_sha(r->w, "categories") : "", req_actor(r), at) == 1;
    long long cid = sqlite3_last_insert_rowid(r->db);
    ok = ok && audit_log(r->db, req_actor(r), "result.correction_request", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_json(r, 201, json_pack("{sI sI ss ss sO ss}", "id", (json_int_t)cid, "result_id", (json_int_t)id, "status",
                                       "pending", "reason", reason, "changes", changes, "message",
                                       "更正申请已提交，须执行单位负责人批准后生效"));
done:
    json_decref(changes);
    json_decref(res);
    return out;
}

static int decide_correction(req *r, int approve)
{
    long long id;
    json_t *res = result_or_404(r, &id), *corr = NULL, *changes = NULL;
    if (!res) return 0;
    long long cid = req_param_id(r, 1);
    int out = 0;
    char *err = NULL;
    if (r->json && !json_is_object(r->json)) { out = reply_error(r, 400, "bad_request", "请求体应为 JSON 对象"); goto done; }
    static const char *const fields[] = {"note", "reason", "changes", NULL};
    if (r->json && req_check_fields(r, r->json, fields) != 0) goto done;
    json_t *note = json_object_get(r->json, "note");
    if (!note) note = json_object_get(r->json, "reason");
    if (!text_ok(note, REASON_MAX)) { out = reply_error(r, 400, "bad_request", "note 应为不超过 %d 字节的文字", REASON_MAX); goto done; }
    if (!approve && !json_is_string(note)) { out = reply_error(r, 400, "reason_required", "不予批准须说明理由"); goto done; }
    corr = cid > 0 ? db_row(r->db, &err, "SELECT * FROM result_corrections WHERE id = ? AND result_id = ?", "ii", cid, id) : NULL;
    if (!corr) { out = err ? reply_db_error(r, err) : reply_error(r, 404, "not_found", "没有这个更正申请"); goto done; }
    if (strcmp(json_string_value(json_object_get(corr, "status")), "pending")) {
        out = reply_error(r, 409, "decided", "该更正申请已处理");
        goto done;
    }
    changes = json_loads(json_string_value(json_object_get(corr, "changes")), 0, NULL);
    if (!changes) changes = json_object();
    json_t *given = r->json ? json_object_get(r->json, "changes") : NULL;
    if (approve && given) {
        json_t *full = results_load(r->db, id, 0, &err);
        if (!full) { out = reply_db_error(r, err); goto done; }
        json_t *c2 = results_check_changes(r, full, given);
        json_decref(full);
        if (!c2) goto done;
        json_object_update(changes, c2);
        json_decref(c2);
    }
    if (approve && json_object_size(changes) == 0) {
        out = reply_error(r, 422, "empty_correction", "更正内容为空：请在批准时给出 changes（category、summary 或 records）");
        goto done;
    }
    char at[32], today[16], obj[64];
    clock_now_rfc3339(at);
    clock_today(today);
    snprintf(obj, sizeof obj, "result:%lld", id);
    json_t *ad = json_pack("{sI sO? sO}", "correction_id", (json_int_t)cid, "note", note, "changes", changes);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "UPDATE result_corrections SET status = ?, decided_by = ?, decided_at = ?, decided_date = ?, "
                                 "note = ?, changes = ?, seq = CASE WHEN ? THEN (SELECT coalesce(max(seq), 0) + 1 FROM "
                                 "result_corrections WHERE result_id = ?) END WHERE id = ? AND status = 'pending'",
                    "ssssjjiii", approve ? "approved" : "rejected", req_actor(r), at, today, note, changes,
                    (long long)approve, id, cid) == 1 &&
             audit_log(r->db, req_actor(r), approve ? "result.correction_approve" : "result.correction_reject", obj, ad,
                       &err) == 0 &&
             db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_view(r, 200, id);
done:
    json_decref(changes);
    json_decref(corr);
    json_decref(res);
    return out;
}

static int h_correction_approve(req *r) { return decide_correction(r, 1); }
static int h_correction_reject(req *r) { return decide_correction(r, 0); }

/* ---- correction requests across results ---- */

#define CORRECTIONS_PAGE 50
#define CORRECTIONS_PAGE_MAX 200

/* Parses an optional positive page number or size; 0 if given and valid (or absent: *out = dflt). */
static int parse_positive(const char *s, long long dflt, long long max, long long *out)
{
    *out = dflt;
    if (!s || !*s) return 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 1 || v > max) return -1;
    *out = v;
    return 0;
}

static int h_corrections(req *r)
{
    const char *status = req_query(r, "status");
    if (status && !*status) status = NULL;
    if (status && strcmp(status, "pending") && strcmp(status, "approved") && strcmp(status, "rejected"))
        return reply_error(r, 400, "bad_status", "status 应为 pending（待批准）、approved（已批准）或 rejected（已驳回）");
    long long page, per_page;
    if (parse_positive(req_query(r, "page"), 1, 1000000000LL, &page) ||
        parse_positive(req_query(r, "per_page"), CORRECTIONS_PAGE, CORRECTIONS_PAGE_MAX, &per_page))
        return reply_error(r, 400, "bad_request", "page 应为正整数，per_page 为 1 到 %d", CORRECTIONS_PAGE_MAX);
    char *err = NULL;
    long long total = db_int(r->db, &err, 0, "SELECT count(*) FROM result_corrections WHERE ?1 IS NULL OR status = ?1",
                             "s", status);
    json_t *rows = err ? NULL : db_rows(r->db, &err,
        "SELECT c.id, c.result_id, r.uscc, e.name, r.task_id, t.name AS task_name, r.status AS result_status, c.reason, "
        "c.changes, c.source, c.objection_id, c.status, c.requested_by, c.requested_at, c.decided_by, c.decided_at, c.note "
        "FROM result_corrections c JOIN results r ON r.id = c.result_id JOIN tasks t ON t.id = r.task_id "
        "LEFT JOIN enterprises e ON e.uscc = r.uscc WHERE ?1 IS NULL OR c.status = ?1 "
        "ORDER BY c.requested_at DESC, c.id DESC LIMIT ?2 OFFSET ?3", "sii", status, per_page, (page - 1) * per_page);
    if (!rows) return reply_db_error(r, err);
    size_t i;
    json_t *x;
    static const char *const keys[] = {"changes", NULL};
    json_array_foreach(rows, i, x) spot_decode_json(x, keys);
    return reply_json(r, 200, json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page, "per_page",
                                        (json_int_t)per_page, "corrections", rows));
}

/* ---- public results ---- */

static int h_public(req *r)
{
    const char *task = req_query(r, "task"), *year = req_query(r, "year"), *industry = req_query(r, "industry");
    const char *region = req_query(r, "region"), *category = req_query(r, "category"), *pg = req_query(r, "page");
    long long page = pg ? atoll(pg) : 1;
    if (page < 1) page = 1;
    long long task_id = task && *task ? atoll(task) : 0, y = year && *year ? atoll(year) : 0;
    if ((task && *task && task_id <= 0) || (year && *year && (y < 1900 || y > 2999)))
        return reply_error(r, 400, "bad_request", "task 应为任务编号，year 为年份");
    if (industry && !*industry) industry = NULL;
    if (region && !*region) region = NULL;
    if (category && !*category) category = NULL;
    const char *where =
        "FROM results r JOIN tasks t ON t.id = r.task_id LEFT JOIN enterprises e ON e.uscc = r.uscc "
        "WHERE r.status = 'published' AND (?1 = 0 OR r.task_id = ?1) AND (?2 = 0 OR t.year = ?2) "
        "AND (?3 IS NULL OR e.industry = ?3) AND (?4 IS NULL OR e.region = ?4) AND (?5 IS NULL OR "
        "coalesce((SELECT json_extract(c.changes, '$.category') FROM result_corrections c WHERE c.result_id = r.id "
        "AND c.status = 'approved' AND json_extract(c.changes, '$.category') IS NOT NULL ORDER BY c.seq DESC LIMIT 1), "
        "r.category) = ?5)";
    char *err = NULL;
    char *sql_n = xprintf("SELECT count(*) %s", where);
    char *sql = xprintf("SELECT r.id, r.task_id, t.name AS task_name, t.year, r.uscc, e.name, e.industry, e.region, "
                        "r.lead_unit, r.category, r.category_label, r.summary, r.status, r.published_at, r.published_date, "
                        "r.due_date AS publication_due %s ORDER BY r.published_at DESC, r.id DESC LIMIT ?6 OFFSET ?7", where);
    long long total = db_int(r->db, &err, 0, sql_n, "iisss", task_id, y, industry, region, category);
    json_t *rows = err ? NULL : db_rows(r->db, &err, sql, "iisssii", task_id, y, industry, region, category,
                                        (long long)PUBLIC_PAGE, (page - 1) * PUBLIC_PAGE);
    free(sql_n);
    free(sql);
    if (!rows) return reply_db_error(r, err);
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        json_t *recs = records_of(r->db, json_integer_value(json_object_get(x, "id")), &err);
        if (!recs) { json_decref(rows); return reply_db_error(r, err); }
        json_object_set_new(x, "records", recs);
        if (results_apply_corrections(r->db, x, &err) != 0) { json_decref(rows); return reply_db_error(r, err); }
        json_object_del(x, "follow_up");
    }
    return reply_json(r, 200, json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page, "page_size",
                                        (json_int_t)PUBLIC_PAGE, "results", rows));
}

const struct route results_routes[] = {
    {"POST", "/api/tasks/{id}/results", ROLE_INSPECTOR, h_enter},
    {"GET", "/api/tasks/{id}/results", ROLE_STAFF, h_task_results},
    {"GET", "/api/results/{id}", ROLE_STAFF, h_get},
    {"POST", "/api/results/{id}/sign", ROLE_INSPECTOR, h_sign},
    {"POST", "/api/results/{id}/review", ROLE_HEAD, h_review},
    {"POST", "/api/results/{id}/publish", ROLE_INSPECTOR | ROLE_HEAD, h_publish},
    {"POST", "/api/results/{id}/corrections", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_correction},
    {"POST", "/api/results/{id}/corrections/{cid}/approve", ROLE_HEAD, h_correction_approve},
    {"POST", "/api/results/{id}/corrections/{cid}/reject", ROLE_HEAD, h_correction_reject},
    {"GET", "/api/corrections", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_corrections},
    {"GET", "/api/public/results", ROLE_PUBLIC, h_public},
    {0},
};
