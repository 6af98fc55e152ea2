/* auth.c: accounts, sessions, CSRF, login throttling and the session/user routes. */
#include "auth.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* Argon2id cost: about 19 MiB and 2 passes (OWASP's minimum), so that four workers hashing at once
 * stay well inside the server's memory budget. */
#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u << 20)

/* Throttling: failures counted over a window, per user and per address. */
#define THROTTLE_WINDOW 900
#define THROTTLE_PER_USER 5
#define THROTTLE_PER_IP 30

static void token_hash(const char *token, char out[65])
{
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    hex_encode(out, h, 32);
}

static void random_hex(char out[65])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    hex_encode(out, b, 32);
}

/* Finds the value of cookie `name` in the Cookie header; copies it into out. */
static int cookie_value(const char *header, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';') p++;
        if (!strncmp(p, name, nlen) && p[nlen] == '=') {
            p += nlen + 1;
            size_t n = strcspn(p, ";");
            if (n >= cap) return 0;
            memcpy(out, p, n);
            out[n] = 0;
            return 1;
        }
        p = strchr(p, ';');
    }
    return 0;
}

/* Each worker thread remembers the sessions it resolved lately, so that a client's next request
 * costs no query. An entry is trusted only at the change epoch it was read at (worker.h): a logout,
 * a deactivation, a role or password change, a new login, anything committed by any worker or
 * process, moves the epoch and every worker asks the database again on its next request. Expiry is
 * checked against the clock on every hit; an entry is at most SESSION_CACHE_TTL seconds old. */
#define SESSION_CACHE_SLOTS 16
#define SESSION_CACHE_TTL 5

struct session_entry {
    char th[65];                 /* token hash; "" for a free slot */
    unsigned long long epoch;
    long long cached_at, created, seen;
    user u;
    char csrf[65];
};

static _Thread_local struct session_entry session_cache[SESSION_CACHE_SLOTS];

static struct session_entry *session_slot(const char *th)
{
    unsigned h = 0;
    for (int i = 0; i < 8; i++) h = h * 16 + (unsigned)(th[i] <= '9' ? th[i] - '0' : th[i] - 'a' + 10);
    return &session_cache[h % SESSION_CACHE_SLOTS];
}

int auth_resolve(req *r, user *u, char *csrf)
{
    const char *cookie = req_header(r, "Cookie");
    char token[80], th[65];
    if (!cookie || !cookie_value(cookie, "sid", token, sizeof token) || strlen(token) != 64) return 0;
    token_hash(token, th);
    long long now = clock_unix();
    struct session_entry *e = session_slot(th);
    if (!strcmp(e->th, th) && e->epoch == r->w->epoch && now - e->cached_at <= SESSION_CACHE_TTL &&
        now >= e->cached_at && now - e->seen <= 30 && now - e->created <= spot_config.session_max) {
        *u = e->u;
        memcpy(csrf, e->csrf, 65);
        return 1;
    }
    e->th[0] = 0;
    unsigned long long epoch = r->w->epoch;
    json_t *row = db_row(r->db, NULL,
        "SELECT s.user_id, s.csrf, s.created_at, s.seen_at, u.username, u.role, u.cert_no, u.active, "
        "u.must_change_password "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", "s", th);
    if (!row) return 0;
    long long created = json_integer_value(json_object_get(row, "created_at"));
    long long seen = json_integer_value(json_object_get(row, "seen_at"));
    int live = json_integer_value(json_object_get(row, "active")) == 1 &&
               now - seen <= spot_config.session_idle && now - created <= spot_config.session_max;
    if (!live) {
        db_run(r->db, NULL, "DELETE FROM sessions WHERE token_hash = ?", "s", th);
        json_decref(row);
        return 0;
    }
    int touched = 0;
    if (now - seen > 30)
        touched = db_run(r->db, NULL, "UPDATE sessions SET seen_at = ? WHERE token_hash = ?", "is", now, th) >= 0;
    memset(u, 0, sizeof *u);
    u->id = json_integer_value(json_object_get(row, "user_id"));
    snprintf(u->username, sizeof u->username, "%s", json_string_value(json_object_get(row, "username")));
    u->role = role_from_name(json_string_value(json_object_get(row, "role")));
    const char *cert = json_string_value(json_object_get(row, "cert_no"));
    snprintf(u->cert_no, sizeof u->cert_no, "%s", cert ? cert : "");
    u->must_change = json_integer_value(json_object_get(row, "must_change_password")) == 1;
    snprintf(csrf, 65, "%s", json_string_value(json_object_get(row, "csrf")));
    json_decref(row);
    /* Cached with the epoch read before the query; the seen_at write above makes the next sync move
     * the epoch, so a touched session is read once more, which is harmless. */
    memcpy(e->th, th, sizeof e->th);
    e->epoch = epoch;
    e->cached_at = now;
    e->created = created;
    e->seen = touched ? now : seen;
    e->u = *u;
    memcpy(e->csrf, csrf, 65);
    return 1;
}

static int valid_username(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 32) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT,
                                 crypto_pwhash_ALG_ARGON2ID13);
}

long long auth_create_user(sqlite3 *db, const char *actor, const char *username, const char *password,
                           const char *role, const char *cert_no, int must_change, char **err)
{
    if (!valid_username(username)) {
        *err = xprintf("用户名须为 2–32 位字母、数字或 _ - .");
        return -1;
    }
    if (!password || strlen(password) < 8 || strlen(password) > 256) {
        *err = xprintf("密码长度须为 8–256 个字符");
        return -1;
    }
    if (!role_from_name(role)) {
        *err = xprintf("未知角色：%s（可选 admin、planner、inspector、head、auditor）", role ? role : "");
        return -1;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (hash_password(password, hash) != 0) {
        *err = xprintf("out of memory hashing the password");
        return -1;
    }
    char at[32];
    clock_now_rfc3339(at);
    if (db_int(db, NULL, 0, "SELECT 1 FROM users WHERE username = ?", "s", username)) {
        *err = xprintf("用户名已存在：%s", username);
        return -1;
    }
    if (db_run(db, err, "INSERT INTO users(username, password_hash, role, cert_no, must_change_password, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "ssssiss",
               username, hash, role, cert_no && *cert_no ? cert_no : NULL, (long long)!!must_change, at, at) < 0)
        return -1;
    long long id = sqlite3_last_insert_rowid(db);
    json_t *d = json_pack("{ss ss ss? sb}", "username", username, "role", role, "cert_no",
                          cert_no && *cert_no ? cert_no : NULL, "must_change_password", !!must_change);
    char obj[32];
    snprintf(obj, sizeof obj, "user:%lld", id);
    int rc = audit_log(db, actor, "user.create", obj, d, err);
    json_decref(d);
    return rc == 0 ? id : -1;
}

/* Failed logins (and wrong current passwords) of a user name within the throttle window. */
static long long recent_failures(sqlite3 *db, const char *username, long long now)
{
    return db_int(db, NULL, 0, "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?", "si", username,
                  now - THROTTLE_WINDOW);
}

/* Records one failure in its own transaction and forgets those older than a day. */
static void record_failure(sqlite3 *db, const char *username, const char *ip, long long now)
{
    if (db_begin(db, NULL) != 0) return;
    db_run(db, NULL, "INSERT INTO login_failures(username, ip, at) VALUES (?, ?, ?)", "ssi", username, ip, now);
    db_run(db, NULL, "DELETE FROM login_failures WHERE at < ?", "i", now - 86400);
    db_commit(db, NULL);
}

static int h_login(req *r)
{
    if (req_require_object(r)) return 0;
    const char *username = json_string_value(json_object_get(r->json, "username"));
    const char *password = json_string_value(json_object_get(r->json, "password"));
    if (!username || !password || strlen(username) > 64 || strlen(password) > 256)
        return reply_error(r, 400, "bad_request", "需要用户名和密码");
    long long now = clock_unix();
    const char *ip = r->client_ip ? r->client_ip : "";
    long long by_user = recent_failures(r->db, username, now);
    long long by_ip = db_int(r->db, NULL, 0, "SELECT count(*) FROM login_failures WHERE ip = ? AND at > ?",
                             "si", ip, now - THROTTLE_WINDOW);
    if (by_user >= THROTTLE_PER_USER || by_ip >= THROTTLE_PER_IP) {
        int known = db_int(r->db, NULL, 0, "SELECT 1 FROM users WHERE username = ?", "s", username) == 1;
        fprintf(stderr, "security: login throttled: user=%s ip=%s\n", known ? username : "(unknown)", ip);
        reply_header(r, "Retry-After", "900");
        return reply_error(r, 429, "throttled", "登录失败次数过多，请 15 分钟后再试");
    }
    json_t *row = db_row(r->db, NULL, "SELECT id, password_hash, role, active, must_change_password FROM users "
                                      "WHERE username = ?", "s", username);
    int ok = row && json_integer_value(json_object_get(row, "active")) == 1 &&
             crypto_pwhash_str_verify(json_string_value(json_object_get(row, "password_hash")), password,
                                      strlen(password)) == 0;
    char *err = NULL;
    if (!ok) {
        /* Only names of existing accounts: a typed ID number, password or forged line stays out. */
        fprintf(stderr, "security: login failed: user=%s ip=%s\n", row ? username : "(unknown)", ip);
        json_decref(row);
        record_failure(r->db, username, ip, now);
        return reply_error(r, 401, "bad_credentials", "用户名或密码错误");
    }
    long long uid = json_integer_value(json_object_get(row, "id"));
    char role[16];
    snprintf(role, sizeof role, "%s", json_string_value(json_object_get(row, "role")));
    int must_change = json_integer_value(json_object_get(row, "must_change_password")) == 1;
    json_decref(row);
    char token[65], th[65], csrf[65];
    random_hex(token);
    random_hex(csrf);
    token_hash(token, th);
    if (db_begin(r->db, &err) != 0) return reply_db_error(r, err);
    if (db_run(r->db, &err, "INSERT INTO sessions(token_hash, user_id, csrf, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
               "sisii", th, uid, csrf, now, now) < 0 ||
        db_run(r->db, &err, "DELETE FROM sessions WHERE seen_at < ?", "i", now - spot_config.session_max) < 0 ||
        db_run(r->db, &err, "DELETE FROM login_failures WHERE username = ?", "s", username) < 0)
        return reply_db_error(r, err);
    char obj[32];
    snprintf(obj, sizeof obj, "user:%lld", uid);
    json_t *d = json_pack("{ss}", "ip", ip);
    int rc = audit_log(r->db, username, "session.login", obj, d, &err);
    json_decref(d);
    if (rc != 0 || db_commit(r->db, &err) != 0) return reply_db_error(r, err);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "sid=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", token,
             spot_config.session_max, spot_config.secure_cookie ? "; Secure" : "");
    reply_header(r, "Set-Cookie", cookie);
    return reply_json(r, 200, json_pack("{ss ss ss sb}", "csrf", csrf, "username", username, "role", role,
                                        "must_change_password", must_change));
}

static int h_logout(req *r)
{
    const char *cookie = req_header(r, "Cookie");
    char token[80], th[65], *err = NULL;
    if (cookie && cookie_value(cookie, "sid", token, sizeof token)) {
        token_hash(token, th);
        if (db_begin(r->db, &err) != 0) return reply_db_error(r, err);
        char obj[32];
        snprintf(obj, sizeof obj, "user:%lld", r->user->id);
        if (db_run(r->db, &err, "DELETE FROM sessions WHERE token_hash = ?", "s", th) < 0 ||
            audit_log(r->db, r->user->username, "session.logout", obj, NULL, &err) != 0 ||
            db_commit(r->db, &err) != 0)
            return reply_db_error(r, err);
    }
    reply_header(r, "Set-Cookie", "sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return reply_json(r, 200, json_pack("{sb}", "ok", 1));
}

static int h_me(req *r)
{
    char csrf[65] = "";
    user u;
    auth_resolve(r, &u, csrf);
    return reply_json(r, 200, json_pack("{sI ss ss ss? ss sb}", "id", (json_int_t)r->user->id, "username",
                                        r->user->username, "role", role_name(r->user->role), "cert_no",
                                        r->user->cert_no[0] ? r->user->cert_no : NULL, "csrf", csrf,
                                        "must_change_password", r->user->must_change));
}

/* The account row as the /api/users routes show it (never the hash). */
static json_t *user_row(sqlite3 *db, long long id)
{
    return db_row(db, NULL, "SELECT id, username, role, cert_no, active, must_change_password, password_changed_at, "
                            "created_at, updated_at FROM users WHERE id = ?", "i", id);
}

/* POST /api/me/password {"current","new"}: the owner changes their own password. The current
 * password is checked like a login (a wrong one counts toward the same throttle), so a session left
 * open cannot be turned into a takeover. The change ends the user's other sessions and clears
 * must_change_password; the audit record holds neither password. */
static int h_password(req *r)
{
    if (req_require_object(r)) return 0;
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v) {
        if (strcmp(key, "current") && strcmp(key, "new")) return reply_error(r, 400, "unknown_field", "未知字段：%s", key);
    }
    const char *cur = json_string_value(json_object_get(r->json, "current"));
    const char *pw = json_string_value(json_object_get(r->json, "new"));
    if (!cur || !pw || strlen(cur) > 256) return reply_error(r, 400, "bad_request", "需要 current（当前密码）和 new（新密码）");
    if (strlen(pw) < 8 || strlen(pw) > 256) return reply_error(r, 422, "invalid", "新密码长度须为 8–256 个字符");
    if (!strcmp(pw, cur)) return reply_error(r, 422, "invalid", "新密码不能与当前密码相同");
    if (!strcmp(pw, r->user->username)) return reply_error(r, 422, "invalid", "新密码不能与用户名相同");
    long long now = clock_unix();
    const char *ip = r->client_ip ? r->client_ip : "";
    if (recent_failures(r->db, r->user->username, now) >= THROTTLE_PER_USER) {
        reply_header(r, "Retry-After", "900");
        return reply_error(r, 429, "throttled", "密码错误次数过多，请 15 分钟后再试");
    }
    char *hash_now = db_text(r->db, NULL, "SELECT password_hash FROM users WHERE id = ?", "i", r->user->id);
    int ok = hash_now && crypto_pwhash_str_verify(hash_now, cur, strlen(cur)) == 0;
    free(hash_now);
    char *err = NULL;
    if (!ok) {
        fprintf(stderr, "security: password change refused (wrong current password): user=%s ip=%s\n",
                r->user->username, ip);
        record_failure(r->db, r->user->username, ip, now);
        return reply_error(r, 422, "wrong_password", "当前密码错误");
    }
    char hash[crypto_pwhash_STRBYTES];
    if (hash_password(pw, hash) != 0) return reply_error(r, 500, "internal", "无法计算密码散列");
    char at[32], th[65] = "", token[80], obj[32];
    const char *cookie = req_header(r, "Cookie");
    if (cookie && cookie_value(cookie, "sid", token, sizeof token)) token_hash(token, th);
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "user:%lld", r->user->id);
    json_t *d = json_pack("{sb}", "was_required", r->user->must_change);
    int rc = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ?, "
                                 "updated_at = ? WHERE id = ?", "sssi", hash, at, at, r->user->id) == 1 &&
             db_run(r->db, &err, "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", "is", r->user->id, th) >= 0 &&
             db_run(r->db, &err, "DELETE FROM login_failures WHERE username = ?", "s", r->user->username) >= 0 &&
             audit_log(r->db, r->user->username, "user.password", obj, d, &err) == 0 &&
             db_commit(r->db, &err) == 0;
    json_decref(d);
    sodium_memzero(hash, sizeof hash);
    if (!rc) return reply_db_error(r, err);
    return reply_json(r, 200, json_pack("{sb ss}", "ok", 1, "changed_at", at));
}

static int h_users_list(req *r)
{
    char *err = NULL;
    json_t *rows = db_rows(r->db, &err, "SELECT id, username, role, cert_no, active, must_change_password, "
                                        "password_changed_at, created_at, updated_at FROM users ORDER BY id", "");
    if (!rows) return reply_db_error(r, err);
    return reply_json(r, 200, rows);
}

static int h_users_create(req *r)
{
    if (req_require_object(r)) return 0;
    const char *username = json_string_value(json_object_get(r->json, "username"));
    const char *password = json_string_value(json_object_get(r->json, "password"));
    const char *role = json_string_value(json_object_get(r->json, "role"));
    const char *cert = json_string_value(json_object_get(r->json, "cert_no"));
    json_t *mc = json_object_get(r->json, "must_change_password");
    if (mc && !json_is_boolean(mc))
        return reply_error(r, 400, "bad_request", "must_change_password 须为 true 或 false");
    char *err = NULL;
    if (db_begin(r->db, &err) != 0) return reply_db_error(r, err);
    long long id = auth_create_user(r->db, req_actor(r), username, password, role, cert, json_is_true(mc), &err);
    if (id < 0) {
        db_rollback(r->db);
        int rc = reply_error(r, 422, "invalid", "%s", err ? err : "无法创建用户");
        free(err);
        return rc;
    }
    if (db_commit(r->db, &err) != 0) return reply_db_error(r, err);
    return reply_json(r, 201, user_row(r->db, id));
}

static int h_users_update(req *r)
{
    if (req_require_object(r)) return 0;
    long long id = req_param_id(r, 0);
    char *err = NULL;
    json_t *v;
    const char *key;
    json_object_foreach(r->json, key, v) {
        if (strcmp(key, "password") && strcmp(key, "role") && strcmp(key, "cert_no") && strcmp(key, "active") &&
            strcmp(key, "must_change_password"))
            return reply_error(r, 400, "unknown_field", "未知字段：%s", key);
    }
    if (db_begin(r->db, &err) != 0) return reply_db_error(r, err);
    json_t *old = db_row(r->db, &err, "SELECT id, username, role, cert_no, active FROM users WHERE id = ?", "i", id);
    if (!old) {
        db_rollback(r->db);
        if (err) return reply_db_error(r, err);
        return reply_error(r, 404, "not_found", "没有这个用户");
    }
    json_t *changes = json_object();
    const char *problem = NULL;
    char at[32];
    clock_now_rfc3339(at);
    if ((v = json_object_get(r->json, "password"))) {
        const char *pw = json_string_value(v);
        char hash[crypto_pwhash_STRBYTES];
        if (!pw || strlen(pw) < 8 || strlen(pw) > 256) problem = "密码长度须为 8–256 个字符";
        else if (hash_password(pw, hash) != 0) problem = "无法计算密码散列";
        else if (db_run(r->db, &err, "UPDATE users SET password_hash = ? WHERE id = ?", "si", hash, id) < 0) goto dberr;
        else {
            db_run(r->db, NULL, "DELETE FROM sessions WHERE user_id = ? AND ? != ?", "iii", id, id, r->user->id);
            json_object_set_new(changes, "password", json_string("changed"));
        }
    }
    if (!problem && (v = json_object_get(r->json, "role"))) {
        if (!role_from_name(json_string_value(v))) problem = "未知角色";
        else if (db_run(r->db, &err, "UPDATE users SET role = ? WHERE id = ?", "si", json_string_value(v), id) < 0) goto dberr;
        else json_object_set(changes, "role", v);
    }
    if (!problem && (v = json_object_get(r->json, "cert_no"))) {
        if (!json_is_string(v) && !json_is_null(v)) problem = "cert_no 须为字符串或 null";
        else if (db_run(r->db, &err, "UPDATE users SET cert_no = ? WHERE id = ?", "ji", v, id) < 0) goto dberr;
        else json_object_set(changes, "cert_no", v);
    }
    if (!problem && (v = json_object_get(r->json, "must_change_password"))) {
        if (!json_is_boolean(v)) problem = "must_change_password 须为 true 或 false";
        else if (id == r->user->id && json_is_true(v)) problem = "不能要求自己下次登录修改密码";
        else if (db_run(r->db, &err, "UPDATE users SET must_change_password = ? WHERE id = ?", "ii",
                        (long long)json_is_true(v), id) < 0) goto dberr;
        else json_object_set(changes, "must_change_password", v);
    }
    if (!problem && (v = json_object_get(r->json, "active"))) {
        if (!json_is_boolean(v)) problem = "active 须为 true 或 false";
        else if (id == r->user->id && json_is_false(v)) problem = "不能停用自己的账户";
        else if (db_run(r->db, &err, "UPDATE users SET active = ? WHERE id = ?", "ii", (long long)json_is_true(v), id) < 0) goto dberr;
        else {
            if (json_is_false(v)) db_run(r->db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", id);
            json_object_set(changes, "active", v);
        }
    }
    if (problem) {
        db_rollback(r->db);
        json_decref(old);
        json_decref(changes);
        return reply_error(r, 422, "invalid", "%s", problem);
    }
    db_run(r->db, NULL, "UPDATE users SET updated_at = ? WHERE id = ?", "si", at, id);
    char obj[32];
    snprintf(obj, sizeof obj, "user:%lld", id);
    json_t *d = json_pack("{sO so}", "before", old, "changes", changes);
    int rc = audit_log(r->db, req_actor(r), "user.update", obj, d, &err);
    json_decref(d);
    json_decref(old);
    if (rc != 0 || db_commit(r->db, &err) != 0) return reply_db_error(r, err);
    return reply_json(r, 200, user_row(r->db, id));
dberr:
    json_decref(old);
    json_decref(changes);
    return reply_db_error(r, err);
}

const struct route auth_routes[] = {
    {"POST", "/api/login", ROLE_PUBLIC, h_login},
    {"POST", "/api/logout", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_logout},
    {"GET", "/api/me", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_me},
    {"POST", "/api/me/password", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_password},
    {"GET", "/api/users", ROLE_ADMIN, h_users_list},
    {"POST", "/api/users", ROLE_ADMIN, h_users_create},
    {"PUT", "/api/users/{id}", ROLE_ADMIN, h_users_update},
    {0},
};
