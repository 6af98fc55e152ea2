/* followups.c: follow-up of a result's problems (clause 9.2).
 *
 * Routes
 *   POST /api/results/{id}/followups {kind, note, due_date?, found_date?}   staff except auditors
 *        (inspectors only of that unit's team): kind rectification (责令改正; due_date required,
 *        state "ordered"), pending_case (待后续处理; state "open") or referral (涉嫌犯罪移送;
 *        found_date, default today; state "found").
 *   PUT  /api/followups/{id} {state, note, date?, receiving_unit?, due_date?}   the same people: a
 *        state change with its note, kept in followup_history. A referral becomes "referred" only
 *        with the date and the receiving police unit; "closed" is final and needs a note.
 *   GET  /api/followups/{id}                  staff of the task: the follow-up with its history.
 *
 * The states are a workflow (which step comes next), not a regulation value; the 10.1 check of
 * unreferred crimes is accountability.lua's (referrals are handed to it by accountability.c).
 */
#include "followups.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "results.h"
#include "tasks.h"

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

json_t *followups_of_result(sqlite3 *db, long long result_id, char **err)
{
    json_t *rows = db_rows(db, err, "SELECT id, result_id, kind, state, note, due_date, found_date, referred_date, "
                                    "receiving_unit, closed_date, created_by, created_at, updated_at FROM followups "
                                    "WHERE result_id = ? ORDER BY id", "i", result_id);
    if (!rows) return NULL;
    size_t i;
    json_t *f;
    json_array_foreach(rows, i, f) {
        json_t *h = db_rows(db, err, "SELECT state, note, data, actor, at FROM followup_history WHERE followup_id = ? "
                                     "ORDER BY id", "i", (long long)json_integer_value(json_object_get(f, "id")));
        if (!h) { json_decref(rows); return NULL; }
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

/* Whether the caller may record follow-ups of result res: inspectors only on its team. */
static int may_write(req *r, json_t *res)
{
    if (!req_has_role(r, ROLE_INSPECTOR)) return 1;
    char *err = NULL;
    int on = results_on_team(r->db, json_integer_value(json_object_get(res, "task_id")),
                             json_string_value(json_object_get(res, "uscc")), r->user->cert_no, &err);
    if (on < 0) { reply_db_error(r, err); return -1; }
    if (!on) { reply_error(r, 403, "not_on_team", "只有该单位检查组的成员可以记录后续处理"); return -1; }
    return 1;
}

static int date_ok(json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && clock_valid_date(json_string_value(v)));
}

static int h_create(req *r)
{
    long long rid = req_param_id(r, 0);
    char *err = NULL;
    json_t *res = rid > 0 ? db_row(r->db, &err, "SELECT id, task_id, uscc, status FROM results WHERE id = ?", "i", rid) : NULL;
    if (!res) return err ? reply_db_error(r, err) : reply_error(r, 404, "not_found", "没有这个检查结果");
    int out = 0;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"kind", "note", "due_date", "found_date", "date", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *kind = json_string_value(json_object_get(r->json, "kind"));
    const char *note = json_string_value(json_object_get(r->json, "note"));
    json_t *due = json_object_get(r->json, "due_date"), *found = json_object_get(r->json, "found_date");
    if (!found) found = json_object_get(r->json, "date");
    int k = kind_index(kind);
    if (k < 0) {
        out = reply_error(r, 400, "bad_kind", "kind 应为 rectification（责令改正）、pending_case（待后续处理）或 referral（移送公安机关）");
        goto done;
    }
    if (!note || !*note || strlen(note) > NOTE_MAX || !date_ok(due) || !date_ok(found)) {
        out = reply_error(r, 400, "bad_request", "需要 note（不超过 %d 字节）；日期格式为 YYYY-MM-DD", NOTE_MAX);
        goto done;
    }
    if (!strcmp(kind, "rectification") && !json_is_string(due)) {
        out = reply_error(r, 400, "due_date_required", "责令改正须给出整改期限 due_date");
        goto done;
    }
    if (may_write(r, res) < 0) goto done;
    char at[32], today[16], obj[64];
    clock_now_rfc3339(at);
    clock_today(today);
    const char *found_date = !strcmp(kind, "referral") ? (json_is_string(found) ? json_string_value(found) : today) : NULL;
    if (found_date && strcmp(found_date, today) > 0) {
        out = reply_error(r, 400, "bad_date", "发现日期不能晚于今天");
        goto done;
    }
    const char *state = KINDS[k].states[0];
    json_t *data = json_pack("{sO? ss?}", "due_date", json_is_string(due) ? due : NULL, "found_date", found_date);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO followups(result_id, kind, state, note, due_date, found_date, created_by, "
                                 "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", "issssssss", rid, kind, state, note,
                    json_is_string(due) && strcmp(kind, "referral") ? json_string_value(due) : NULL, found_date,
                    req_actor(r), at, at) == 1;
    long long id = sqlite3_last_insert_rowid(r->db);
    snprintf(obj, sizeof obj, "followup:%lld", id);
    json_t *ad = json_pack("{sI ss ss ss sO}", "result_id", (json_int_t)rid, "kind", kind, "state", state, "note", note,
                           "data", data);
    ok = ok && db_run(r->db, &err, "INSERT INTO followup_history(followup_id, state, note, data, actor, at) VALUES (?,?,?,?,?,?)",
                      "issjss", id, state, note, data, req_actor(r), at) == 1 &&
         audit_log(r->db, req_actor(r), "followup.create", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    json_decref(data);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    json_t *list = followups_of_result(r->db, rid, &err);
    if (!list) { out = reply_db_error(r, err); goto done; }
    json_t *one = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f) if (json_integer_value(json_object_get(f, "id")) == id) one = json_incref(f);
    json_decref(list);
    out = reply_json(r, 201, one ? one : json_object());
done:
    json_decref(res);
    return out;
}

/* The follow-up id with its result's task and unit, or NULL after replying. */
static json_t *followup_or_404(req *r, long long *id)
{
    *id = req_param_id(r, 0);
    char *err = NULL;
    json_t *f = *id > 0 ? db_row(r->db, &err, "SELECT f.*, r.task_id, r.uscc FROM followups f JOIN results r ON r.id = f.result_id "
                                              "WHERE f.id = ?", "i", *id) : NULL;
    if (!f) {
        if (err) reply_db_error(r, err);
        else reply_error(r, 404, "not_found", "没有这个后续处理记录");
    }
    return f;
}

static int reply_one(req *r, int status, json_t *f)
{
    char *err = NULL;
    long long id = json_integer_value(json_object_get(f, "id"));
    json_t *list = followups_of_result(r->db, json_integer_value(json_object_get(f, "result_id")), &err);
    if (!list) return reply_db_error(r, err);
    json_t *one = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) if (json_integer_value(json_object_get(x, "id")) == id) one = json_incref(x);
    json_decref(list);
    return one ? reply_json(r, status, one) : reply_error(r, 404, "not_found", "没有这个后续处理记录");
}

static int h_get(req *r)
{
    long long id;
    json_t *f = followup_or_404(r, &id);
    if (!f) return 0;
    char *err = NULL;
    int staff = results_task_staff(r, json_integer_value(json_object_get(f, "task_id")),
                                   ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, &err);
    int out = staff < 0 ? reply_db_error(r, err)
            : !staff    ? reply_error(r, 403, "forbidden", "只有本任务的工作人员可以查看")
                        : reply_one(r, 200, f);
    json_decref(f);
    return out;
}

static int h_update(req *r)
{
    long long id;
    json_t *f = followup_or_404(r, &id);
    if (!f) return 0;
    int out = 0;
    char *err = NULL;
    if (req_require_object(r)) goto done;
    static const char *const fields[] = {"state", "note", "date", "receiving_unit", "due_date", NULL};
    if (req_check_fields(r, r->json, fields) != 0) goto done;
    const char *state = json_string_value(json_object_get(r->json, "state"));
    const char *note = json_string_value(json_object_get(r->json, "note"));
    json_t *date = json_object_get(r->json, "date"), *due = json_object_get(r->json, "due_date");
    json_t *unit = json_object_get(r->json, "receiving_unit");
    int k = kind_index(json_string_value(json_object_get(f, "kind")));
    int to = k < 0 ? -1 : state_index(k, state);
    int from = k < 0 ? -1 : state_index(k, json_string_value(json_object_get(f, "state")));
    if (to < 0) {
        out = reply_error(r, 400, "bad_state", "未知的处理状态“%s”", state ? state : "");
        goto done;
    }
    if (!note || !*note || strlen(note) > NOTE_MAX || !date_ok(date) || !date_ok(due) ||
        (unit && !(json_is_string(unit) && json_string_length(unit) <= 400))) {
        out = reply_error(r, 400, "bad_request", "需要 note（不超过 %d 字节）；日期格式为 YYYY-MM-DD", NOTE_MAX);
        goto done;
    }
    if (from >= 0 && !strcmp(KINDS[k].states[from], "closed")) {
        out = reply_error(r, 409, "closed", "该后续处理已办结");
        goto done;
    }
    if (to < from) { out = reply_error(r, 409, "bad_transition", "处理状态不能回退"); goto done; }
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    const char *d = json_is_string(date) ? json_string_value(date) : today;
    if (strcmp(d, today) > 0) { out = reply_error(r, 400, "bad_date", "日期不能晚于今天"); goto done; }
    int referral = !strcmp(KINDS[k].kind, "referral");
    if (referral && !strcmp(state, "referred") && (!json_is_string(unit) || !json_string_length(unit) || !json_is_string(date))) {
        out = reply_error(r, 400, "referral_incomplete", "移送公安机关须给出移送日期 date 和接收单位 receiving_unit");
        goto done;
    }
    if (may_write(r, f) < 0) goto done;
    int closing = !strcmp(state, "closed");
    json_t *data = json_pack("{ss sO? sO?}", "date", d, "receiving_unit", json_is_string(unit) ? unit : NULL, "due_date",
                             json_is_string(due) ? due : NULL);
    snprintf(obj, sizeof obj, "followup:%lld", id);
    json_t *ad = json_pack("{sO ss ss sO}", "from", json_object_get(f, "state"), "to", state, "note", note, "data", data);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "UPDATE followups SET state = ?, note = ?, updated_at = ?, "
                                 "referred_date = CASE WHEN ? THEN ? ELSE referred_date END, "
                                 "receiving_unit = coalesce(?, receiving_unit), due_date = coalesce(?, due_date), "
                                 "closed_date = CASE WHEN ? THEN ? ELSE closed_date END WHERE id = ?",
                    "sssisjjisi", state, note, at, (long long)(referral && !strcmp(state, "referred")), d,
                    json_is_string(unit) ? unit : NULL, json_is_string(due) ? due : NULL, (long long)closing, d, id) == 1 &&
             db_run(r->db, &err, "INSERT INTO followup_history(followup_id, state, note, data, actor, at) VALUES (?,?,?,?,?,?)",
                    "issjss", id, state, note, data, req_actor(r), at) == 1 &&
             audit_log(r->db, req_actor(r), "followup.update", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    json_decref(data);
    if (!ok) { out = reply_db_error(r, err); goto done; }
    out = reply_one(r, 200, f);
done:
    json_decref(f);
    return out;
}

const struct route followups_routes[] = {
    {"POST", "/api/results/{id}/followups", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_create},
    {"GET", "/api/followups/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/followups/{id}", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_update},
    {0},
};
