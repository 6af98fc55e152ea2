/* orgs.c: organisations and their inspectors' accounts (see orgs.h). */
#include "orgs.h"
#include "audit.h"
#include "auth.h"
#include "clock.h"
#include "db.h"
#include "jsonutil.h"
#include "luahost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define ORG_NAME_MAX 100   /* bytes */

static const char ORG_COLS[] = "o.id, o.name, o.kind, o.parent_id, o.level, o.active, o.created_at, o.updated_at";

json_t *orgs_list(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err,
        "SELECT o.id, o.name, o.kind, o.parent_id, p.name AS parent_name, o.level, o.active, "
        "(SELECT count(*) FROM inspectors i WHERE i.org_id = o.id) AS inspectors, "
        "(SELECT count(*) FROM inspectors i WHERE i.org_id = o.id AND i.status = 'active' AND NOT EXISTS "
        "  (SELECT 1 FROM users u WHERE u.cert_no = i.cert_no)) AS inspectors_without_account, "
        "(SELECT count(*) FROM users u WHERE u.org_id = o.id) AS users, o.created_at, o.updated_at "
        "FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id "
        "ORDER BY CASE o.kind WHEN 'bureau' THEN 0 WHEN 'division' THEN 1 WHEN 'township' THEN 2 ELSE 3 END, o.id",
        "");
    if (!rows) spot_fail_db(e, "orgs", err);
    return rows;
}

json_t *orgs_get(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM orgs o WHERE o.id = ?", ORG_COLS);
    json_t *row = db_row(c->db, &err, sql, "i", id);
    if (!row && e) {
        if (err) spot_fail_db(e, "orgs", err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有编号为 %lld 的机构", id);
    } else {
        free(err);
    }
    return row;
}

long long orgs_id_by_name(sqlite3 *db, const char *name, char **err)
{
    return db_int(db, err, -1, "SELECT id FROM orgs WHERE name = ?", "s", name ? name : "");
}

json_t *orgs_names(sqlite3 *db, char **err)
{
    json_t *rows = db_rows(db, err, "SELECT name FROM orgs ORDER BY id", "");
    if (!rows) return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) json_array_append(out, json_object_get(r, "name"));
    json_decref(rows);
    return out;
}

/* Whether code is one of the codes of the categories rule's list field ("org_kinds" / "org_levels").
 * 1, 0, or -1 with *e (the rule failed). On 0, *labels (new string, caller frees) lists the choices
 * as "code（label）、…" for the message. */
static int rule_code(spot_ctx *c, const char *field, const char *code, char **labels, spot_err *e)
{
    json_t *v = NULL;
    char *err = NULL;
    if (lh_rule_value(c->w->lua, "categories", field, &v, NULL, &err) != 0) return spot_fail_rule(e, err);
    int found = 0;
    size_t i, n = 0;
    json_t *it;
    char buf[512] = "";
    json_array_foreach(v, i, it) {
        const char *cd = json_string_value(json_object_get(it, "code"));
        const char *lb = json_string_value(json_object_get(it, "label"));
        if (cd && code && !strcmp(cd, code)) found = 1;
        if (cd && n < sizeof buf)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s（%s）", n ? "、" : "", cd, lb ? lb : "");
    }
    json_decref(v);
    if (!found && labels) *labels = xprintf("%s", buf);
    return found;
}

/* A trimmed copy of the name member: 1-100 bytes, no control characters. Returns 0 with name filled,
 * or -1 with *e. */
static int read_name(json_t *v, char name[ORG_NAME_MAX + 1], spot_err *e)
{
    if (!json_is_string(v)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "name（机构名称）须为字符串");
    const char *s = json_string_value(v);
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (!n) return spot_fail(e, SPOT_E_INVALID, "invalid", "机构名称不能为空");
    if (n > ORG_NAME_MAX) return spot_fail(e, SPOT_E_INVALID, "invalid", "机构名称过长（至多 %d 字节）", ORG_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return spot_fail(e, SPOT_E_INVALID, "invalid", "机构名称含有控制字符");
    memcpy(name, s, n);
    name[n] = 0;
    return 0;
}

/* Checks a kind or level member v (a string naming a code of the rule's list field). what: the
 * Chinese word for the message. Returns 0, or -1 with *e. */
static int check_code(spot_ctx *c, json_t *v, const char *key, const char *field, const char *what, spot_err *e)
{
    if (!json_is_string(v)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "%s（%s）须为字符串", key, what);
    char *labels = NULL;
    int r = rule_code(c, field, json_string_value(v), &labels, e);
    if (r < 0) return -1;
    if (r == 0) {
        spot_fail(e, SPOT_E_INVALID, "invalid", "未知的%s：%.40s（可选 %s）", what, json_string_value(v),
                  labels ? labels : "");
        free(labels);
        return -1;
    }
    return 0;
}

/* Checks parent_id v (null or the id of an existing org) for the org id (0 for a new one): an org
 * may not be its own ancestor. Sets *parent (0 for none). Returns 0, or -1 with *e. */
static int check_parent(spot_ctx *c, json_t *v, long long id, long long *parent, spot_err *e)
{
    *parent = 0;
    if (json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "parent_id（上级机构）须为机构编号或 null");
    long long p = json_integer_value(v);
    char *err = NULL;
    /* walk up from p: an org with id among the ancestors is a cycle */
    long long at = p;
    for (int depth = 0; at > 0; depth++) {
        if (at == id) return spot_fail(e, SPOT_E_INVALID, "invalid", "上级机构不能是本机构或其下级机构");
        long long up = db_int(c->db, &err, -1, "SELECT coalesce(parent_id, 0) FROM orgs WHERE id = ?", "i", at);
        if (err) return spot_fail_db(e, "orgs", err);
        if (up < 0) {
            if (at == p) return spot_fail(e, SPOT_E_INVALID, "unknown_org", "没有编号为 %lld 的机构（上级机构）", p);
            break;
        }
        if (depth > 64) return spot_fail(e, SPOT_E_INVALID, "invalid", "机构层级过深");
        at = up;
    }
    *parent = p;
    return 0;
}

/* The refusal of a write that clashes with a unique index of orgs. Returns -1. */
static int org_clash(sqlite3 *db, const char *name, spot_err *e)
{
    if (strstr(sqlite3_errmsg(db), "orgs.kind"))
        return spot_fail(e, SPOT_E_CONFLICT, "conflict", "已有本局，不能再添加一个");
    return spot_fail(e, SPOT_E_CONFLICT, "conflict", "机构名称已存在：%s", name);
}

json_t *orgs_create(spot_ctx *c, json_t *body, spot_err *e)
{
    static const char *const fields[] = {"name", "kind", "level", "parent_id", NULL};
    if (!json_is_object(body)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
        return NULL;
    }
    if (spot_check_fields(body, fields, e) != 0) return NULL;
    json_t *kind = json_object_get(body, "kind"), *level = json_object_get(body, "level");
    char name[ORG_NAME_MAX + 1];
    if (!json_object_get(body, "name") || !kind) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 name（机构名称）和 kind（机构类别）");
        return NULL;
    }
    long long parent = 0;
    if (read_name(json_object_get(body, "name"), name, e) || check_code(c, kind, "kind", "org_kinds", "机构类别", e))
        return NULL;
    const char *lv = level ? json_string_value(level)
                           : !strcmp(json_string_value(kind), "township") ? "township" : "county";
    if (level && check_code(c, level, "level", "org_levels", "机构层级", e)) return NULL;
    json_t *pv = json_object_get(body, "parent_id");
    if (pv && check_parent(c, pv, 0, &parent, e)) return NULL;
    char *err = NULL, at[32];
    clock_now_rfc3339(at);
    json_t *out = NULL;
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "orgs", err);
        return NULL;
    }
    if (db_run(c->db, &err, "INSERT INTO orgs(name, kind, parent_id, level, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", "sssss" "s", name, json_string_value(kind), NULL, lv, at, at) < 0) {
        if (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_UNIQUE) {
            free(err);
            org_clash(c->db, name, e);
        } else {
            spot_fail_db(e, "orgs", err);
        }
        goto done;
    }
    long long id = sqlite3_last_insert_rowid(c->db);
    if (parent && db_run(c->db, &err, "UPDATE orgs SET parent_id = ? WHERE id = ?", "ii", parent, id) < 0) {
        spot_fail_db(e, "orgs", err);
        goto done;
    }
    out = orgs_get(c, id, e);
    if (!out) goto done;
    char obj[32];
    snprintf(obj, sizeof obj, "org:%lld", id);
    if (audit_log(c->db, ctx_actor(c), "org.create", obj, out, &err) != 0 || db_commit(c->db, &err) != 0) {
        spot_fail_db(e, "orgs", err);
        json_decref(out);
        out = NULL;
    }
done:
    if (!out && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    return out;
}

json_t *orgs_update(spot_ctx *c, long long id, json_t *body, spot_err *e)
{
    static const char *const fields[] = {"name", "kind", "level", "parent_id", "active", NULL};
    if (!json_is_object(body)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
        return NULL;
    }
    if (spot_check_fields(body, fields, e) != 0) return NULL;
    json_t *old = orgs_get(c, id, e), *changes = NULL, *out = NULL, *v;
    if (!old) return NULL;
    const char *old_kind = json_string_value(json_object_get(old, "kind"));
    const char *old_name = json_string_value(json_object_get(old, "name"));
    char name[ORG_NAME_MAX + 1] = "", *err = NULL, at[32];
    long long parent = 0;
    long long renamed_inspectors = 0, renamed_items = 0;
    clock_now_rfc3339(at);
    if ((v = json_object_get(body, "name")) && read_name(v, name, e)) goto done;
    if ((v = json_object_get(body, "kind"))) {
        if (check_code(c, v, "kind", "org_kinds", "机构类别", e)) goto done;
        if (!strcmp(old_kind, "bureau") && strcmp(json_string_value(v), "bureau")) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "本局的类别不能更改");
            goto done;
        }
    }
    if ((v = json_object_get(body, "level")) && check_code(c, v, "level", "org_levels", "机构层级", e)) goto done;
    if ((v = json_object_get(body, "parent_id")) && check_parent(c, v, id, &parent, e)) goto done;
    if ((v = json_object_get(body, "active"))) {
        if (!json_is_boolean(v)) {
            spot_fail(e, SPOT_E_INPUT, "bad_request", "active 须为 true 或 false");
            goto done;
        }
        if (json_is_false(v) && !strcmp(old_kind, "bureau")) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "本局不能停用");
            goto done;
        }
    }
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "orgs", err);
        goto done;
    }
    changes = json_object();
    if (name[0] && strcmp(name, old_name)) {
        if (db_run(c->db, &err, "UPDATE orgs SET name = ? WHERE id = ?", "si", name, id) < 0) {
            if (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_UNIQUE) {
                free(err);
                org_clash(c->db, name, e);
                goto done;
            }
            goto dberr;
        }
        /* the text columns that name the org follow it (their org_id triggers find it again) */
        if ((renamed_inspectors = db_run(c->db, &err, "UPDATE inspectors SET unit = ? WHERE org_id = ? AND unit = ?",
                                         "sis", name, id, old_name)) < 0 ||
            (renamed_items = db_run(c->db, &err, "UPDATE items SET department = ? WHERE org_id = ? AND department = ?",
                                    "sis", name, id, old_name)) < 0)
            goto dberr;
        json_object_set_new(changes, "name", json_pack("[ss]", old_name, name));
    }
    static const char *const plain[] = {"kind", "level", NULL};
    for (int i = 0; plain[i]; i++) {
        v = json_object_get(body, plain[i]);
        const char *was = json_string_value(json_object_get(old, plain[i]));
        if (!v || !strcmp(json_string_value(v), was)) continue;
        char *sql = xprintf("UPDATE orgs SET %s = ? WHERE id = ?", plain[i]);
        int rc = db_run(c->db, &err, sql, "si", json_string_value(v), id);
        free(sql);
        if (rc < 0) goto dberr;
        json_object_set_new(changes, plain[i], json_pack("[sO]", was, v));
    }
    if ((v = json_object_get(body, "parent_id"))) {
        json_t *was = json_object_get(old, "parent_id");
        if (json_integer_value(was) != parent) {
            if (db_run(c->db, &err, "UPDATE orgs SET parent_id = ? WHERE id = ?", "ji", v, id) < 0) goto dberr;
            json_object_set_new(changes, "parent_id", json_pack("[OO]", was, v));
        }
    }
    if ((v = json_object_get(body, "active"))) {
        long long was = json_integer_value(json_object_get(old, "active"));
        if (was != json_is_true(v)) {
            if (db_run(c->db, &err, "UPDATE orgs SET active = ? WHERE id = ?", "ii", (long long)json_is_true(v), id) < 0)
                goto dberr;
            json_object_set_new(changes, "active", json_pack("[bb]", (int)was, json_is_true(v)));
        }
    }
    if (json_object_size(changes)) {
        if (db_run(c->db, &err, "UPDATE orgs SET updated_at = ? WHERE id = ?", "si", at, id) < 0) goto dberr;
        char obj[32];
        snprintf(obj, sizeof obj, "org:%lld", id);
        json_t *d = json_pack("{sO sO sI sI}", "before", old, "changes", changes, "inspectors_renamed",
                              (json_int_t)renamed_inspectors, "items_renamed", (json_int_t)renamed_items);
        int rc = audit_log(c->db, ctx_actor(c), "org.update", obj, d, &err);
        json_decref(d);
        if (rc != 0 || db_commit(c->db, &err) != 0) goto dberr;
    } else {
        db_rollback(c->db);
    }
    out = orgs_get(c, id, e);
    if (out) json_object_set(out, "changes", changes);
    goto done;
dberr:
    spot_fail_db(e, "orgs", err);
done:
    if (!out && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(old);
    json_decref(changes);
    return out;
}

/* A one-time password of 14 characters from an alphabet without look-alikes (no 0/O, 1/l/I), that
 * passes the password policy for username. pw: 15 bytes. */
static void one_time_password(const char *username, char pw[15])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    spot_err pe;
    do {
        unsigned char b[14];
        randombytes_buf(b, sizeof b);
        for (size_t i = 0; i < sizeof b; i++) pw[i] = alphabet[b[i] % (sizeof alphabet - 1)];
        pw[14] = 0;
    } while (auth_password_check(username, pw, &pe) != 0);
}

json_t *orgs_open_accounts(spot_ctx *c, long long id, spot_err *e)
{
    json_t *org = orgs_get(c, id, e), *people = NULL, *created = NULL, *skipped = NULL, *out = NULL;
    char *err = NULL;
    if (!org) return NULL;
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "orgs", err);
        goto done;
    }
    people = db_rows(c->db, &err,
        "SELECT i.cert_no, i.name, (SELECT u.username FROM users u WHERE u.username = i.cert_no) AS taken "
        "FROM inspectors i WHERE i.org_id = ? AND i.status = 'active' "
        "AND NOT EXISTS (SELECT 1 FROM users u WHERE u.cert_no = i.cert_no) ORDER BY i.id", "i", id);
    if (!people) {
        spot_fail_db(e, "orgs", err);
        goto done;
    }
    created = json_array();
    skipped = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *cert = json_string_value(json_object_get(p, "cert_no"));
        const char *nm = json_string_value(json_object_get(p, "name"));
        if (!json_is_null(json_object_get(p, "taken"))) {
            json_array_append_new(skipped, json_pack("{ss ss ss}", "cert_no", cert, "real_name", nm, "reason",
                                                     "用户名（执法证号）已被其他账户使用"));
            continue;
        }
        char pw[15];
        one_time_password(cert, pw);
        spot_err ue;
        if (auth_create_user(c->db, ctx_actor(c), cert, pw, "inspector", cert, id, nm, 1, &ue) < 0) {
            if (ue.kind == SPOT_E_DB) {
                *e = ue;
                sodium_memzero(pw, sizeof pw);
                goto done;
            }
            json_array_append_new(skipped, json_pack("{ss ss ss}", "cert_no", cert, "real_name", nm, "reason",
                                                     ue.message));
        } else {
            json_array_append_new(created, json_pack("{ss ss ss ss}", "username", cert, "real_name", nm, "cert_no",
                                                     cert, "password", pw));
        }
        sodium_memzero(pw, sizeof pw);
    }
    char obj[32];
    snprintf(obj, sizeof obj, "org:%lld", id);
    json_t *d = json_pack("{sI sI}", "created", (json_int_t)json_array_size(created), "skipped",
                          (json_int_t)json_array_size(skipped));
    int rc = audit_log(c->db, ctx_actor(c), "org.accounts", obj, d, &err);
    json_decref(d);
    if (rc != 0 || db_commit(c->db, &err) != 0) {
        spot_fail_db(e, "orgs", err);
        goto done;
    }
    out = json_pack("{sI sO sO sO}", "org_id", (json_int_t)id, "org_name", json_object_get(org, "name"), "created",
                    created, "skipped", skipped);
done:
    if (!out && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(org);
    json_decref(people);
    json_decref(created);
    json_decref(skipped);
    return out;
}
