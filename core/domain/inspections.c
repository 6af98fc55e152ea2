/* inspections.c: the inspection record of a unit (SPEC §11) and incidents (10.2). Who may do what:
 * see http/api_inspections.c. Every change writes one audit record in its transaction. */
#include "inspections.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "decide.h"
#include "jsonutil.h"
#include "luahost.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8000
#define BASIS_MAX 400
#define TEAM_MAX 20

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "inspections", err);
}

/* A string member of o that is non-empty and at most max bytes, or NULL. */
static const char *text_of(json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > max) return NULL;
    return json_string_value(v);
}

/* The enterprise id of uscc, 0 when there is none (*e set: 422 unknown_unit), -1 on a database error. */
static long long unit_id(spot_ctx *c, const char *uscc, spot_err *e)
{
    char *err = NULL;
    long long id = db_int(c->db, &err, 0, "SELECT id FROM enterprises WHERE uscc = ?", "s", uscc);
    if (err) return fail_db(e, err), -1;
    if (!id) spot_fail(e, SPOT_E_INVALID, "unknown_unit", "检查对象名录库中没有统一社会信用代码为 %s 的单位", uscc);
    return id;
}

/* Whether code is one of rules.eligibility.special_cases (4.3 a..e); *label gets its label (new
 * string, caller frees) when it is. Returns 1, 0, or -1 with *e on a rule failure. */
static int case_label(spot_ctx *c, const char *code, char **label, spot_err *e)
{
    char *err = NULL;
    json_t *cases = NULL;
    if (lh_rule_value(c->w->lua, "eligibility", "special_cases", &cases, NULL, &err) != 0) return spot_fail_rule(e, err), -1;
    int found = 0;
    size_t i;
    json_t *x;
    json_array_foreach(cases, i, x) {
        const char *cc = json_string_value(json_object_get(x, "code"));
        if (cc && !strcmp(cc, code)) {
            const char *l = json_string_value(json_object_get(x, "label"));
            *label = strdup(l ? l : "");
            found = 1;
            break;
        }
    }
    json_decref(cases);
    return found;
}

/* The inspection id as staff see it. New reference or NULL with *e (404). */
static json_t *inspection_view(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT i.*, e.name FROM inspections i JOIN enterprises e ON e.id = i.enterprise_id "
                                             "WHERE i.id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这条检查记录");
        return NULL;
    }
    json_t *ins = json_loads(json_string_value(json_object_get(o, "inspectors")), 0, NULL);
    json_object_set_new(o, "inspectors", ins ? ins : json_array());
    char *label = NULL;
    const char *code = json_string_value(json_object_get(o, "case_code"));
    if (case_label(c, code ? code : "", &label, e) < 0) return json_decref(o), NULL;
    json_object_set_new(o, "case_label", label ? json_string(label) : json_null());
    free(label);
    return o;
}

/* inspectors: an array of distinct, known certificate numbers (at most TEAM_MAX); NULL is []. Returns
 * 0 or -1 with *e. */
static int check_inspectors(spot_ctx *c, json_t *ins, spot_err *e)
{
    if (!ins) return 0;
    if (!json_is_array(ins) || json_array_size(ins) > TEAM_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "inspectors 应为执法证号数组（最多 %d 人）", TEAM_MAX);
    size_t i, k;
    json_t *x, *y;
    json_array_foreach(ins, i, x) {
        if (!json_is_string(x) || !json_string_length(x) || json_string_length(x) > 64)
            return spot_fail(e, SPOT_E_INPUT, "bad_request", "inspectors 第 %zu 项应为执法证号", i + 1);
        json_array_foreach(ins, k, y) if (k < i && json_equal(x, y))
            return spot_fail(e, SPOT_E_INPUT, "bad_request", "执法证号 %s 重复", json_string_value(x));
        char *err = NULL;
        long long n = db_int(c->db, &err, 0, "SELECT count(*) FROM inspectors WHERE cert_no = ?", "s", json_string_value(x));
        if (err) return fail_db(e, err);
        if (!n) return spot_fail(e, SPOT_E_INVALID, "unknown_inspector", "检查人员名录库中没有执法证号 %s", json_string_value(x));
    }
    return 0;
}

json_t *inspections_create(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"uscc", "case", "basis", "date", "inspectors", "summary", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *uscc = text_of(in, "uscc", 64), *code = text_of(in, "case", 8), *basis = text_of(in, "basis", BASIS_MAX);
    const char *date = text_of(in, "date", 10);
    json_t *sum = json_object_get(in, "summary"), *ins = json_object_get(in, "inspectors");
    if (!uscc || !code || !basis || !date || (sum && !(json_is_string(sum) && json_string_length(sum) <= TEXT_MAX)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request",
                         "需要 uscc（统一社会信用代码）、case（第4.3条情形）、basis（依据，不超过 %d 字节）和 date（检查日期）",
                         BASIS_MAX), NULL;
    char today[16], at[32], obj[48];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!clock_valid_date(date) || strcmp(date, today) > 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "检查日期应为不晚于今天的 YYYY-MM-DD 日期"), NULL;
    char *label = NULL;
    int known = case_label(c, code, &label, e);
    free(label);
    if (known < 0) return NULL;
    if (!known)
        return spot_fail(e, SPOT_E_INVALID, "unknown_case", "“%s”不是第4.3条规定的情形（应为 a 至 e）", code), NULL;
    if (check_inspectors(c, ins, e) != 0) return NULL;
    long long eid = unit_id(c, uscc, e);
    if (eid <= 0) return NULL;
    char *err = NULL;
    const char *actor = ctx_actor(c);
    json_t *team = ins ? json_incref(ins) : json_array();
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO inspections(enterprise_id, uscc, case_code, basis, date, inspectors, summary, "
                                 "created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)", "issssjsss", eid, uscc, code, basis,
                    date, team, sum ? json_string_value(sum) : "", actor, at) == 1;
    json_decref(team);
    long long id = sqlite3_last_insert_rowid(c->db);
    snprintf(obj, sizeof obj, "inspection:%lld", id);
    json_t *ad = json_pack("{ss ss ss ss}", "uscc", uscc, "case", code, "basis", basis, "date", date);
    ok = ok && audit_log(c->db, actor, "inspection.create", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return inspection_view(c, id, e);
}

json_t *inspections_close(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"date", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *date = text_of(in, "date", 10);
    char today[16], obj[48];
    clock_today(today);
    if (!date || !clock_valid_date(date) || strcmp(date, today) > 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "结束日期应为不晚于今天的 YYYY-MM-DD 日期"), NULL;
    json_t *o = inspection_view(c, id, e);
    if (!o) return NULL;
    const char *began = json_string_value(json_object_get(o, "date"));
    int closed = !json_is_null(json_object_get(o, "closed"));
    int before = strcmp(date, began) < 0;
    json_decref(o);
    if (closed) return spot_fail(e, SPOT_E_CONFLICT, "closed", "该检查已结束"), NULL;
    if (before) return spot_fail(e, SPOT_E_INPUT, "bad_date", "结束日期不能早于检查日期"), NULL;
    char *err = NULL;
    const char *actor = ctx_actor(c);
    snprintf(obj, sizeof obj, "inspection:%lld", id);
    json_t *ad = json_pack("{ss}", "closed", date);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE inspections SET closed = ? WHERE id = ? AND closed IS NULL", "si", date, id) == 1 &&
             audit_log(c->db, actor, "inspection.close", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return inspection_view(c, id, e);
}

/* The unit's inspection record (rows of inspection_record, newest first), inspectors decoded. New
 * reference or NULL with *e. */
static json_t *record_of(spot_ctx *c, long long eid, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT ref, origin, case_code, date, end_date, name, inspectors, summary, task_id "
                                        "FROM inspection_record WHERE enterprise_id = ? ORDER BY date DESC, ref", "i", eid);
    if (!rows) return fail_db(e, err), NULL;
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        json_t *ins = json_loads(json_string_value(json_object_get(x, "inspectors")), 0, NULL);
        json_object_set_new(x, "inspectors", ins ? ins : json_array());
    }
    return rows;
}

json_t *inspections_of_unit(spot_ctx *c, const char *uscc, spot_err *e)
{
    if (!uscc || !*uscc || strlen(uscc) > 64)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 uscc（统一社会信用代码）"), NULL;
    char *err = NULL;
    json_t *u = db_row(c->db, &err, "SELECT id, uscc, name FROM enterprises WHERE uscc = ?", "s", uscc);
    if (!u) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "检查对象名录库中没有这个单位");
        return NULL;
    }
    json_t *rows = record_of(c, json_integer_value(json_object_get(u, "id")), e);
    if (!rows) return json_decref(u), NULL;
    json_t *out = json_pack("{sO sO so}", "uscc", json_object_get(u, "uscc"), "name", json_object_get(u, "name"),
                            "inspections", rows);
    json_decref(u);
    return out;
}

/* ---- incidents (10.2) ---- */

/* The incident id with the rule's review of it. New reference or NULL with *e (404). */
json_t *incidents_get(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT n.*, e.name FROM incidents n JOIN enterprises e ON e.id = n.enterprise_id "
                                             "WHERE n.id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这起事故或问题记录");
        return NULL;
    }
    json_t *rec = record_of(c, json_integer_value(json_object_get(o, "enterprise_id")), e);
    if (!rec) return json_decref(o), NULL;
    json_t *ret = decide_call(c, "accountability", "incident_review",
                              json_pack("[{sO} o]", "date", json_object_get(o, "date"), rec), e);
    if (!ret) return json_decref(o), NULL;
    json_object_set(o, "review", json_array_get(ret, 0));
    json_decref(ret);
    return o;
}

json_t *incidents_create(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"uscc", "date", "description", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *uscc = text_of(in, "uscc", 64), *date = text_of(in, "date", 10);
    const char *desc = text_of(in, "description", TEXT_MAX);
    if (!uscc || !date || !desc)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 uscc（统一社会信用代码）、date（发生日期）和 description（经过，不超过 %d 字节）",
                         TEXT_MAX), NULL;
    char today[16], at[32], obj[48];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!clock_valid_date(date) || strcmp(date, today) > 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "发生日期应为不晚于今天的 YYYY-MM-DD 日期"), NULL;
    long long eid = unit_id(c, uscc, e);
    if (eid <= 0) return NULL;
    char *err = NULL;
    const char *actor = ctx_actor(c);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "INSERT INTO incidents(enterprise_id, uscc, date, description, created_by, created_at) "
                                 "VALUES (?,?,?,?,?,?)", "isssss", eid, uscc, date, desc, actor, at) == 1;
    long long id = sqlite3_last_insert_rowid(c->db);
    snprintf(obj, sizeof obj, "incident:%lld", id);
    json_t *ad = json_pack("{ss ss}", "uscc", uscc, "date", date);
    ok = ok && audit_log(c->db, actor, "incident.create", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return incidents_get(c, id, e);
}

json_t *incidents_list(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT n.id, n.uscc, e.name, n.date, n.status, n.ground, n.decision, n.created_at "
                                        "FROM incidents n JOIN enterprises e ON e.id = n.enterprise_id "
                                        "ORDER BY n.date DESC, n.id DESC LIMIT 500", "");
    if (!rows) return fail_db(e, err), NULL;
    return json_pack("{so}", "incidents", rows);
}

json_t *incidents_claim(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"ground", "explanation", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *ground = text_of(in, "ground", 8), *why = text_of(in, "explanation", TEXT_MAX);
    if (!ground || !why)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 ground（第10.2条情形）和 explanation（理由说明）"), NULL;
    json_t *o = incidents_get(c, id, e);
    if (!o) return NULL;
    if (strcmp(json_string_value(json_object_get(o, "status")), "open")) {
        json_decref(o);
        return spot_fail(e, SPOT_E_CONFLICT, "claimed", "该记录已主张免责情形"), NULL;
    }
    json_t *ret = decide_call(c, "accountability", "incident_ground",
                              json_pack("[sO]", ground, json_object_get(o, "review")), e);
    json_decref(o);
    if (!ret) return NULL;
    json_t *d = json_array_get(ret, 0);
    const char *reason = json_string_value(json_object_get(d, "reason"));
    if (!json_is_boolean(json_object_get(d, "ok")) || !reason) {
        json_decref(ret);
        return spot_fail(e, SPOT_E_RULE, "rule_error", "规则 accountability.incident_ground 应返回 {ok, reason, clause}"), NULL;
    }
    if (!json_is_true(json_object_get(d, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "ground_refused", "%s（第10.2条）", reason);
        json_decref(ret);
        return NULL;
    }
    char at[32], obj[48];
    clock_now_rfc3339(at);
    char *err = NULL;
    const char *actor = ctx_actor(c);
    snprintf(obj, sizeof obj, "incident:%lld", id);
    json_t *ad = json_pack("{ss ss ss}", "ground", ground, "reason", reason, "explanation", why);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE incidents SET status = 'claimed', ground = ?, ground_reason = ?, explanation = ?, "
                                 "claimed_by = ?, claimed_at = ?, rule_sha = ? WHERE id = ? AND status = 'open'", "ssssssi",
                    ground, reason, why, actor, at, worker_rule_sha(c->w, "accountability"), id) == 1 &&
             audit_log(c->db, actor, "incident.claim", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    json_decref(ret);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return err ? (fail_db(e, err), NULL) : (spot_fail(e, SPOT_E_CONFLICT, "claimed", "该记录已主张免责情形"), NULL);
    }
    return incidents_get(c, id, e);
}

json_t *incidents_decide(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"decision", "reason", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *decision = text_of(in, "decision", 16), *reason = text_of(in, "reason", TEXT_MAX);
    if (!decision || !reason || (strcmp(decision, "exempt") && strcmp(decision, "not_exempt")))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 decision（exempt 免责 / not_exempt 不予免责）和 reason（理由）"), NULL;
    json_t *o = incidents_get(c, id, e);
    if (!o) return NULL;
    const char *status = json_string_value(json_object_get(o, "status"));
    const char *claimant = json_string_value(json_object_get(o, "claimed_by"));
    const char *actor = ctx_actor(c);
    int open = !strcmp(status, "open"), decided = !strcmp(status, "decided");
    int own = claimant && !strcmp(claimant, actor);
    json_decref(o);
    if (open) return spot_fail(e, SPOT_E_CONFLICT, "not_claimed", "尚未主张免责情形，无需决定"), NULL;
    if (decided) return spot_fail(e, SPOT_E_CONFLICT, "decided", "该记录已作出决定"), NULL;
    if (own) return spot_fail(e, SPOT_E_FORBIDDEN, "own_claim", "主张免责情形的人员不能自行决定，须由其他负责人决定"), NULL;
    char at[32], obj[48];
    clock_now_rfc3339(at);
    char *err = NULL;
    snprintf(obj, sizeof obj, "incident:%lld", id);
    json_t *ad = json_pack("{ss ss}", "decision", decision, "reason", reason);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE incidents SET status = 'decided', decision = ?, decision_reason = ?, decided_by = ?, "
                                 "decided_at = ? WHERE id = ? AND status = 'claimed'", "ssssi", decision, reason, actor, at, id) == 1 &&
             audit_log(c->db, actor, "incident.decide", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return err ? (fail_db(e, err), NULL) : (spot_fail(e, SPOT_E_CONFLICT, "decided", "该记录已作出决定"), NULL);
    }
    return incidents_get(c, id, e);
}
