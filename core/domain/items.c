/* items.c: the item list (抽查事项清单) with checkpoints and published adjustments. */
#include "items.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "luahost.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *label;
    int required, maxlen;
} ITEM_FIELDS[] = {
    {"name", "抽查事项", 1, 300},
    {"target", "检查对象", 0, 300},
    {"category", "事项类别", 0, 100},
    {"method", "检查方式", 0, 200},
    {"department", "检查部门", 0, 200},
    {"level", "实施层级", 0, 100},
    {"basis", "检查依据", 0, 4000},
};
#define N_ITEM_FIELDS ((int)(sizeof ITEM_FIELDS / sizeof ITEM_FIELDS[0]))

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\r' && *s != '\t') return 1;
    return 0;
}

static long long item_insert(sqlite3 *db, const char *actor, json_t *obj, spot_err *e);

/* SPEC §10: the 检查部门 of an item is an org. A copy of the body (new reference) where "org_id" (an
 * org's id) is replaced by that org's name as "department"; a department given must name an org.
 * NULL with *e (400 bad_request, 422 unknown_org / invalid). */
static json_t *with_org(sqlite3 *db, json_t *obj, spot_err *e)
{
    if (!json_is_object(obj)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    json_t *b = json_copy(obj), *v = json_object_get(obj, "org_id"), *dep = json_object_get(obj, "department");
    char *err = NULL;
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            spot_fail(e, SPOT_E_INPUT, "bad_request", "org_id 须为机构编号（正整数）");
            goto fail;
        }
        char *name = db_text(db, &err, "SELECT name FROM orgs WHERE id = ?", "i", (long long)json_integer_value(v));
        if (!name) {
            if (err) spot_fail_db(e, "items", err);
            else spot_fail(e, SPOT_E_INVALID, "unknown_org", "没有编号为 %lld 的机构", (long long)json_integer_value(v));
            goto fail;
        }
        int differs = json_is_string(dep) && json_string_length(dep) && strcmp(json_string_value(dep), name);
        if (differs) spot_fail(e, SPOT_E_INVALID, "invalid", "检查部门“%.100s”与 org_id 所指机构“%s”不一致",
                               json_string_value(dep), name);
        else json_object_set_new(b, "department", json_string(name));
        free(name);
        if (differs) goto fail;
        json_object_del(b, "org_id");
    } else if (json_is_string(dep) && json_string_length(dep)) {
        long long id = db_int(db, &err, -1, "SELECT id FROM orgs WHERE name = ?", "s", json_string_value(dep));
        if (err) {
            spot_fail_db(e, "items", err);
            goto fail;
        }
        if (id < 0) {
            spot_fail(e, SPOT_E_INVALID, "unknown_org", "检查部门：“%.100s”不是已登记的机构（请先在机构管理中添加）",
                      json_string_value(dep));
            goto fail;
        }
    }
    return b;
fail:
    json_decref(b);
    return NULL;
}

/* Checks the body's keys and field values. Returns 0 or -1 with *e (400 unknown_field, 422 invalid). */
static int check_body(json_t *obj, int update, spot_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int known = !strcmp(key, "checkpoints") || !strcmp(key, "reason") || !strcmp(key, "active") ||
                    !strcmp(key, "id") || !strcmp(key, "version") || !strcmp(key, "industries");
        for (int i = 0; i < N_ITEM_FIELDS && !known; i++) known = !strcmp(key, ITEM_FIELDS[i].name);
        if (!known) return spot_fail(e, SPOT_E_INPUT, "unknown_field", "未知字段：%.60s", key);
    }
    for (int i = 0; i < N_ITEM_FIELDS; i++) {
        v = json_object_get(obj, ITEM_FIELDS[i].name);
        if (!v) {
            if (!update && ITEM_FIELDS[i].required)
                return spot_fail(e, SPOT_E_INVALID, "invalid", "%s（%s）：不能为空", ITEM_FIELDS[i].label, ITEM_FIELDS[i].name);
            continue;
        }
        if (!json_is_string(v) || (ITEM_FIELDS[i].required && !json_string_length(v)) ||
            json_string_length(v) > (size_t)ITEM_FIELDS[i].maxlen || has_control(json_string_value(v)))
            return spot_fail(e, SPOT_E_INVALID, "invalid", "%s（%s）：应为不超过 %d 字节的文本%s",
                             ITEM_FIELDS[i].label, ITEM_FIELDS[i].name, ITEM_FIELDS[i].maxlen,
                             ITEM_FIELDS[i].required ? "，且不能为空" : "");
    }
    v = json_object_get(obj, "industries");
    if (v) {
        size_t i;
        json_t *x;
        int ok = json_is_array(v) && json_array_size(v) <= 100;
        if (ok) json_array_foreach(v, i, x) ok &= json_is_string(x) && json_string_length(x) > 0 && json_string_length(x) <= 100;
        if (!ok) return spot_fail(e, SPOT_E_INVALID, "invalid", "适用行业（industries）应为行业名称的列表（空列表：适用于所有行业）");
    }
    v = json_object_get(obj, "active");
    if (v && !json_is_boolean(v))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "active 应为 true 或 false");
    v = json_object_get(obj, "reason");
    if (v && (!json_is_string(v) || json_string_length(v) > 1000 || has_control(json_string_value(v))))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "调整原因（reason）应为不超过 1000 字节的文本");
    v = json_object_get(obj, "checkpoints");
    if (v) {
        if (!json_is_array(v) || json_array_size(v) > 200)
            return spot_fail(e, SPOT_E_INVALID, "invalid", "检查要点（checkpoints）应为不超过 200 项的列表");
        size_t i;
        json_t *cp;
        json_array_foreach(v, i, cp) {
            json_t *t = json_is_object(cp) ? json_object_get(cp, "text") : cp;
            json_t *id = json_is_object(cp) ? json_object_get(cp, "id") : NULL;
            if (!json_is_string(t) || !json_string_length(t) || json_string_length(t) > 2000 ||
                has_control(json_string_value(t)) || (id && !json_is_integer(id)))
                return spot_fail(e, SPOT_E_INVALID, "invalid",
                                 "第 %zu 个检查要点无效：应为非空文本或 {\"id\":…, \"text\":\"…\"}", i + 1);
        }
    }
    return 0;
}

/* Texts of the item's active checkpoints in order, as a new JSON array. */
static json_t *checkpoint_texts(sqlite3 *db, long long id)
{
    json_t *rows = db_rows(db, NULL, "SELECT text FROM item_checkpoints WHERE item_id = ? AND active = 1 ORDER BY pos",
                           "i", id);
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_append(out, json_object_get(row, "text"));
    json_decref(rows);
    return out;
}

/* Writes the checkpoint list cps (validated) for item id: kept ids updated in place, new ones
 * inserted, missing ones deactivated. Returns 0 or -1 with *e (422 for an id of another item). */
static int write_checkpoints(sqlite3 *db, long long id, json_t *cps, spot_err *e)
{
    char *err = NULL;
    if (db_run(db, &err, "UPDATE item_checkpoints SET pos = -pos - 1 WHERE item_id = ? AND active = 1", "i", id) < 0)
        return spot_fail_db(e, "items", err);
    size_t i;
    json_t *cp;
    json_array_foreach(cps, i, cp) {
        json_t *t = json_is_object(cp) ? json_object_get(cp, "text") : cp;
        json_t *cid = json_is_object(cp) ? json_object_get(cp, "id") : NULL;
        if (cid) {
            int n = db_run(db, &err, "UPDATE item_checkpoints SET pos = ?, text = ? WHERE id = ? AND item_id = ? "
                                     "AND active = 1 AND pos < 0", "ijii", (long long)i, t,
                           (long long)json_integer_value(cid), id);
            if (n < 0) return spot_fail_db(e, "items", err);
            if (n == 0)
                return spot_fail(e, SPOT_E_INVALID, "invalid", "检查要点 id %lld 不属于该事项",
                                 (long long)json_integer_value(cid));
        } else if (db_run(db, &err, "INSERT INTO item_checkpoints(item_id, pos, text) VALUES (?, ?, ?)", "iij", id,
                          (long long)i, t) < 0) {
            return spot_fail_db(e, "items", err);
        }
    }
    if (db_run(db, &err, "UPDATE item_checkpoints SET active = 0 WHERE item_id = ? AND active = 1 AND pos < 0",
               "i", id) < 0)
        return spot_fail_db(e, "items", err);
    return 0;
}

long long items_create(sqlite3 *db, const char *actor, json_t *body, spot_err *e)
{
    json_t *obj = with_org(db, body, e);
    if (!obj) return -1;
    long long id = item_insert(db, actor, obj, e);
    json_decref(obj);
    return id;
}

/* items_create after with_org. */
static long long item_insert(sqlite3 *db, const char *actor, json_t *obj, spot_err *e)
{
    if (check_body(obj, 0, e)) return -1;
    char at[32], today[11], *err = NULL;
    clock_now_rfc3339(at);
    clock_today(today);
    const char *v[N_ITEM_FIELDS];
    for (int i = 0; i < N_ITEM_FIELDS; i++) {
        v[i] = json_string_value(json_object_get(obj, ITEM_FIELDS[i].name));
        if (!v[i]) v[i] = "";
    }
    json_t *act = json_object_get(obj, "active"), *ind = json_object_get(obj, "industries");
    json_t *none = json_array();
    int irc = db_run(db, &err, "INSERT INTO items(name, target, category, method, department, level, basis, active, "
                               "industries, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssssssijss",
                     v[0], v[1], v[2], v[3], v[4], v[5], v[6], (long long)(act ? json_is_true(act) : 1),
                     ind ? ind : none, at, at);
    json_decref(none);
    if (irc < 0) return spot_fail_db(e, "items", err);
    long long id = sqlite3_last_insert_rowid(db);
    json_t *cps = json_object_get(obj, "checkpoints");
    if (cps && write_checkpoints(db, id, cps, e)) return -1;
    json_t *changes = json_object();
    for (int i = 0; i < N_ITEM_FIELDS; i++)
        json_object_set_new(changes, ITEM_FIELDS[i].name, json_pack("[ns]", v[i]));
    if (json_array_size(ind)) json_object_set_new(changes, "industries", json_pack("[nO]", ind));
    json_object_set_new(changes, "checkpoints", json_pack("[no]", checkpoint_texts(db, id)));
    const char *reason = json_string_value(json_object_get(obj, "reason"));
    int rc = db_run(db, &err, "INSERT INTO item_adjustments(item_id, date, at, actor, kind, reason, changes) "
                              "VALUES (?, ?, ?, ?, 'create', ?, ?)", "issssj", id, today, at, actor,
                    reason && *reason ? reason : "新增抽查事项", changes);
    char obj_name[32];
    snprintf(obj_name, sizeof obj_name, "item:%lld", id);
    json_t *d = json_pack("{sI sO}", "id", (json_int_t)id, "changes", changes);
    if (rc >= 0) rc = audit_log(db, actor, "item.create", obj_name, d, &err);
    json_decref(d);
    json_decref(changes);
    if (rc < 0) return spot_fail_db(e, "items", err);
    return id;
}

/* The item as JSON with checkpoints and adjustments (actor only for staff). Steals item; returns it. */
static json_t *item_json(sqlite3 *db, json_t *item, int staff)
{
    long long id = json_integer_value(json_object_get(item, "id"));
    json_t *cps = db_rows(db, NULL, "SELECT id, pos, text FROM item_checkpoints WHERE item_id = ? AND active = 1 "
                                    "ORDER BY pos", "i", id);
    json_object_set_new(item, "checkpoints", cps ? cps : json_array());
    json_t *adj = db_rows(db, NULL, staff ? "SELECT id, date, at, actor, kind, reason, changes FROM item_adjustments "
                                            "WHERE item_id = ? ORDER BY id DESC"
                                          : "SELECT id, date, kind, reason, changes FROM item_adjustments "
                                            "WHERE item_id = ? ORDER BY id DESC", "i", id);
    size_t i;
    json_t *a;
    json_array_foreach(adj, i, a) {
        json_t *c = json_loads(json_string_value(json_object_get(a, "changes")), 0, NULL);
        json_object_set_new(a, "changes", c ? c : json_object());
    }
    json_object_set_new(item, "adjustments", adj ? adj : json_array());
    json_t *ind = json_loads(json_string_value(json_object_get(item, "industries")) ?: "[]", 0, NULL);
    json_object_set_new(item, "industries", json_is_array(ind) ? ind : (json_decref(ind), json_array()));
    json_object_set_new(item, "active", json_boolean(json_integer_value(json_object_get(item, "active"))));
    return item;
}

static json_t *list_items(sqlite3 *db, int staff, int only_active)
{
    json_t *rows = db_rows(db, NULL, only_active ? "SELECT * FROM items WHERE active = 1 ORDER BY id"
                                                 : "SELECT * FROM items ORDER BY id", "");
    if (!rows) return NULL;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) item_json(db, row, staff);
    return rows;
}

json_t *items_list(spot_ctx *c, int only_active, spot_err *e)
{
    json_t *rows = list_items(c->db, 1, only_active);
    if (!rows) return spot_fail(e, SPOT_E_DB, "internal", "数据库错误"), NULL;
    return json_pack("{so}", "items", rows);
}

json_t *items_public(spot_ctx *c, spot_err *e)
{
    json_t *rows = list_items(c->db, 0, 1);
    json_t *adj = db_rows(c->db, NULL,
        "SELECT a.date, a.item_id, i.name AS item_name, a.kind, a.reason, a.changes FROM item_adjustments a "
        "JOIN items i ON i.id = a.item_id ORDER BY a.id DESC LIMIT 500", "");
    if (!rows || !adj) {
        json_decref(rows);
        json_decref(adj);
        return spot_fail(e, SPOT_E_DB, "internal", "数据库错误"), NULL;
    }
    size_t i;
    json_t *a;
    json_array_foreach(adj, i, a) {
        json_t *ch = json_loads(json_string_value(json_object_get(a, "changes")), 0, NULL);
        json_object_set_new(a, "changes", ch ? ch : json_object());
    }
    return json_pack("{so so}", "items", rows, "adjustments", adj);
}

json_t *items_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *row = id > 0 ? db_row(c->db, NULL, "SELECT * FROM items WHERE id = ?", "i", id) : NULL;
    if (!row) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个抽查事项"), NULL;
    return item_json(c->db, row, 1);
}

/* Replaces the names in body's "industries" (if any) by the industries they name in
 * rules/categories.lua (categories.canonical: aliases resolved; 422 unknown_industry for a name
 * outside 3.2). Returns 0 or -1 with *e. */
static int canon_industries(spot_ctx *c, json_t *body, spot_err *e)
{
    json_t *v = json_object_get(body, "industries");
    if (!json_is_array(v)) return 0;   /* check_body reports the wrong type */
    json_t *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x)) { json_decref(out); return 0; }
        json_t *args = json_pack("[O]", x), *ret = NULL;
        char *err = NULL;
        int rc = lh_call(c->w->lua, "categories", "canonical", args, &ret, &err);
        json_decref(args);
        if (rc != 0) { json_decref(out); return spot_fail_rule(e, err); }
        json_t *name = json_array_get(ret, 0);
        if (!json_is_string(name)) {
            spot_fail(e, SPOT_E_INVALID, "unknown_industry", "适用行业“%.60s”不在第3.2条所列工矿商贸行业范围内",
                      json_string_value(x));
            json_decref(ret);
            json_decref(out);
            return -1;
        }
        int dup = 0;
        size_t k;
        json_t *y;
        json_array_foreach(out, k, y) dup |= json_equal(y, name);
        if (!dup) json_array_append(out, name);
        json_decref(ret);
    }
    json_object_set_new(body, "industries", out);
    return 0;
}

json_t *items_add(spot_ctx *c, json_t *in, spot_err *e)
{
    char *err = NULL;
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    json_t *body = json_copy(in);
    if (canon_industries(c, body, e) != 0) {
        json_decref(body);
        return NULL;
    }
    if (db_begin(c->db, &err) != 0) {
        json_decref(body);
        return spot_fail_db(e, "items", err), NULL;
    }
    long long id = items_create(c->db, ctx_actor(c), body, e);
    json_decref(body);
    if (id < 0 || db_commit(c->db, &err) != 0) {
        if (id >= 0) spot_fail_db(e, "items", err);
        db_rollback(c->db);
        return NULL;
    }
    json_t *row = db_row(c->db, NULL, "SELECT * FROM items WHERE id = ?", "i", id);
    if (!row) return spot_fail(e, SPOT_E_DB, "internal", "数据库错误"), NULL;
    return item_json(c->db, row, 1);
}

json_t *items_update(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    char *err = NULL;
    json_t *out = NULL;
    json_t *old = id > 0 ? db_row(c->db, NULL, "SELECT * FROM items WHERE id = ?", "i", id) : NULL;
    if (!old) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个抽查事项"), NULL;
    json_t *changes = json_object(), *old_cps = NULL, *new_cps = NULL;
    json_t *body = with_org(c->db, in, e);
    if (!body || canon_industries(c, body, e) != 0 || check_body(body, 1, e)) goto done;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (!reason || !*reason) {
        spot_fail(e, SPOT_E_INVALID, "invalid", "调整抽查事项必须填写调整原因（reason）");
        goto done;
    }
    json_t *ver = json_object_get(body, "version");
    if (ver && (!json_is_integer(ver) || json_integer_value(ver) != json_integer_value(json_object_get(old, "version")))) {
        spot_fail(e, SPOT_E_CONFLICT, "stale", "该事项已被他人修改，请刷新后重试");
        goto done;
    }
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "items", err);
        err = NULL;
        goto done;
    }
    char at[32], today[11];
    clock_now_rfc3339(at);
    clock_today(today);
    for (int i = 0; i < N_ITEM_FIELDS; i++) {
        json_t *nv = json_object_get(body, ITEM_FIELDS[i].name);
        json_t *ov = json_object_get(old, ITEM_FIELDS[i].name);
        if (!nv || json_equal(nv, ov)) continue;
        json_object_set_new(changes, ITEM_FIELDS[i].name, json_pack("[OO]", ov, nv));
        char *sql = xprintf("UPDATE items SET %s = ? WHERE id = ?", ITEM_FIELDS[i].name);
        int rc = db_run(c->db, &err, sql, "ji", nv, id);
        free(sql);
        if (rc < 0) {
            spot_fail_db(e, "items", err);
            err = NULL;
            goto done;
        }
    }
    json_t *ind = json_object_get(body, "industries");
    json_t *old_ind = json_loads(json_string_value(json_object_get(old, "industries")) ?: "[]", 0, NULL);
    if (ind && !json_equal(ind, old_ind)) {
        json_object_set_new(changes, "industries", json_pack("[OO]", old_ind ? old_ind : json_null(), ind));
        if (db_run(c->db, &err, "UPDATE items SET industries = ? WHERE id = ?", "ji", ind, id) < 0) {
            json_decref(old_ind);
            spot_fail_db(e, "items", err);
            err = NULL;
            goto done;
        }
    }
    json_decref(old_ind);
    json_t *act = json_object_get(body, "active");
    if (act && json_is_true(act) != (json_integer_value(json_object_get(old, "active")) == 1)) {
        json_object_set_new(changes, "active", json_pack("[bb]", !json_is_true(act), json_is_true(act)));
        if (db_run(c->db, &err, "UPDATE items SET active = ? WHERE id = ?", "ii", (long long)json_is_true(act), id) < 0) {
            spot_fail_db(e, "items", err);
            err = NULL;
            goto done;
        }
    }
    json_t *cps = json_object_get(body, "checkpoints");
    if (cps) {
        old_cps = checkpoint_texts(c->db, id);
        if (write_checkpoints(c->db, id, cps, e)) goto done;
        new_cps = checkpoint_texts(c->db, id);
        if (!json_equal(old_cps, new_cps)) json_object_set_new(changes, "checkpoints", json_pack("[OO]", old_cps, new_cps));
    }
    if (json_object_size(changes) == 0) {
        spot_fail(e, SPOT_E_INVALID, "no_change", "没有任何改动");
        goto done;
    }
    char obj[32];
    snprintf(obj, sizeof obj, "item:%lld", id);
    json_t *d = json_pack("{sI ss sO}", "id", (json_int_t)id, "reason", reason, "changes", changes);
    if (db_run(c->db, &err, "UPDATE items SET version = version + 1, updated_at = ? WHERE id = ?", "si", at, id) < 0 ||
        db_run(c->db, &err, "INSERT INTO item_adjustments(item_id, date, at, actor, kind, reason, changes) "
                            "VALUES (?, ?, ?, ?, 'update', ?, ?)", "issssj", id, today, at, ctx_actor(c), reason,
               changes) < 0 ||
        audit_log(c->db, ctx_actor(c), "item.update", obj, d, &err) != 0 || db_commit(c->db, &err) != 0) {
        json_decref(d);
        spot_fail_db(e, "items", err);
        err = NULL;
        goto done;
    }
    json_decref(d);
    json_t *row = db_row(c->db, NULL, "SELECT * FROM items WHERE id = ?", "i", id);
    if (!row) spot_fail(e, SPOT_E_DB, "internal", "数据库错误");
    else out = item_json(c->db, row, 1);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    free(err);
    json_decref(old);
    json_decref(changes);
    json_decref(old_cps);
    json_decref(new_cps);
    json_decref(body);
    return out;
}
