/* objections.c: objections to published results (clause 9.2). Who may do what: see
 * http/api_objections.c. Views carry "deadlines": {"review": {date, days, reason, clause, warning,
 * level}, "feedback": …}.
 */
#include "objections.h"
#include "access.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "decide.h"
#include "jsonutil.h"
#include "attachments.h"
#include "results.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define TEXT_MAX 8000

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "objections", err);
}

/* The review or feedback deadline of objection o (prefix "review"/"feedback") with its level today
 * when open. New reference (json null when there is none), or NULL with *e. */
static json_t *deadline_of(spot_ctx *c, json_t *o, const char *prefix, const char *today, int open, spot_err *e)
{
    char k[32];
    snprintf(k, sizeof k, "%s_due", prefix);
    const char *due = json_string_value(json_object_get(o, k));
    if (!due) return json_null();
    json_t *d = json_pack("{ss}", "date", due);
    static const char *const parts[] = {"reason", "clause", "warning", "rule_sha", NULL};
    for (const char *const *p = parts; *p; p++) {
        snprintf(k, sizeof k, "%s_%s", prefix, *p);
        json_object_set(d, *p, json_object_get(o, k) ? json_object_get(o, k) : json_null());
    }
    if (open) {
        json_t *lv = decide_level(c, due, today, e);
        if (!lv) { json_decref(d); return NULL; }
        json_object_set(d, "level", json_object_get(lv, "level"));
        json_object_set(d, "level_reason", json_object_get(lv, "reason"));
        json_decref(lv);
    } else {
        json_object_set_new(d, "level", json_string("done"));
    }
    return d;
}

/* The objection id as shown to staff. New reference or NULL with *e (404 when there is none). */
static json_t *objection_view(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT o.*, r.task_id, r.uscc FROM objections o JOIN results r ON r.id = o.result_id "
                                             "WHERE o.id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个异议");
        return NULL;
    }
    char today[16];
    clock_today(today);
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *rv = deadline_of(c, o, "review", today, !strcmp(status, "received"), e);
    json_t *fb = rv ? deadline_of(c, o, "feedback", today, !strcmp(status, "decided"), e) : NULL;
    if (!fb) { json_decref(rv); json_decref(o); return NULL; }
    json_object_set(o, "review_warning", json_object_get(rv, "level"));
    json_object_set(o, "feedback_warning", json_object_get(fb, "level"));
    json_object_set_new(o, "deadlines", json_pack("{so so}", "review", rv, "feedback", fb));
    json_t *files = db_rows(c->db, &err, "SELECT id, name, mime, size, sha256 FROM attachments WHERE objection_id = ? "
                                         "ORDER BY id", "i", id);
    if (!files) { json_decref(o); return fail_db(e, err), NULL; }
    json_object_set_new(o, "attachments", files);
    return o;
}

/* 9.2 checks of an objection to result result_id received on date received: the result is
 * published and the objection lies within the rule's filing period. Returns the review deadline
 * (decide_deadline's object, new reference) or NULL with *e. */
static json_t *admissible(spot_ctx *c, long long result_id, const char *received, const char *today, spot_err *e)
{
    char *err = NULL;
    json_t *res = db_row(c->db, &err, "SELECT status, coalesce(published_date, '') AS published_date FROM results "
                                      "WHERE id = ?", "i", result_id);
    if (err) return fail_db(e, err), NULL;
    if (!res) return spot_fail(e, SPOT_E_INVALID, "unknown_result", "没有编号为 %lld 的检查结果", result_id), NULL;
    int published = !strcmp(json_string_value(json_object_get(res, "status")), "published");
    json_t *pub_date = json_incref(json_object_get(res, "published_date"));
    json_decref(res);
    if (!published) {
        json_decref(pub_date);
        return spot_fail(e, SPOT_E_CONFLICT, "not_published", "只能对已公示的检查结果提出异议"), NULL;
    }
    /* 9.2: received within the filing period after publication (deadlines.objection_admissible) */
    json_t *adm = decide_call(c, "deadlines", "objection_admissible", json_pack("[os]", pub_date, received), e);
    if (!adm) return NULL;
    json_t *a0 = json_array_get(adm, 0);
    if (!json_is_object(a0) || !json_is_boolean(json_object_get(a0, "ok"))) {
        json_decref(adm);
        return spot_fail(e, SPOT_E_RULE, "rule_error", "规则 deadlines.objection_admissible 应返回 {ok, reason, clause}"), NULL;
    }
    if (!json_is_true(json_object_get(a0, "ok"))) {
        spot_fail(e, SPOT_E_INVALID, "objection_not_admissible", "%s（第%s条）",
                  json_string_value(json_object_get(a0, "reason")) ? json_string_value(json_object_get(a0, "reason")) : "",
                  json_string_value(json_object_get(a0, "clause")) ? json_string_value(json_object_get(a0, "clause")) : "9.2");
        json_decref(adm);
        return NULL;
    }
    json_decref(adm);
    return decide_deadline(c, "objection_review_due", received, today, e);
}

/* Inserts the objection with its audit record (action) into the caller's transaction. Returns its
 * id, or -1 with *err. */
static long long insert_objection(sqlite3 *db, const char *actor, const char *action, long long result_id,
                                  const char *applicant, const char *contact, const char *received, const char *text,
                                  const char *source, json_t *due, char **err)
{
    char at[32], obj[64];
    clock_now_rfc3339(at);
    if (db_run(db, err, "INSERT INTO objections(result_id, applicant, contact, received, text, source, review_due, "
                        "review_reason, review_clause, review_warning, review_rule_sha, created_by, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", "isssssjjjjjss", result_id, applicant, contact, received, text,
               source, json_object_get(due, "date"), json_object_get(due, "reason"), json_object_get(due, "clause"),
               json_object_get(due, "warning"), json_object_get(due, "rule_sha"), actor, at) != 1)
        return -1;
    long long id = sqlite3_last_insert_rowid(db);
    snprintf(obj, sizeof obj, "objection:%lld", id);
    json_t *ad = json_pack("{sI ss ss sO sO sO}", "result_id", (json_int_t)result_id, "received", received, "source", source,
                           "review_due", json_object_get(due, "date"), "reason", json_object_get(due, "reason"), "rule_sha",
                           json_object_get(due, "rule_sha"));
    int rc = audit_log(db, actor, action, obj, ad, err);
    json_decref(ad);
    return rc == 0 ? id : -1;
}

json_t *objections_create(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"result_id", "received", "text", "applicant", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *rid = json_object_get(in, "result_id"), *app = json_object_get(in, "applicant");
    const char *received = json_string_value(json_object_get(in, "received"));
    const char *text = json_string_value(json_object_get(in, "text"));
    if (!json_is_integer(rid) || !received || !text || !*text || strlen(text) > TEXT_MAX ||
        (app && !(json_is_string(app) && json_string_length(app) <= 400)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 result_id、received（收到日期）和 text（异议内容，不超过 %d 字节）",
                         TEXT_MAX), NULL;
    char today[16];
    clock_today(today);
    if (!clock_valid_date(received) || strcmp(received, today) > 0)
        return spot_fail(e, SPOT_E_INPUT, "bad_date", "收到日期应为不晚于今天的 YYYY-MM-DD 日期"), NULL;
    long long result_id = json_integer_value(rid);
    json_t *due = admissible(c, result_id, received, today, e);
    if (!due) return NULL;
    char *err = NULL;
    long long id = -1;
    if (db_begin(c->db, &err) == 0)
        id = insert_objection(c->db, ctx_actor(c), "objection.create", result_id, json_is_string(app) ? json_string_value(app) : "",
                              "", received, text, "staff", due, &err);
    int ok = id > 0 && db_commit(c->db, &err) == 0;
    json_decref(due);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return objection_view(c, id, e);
}

/* ---- online objections (9.2, SPEC §12) ---------------------------------------------------------
 * The code: 12 characters of Crockford's base32 alphabet (60 random bits), shown as XXXX-XXXX-XXXX;
 * stored as SHA-256 over "USCC:CODE". Ten wrong codes for a unit lock its codes for an hour; thirty
 * wrong tries from one address within the hour refuse that address for the rest of it. */
#define CODE_LEN 12
#define CODE_TRIES 10
#define CODE_LOCK_SECONDS 3600
#define IP_TRIES 30
#define ONLINE_FILES_MAX 5

static const char CODE_ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Hex SHA-256 of "uscc:code" into hex (65 bytes). */
static void code_hash(const char *uscc, const char *code, char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)uscc, strlen(uscc));
    crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)code, strlen(code));
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

int objections_code_issue(sqlite3 *db, long long task_id, const char *uscc, long long document_id, char code[16],
                          char **err)
{
    char raw[CODE_LEN + 1], hex[65], at[32];
    for (int i = 0; i < CODE_LEN; i++) raw[i] = CODE_ALPHABET[randombytes_uniform(32)];
    raw[CODE_LEN] = 0;
    code_hash(uscc, raw, hex);
    clock_now_rfc3339(at);
    snprintf(code, 16, "%.4s-%.4s-%.4s", raw, raw + 4, raw + 8);
    sodium_memzero(raw, sizeof raw);
    return db_run(db, err, "INSERT INTO objection_codes(task_id, uscc, code_sha256, document_id, issued_at) VALUES (?,?,?,?,?) "
                           "ON CONFLICT(task_id, uscc) DO UPDATE SET code_sha256 = excluded.code_sha256, "
                           "document_id = excluded.document_id, issued_at = excluded.issued_at, objection_id = NULL",
                  "issis", task_id, uscc, hex, document_id, at) == 1 ? 0 : -1;
}

/* The code as typed, upper-cased without spaces and dashes, into out (CODE_LEN + 1). 0 when it has
 * the form of a code, -1 otherwise. */
static int code_normal(const char *typed, char out[CODE_LEN + 1])
{
    size_t n = 0;
    for (const char *p = typed; *p; p++) {
        char ch = *p;
        if (ch == '-' || ch == ' ') continue;
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        if (ch == 'O') ch = '0';
        if (ch == 'I' || ch == 'L') ch = '1';
        if (!strchr(CODE_ALPHABET, ch) || n == CODE_LEN) return -1;
        out[n++] = ch;
    }
    out[n] = 0;
    return n == CODE_LEN ? 0 : -1;
}

/* Records a wrong try for uscc from ip in its own transaction: counts toward the unit's lock and the
 * address's limit. */
static void record_wrong(sqlite3 *db, const char *uscc, const char *ip, long long now)
{
    if (db_begin(db, NULL) != 0) return;
    db_run(db, NULL, "UPDATE objection_codes SET failures = CASE WHEN failures + 1 >= ? THEN 0 ELSE failures + 1 END, "
                     "locked_until = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_until END WHERE uscc = ?",
           "iiis", (long long)CODE_TRIES, (long long)CODE_TRIES, now + CODE_LOCK_SECONDS, uscc);
    db_run(db, NULL, "INSERT INTO objection_failures(ip, at) VALUES (?, ?)", "si", ip, now);
    db_run(db, NULL, "DELETE FROM objection_failures WHERE at < ?", "i", now - 86400);
    db_commit(db, NULL);
}

/* The decoded attachments of an online objection, checked like uploads. */
struct online_file {
    const char *name, *mime;
    unsigned char *data;
    size_t len;
};

/* Decodes and checks in's "attachments" ([{name, content_type, data (base64)}], at most
 * ONLINE_FILES_MAX) into files; returns their count, or -1 with *e. The caller frees each data. */
static int online_files(json_t *list, struct online_file files[ONLINE_FILES_MAX], spot_err *e)
{
    if (!list) return 0;
    if (!json_is_array(list) || json_array_size(list) > ONLINE_FILES_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_attachments", "attachments 应为不超过 %d 个附件的数组", ONLINE_FILES_MAX);
    size_t i;
    json_t *f;
    int n = 0;
    json_array_foreach(list, i, f) {
        static const char *const fields[] = {"name", "content_type", "data", NULL};
        if (!json_is_object(f) || spot_check_fields(f, fields, e) != 0) {
            if (json_is_object(f)) return -1;
            return spot_fail(e, SPOT_E_INPUT, "bad_attachments", "第 %zu 个附件应为 {name, content_type, data}", i + 1);
        }
        const char *data = json_string_value(json_object_get(f, "data"));
        const char *ct = json_string_value(json_object_get(f, "content_type"));
        if (!data) return spot_fail(e, SPOT_E_INPUT, "bad_attachments", "第 %zu 个附件缺少内容（data，Base64）", i + 1);
        size_t cap = strlen(data) / 4 * 3 + 3, len = 0;
        unsigned char *bin = malloc(cap ? cap : 1);
        if (!bin) return spot_fail_db(e, "objections", strdup("out of memory"));
        if (sodium_base642bin(bin, cap, data, strlen(data), " \r\n", &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(bin);
            return spot_fail(e, SPOT_E_INPUT, "bad_attachments", "第 %zu 个附件的内容不是有效的 Base64", i + 1);
        }
        files[n] = (struct online_file){.name = json_string_value(json_object_get(f, "name")), .data = bin, .len = len};
        n++;
        files[n - 1].mime = attachments_check(files[n - 1].name, ct, (const char *)bin, len, e);
        if (!files[n - 1].mime) {
            for (int k = 0; k < n; k++) free(files[k].data);
            return -1;
        }
    }
    return n;
}

json_t *objections_file_online(spot_ctx *c, json_t *in, spot_err *e)
{
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"uscc", "code", "text", "applicant", "contact", "attachments", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    const char *uscc = json_string_value(json_object_get(in, "uscc"));
    const char *typed = json_string_value(json_object_get(in, "code"));
    const char *text = json_string_value(json_object_get(in, "text"));
    const char *applicant = json_string_value(json_object_get(in, "applicant"));
    json_t *contact = json_object_get(in, "contact");
    if (!uscc || !*uscc || strlen(uscc) > 64 || !typed || strlen(typed) > 64)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "请填写统一社会信用代码和异议查询码"), NULL;
    if (!text || !*text || strlen(text) > TEXT_MAX)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "请填写异议内容（不超过 %d 字节）", TEXT_MAX), NULL;
    if (!applicant || !*applicant || strlen(applicant) > 400 ||
        (contact && !(json_is_string(contact) && json_string_length(contact) <= 100)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "请填写提出人（单位或姓名，不超过 400 字节）；联系方式不超过 100 字节"), NULL;

    struct online_file files[ONLINE_FILES_MAX];
    int nfiles = online_files(json_object_get(in, "attachments"), files, e);
    if (nfiles < 0) return NULL;

    json_t *out = NULL, *code_row = NULL, *due = NULL, *res = NULL;
    char *err = NULL, code[CODE_LEN + 1], hex[65], today[16];
    const char *ip = c->client_ip ? c->client_ip : "";
    long long now = clock_unix();
    clock_today(today);
    if (db_int(c->db, NULL, 0, "SELECT count(*) FROM objection_failures WHERE ip = ? AND at > ?", "si", ip,
               now - CODE_LOCK_SECONDS) >= IP_TRIES) {
        spot_fail(e, SPOT_E_LIMIT, "throttled", "错误次数过多，请 1 小时后再试");
        goto done;
    }
    if (db_int(c->db, NULL, 0, "SELECT count(*) FROM objection_codes WHERE uscc = ? AND locked_until > ?", "si", uscc, now) > 0) {
        fprintf(stderr, "security: objection code locked: ip=%s\n", ip);
        spot_fail(e, SPOT_E_LIMIT, "locked", "该单位的异议查询码错误次数过多，已锁定 1 小时，请稍后再试");
        goto done;
    }
    if (code_normal(typed, code) == 0) {
        code_hash(uscc, code, hex);
        sodium_memzero(code, sizeof code);
        code_row = db_row(c->db, &err, "SELECT task_id FROM objection_codes WHERE uscc = ? AND code_sha256 = ? "
                                       "AND objection_id IS NULL", "ss", uscc, hex);
        if (err) { fail_db(e, err); goto done; }
    }
    if (!code_row) {
        record_wrong(c->db, uscc, ip, now);
        fprintf(stderr, "security: objection code refused: ip=%s\n", ip);
        spot_fail(e, SPOT_E_FORBIDDEN, "bad_code", "统一社会信用代码或异议查询码不正确（查询码见随机抽查通知书；每个查询码只能提交一次异议）");
        goto done;
    }
    long long task_id = json_integer_value(json_object_get(code_row, "task_id"));
    res = db_row(c->db, &err, "SELECT id FROM results WHERE task_id = ? AND uscc = ?", "is", task_id, uscc);
    if (err) { fail_db(e, err); goto done; }
    if (!res) { spot_fail(e, SPOT_E_CONFLICT, "not_published", "该单位的检查结果尚未公示，公示后才能提出异议"); goto done; }
    long long result_id = json_integer_value(json_object_get(res, "id"));
    due = admissible(c, result_id, today, today, e);
    if (!due) {
        if (!strcmp(e->code, "not_published")) spot_fail(e, SPOT_E_CONFLICT, "not_published", "该单位的检查结果尚未公示，公示后才能提出异议");
        goto done;
    }
    char actor[96];
    snprintf(actor, sizeof actor, "online:%s", uscc);
    json_t *stored = json_array();
    long long id = -1;
    int ok = db_begin(c->db, &err) == 0 &&
             (id = insert_objection(c->db, actor, "objection.file_online", result_id, applicant,
                                    json_is_string(contact) ? json_string_value(contact) : "", today, text, "online", due,
                                    &err)) > 0;
    for (int i = 0; ok && i < nfiles; i++) {
        json_t *a = attachments_insert_objection_file(c->db, actor, task_id, result_id, id, files[i].name, files[i].mime,
                                                      (const char *)files[i].data, files[i].len, &err);
        if (a) json_array_append_new(stored, json_pack("{sO sO sO}", "name", json_object_get(a, "name"), "size",
                                                       json_object_get(a, "size"), "sha256", json_object_get(a, "sha256")));
        ok = a != NULL;
        json_decref(a);
    }
    ok = ok && db_run(c->db, &err, "UPDATE objection_codes SET objection_id = ?, failures = 0 WHERE task_id = ? AND uscc = ? "
                                   "AND objection_id IS NULL", "iis", id, task_id, uscc) == 1 &&
         db_commit(c->db, &err) == 0;
    if (!ok) {
        json_decref(stored);
        fail_db(e, err ? err : strdup("objection code changed"));
        goto done;
    }
    out = json_pack("{sI ss ss sO? sO? ss so}", "id", (json_int_t)id, "uscc", uscc, "received", today, "review_due",
                    json_object_get(due, "date"), "review_clause", json_object_get(due, "clause"), "status", "received",
                    "attachments", stored);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    for (int i = 0; i < nfiles; i++) free(files[i].data);
    json_decref(res);
    json_decref(due);
    json_decref(code_row);
    return out;
}

/* The certificate an inspector caller is limited by (objections of tasks with them on a team), or
 * NULL for the other staff roles, who see every objection. "" for an inspector without one. */
static const char *inspector_scope(spot_ctx *c)
{
    if (!ctx_has_role(c, ROLE_INSPECTOR)) return NULL;
    return c->user->cert_no;
}

json_t *objections_list(spot_ctx *c, const char *status, const char *q, long long page, long long per_page, spot_err *e)
{
    if (status && !*status) status = NULL;
    if (q && !*q) q = NULL;
    if (status && strcmp(status, "received") && strcmp(status, "decided") && strcmp(status, "closed"))
        return spot_fail(e, SPOT_E_INPUT, "bad_parameter", "status 应为 received（已受理）、decided（已决定）或 closed（已反馈）"), NULL;
    char *err = NULL;
    /* q: literally part of the unit's USCC or name, or of the applicant */
    static const char where[] =
        "FROM objections o JOIN results r ON r.id = o.result_id LEFT JOIN result_units ru ON ru.result_id = r.id "
        "WHERE (?1 IS NULL OR o.status = ?1) AND (?2 IS NULL OR EXISTS (SELECT 1 FROM task_teams t, "
        "json_each(t.inspectors) j WHERE t.task_id = r.task_id AND j.value = ?2)) AND (?3 IS NULL OR "
        "instr(r.uscc, ?3) > 0 OR instr(ru.name, ?3) > 0 OR instr(o.applicant, ?3) > 0) ";
    char sql[800];
    snprintf(sql, sizeof sql, "SELECT o.id %sORDER BY o.id DESC LIMIT ?4 OFFSET ?5", where);
    json_t *ids = db_rows(c->db, &err, sql, "sssii", status, inspector_scope(c), q, per_page, (page - 1) * per_page);
    snprintf(sql, sizeof sql, "SELECT count(*) %s", where);
    long long total = ids ? db_int(c->db, &err, 0, sql, "sss", status, inspector_scope(c), q) : 0;
    if (!ids || err) return json_decref(ids), fail_db(e, err), NULL;
    json_t *list = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x) {
        json_t *o = objection_view(c, json_integer_value(json_object_get(x, "id")), e);
        if (!o) {
            json_decref(ids);
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, o);
    }
    json_decref(ids);
    return json_pack("{so sI sI sI}", "objections", list, "total", (json_int_t)total, "page", (json_int_t)page,
                     "per_page", (json_int_t)per_page);
}

json_t *objections_get(spot_ctx *c, long long id, spot_err *e)
{
    json_t *o = objection_view(c, id, e);
    if (!o || !inspector_scope(c)) return o;
    int staff = access_task_staff(c, json_integer_value(json_object_get(o, "task_id")), 0, e);
    if (staff > 0) return o;
    json_decref(o);
    if (staff == 0) spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务检查组的成员可以查看该任务的异议");
    return NULL;
}

/* The stored objection id (new ref), or NULL with *e (404). */
static json_t *objection_row(spot_ctx *c, long long id, spot_err *e)
{
    char *err = NULL;
    json_t *o = id > 0 ? db_row(c->db, &err, "SELECT * FROM objections WHERE id = ?", "i", id) : NULL;
    if (!o) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个异议");
    }
    return o;
}

json_t *objections_decide(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *o = objection_row(c, id, e), *due = NULL, *changes = NULL, *ad = NULL, *out = NULL;
    if (!o) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"decision", "reason", "decided", "changes", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *decision = json_string_value(json_object_get(in, "decision"));
    const char *reason = json_string_value(json_object_get(in, "reason"));
    const char *decided = json_string_value(json_object_get(in, "decided"));
    char today[16], at[32], obj[64];
    clock_today(today);
    clock_now_rfc3339(at);
    if (!decided && !json_object_get(in, "decided")) decided = today;
    if (!decision || (strcmp(decision, "upheld") && strcmp(decision, "rejected"))) {
        spot_fail(e, SPOT_E_INPUT, "bad_decision", "decision 应为 upheld（异议成立）或 rejected（异议不成立）");
        goto done;
    }
    if (!reason || !*reason || strlen(reason) > TEXT_MAX) {
        spot_fail(e, SPOT_E_INPUT, "reason_required", "复核决定须说明理由");
        goto done;
    }
    if (!decided || !clock_valid_date(decided) || strcmp(decided, today) > 0 ||
        strcmp(decided, json_string_value(json_object_get(o, "received"))) < 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "decided 应为收到日期之后、不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "received")) {
        spot_fail(e, SPOT_E_CONFLICT, "decided", "该异议已作出复核决定");
        goto done;
    }
    int upheld = !strcmp(decision, "upheld");
    long long result_id = json_integer_value(json_object_get(o, "result_id"));
    json_t *given = json_object_get(in, "changes");
    if (given && !upheld) { spot_fail(e, SPOT_E_INPUT, "bad_request", "异议不成立时不能给出 changes"); goto done; }
    if (given) {
        json_t *res = results_load(c, result_id, 0, e);
        if (!res) { if (e->kind == SPOT_E_NOTFOUND) fail_db(e, strdup("result missing")); goto done; }
        changes = results_check_changes(c, res, given, e);
        json_decref(res);
        if (!changes) goto done;
    }
    due = decide_deadline(c, "feedback_due", decided, today, e);
    if (!due) goto done;
    snprintf(obj, sizeof obj, "objection:%lld", id);
    const char *actor = ctx_actor(c);
    long long cid = 0;
    int ok = db_begin(c->db, &err) == 0;
    if (ok && upheld) {
        if (!changes) changes = json_object();
        char *why = xprintf("异议成立（%s收到，%s决定）：%s", json_string_value(json_object_get(o, "received")), decided, reason);
        ok = db_run(c->db, &err, "INSERT INTO result_corrections(result_id, reason, changes, source, objection_id, rule_sha, "
                                 "requested_by, requested_at) VALUES (?,?,?,'objection',?,?,?,?)", "isjisss", result_id, why,
                    changes, id, json_object_get(changes, "category") ? worker_rule_sha(c->w, "categories") : "", actor,
                    at) == 1;
        free(why);
        cid = sqlite3_last_insert_rowid(c->db);
    }
    ad = json_pack("{ss ss ss sO sO so}", "decision", decision, "reason", reason, "decided", decided, "feedback_due",
                   json_object_get(due, "date"), "rule_sha", json_object_get(due, "rule_sha"), "correction_id",
                   cid ? json_integer(cid) : json_null());
    ok = ok && db_run(c->db, &err, "UPDATE objections SET status = 'decided', decision = ?, decision_reason = ?, decided = ?, "
                                   "decided_by = ?, feedback_due = ?, feedback_reason = ?, feedback_clause = ?, "
                                   "feedback_warning = ?, feedback_rule_sha = ?, correction_id = ? "
                                   "WHERE id = ? AND status = 'received'", "ssssjjjjjji", decision, reason, decided,
                      actor, json_object_get(due, "date"), json_object_get(due, "reason"),
                      json_object_get(due, "clause"), json_object_get(due, "warning"), json_object_get(due, "rule_sha"),
                      cid ? json_object_get(ad, "correction_id") : NULL, id) == 1 &&
         audit_log(c->db, actor, "objection.decide", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = objection_view(c, id, e);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(changes);
    json_decref(due);
    json_decref(o);
    return out;
}

json_t *objections_feedback(spot_ctx *c, long long id, json_t *in, spot_err *e)
{
    json_t *o = objection_row(c, id, e), *ad = NULL, *out = NULL;
    if (!o) return NULL;
    char *err = NULL;
    if (!json_is_object(in)) { spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"); goto done; }
    static const char *const fields[] = {"sent", "note", NULL};
    if (spot_check_fields(in, fields, e) != 0) goto done;
    const char *sent = json_string_value(json_object_get(in, "sent"));
    char today[16], obj[64];
    clock_today(today);
    if (!sent || !clock_valid_date(sent) || strcmp(sent, today) > 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "sent 应为不晚于今天的 YYYY-MM-DD 日期");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(o, "status")), "decided")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_decided", "该异议尚未作出复核决定或已反馈");
        goto done;
    }
    if (strcmp(sent, json_string_value(json_object_get(o, "decided"))) < 0) {
        spot_fail(e, SPOT_E_INPUT, "bad_date", "反馈日期不能早于复核决定日期");
        goto done;
    }
    snprintf(obj, sizeof obj, "objection:%lld", id);
    int late = strcmp(sent, json_string_value(json_object_get(o, "feedback_due"))) > 0;
    const char *actor = ctx_actor(c);
    ad = json_pack("{ss sO sb}", "sent", sent, "feedback_due", json_object_get(o, "feedback_due"), "late", late);
    int ok = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE objections SET status = 'closed', feedback_sent = ?, feedback_by = ? "
                                 "WHERE id = ? AND status = 'decided'", "ssi", sent, actor, id) == 1 &&
             audit_log(c->db, actor, "objection.feedback", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    if (!ok) { fail_db(e, err); goto done; }
    out = objection_view(c, id, e);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(ad);
    json_decref(o);
    return out;
}
