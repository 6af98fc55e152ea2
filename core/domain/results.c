/* results.c: inspection results, sign-off, review, publication and corrections (clauses 8.1-8.4,
 * 9.1; SPEC §5). The routes and what they admit are listed in http/api_results.c.
 *
 * A published result is never updated: the database refuses it (triggers of 0004_results.sql);
 * approved corrections overlay it in approval order (result_corrections.seq). Publication fixes the
 * unit it is about (result_units, 0006), which the public results read.
 */
#include "results.h"
#include "taskorgs.h"
#include "access.h"
#include "attachments.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "decide.h"
#include "followups.h"
#include "jsonutil.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8000
#define REASON_MAX 2000
#define RECORDS_MAX 1000
#define PUBLIC_PAGE 50
#define CORRECTIONS_PAGE 50
#define CORRECTIONS_PAGE_MAX 200

/* ---- shared helpers ---- */

/* Sets *e to the storage failure err (freed) and returns -1. */
static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "results", err ? err : strdup("no row"));
}

/* Rolls back a transaction a failed step left open. */
static void rollback_open(spot_ctx *c)
{
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
}

/* The task row fields results need (id, status, end_date, lead_unit, item_ids decoded), or NULL with
 * *e (SPOT_E_NOTFOUND "没有这个任务"). New reference. */
static json_t *task_of(spot_ctx *c, long long task_id, spot_err *e)
{
    char *err = NULL;
    json_t *t = task_id > 0 ? db_row(c->db, &err, "SELECT id, status, start_date, end_date, lead_unit, item_ids, "
                                                  "joint_org_ids <> '[]' AS joint FROM tasks WHERE id = ?",
                                     "i", task_id) : NULL;
    if (!t) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务");
        return NULL;
    }
    static const char *const keys[] = {"item_ids", NULL};
    spot_decode_json(t, keys);
    return t;
}

static json_t *records_of(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT item_id, checkpoint_id, checkpoint, category, finding, cert_no FROM result_records "
                                        "WHERE result_id = ? ORDER BY pos", "i", id);
    if (!rows) fail_db(e, err);
    return rows;
}

int results_apply_corrections(spot_ctx *c, json_t *res, spot_err *e)
{
    long long id = json_integer_value(json_object_get(res, "id"));
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT id, reason, changes, source, decided_date AS date, decided_at AS at "
                                        "FROM result_corrections WHERE result_id = ? AND status = 'approved' ORDER BY seq",
                           "i", id);
    if (!rows) return fail_db(e, err);
    size_t i;
    json_t *x;
    static const char *const keys[] = {"changes", NULL};
    json_array_foreach(rows, i, x) {
        spot_decode_json(x, keys);
        json_t *ch = json_object_get(x, "changes");
        static const char *const fields[] = {"category", "category_label", "follow_up", "summary", "records", NULL};
        json_t *before = json_object();
        for (const char *const *f = fields; *f; f++)
            if (json_object_get(ch, *f)) {
                json_t *old = json_object_get(res, *f);
                json_object_set_new(before, *f, old ? json_deep_copy(old) : json_null());
                json_object_set(res, *f, json_object_get(ch, *f));
            }
        json_object_set_new(x, "before", before);
    }
    json_object_set_new(res, "corrected", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(res, "corrections", rows);
    return 0;
}

json_t *results_load(spot_ctx *c, long long id, int current, spot_err *e)
{
    char *err = NULL;
    json_t *res = id > 0 ? db_row(c->db, &err, "SELECT * FROM results WHERE id = ?", "i", id) : NULL;
    if (!res) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个检查结果");
        return NULL;
    }
    json_object_set_new(res, "follow_up", json_boolean(json_integer_value(json_object_get(res, "follow_up"))));
    json_object_set_new(res, "published_late", json_boolean(json_integer_value(json_object_get(res, "published_late"))));
    json_t *recs = records_of(c, id, e);
    if (!recs) { json_decref(res); return NULL; }
    json_object_set_new(res, "records", recs);
    if (current && !strcmp(json_string_value(json_object_get(res, "status")), "published") &&
        results_apply_corrections(c, res, e) != 0) {
        json_decref(res);
        return NULL;
    }
    return res;
}

/* The short row of result id (id, task_id, uscc, status, version, category), or NULL with *e
 * (SPOT_E_NOTFOUND "没有这个检查结果"). New reference. */
static json_t *result_row(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *res = id > 0 ? db_row(c->db, &err, "SELECT id, task_id, uscc, status, version, category FROM results WHERE id = ?",
                                  "i", id) : NULL;
    if (!res) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个检查结果");
    }
    return res;
}

static long long task_id_of(json_t *res)
{
    return json_integer_value(json_object_get(res, "task_id"));
}

static const char *uscc_of(json_t *res)
{
    return json_string_value(json_object_get(res, "uscc"));
}

static const char *status_of(json_t *res)
{
    return json_string_value(json_object_get(res, "status"));
}

/* Whether the caller's certificate is on the team of result res: 1, 0, -1 with *e. */
static int caller_on_team(spot_ctx *c, json_t *res, spot_err *e)
{
    return access_on_team(c, task_id_of(res), uscc_of(res), c->user ? c->user->cert_no : NULL, e);
}

/* The 8.4 category entry for code: 0 with *label (new ref) and *follow_up set; -1 with *e
 * (SPOT_E_INVALID unknown_category, or the rule failure). */
static int category_of(spot_ctx *c, const char *code, json_t **label, int *follow_up, spot_err *e)
{
    json_t *ret = decide_call(c, "categories", "result_category", json_pack("[s]", code), e);
    if (!ret) return -1;
    json_t *x = json_array_get(ret, 0);
    int ok = json_is_object(x) && json_is_string(json_object_get(x, "label"));
    if (ok) {
        *label = json_incref(json_object_get(x, "label"));
        *follow_up = json_is_true(json_object_get(x, "follow_up"));
    }
    json_decref(ret);
    if (!ok)
        return spot_fail(e, SPOT_E_INVALID, "unknown_category", "未知的检查结果类别“%s”：应为第8.4条所列 a–h 之一", code);
    return 0;
}

static int text_ok(json_t *v, size_t max)
{
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) <= max);
}

/* SPEC §10 "分别填写检查记录表": in a joint task an inspector records the items of their own org. The
 * caller's org when that applies (a joint task, an inspector with an org), else 0. */
static long long own_items_org(spot_ctx *c, json_t *task)
{
    if (!json_integer_value(json_object_get(task, "joint")) || !c->user || !ctx_has_role(c, ROLE_INSPECTOR)) return 0;
    return c->user->org_id > 0 ? c->user->org_id : 0;
}

/* Validates records for task (task_of row) and unit uscc. Returns a new normalised array, or NULL
 * with *e (400/422/500). */
static json_t *check_records(spot_ctx *c, json_t *task, const char *uscc, json_t *recs, spot_err *e)
{
    if (!recs || json_is_null(recs)) return json_array();
    if (!json_is_array(recs) || json_array_size(recs) > RECORDS_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "records 应为不超过 %d 条的数组", RECORDS_MAX), NULL;
    long long task_id = json_integer_value(json_object_get(task, "id"));
    json_t *items = json_object_get(task, "item_ids");
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    char *err = NULL, *cp_text = NULL;
    const char *own = c->user ? c->user->cert_no : "";
    json_array_foreach(recs, i, rec) {
        static const char *const fields[] = {"item_id", "checkpoint_id", "category", "finding", "cert_no", NULL};
        if (!json_is_object(rec)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "第 %zu 条记录应为对象", i + 1); goto fail; }
        if (spot_check_fields(rec, fields, e) != 0) goto fail;
        json_t *iid = json_object_get(rec, "item_id"), *cid = json_object_get(rec, "checkpoint_id");
        json_t *cat = json_object_get(rec, "category"), *finding = json_object_get(rec, "finding");
        json_t *cert = json_object_get(rec, "cert_no");
        if (!json_is_integer(iid) || (cid && !json_is_null(cid) && !json_is_integer(cid)) ||
            (cat && !json_is_null(cat) && !json_is_string(cat)) || !text_ok(finding, TEXT_MAX) ||
            (cert && !json_is_null(cert) && !json_is_string(cert))) {
            spot_fail(e, SPOT_E_INPUT, "bad_request",
                      "第 %zu 条记录：item_id 应为整数，checkpoint_id 为整数，finding 为不超过 %d 字节的文字", i + 1, TEXT_MAX);
            goto fail;
        }
        int listed = 0;
        size_t k;
        json_t *x;
        json_array_foreach(items, k, x) listed |= json_integer_value(x) == json_integer_value(iid);
        if (!listed) {
            spot_fail(e, SPOT_E_INVALID, "unknown_item", "第 %zu 条记录：抽查事项 %lld 不属于本任务", i + 1,
                      (long long)json_integer_value(iid));
            goto fail;
        }
        /* 5.1.1: an item that does not apply to the unit's industry has no place in its record */
        long long fits = db_int(c->db, &err, 1, "SELECT json_array_length(i.industries) = 0 OR EXISTS (SELECT 1 FROM "
                                                "json_each(i.industries) j, enterprises e WHERE e.uscc = ? AND j.value = e.industry) "
                                                "FROM items i WHERE i.id = ?", "si", uscc, (long long)json_integer_value(iid));
        if (err) { fail_db(e, err); goto fail; }
        if (!fits) {
            spot_fail(e, SPOT_E_INVALID, "item_not_applicable", "第 %zu 条记录：抽查事项 %lld 不适用于该单位的行业（第5.1.1条）",
                      i + 1, (long long)json_integer_value(iid));
            goto fail;
        }
        long long mine = own_items_org(c, task);
        if (mine > 0) {
            long long owner = db_int(c->db, &err, 0, "SELECT coalesce(org_id, 0) FROM items WHERE id = ?", "i",
                                     (long long)json_integer_value(iid));
            if (err) { fail_db(e, err); goto fail; }
            if (owner != mine) {
                spot_fail(e, SPOT_E_INVALID, "foreign_item", "第 %zu 条记录：抽查事项 %lld 由其所属部门的检查人员填写（联合检查分别填写检查记录表）",
                          i + 1, (long long)json_integer_value(iid));
                goto fail;
            }
        }
        if (json_is_integer(cid)) {
            cp_text = db_text(c->db, &err, "SELECT text FROM item_checkpoints WHERE id = ? AND item_id = ?", "ii",
                              (long long)json_integer_value(cid), (long long)json_integer_value(iid));
            if (err) { fail_db(e, err); goto fail; }
            if (!cp_text) {
                spot_fail(e, SPOT_E_INVALID, "unknown_checkpoint", "第 %zu 条记录：检查要点 %lld 不属于抽查事项 %lld", i + 1,
                          (long long)json_integer_value(cid), (long long)json_integer_value(iid));
                goto fail;
            }
        }
        if (!json_is_string(cat)) { /* no default: an unanswered checkpoint must not read as "a" (8.4) */
            spot_fail(e, SPOT_E_INPUT, "unanswered", "第 %zu 条记录：请选择该检查要点的结果类别（每个检查要点都须作答）", i + 1);
            goto fail;
        }
        {
            json_t *label = NULL;
            int fu = 0;
            if (category_of(c, json_string_value(cat), &label, &fu, e) != 0) goto fail;
            json_decref(label);
        }
        const char *who = json_is_string(cert) ? json_string_value(cert) : own;
        if (json_is_string(cert)) {
            int on = access_on_team(c, task_id, uscc, who, e);
            if (on < 0) goto fail;
            if (!on) {
                spot_fail(e, SPOT_E_INVALID, "not_on_team", "第 %zu 条记录：执法证号 %s 不在该单位的检查组中", i + 1, who);
                goto fail;
            }
        }
        json_array_append_new(out, json_pack("{sO sO? ss sO? ss so?}", "item_id", iid, "checkpoint_id", cid,
                                             "checkpoint", cp_text ? cp_text : "", "category", cat, "finding",
                                             json_is_string(finding) ? json_string_value(finding) : "",
                                             "cert_no", *who ? json_string(who) : NULL));
        free(cp_text);
        cp_text = NULL;
    }
    return out;
fail:
    free(cp_text);
    json_decref(out);
    return NULL;
}

static int insert_records(spot_ctx *c, long long id, json_t *recs, char **err)
{
    if (db_run(c->db, err, "DELETE FROM result_records WHERE result_id = ?", "i", id) < 0) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(recs, i, x) {
        if (db_run(c->db, err, "INSERT INTO result_records(result_id, pos, cert_no, item_id, checkpoint_id, checkpoint, "
                               "category, finding) VALUES (?,?,?,?,?,?,?,?)", "iijjjjjj", id, (long long)i,
                   json_object_get(x, "cert_no"), json_object_get(x, "item_id"), json_object_get(x, "checkpoint_id"),
                   json_object_get(x, "checkpoint"), json_object_get(x, "category"), json_object_get(x, "finding")) < 0)
            return -1;
    }
    return 0;
}

json_t *results_check_changes(spot_ctx *c, json_t *res, json_t *changes, spot_err *e)
{
    if (!json_is_object(changes) || json_object_size(changes) == 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "changes 应为非空对象：category、summary、records 之一或多项"), NULL;
    static const char *const fields[] = {"category", "summary", "records", NULL};
    if (spot_check_fields(changes, fields, e) != 0) return NULL;
    json_t *cat = json_object_get(changes, "category"), *sum = json_object_get(changes, "summary");
    if ((cat && !json_is_string(cat)) || (sum && !(json_is_string(sum) && json_string_length(sum) <= TEXT_MAX)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "category 应为代码，summary 为不超过 %d 字节的文字", TEXT_MAX), NULL;
    json_t *out = json_object();
    if (cat) {
        json_t *label = NULL;
        int fu = 0;
        if (category_of(c, json_string_value(cat), &label, &fu, e) != 0) { json_decref(out); return NULL; }
        json_object_set(out, "category", cat);
        json_object_set_new(out, "category_label", label);
        json_object_set_new(out, "follow_up", json_boolean(fu));
    }
    if (sum) json_object_set(out, "summary", sum);
    if (json_object_get(changes, "records")) {
        json_t *task = task_of(c, task_id_of(res), e);
        if (!task) {
            if (e->kind == SPOT_E_NOTFOUND) fail_db(e, strdup("task missing"));
            json_decref(out);
            return NULL;
        }
        json_t *recs = check_records(c, task, uscc_of(res), json_object_get(changes, "records"), e);
        json_decref(task);
        if (!recs) { json_decref(out); return NULL; }
        json_object_set_new(out, "records", recs);
    }
    return out;
}

/* ---- views ---- */

/* The team row of the result's unit: {inspectors:[…], leader, method}; NULL when there is none
 * (*e untouched) or on failure (returns -1 through *failed). New reference. */
static json_t *team_of(spot_ctx *c, long long task_id, const char *uscc, int *failed, spot_err *e)
{
    char *err = NULL;
    *failed = 0;
    json_t *t = db_row(c->db, &err, "SELECT inspectors, leader, method FROM task_teams WHERE task_id = ? AND uscc = ?", "is",
                       task_id, uscc);
    if (!t && err) { *failed = 1; fail_db(e, err); return NULL; }
    static const char *const keys[] = {"inspectors", NULL};
    if (t) spot_decode_json(t, keys);
    return t;
}

/* Signatures of the result (new ref) and the team members still to sign (new ref). 0 or -1 with *e. */
static int signatures(spot_ctx *c, json_t *res, json_t **signed_out, json_t **pending_out, spot_err *e)
{
    long long id = json_integer_value(json_object_get(res, "id"));
    int failed;
    json_t *team = team_of(c, task_id_of(res), uscc_of(res), &failed, e);
    if (failed) return -1;
    char *err = NULL;
    json_t *sig = db_rows(c->db, &err, "SELECT cert_no, version, at FROM result_signatures WHERE result_id = ? "
                                       "ORDER BY at, cert_no", "i", id);
    if (!sig) { json_decref(team); return fail_db(e, err); }
    json_t *pending = json_array();
    size_t i, k;
    json_t *x, *s;
    json_array_foreach(json_object_get(team, "inspectors"), i, x) {
        int done = 0;
        json_array_foreach(sig, k, s) done |= json_equal(json_object_get(s, "cert_no"), x);
        if (!done) json_array_append(pending, x);
    }
    json_decref(team);
    *signed_out = sig;
    *pending_out = pending;
    return 0;
}

/* The staff view of one result (see results_get). New reference or NULL with *e. */
static json_t *result_view(spot_ctx *c, long long id, spot_err *e)
{
    json_t *res = results_load(c, id, 0, e);
    if (!res) return NULL;
    long long task_id = task_id_of(res);
    const char *uscc = uscc_of(res);
    char *err = NULL;
    json_t *sig = NULL, *pending = NULL;
    if (signatures(c, res, &sig, &pending, e) != 0) goto fail;
    json_object_set_new(res, "signatures", sig);
    json_object_set_new(res, "pending_signatures", pending);
    json_object_set_new(res, "all_signed", json_boolean(json_array_size(pending) == 0 && json_array_size(sig) > 0));
    int failed;
    json_t *team = team_of(c, task_id, uscc, &failed, e);
    if (failed) goto fail;
    json_object_set_new(res, "team", team ? team : json_null());
    json_t *reviews = db_rows(c->db, &err, "SELECT id, version, approve, opinion, signers, actor, at FROM result_reviews "
                                           "WHERE result_id = ? ORDER BY id", "i", id);
    if (!reviews) { fail_db(e, err); goto fail; }
    size_t i;
    json_t *x;
    static const char *const sk[] = {"signers", NULL}, *const ck[] = {"changes", NULL};
    json_array_foreach(reviews, i, x) {
        spot_decode_json(x, sk);
        json_object_set_new(x, "approve", json_boolean(json_integer_value(json_object_get(x, "approve"))));
    }
    json_object_set(res, "review", json_array_size(reviews) ? json_array_get(reviews, json_array_size(reviews) - 1) : json_null());
    json_object_set_new(res, "reviews", reviews);
    json_t *corr = db_rows(c->db, &err, "SELECT id, reason, changes, source, objection_id, status, requested_by, requested_at, "
                                        "decided_by, decided_at, decided_date, note, seq FROM result_corrections "
                                        "WHERE result_id = ? ORDER BY id", "i", id);
    if (!corr) { fail_db(e, err); goto fail; }
    json_array_foreach(corr, i, x) spot_decode_json(x, ck);
    json_object_set_new(res, "correction_requests", corr);
    if (!strcmp(status_of(res), "published")) {
        json_t *cur = json_pack("{sO sO sO sO sO}", "id", json_object_get(res, "id"), "category",
                                json_object_get(res, "category"), "category_label", json_object_get(res, "category_label"),
                                "summary", json_object_get(res, "summary"), "records", json_object_get(res, "records"));
        if (results_apply_corrections(c, cur, e) != 0) { json_decref(cur); goto fail; }
        json_object_del(cur, "id");
        json_object_set_new(res, "current", cur);
    }
    json_t *fu = followups_of_result(c, id, e);
    if (!fu) goto fail;
    json_object_set_new(res, "followups", fu);
    /* the archive's list only for those who may read it (access_result_archive) */
    int may = access_result_archive(c, task_id, uscc, 0, e);
    if (may < 0) goto fail;
    json_t *att = may ? attachments_list(c, task_id, id, e) : json_array();
    if (!att) goto fail;
    json_object_set_new(res, "attachments", att);
    json_t *obj = db_rows(c->db, &err, "SELECT id, received, status, decision, review_due, feedback_due, feedback_sent "
                                       "FROM objections WHERE result_id = ? ORDER BY id", "i", id);
    if (!obj) { fail_db(e, err); goto fail; }
    json_object_set_new(res, "objections", obj);
    json_t *due = json_object_get(res, "due_date");
    if (json_is_string(due)) {
        json_object_set(res, "deadline", due);
        if (strcmp(status_of(res), "published")) {
            json_t *lv = decide_level(c, json_string_value(due), NULL, e);
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

/* ---- entry ---- */

/* 7.3 "每个检查对象至少派2名执法检查人员": the unit's team holds every position its slots
 * (inspectors.slots at the team draw) call for. A position left open (no one could be drawn or
 * appointed, or a member left and no one replaced them) refuses the record and its publication:
 * 409 team_incomplete naming how many are missing. 0 when complete, -1 with *e. */
static int team_complete(spot_ctx *c, long long task_id, const char *uscc, spot_err *e)
{
    char *err = NULL;
    json_t *row = db_row(c->db, &err, "SELECT coalesce(sum(json_extract(s.value, '$.count')), 0) AS want, "
                                      "json_array_length(t.inspectors) AS have FROM task_teams t, json_each(t.slots) s "
                                      "WHERE t.task_id = ? AND t.uscc = ? GROUP BY t.task_id", "is", task_id, uscc);
    if (!row) return err ? fail_db(e, err) : 0;   /* no team drawn: the on-team checks refuse */
    long long want = json_integer_value(json_object_get(row, "want")), have = json_integer_value(json_object_get(row, "have"));
    json_decref(row);
    if (have >= want) return 0;
    return spot_fail(e, SPOT_E_CONFLICT, "team_incomplete",
                     "该单位的检查组只有 %lld 名检查人员，少于规定的 %lld 名（第7.3条），不能录入或公示检查结果；"
                     "须由执行单位补足检查人员", have, want);
}

json_t *results_enter(spot_ctx *c, long long task_id, json_t *in, int *created, spot_err *e)
{
    char *err = NULL;
    json_t *task = task_of(c, task_id, e), *recs = NULL, *label = NULL, *due = NULL, *old = NULL, *ad = NULL, *out = NULL;
    if (!task) return NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"uscc", "category", "summary", "records", "check_date", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    /* 8.1: the day of the inspection, from the task's start to today (default: today) */
    char today_s[16];
    clock_today(today_s);
    json_t *jcd = json_object_get(in, "check_date");
    const char *check_date = jcd && !json_is_null(jcd) ? json_string_value(jcd) : today_s;
    const char *tstart = json_string_value(json_object_get(task, "start_date"));
    if (!check_date || !clock_valid_date(check_date) || strcmp(check_date, today_s) > 0 ||
        (tstart && strcmp(check_date, tstart) < 0)) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "检查日期（check_date）应为任务开始（%s）至今天之间的 YYYY-MM-DD 日期",
                  tstart ? tstart : "");
        goto done;
    }
    const char *uscc = json_string_value(json_object_get(in, "uscc"));
    const char *cat = json_string_value(json_object_get(in, "category"));
    json_t *summary = json_object_get(in, "summary");
    if (!uscc || !cat || !text_ok(summary, TEXT_MAX)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 uscc、category（a–h），summary 为不超过 %d 字节的文字", TEXT_MAX);
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(task, "status")), "dispatched")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_dispatched", "任务尚未锁定派发，不能录入检查结果");
        goto done;
    }
    long long in_task = db_int(c->db, &err, 0, "SELECT count(*) FROM task_units WHERE task_id = ? AND uscc = ?", "is",
                               task_id, uscc);
    if (err) { fail_db(e, err); goto done; }
    if (!in_task) { spot_fail(e, SPOT_E_INVALID, "unknown_unit", "单位 %s 不在本任务的抽查名单中", uscc); goto done; }
    int on = access_on_team(c, task_id, uscc, c->user ? c->user->cert_no : NULL, e);
    if (on < 0) goto done;
    if (!on) {
        spot_fail(e, SPOT_E_FORBIDDEN, "not_on_team", "“谁检查、谁录入”：只有该单位检查组的成员可以录入检查结果");
        goto done;
    }
    if (team_complete(c, task_id, uscc, e) != 0) goto done;
    int fu = 0;
    if (category_of(c, cat, &label, &fu, e) != 0) goto done;
    recs = check_records(c, task, uscc, json_object_get(in, "records"), e);
    if (!recs) goto done;
    old = db_row(c->db, &err, "SELECT id, status, version FROM results WHERE task_id = ? AND uscc = ?", "is", task_id, uscc);
    if (!old && err) { fail_db(e, err); goto done; }
    long long mine = own_items_org(c, task);
    if (old && mine > 0) {
        /* a joint task: the records of the other orgs' items stay as their inspectors entered them */
        json_t *kept = db_rows(c->db, &err, "SELECT r.cert_no, r.item_id, r.checkpoint_id, r.checkpoint, r.category, r.finding "
                                            "FROM result_records r JOIN items i ON i.id = r.item_id WHERE r.result_id = ? "
                                            "AND coalesce(i.org_id, 0) <> ? ORDER BY r.pos", "ii",
                               (long long)json_integer_value(json_object_get(old, "id")), mine);
        if (!kept) { fail_db(e, err); goto done; }
        json_array_extend(kept, recs);
        json_decref(recs);
        recs = kept;
    }
    if (old && !strcmp(status_of(old), "published")) {
        spot_fail(e, SPOT_E_CONFLICT, "published", "检查结果已公示，不能修改；如需更正请提交更正申请（第9.1条）");
        goto done;
    }
    due = decide_deadline(c, "publication_due", json_string_value(json_object_get(task, "end_date")), NULL, e);
    if (!due) goto done;
    char at[32], obj[64];
    clock_now_rfc3339(at);
    const char *sumtext = json_is_string(summary) ? json_string_value(summary) : "";
    const char *actor = ctx_actor(c);
    long long id = old ? json_integer_value(json_object_get(old, "id")) : 0;
    long long cleared = 0;
    if (db_begin(c->db, &err) != 0) { fail_db(e, err); goto done; }
    int ok;
    if (old) {
        cleared = db_int(c->db, &err, 0, "SELECT count(*) FROM result_signatures WHERE result_id = ?", "i", id);
        ok = !err &&
             db_run(c->db, &err, "DELETE FROM result_signatures WHERE result_id = ?", "i", id) >= 0 &&
             db_run(c->db, &err, "UPDATE results SET category = ?, category_label = ?, follow_up = ?, summary = ?, "
                                 "status = 'draft', version = version + 1, rule_sha = ?, due_date = ?, due_reason = ?, "
                                 "due_clause = ?, due_warning = ?, due_rule_sha = ?, updated_by = ?, updated_at = ?, "
                                 "reviewed_by = NULL, reviewed_at = NULL, check_date = ? WHERE id = ? AND status <> 'published'",
                    "sjisssjjjssssi", cat, label, (long long)fu, sumtext, worker_rule_sha(c->w, "categories"),
                    json_string_value(json_object_get(due, "date")), json_object_get(due, "reason"),
                    json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_string_value(json_object_get(due, "rule_sha")), actor, at, check_date, id) == 1;
    } else {
        ok = db_run(c->db, &err, "INSERT INTO results(task_id, uscc, lead_unit, category, category_label, follow_up, summary, "
                                 "rule_sha, due_date, due_reason, due_clause, due_warning, due_rule_sha, entered_by, entered_at, "
                                 "updated_by, updated_at, check_date) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    "isjsjisssjjjssssss", task_id, uscc, json_object_get(task, "lead_unit"), cat, label, (long long)fu,
                    sumtext, worker_rule_sha(c->w, "categories"), json_string_value(json_object_get(due, "date")),
                    json_object_get(due, "reason"), json_object_get(due, "clause"), json_object_get(due, "warning"),
                    json_string_value(json_object_get(due, "rule_sha")), actor, at, actor, at, check_date) == 1;
        id = sqlite3_last_insert_rowid(c->db);
    }
    snprintf(obj, sizeof obj, "result:%lld", id);
    ad = json_pack("{sI ss ss sI sI ss ss}", "task_id", (json_int_t)task_id, "uscc", uscc, "category", cat, "records",
                   (json_int_t)json_array_size(recs), "signatures_cleared", (json_int_t)cleared, "rule_sha",
                   worker_rule_sha(c->w, "categories"), "publication_due", json_string_value(json_object_get(due, "date")));
    ok = ok && insert_records(c, id, recs, &err) == 0 &&
         audit_log(c->db, actor, old ? "result.update" : "result.create", obj, ad, &err) == 0 &&
         db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    *created = old == NULL;
    out = result_view(c, id, e);
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(old);
    json_decref(due);
    json_decref(label);
    json_decref(recs);
    json_decref(task);
    return out;
}

json_t *results_of_task(spot_ctx *c, long long task_id, const results_query *q, spot_err *e)
{
    json_t *task = task_of(c, task_id, e);
    if (!task) return NULL;
    json_decref(task);
    int staff = access_task_staff(c, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, e);
    if (staff < 0) return NULL;
    if (!staff) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以查看检查结果"), NULL;
    int paged = q && q->page > 0;
    const char *status = paged && q->status && *q->status ? q->status : NULL;
    if (status && strcmp(status, "none") && strcmp(status, "draft") && strcmp(status, "signed") && strcmp(status, "approved") &&
        strcmp(status, "published"))
        return spot_fail(e, SPOT_E_INPUT, "bad_parameter",
                         "status 应为 none（未录入）、draft、signed（已全部签名待审核）、approved 或 published"), NULL;
    const char *qq = paged && q->q && *q->q ? q->q : NULL, *uscc = paged && q->uscc && *q->uscc ? q->uscc : NULL;
    const char *cert = paged ? q->cert : NULL;
    long long limit = paged ? q->per_page : -1, offset = paged ? (q->page - 1) * q->per_page : 0;
    char *err = NULL;
    /* the units first (the page's, in draw order), then the results of exactly those units */
    static const char where[] =
        "WHERE u.task_id = ?1 AND (?2 IS NULL OR u.uscc = ?2) AND (?3 IS NULL OR instr(u.uscc, ?3) > 0 OR "
        "instr(e.name, ?3) > 0) AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(t.inspectors) j WHERE j.value = ?4)) "
        "AND (?5 IS NULL OR (?5 = 'none' AND r.id IS NULL) OR r.status = ?5 OR (?5 = 'signed' AND r.status = 'draft' AND "
        "(SELECT count(*) FROM result_signatures s WHERE s.result_id = r.id) >= json_array_length(t.inspectors))) ";
    static const char from[] = "FROM task_units u LEFT JOIN enterprises e ON e.id = u.enterprise_id "
                               "LEFT JOIN task_teams t ON t.task_id = u.task_id AND t.uscc = u.uscc "
                               "LEFT JOIN results r ON r.task_id = u.task_id AND r.uscc = u.uscc ";
    char sql[1400];
    snprintf(sql, sizeof sql, "SELECT u.uscc, e.name, e.industry, e.region, e.address, e.legal_rep, t.leader, t.inspectors %s%s"
             "ORDER BY u.pos LIMIT ?6 OFFSET ?7", from, where);
    json_t *units = db_rows(c->db, &err, sql, "issssii", task_id, uscc, qq, cert, status, limit, offset);
    long long total = 0;
    char *wanted_s = NULL;   /* a page: the results of its units only, as a JSON list of USCCs */
    if (units && paged) {
        snprintf(sql, sizeof sql, "SELECT count(*) %s%s", from, where);
        total = db_int(c->db, &err, 0, sql, "issss", task_id, uscc, qq, cert, status);
        json_t *wanted = json_array(), *u;
        size_t k;
        json_array_foreach(units, k, u) json_array_append(wanted, json_object_get(u, "uscc"));
        wanted_s = json_dumps(wanted, JSON_COMPACT);
        json_decref(wanted);
    }
    json_t *rows = units && !err ? db_rows(c->db, &err,
        "SELECT r.id, r.uscc, coalesce(ru.name, e.name) AS name, r.category, r.category_label, r.status, r.version, "
        "r.due_date AS deadline, "
        "r.published_at, r.published_late, (SELECT count(*) FROM result_signatures s WHERE s.result_id = r.id) AS signed, "
        "(SELECT json_array_length(t.inspectors) FROM task_teams t WHERE t.task_id = r.task_id AND t.uscc = r.uscc) AS team_size, "
        "(SELECT count(*) FROM result_corrections c WHERE c.result_id = r.id AND c.status = 'approved') AS corrections "
        "FROM results r LEFT JOIN result_units ru ON ru.result_id = r.id LEFT JOIN task_units tu ON "
        "tu.task_id = r.task_id AND tu.uscc = r.uscc LEFT JOIN enterprises e ON e.id = tu.enterprise_id "
        "WHERE r.task_id = ?1 AND (?2 IS NULL OR r.uscc IN (SELECT value FROM json_each(?2))) ORDER BY r.id", "is",
        task_id, wanted_s) : NULL;
    free(wanted_s);
    if (!rows) { json_decref(units); return fail_db(e, err ? err : strdup("out of memory")), NULL; }
    size_t i;
    json_t *x;
    static const char *const keys[] = {"inspectors", NULL};
    json_array_foreach(units, i, x) spot_decode_json(x, keys);
    json_array_foreach(rows, i, x) {
        json_object_set_new(x, "published_late", json_boolean(json_integer_value(json_object_get(x, "published_late"))));
        const char *d = json_string_value(json_object_get(x, "deadline"));
        if (d && strcmp(status_of(x), "published")) {
            json_t *lv = decide_level(c, d, NULL, e);
            if (!lv) { json_decref(rows); json_decref(units); return NULL; }
            json_object_set(x, "warning", json_object_get(lv, "level"));
            json_decref(lv);
        }
    }
    json_t *out = json_pack("{so so}", "results", rows, "units", units);
    if (paged) {
        json_object_set_new(out, "total", json_integer(total));
        json_object_set_new(out, "page", json_integer(q->page));
        json_object_set_new(out, "per_page", json_integer(q->per_page));
    }
    return out;
}

json_t *results_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *res = result_row(c, id, e);
    if (!res) return NULL;
    int staff = access_task_staff(c, task_id_of(res), ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, e);
    json_decref(res);
    if (staff < 0) return NULL;
    if (!staff) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以查看检查结果"), NULL;
    return result_view(c, id, e);
}

/* ---- sign, review, publish ---- */

json_t *results_sign(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *res = result_row(c, id, e), *ad = NULL, *out = NULL;
    if (!res) return NULL;
    char *err = NULL;
    if (in && !json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体应为 JSON 对象"); goto done; }
    if (in && json_object_size(in)) { spot_fail(e, SPOT_E_INPUT, "unknown_field", "签名不需要参数"); goto done; }
    int on = caller_on_team(c, res, e);
    if (on < 0) goto done;
    if (!on) { spot_fail(e, SPOT_E_FORBIDDEN, "not_on_team", "只有该单位检查组的成员本人可以签名"); goto done; }
    if (strcmp(status_of(res), "draft")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_draft", "检查结果已审核或已公示，不能再签名");
        goto done;
    }
    long long have = db_int(c->db, &err, 0, "SELECT count(*) FROM result_signatures WHERE result_id = ? AND cert_no = ?", "is",
                            id, c->user->cert_no);
    if (err) { fail_db(e, err); goto done; }
    if (have) { spot_fail(e, SPOT_E_CONFLICT, "already_signed", "您已签名"); goto done; }
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    ad = json_pack("{ss sO}", "cert_no", c->user->cert_no, "version", json_object_get(res, "version"));
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO result_signatures(result_id, cert_no, username, version, at) VALUES (?,?,?,?,?)",
                    "issjs", id, c->user->cert_no, c->user->username, json_object_get(res, "version"), at) == 1 &&
             audit_log(c->db, ctx_actor(c), "result.sign", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = result_view(c, id, e);
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(res);
    return out;
}

/* Team members who have not signed result res: -1 with *e, else the count (and *signers the
 * signed cert_nos, new ref, if signers). */
static long long unsigned_count(spot_ctx *c, json_t *res, json_t **signers, spot_err *e)
{
    json_t *sig = NULL, *pending = NULL;
    if (signatures(c, res, &sig, &pending, e) != 0) return -1;
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

json_t *results_review(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *res = result_row(c, id, e), *signers = NULL, *ad = NULL, *out = NULL;
    if (!res) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"approve", "reason", "opinion", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    json_t *ap = json_object_get(in, "approve");
    json_t *op = json_object_get(in, "opinion");
    if (!op) op = json_object_get(in, "reason");
    if (!json_is_boolean(ap) || !text_ok(json_object_get(in, "reason"), REASON_MAX) ||
        !text_ok(json_object_get(in, "opinion"), REASON_MAX)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 approve（true/false）；reason 或 opinion 为不超过 %d 字节的文字", REASON_MAX);
        goto done;
    }
    /* SPEC §10: the head of the unit's executing org reviews */
    if (taskorgs_may_decide(c, task_id_of(res), uscc_of(res), e) != 1) goto done;
    int approve = json_is_true(ap);
    const char *opinion = json_is_string(op) ? json_string_value(op) : "";
    if (!approve && !*opinion) { spot_fail(e, SPOT_E_INPUT, "reason_required", "退回须说明理由"); goto done; }
    if (strcmp(status_of(res), "draft")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_draft", "只有待审核（草稿）的检查结果可以审核");
        goto done;
    }
    int own = caller_on_team(c, res, e);
    if (own < 0) goto done;
    if (own) { spot_fail(e, SPOT_E_FORBIDDEN, "own_result", "检查组成员不能审核本组的检查结果"); goto done; }
    long long missing = unsigned_count(c, res, &signers, e);
    if (missing < 0) goto done;
    if (approve && missing > 0) {
        spot_fail(e, SPOT_E_CONFLICT, "unsigned", "检查组还有 %lld 名成员未签名，不能审核通过（第8.4条：检查组成员均须签名）", missing);
        goto done;
    }
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    const char *actor = ctx_actor(c);
    ad = json_pack("{sb ss sO sO}", "approve", approve, "opinion", opinion, "version", json_object_get(res, "version"),
                   "signers", signers);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO result_reviews(result_id, version, approve, opinion, signers, actor, at) "
                                 "VALUES (?,?,?,?,?,?,?)", "ijisjss", id, json_object_get(res, "version"), (long long)approve,
                    opinion, signers, actor, at) == 1 &&
             (approve ? db_run(c->db, &err, "UPDATE results SET status = 'approved', reviewed_by = ?, reviewed_at = ? "
                                            "WHERE id = ? AND status = 'draft'", "ssi", actor, at, id) == 1
                      : db_run(c->db, &err, "DELETE FROM result_signatures WHERE result_id = ?", "i", id) >= 0) &&
             audit_log(c->db, actor, approve ? "result.approve" : "result.return", obj, ad, &err) == 0 &&
             db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = result_view(c, id, e);
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(signers);
    json_decref(res);
    return out;
}

json_t *results_publish(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *res = result_row(c, id, e), *due = NULL, *task = NULL, *ad = NULL, *unit = NULL, *out = NULL;
    if (!res) return NULL;
    char *err = NULL;
    if (in && !(json_is_object(in) && json_object_size(in) == 0)) {
        spot_fail(e, SPOT_E_INPUT, "unknown_field", "公示不需要参数");
        goto done;
    }
    long long task_id = task_id_of(res);
    const char *uscc = uscc_of(res);
    if (ctx_has_role(c, ROLE_HEAD)) {
        /* SPEC §10: a head publishes for the units their org executes */
        if (taskorgs_may_decide(c, task_id, uscc, e) != 1) goto done;
    } else {
        int on = caller_on_team(c, res, e);
        if (on < 0) goto done;
        if (!on) {
            spot_fail(e, SPOT_E_FORBIDDEN, "not_on_team", "“谁检查、谁公示”：只有该单位检查组的成员或执法单位负责人可以公示");
            goto done;
        }
    }
    const char *status = status_of(res);
    if (!strcmp(status, "published")) { spot_fail(e, SPOT_E_CONFLICT, "published", "检查结果已公示"); goto done; }
    long long missing = unsigned_count(c, res, NULL, e);
    if (missing < 0) goto done;
    if (missing > 0) {
        spot_fail(e, SPOT_E_CONFLICT, "unsigned", "检查组还有 %lld 名成员未签名，不能公示（第8.4条）", missing);
        goto done;
    }
    if (strcmp(status, "approved")) { spot_fail(e, SPOT_E_CONFLICT, "not_reviewed", "检查结果尚未通过录入审核，不能公示"); goto done; }
    if (team_complete(c, task_id, uscc, e) != 0) goto done;
    task = task_of(c, task_id, e);
    if (!task) { if (e->kind == SPOT_E_NOTFOUND) fail_db(e, strdup("task missing")); goto done; }
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    due = decide_deadline(c, "publication_due", json_string_value(json_object_get(task, "end_date")), today, e);
    if (!due) goto done;
    const char *due_date = json_string_value(json_object_get(due, "date"));
    int late = strcmp(today, due_date) > 0;
    const char *actor = ctx_actor(c);
    snprintf(obj, sizeof obj, "result:%lld", id);
    ad = json_pack("{ss sO ss sO sO sb}", "uscc", uscc, "version", json_object_get(res, "version"), "publication_due",
                   due_date, "due_reason", json_object_get(due, "reason"), "rule_sha", json_object_get(due, "rule_sha"),
                   "late", late);
    /* the unit as published (result_units) goes into the trail too */
    unit = db_row(c->db, &err, "SELECT e.id AS enterprise_id, e.name FROM task_units u JOIN enterprises e ON "
                               "e.id = u.enterprise_id WHERE u.task_id = ? AND u.uscc = ?", "is", task_id, uscc);
    if (!unit && err) { fail_db(e, err); goto done; }
    json_object_set(ad, "unit", unit ? unit : json_null());
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE results SET status = 'published', published_by = ?, published_at = ?, "
                                 "published_date = ?, published_late = ?, due_date = ?, due_reason = ?, due_clause = ?, "
                                 "due_warning = ?, due_rule_sha = ? WHERE id = ? AND status = 'approved'",
                    "sssisjjjji", actor, at, today, (long long)late, due_date, json_object_get(due, "reason"),
                    json_object_get(due, "clause"), json_object_get(due, "warning"), json_object_get(due, "rule_sha"),
                    id) == 1 &&
             db_run(c->db, &err, "INSERT INTO result_units(result_id, enterprise_id, uscc, name, industry, region, at) "
                                 "SELECT r.id, u.enterprise_id, r.uscc, coalesce(e.name, ''), e.industry, e.region, ? "
                                 "FROM results r LEFT JOIN task_units u ON u.task_id = r.task_id AND u.uscc = r.uscc "
                                 "LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE r.id = ?", "si", at, id) == 1 &&
             audit_log(c->db, actor, "result.publish", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = result_view(c, id, e);
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(unit);
    json_decref(task);
    json_decref(due);
    json_decref(res);
    return out;
}

/* ---- corrections (9.1) ---- */

json_t *results_request_correction(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *res = result_row(c, id, e), *changes = NULL, *ad = NULL, *out = NULL;
    if (!res) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"reason", "changes", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (!reason || !*reason || strlen(reason) > REASON_MAX) {
        spot_fail(e, SPOT_E_INPUT, "reason_required", "更正须说明理由（不超过 %d 字节）", REASON_MAX);
        goto done;
    }
    if (ctx_has_role(c, ROLE_INSPECTOR)) {
        int on = caller_on_team(c, res, e);
        if (on < 0) goto done;
        if (!on) { spot_fail(e, SPOT_E_FORBIDDEN, "not_on_team", "只有该单位检查组的成员可以申请更正"); goto done; }
    }
    if (strcmp(status_of(res), "published")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_published", "检查结果尚未公示，请直接修改草稿");
        goto done;
    }
    json_t *full = results_load(c, id, 0, e);
    if (!full) goto done;
    changes = results_check_changes(c, full, json_object_get(in, "changes"), e);
    json_decref(full);
    if (!changes) goto done;
    char at[32], obj[64];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "result:%lld", id);
    const char *actor = ctx_actor(c);
    ad = json_pack("{ss sO}", "reason", reason, "changes", changes);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO result_corrections(result_id, reason, changes, rule_sha, requested_by, requested_at) "
                                 "VALUES (?,?,?,?,?,?)", "isjsss", id, reason, changes,
                    json_object_get(changes, "category") ? worker_rule_sha(c->w, "categories") : "", actor, at) == 1;
    long long cid = sqlite3_last_insert_rowid(c->db);
    ok = ok && audit_log(c->db, actor, "result.correction_request", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = json_pack("{sI sI ss ss sO ss}", "id", (json_int_t)cid, "result_id", (json_int_t)id, "status", "pending", "reason",
                    reason, "changes", changes, "message", "更正申请已提交，须执行单位负责人批准后生效");
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(changes);
    json_decref(res);
    return out;
}

/* The 9.1 second person: the approval of correction corr (its stored changes: changes) of result
 * res is refused unless the approver is someone else than who requested it and is not on the
 * unit's team, and it approves exactly what was requested (in carries no changes; nothing empty).
 * 0, or -1 with *e (403 own_request / own_team, 422 changes_not_allowed / empty_correction). */
static int second_person(spot_ctx *c, json_t *res, json_t *corr, json_t *in, json_t *changes, spot_err *e)
{
    const char *by = json_string_value(json_object_get(corr, "requested_by"));
    if (by && !strcmp(by, ctx_actor(c)))
        return spot_fail(e, SPOT_E_FORBIDDEN, "own_request", "更正须由申请人以外的负责人批准：不能批准自己提出的更正申请");
    int on = caller_on_team(c, res, e);
    if (on < 0) return -1;
    if (on) return spot_fail(e, SPOT_E_FORBIDDEN, "own_team", "该单位检查组的成员不能批准本组检查结果的更正");
    if (json_object_get(in, "changes"))
        return spot_fail(e, SPOT_E_INVALID, "changes_not_allowed",
                         "批准只能批准申请的更正内容，不能增加或修改 changes；如需不同的更正，请驳回后重新申请");
    if (json_object_size(changes) == 0)
        return spot_fail(e, SPOT_E_INVALID, "empty_correction",
                         "更正内容为空，不能批准：请驳回后重新提交写明 changes（category、summary 或 records）的更正申请");
    return 0;
}

json_t *results_decide_correction(spot_ctx *c, long long id, long long cid, json_t *in, int approve, spot_err *e)
{
    json_t *res = result_row(c, id, e), *corr = NULL, *changes = NULL, *ad = NULL, *out = NULL;
    if (!res) return NULL;
    char *err = NULL;
    if (in && !json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体应为 JSON 对象"); goto done; }
    static const char *const fields[] = {"note", "reason", "changes", NULL};
    if (in && spot_check_fields(in, fields, e) != 0) goto done;
    json_t *note = json_object_get(in, "note");
    if (!note) note = json_object_get(in, "reason");
    if (!text_ok(note, REASON_MAX)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "note 应为不超过 %d 字节的文字", REASON_MAX); goto done; }
    if (!approve && !json_is_string(note)) { spot_fail(e, SPOT_E_INPUT, "reason_required", "不予批准须说明理由"); goto done; }
    corr = cid > 0 ? db_row(c->db, &err, "SELECT * FROM result_corrections WHERE id = ? AND result_id = ?", "ii", cid, id) : NULL;
    if (!corr) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个更正申请");
        goto done;
    }
    if (strcmp(status_of(corr), "pending")) { spot_fail(e, SPOT_E_CONFLICT, "decided", "该更正申请已处理"); goto done; }
    /* SPEC §10, 9.1: the head of the unit's executing org decides */
    if (taskorgs_may_decide(c, task_id_of(res), uscc_of(res), e) != 1) goto done;
    changes = json_loads(json_string_value(json_object_get(corr, "changes")), 0, NULL);
    if (!changes) changes = json_object();
    if (approve && second_person(c, res, corr, in, changes, e) != 0) goto done;
    char at[32], today[16], obj[64];
    clock_now_rfc3339(at);
    clock_today(today);
    snprintf(obj, sizeof obj, "result:%lld", id);
    const char *actor = ctx_actor(c);
    ad = json_pack("{sI sO? sO}", "correction_id", (json_int_t)cid, "note", note, "changes", changes);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE result_corrections SET status = ?, decided_by = ?, decided_at = ?, decided_date = ?, "
                                 "note = ?, changes = ?, seq = CASE WHEN ? THEN (SELECT coalesce(max(seq), 0) + 1 FROM "
                                 "result_corrections WHERE result_id = ?) END WHERE id = ? AND status = 'pending'",
                    "ssssjjiii", approve ? "approved" : "rejected", actor, at, today, note, changes,
                    (long long)approve, id, cid) == 1 &&
             audit_log(c->db, actor, approve ? "result.correction_approve" : "result.correction_reject", obj, ad,
                       &err) == 0 &&
             db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = result_view(c, id, e);
done:
    rollback_open(c);
    json_decref(ad);
    json_decref(changes);
    json_decref(corr);
    json_decref(res);
    return out;
}

/* ---- correction requests across results ---- */

/* Parses an optional positive number (absent or "": dflt) no larger than max. 0, or -1 if bad. */
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

json_t *results_corrections(spot_ctx *c, const char *status, const char *page_s, const char *per_page_s, spot_err *e)
{
    if (status && !*status) status = NULL;
    if (status && strcmp(status, "pending") && strcmp(status, "approved") && strcmp(status, "rejected"))
        return spot_fail(e, SPOT_E_INPUT, "bad_status", "status 应为 pending（待批准）、approved（已批准）或 rejected（已驳回）"),
               NULL;
    long long page, per_page;
    if (parse_positive(page_s, 1, 1000000000LL, &page) ||
        parse_positive(per_page_s, CORRECTIONS_PAGE, CORRECTIONS_PAGE_MAX, &per_page))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "page 应为正整数，per_page 为 1 到 %d", CORRECTIONS_PAGE_MAX), NULL;
    char *err = NULL, sql[1600];
    /* SPEC §10: a planner or head sees the corrections of the tasks their org leads, joins or executes */
    long long all = taskorgs_sees_all(c), org = c->user ? c->user->org_id : 0;
    const char *cert = c->user ? c->user->cert_no : "";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM result_corrections c JOIN results r ON r.id = c.result_id "
                              "JOIN tasks t ON t.id = r.task_id WHERE (?1 IS NULL OR c.status = ?1) AND (?4 OR %s)",
             TASKORGS_VISIBLE_SQL);
    long long total = db_int(c->db, &err, 0, sql, "siiiiiiiis", status, 0LL, 0LL, all, 0LL, 0LL, 0LL, 0LL, org, cert);
    snprintf(sql, sizeof sql,
        "SELECT c.id, c.result_id, r.uscc, e.name, r.task_id, t.name AS task_name, r.status AS result_status, c.reason, "
        "c.changes, c.source, c.objection_id, c.status, c.requested_by, c.requested_at, c.decided_by, c.decided_at, c.note "
        "FROM result_corrections c JOIN results r ON r.id = c.result_id JOIN tasks t ON t.id = r.task_id "
        "JOIN result_units e ON e.result_id = r.id WHERE (?1 IS NULL OR c.status = ?1) AND (?4 OR %s) "
        "ORDER BY c.requested_at DESC, c.id DESC LIMIT ?2 OFFSET ?3", TASKORGS_VISIBLE_SQL);
    json_t *rows = err ? NULL : db_rows(c->db, &err, sql, "siiiiiiiis", status, per_page, (page - 1) * per_page, all, 0LL,
                                        0LL, 0LL, 0LL, org, cert);
    if (!rows) return fail_db(e, err), NULL;
    size_t i;
    json_t *x;
    static const char *const keys[] = {"changes", NULL};
    json_array_foreach(rows, i, x) spot_decode_json(x, keys);
    return json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page, "per_page", (json_int_t)per_page,
                     "corrections", rows);
}

/* ---- public results ---- */

json_t *results_public(spot_ctx *c, const results_public_query *q, spot_err *e)
{
    const char *task = q->task, *year = q->year, *industry = q->industry, *region = q->region, *category = q->category;
    long long page, task_id, y;
    /* range-checked before any arithmetic: page=9223372036854775807 once overflowed the offset */
    if (parse_positive(q->page, 1, 1000000000LL, &page))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "page 应为 1 到 1000000000 之间的整数"), NULL;
    if (parse_positive(task, 0, 999999999999999LL, &task_id) || parse_positive(year, 0, 2999, &y) ||
        (y && y < 1900))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "task 应为任务编号，year 为年份"), NULL;
    if (industry && !*industry) industry = NULL;
    if (region && !*region) region = NULL;
    if (category && !*category) category = NULL;
    const char *uscc = q->uscc && *q->uscc ? q->uscc : NULL;
    if (q->q && strlen(q->q) > RESULTS_Q_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "检索词过长（最多 %d 字节）", RESULTS_Q_MAX), NULL;
    char *like = NULL;
    if (q->q && *q->q) {   /* a LIKE pattern matching q literally (\ escapes %, _ and itself) */
        size_t n = strlen(q->q), k = 0;
        like = malloc(2 * n + 3);
        if (!like) return fail_db(e, xprintf("out of memory")), NULL;
        like[k++] = '%';
        for (size_t j = 0; j < n; j++) {
            if (q->q[j] == '%' || q->q[j] == '_' || q->q[j] == '\\') like[k++] = '\\';
            like[k++] = q->q[j];
        }
        like[k++] = '%';
        like[k] = 0;
    }
    const char *where =
        "FROM results r JOIN tasks t ON t.id = r.task_id JOIN result_units ru ON ru.result_id = r.id "
        "WHERE r.status = 'published' AND (?1 = 0 OR r.task_id = ?1) AND (?2 = 0 OR t.year = ?2) "
        "AND (?3 IS NULL OR ru.industry = ?3) AND (?4 IS NULL OR ru.region = ?4) AND (?5 IS NULL OR "
        "coalesce((SELECT json_extract(c.changes, '$.category') FROM result_corrections c WHERE c.result_id = r.id "
        "AND c.status = 'approved' AND json_extract(c.changes, '$.category') IS NOT NULL ORDER BY c.seq DESC LIMIT 1), "
        "r.category) = ?5) AND (?8 IS NULL OR ru.uscc = ?8) AND (?9 IS NULL OR ru.uscc LIKE ?9 ESCAPE '\\' "
        "OR ru.name LIKE ?9 ESCAPE '\\' OR t.name LIKE ?9 ESCAPE '\\')";
    char *err = NULL;
    char *sql_n = xprintf("SELECT count(*) %s", where);
    char *sql = xprintf("SELECT r.id, r.task_id, t.name AS task_name, t.year, ru.uscc, ru.name, ru.industry, ru.region, "
                        "r.lead_unit, r.category, r.category_label, r.summary, r.status, r.published_at, r.published_date, "
                        "r.due_date AS publication_due %s ORDER BY r.published_at DESC, r.id DESC LIMIT ?6 OFFSET ?7", where);
    long long total = db_int(c->db, &err, 0, sql_n, "iisssiiss", task_id, y, industry, region, category, 0LL, 0LL,
                             uscc, like);
    json_t *rows = err ? NULL : db_rows(c->db, &err, sql, "iisssiiss", task_id, y, industry, region, category,
                                        (long long)PUBLIC_PAGE, (page - 1) * PUBLIC_PAGE, uscc, like);
    free(sql_n);
    free(sql);
    free(like);
    if (!rows) return fail_db(e, err), NULL;
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        json_t *recs = records_of(c, json_integer_value(json_object_get(x, "id")), e);
        if (!recs) { json_decref(rows); return NULL; }
        json_object_set_new(x, "records", recs);
        if (results_apply_corrections(c, x, e) != 0) { json_decref(rows); return NULL; }
        json_object_del(x, "follow_up");
    }
    return json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page, "page_size",
                     (json_int_t)PUBLIC_PAGE, "results", rows);
}
