/* api_rules.c: rule versions over HTTP. A new version is checked in a fresh sandbox holding the
 * active set with the candidate in its place: it must compile and every rule test must pass. */
#include "api_rules.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "dryrun.h"
#include "luahost.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_SOURCE_MAX (1 << 20)
/* A planner's POST /api/rules/eval runs with this share of the configured Lua limits (instructions
 * and time): its arguments are the planner's choice (add_working_days(d, 1e12)), and one role's
 * runaway evaluation must not hold a request thread for the admin's full budget. */
#define EVAL_PLANNER_SHARE 20

/* The replies of a request refused because every Lua slot is busy (lh_gate_enter). */
static int reply_busy(req *r)
{
    return reply_error(r, 503, "busy", "服务器正在运行其他规则或脚本，请稍后重试");
}

/* Lua slots for requests that choose their own Lua cost: one request thread stays free. */
static int gate_slots(void)
{
    return spot_config.threads - 1;
}

/* The line number in a Lua error "rules/<name>.lua:<line>: …", or 0. */
static long error_line(const char *msg, const char *name)
{
    char needle[96];
    snprintf(needle, sizeof needle, "rules/%s.lua:", name);
    const char *p = msg ? strstr(msg, needle) : NULL;
    return p ? strtol(p + strlen(needle), NULL, 10) : 0;
}

static int check_candidate_run(req *r, const char *name, const char *src, size_t len, json_t **tests);

/* Checks a candidate source for rule name: compiles with the rest of the active set and passes every
 * rule test. Returns 0 when good; otherwise replies 422 (503 when every Lua slot is busy) and returns
 * -1. *tests receives the report. */
static int check_candidate(req *r, const char *name, const char *src, size_t len, json_t **tests)
{
    if (!lh_gate_enter(gate_slots())) {
        reply_busy(r);
        return -1;
    }
    int rc = check_candidate_run(r, name, src, len, tests);
    lh_gate_leave();
    return rc;
}

static int check_candidate_run(req *r, const char *name, const char *src, size_t len, json_t **tests)
{
    char *err = NULL;
    lh_state *h = lh_new(&spot_config.lua, &err);
    if (!h) {
        reply_error(r, 500, "internal", "无法创建沙箱：%s", err);
        free(err);
        return -1;
    }
    json_t *report = NULL;
    int rc = rules_load_candidate(r->db, h, name, src, len, &err);
    if (rc != 0) {
        json_t *body = json_pack("{ss ss ss sI}", "error", "rule_invalid", "message", err ? err : "编译失败",
                                 "rule", name, "line", (json_int_t)error_line(err, name));
        reply_json(r, 422, body);
        free(err);
        lh_free(h);
        return -1;
    }
    rc = rules_run_tests(h, spot_config.rules_dir, &report, &err);
    lh_free(h);
    if (rc < 0) {
        json_t *body = json_pack("{ss ss ss sI}", "error", "rule_invalid", "message", err ? err : "规则测试无法运行",
                                 "rule", name, "line", (json_int_t)error_line(err, name));
        reply_json(r, 422, body);
        free(err);
        return -1;
    }
    if (rc == 1) {
        /* The first failure names the test file and line; the rule's own line if the error came from it. */
        json_t *failures = json_array(), *f;
        size_t i, j;
        json_t *fail;
        json_array_foreach(json_object_get(report, "files"), i, f)
            json_array_foreach(json_object_get(f, "failures"), j, fail) {
                json_t *x = json_deep_copy(fail);
                json_object_set(x, "file", json_object_get(f, "name"));
                json_array_append_new(failures, x);
            }
        const char *first = json_string_value(json_object_get(json_array_get(failures, 0), "error"));
        json_t *body = json_pack("{ss ss ss sI so}", "error", "rule_tests_failed",
                                 "message", first ? first : "规则测试未通过", "rule", name,
                                 "line", (json_int_t)error_line(first, name), "failures", failures);
        reply_json(r, 422, body);
        json_decref(report);
        return -1;
    }
    *tests = json_pack("{sO sO}", "passed", json_object_get(report, "passed"), "failed",
                       json_object_get(report, "failed"));
    json_decref(report);
    return 0;
}

static int h_list(req *r)
{
    char *err = NULL;
    json_t *rows = db_rows(r->db, &err,
        "SELECT name, version AS active_version, sha256, author, created_at, "
        "(SELECT max(version) FROM rule_versions v WHERE v.name = a.name) AS latest_version "
        "FROM rule_versions a WHERE active = 1 ORDER BY id", "");
    if (!rows) return reply_db_error(r, err);
    return reply_json(r, 200, json_pack("{so sI}", "rules", rows, "generation", (json_int_t)r->w->rules_gen));
}

static int h_get(req *r)
{
    const char *name = r->params[0];
    if (!rules_known(name)) return reply_error(r, 404, "not_found", "没有这个规则：%s", name);
    const char *vs = req_query(r, "version");
    char *err = NULL;
    json_t *versions = db_rows(r->db, &err, "SELECT version, sha256, author, created_at, active FROM rule_versions "
                                            "WHERE name = ? ORDER BY version", "s", name);
    if (!versions) return reply_db_error(r, err);
    json_t *cur = vs ? db_row(r->db, &err, "SELECT version, source, sha256, author, created_at, active FROM rule_versions "
                                           "WHERE name = ? AND version = ?", "si", name, atoll(vs))
                     : db_row(r->db, &err, "SELECT version, source, sha256, author, created_at, active FROM rule_versions "
                                           "WHERE name = ? AND active = 1", "s", name);
    if (!cur) {
        json_decref(versions);
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "没有这个版本");
    }
    json_object_set_new(cur, "name", json_string(name));
    json_object_set_new(cur, "versions", versions);
    return reply_json(r, 200, cur);
}

static int h_put(req *r)
{
    const char *name = r->params[0];
    if (!rules_known(name)) return reply_error(r, 404, "not_found", "没有这个规则：%s", name);
    if (req_require_object(r)) return 0;
    json_t *src = json_object_get(r->json, "source");
    if (!json_is_string(src) || json_string_length(src) == 0 || json_string_length(src) > RULE_SOURCE_MAX)
        return reply_error(r, 400, "bad_request", "source 须为非空字符串（最多 1 MiB）");
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v)
        if (strcmp(key, "source") && strcmp(key, "comment")) return reply_error(r, 400, "unknown_field", "未知字段：%s", key);
    json_t *tests = NULL;
    if (check_candidate(r, name, json_string_value(src), json_string_length(src), &tests) != 0) return 0;
    char *err = NULL, sha[65], at[32];
    rules_sha256(json_string_value(src), json_string_length(src), sha);
    clock_now_rfc3339(at);
    if (db_begin(r->db, &err) != 0) { json_decref(tests); return reply_db_error(r, err); }
    long long version = db_int(r->db, &err, 0, "SELECT max(version) FROM rule_versions WHERE name = ?", "s", name) + 1;
    json_t *d = json_pack("{ss sI ss sO?}", "name", name, "version", (json_int_t)version, "sha256", sha,
                          "comment", json_object_get(r->json, "comment"));

    if (db_run(r->db, &err, "INSERT INTO rule_versions(name, version, source, sha256, author, created_at, active) "
                            "VALUES (?, ?, ?, ?, ?, ?, 0)", "sijsss", name, version, src, sha, req_actor(r), at) < 0 ||
        audit_log(r->db, req_actor(r), "rule.store", name, d, &err) != 0 || db_commit(r->db, &err) != 0) {
        json_decref(d);
        json_decref(tests);
        return reply_db_error(r, err);
    }
    json_decref(d);
    return reply_json(r, 201, json_pack("{ss sI ss sb so}", "name", name, "version", (json_int_t)version,
                                        "sha256", sha, "active", 0, "tests", tests));
}

static int h_activate(req *r)
{
    const char *name = r->params[0];
    if (!rules_known(name)) return reply_error(r, 404, "not_found", "没有这个规则：%s", name);
    if (req_require_object(r)) return 0;
    json_t *jv = json_object_get(r->json, "version");
    if (!json_is_integer(jv)) return reply_error(r, 400, "bad_request", "需要整数 version");
    long long version = json_integer_value(jv);
    char *err = NULL;
    json_t *row = db_row(r->db, &err, "SELECT source, sha256, active FROM rule_versions WHERE name = ? AND version = ?",
                         "si", name, version);
    if (!row) {
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "规则 %s 没有版本 %lld", name, version);
    }
    json_t *src = json_object_get(row, "source");
    json_t *tests = NULL;
    if (check_candidate(r, name, json_string_value(src), json_string_length(src), &tests) != 0) {
        json_decref(row);
        return 0;
    }
    if (db_begin(r->db, &err) != 0) goto dberr;
    long long from = db_int(r->db, &err, 0, "SELECT version FROM rule_versions WHERE name = ? AND active = 1", "s", name);
    json_t *d = json_pack("{ss sI sI ss}", "name", name, "from_version", (json_int_t)from, "to_version",
                          (json_int_t)version, "sha256", json_string_value(json_object_get(row, "sha256")));
    int ok = db_run(r->db, &err, "UPDATE rule_versions SET active = 0 WHERE name = ? AND active = 1", "s", name) >= 0 &&
             db_run(r->db, &err, "UPDATE rule_versions SET active = 1 WHERE name = ? AND version = ?", "si", name, version) >= 0 &&
             db_run(r->db, &err, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rules_gen'", "") >= 0 &&
             audit_log(r->db, req_actor(r), version < from ? "rule.rollback" : "rule.activate", name, d, &err) == 0 &&
             db_commit(r->db, &err) == 0;
    json_decref(d);
    if (!ok) goto dberr;
    fprintf(stderr, "security: rule activated: %s version %lld (was %lld) by %s\n", name, version, from, req_actor(r));
    json_t *out = json_pack("{ss sI sI sO so}", "name", name, "version", (json_int_t)version, "previous",
                            (json_int_t)from, "sha256", json_object_get(row, "sha256"), "tests", tests);
    json_decref(row);
    return reply_json(r, 200, out);
dberr:
    json_decref(row);
    json_decref(tests);
    return reply_db_error(r, err);
}

static int h_dry_run(req *r)
{
    const char *name = r->params[0];
    if (!rules_known(name)) return reply_error(r, 404, "not_found", "没有这个规则：%s", name);
    if (req_require_object(r)) return 0;
    json_t *src = json_object_get(r->json, "source");
    json_t *jv = json_object_get(r->json, "version");
    char *err = NULL, *stored = NULL;
    size_t len = 0;
    const char *text = NULL;
    if (json_is_string(src)) {
        text = json_string_value(src);
        len = json_string_length(src);
    } else if (json_is_integer(jv)) {
        stored = db_text(r->db, &err, "SELECT source FROM rule_versions WHERE name = ? AND version = ?", "si", name,
                         (long long)json_integer_value(jv));
        if (!stored) {
            if (err) return reply_db_error(r, err);
            return reply_error(r, 404, "not_found", "没有这个版本");
        }
        text = stored;
        len = strlen(stored);
    } else {
        return reply_error(r, 400, "bad_request", "需要 source（新版本源码）或 version");
    }
    lh_state *cand = lh_new(&spot_config.lua, &err);
    if (!cand || rules_load_candidate(r->db, cand, name, text, len, &err) != 0) {
        json_t *body = json_pack("{ss ss ss sI}", "error", "rule_invalid", "message", err ? err : "编译失败",
                                 "rule", name, "line", (json_int_t)error_line(err, name));
        free(err);
        free(stored);
        lh_free(cand);
        return reply_json(r, 422, body);
    }
    json_t *report = NULL;
    int rc = dryrun_compare(r->db, r->w->lua, cand, json_object_get(r->json, "task"), &report, &err);
    lh_free(cand);
    free(stored);
    if (rc != 0) {
        int out = reply_error(r, 422, "dry_run_failed", "%s", err ? err : "试运行失败");
        free(err);
        return out;
    }
    json_object_set_new(report, "rule", json_string(name));
    return reply_json(r, 200, report);
}

/* POST /api/rules/eval {"rule","fn","args":[…]}: evaluates one call with the active set; the reply
 * names the rule versions that decided (for staff checking a decision, and for the tests). */
static int h_eval(req *r)
{
    if (req_require_object(r)) return 0;
    const char *rule = json_string_value(json_object_get(r->json, "rule"));
    const char *fn = json_string_value(json_object_get(r->json, "fn"));
    json_t *args = json_object_get(r->json, "args");
    if (!rule || !rules_known(rule) || !fn || (args && !json_is_array(args)))
        return reply_error(r, 400, "bad_request", "需要已知的 rule、fn 和数组 args");
    json_t *ret = NULL;
    char *err = NULL;
    json_t *empty = json_array();
    if (!lh_gate_enter(gate_slots())) {
        json_decref(empty);
        return reply_busy(r);
    }
    lh_limits cap = {spot_config.lua.instructions / EVAL_PLANNER_SHARE, spot_config.lua.millis / EVAL_PLANNER_SHARE, 0};
    if (!ctx_has_role(&r->ctx, ROLE_ADMIN)) lh_set_call_cap(r->w->lua, &cap);
    int rc = lh_call(r->w->lua, rule, fn, args ? args : empty, &ret, &err);
    lh_set_call_cap(r->w->lua, NULL);
    lh_gate_leave();
    json_decref(empty);
    if (rc != 0) {
        int out = reply_error(r, 422, "rule_error", "%s", err ? err : "规则执行失败");
        free(err);
        return out;
    }
    return reply_json(r, 200, json_pack("{so sO sI}", "results", ret, "versions", r->w->rule_versions,
                                        "generation", (json_int_t)r->w->rules_gen));
}

const struct route rules_routes[] = {
    {"GET", "/api/rules", ROLE_STAFF, h_list},
    {"POST", "/api/rules/eval", ROLE_ADMIN | ROLE_PLANNER | ROUTE_LUA, h_eval},
    {"GET", "/api/rules/{name}", ROLE_STAFF, h_get},
    {"PUT", "/api/rules/{name}", ROLE_ADMIN | ROUTE_LUA, h_put},
    {"POST", "/api/rules/{name}/dry-run", ROLE_ADMIN | ROUTE_LUA, h_dry_run},
    {"POST", "/api/rules/{name}/activate", ROLE_ADMIN | ROUTE_LUA, h_activate},
    {0},
};
