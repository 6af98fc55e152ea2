/* tasks.c: tasks and their draw (SPEC §4, clauses 6.2, 7.1, 7.2), domain side (api_tasks.c is the
 * HTTP side: it parses, calls the tasks_* functions below and maps their spot_err).
 *
 * Life cycle: draft --freeze--> frozen --draw--> drawn --lock--> dispatched.
 * - freeze (draft or frozen only): every unit matching the task's filters goes through
 *   eligibility.check (with its history: times selected in other dispatched tasks of the same
 *   year, last date); the eligible ones are put in strata by sampling.stratum, each stratum sorted
 *   by USCC byte order (the scan is ORDER BY uscc, BINARY collation = byte order); sampling.count
 *   gives each stratum's n. Stored per stratum as one blob "USCC\n…" (the bytes of its list hash)
 *   with the reason, clause and rule sha; exclusions one row each with theirs. A fresh 32-byte
 *   secret is drawn; only its commitment is published. Re-freezing before any draw replaces all.
 * - draw {"witness"}: seed = SHA-256(secret || witness), selection per stratum by draw_select.
 * - draw algorithm v2 (SPEC §12): freeze {"witness","beacon_source"} stores only SHA-256(witness)
 *   and the named future beacon; draw {"witness","beacon"} refuses (422) a witness that does not
 *   hash to it; seed = SHA-256(secret || SHA-256(witness) || SHA-256(beacon)). A freeze without
 *   them is v1, only while rules/sampling.lua's draw_v1_allowed is true. A redraw reveals the same
 *   witness and enters the beacon again (its own value if a new one is named in the reason).
 * - redraw policy (before lock): every draw also commits to the NEXT secret and returns its
 *   commitment ("next_commitment"), published before anyone can enter the next witness. A redraw
 *   {"witness","reason"} uses that pre-committed secret, so no one (the server included) can pick
 *   a secret after seeing the witness, and every attempt (secret, commitment, witness, seed,
 *   selection, reason) is stored in task_draws and published in the announcement; the last attempt
 *   counts and "attempts" counts them all. Candidates cannot change after the first draw (freeze
 *   is refused), so a redraw can only re-roll in the open.
 * - lock: the final selection is dispatched (task_units, announcement order), the team secret is
 *   drawn and its commitment published with the announcement; freeze/draw are refused (409).
 *   lock {"witness","beacon_source"} commits the team draw to v2 the same way as the freeze
 *   (teams.c checks the revealed team witness and takes the team beacon); without them the team
 *   draw is v1, only while draw_v1_allowed is true.
 */
#include "tasks.h"
#include "announce.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "draw.h"
#include "history.h"
#include "jsonutil.h"
#include "luahost.h"
#include "rulebatch.h"
#include "plans.h"
#include "rules.h"
#include "ruledata.h"
#include "taskorgs.h"
#include "teampool.h"
#include "validate.h"
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#define MAX_STRATA 32
#define EXCLUDED_PAGE 1000
#define WITNESS_MAX 1000
#define NAME_MAX_BYTES 400

static const char *const FILTER_KEYS[] = {"industry", "region", "unit_type", "risk_level", "credit_level",
                                          "supervision_type", NULL};

/* ---- shared helpers ---- */

/* The task as shown to staff: secrets removed, options flattened. New reference (steals t). */
static json_t *task_view(json_t *t)
{
    json_object_del(t, "secret");
    json_object_del(t, "team_secret");
    json_object_del(t, "team_pool");
    json_t *opt = json_object_get(t, "options");
    if (json_is_object(opt)) json_object_update(t, opt);
    json_object_del(t, "options");
    json_object_set_new(t, "joint", json_boolean(json_array_size(json_object_get(t, "joint_units")) > 0));
    return t;
}

/* ---- create / list / get ---- */

static int bad(spot_err *e, const char *code, const char *msg)
{
    return spot_fail(e, SPOT_E_INPUT, code, "%s", msg), -1;
}

static int string_array(json_t *v, size_t maxlen)
{
    if (!json_is_array(v)) return 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
        if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > maxlen) return 0;
    return 1;
}

static const char *const TASK_FIELDS[] = {"plan_id", "name", "item_ids", "mode", "filters", "directed",
    "directed_reason", "lead_unit", "joint_units", "lead_org_id", "joint_org_ids", "start_date", "end_date", "team_size",
    "require_expert", "required_level", "workload_cap", "check_methods", "joint_check_type", NULL};

/* 8.1: the codes of rules/categories.lua's list `key` ([{code, label}]) as a new JSON array, or NULL
 * with *e (a rule error). */
static json_t *rule_codes(spot_ctx *c, const char *key, spot_err *e)
{
    json_t *list = NULL;
    char *err = NULL;
    if (lh_rule_value(c->w->lua, "categories", key, &list, NULL, &err) != 0) return spot_fail_rule(e, err), NULL;
    json_t *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        json_t *code = json_object_get(x, "code");
        if (json_is_string(code)) json_array_append(out, code);
    }
    json_decref(list);
    return out;
}

/* Whether the JSON array codes holds v (a string). */
static int has_code(json_t *codes, json_t *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(codes, i, x) if (json_equal(x, v)) return 1;
    return 0;
}

/* 8.1 检查方式: the task's check_methods (codes of categories.check_methods; absent: all of them)
 * into *methods (new reference) and its joint_check_type (a code of categories.joint_check_types,
 * only for a joint task) into *jtype (borrowed from in, or NULL). 0, or -1 with *e (400/422). */
static int check_methods_of(spot_ctx *c, json_t *in, int joint, json_t **methods, json_t **jtype, spot_err *e)
{
    json_t *all = rule_codes(c, "check_methods", e);
    if (!all) return -1;
    json_t *v = json_object_get(in, "check_methods");
    if (v && !json_is_null(v)) {
        size_t i;
        json_t *x;
        int ok = json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 20;
        if (ok) json_array_foreach(v, i, x) ok &= json_is_string(x) && has_code(all, x);
        json_decref(all);
        if (!ok) return spot_fail(e, SPOT_E_INVALID, "bad_check_method", "检查方式（check_methods）应为规则所列方式的非空列表（第8.1条）"), -1;
        *methods = json_incref(v);
    } else {
        *methods = all;
    }
    *jtype = NULL;
    json_t *jt = json_object_get(in, "joint_check_type");
    if (jt && !json_is_null(jt)) {
        json_t *types = rule_codes(c, "joint_check_types", e);
        if (!types) { json_decref(*methods); return -1; }
        int known = json_is_string(jt) && has_code(types, jt);
        json_decref(types);
        if (!known || !joint) {
            json_decref(*methods);
            return spot_fail(e, SPOT_E_INVALID, "bad_check_method", known ? "只有联合抽查任务才有联查方式（joint_check_type）"
                                                                          : "联查方式（joint_check_type）不是规则所列的方式（第8.1条）"), -1;
        }
        *jtype = jt;
    }
    return 0;
}

/* Checks the body of POST /api/tasks; fills *filters (normalised, new ref) and *options (new ref).
 * Returns 0, or replies (400/422) and returns -1. */
static int check_task(spot_ctx *c, json_t *in, json_t **filters_out, json_t **options_out, spot_err *e)
{
    if (spot_check_fields(in, TASK_FIELDS, e) != 0) return -1;
    json_t *name = json_object_get(in, "name"), *mode = json_object_get(in, "mode");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > NAME_MAX_BYTES)
        return bad(e, "bad_request", "name 须为非空文本");
    if (!json_is_string(mode) ||
        (strcmp(json_string_value(mode), "untargeted") && strcmp(json_string_value(mode), "targeted")))
        return bad(e, "bad_request", "mode 须为 untargeted（不定向）或 targeted（定向条件）");
    const char *sd = json_string_value(json_object_get(in, "start_date"));
    const char *ed = json_string_value(json_object_get(in, "end_date"));
    if (!sd || !ed || !clock_valid_date(sd) || !clock_valid_date(ed))
        return bad(e, "bad_date", "start_date 和 end_date 须为有效日期 YYYY-MM-DD");
    if (strcmp(sd, ed) > 0) return bad(e, "bad_date", "开始日期晚于结束日期");
    if (strncmp(sd, ed, 4)) return bad(e, "bad_date", "任务起止日期须在同一年度内");
    json_t *v = json_object_get(in, "directed");
    if (v && !json_is_boolean(v)) return bad(e, "bad_request", "directed 须为布尔值");
    json_t *dr = json_object_get(in, "directed_reason");
    if (dr && !json_is_null(dr) && (!json_is_string(dr) || json_string_length(dr) > NAME_MAX_BYTES))
        return bad(e, "bad_request", "directed_reason 须为文本");
    if (json_is_true(v) && (!json_is_string(dr) || json_string_length(dr) == 0))
        return bad(e, "bad_request", "定向检查须说明理由 directed_reason（如 专项整治、特殊事件、上级指令）");
    /* lead_unit / joint_units: the orgs' names (before SPEC §10); taskorgs_resolve checks both forms */
    if ((v = json_object_get(in, "lead_unit")) && (!json_is_string(v) || json_string_length(v) > NAME_MAX_BYTES))
        return bad(e, "bad_request", "lead_unit 须为机构名称");
    if ((v = json_object_get(in, "joint_units")) && json_array_size(v) > 0 && !string_array(v, NAME_MAX_BYTES))
        return bad(e, "bad_request", "joint_units 须为机构名称数组");
    if ((v = json_object_get(in, "item_ids"))) {
        if (!json_is_array(v)) return bad(e, "bad_request", "item_ids 须为整数数组");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_integer(x) || json_integer_value(x) <= 0) return bad(e, "bad_request", "item_ids 须为整数数组");
            char *err = NULL;
            long long ok = db_int(c->db, &err, 0, "SELECT count(*) FROM items WHERE id = ? AND active = 1", "i",
                                  (long long)json_integer_value(x));
            if (err) return spot_fail_db(e, "tasks", err), -1;
            if (!ok)
                return spot_fail(e, SPOT_E_INVALID, "unknown_item", "抽查事项不存在或已停用：%lld",
                                   (long long)json_integer_value(x)), -1;
        }
    }
    json_t *pid = json_object_get(in, "plan_id");
    if (pid && !json_is_null(pid)) {
        if (!json_is_integer(pid)) return bad(e, "bad_request", "plan_id 须为整数");
        char *err = NULL;
        long long year = db_int(c->db, &err, -1, "SELECT year FROM plans WHERE id = ?", "i",
                                (long long)json_integer_value(pid));
        if (err) return spot_fail_db(e, "tasks", err), -1;
        if (year < 0)
            return spot_fail(e, SPOT_E_INVALID, "unknown_plan", "计划不存在：%lld", (long long)json_integer_value(pid)), -1;
        if (year != atoi(sd))
            return spot_fail(e, SPOT_E_INVALID, "bad_date", "任务日期（%s）不在计划年度%lld年内", sd, year), -1;
    }
    /* filters */
    json_t *f = json_object_get(in, "filters");
    if (f && !json_is_object(f) && !json_is_null(f)) return bad(e, "bad_request", "filters 须为对象");
    json_t *filters = json_object();
    if (json_is_object(f)) {
        if (spot_check_fields(f, FILTER_KEYS, e) != 0) { json_decref(filters); return -1; }
        const char *k;
        json_t *x;
        json_object_foreach(f, k, x) {
            if (!string_array(x, NAME_MAX_BYTES)) {
                json_decref(filters);
                return spot_fail(e, SPOT_E_INPUT, "bad_request", "filters.%s 须为非空文本数组", k), -1;
            }
            if (json_array_size(x) == 0) continue;
            json_t *norm = json_array();
            size_t i;
            json_t *el;
            json_array_foreach(x, i, el) {
                const char *s = json_string_value(el), *code = s;
                if (!strcmp(k, "risk_level")) code = v_choice_code(V_RISK, s);
                else if (!strcmp(k, "credit_level")) code = v_choice_code(V_CREDIT, s);
                else if (!strcmp(k, "industry")) {
                    json_t *args = json_pack("[s]", s), *ret = NULL;
                    char *err = NULL;
                    int rc = lh_call(c->w->lua, "categories", "category", args, &ret, &err);
                    json_decref(args);
                    if (rc != 0) { json_decref(norm); json_decref(filters); return spot_fail_rule(e, err), -1; }
                    int known = json_is_string(json_array_get(ret, 0));
                    if (!known) {
                        spot_fail(e, SPOT_E_INVALID, "unknown_industry", "%s",
                                    json_string_value(json_array_get(ret, 1)) ? json_string_value(json_array_get(ret, 1))
                                                                               : "未知行业");
                        json_decref(ret); json_decref(norm); json_decref(filters);
                        return -1;
                    }
                    json_decref(ret);
                }
                if (!code) {
                    json_decref(norm); json_decref(filters);
                    return spot_fail(e, SPOT_E_INPUT, "bad_request", "filters.%s 的取值无效：%s", k, s), -1;
                }
                json_array_append_new(norm, json_string(code));
            }
            json_object_set_new(filters, k, norm);
        }
    }
    int targeted = !strcmp(json_string_value(mode), "targeted");
    if (targeted && json_object_size(filters) == 0) {
        json_decref(filters);
        return bad(e, "bad_request", "定向条件抽查（targeted）须给出至少一个筛选条件 filters");
    }
    if (!targeted && json_object_size(filters) > 0) {
        json_decref(filters);
        return bad(e, "bad_request", "不定向抽查（untargeted）不能带筛选条件 filters");
    }
    /* rule options */
    json_t *opt = json_object();
    static const char *const ints[] = {"team_size", "workload_cap"};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(in, ints[i])) && !json_is_null(v)) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000) {
                json_decref(opt); json_decref(filters);
                return spot_fail(e, SPOT_E_INPUT, "bad_request", "%s 须为正整数", ints[i]), -1;
            }
            json_object_set(opt, ints[i], v);
        }
    if ((v = json_object_get(in, "require_expert")) && !json_is_null(v)) {
        if (!json_is_boolean(v)) { json_decref(opt); json_decref(filters); return bad(e, "bad_request", "require_expert 须为布尔值"); }
        json_object_set(opt, "require_expert", v);
    }
    if ((v = json_object_get(in, "required_level")) && !json_is_null(v)) {
        const char *code = json_is_string(v) ? v_choice_code(V_LEVEL, json_string_value(v)) : NULL;
        if (!code) { json_decref(opt); json_decref(filters); return bad(e, "bad_request", "required_level 须为 county 或 township"); }
        json_object_set_new(opt, "required_level", json_string(code));
    }
    *filters_out = filters;
    *options_out = opt;
    return 0;
}

int tasks_create(spot_ctx *c, json_t *in, json_t **out, spot_err *e)
{
    json_t *filters = NULL, *opt = NULL, *joint_ids = NULL, *joint = NULL;
    char *lead_name = NULL;
    long long lead = 0;
    if (check_task(c, in, &filters, &opt, e) != 0) return -1;
    json_t *methods = NULL, *jtype = NULL;
    if (taskorgs_resolve(c, in, &lead, &lead_name, &joint_ids, &joint, e) != 0) {
        json_decref(filters);
        json_decref(opt);
        return -1;
    }
    if (check_methods_of(c, in, json_array_size(joint_ids) > 0, &methods, &jtype, e) != 0) {
        free(lead_name);
        json_decref(joint);
        json_decref(joint_ids);
        json_decref(filters);
        json_decref(opt);
        return -1;
    }
    char *err = NULL, at[32], obj[32];
    clock_now_rfc3339(at);
    const char *sd = json_string_value(json_object_get(in, "start_date"));
    json_t *items = json_object_get(in, "item_ids");
    json_t *empty = json_array();
    json_t *pid = json_object_get(in, "plan_id");
    int directed = json_is_true(json_object_get(in, "directed"));
    int ok = db_begin(c->db, &err) == 0 &&
        db_run(c->db, &err, "INSERT INTO tasks(plan_id, year, name, item_ids, mode, filters, directed, directed_reason, "
                            "lead_unit, joint_units, lead_org_id, joint_org_ids, start_date, end_date, options, author, "
                            "created_at, updated_at, check_methods, joint_check_type) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "jijjjjissjijssjsssjj",
               json_is_null(pid) ? NULL : pid, (long long)atoi(sd), json_object_get(in, "name"),
               items ? items : empty, json_object_get(in, "mode"), filters, (long long)directed,
               directed ? json_string_value(json_object_get(in, "directed_reason")) : NULL,
               lead_name, joint, lead, joint_ids, sd, json_string_value(json_object_get(in, "end_date")), opt,
               ctx_actor(c), at, at, methods, jtype) >= 0;
    json_decref(methods);
    free(lead_name);
    json_decref(joint);
    json_decref(joint_ids);
    long long id = sqlite3_last_insert_rowid(c->db);
    snprintf(obj, sizeof obj, "task:%lld", id);
    json_t *d = json_deep_copy(in);
    ok = ok && audit_log(c->db, ctx_actor(c), "task.create", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    json_decref(empty);
    json_decref(filters);
    json_decref(opt);
    if (!ok) return spot_fail_db(e, "tasks", err);
    json_t *t = tasks_load(c->db, id, &err);
    if (!t) return spot_fail_db(e, "tasks", err);
    *out = (task_view(t));
    return 0;
}

static json_t *task_or_404(spot_ctx *c, long long id, spot_err *e);

/* The draft task id for an edit or a cancellation by the caller: 404 unseen, 403 not the lead
 * org's planner (or an admin), 409 cancelled or past draft. New reference or NULL with *e. */
static json_t *editable_draft(spot_ctx *c, long long id, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return NULL;
    if (!taskorgs_may_lead(c, t, 0, e)) { json_decref(t); return NULL; }
    if (json_is_string(json_object_get(t, "cancelled_at"))) {
        json_decref(t);
        return spot_fail(e, SPOT_E_CONFLICT, "cancelled", "任务已取消"), NULL;
    }
    if (strcmp(json_string_value(json_object_get(t, "status")), "draft")) {
        json_decref(t);
        return spot_fail(e, SPOT_E_CONFLICT, "not_draft", "任务已冻结候选名单，不能再修改或取消（抽取过程已记录在案）"), NULL;
    }
    return t;
}

int tasks_update(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = editable_draft(c, id, e);
    if (!t) return -1;
    json_t *filters = NULL, *opt = NULL, *joint_ids = NULL, *joint = NULL, *methods = NULL, *jtype = NULL;
    char *lead_name = NULL, *err = NULL, at[32], obj[32];
    long long lead = 0;
    int rc = -1;
    if (check_task(c, in, &filters, &opt, e) != 0) goto done;
    if (taskorgs_resolve(c, in, &lead, &lead_name, &joint_ids, &joint, e) != 0) goto done;
    if (check_methods_of(c, in, json_array_size(joint_ids) > 0, &methods, &jtype, e) != 0) goto done;
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    const char *sd = json_string_value(json_object_get(in, "start_date"));
    json_t *items = json_object_get(in, "item_ids"), *pid = json_object_get(in, "plan_id");
    json_t *empty = json_array();
    int directed = json_is_true(json_object_get(in, "directed"));
    /* the record before and after, so the trail shows what changed */
    json_t *d = json_pack("{sO s O}", "before", t, "after", in);
    int ok = db_begin(c->db, &err) == 0 &&
        db_run(c->db, &err, "UPDATE tasks SET plan_id = ?, year = ?, name = ?, item_ids = ?, mode = ?, filters = ?, "
                            "directed = ?, directed_reason = ?, lead_unit = ?, joint_units = ?, lead_org_id = ?, "
                            "joint_org_ids = ?, start_date = ?, end_date = ?, options = ?, updated_at = ?, "
                            "check_methods = ?, joint_check_type = ? WHERE id = ? AND status = 'draft' AND cancelled_at IS NULL",
               "jijjjjissjijssjsjji", pid && !json_is_null(pid) ? pid : NULL, (long long)atoi(sd), json_object_get(in, "name"),
               items ? items : empty, json_object_get(in, "mode"), filters, (long long)directed,
               directed ? json_string_value(json_object_get(in, "directed_reason")) : NULL, lead_name, joint, lead,
               joint_ids, sd, json_string_value(json_object_get(in, "end_date")), opt, at, methods, jtype, id) == 1 &&
        audit_log(c->db, ctx_actor(c), "task.update", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    json_decref(empty);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        spot_fail_db(e, "tasks", err ? err : strdup("task changed meanwhile"));
        goto done;
    }
    json_t *nt = tasks_load(c->db, id, &err);
    if (!nt) { spot_fail_db(e, "tasks", err); goto done; }
    *out = task_view(nt);
    rc = 0;
done:
    free(lead_name);
    json_decref(methods);
    json_decref(joint);
    json_decref(joint_ids);
    json_decref(filters);
    json_decref(opt);
    json_decref(t);
    return rc;
}

int tasks_cancel(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    static const char *const fields[] = {"reason", NULL};
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体须为 JSON 对象");
    if (spot_check_fields(in, fields, e) != 0) return -1;
    json_t *jr = json_object_get(in, "reason");
    if (!json_is_string(jr) || json_string_length(jr) == 0 || json_string_length(jr) > 2000)
        return spot_fail(e, SPOT_E_INPUT, "reason_required", "取消任务须说明理由（reason，不超过 2000 字节）");
    json_t *t = editable_draft(c, id, e);
    if (!t) return -1;
    char *err = NULL, at[32], obj[32];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    json_t *d = json_pack("{sO sO}", "name", json_object_get(t, "name"), "reason", jr);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE tasks SET cancelled_at = ?, cancelled_by = ?, cancel_reason = ?, updated_at = ? "
                                 "WHERE id = ? AND status = 'draft' AND cancelled_at IS NULL", "ssssi", at, ctx_actor(c),
                    json_string_value(jr), at, id) == 1 &&
             audit_log(c->db, ctx_actor(c), "task.cancel", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    json_decref(t);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return spot_fail_db(e, "tasks", err ? err : strdup("task changed meanwhile"));
    }
    json_t *nt = tasks_load(c->db, id, &err);
    if (!nt) return spot_fail_db(e, "tasks", err);
    *out = task_view(nt);
    return 0;
}

int tasks_list(spot_ctx *c, const char *status, const char *year, long long page, long long per_page, json_t **out,
               spot_err *e)
{
    char *err = NULL;
    /* staff other than admin and auditor see the tasks their org leads, joins or executes (SPEC §10) */
    int all = taskorgs_sees_all(c);
    char where[1024], sql[1200];
    /* status "cancelled": the cancelled drafts (issue 18); any other filter leaves them out */
    long long cancelled = status && !strcmp(status, "cancelled");
    if (cancelled) status = NULL;
    snprintf(where, sizeof where, " FROM tasks t WHERE (?1 IS NULL OR t.status = ?1) AND "
                                  "(?2 IS NULL OR t.year = CAST(?2 AS INTEGER)) AND (?3 OR %s) AND "
                                  "((t.cancelled_at IS NOT NULL) = ?13)", TASKORGS_VISIBLE_SQL);
    long long org = c->user ? c->user->org_id : 0;
    const char *cert = c->user ? c->user->cert_no : "";
    snprintf(sql, sizeof sql, "SELECT count(*)%s", where);
    long long total = db_int(c->db, &err, 0, sql, "ssiiiiiiisiii", status, year, (long long)all, 0LL, 0LL, 0LL, 0LL, 0LL,
                             org, cert, 0LL, 0LL, cancelled);
    snprintf(sql, sizeof sql, "SELECT t.id%s ORDER BY t.id DESC LIMIT ?11 OFFSET ?12", where);
    json_t *rows = err ? NULL : db_rows(c->db, &err, sql, "ssiiiiiiisiii", status, year, (long long)all, 0LL, 0LL, 0LL,
                                        0LL, 0LL, org, cert, per_page, (page - 1) * per_page, cancelled);
    if (!rows) return spot_fail_db(e, "tasks", err);
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *t = tasks_load(c->db, json_integer_value(json_object_get(row, "id")), &err);
        if (!t) { json_decref(rows); json_decref(list); return spot_fail_db(e, "tasks", err); }
        json_array_append_new(list, task_view(t));
    }
    json_decref(rows);
    *out = json_pack("{so sI sI sI}", "tasks", list, "total", (json_int_t)total, "page", (json_int_t)page, "per_page",
                     (json_int_t)per_page);
    return 0;
}

/* Loads the task {id} or replies 404. */
static json_t *task_or_404(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    if (id > 0 && c->user && taskorgs_may_see(c, id, e) != 1) return NULL;
    json_t *t = id > 0 ? tasks_load(c->db, id, &err) : NULL;
    if (!t) {
        if (err) spot_fail_db(e, "tasks", err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务");
    }
    return t;
}

static const char *status_of(json_t *t)
{
    return json_string_value(json_object_get(t, "status"));
}

int tasks_get(spot_ctx *c, long long id, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return -1;
    char *err = NULL;
    json_t *strata = db_rows(c->db, &err, "SELECT name, label, size, draw, reason, clause, rule_sha, candidates_hash "
                                          "FROM task_strata WHERE task_id = ? ORDER BY pos", "i", id);
    json_t *draws = strata ? db_rows(c->db, &err, "SELECT attempt, commitment, witness, seed, reason, selection, actor, at "
                                                  "FROM task_draws WHERE task_id = ? ORDER BY attempt", "i", id) : NULL;
    if (!draws) { json_decref(strata); json_decref(t); return spot_fail_db(e, "tasks", err); }
    size_t i;
    json_t *dr;
    static const char *const sel[] = {"selection", NULL};
    json_array_foreach(draws, i, dr) spot_decode_json(dr, sel);
    json_object_set_new(t, "strata", strata);
    json_object_set_new(t, "draws", draws);
    *out = (task_view(t));
    return 0;
}

/* GET /api/tasks/{id}/excluded?page=N: the excluded units with reason, clause and rule sha. */
int tasks_excluded(spot_ctx *c, long long id, long long page, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return -1;
    json_decref(t);
    char *err = NULL;
    long long total = db_int(c->db, &err, 0, "SELECT count(*) FROM task_exclusions WHERE task_id = ?", "i", id);
    json_t *rows = err ? NULL : db_rows(c->db, &err,
        "SELECT x.uscc, e.name, x.reason, x.clause, x.rule_sha FROM task_exclusions x "
        "LEFT JOIN enterprises e ON e.id = x.enterprise_id WHERE x.task_id = ? AND x.pos >= ? ORDER BY x.pos LIMIT ?",
        "iii", id, (page - 1) * EXCLUDED_PAGE, (long long)EXCLUDED_PAGE);
    if (!rows) return spot_fail_db(e, "tasks", err);
    *out = (json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page,
                                        "page_size", (json_int_t)EXCLUDED_PAGE, "excluded", rows));
    return 0;
}

/* ---- freeze ---- */

/* How the freeze scans (performance; the outcome never depends on it):
 * - Rules run through rulebatch_eval (rulebatch.h): unit and history tables are built from the row's columns
 *   directly, one Lua batch per part, no JSON per unit. The rules declare the fields they read
 *   (rules/README.md "Declared inputs"): only those columns are fetched (plus id and uscc, which
 *   the freeze itself needs), and the host calls Lua once per distinct tuple of their values.
 * - The history (times selected in other dispatched tasks of the year, last date) is read once,
 *   before the scan, into an array sorted by enterprise id that both parts search: a join per
 *   row cost more than the rules.
 * - The rows are read in USCC order from the unique index, in at most FREEZE_PARTS parts split by
 *   USCC range (the split point is the median of a sample). Part 0 runs in the request's thread on
 *   its worker; part 1 in a helper thread with its own read-only connection and its own Lua state
 *   holding the same rule versions (else one part only). Concatenating the parts in order gives
 *   exactly the single-scan result: the lists stay sorted by USCC and each unit's decision
 *   depends only on its row.
 * - The whole freeze runs in one BEGIN IMMEDIATE transaction of the request's connection: no one
 *   can commit while the helper opens its snapshot, so both parts read the same database state. */

#define FREEZE_PARTS 2
#define FREEZE_SPLIT_MIN 1000      /* a directory spanning fewer rowids: one part */
#define FREEZE_SAMPLE 63           /* rows sampled for the split point */

typedef struct stratum_acc {
    char name[64];
    char label[160];
    char *buf;                 /* "USCC\n" … */
    size_t len, cap, count;
    size_t last;               /* offset of the last item in buf */
    long long draw;
    json_t *count_ret;         /* [n, reason, clause] */
    char hash[65];
    /* merged lists only: the parts' buffers in order, taken over (never copied into one) */
    char *piece[FREEZE_PARTS];
    size_t piece_len[FREEZE_PARTS];
    int npieces;
    const char *tail;          /* the last item so far and its length */
    size_t tail_len;
} stratum_acc;

typedef struct excl {
    long long eid;
    char uscc[32];
    int reason;                /* index into the part's, later the merged, reasons */
} excl;

/* The unit fields that eligibility.check and sampling.stratum may declare: ruledata_unit's fields
 * from RULEDATA_UNIT_COLUMNS (same names, types and order), then the history (drawn_this_year,
 * last_drawn, overlapping_task, open_case, drawn_last_year, cases_this_year: history.h). The
 * rules get only the ones they declare. */
static const lh_field FREEZE_FIELDS[] = {
    {"id", LH_FIELD_INT, RB_UNIT},
    {"uscc", LH_FIELD_TEXT, RB_UNIT},
    {"name", LH_FIELD_TEXT, RB_UNIT},
    {"unit_type", LH_FIELD_TEXT, RB_UNIT},
    {"region", LH_FIELD_TEXT, RB_UNIT},
    {"industry", LH_FIELD_TEXT, RB_UNIT},
    {"supervision_type", LH_FIELD_TEXT, RB_UNIT},
    {"risk_level", LH_FIELD_TEXT, RB_UNIT},
    {"credit_level", LH_FIELD_TEXT, RB_UNIT},
    {"complaints", LH_FIELD_INT, RB_UNIT},
    {"watchlist", LH_FIELD_BOOL, RB_UNIT},
    {"dishonest", LH_FIELD_BOOL, RB_UNIT},
    {"serious_violation", LH_FIELD_BOOL, RB_UNIT},
    {"major_hazard", LH_FIELD_BOOL, RB_UNIT},
    {"status", LH_FIELD_TEXT, RB_UNIT},
    {"drawn_this_year", LH_FIELD_INT, RB_HISTORY},
    {"last_drawn", LH_FIELD_TEXT, RB_HISTORY},
    {"overlapping_task", LH_FIELD_TEXT, RB_HISTORY},
    {"open_case", LH_FIELD_TEXT, RB_HISTORY},
    {"drawn_last_year", LH_FIELD_INT, RB_HISTORY},
    {"cases_this_year", LH_FIELD_INT, RB_HISTORY},
};
#define FREEZE_NFIELDS ((int)(sizeof FREEZE_FIELDS / sizeof FREEZE_FIELDS[0]))
#define FREEZE_NCOLUMNS 15         /* FREEZE_FIELDS[0 .. 14] are columns of enterprises */
#define FREEZE_F_ID 0
#define FREEZE_F_USCC 1
#define FREEZE_F_NAME 2
#define FREEZE_F_DRAWN 15
#define FREEZE_F_LAST 16
#define FREEZE_F_OVERLAP 17
#define FREEZE_F_CASE 18
#define FREEZE_F_PREV 19
#define FREEZE_F_CASES 20

/* The scan query, after the column list: the task's filters, one USCC range [?7, ?8), in USCC
 * byte order. */
static const char FREEZE_SQL_FROM[] =
    " FROM enterprises WHERE uscc >= ?7 AND uscc < ?8"
    "   AND (?1 IS NULL OR industry IN (SELECT value FROM json_each(?1)))"
    "   AND (?2 IS NULL OR region IN (SELECT value FROM json_each(?2)))"
    "   AND (?3 IS NULL OR unit_type IN (SELECT value FROM json_each(?3)))"
    "   AND (?4 IS NULL OR risk_level IN (SELECT value FROM json_each(?4)))"
    "   AND (?5 IS NULL OR credit_level IN (SELECT value FROM json_each(?5)))"
    "   AND (?6 IS NULL OR supervision_type IN (SELECT value FROM json_each(?6)))"
    "   AND (?9 IS NULL OR industry IN (SELECT value FROM json_each(?9)))"
    " ORDER BY uscc";

/* One part of the scan, and what it collected. */
typedef struct freeze_part {
    sqlite3 *db;               /* borrowed */
    lh_state *lua;             /* borrowed */
    json_t *rtask;             /* borrowed */
    long long year, task_id;
    char *const *filters;      /* 6 JSON arrays or NULL (borrowed) */
    const char *lo;            /* range: lo (text, inclusive) ... */
    const char *hi;            /* ... hi (text, exclusive); NULL = no upper bound */
    int ns;
    const char *const *snames;
    const hist *history;       /* borrowed, shared by the parts (read only) */
    sqlite3_stmt *q;
    sqlite3_stmt *qname;       /* name by id, for the first EXCLUDED_PAGE exclusions */
    unsigned char used[FREEZE_NFIELDS];   /* the fields the rules declare */
    const lh_value *row;       /* the current row (the host's array, set by part_next) */
    stratum_acc acc[MAX_STRATA];   /* buf, len, cap, count, last only */
    excl *ex;
    size_t nex, capex;
    char **names;              /* names of the first EXCLUDED_PAGE exclusions */
    int *dec_reason;           /* lh decision id -> index in reasons, or -1 */
    size_t ndec_reason;
    char **rtext, **ctext;     /* this part's reasons and clauses, in order of first appearance */
    size_t nreasons;
    long long scanned;
    int rc;                    /* 0, or FREEZE_E_* */
    char *err;
    char *bad_uscc;            /* FREEZE_E_CANDIDATE: the offending USCC */
} freeze_part;

enum { FREEZE_OK = 0, FREEZE_E_DB, FREEZE_E_RULE, FREEZE_E_CANDIDATE };

static int buf_add(stratum_acc *s, const char *u, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n + 1) cap *= 2;
        char *p = realloc(s->buf, cap);
        if (!p) return -1;
        s->buf = p;
        s->cap = cap;
    }
    s->last = s->len;
    memcpy(s->buf + s->len, u, n);
    s->buf[s->len + n] = '\n';
    s->len += n + 1;
    s->count++;
    return 0;
}

/* Byte order of two list items (a prefix sorts first). */
static int item_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : alen < blen ? -1 : alen > blen;
}

/* rulebatch.next: the next row of the part's query. */
static int part_next(void *ud, lh_value *v, char **err)
{
    freeze_part *p = ud;
    sqlite3_stmt *q = p->q;
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) return 0;
    if (step != SQLITE_ROW) {
        *err = xprintf("%s", sqlite3_errmsg(p->db));
        p->rc = FREEZE_E_DB;
        return -1;
    }
    for (int i = 0; i < FREEZE_NCOLUMNS; i++) {
        if (!p->used[i] && i != FREEZE_F_ID && i != FREEZE_F_USCC) continue;
        if (FREEZE_FIELDS[i].type == LH_FIELD_TEXT) {
            v[i].s = (const char *)sqlite3_column_text(q, i);
            v[i].len = (size_t)sqlite3_column_bytes(q, i);
        } else {
            v[i].i = sqlite3_column_int64(q, i);
            v[i].nil = 0;
        }
    }
    if (p->used[FREEZE_F_DRAWN] || p->used[FREEZE_F_LAST] || p->used[FREEZE_F_OVERLAP] || p->used[FREEZE_F_CASE] ||
        p->used[FREEZE_F_PREV] || p->used[FREEZE_F_CASES]) {
        const hist_row *h = hist_find(p->history, v[FREEZE_F_ID].i);
        v[FREEZE_F_DRAWN] = (lh_value){.i = h ? h->n : 0};
        v[FREEZE_F_LAST] = (lh_value){.s = h ? h->last : NULL, .len = h && h->last ? strlen(h->last) : 0};
        v[FREEZE_F_OVERLAP] = (lh_value){.s = h ? h->overlap : NULL, .len = h && h->overlap ? strlen(h->overlap) : 0};
        v[FREEZE_F_CASE] = (lh_value){.s = h ? h->open_case : NULL, .len = h && h->open_case ? strlen(h->open_case) : 0};
        v[FREEZE_F_PREV] = (lh_value){.i = h ? h->prev : 0};
        v[FREEZE_F_CASES] = (lh_value){.i = h ? h->cases : 0};
    }
    p->row = v;
    return 1;
}

/* The name of the current row's unit (new string): the row's if the query read it, else looked
 * up by id in the part's connection (same snapshot). */
static char *part_name(freeze_part *p)
{
    if (p->used[FREEZE_F_NAME])
        return xprintf("%.*s", (int)p->row[FREEZE_F_NAME].len, p->row[FREEZE_F_NAME].s ? p->row[FREEZE_F_NAME].s : "");
    if (!p->qname) {
        char *err = NULL;
        p->qname = db_prepare(p->db, &err, "SELECT name FROM enterprises WHERE id = ?", "");
        free(err);
        if (!p->qname) return NULL;
    }
    sqlite3_bind_int64(p->qname, 1, p->row[FREEZE_F_ID].i);
    const char *n = sqlite3_step(p->qname) == SQLITE_ROW ? (const char *)sqlite3_column_text(p->qname, 0) : NULL;
    char *out = xprintf("%s", n ? n : "");
    sqlite3_reset(p->qname);
    return out;
}

/* rulebatch.each: files the unit under its stratum, or its exclusion. */
static int part_each(void *ud, const rb_result *res, char **err)
{
    freeze_part *p = ud;
    const char *uscc = p->row[FREEZE_F_USCC].s ? p->row[FREEZE_F_USCC].s : "";
    size_t ulen = p->row[FREEZE_F_USCC].s ? p->row[FREEZE_F_USCC].len : 0;
    if (res->ok) {
        if (res->stratum < 0 || res->stratum >= p->ns) {
            *err = xprintf("rules/sampling.lua: stratum 对 %s 返回了未知抽查层 %s", uscc,
                           res->stratum_name ? res->stratum_name : "nil");
            p->rc = FREEZE_E_RULE;
            return -1;
        }
        stratum_acc *s = &p->acc[res->stratum];
        /* a list item: non-empty, no newline or NUL, strictly after the previous one */
        if (ulen == 0 || memchr(uscc, '\n', ulen) || memchr(uscc, '\0', ulen) ||
            (s->count && item_cmp(s->buf + s->last, s->len - 1 - s->last, uscc, ulen) >= 0)) {
            p->bad_uscc = xprintf("%.*s", (int)ulen, uscc);
            p->rc = FREEZE_E_CANDIDATE;
            *err = xprintf("bad candidate");
            return -1;
        }
        if (buf_add(s, uscc, ulen) != 0) goto oom;
        return 0;
    }
    if ((size_t)res->decision >= p->ndec_reason) {
        size_t n = p->ndec_reason ? p->ndec_reason * 2 : 16;
        while (n <= (size_t)res->decision) n *= 2;
        int *m = realloc(p->dec_reason, n * sizeof *m);
        if (!m) goto oom;
        for (size_t i = p->ndec_reason; i < n; i++) m[i] = -1;
        p->dec_reason = m;
        p->ndec_reason = n;
    }
    if (p->dec_reason[res->decision] < 0) {
        char **rt = realloc(p->rtext, (p->nreasons + 1) * sizeof *rt);
        if (rt) p->rtext = rt;
        char **ct = realloc(p->ctext, (p->nreasons + 1) * sizeof *ct);
        if (ct) p->ctext = ct;
        if (!rt || !ct) goto oom;
        p->rtext[p->nreasons] = strdup(res->reason);
        p->ctext[p->nreasons] = strdup(res->clause);
        if (!p->rtext[p->nreasons] || !p->ctext[p->nreasons]) {
            free(p->rtext[p->nreasons]);
            free(p->ctext[p->nreasons]);
            goto oom;
        }
        p->dec_reason[res->decision] = (int)p->nreasons++;
    }
    if (p->nex == p->capex) {
        size_t cap = p->capex ? p->capex * 2 : 256;
        excl *e = realloc(p->ex, cap * sizeof *e);
        if (!e) goto oom;
        p->ex = e;
        p->capex = cap;
    }
    excl *e = &p->ex[p->nex];
    e->eid = p->row[FREEZE_F_ID].i;
    snprintf(e->uscc, sizeof e->uscc, "%.*s", (int)ulen, uscc);
    e->reason = p->dec_reason[res->decision];
    if (p->nex < EXCLUDED_PAGE) {
        if (!p->names && !(p->names = calloc(EXCLUDED_PAGE, sizeof *p->names))) goto oom;
        if (!(p->names[p->nex] = part_name(p))) goto oom;
    }
    p->nex++;
    return 0;
oom:
    *err = xprintf("out of memory");
    p->rc = FREEZE_E_DB;
    return -1;
}

/* Runs one part: prepares its query on p->db (the columns the rules declare, and id, uscc) and
 * evaluates it on p->lua. Sets p->rc / p->err. */
static void part_run(freeze_part *p)
{
    char *err = NULL;
    if (rulebatch_fields(p->lua, FREEZE_FIELDS, FREEZE_NFIELDS, p->used, &err) != 0) {
        p->rc = FREEZE_E_RULE;
        p->err = err;
        return;
    }
    /* the column list: names from FREEZE_FIELDS (C constants), NULL for the undeclared ones */
    char sql[sizeof FREEZE_SQL_FROM + 512];
    size_t n = 0;
    for (int i = 0; i < FREEZE_NCOLUMNS; i++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s", i ? ", " : "SELECT ",
                              p->used[i] || i == FREEZE_F_ID || i == FREEZE_F_USCC ? FREEZE_FIELDS[i].name : "NULL");
    snprintf(sql + n, sizeof sql - n, "%s", FREEZE_SQL_FROM);
    p->q = db_prepare(p->db, &err, sql, "ssssss", p->filters[0], p->filters[1], p->filters[2], p->filters[3],
                      p->filters[4], p->filters[5]);
    if (!p->q) {
        p->rc = FREEZE_E_DB;
        p->err = err;
        return;
    }
    sqlite3_bind_text(p->q, 7, p->lo, -1, SQLITE_STATIC);
    if (p->filters[6]) sqlite3_bind_text(p->q, 9, p->filters[6], -1, SQLITE_STATIC);
    if (p->hi) sqlite3_bind_text(p->q, 8, p->hi, -1, SQLITE_STATIC);
    else sqlite3_bind_blob(p->q, 8, "\xff", 1, SQLITE_STATIC);   /* every text sorts before a blob */
    rulebatch b = {.task = p->rtask, .fields = FREEZE_FIELDS, .nfields = FREEZE_NFIELDS, .strata = p->snames,
                  .nstrata = p->ns, .next = part_next, .each = part_each, .ud = p};
    if (rulebatch_eval(p->lua, &b, &p->scanned, &err) != 0) {
        if (p->rc == FREEZE_OK) p->rc = FREEZE_E_RULE;   /* not set by a callback: the rules failed */
        p->err = err;
    }
    sqlite3_finalize(p->q);
    sqlite3_finalize(p->qname);
    p->q = NULL;
    p->qname = NULL;
}

static void *part_thread(void *arg)
{
    part_run(arg);
    return NULL;
}

static void part_free(freeze_part *p)
{
    for (int s = 0; s < MAX_STRATA; s++) free(p->acc[s].buf);
    free(p->ex);
    if (p->names)
        for (size_t i = 0; i < EXCLUDED_PAGE; i++) free(p->names[i]);
    free(p->names);
    free(p->dec_reason);
    for (size_t i = 0; i < p->nreasons; i++) {
        free(p->rtext[i]);
        free(p->ctext[i]);
    }
    free(p->rtext);
    free(p->ctext);
    free(p->err);
    free(p->bad_uscc);
}

/* The helper of part 1: a read-only connection to the same database and a Lua state with the
 * worker's rule versions. Returns 0, or -1 (then the freeze runs as one part). */
static int helper_open(spot_ctx *c, sqlite3 **db, lh_state **lua)
{
    *db = NULL;
    *lua = NULL;
    const char *path = sqlite3_db_filename(c->db, "main");
    char *err = NULL;
    json_t *vers = NULL;
    long long gen;
    if (!path || !*path || sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(*db, 10000);
    *lua = lh_new(&spot_config.lua, &err);
    if (!*lua || rules_load_active(*db, *lua, &gen, &vers, &err) != 0) goto fail;
    if (!json_equal(vers, c->w->rule_versions)) goto fail;   /* an activation in between */
    json_decref(vers);
    return 0;
fail:
    free(err);
    json_decref(vers);
    lh_free(*lua);
    sqlite3_close(*db);
    *db = NULL;
    *lua = NULL;
    return -1;
}

/* The split point of the scan: the median USCC of a sample of rows spread over the rowids (any
 * value is correct; a good one balances the parts). New string, or NULL for one part. */
static char *split_point(sqlite3 *db)
{
    char *err = NULL;
    json_t *b = db_row(db, &err, "SELECT (SELECT min(id) FROM enterprises) AS lo, (SELECT max(id) FROM enterprises) AS hi", "");
    long long lo = json_integer_value(json_object_get(b, "lo")), hi = json_integer_value(json_object_get(b, "hi"));
    json_decref(b);
    free(err);
    err = NULL;
    if (hi - lo + 1 < FREEZE_SPLIT_MIN) return NULL;   /* the rowid span bounds the row count */
    sqlite3_stmt *q = db_prepare(db, &err, "SELECT uscc FROM enterprises WHERE id >= ? ORDER BY id LIMIT 1", "");
    if (!q) { free(err); return NULL; }
    char *sample[FREEZE_SAMPLE];
    int k = 0;
    for (int i = 0; i < FREEZE_SAMPLE; i++) {
        sqlite3_bind_int64(q, 1, lo + (long long)((double)(hi - lo) * (i + 0.5) / FREEZE_SAMPLE));
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            sample[k++] = strdup((const char *)sqlite3_column_text(q, 0));
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    /* selection of the median by insertion sort (k <= 63) */
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && sample[j] && sample[j - 1] && strcmp(sample[j - 1], sample[j]) > 0; j--) {
            char *t = sample[j];
            sample[j] = sample[j - 1];
            sample[j - 1] = t;
        }
    char *mid = NULL;
    for (int i = 0; i < k; i++) {
        if (i == k / 2) mid = sample[i];
        else free(sample[i]);
    }
    return mid;
}

/* The ordered strata of the sampling rule (names and labels). Returns the count, or -1 with *err. */
static int load_strata(lh_state *lua, stratum_acc *acc, char **err)
{
    json_t *args = json_array(), *ret = NULL;
    int rc = lh_call(lua, "sampling", "strata", args, &ret, err);
    json_decref(args);
    if (rc != 0) return -1;
    int n = 0;
    size_t i;
    json_t *st;
    json_array_foreach(json_array_get(ret, 0), i, st) {
        const char *name = json_string_value(json_object_get(st, "name"));
        const char *label = json_string_value(json_object_get(st, "label"));
        if (n == MAX_STRATA || !name || !*name || strlen(name) >= sizeof acc[n].name) continue;
        snprintf(acc[n].name, sizeof acc[n].name, "%s", name);
        snprintf(acc[n].label, sizeof acc[n].label, "%s", label ? label : "");
        n++;
    }
    json_decref(ret);
    if (n == 0) {
        *err = strdup("rules/sampling.lua 没有给出抽查层 strata");
        return -1;
    }
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Adds the list of stratum a (its pieces in order) to the hash st. */
static void hash_pieces(crypto_hash_sha256_state *st, const stratum_acc *a)
{
    for (int k = 0; k < a->npieces; k++)
        crypto_hash_sha256_update(st, (const unsigned char *)a->piece[k], a->piece_len[k]);
}

/* Context of the hashing helper: H_c over every stratum list in order. */
typedef struct hc_job {
    stratum_acc *acc;
    int ns;
    unsigned char hc[DRAW_HASH_LEN];
} hc_job;

static void *hc_thread(void *arg)
{
    hc_job *j = arg;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (int s = 0; s < j->ns; s++) hash_pieces(&st, &j->acc[s]);
    crypto_hash_sha256_final(&st, j->hc);
    return NULL;
}

/* ---- draw algorithm v2 parameters (issue 16, SPEC §12; owned by the public-disclosure work) ---- */

/* A JSON text of 1..max bytes without NUL bytes, or NULL. Borrowed. */
static const char *v2_text(json_t *in, const char *key, size_t max, size_t *len)
{
    json_t *v = in ? json_object_get(in, key) : NULL;
    if (!json_is_string(v)) return NULL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > max || strlen(s) != n) return NULL;
    if (len) *len = n;
    return s;
}

/* Whether the active rules accept a freeze without v2's parameters (sampling.draw_v1_allowed,
 * default false). Returns 1 or 0, or -1 with *e set (rule not loaded). */
static int v1_allowed(spot_ctx *c, spot_err *e)
{
    json_t *v = NULL;
    char *err = NULL;
    if (lh_rule_value(c->w->lua, "sampling", "draw_v1_allowed", &v, NULL, &err) != 0) return spot_fail_rule(e, err);
    int allowed = json_is_true(v);
    json_decref(v);
    return allowed;
}

/* The draw parameters of a freeze (or of the team draw, at lock: step names it in the message) from
 * in {"witness","beacon_source"}: both present -> v2, *wc_hex gets SHA-256(witness) in hex and
 * *source the beacon source (borrowed from in); both absent -> v1 if the rules allow it (*source
 * NULL, *wc_hex empty). Returns 0, or -1 with *e (422, nothing changed). */
static int freeze_v2_params(spot_ctx *c, json_t *in, const char *step, char wc_hex[65], const char **source,
                            spot_err *e)
{
    json_t *jw = in ? json_object_get(in, "witness") : NULL, *js = in ? json_object_get(in, "beacon_source") : NULL;
    size_t wlen = 0;
    const char *w = v2_text(in, "witness", WITNESS_MAX, &wlen), *src = v2_text(in, "beacon_source", WITNESS_MAX, NULL);
    wc_hex[0] = 0;
    *source = NULL;
    if (!jw && !js) {
        int ok = v1_allowed(c, e);
        if (ok < 0) return -1;
        if (!ok)
            return spot_fail(e, SPOT_E_INVALID, "v2_required",
                             "现行规则要求使用抽取算法 v2：%s时须由监督人输入见证文字（witness，仅保存其哈希承诺值），"
                             "并指定将来公开的随机数来源（beacon_source，如“福彩3D 2026058期开奖号码”）", step);
        return 0;
    }
    if (!w) return spot_fail(e, SPOT_E_INVALID, "witness_required", "监督人见证文字（witness）须为非空文本（最多 %d 字节）", WITNESS_MAX);
    if (!src)
        return spot_fail(e, SPOT_E_INVALID, "beacon_source_required",
                         "须指定将来公开的随机数来源（beacon_source，如“福彩3D 2026058期开奖号码”，最多 %d 字节）", WITNESS_MAX);
    unsigned char wc[DRAW_HASH_LEN];
    draw_witness_commitment(w, wlen, wc);
    hex_encode(wc_hex, wc, DRAW_HASH_LEN);
    *source = src;
    return 0;
}

/* The draw's v2 check for task t: witness (wlen bytes) must hash to the task's witness_commitment
 * and beacon be a non-empty text. Returns 0, or -1 with *e (422, nothing changed). */
static int draw_v2_check(json_t *t, const char *witness, size_t wlen, const char *beacon, spot_err *e)
{
    unsigned char wc[DRAW_HASH_LEN];
    char hex[65];
    draw_witness_commitment(witness, wlen, wc);
    hex_encode(hex, wc, DRAW_HASH_LEN);
    const char *want = json_string_value(json_object_get(t, "witness_commitment"));
    if (!want || strcmp(hex, want) != 0)
        return spot_fail(e, SPOT_E_INVALID, "witness_mismatch",
                         "监督人见证文字与冻结时公布的承诺值不符，未抽取；请由监督人输入冻结时的原文");
    if (!beacon)
        return spot_fail(e, SPOT_E_INVALID, "beacon_required",
                         "须输入冻结时指定的公开随机数（beacon）的开奖值（最多 %d 字节）", WITNESS_MAX);
    return 0;
}

/* ---- end of draw algorithm v2 parameters ---- */

int tasks_freeze(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return -1;
    if (!taskorgs_may_lead(c, t, 0, e)) { json_decref(t); return -1; }
    if (in && !json_is_object(in)) { json_decref(t); return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体须为 JSON 对象"); }
    static const char *const freeze_fields[] = {"reason", "witness", "beacon_source", NULL};
    if (in && spot_check_fields(in, freeze_fields, e) != 0) { json_decref(t); return -1; }
    json_t *jreason = in ? json_object_get(in, "reason") : NULL;
    if (jreason && (!json_is_string(jreason) || json_string_length(jreason) > WITNESS_MAX)) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "reason 须为文本");
    }
    const char *st = status_of(t);
    if (json_is_string(json_object_get(t, "cancelled_at"))) {
        json_decref(t);
        return spot_fail(e, SPOT_E_CONFLICT, "cancelled", "任务已取消，不能冻结名单");
    }
    if (!strcmp(st, "dispatched")) { json_decref(t); return spot_fail(e, SPOT_E_CONFLICT, "locked", "任务已锁定并派发，不能重新冻结"); }
    if (!strcmp(st, "drawn")) {
        json_decref(t);
        return spot_fail(e, SPOT_E_CONFLICT, "already_drawn", "任务已抽取，候选名单不能再改变；如需重新抽取请说明理由后重抽");
    }
    /* A re-freeze replaces the committed secret: it is a further attempt, published with its reason. */
    if (!strcmp(st, "frozen") && (!jreason || json_string_length(jreason) == 0)) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INPUT, "reason_required", "重新冻结须说明理由（reason），每次冻结的承诺值及理由都将公开");
    }
    const char *freeze_reason = !strcmp(st, "frozen") ? json_string_value(jreason) : NULL;
    /* Draw algorithm v2 (issue 16): the witness commitment and beacon source, or v1 if the rules allow. */
    char wc_hex[65];
    const char *beacon_source = NULL;
    if (freeze_v2_params(c, in, "冻结候选名单", wc_hex, &beacon_source, e) != 0) { json_decref(t); return -1; }
    const char *algorithm = beacon_source ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM;
    double t0 = now_s();
    char *err = NULL;
    int out_rc = 0;
    stratum_acc acc[MAX_STRATA];
    memset(acc, 0, sizeof acc);
    freeze_part part[FREEZE_PARTS];
    memset(part, 0, sizeof part);
    int nparts = 1, helper_started = 0;
    pthread_t helper;
    sqlite3 *hdb = NULL;
    lh_state *hlua = NULL;
    char *split = NULL;
    hist history = {NULL, 0};
    excl *ex = NULL;
    size_t nex = 0;
    json_t *reasons = json_array(), *ex_named = json_array();
    char *fj[7] = {0};   /* the 6 filters, then the industries the task's items apply to */
    const char *snames[MAX_STRATA];
    json_t *rtask = tasks_rule_task(c->db, t, &err);
    int ns = rtask ? load_strata(c->w->lua, acc, &err) : -1;
    if (ns < 0) { out_rc = rtask ? spot_fail_rule(e, err) : spot_fail_db(e, "tasks", err); err = NULL; goto done; }
    for (int s = 0; s < ns; s++) snames[s] = acc[s].name;

    json_t *f = json_object_get(t, "filters");
    for (int i = 0; i < 6; i++) {
        json_t *a = json_object_get(f, FILTER_KEYS[i]);
        if (json_array_size(a)) fj[i] = json_dumps(a, JSON_COMPACT);
    }
    /* 5.1.1: a unit is checked against the task's items, so only units of an industry one of them
     * applies to are candidates (an item applying to every industry, or no item: no restriction) */
    {
        json_t *ids = json_object_get(t, "item_ids");
        fj[6] = db_text(c->db, &err,
            "SELECT CASE WHEN count(*) = 0 OR sum(json_array_length(industries) = 0) > 0 THEN NULL ELSE "
            "(SELECT json_group_array(DISTINCT j.value) FROM items i2, json_each(i2.industries) j "
            " WHERE i2.id IN (SELECT value FROM json_each(?1))) END FROM items WHERE id IN (SELECT value FROM json_each(?1))",
            "j", ids);
        if (err) { out_rc = spot_fail_db(e, "tasks", err); err = NULL; goto done; }
    }
    int can_split = helper_open(c, &hdb, &hlua) == 0;
    /* From here on the request's connection holds the write lock: everything read below, by both
     * parts, is one database state, and the task's status cannot change under us. */
    if (db_begin(c->db, &err) != 0) { out_rc = spot_fail_db(e, "tasks", err); err = NULL; goto done; }
    char *now_status = db_text(c->db, &err, "SELECT status FROM tasks WHERE id = ?", "i", id);
    int status_ok = now_status && !strcmp(now_status, st);   /* as checked above (reason rule) */
    free(now_status);
    long long fattempt = status_ok ? db_int(c->db, &err, 0, "SELECT freezes FROM tasks WHERE id = ?", "i", id) + 1 : 0;
    if (err) status_ok = 0;
    if (!status_ok) {
        out_rc = err ? spot_fail_db(e, "tasks", err) : (db_rollback(c->db), spot_fail(e, SPOT_E_CONFLICT, "conflict", "任务状态已改变，请刷新后重试"));
        err = NULL;
        goto done;
    }
    if (hist_load(c->db, (long long)json_integer_value(json_object_get(t, "year")), id,
                  json_string_value(json_object_get(t, "start_date")), json_string_value(json_object_get(t, "end_date")),
                  &history, &err) != 0) {
        out_rc = spot_fail_db(e, "tasks", err);
        err = NULL;
        goto done;
    }
    if (can_split && (split = split_point(c->db)) != NULL) nparts = 2;
    for (int k = 0; k < nparts; k++) {
        freeze_part *p = &part[k];
        p->db = k ? hdb : c->db;
        p->lua = k ? hlua : c->w->lua;
        p->rtask = rtask;
        p->year = (long long)json_integer_value(json_object_get(t, "year"));
        p->task_id = id;
        p->filters = fj;
        p->lo = k ? split : "";
        p->hi = k == 0 && nparts > 1 ? split : NULL;
        p->ns = ns;
        p->snames = snames;
        p->history = &history;
    }
    if (nparts > 1) {
        helper_started = pthread_create(&helper, NULL, part_thread, &part[1]) == 0;
        if (!helper_started) part_run(&part[1]);   /* no thread: run it here, same result */
    }
    part_run(&part[0]);
    if (helper_started) pthread_join(helper, NULL);
    long long scanned = 0;
    for (int k = 0; k < nparts; k++) scanned += part[k].scanned;
    for (int k = 0; k < nparts; k++) {
        freeze_part *p = &part[k];
        if (p->rc == FREEZE_OK) continue;
        if (p->rc == FREEZE_E_CANDIDATE) {
            db_rollback(c->db);
            out_rc = spot_fail(e, SPOT_E_INVALID, "bad_candidates", "候选名单无效（统一社会信用代码为空、重复或含换行）：%s",
                                 p->bad_uscc ? p->bad_uscc : "");
        } else {
            out_rc = p->rc == FREEZE_E_RULE ? spot_fail_rule(e, p->err) : spot_fail_db(e, "tasks", p->err);
            p->err = NULL;
        }
        goto done;
    }
    if (fj[6] && scanned == 0) {   /* 5.1.1: the task's items apply to none of the units its filters name */
        char *names = db_text(c->db, &err, "SELECT group_concat(value, '、') FROM json_each(?)", "s", fj[6]);
        free(err);
        err = NULL;
        db_rollback(c->db);
        out_rc = spot_fail(e, SPOT_E_INVALID, "no_item_applies",
                           "本任务的抽查事项只适用于%s，名录库中没有符合筛选条件的这些行业的检查对象（第5.1.1条）",
                           names ? names : "");
        free(names);
        goto done;
    }
    double t1 = now_s();

    /* Merge the parts in order (part 0 holds the lower USCC range): lists, exclusions, reasons. */
    for (int s = 0; s < ns; s++) {
        stratum_acc *a = &acc[s];
        for (int k = 0; k < nparts; k++) {
            stratum_acc *pa = &part[k].acc[s];
            if (!pa->count) continue;
            size_t first_len = (size_t)((char *)memchr(pa->buf, '\n', pa->len) - pa->buf);
            if (a->count && item_cmp(a->tail, a->tail_len, pa->buf, first_len) >= 0) {
                db_rollback(c->db);
                out_rc = spot_fail(e, SPOT_E_INVALID, "bad_candidates", "候选名单无效（统一社会信用代码为空、重复或含换行）：%.*s",
                                     (int)first_len, pa->buf);
                goto done;
            }
            /* the part's buffer, trimmed to its length, becomes the next piece of the list */
            char *trimmed = realloc(pa->buf, pa->len);
            a->piece[a->npieces] = trimmed ? trimmed : pa->buf;
            a->piece_len[a->npieces] = pa->len;
            pa->buf = NULL;
            a->tail = a->piece[a->npieces] + pa->last;
            a->tail_len = pa->len - 1 - pa->last;
            a->npieces++;
            a->len += pa->len;
            a->count += pa->count;
        }
    }
    size_t total_ex = 0;
    for (int k = 0; k < nparts; k++) total_ex += part[k].nex;
    ex = total_ex ? malloc(total_ex * sizeof *ex) : NULL;
    if (total_ex && !ex) { out_rc = spot_fail_db(e, "tasks", strdup("out of memory")); goto done; }
    for (int k = 0; k < nparts; k++) {
        freeze_part *p = &part[k];
        int *map = p->nreasons ? malloc(p->nreasons * sizeof *map) : NULL;
        if (p->nreasons && !map) { out_rc = spot_fail_db(e, "tasks", strdup("out of memory")); goto done; }
        for (size_t i = 0; i < p->nreasons; i++) {
            size_t j;
            json_t *rs;
            map[i] = -1;
            json_array_foreach(reasons, j, rs)
                if (!strcmp(json_string_value(json_object_get(rs, "reason")), p->rtext[i]) &&
                    !strcmp(json_string_value(json_object_get(rs, "clause")), p->ctext[i])) {
                    map[i] = (int)j;
                    break;
                }
            if (map[i] < 0) {
                map[i] = (int)json_array_size(reasons);
                json_array_append_new(reasons, json_pack("{ss ss}", "reason", p->rtext[i], "clause", p->ctext[i]));
            }
        }
        for (size_t i = 0; i < p->nex; i++) {
            ex[nex] = p->ex[i];
            ex[nex].reason = map[p->ex[i].reason];
            if (nex < EXCLUDED_PAGE) {
                json_t *rs = json_array_get(reasons, (size_t)ex[nex].reason);
                json_array_append_new(ex_named, json_pack("{ss ss sO sO}", "uscc", ex[nex].uscc, "name",
                    p->names && i < EXCLUDED_PAGE && p->names[i] ? p->names[i] : "",
                    "reason", json_object_get(rs, "reason"), "clause", json_object_get(rs, "clause")));
            }
            nex++;
        }
        free(map);
    }

    /* Hashes: H_c over every list in a helper thread, each stratum's own list hash here. */
    unsigned char hc[DRAW_HASH_LEN], sh[DRAW_HASH_LEN];
    hc_job job = {.acc = acc, .ns = ns};
    pthread_t hcth;
    int hc_started = pthread_create(&hcth, NULL, hc_thread, &job) == 0;
    for (int s = 0; s < ns; s++) {
        crypto_hash_sha256_state hs;
        crypto_hash_sha256_init(&hs);
        hash_pieces(&hs, &acc[s]);
        crypto_hash_sha256_final(&hs, sh);
        hex_encode(acc[s].hash, sh, DRAW_HASH_LEN);
    }
    if (hc_started) pthread_join(hcth, NULL);
    else hc_thread(&job);
    memcpy(hc, job.hc, sizeof hc);
    for (int s = 0; s < ns; s++) {
        json_t *cargs = json_pack("[sIO]", acc[s].name, (json_int_t)acc[s].count, rtask);
        int rc = lh_call(c->w->lua, "sampling", "count", cargs, &acc[s].count_ret, &err);
        json_decref(cargs);
        json_t *n = rc == 0 ? json_array_get(acc[s].count_ret, 0) : NULL;
        if (rc == 0 && (!json_is_number(n) || json_number_value(n) < 0 || json_number_value(n) > (double)acc[s].count ||
                        json_number_value(n) != (double)(long long)json_number_value(n))) {
            err = xprintf("rules/sampling.lua: count(%s, %zu) 返回的数量无效", acc[s].name, acc[s].count);
            rc = -1;
        }
        if (rc != 0) { out_rc = spot_fail_rule(e, err); err = NULL; goto done; }
        acc[s].draw = (long long)json_number_value(n);
    }
    char hc_hex[65], secret_hex[65], com_hex[65];
    hex_encode(hc_hex, hc, DRAW_HASH_LEN);
    unsigned char secret[32], com[DRAW_HASH_LEN];
    draw_new_secret(secret);
    draw_commitment(secret, com);
    hex_encode(secret_hex, secret, 32);
    hex_encode(com_hex, com, DRAW_HASH_LEN);
    sodium_memzero(secret, sizeof secret);

    /* Store (in the transaction opened before the scan). */
    const char *esha = worker_rule_sha(c->w, "eligibility"), *ssha = worker_rule_sha(c->w, "sampling");
    json_t *shas = json_pack("{ss ss}", "eligibility", esha, "sampling", ssha);
    char at[32], obj[32];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    json_t *strata_out = json_array(), *sizes = json_object();
    for (int s = 0; s < ns; s++) {
        json_array_append_new(strata_out, json_pack("{ss ss sI sI sO sO ss ss}", "name", acc[s].name, "label",
            acc[s].label, "size", (json_int_t)acc[s].count, "draw", (json_int_t)acc[s].draw,
            "reason", json_array_get(acc[s].count_ret, 1), "clause", json_array_get(acc[s].count_ret, 2),
            "rule_sha", ssha, "candidates_hash", acc[s].hash));
        json_object_set_new(sizes, acc[s].name, json_pack("[II]", (json_int_t)acc[s].count, (json_int_t)acc[s].draw));
    }
    int ok = db_run(c->db, &err, "DELETE FROM task_strata WHERE task_id = ?", "i", id) >= 0 &&
         db_run(c->db, &err, "DELETE FROM task_exclusions WHERE task_id = ?", "i", id) >= 0;
    /* each list goes in as a zeroblob that its pieces are then written into: no copy of a list
     * is made on the way (a bound blob is copied, and again into the record) */
    for (int s = 0; ok && s < ns; s++) {
        ok = db_run(c->db, &err, "INSERT INTO task_strata(task_id, pos, name, label, size, draw, reason, clause, "
                                 "rule_sha, candidates_hash, candidates) VALUES (?,?,?,?,?,?,?,?,?,?,zeroblob(?))",
                    "iissiijjssi", id, (long long)s, acc[s].name, acc[s].label, (long long)acc[s].count, acc[s].draw,
                    json_array_get(acc[s].count_ret, 1), json_array_get(acc[s].count_ret, 2), ssha, acc[s].hash,
                    (long long)acc[s].len) >= 0;
        sqlite3_blob *blob = NULL;
        if (ok && acc[s].len &&
            sqlite3_blob_open(c->db, "main", "task_strata", "candidates", sqlite3_last_insert_rowid(c->db), 1, &blob) != SQLITE_OK) {
            err = xprintf("%s", sqlite3_errmsg(c->db));
            ok = 0;
        }
        size_t off = 0;
        for (int k = 0; ok && blob && k < acc[s].npieces; k++) {
            if (sqlite3_blob_write(blob, acc[s].piece[k], (int)acc[s].piece_len[k], (int)off) != SQLITE_OK) {
                err = xprintf("%s", sqlite3_errmsg(c->db));
                ok = 0;
            }
            off += acc[s].piece_len[k];
        }
        if (blob) sqlite3_blob_close(blob);
    }
    if (ok && nex) {
        sqlite3_stmt *ins = db_prepare(c->db, &err, "INSERT INTO task_exclusions(task_id, pos, enterprise_id, uscc, "
                                                    "reason, clause, rule_sha) VALUES (?,?,?,?,?,?,?)", "");
        ok = ins != NULL;
        for (size_t i = 0; ok && i < nex; i++) {
            json_t *rs = json_array_get(reasons, (size_t)ex[i].reason);
            sqlite3_bind_int64(ins, 1, id);
            sqlite3_bind_int64(ins, 2, (long long)i);
            sqlite3_bind_int64(ins, 3, ex[i].eid);
            sqlite3_bind_text(ins, 4, ex[i].uscc, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, json_string_value(json_object_get(rs, "reason")), -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 6, json_string_value(json_object_get(rs, "clause")), -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 7, esha, -1, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) { err = xprintf("%s", sqlite3_errmsg(c->db)); ok = 0; }
            sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);
    }
    json_t *d = json_pack("{ss ss sO sI sI sI ss?}", "candidates_hash", hc_hex, "commitment", com_hex, "strata", sizes,
                          "excluded", (json_int_t)nex, "units_checked", (json_int_t)scanned,
                          "attempt", (json_int_t)fattempt, "reason", freeze_reason);
    json_object_set(d, "rule_shas", shas);
    json_object_set_new(d, "algorithm", json_string(algorithm));
    if (beacon_source)
        json_object_update_missing_new(d, json_pack("{ss ss}", "witness_commitment", wc_hex, "beacon_source", beacon_source));
    ok = ok && db_run(c->db, &err, "INSERT INTO task_freezes(task_id, attempt, commitment, secret, candidates_hash, reason, "
                                   "actor, at, witness_commitment, beacon_source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                      "iissssssss", id, fattempt, com_hex, secret_hex, hc_hex, freeze_reason, ctx_actor(c), at,
                      beacon_source ? wc_hex : NULL, beacon_source) == 1 &&
         db_run(c->db, &err, "UPDATE tasks SET status = 'frozen', candidates_hash = ?, secret = ?, commitment = ?, "
                             "rule_shas = ?, excluded_count = ?, frozen_at = ?, freezes = ?, updated_at = ?, "
                             "draw_algorithm = ?, witness_commitment = ?, beacon_source = ? WHERE id = ?",
                "sssjisissssi", hc_hex, secret_hex, com_hex, shas, (long long)nex, at, fattempt, at, algorithm,
                beacon_source ? wc_hex : NULL, beacon_source, id) == 1 &&
         audit_log(c->db, ctx_actor(c), "task.freeze", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    sodium_memzero(secret_hex, sizeof secret_hex);
    json_decref(d);
    json_decref(sizes);
    json_decref(shas);
    if (!ok) { json_decref(strata_out); out_rc = spot_fail_db(e, "tasks", err); err = NULL; goto done; }
    double t2 = now_s();
    fprintf(stderr, "spotcheck: task %lld frozen: %lld units, %zu excluded, rules %.3f s (%d part%s), store %.3f s\n",
            id, scanned, nex, t1 - t0, nparts, nparts > 1 ? "s" : "", t2 - t1);
    json_t *excluded_by = json_array();
    {
        long long *cnt = calloc(json_array_size(reasons) + 1, sizeof *cnt);
        for (size_t i = 0; cnt && i < nex; i++) cnt[ex[i].reason]++;
        size_t i;
        json_t *rs;
        json_array_foreach(reasons, i, rs)
            json_array_append_new(excluded_by, json_pack("{sO sO sI}", "reason", json_object_get(rs, "reason"),
                                                         "clause", json_object_get(rs, "clause"),
                                                         "count", (json_int_t)(cnt ? cnt[i] : 0)));
        free(cnt);
    }
    *out = (json_pack("{so so sI so ss ss so sI sI sI}", "strata", strata_out, "excluded", ex_named,
        "excluded_total", (json_int_t)nex, "excluded_by_reason", excluded_by, "candidates_hash", hc_hex,
        "commitment", com_hex, "rule_shas", json_pack("{ss ss}", "eligibility", esha, "sampling", ssha),
        "units_checked", (json_int_t)scanned, "excluded_page_size", (json_int_t)EXCLUDED_PAGE,
        "freeze_attempt", (json_int_t)fattempt));
    json_object_set_new(*out, "algorithm", json_string(algorithm));
    if (beacon_source)
        json_object_update_missing_new(*out, json_pack("{ss ss}", "witness_commitment", wc_hex, "beacon_source",
                                                       beacon_source));
    ex_named = NULL;
done:
    for (int s = 0; s < MAX_STRATA; s++) {
        free(acc[s].buf);
        for (int k = 0; k < acc[s].npieces; k++) free(acc[s].piece[k]);
        json_decref(acc[s].count_ret);
    }
    for (int k = 0; k < FREEZE_PARTS; k++) part_free(&part[k]);
    for (int i = 0; i < 7; i++) free(fj[i]);
    free(split);
    hist_free(&history);
    lh_free(hlua);
    if (hdb) sqlite3_close(hdb);
    free(ex);
    json_decref(reasons);
    json_decref(ex_named);
    json_decref(rtask);
    json_decref(t);
    free(err);
    return out_rc;
}

/* ---- draw ---- */

/* Runs the selection of every stratum of task id with seed and H_c. Returns a new array
 * [{"name","selected":[uscc…]}], or NULL with *err. */
static json_t *select_all(sqlite3 *db, long long id, const unsigned char seed[DRAW_HASH_LEN],
                          const unsigned char hc[DRAW_HASH_LEN], char **err)
{
    sqlite3_stmt *q = db_prepare(db, err, "SELECT pos, name, size, draw, candidates FROM task_strata WHERE task_id = ? "
                                          "ORDER BY pos", "i", id);
    if (!q) return NULL;
    json_t *out = json_array();
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t s = (uint32_t)sqlite3_column_int64(q, 0);
        size_t N = (size_t)sqlite3_column_int64(q, 2), n = (size_t)sqlite3_column_int64(q, 3);
        const char *blob = sqlite3_column_blob(q, 4);
        size_t len = (size_t)sqlite3_column_bytes(q, 4);
        json_t *sel = json_array();
        json_array_append_new(out, json_pack("{ss so}", "name", (const char *)sqlite3_column_text(q, 1), "selected",
                                             sel));
        if (n == 0) continue;
        size_t *perm = malloc(n * sizeof *perm), *off = malloc((N + 1) * sizeof *off);
        size_t k = 0;
        for (size_t p = 0; off && k < N && p < len;) {
            off[k++] = p;
            const char *nl = memchr(blob + p, '\n', len - p);
            if (!nl) break;
            p = (size_t)(nl - blob) + 1;
        }
        if (!perm || !off || k != N || draw_select(seed, hc, s, N, n, perm, NULL) != 0) {
            free(perm);
            free(off);
            *err = xprintf("stratum %u: cannot select %zu of %zu", s, n, N);
            sqlite3_finalize(q);
            json_decref(out);
            return NULL;
        }
        for (size_t j = 0; j < n; j++) {
            size_t a = off[perm[j]];
            const char *nl = memchr(blob + a, '\n', len - a);
            json_array_append_new(sel, json_stringn(blob + a, (size_t)(nl - (blob + a))));
        }
        free(perm);
        free(off);
    }
    if (step != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        json_decref(out);
        out = NULL;
    }
    sqlite3_finalize(q);
    return out;
}

int tasks_draw(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return -1;
    if (!taskorgs_may_lead(c, t, 0, e)) { json_decref(t); return -1; }
    static const char *const fields[] = {"witness", "reason", "beacon", NULL};
    if (in && !json_is_object(in)) { json_decref(t); return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体须为 JSON 对象"); }
    if (in && spot_check_fields(in, fields, e) != 0) { json_decref(t); return -1; }
    json_t *jw = in ? json_object_get(in, "witness") : NULL, *jr = in ? json_object_get(in, "reason") : NULL;
    if ((jw && !json_is_string(jw)) || (jw && json_string_length(jw) > WITNESS_MAX)) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "witness 须为文本（最多 %d 字节）", WITNESS_MAX);
    }
    if (jr && (!json_is_string(jr) || json_string_length(jr) > WITNESS_MAX)) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "reason 须为文本");
    }
    const char *st = status_of(t);
    if (!strcmp(st, "dispatched")) { json_decref(t); return spot_fail(e, SPOT_E_CONFLICT, "locked", "任务已锁定并派发，不能重新抽取"); }
    if (!strcmp(st, "draft")) { json_decref(t); return spot_fail(e, SPOT_E_CONFLICT, "not_frozen", "请先冻结候选名单"); }
    int redraw = !strcmp(st, "drawn");
    if (redraw && (!jr || json_string_length(jr) == 0)) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INPUT, "reason_required", "重新抽取须说明理由（reason），理由将在公告中公开");
    }
    const char *witness = jw ? json_string_value(jw) : "";
    size_t wlen = jw ? json_string_length(jw) : 0;
    /* Draw algorithm v2 (issue 16): the revealed witness must match its commitment; the beacon counts. */
    const char *alg = json_string_value(json_object_get(t, "draw_algorithm"));
    int v2 = alg && !strcmp(alg, DRAW_ALGORITHM_V2);
    size_t blen = 0;
    const char *beacon = v2_text(in, "beacon", WITNESS_MAX, &blen);
    if (!v2 && in && json_object_get(in, "beacon")) {
        json_decref(t);
        return spot_fail(e, SPOT_E_INVALID, "v1_task", "本任务冻结时未指定公开随机数来源（抽取算法 v1），不能输入 beacon");
    }
    if (v2 && draw_v2_check(t, witness, wlen, beacon, e) != 0) { json_decref(t); return -1; }
    long long attempt = json_integer_value(json_object_get(t, "attempts")) + 1;
    unsigned char secret[32], seed[DRAW_HASH_LEN], hc[DRAW_HASH_LEN], next[32], ncom[DRAW_HASH_LEN];
    const char *sh = json_string_value(json_object_get(t, "secret"));
    const char *hch = json_string_value(json_object_get(t, "candidates_hash"));
    if (!sh || !hch || hex_decode(secret, 32, sh) != 0 || hex_decode(hc, DRAW_HASH_LEN, hch) != 0) {
        json_decref(t);
        return spot_fail_db(e, "tasks", strdup("task secret or candidates hash missing"));
    }
    if (v2) draw_seed_v2(secret, witness, wlen, beacon, blen, seed);
    else draw_seed(secret, witness, wlen, seed);
    sodium_memzero(secret, sizeof secret);
    char *err = NULL;
    json_t *selection = select_all(c->db, id, seed, hc, &err);
    if (!selection) { json_decref(t); return spot_fail_db(e, "tasks", err); }
    draw_new_secret(next);
    draw_commitment(next, ncom);
    char seed_hex[65], next_hex[65], ncom_hex[65], at[32], obj[32];
    hex_encode(seed_hex, seed, DRAW_HASH_LEN);
    hex_encode(next_hex, next, 32);
    hex_encode(ncom_hex, ncom, DRAW_HASH_LEN);
    sodium_memzero(next, sizeof next);
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    json_t *d = json_pack("{sI ss ss% ss sO? ss}", "attempt", (json_int_t)attempt, "commitment",
                          json_string_value(json_object_get(t, "commitment")), "witness", witness, wlen, "seed", seed_hex,
                          "reason", jr, "next_commitment", ncom_hex);
    /* the selection (every drawn unit) is dumped once, for task_draws and the audit record */
    json_object_set_new(d, "selection", json_null());
    if (v2) json_object_set_new(d, "beacon", json_stringn(beacon, blen));
    char *sel_text = json_dumps(selection, JSON_COMPACT | JSON_SORT_KEYS);
    int ok = sel_text && db_begin(c->db, &err) == 0;
    if (!sel_text) err = strdup("out of memory");
    long long cur = ok ? db_int(c->db, &err, -1, "SELECT attempts FROM tasks WHERE id = ? AND status IN ('frozen','drawn')",
                                "i", id) : -1;
    if (ok && cur != attempt - 1) {
        db_rollback(c->db);
        free(sel_text);
        json_decref(d); json_decref(selection); json_decref(t);
        if (err) return spot_fail_db(e, "tasks", err);
        return spot_fail(e, SPOT_E_CONFLICT, "conflict", "任务状态已改变，请刷新后重试");
    }
    ok = ok &&
        db_run(c->db, &err, "INSERT INTO task_draws(task_id, attempt, secret, commitment, witness, seed, reason, "
                            "selection, actor, at, beacon) VALUES (?,?,?,?,?,?,?,?,?,?,?)", "iisstssssss", id, attempt,
               sh, json_string_value(json_object_get(t, "commitment")), witness, (int)wlen, seed_hex,
               redraw ? json_string_value(jr) : NULL, sel_text, ctx_actor(c), at, v2 ? beacon : NULL) >= 0 &&
        db_run(c->db, &err, "UPDATE tasks SET status = 'drawn', attempts = ?, secret = ?, commitment = ?, drawn_at = ?, "
                            "updated_at = ? WHERE id = ?", "issssi", attempt, next_hex, ncom_hex, at, at, id) == 1 &&
        audit_log_with(c->db, ctx_actor(c), redraw ? "task.redraw" : "task.draw", obj, d, "selection", sel_text, &err) == 0 &&
        db_commit(c->db, &err) == 0;
    if (!ok) db_rollback(c->db);
    free(sel_text);
    sodium_memzero(next_hex, sizeof next_hex);
    json_decref(d);
    json_decref(t);
    if (!ok) { json_decref(selection); return spot_fail_db(e, "tasks", err); }
    *out = (json_pack("{so sI ss ss% ss}", "strata", selection, "attempt", (json_int_t)attempt,
                                        "seed", seed_hex, "witness", witness, wlen, "next_commitment", ncom_hex));
    json_object_set_new(*out, "algorithm", json_string(v2 ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM));
    if (v2) json_object_set_new(*out, "beacon", json_stringn(beacon, blen));
    return 0;
}

/* ---- lock ---- */

int tasks_lock(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    json_t *t = task_or_404(c, id, e);
    if (!t) return -1;
    if (!taskorgs_may_lead(c, t, 1, e)) { json_decref(t); return -1; }
    if (in) {
        static const char *const team_v2[] = {"witness", "beacon_source", NULL};
        if (!json_is_object(in)) { json_decref(t); return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体须为 JSON 对象"); }
        if (spot_check_fields(in, team_v2, e) != 0) { json_decref(t); return -1; }
    }
    const char *st = status_of(t);
    if (!strcmp(st, "dispatched")) { json_decref(t); return spot_fail(e, SPOT_E_CONFLICT, "locked", "任务已锁定并派发"); }
    if (strcmp(st, "drawn")) { json_decref(t); return spot_fail(e, SPOT_E_CONFLICT, "not_drawn", "任务尚未抽取，不能锁定"); }
    /* Draw algorithm v2 for the team draw (issue 16): the team witness commits now, with the beacon. */
    char twc_hex[65];
    const char *team_source = NULL;
    if (freeze_v2_params(c, in, "锁定（为检查组抽取）", twc_hex, &team_source, e) != 0) { json_decref(t); return -1; }
    const char *team_alg = team_source ? DRAW_ALGORITHM_V2 : DRAW_ALGORITHM;
    char *err = NULL, at[32], obj[32], ts_hex[65], tc_hex[65], pool_hex[65];
    /* The inspector pool of the team draw is fixed now and its hash published with the lock. */
    json_t *pool = NULL, *rtask = tasks_rule_task(c->db, t, &err);
    int is_rule = 0;
    json_decref(t);
    if (!rtask) return spot_fail_db(e, "tasks", err);
    int prc = teampool_commit(c->db, c->w->lua, rtask, &pool, pool_hex, &err, &is_rule);
    json_decref(rtask);
    if (prc != 0) return is_rule ? spot_fail_rule(e, err) : spot_fail_db(e, "tasks", err);
    unsigned char ts[32], tc[DRAW_HASH_LEN];
    draw_new_secret(ts);
    draw_commitment(ts, tc);
    hex_encode(ts_hex, ts, 32);
    hex_encode(tc_hex, tc, DRAW_HASH_LEN);
    sodium_memzero(ts, sizeof ts);
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    if (db_begin(c->db, &err) != 0) { json_decref(pool); return spot_fail_db(e, "tasks", err); }
    json_t *last = db_row(c->db, &err, "SELECT attempt, selection FROM task_draws WHERE task_id = ? ORDER BY attempt DESC "
                                       "LIMIT 1", "i", id);
    long long still = err ? 0 : db_int(c->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ? AND status = 'drawn'",
                                       "i", id);
    if (!last || !still) {
        json_decref(last);
        json_decref(pool);
        if (err) return spot_fail_db(e, "tasks", err);
        db_rollback(c->db);
        return spot_fail(e, SPOT_E_CONFLICT, "conflict", "任务状态已改变，请刷新后重试");
    }
    static const char *const sel[] = {"selection", NULL};
    spot_decode_json(last, sel);
    json_t *strata = json_object_get(last, "selection");
    size_t i, j;
    json_t *s, *u;
    long long pos = 0;
    int ok = 1;
    json_array_foreach(strata, i, s) {
        const char *sname = json_string_value(json_object_get(s, "name"));
        json_array_foreach(json_object_get(s, "selected"), j, u) {
            if (!ok) break;
            ok = db_run(c->db, &err, "INSERT INTO task_units(task_id, pos, enterprise_id, uscc, stratum) "
                                     "SELECT ?, ?, id, uscc, ? FROM enterprises WHERE uscc = ?", "iisj", id, pos++,
                        sname, u) == 1;
            if (ok == 0 && !err) err = xprintf("selected unit %s no longer in the directory", json_string_value(u));
        }
    }
    /* 7.2: each unit to its executing org (SPEC §10), in the same transaction */
    long long dispatched = 0;
    if (ok) {
        json_t *tl = tasks_load(c->db, id, &err);
        dispatched = tl ? taskorgs_dispatch(c, tl, e) : -1;
        json_decref(tl);
        if (dispatched < 0) {
            json_decref(last);
            json_decref(pool);
            sodium_memzero(ts_hex, sizeof ts_hex);
            db_rollback(c->db);
            return err ? spot_fail_db(e, "tasks", err) : -1;
        }
    }
    json_t *d = json_pack("{sO sI ss ss sI ss sI}", "attempt", json_object_get(last, "attempt"), "units", (json_int_t)pos,
                          "team_commitment", tc_hex, "team_pool_hash", pool_hex,
                          "team_pool_size", (json_int_t)json_array_size(pool), "team_algorithm", team_alg,
                          "dispatched", (json_int_t)dispatched);
    if (team_source)
        json_object_update_missing_new(d, json_pack("{ss ss}", "team_witness_commitment", twc_hex, "team_beacon_source",
                                                    team_source));
    ok = ok && db_run(c->db, &err, "UPDATE tasks SET status = 'dispatched', locked_at = ?, team_secret = ?, "
                                   "team_commitment = ?, team_pool = ?, team_pool_hash = ?, secret = NULL, updated_at = ?, "
                                   "team_draw_algorithm = ?, team_witness_commitment = ?, team_beacon_source = ? "
                                   "WHERE id = ?", "sssjsssssi", at, ts_hex, tc_hex, pool, pool_hex, at, team_alg,
                      team_source ? twc_hex : NULL, team_source, id) == 1 &&
         audit_log(c->db, ctx_actor(c), "task.lock", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    sodium_memzero(ts_hex, sizeof ts_hex);
    json_decref(d);
    json_decref(last);
    json_decref(pool);
    if (!ok) return spot_fail_db(e, "tasks", err);
    int found = 0;
    json_t *ann = announce_build(c->db, id, &found, &err);
    if (!ann) return spot_fail_db(e, "tasks", err);
    *out = (ann);
    return 0;
}
