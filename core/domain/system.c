/* system.c: health and the audit trail views (see system.h). */
#include "system.h"
#include "audit.h"
#include "db.h"

#include <stdlib.h>
#include <string.h>
#include "clock.h"

json_t *system_health(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    json_t *head = db_row(c->db, &err, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", "");
    if (!head && err) {
        free(err);
        spot_fail(e, SPOT_E_UNAVAILABLE, "unavailable", "数据库不可读");
        return NULL;
    }
    long long rules = db_int(c->db, NULL, 0, "SELECT count(*) FROM rule_versions WHERE active = 1", "");
    return json_pack("{ss ss si si sI sb so so}", "status", "ok", "version", SPOT_VERSION,
        "schema_version", db_schema_version(c->db), "schema_latest", db_schema_latest(),
        "rules_generation", (json_int_t)c->w->rules_gen, "rules_loaded", c->w->rules_gen >= 0 && rules > 0,
        "active_rules", json_integer(rules), "audit_head", head ? head : json_null());
}

json_t *system_audit_list(spot_ctx *c, const char *action, const char *object, const char *actor, const char *from,
                          const char *to, long long before, long long limit, spot_err *e)
{
    char *err = NULL;
    if ((from && !clock_valid_date(from)) || (to && !clock_valid_date(to)))
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "from 和 to 须为 YYYY-MM-DD 日期"), NULL;
    /* from/to are days in China time (UTC+8); a.at is UTC */
    json_t *rows = db_rows(c->db, &err,
        "SELECT a.id, a.at, a.actor, (SELECT nullif(u.real_name, '') FROM users u WHERE u.username = a.actor) "
        "AS actor_name, a.action, a.object, json(a.details) AS details, a.hash FROM audit a "
        "WHERE a.id < ? AND (?2 IS NULL OR a.action = ?2) AND (?3 IS NULL OR a.object = ?3) "
        "AND (?4 IS NULL OR a.actor = ?4) "
        "AND (?6 IS NULL OR a.at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?6, '-8 hours')) "
        "AND (?7 IS NULL OR a.at < strftime('%Y-%m-%dT%H:%M:%SZ', ?7, '+1 day', '-8 hours')) "
        "ORDER BY a.id DESC LIMIT ?5",
        "isssiss", before, action, object, actor, limit, from, to);
    if (!rows) {
        spot_fail_db(e, "audit", err);
        return NULL;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *d = json_loads(json_string_value(json_object_get(row, "details")), JSON_DECODE_ANY, NULL);
        if (d) json_object_set_new(row, "details", d);
    }
    return rows;
}

json_t *system_audit_verify(spot_ctx *c, spot_err *e)
{
    long long count = 0, bad = 0;
    char *msg = NULL;
    int rc = audit_verify(c->db, &count, &bad, &msg);
    if (rc < 0) {
        spot_fail_db(e, "audit verify", msg);
        spot_fail(e, SPOT_E_DB, "internal", "无法读取审计记录");
        return NULL;
    }
    json_t *out = json_pack("{sb sI}", "ok", rc == 0, "checked", (json_int_t)count);
    if (rc == 1) {
        json_object_set_new(out, "first_broken", json_integer(bad));
        json_object_set_new(out, "message", json_string(msg));
    }
    free(msg);
    return out;
}

/* Today's anchor record as {"id","hash","time"} (new reference), NULL if there is none yet or on
 * error (*err set then). */
static json_t *today_anchor(sqlite3 *db, const char *day, char **err)
{
    return db_row(db, err, "SELECT id, hash, at AS time FROM audit WHERE action = 'audit.anchor' "
                           "AND " CLOCK_SQL_DAY("at") " = ? ORDER BY id DESC LIMIT 1", "s", day);
}

json_t *system_audit_anchor(spot_ctx *c, spot_err *e)
{
    char day[11], *err = NULL;
    clock_today(day);   /* the bureau's day, as CLOCK_SQL_DAY gives the stamps' */
    json_t *head = today_anchor(c->db, day, &err);
    if (!head && !err) {
        /* First call today: write the anchor, checking again inside the write transaction. */
        json_t *d = json_pack("{ss}", "date", day);
        int ok = db_begin(c->db, &err) == 0;
        if (ok) head = today_anchor(c->db, day, &err);
        if (ok && !head && !err) {
            ok = audit_log(c->db, "system", "audit.anchor", "audit", d, &err) == 0 && db_commit(c->db, &err) == 0;
            if (ok) head = today_anchor(c->db, day, &err);
        } else if (ok) {
            db_rollback(c->db);
        }
        json_decref(d);
        if (!ok && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    }
    if (!head) {
        spot_fail_db(e, "audit anchor", err ? err : strdup("no anchor"));
        return NULL;
    }
    json_t *all = db_rows(c->db, &err, "SELECT id, hash, at AS time FROM audit WHERE action = 'audit.anchor' "
                                       "ORDER BY id DESC LIMIT 366", "");
    if (!all) {
        json_decref(head);
        spot_fail_db(e, "audit anchor", err);
        return NULL;
    }
    json_object_set_new(head, "anchors", all);
    return head;
}
