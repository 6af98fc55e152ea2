/* followups.c: follow-up of a result's problems (clause 9.2). Who may do what: see
 * http/api_followups.c.
 *
 * The states are a workflow (which step comes next), not a regulation value; the 10.1 check of
 * unreferred crimes is accountability.lua's (referrals are handed to it by accountability.c).
 */
#include "followups.h"
#include "access.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "jsonutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 4000

/* Each kind's states in order; the first is the initial one, "closed" is final. */
static const struct { const char *kind; const char *states[5]; } KINDS[] = {
    {"rectification", {"ordered", "rectified", "closed", NULL}},
    {"pending_case", {"open", "in_progress", "closed", NULL}},
    {"referral", {"found", "referred", "closed", NULL}},
};

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "followups", err);
}

static int kind_index(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (!strcmp(KINDS[i].kind, kind)) return (int)i;
    return -1;
}

static int state_index(int k, const char *state)
{
    for (int i = 0; state && KINDS[k].states[i]; i++)
        if (!strcmp(KINDS[k].states[i], state)) return i;
    return -1;
}

json_t *followups_of_result(spot_ctx *c, long long result_id, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT id, result_id, kind, state, note, due_date, found_date, referred_date, "
                                        "receiving_unit, closed_date, created_by, created_at, updated_at FROM followups "
                                        "WHERE result_id = ? ORDER BY id", "i", result_id);
    if (!rows) return fail_db(e, err), NULL;
    size_t i;
    json_t *f;
    json_array_foreach(rows, i, f) {
        json_t *h = db_rows(c->db, &err, "SELECT state, note, data, actor, at FROM followup_history WHERE followup_id = ? "
                                         "ORDER BY id", "i", (long long)json_integer_value(json_object_get(f, "id")));
        if (!h) { json_decref(rows); return fail_db(e, err), NULL; }
        size_t k;
        json_t *x;
        static const char *const keys[] = {"data", NULL};
        json_array_foreach(h, k, x) spot_decode_json(x, keys);
        json_object_set_new(f, "history", h);
        /* what the results page shows in its table */
        json_object_set(f, "date", json_object_get(f, "created_at"));
        json_object_set(f, "actor", json_object_get(f, "created_by"));
    }
    return rows;
}

/* Follow-up id of result result_id with its history (new ref), or NULL with *e (404). */
static json_t *one_of(spot_ctx *c, long long result_id, long long id, spot_err *e)
{
    json_t *list = followups_of_result(c, result_id, e);
    if (!list) return NULL;
    json_t *one = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) if (json_integer_value(json_object_get(x, "id")) == id) one = json_incref(x);
    json_decref(list);
    if (!one) spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个后续处理记录");
    return one;
}

/* Whether the caller may record follow-ups of result res (task_id, uscc): inspectors only on its
 * team. 0, or -1 with *e. */
static int may_write(spot_ctx *c, json_t *res, spot_err *e)
{
    if (!ctx_has_role(c, ROLE_INSPECTOR)) return 0;
    int on = access_on_team(c, json_integer_value(json_object_get(res, "task_id")),
                            json_string_value(json_object_get(res, "uscc")), c->user->cert_no, e);
    if (on < 0) return -1;
    if (!on) return spot_fail(e, SPOT_E_FORBIDDEN, "not_on_team", "只有该单位检查组的成员可以记录后续处理");
    return 0;
}

static int date_ok(json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && clock_valid_date(json_string_value(v)));
}

json_t *followups_create(spot_ctx *c, long long rid, json_t *in, spot_err *e)
{
    char *err = NULL;
    json_t *res = rid > 0 ? db_row(c->db, &err, "SELECT id, task_id, uscc, status FROM results WHERE id = ?", "i", rid) : NULL;
    if (!res) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个检查结果");
        return NULL;
    }
    json_t *out = NULL, *data = NULL, *ad = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"kind", "note", "due_date", "found_date", "date", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *kind = json_string_value(json_object_get(in, "kind"));
    const char *note = json_string_value(json_object_get(in, "note"));
    json_t *due = json_object_get(in, "due_date"), *found = json_object_get(in, "found_date");
    if (!found) found = json_object_get(in, "date");
    int k = kind_index(kind);
    if (k < 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_kind", "kind 应为 rectification（责令改正）、pending_case（待后续处理）或 referral（移送公安机关）");
        goto done;
    }
    if (!note || !*note || strlen(note) > NOTE_MAX || !date_ok(due) || !date_ok(found)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 note（不超过 %d 字节）；日期格式为 YYYY-MM-DD", NOTE_MAX);
        goto done;
    }
    if (!strcmp(kind, "rectification") && !json_is_string(due)) {
        spot_fail(e, SPOT_E_INPUT, "due_date_required", "责令改正须给出整改期限 due_date");
        goto done;
    }
    if (may_write(c, res, e) != 0) goto done;
    char at[32], today[16], obj[64];
    clock_now_rfc3339(at);
    clock_today(today);
    const char *found_date = !strcmp(kind, "referral") ? (json_is_string(found) ? json_string_value(found) : today) : NULL;
    if (found_date && strcmp(found_date, today) > 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "发现日期不能晚于今天");
        goto done;
    }
    const char *state = KINDS[k].states[0];
    const char *actor = ctx_actor(c);
    data = json_pack("{sO? ss?}", "due_date", json_is_string(due) ? due : NULL, "found_date", found_date);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO followups(result_id, kind, state, note, due_date, found_date, created_by, "
                                 "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", "issssssss", rid, kind, state, note,
                    json_is_string(due) && strcmp(kind, "referral") ? json_string_value(due) : NULL, found_date,
                    actor, at, at) == 1;
    long long id = sqlite3_last_insert_rowid(c->db);
    snprintf(obj, sizeof obj, "followup:%lld", id);
    ad = json_pack("{sI ss ss ss sO}", "result_id", (json_int_t)rid, "kind", kind, "state", state, "note", note, "data", data);
    ok = ok && db_run(c->db, &err, "INSERT INTO followup_history(followup_id, state, note, data, actor, at) VALUES (?,?,?,?,?,?)",
                      "issjss", id, state, note, data, actor, at) == 1 &&
         audit_log(c->db, actor, "followup.create", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = followups_of_result(c, rid, e);
    if (out) {
        json_t *one = NULL;
        size_t i;
        json_t *f;
        json_array_foreach(out, i, f) if (json_integer_value(json_object_get(f, "id")) == id) one = json_incref(f);
        json_decref(out);
        out = one ? one : json_object();
    }
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(data);
    json_decref(res);
    return out;
}

/* The follow-up id with its result's task and unit (new ref), or NULL with *e (404). */
static json_t *followup_row(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *f = id > 0 ? db_row(c->db, &err, "SELECT f.*, r.task_id, r.uscc FROM followups f JOIN results r ON r.id = f.result_id "
                                             "WHERE f.id = ?", "i", id) : NULL;
    if (!f) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个后续处理记录");
    }
    return f;
}

json_t *followups_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *f = followup_row(c, id, e), *out = NULL;
    if (!f) return NULL;
    int staff = access_task_staff(c, json_integer_value(json_object_get(f, "task_id")),
                                  ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, e);
    if (staff == 0) spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以查看");
    else if (staff > 0) out = one_of(c, json_integer_value(json_object_get(f, "result_id")), id, e);
    json_decref(f);
    return out;
}

json_t *followups_update(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *f = followup_row(c, id, e), *out = NULL, *data = NULL, *ad = NULL;
    if (!f) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"state", "note", "date", "receiving_unit", "due_date", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *state = json_string_value(json_object_get(in, "state"));
    const char *note = json_string_value(json_object_get(in, "note"));
    json_t *date = json_object_get(in, "date"), *due = json_object_get(in, "due_date");
    json_t *unit = json_object_get(in, "receiving_unit");
    int k = kind_index(json_string_value(json_object_get(f, "kind")));
    int to = k < 0 ? -1 : state_index(k, state);
    int from = k < 0 ? -1 : state_index(k, json_string_value(json_object_get(f, "state")));
    if (to < 0) { spot_fail(e, SPOT_E_INPUT, "bad_state", "未知的处理状态“%s”", state ? state : ""); goto done; }
    if (!note || !*note || strlen(note) > NOTE_MAX || !date_ok(date) || !date_ok(due) ||
        (unit && !(json_is_string(unit) && json_string_length(unit) <= 400))) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 note（不超过 %d 字节）；日期格式为 YYYY-MM-DD", NOTE_MAX);
        goto done;
    }
    if (from >= 0 && !strcmp(KINDS[k].states[from], "closed")) {
        spot_fail(e, SPOT_E_CONFLICT, "closed", "该后续处理已办结");
        goto done;
    }
    if (to < from) { spot_fail(e, SPOT_E_CONFLICT, "bad_transition", "处理状态不能回退"); goto done; }
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    const char *d = json_is_string(date) ? json_string_value(date) : today;
    if (strcmp(d, today) > 0) { spot_fail(e, SPOT_E_INPUT, "bad_date", "日期不能晚于今天"); goto done; }
    int referral = !strcmp(KINDS[k].kind, "referral");
    if (referral && !strcmp(state, "referred") && (!json_is_string(unit) || !json_string_length(unit) || !json_is_string(date))) {
        spot_fail(e, SPOT_E_INPUT, "referral_incomplete", "移送公安机关须给出移送日期 date 和接收单位 receiving_unit");
        goto done;
    }
    if (may_write(c, f, e) != 0) goto done;
    int closing = !strcmp(state, "closed");
    const char *actor = ctx_actor(c);
    data = json_pack("{ss sO? sO?}", "date", d, "receiving_unit", json_is_string(unit) ? unit : NULL, "due_date",
                     json_is_string(due) ? due : NULL);
    snprintf(obj, sizeof obj, "followup:%lld", id);
    ad = json_pack("{sO ss ss sO}", "from", json_object_get(f, "state"), "to", state, "note", note, "data", data);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE followups SET state = ?, note = ?, updated_at = ?, "
                                 "referred_date = CASE WHEN ? THEN ? ELSE referred_date END, "
                                 "receiving_unit = coalesce(?, receiving_unit), due_date = coalesce(?, due_date), "
                                 "closed_date = CASE WHEN ? THEN ? ELSE closed_date END WHERE id = ?",
                    "sssisjjisi", state, note, at, (long long)(referral && !strcmp(state, "referred")), d,
                    json_is_string(unit) ? unit : NULL, json_is_string(due) ? due : NULL, (long long)closing, d, id) == 1 &&
             db_run(c->db, &err, "INSERT INTO followup_history(followup_id, state, note, data, actor, at) VALUES (?,?,?,?,?,?)",
                    "issjss", id, state, note, data, actor, at) == 1 &&
             audit_log(c->db, actor, "followup.update", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = one_of(c, json_integer_value(json_object_get(f, "result_id")), id, e);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(data);
    json_decref(f);
    return out;
}
