/* api_system.c: GET /api/health and the audit trail routes (GET /api/audit, /api/audit/verify). */
#include "api_system.h"
#include "audit.h"
#include "db.h"
#include "luahost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_health(req *r)
{
    char *err = NULL;
    json_t *head = db_row(r->db, &err, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", "");
    if (!head && err) {
        free(err);
        return reply_error(r, 503, "unavailable", "数据库不可读");
    }
    long long rules = db_int(r->db, NULL, 0, "SELECT count(*) FROM rule_versions WHERE active = 1", "");
    return reply_json(r, 200, json_pack("{ss ss si si sI sb so so}", "status", "ok", "version", SPOT_VERSION,
        "schema_version", db_schema_version(r->db), "schema_latest", db_schema_latest(),
        "rules_generation", (json_int_t)r->w->rules_gen, "rules_loaded", r->w->rules_gen >= 0 && rules > 0,
        "active_rules", json_integer(rules), "audit_head", head ? head : json_null()));
}

static int h_audit(req *r)
{
    const char *action = req_query(r, "action"), *object = req_query(r, "object"),
               *actor = req_query(r, "actor");
    long long limit, before_id;
    if (req_query_int(r, "limit", 1, 1000, 100, &limit) ||
        req_query_int(r, "before", 1, 1LL << 62, 1LL << 62, &before_id))
        return 0;
    char *err = NULL;
    json_t *rows = db_rows(r->db, &err,
        "SELECT id, at, actor, action, object, json(details) AS details, hash FROM audit "
        "WHERE id < ? AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR object = ?3) "
        "AND (?4 IS NULL OR actor = ?4) ORDER BY id DESC LIMIT ?5",
        "isssi", before_id, action, object, actor, limit);
    if (!rows) {
        fprintf(stderr, "spotcheck: audit: %s\n", err);
        free(err);
        return reply_error(r, 500, "internal", "数据库错误");
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *d = json_loads(json_string_value(json_object_get(row, "details")), JSON_DECODE_ANY, NULL);
        if (d) json_object_set_new(row, "details", d);
    }
    return reply_json(r, 200, json_pack("{so}", "records", rows));
}

static int h_audit_verify(req *r)
{
    long long count = 0, bad = 0;
    char *msg = NULL;
    int rc = audit_verify(r->db, &count, &bad, &msg);
    json_t *out = json_pack("{sb sI}", "ok", rc == 0, "checked", (json_int_t)count);
    if (rc == 1) {
        json_object_set_new(out, "first_broken", json_integer(bad));
        json_object_set_new(out, "message", json_string(msg));
    } else if (rc < 0) {
        free(msg);
        json_decref(out);
        return reply_error(r, 500, "internal", "无法读取审计记录");
    }
    free(msg);
    return reply_json(r, 200, out);
}

const struct route system_routes[] = {
    {"GET", "/api/health", ROLE_PUBLIC, h_health},
    {"GET", "/api/audit", ROLE_ADMIN | ROLE_AUDITOR | ROLE_HEAD, h_audit},
    {"GET", "/api/audit/verify", ROLE_ADMIN | ROLE_AUDITOR | ROLE_HEAD, h_audit_verify},
    {0},
};
