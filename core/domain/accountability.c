/* accountability.c: accountability (clauses 10.1, 10.2).
 *
 * Routes
 *   GET  /api/accountability[?today=YYYY-MM-DD]   auditor, head, admin: {today, situations:[{kind,
 *        object, reason, clause, level, exempted, exemption}], exemptions, rule_sha}. The state handed
 *        to accountability.situations(state, today) (rules/README.md): tasks that ended before today
 *        (not drafts) with their unit, entered and published result counts; referrals still to be
 *        made; objections not closed. today defaults to the bureau's date (a past or future date
 *        shows the situations as of that day).
 *   POST /api/accountability/exemptions {kind, object, code, reason}   head, admin: records a 10.2
 *        exemption when accountability.exempt(kind, code) allows it, with the rule's reason, clause
 *        and sha. object is "task:N", "referral:N" or "objection:N" and must exist.
 */
#include "accountability.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "results.h"
#include "tasks.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 4000

/* The state table of rules/accountability.lua as of today. New reference or NULL with *err. */
static json_t *state_of(sqlite3 *db, const char *today, char **err)
{
    json_t *tasks = db_rows(db, err,
        "SELECT t.id, t.name, t.end_date, t.status, "
        "(SELECT count(*) FROM task_units u WHERE u.task_id = t.id) AS units, "
        "(SELECT count(*) FROM results r WHERE r.task_id = t.id) AS results_entered, "
        "(SELECT count(*) FROM results r WHERE r.task_id = t.id AND r.status = 'published') AS results_published "
        "FROM tasks t WHERE t.status <> 'draft' AND t.end_date < ? ORDER BY t.id", "s", today);
    if (!tasks) return NULL;
    json_t *refs = db_rows(db, err, "SELECT id, result_id, found_date FROM followups WHERE kind = 'referral' "
                                    "AND state = 'found' ORDER BY id", "");
    if (!refs) { json_decref(tasks); return NULL; }
    size_t i;
    json_t *x;
    json_array_foreach(refs, i, x) {
        json_object_set_new(x, "suspected_crime", json_true());
        json_object_set_new(x, "referred", json_false());
    }
    json_t *objs = db_rows(db, err, "SELECT id, received, review_due, decided, feedback_due, feedback_sent FROM objections "
                                    "WHERE status <> 'closed' ORDER BY id", "");
    if (!objs) { json_decref(tasks); json_decref(refs); return NULL; }
    return json_pack("{so so so}", "tasks", tasks, "referrals", refs, "objections", objs);
}

static int h_list(req *r)
{
    char today[16];
    const char *q = req_query(r, "today");
    if (q && *q) {
        if (!clock_valid_date(q)) return reply_error(r, 400, "bad_date", "today 应为 YYYY-MM-DD 日期");
        snprintf(today, sizeof today, "%s", q);
    } else {
        clock_today(today);
    }
    char *err = NULL;
    json_t *state = state_of(r->db, today, &err);
    if (!state) return reply_db_error(r, err);
    json_t *ret = results_rule(r, "accountability", "situations", json_pack("[os]", state, today), &err);
    if (!ret) return reply_rule_error(r, err);
    json_t *list = json_array_get(ret, 0);
    if (!json_is_array(list)) list = json_array(); /* an empty Lua table comes back as {} */
    else json_incref(list);
    json_decref(ret);
    json_t *ex = db_rows(r->db, &err, "SELECT id, kind, object, code, reason, rule_reason, clause, rule_sha, actor, at "
                                      "FROM exemptions ORDER BY id", "");
    if (!ex) { json_decref(list); return reply_db_error(r, err); }
    size_t i, k;
    json_t *s, *e;
    json_array_foreach(list, i, s) {
        json_t *found = NULL;
        json_array_foreach(ex, k, e)
            if (json_equal(json_object_get(e, "kind"), json_object_get(s, "kind")) &&
                json_equal(json_object_get(e, "object"), json_object_get(s, "object"))) found = e;
        json_object_set_new(s, "exempted", json_boolean(found != NULL));
        json_object_set(s, "exemption", found ? found : json_null());
    }
    return reply_json(r, 200, json_pack("{ss so so ss}", "today", today, "situations", list, "exemptions", ex, "rule_sha",
                                        worker_rule_sha(r->w, "accountability")));
}

/* Whether object ("task:N", "referral:N", "objection:N") exists: 1, 0, -1 with *err. */
static int object_exists(sqlite3 *db, const char *object, char **err)
{
    static const struct { const char *prefix; const char *sql; } KINDS[] = {
        {"task:", "SELECT count(*) FROM tasks WHERE id = ?"},
        {"referral:", "SELECT count(*) FROM followups WHERE id = ? AND kind = 'referral'"},
        {"objection:", "SELECT count(*) FROM objections WHERE id = ?"},
    };
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
        size_t n = strlen(KINDS[i].prefix);
        if (strncmp(object, KINDS[i].prefix, n)) continue;
        const char *num = object + n;
        if (!*num || strlen(num) > 18 || strspn(num, "0123456789") != strlen(num)) return 0;
        long long c = db_int(db, err, 0, KINDS[i].sql, "i", atoll(num));
        return *err ? -1 : c > 0;
    }
    return 0;
}

static int h_exempt(req *r)
{
    if (req_require_object(r)) return 0;
    static const char *const fields[] = {"kind", "object", "code", "reason", NULL};
    if (req_check_fields(r, r->json, fields) != 0) return 0;
    const char *kind = json_string_value(json_object_get(r->json, "kind"));
    const char *object = json_string_value(json_object_get(r->json, "object"));
    const char *code = json_string_value(json_object_get(r->json, "code"));
    const char *reason = json_string_value(json_object_get(r->json, "reason"));
    if (!kind || !object || !code || !reason || !*reason || strlen(reason) > REASON_MAX || strlen(kind) > 64 ||
        strlen(code) > 64)
        return reply_error(r, 400, "bad_request", "需要 kind、object、code 和 reason（说明，不超过 %d 字节）", REASON_MAX);
    char *err = NULL;
    int ex = object_exists(r->db, object, &err);
    if (ex < 0) return reply_db_error(r, err);
    if (!ex) return reply_error(r, 422, "unknown_object", "对象“%s”不存在（应为 task:编号、referral:编号 或 objection:编号）", object);
    json_t *ret = results_rule(r, "accountability", "exempt", json_pack("[ss]", kind, code), &err);
    if (!ret) return reply_rule_error(r, err);
    json_t *d = json_array_get(ret, 0);
    const char *rr = json_string_value(json_object_get(d, "reason"));
    const char *clause = json_string_value(json_object_get(d, "clause"));
    if (!json_is_true(json_object_get(d, "ok"))) {
        int out = reply_error(r, 422, "exemption_refused", "%s", rr ? rr : "不予免责");
        json_decref(ret);
        return out;
    }
    char at[32];
    clock_now_rfc3339(at);
    const char *sha = worker_rule_sha(r->w, "accountability");
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO exemptions(kind, object, code, reason, rule_reason, clause, rule_sha, actor, at) "
                                 "VALUES (?,?,?,?,?,?,?,?,?)", "sssssssss", kind, object, code, reason, rr ? rr : "",
                    clause ? clause : "10.2", sha, req_actor(r), at) == 1;
    long long id = sqlite3_last_insert_rowid(r->db);
    json_t *ad = json_pack("{ss ss ss ss ss ss}", "kind", kind, "code", code, "reason", reason, "rule_reason", rr ? rr : "",
                           "clause", clause ? clause : "10.2", "rule_sha", sha);
    ok = ok && audit_log(r->db, req_actor(r), "accountability.exempt", object, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) { json_decref(ret); return reply_db_error(r, err); }
    json_t *out = json_pack("{sI ss ss ss ss ss ss ss ss ss}", "id", (json_int_t)id, "kind", kind, "object", object, "code",
                            code, "reason", reason, "rule_reason", rr ? rr : "", "clause", clause ? clause : "10.2",
                            "rule_sha", sha, "actor", req_actor(r), "at", at);
    json_decref(ret);
    return reply_json(r, 201, out);
}

const struct route accountability_routes[] = {
    {"GET", "/api/accountability", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_list},
    {"POST", "/api/accountability/exemptions", ROLE_ADMIN | ROLE_HEAD, h_exempt},
    {0},
};
