/* taskorgs.c: the orgs of a task (see taskorgs.h). */
#include "taskorgs.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "jsonutil.h"
#include "luahost.h"
#include "taskdata.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#define INBOX_PAGE 50

/* The condition of TASKORGS_VISIBLE_SQL with its org parameter ?O and 执法证号 parameter ?C. */
#define VISIBLE(O, C)                                                                                            \
    "(t.lead_org_id = ?" #O " OR EXISTS (SELECT 1 FROM json_each(t.joint_org_ids) WHERE value = ?" #O ")"        \
    " OR EXISTS (SELECT 1 FROM task_dispatch d WHERE d.task_id = t.id AND d.org_id = ?" #O ")"                    \
    " OR (?" #C " <> '' AND EXISTS (SELECT 1 FROM task_teams tt, json_each(tt.inspectors) m"                      \
    " WHERE tt.task_id = t.id AND m.value = ?" #C ")))"

const char TASKORGS_VISIBLE_SQL[] = VISIBLE(9, 10);

int taskorgs_sees_all(const spot_ctx *c)
{
    return c->user && ctx_has_role(c, ROLE_ADMIN | ROLE_AUDITOR);
}

/* The id of the active org with this id, or 0 (none), or -1 with *e. */
static long long active_org(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    long long n = db_int(c->db, &err, 0, "SELECT id FROM orgs WHERE id = ? AND active = 1", "i", id);
    if (err) return spot_fail_db(e, "orgs", err), -1;
    return n;
}

/* The id of the active org called name, or 0, or -1 with *e. */
static long long org_by_name(spot_ctx *c, const char *name, spot_err *e)
{
    char *err = NULL;
    long long n = db_int(c->db, &err, 0, "SELECT id FROM orgs WHERE name = trim(?) AND active = 1", "s", name);
    if (err) return spot_fail_db(e, "orgs", err), -1;
    return n;
}

/* One org given as an id (integer) or a name (string, legacy lead_unit / joint_units). Returns its
 * id, or -1 with *e (what: 牵头单位 / 联合单位). */
static long long org_of(spot_ctx *c, json_t *v, const char *what, spot_err *e)
{
    long long id;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        id = active_org(c, json_integer_value(v), e);
        if (id == 0) spot_fail(e, SPOT_E_INVALID, "unknown_org", "%s：没有编号为 %lld 的机构（或已停用）", what,
                               (long long)json_integer_value(v));
    } else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 400) {
        id = org_by_name(c, json_string_value(v), e);
        if (id == 0) spot_fail(e, SPOT_E_INVALID, "unknown_org", "%s：“%s”不是已登记的机构（请先在机构管理中添加）", what,
                               json_string_value(v));
    } else {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "%s须为机构编号（正整数）", what);
        return -1;
    }
    return id > 0 ? id : -1;
}

/* The name of org id (new string), or NULL with *e. */
static char *org_name(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    char *n = db_text(c->db, &err, "SELECT name FROM orgs WHERE id = ?", "i", id);
    if (!n) spot_fail_db(e, "orgs", err ? err : xprintf("org %lld vanished", id));
    return n;
}

int taskorgs_resolve(spot_ctx *c, json_t *in, long long *lead, char **lead_name, json_t **joint_ids,
                     json_t **joint_names, spot_err *e)
{
    json_t *lv = json_object_get(in, "lead_org_id");
    if (!lv || json_is_null(lv)) lv = json_object_get(in, "lead_unit");
    if (json_is_string(lv) && json_string_length(lv) == 0) lv = NULL;
    long long l;
    if (lv && !json_is_null(lv)) l = org_of(c, lv, "牵头单位", e);
    else if (c->user && c->user->org_id > 0 && !ctx_has_role(c, ROLE_ADMIN)) l = c->user->org_id;
    else {
        char *err = NULL;
        l = db_int(c->db, &err, -1, "SELECT id FROM orgs WHERE kind = 'bureau'", "");
        if (err) return spot_fail_db(e, "orgs", err);
        if (l < 0) return spot_fail(e, SPOT_E_INVALID, "unknown_org", "尚未登记本局（机构管理）"), -1;
    }
    if (l < 0) return -1;
    if (!ctx_has_role(c, ROLE_ADMIN) && (!c->user || c->user->org_id != l))
        return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只能创建本机构牵头的任务；其他部门的任务可申请加入"), -1;
    json_t *jv = json_object_get(in, "joint_org_ids");
    if (!jv || json_is_null(jv)) jv = json_object_get(in, "joint_units");
    if (jv && !json_is_null(jv) && (!json_is_array(jv) || json_array_size(jv) > 50))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "joint_org_ids 须为机构编号数组（至多 50 个）"), -1;
    json_t *ids = json_array(), *names = json_array();
    char *ln = NULL;
    size_t i;
    json_t *x;
    if (jv) json_array_foreach(jv, i, x) {
        if (json_is_string(x) && json_string_length(x) == 0) continue;
        long long j = org_of(c, x, "联合单位", e);
        if (j < 0) goto fail;
        if (j == l) {
            spot_fail(e, SPOT_E_INVALID, "duplicate_org", "牵头单位不能同时作为联合单位");
            goto fail;
        }
        size_t k;
        json_t *y;
        json_array_foreach(ids, k, y) if (json_integer_value(y) == j) {
            spot_fail(e, SPOT_E_INVALID, "duplicate_org", "联合单位重复：机构编号 %lld", j);
            goto fail;
        }
        char *n = org_name(c, j, e);
        if (!n) goto fail;
        json_array_append_new(ids, json_integer(j));
        json_array_append_new(names, json_string(n));
        free(n);
    }
    if (!(ln = org_name(c, l, e))) goto fail;
    *lead = l;
    *lead_name = ln;
    *joint_ids = ids;
    *joint_names = names;
    return 0;
fail:
    json_decref(ids);
    json_decref(names);
    return -1;
}

int taskorgs_may_lead(const spot_ctx *c, json_t *task, int heads_too, spot_err *e)
{
    if (c->user && ctx_has_role(c, ROLE_ADMIN)) return 1;
    long long lead = json_integer_value(json_object_get(task, "lead_org_id"));
    int roles = ROLE_PLANNER | (heads_too ? ROLE_HEAD : 0);
    if (c->user && ctx_has_role(c, roles) && lead > 0 && c->user->org_id == lead) return 1;
    spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有牵头单位的%s可以办理此任务",
              heads_too ? "计划编制人员或负责人" : "计划编制人员");
    return 0;
}

int taskorgs_may_see(spot_ctx *c, long long id, spot_err *e)
{
    if (taskorgs_sees_all(c)) return 1;
    if (!c->user) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务"), 0;
    char *err = NULL;
    /* a task that does not exist is the caller's own 404 to report */
    long long n = db_int(c->db, &err, 1, "SELECT count(*) FROM tasks t WHERE t.id = ?1 AND " VISIBLE(2, 3), "iis", id,
                         c->user->org_id, c->user->cert_no);
    if (!err && n == 0) n = !db_int(c->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ?", "i", id);
    if (err) return spot_fail_db(e, "tasks", err);
    if (!n) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务"), 0;
    return 1;
}

int taskorgs_join(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e)
{
    static const char *const fields[] = {"item_ids", "org_id", NULL};
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), -1;
    if (spot_check_fields(in, fields, e) != 0) return -1;
    long long org = c->user ? c->user->org_id : 0;
    json_t *ov = json_object_get(in, "org_id");
    if (ov && !json_is_null(ov)) {
        if (!ctx_has_role(c, ROLE_ADMIN) && !(json_is_integer(ov) && json_integer_value(ov) == org))
            return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只能以本机构的名义加入任务"), -1;
        if ((org = org_of(c, ov, "加入单位", e)) < 0) return -1;
    }
    if (org <= 0) return spot_fail(e, SPOT_E_INVALID, "unknown_org", "账户未归属任何机构，不能加入任务"), -1;
    json_t *items = json_object_get(in, "item_ids");
    if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 200)
        return spot_fail(e, SPOT_E_INVALID, "no_items", "加入任务须选择本机构的抽查事项 item_ids"), -1;
    char *err = NULL, at[32], obj[32];
    json_t *t = NULL, *joint = NULL, *names = NULL, *all = NULL;
    char *name = NULL;
    int rc = -1;
    if (db_begin(c->db, &err) != 0) { spot_fail_db(e, "tasks", err); return -1; }
    t = tasks_load(c->db, id, &err);
    /* any org may join: the task it would overlap is named in its 8.2 exclusions */
    if (!t) {
        err ? spot_fail_db(e, "tasks", err) : spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务");
        goto done;
    }
    if (json_is_string(json_object_get(t, "cancelled_at"))) {
        spot_fail(e, SPOT_E_CONFLICT, "cancelled", "任务已取消，不能加入");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(t, "status")), "draft")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_draft", "任务已冻结名单，不能再加入；请另建任务或联系牵头单位");
        goto done;
    }
    if (json_integer_value(json_object_get(t, "lead_org_id")) == org) {
        spot_fail(e, SPOT_E_INVALID, "own_task", "本机构是该任务的牵头单位，无需加入");
        goto done;
    }
    joint = json_deep_copy(json_object_get(t, "joint_org_ids"));
    if (!json_is_array(joint)) { json_decref(joint); joint = json_array(); }
    size_t i;
    json_t *x;
    json_array_foreach(joint, i, x) if (json_integer_value(x) == org) {
        spot_fail(e, SPOT_E_INVALID, "already_joined", "本机构已是该任务的联合单位");
        goto done;
    }
    all = json_deep_copy(json_object_get(t, "item_ids"));
    if (!json_is_array(all)) { json_decref(all); all = json_array(); }
    json_array_foreach(items, i, x) {
        if (!json_is_integer(x) || json_integer_value(x) <= 0) {
            spot_fail(e, SPOT_E_INPUT, "bad_request", "item_ids 须为整数数组");
            goto done;
        }
        long long owner = db_int(c->db, &err, -1, "SELECT coalesce(org_id, 0) FROM items WHERE id = ? AND active = 1", "i",
                                 (long long)json_integer_value(x));
        if (err) { spot_fail_db(e, "tasks", err); goto done; }
        if (owner < 0) {
            spot_fail(e, SPOT_E_INVALID, "unknown_item", "抽查事项不存在或已停用：%lld", (long long)json_integer_value(x));
            goto done;
        }
        if (owner != org) {
            spot_fail(e, SPOT_E_INVALID, "foreign_item", "抽查事项 %lld 不属于加入的机构", (long long)json_integer_value(x));
            goto done;
        }
        size_t k;
        json_t *y;
        int dup = 0;
        json_array_foreach(all, k, y) dup |= json_integer_value(y) == json_integer_value(x);
        if (!dup) json_array_append(all, x);
    }
    if (!(name = org_name(c, org, e))) goto done;
    json_array_append_new(joint, json_integer(org));
    names = json_deep_copy(json_object_get(t, "joint_units"));
    if (!json_is_array(names)) { json_decref(names); names = json_array(); }
    json_array_append_new(names, json_string(name));
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "task:%lld", id);
    json_t *d = json_pack("{sI ss sO}", "org_id", (json_int_t)org, "org_name", name, "item_ids", items);
    int ok = db_run(c->db, &err, "UPDATE tasks SET joint_org_ids = ?, joint_units = ?, item_ids = ?, updated_at = ? "
                                 "WHERE id = ? AND status = 'draft'", "jjjsi", joint, names, all, at, id) == 1 &&
             audit_log(c->db, ctx_actor(c), "task.join", obj, d, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(d);
    if (!ok) { spot_fail_db(e, "tasks", err); goto done; }
    *out = json_pack("{sI sO sO sO sO}", "id", (json_int_t)id, "lead_org_id", json_object_get(t, "lead_org_id"),
                     "joint_org_ids", joint, "joint_units", names, "item_ids", all);
    rc = 0;
done:
    if (rc != 0 && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(t);
    json_decref(joint);
    json_decref(names);
    json_decref(all);
    free(name);
    return rc;
}

long long taskorgs_dispatch(spot_ctx *c, json_t *task, spot_err *e)
{
    char *err = NULL, at[32];
    long long id = json_integer_value(json_object_get(task, "id")), n = 0;
    json_t *orgs = db_rows(c->db, &err, "SELECT id, name, kind, level FROM orgs WHERE active = 1 ORDER BY id", "");
    json_t *rt = orgs ? tasks_rule_task(c->db, task, &err) : NULL;
    /* the units one row at a time (a task may dispatch 100,000 units: no list of them is held) */
    sqlite3_stmt *q = rt ? db_prepare(c->db, &err, "SELECT u.uscc, u.enterprise_id, e.name, e.region, e.industry "
                                                   "FROM task_units u JOIN enterprises e ON e.id = u.enterprise_id "
                                                   "WHERE u.task_id = ? ORDER BY u.pos", "i", id) : NULL;
    if (!q) {
        json_decref(orgs);
        json_decref(rt);
        return spot_fail_db(e, "tasks", err);
    }
    json_object_set(rt, "lead_org_id", json_object_get(task, "lead_org_id"));
    const char *sha = worker_rule_sha(c->w, "inspectors");
    clock_now_rfc3339(at);
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *col[5];
        for (int k = 0; k < 5; k++) col[k] = (const char *)sqlite3_column_text(q, k);
        json_t *u = json_pack("{ss sI ss? ss? ss?}", "uscc", col[0] ? col[0] : "", "enterprise_id",
                              (json_int_t)sqlite3_column_int64(q, 1), "name", col[2], "region", col[3], "industry", col[4]);
        if (!u) { n = -1; spot_fail_db(e, "tasks", xprintf("out of memory")); break; }
        json_t *args = json_pack("[oOO]", u, rt, orgs), *ret = NULL;
        int rc = lh_call(c->w->lua, "inspectors", "executing_org", args, &ret, &err);
        if (rc != 0) { json_decref(args); n = -1; spot_fail_rule(e, err); err = NULL; break; }
        json_t *d = json_array_get(ret, 0);
        json_t *oid = json_array_get(d, 0);
        const char *reason = json_string_value(json_array_get(d, 1)), *clause = json_string_value(json_array_get(d, 2));
        long long org = json_is_integer(oid) ? json_integer_value(oid) : 0;
        int known = 0;
        size_t k;
        json_t *o;
        json_array_foreach(orgs, k, o) known |= json_integer_value(json_object_get(o, "id")) == org;
        if (!known || !reason || !clause) {
            json_decref(ret);
            json_decref(args);
            spot_fail(e, SPOT_E_RULE, "rule_error", "规则 inspectors.executing_org 应返回 {机构编号, 理由, 条款}（单位 %s）",
                      col[0] ? col[0] : "");
            n = -1;
            break;
        }
        int ok = db_run(c->db, &err, "INSERT INTO task_dispatch(task_id, uscc, enterprise_id, org_id, reason, clause, rule_sha, at) "
                                     "VALUES (?,?,?,?,?,?,?,?)", "isiissss", id, json_string_value(json_object_get(u, "uscc")),
                        (long long)json_integer_value(json_object_get(u, "enterprise_id")), org, reason, clause,
                        sha ? sha : "", at) == 1;
        json_decref(ret);
        json_decref(args);
        if (!ok) { n = -1; spot_fail_db(e, "tasks", err); err = NULL; break; }
        n++;
    }
    if (n >= 0 && step != SQLITE_DONE) { n = -1; spot_fail_db(e, "tasks", xprintf("%s", sqlite3_errmsg(c->db))); }
    sqlite3_finalize(q);
    free(err);
    json_decref(orgs);
    json_decref(rt);
    return n;
}

long long taskorgs_executing_org(spot_ctx *c, long long task_id, const char *uscc, spot_err *e)
{
    char *err = NULL;
    long long org = db_int(c->db, &err, 0, "SELECT coalesce((SELECT org_id FROM task_dispatch WHERE task_id = ?1 AND uscc = ?2), "
                                           "(SELECT lead_org_id FROM tasks WHERE id = ?1), 0)", "is", task_id, uscc);
    if (err) return spot_fail_db(e, "tasks", err), -1;
    return org;
}

int taskorgs_may_decide(spot_ctx *c, long long task_id, const char *uscc, spot_err *e)
{
    if (c->user && ctx_has_role(c, ROLE_ADMIN)) return 1;
    long long org = taskorgs_executing_org(c, task_id, uscc, e);
    if (org < 0) return -1;
    if (c->user && ctx_has_role(c, ROLE_HEAD) && org > 0 && c->user->org_id == org) return 1;
    spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有该单位的执行机构负责人可以审批");
    return 0;
}

int taskorgs_inbox(spot_ctx *c, long long org_id, int mine, long long page, json_t **out, spot_err *e)
{
    if (!taskorgs_sees_all(c)) {
        org_id = c->user ? c->user->org_id : 0;
        if (org_id <= 0) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "账户未归属任何机构"), -1;
    }
    if (page < 1 || page > 1000000) return spot_fail(e, SPOT_E_INPUT, "bad_parameter", "page 须为 1 至 1000000 的整数"), -1;
    char *err = NULL;
    /* the org executes the unit, or joins its (joint) task; mine: the caller is on the unit's team */
    static const char FROM[] =
        " FROM task_dispatch d JOIN tasks t ON t.id = d.task_id JOIN enterprises e ON e.id = d.enterprise_id"
        " JOIN orgs o ON o.id = d.org_id WHERE (?1 = 0 OR d.org_id = ?1 OR EXISTS (SELECT 1 FROM json_each(t.joint_org_ids) j"
        " WHERE j.value = ?1)) AND (?4 = '' OR EXISTS (SELECT 1 FROM task_teams tt, json_each(tt.inspectors) m"
        " WHERE tt.task_id = d.task_id AND tt.uscc = d.uscc AND m.value = ?4))";
    char sql_count[512], sql_rows[1024];
    snprintf(sql_count, sizeof sql_count, "SELECT count(*)%s", FROM);
    snprintf(sql_rows, sizeof sql_rows,
             "SELECT d.task_id, t.name AS task_name, t.start_date, t.end_date, d.uscc, e.name, e.region, e.address, d.org_id,"
             " o.name AS org_name, d.reason, d.org_id = ?1 AS executing,"
             " (SELECT r.status FROM results r WHERE r.task_id = d.task_id AND r.uscc = d.uscc) AS result_status"
             "%s ORDER BY d.task_id DESC, d.uscc LIMIT ?2 OFFSET ?3", FROM);
    const char *cert = mine && c->user ? c->user->cert_no : "";
    if (mine && !*cert) cert = "-";   /* no linked inspector: nothing is "mine" */
    long long total = db_int(c->db, &err, 0, sql_count, "iiis", org_id, 0LL, 0LL, cert);
    json_t *rows = err ? NULL : db_rows(c->db, &err, sql_rows, "iiis", org_id, (long long)INBOX_PAGE,
                                        (page - 1) * INBOX_PAGE, cert);
    if (!rows) return spot_fail_db(e, "tasks", err);
    *out = json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page, "page_size",
                     (json_int_t)INBOX_PAGE, "units", rows);
    return 0;
}
