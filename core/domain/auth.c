/* auth.c: accounts, the password policy, sessions, CSRF tokens and login throttling (see auth.h).
 * The HTTP side (cookies on replies, statuses) is in http/api_auth.c. */
#include "auth.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
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

/* Password length in characters (bytes of UTF-8): NIST SP 800-63B's floor is 8 for a chosen
 * password; 12 keeps an eight-digit number or a short word out of every account, administrators
 * included. */
#define PASSWORD_MIN 12
#define PASSWORD_MAX 256

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

int auth_cookie_token_hash(const char *cookie_header, char th[65])
{
    char token[80];
    th[0] = 0;
    if (!cookie_header || !cookie_value(cookie_header, "sid", token, sizeof token) || strlen(token) != 64) return 0;
    token_hash(token, th);
    return 1;
}

/* Last-seen times of sessions, process-wide and in memory only: a request writes nothing, since a
 * seen_at write is a commit, and every commit moves the change epoch and empties every reply cache
 * (worker.h). The sessions table's seen_at holds the login time or the last auth_flush_seen; a
 * session's last-seen time is the later of the two. Bounded: past SEEN_MAX entries, those older than
 * session_idle (expired whatever the table says) are dropped. */
#define SEEN_BUCKETS 1024
#define SEEN_MAX 65536

struct seen_entry {
    char th[65];
    long long seen;
    struct seen_entry *next;
};

static struct seen_entry *seen_tab[SEEN_BUCKETS];
static size_t seen_count;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;

/* Bucket of token hash th (hex). Caller holds seen_mu. */
static struct seen_entry **seen_bucket(const char *th)
{
    unsigned h = 0;
    for (int i = 0; i < 8 && th[i]; i++) h = h * 31 + (unsigned char)th[i];
    return &seen_tab[h % SEEN_BUCKETS];
}

/* Drops entries last seen before cutoff. Caller holds seen_mu. */
static void seen_prune(long long cutoff)
{
    for (int b = 0; b < SEEN_BUCKETS; b++)
        for (struct seen_entry **pp = &seen_tab[b]; *pp;) {
            if ((*pp)->seen < cutoff) {
                struct seen_entry *x = *pp;
                *pp = x->next;
                free(x);
                seen_count--;
            } else {
                pp = &(*pp)->next;
            }
        }
}

/* The remembered last-seen time of session th, or 0. */
static long long seen_get(const char *th)
{
    long long v = 0;
    pthread_mutex_lock(&seen_mu);
    for (struct seen_entry *x = *seen_bucket(th); x; x = x->next)
        if (!strcmp(x->th, th)) { v = x->seen; break; }
    pthread_mutex_unlock(&seen_mu);
    return v;
}

/* Remembers that session th was seen at now (an allocation failure forgets it: the table's seen_at
 * still bounds the session). */
static void seen_set(const char *th, long long now)
{
    pthread_mutex_lock(&seen_mu);
    struct seen_entry **b = seen_bucket(th), *x = *b;
    while (x && strcmp(x->th, th)) x = x->next;
    if (x) {
        if (now > x->seen) x->seen = now;
    } else {
        if (seen_count >= SEEN_MAX) seen_prune(now - spot_config.session_idle);
        if ((x = malloc(sizeof *x)) != NULL) {
            snprintf(x->th, sizeof x->th, "%s", th);
            x->seen = now;
            x->next = *b;
            *b = x;
            seen_count++;
        }
    }
    pthread_mutex_unlock(&seen_mu);
}

/* Forgets session th. */
static void seen_drop(const char *th)
{
    pthread_mutex_lock(&seen_mu);
    for (struct seen_entry **pp = seen_bucket(th); *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->th, th)) {
            struct seen_entry *x = *pp;
            *pp = x->next;
            free(x);
            seen_count--;
            break;
        }
    pthread_mutex_unlock(&seen_mu);
}

int auth_flush_seen(sqlite3 *db, char **err)
{
    int rc = -1;
    pthread_mutex_lock(&seen_mu);
    if (db_begin(db, err) != 0) goto done;
    for (int b = 0; b < SEEN_BUCKETS; b++)
        for (struct seen_entry *x = seen_tab[b]; x; x = x->next)
            if (db_run(db, err, "UPDATE sessions SET seen_at = ? WHERE token_hash = ? AND seen_at < ?", "isi",
                       x->seen, x->th, x->seen) < 0)
                goto done;
    if (db_commit(db, err) != 0) goto done;
    seen_prune(1LL << 62); /* written back: the table has them now */
    rc = 0;
done:
    if (rc != 0 && !sqlite3_get_autocommit(db)) db_rollback(db);
    pthread_mutex_unlock(&seen_mu);
    return rc;
}

int auth_resolve(worker *w, const char *th, user *u, char *csrf)
{
    if (!th || strlen(th) != 64) return 0;
    long long now = clock_unix();
    struct session_entry *e = session_slot(th);
    if (!strcmp(e->th, th) && e->epoch == w->epoch && now - e->cached_at <= SESSION_CACHE_TTL &&
        now >= e->cached_at && now - e->created <= spot_config.session_max) {
        if (now > e->seen) {
            seen_set(th, now);
            e->seen = now;
        }
        *u = e->u;
        memcpy(csrf, e->csrf, 65);
        return 1;
    }
    e->th[0] = 0;
    unsigned long long epoch = w->epoch;
    json_t *row = db_row(w->db, NULL,
        "SELECT s.user_id, s.csrf, s.created_at, s.seen_at, u.username, u.role, u.cert_no, u.active, "
        "u.must_change_password, coalesce(u.org_id, 0) AS org_id, u.real_name "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", "s", th);
    if (!row) return 0;
    long long created = json_integer_value(json_object_get(row, "created_at"));
    long long seen = json_integer_value(json_object_get(row, "seen_at"));
    long long mem = seen_get(th);
    if (mem > seen) seen = mem;
    int live = json_integer_value(json_object_get(row, "active")) == 1 &&
               now - seen <= spot_config.session_idle && now - created <= spot_config.session_max;
    if (!live) {
        db_run(w->db, NULL, "DELETE FROM sessions WHERE token_hash = ?", "s", th);
        seen_drop(th);
        json_decref(row);
        return 0;
    }
    seen_set(th, now);
    memset(u, 0, sizeof *u);
    u->id = json_integer_value(json_object_get(row, "user_id"));
    snprintf(u->username, sizeof u->username, "%s", json_string_value(json_object_get(row, "username")));
    u->role = role_from_name(json_string_value(json_object_get(row, "role")));
    const char *cert = json_string_value(json_object_get(row, "cert_no"));
    snprintf(u->cert_no, sizeof u->cert_no, "%s", cert ? cert : "");
    u->must_change = json_integer_value(json_object_get(row, "must_change_password")) == 1;
    u->org_id = json_integer_value(json_object_get(row, "org_id"));
    const char *rn = json_string_value(json_object_get(row, "real_name"));
    snprintf(u->real_name, sizeof u->real_name, "%s", rn ? rn : "");
    snprintf(csrf, 65, "%s", json_string_value(json_object_get(row, "csrf")));
    json_decref(row);
    /* Cached with the epoch read before the query. */
    memcpy(e->th, th, sizeof e->th);
    e->epoch = epoch;
    e->cached_at = now;
    e->created = created;
    e->seen = now;
    e->u = *u;
    memcpy(e->csrf, csrf, 65);
    return 1;
}


/* A user name: 2-20 characters, 60 bytes at most, of ASCII letters, digits, _ - . or any non-ASCII
 * character (Chinese names: 张三, 王科长); no space, control character or punctuation of ASCII.
 * The text is valid UTF-8 (jansson checks every JSON string; the CLI passes a fixed name). */
static int valid_username(const char *s)
{
    size_t bytes = s ? strlen(s) : 0, chars = 0;
    if (bytes > 60) return 0;
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x80) {
            if ((ch & 0xC0) != 0x80) chars++;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.'))
            return 0;
        chars++;
    }
    return chars >= 2 && chars <= 20;
}

/* A real name (姓名): "" or 1-30 characters (90 bytes at most) without control characters, trimmed
 * by the caller's input. Returns 1 if acceptable. */
static int valid_real_name(const char *s)
{
    if (!s) return 0;
    size_t n = strlen(s);
    if (n > 90) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return n == 0 || (s[0] != ' ' && s[n - 1] != ' ');
}

/* The org for a new account: org_id when it names an org, the bureau when org_id <= 0. Returns the
 * id, or -1 with *e (SPOT_E_INVALID "unknown_org", SPOT_E_DB). */
static long long account_org(sqlite3 *db, long long org_id, spot_err *e)
{
    char *err = NULL;
    long long id = org_id > 0 ? db_int(db, &err, -1, "SELECT id FROM orgs WHERE id = ?", "i", org_id)
                              : db_int(db, &err, -1, "SELECT id FROM orgs WHERE kind = 'bureau'", "");
    if (err) return spot_fail_db(e, "users", err);
    if (id < 0) return spot_fail(e, SPOT_E_INVALID, "unknown_org", "没有编号为 %lld 的机构", org_id);
    return id;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT,
                                 crypto_pwhash_ALG_ARGON2ID13);
}

/* A hash of a random password with the accounts' cost, made once per process: a login for a name
 * that has no account (or a deactivated one) is verified against it, so that the reply takes as
 * long as for a real account and its timing does not tell which names exist. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    char pw[65];
    random_hex(pw);
    if (hash_password(pw, dummy_hash) != 0) dummy_hash[0] = 0;
}

/* Verifies password against hash (NULL: against the dummy hash, always failing). Takes the same
 * time either way. Returns 1 on a match. */
static int verify_password(const char *hash, const char *password)
{
    pthread_once(&dummy_once, make_dummy_hash);
    int match = crypto_pwhash_str_verify(hash ? hash : dummy_hash, password, strlen(password)) == 0;
    return hash && match;
}

int auth_password_check(const char *username, const char *password, spot_err *e)
{
    size_t n = password ? strlen(password) : 0;
    if (!password || n < PASSWORD_MIN || n > PASSWORD_MAX)
        return spot_fail(e, SPOT_E_INVALID, "invalid", "密码长度须为 %d–%d 个字符", PASSWORD_MIN, PASSWORD_MAX);
    if (username && !strcmp(password, username))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "密码不能与用户名相同");
    /* one repeated character ("aaaaaaaaaaaa") or a run of consecutive digits or letters
     * ("123456789012" counts up by one modulo ten) */
    int same = 1, run = 1;
    for (size_t i = 1; i < n; i++) {
        unsigned char a = (unsigned char)password[i - 1], b = (unsigned char)password[i];
        if (a != b) same = 0;
        int next = (a >= '0' && a <= '9' && b == (a == '9' ? '0' : a + 1)) ||
                   (((a >= 'a' && a < 'z') || (a >= 'A' && a < 'Z')) && b == a + 1);
        if (!next) run = 0;
    }
    if (same || run) return spot_fail(e, SPOT_E_INVALID, "invalid", "密码过于简单（重复或连续的字符）");
    return 0;
}

long long auth_create_user(sqlite3 *db, const char *actor, const char *username, const char *password,
                           const char *role, const char *cert_no, long long org_id, const char *real_name,
                           int must_change, spot_err *e)
{
    char *err = NULL;
    if (!valid_username(username))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "用户名须为 2–20 个字符：汉字、字母、数字或 _ - .");
    if (!real_name) real_name = "";
    if (!valid_real_name(real_name))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "姓名须为 30 个字符以内，不含控制字符，首尾无空格");
    long long org = account_org(db, org_id, e);
    if (org < 0) return -1;
    if (auth_password_check(username, password, e) != 0) return -1;
    if (!role_from_name(role))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "未知角色：%s（可选 admin、planner、inspector、head、auditor）",
                         role ? role : "");
    char hash[crypto_pwhash_STRBYTES];
    if (hash_password(password, hash) != 0) return spot_fail(e, SPOT_E_DB, "internal", "无法计算密码散列");
    char at[32];
    clock_now_rfc3339(at);
    if (db_int(db, NULL, 0, "SELECT 1 FROM users WHERE username = ?", "s", username))
        return spot_fail(e, SPOT_E_INVALID, "invalid", "用户名已存在：%s", username);
    if (db_run(db, &err, "INSERT INTO users(username, password_hash, role, cert_no, must_change_password, "
                         "org_id, real_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssiisss",
               username, hash, role, cert_no && *cert_no ? cert_no : NULL, (long long)!!must_change, org, real_name,
               at, at) < 0)
        return spot_fail_db(e, "users", err);
    long long id = sqlite3_last_insert_rowid(db);
    json_t *d = json_pack("{ss ss ss? sb sI ss}", "username", username, "role", role, "cert_no",
                          cert_no && *cert_no ? cert_no : NULL, "must_change_password", !!must_change, "org_id",
                          (json_int_t)org, "real_name", real_name);
    char obj[32];
    snprintf(obj, sizeof obj, "user:%lld", id);
    int rc = audit_log(db, actor, "user.create", obj, d, &err);
    json_decref(d);
    if (rc != 0) return spot_fail_db(e, "users", err);
    return id;
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

json_t *auth_login(spot_ctx *c, const char *username, const char *password, char token[65], spot_err *e)
{
    sqlite3 *db = c->db;
    long long now = clock_unix();
    const char *ip = c->client_ip ? c->client_ip : "";
    long long by_user = recent_failures(db, username, now);
    long long by_ip = db_int(db, NULL, 0, "SELECT count(*) FROM login_failures WHERE ip = ? AND at > ?",
                             "si", ip, now - THROTTLE_WINDOW);
    if (by_user >= THROTTLE_PER_USER || by_ip >= THROTTLE_PER_IP) {
        int known = db_int(db, NULL, 0, "SELECT 1 FROM users WHERE username = ?", "s", username) == 1;
        fprintf(stderr, "security: login throttled: user=%s ip=%s\n", known ? username : "(unknown)", ip);
        spot_fail(e, SPOT_E_LIMIT, "throttled", "登录失败次数过多，请 15 分钟后再试");
        return NULL;
    }
    json_t *row = db_row(db, NULL, "SELECT id, password_hash, role, active, must_change_password FROM users "
                                   "WHERE username = ?", "s", username);
    /* Always one Argon2id verification, against the dummy hash when there is no account. */
    int match = verify_password(row ? json_string_value(json_object_get(row, "password_hash")) : NULL, password);
    int ok = row && match && json_integer_value(json_object_get(row, "active")) == 1;
    char *err = NULL;
    if (!ok) {
        /* Only names of existing accounts: a typed ID number, password or forged line stays out. */
        fprintf(stderr, "security: login failed: user=%s ip=%s\n", row ? username : "(unknown)", ip);
        json_decref(row);
        record_failure(db, username, ip, now);
        spot_fail(e, SPOT_E_UNAUTH, "bad_credentials", "用户名或密码错误");
        return NULL;
    }
    long long uid = json_integer_value(json_object_get(row, "id"));
    char role[16];
    snprintf(role, sizeof role, "%s", json_string_value(json_object_get(row, "role")));
    int must_change = json_integer_value(json_object_get(row, "must_change_password")) == 1;
    json_decref(row);
    char th[65], csrf[65], obj[32];
    random_hex(token);
    random_hex(csrf);
    token_hash(token, th);
    snprintf(obj, sizeof obj, "user:%lld", uid);
    json_t *d = json_pack("{ss}", "ip", ip);
    int rc = db_begin(db, &err) == 0 &&
             db_run(db, &err, "INSERT INTO sessions(token_hash, user_id, csrf, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                    "sisii", th, uid, csrf, now, now) >= 0 &&
             db_run(db, &err, "DELETE FROM sessions WHERE seen_at < ?", "i", now - spot_config.session_max) >= 0 &&
             db_run(db, &err, "DELETE FROM login_failures WHERE username = ?", "s", username) >= 0 &&
             audit_log(db, username, "session.login", obj, d, &err) == 0 &&
             db_commit(db, &err) == 0;
    json_decref(d);
    if (!rc) {
        if (!sqlite3_get_autocommit(db)) db_rollback(db);
        spot_fail_db(e, "login", err);
        return NULL;
    }
    return json_pack("{ss ss ss sb}", "csrf", csrf, "username", username, "role", role,
                     "must_change_password", must_change);
}

int auth_logout(spot_ctx *c, const char *th, spot_err *e)
{
    char *err = NULL, obj[32];
    snprintf(obj, sizeof obj, "user:%lld", c->user ? c->user->id : 0);
    int rc = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "DELETE FROM sessions WHERE token_hash = ?", "s", th) >= 0 &&
             audit_log(c->db, ctx_actor(c), "session.logout", obj, NULL, &err) == 0 &&
             db_commit(c->db, &err) == 0;
    if (rc) seen_drop(th);
    if (!rc) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return spot_fail_db(e, "logout", err);
    }
    return 0;
}

json_t *auth_change_own_password(spot_ctx *c, const char *cur, const char *pw, const char *keep_th, spot_err *e)
{
    const user *u = c->user;
    if (!u) {
        spot_fail(e, SPOT_E_UNAUTH, "unauthorized", "请先登录");
        return NULL;
    }
    spot_err pe;
    if (auth_password_check(u->username, pw, &pe) != 0) {
        spot_fail(e, SPOT_E_INVALID, "invalid", "新%s", pe.message);
        return NULL;
    }
    if (!strcmp(pw, cur)) {
        spot_fail(e, SPOT_E_INVALID, "invalid", "新密码不能与当前密码相同");
        return NULL;
    }
    long long now = clock_unix();
    const char *ip = c->client_ip ? c->client_ip : "";
    if (recent_failures(c->db, u->username, now) >= THROTTLE_PER_USER) {
        spot_fail(e, SPOT_E_LIMIT, "throttled", "密码错误次数过多，请 15 分钟后再试");
        return NULL;
    }
    char *hash_now = db_text(c->db, NULL, "SELECT password_hash FROM users WHERE id = ?", "i", u->id);
    int ok = verify_password(hash_now, cur);
    free(hash_now);
    char *err = NULL;
    if (!ok) {
        fprintf(stderr, "security: password change refused (wrong current password): user=%s ip=%s\n",
                u->username, ip);
        record_failure(c->db, u->username, ip, now);
        spot_fail(e, SPOT_E_INVALID, "wrong_password", "当前密码错误");
        return NULL;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (hash_password(pw, hash) != 0) {
        spot_fail(e, SPOT_E_DB, "internal", "无法计算密码散列");
        return NULL;
    }
    char at[32], obj[32];
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "user:%lld", u->id);
    json_t *d = json_pack("{sb}", "was_required", u->must_change);
    int rc = db_begin(c->db, &err) == 0 &&
             db_run(c->db, &err, "UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ?, "
                                 "updated_at = ? WHERE id = ?", "sssi", hash, at, at, u->id) == 1 &&
             db_run(c->db, &err, "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", "is", u->id,
                    keep_th ? keep_th : "") >= 0 &&
             db_run(c->db, &err, "DELETE FROM login_failures WHERE username = ?", "s", u->username) >= 0 &&
             audit_log(c->db, u->username, "user.password", obj, d, &err) == 0 &&
             db_commit(c->db, &err) == 0;
    json_decref(d);
    sodium_memzero(hash, sizeof hash);
    if (!rc) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        spot_fail_db(e, "password", err);
        return NULL;
    }
    return json_pack("{sb ss}", "ok", 1, "changed_at", at);
}

/* The account row as the /api/users routes show it (never the hash); new reference or NULL. */
static json_t *user_row(sqlite3 *db, long long id)
{
    return db_row(db, NULL, "SELECT u.id, u.username, u.real_name, u.role, u.cert_no, u.org_id, o.name AS org_name, "
                            "u.active, u.must_change_password, u.password_changed_at, u.created_at, u.updated_at "
                            "FROM users u LEFT JOIN orgs o ON o.id = u.org_id WHERE u.id = ?", "i", id);
}

json_t *auth_users_list(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT u.id, u.username, u.real_name, u.role, u.cert_no, u.org_id, "
                                        "o.name AS org_name, u.active, u.must_change_password, u.password_changed_at, "
                                        "u.created_at, u.updated_at FROM users u LEFT JOIN orgs o ON o.id = u.org_id "
                                        "ORDER BY u.id", "");
    if (!rows) spot_fail_db(e, "users", err);
    return rows;
}

json_t *auth_user_create(spot_ctx *c, json_t *in, spot_err *e)
{
    const char *username = json_string_value(json_object_get(in, "username"));
    const char *password = json_string_value(json_object_get(in, "password"));
    const char *role = json_string_value(json_object_get(in, "role"));
    const char *cert = json_string_value(json_object_get(in, "cert_no"));
    json_t *mc = json_object_get(in, "must_change_password");
    if (mc && !json_is_boolean(mc)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "must_change_password 须为 true 或 false");
        return NULL;
    }
    json_t *org = json_object_get(in, "org_id"), *rn = json_object_get(in, "real_name");
    if ((org && !json_is_integer(org)) || (org && json_integer_value(org) <= 0)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "org_id 须为机构编号（正整数）");
        return NULL;
    }
    if (rn && !json_is_string(rn)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "real_name（姓名）须为字符串");
        return NULL;
    }
    char *err = NULL;
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "users", err);
        return NULL;
    }
    long long id = auth_create_user(c->db, ctx_actor(c), username, password, role, cert,
                                    org ? json_integer_value(org) : 0, rn ? json_string_value(rn) : "",
                                    json_is_true(mc), e);
    if (id < 0 || db_commit(c->db, &err) != 0) {
        db_rollback(c->db);
        if (id >= 0) spot_fail_db(e, "users", err);
        return NULL;
    }
    return user_row(c->db, id);
}

json_t *auth_user_update(spot_ctx *c, long long id, json_t *in, const char *keep_th, spot_err *e)
{
    static const char *const fields[] = {"password", "role", "cert_no", "active", "must_change_password", "org_id",
                                         "real_name", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    char *err = NULL;
    json_t *v, *old = NULL, *changes = NULL, *out = NULL;
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, "users", err);
        return NULL;
    }
    old = db_row(c->db, &err, "SELECT id, username, role, cert_no, active, org_id, real_name FROM users WHERE id = ?",
                 "i", id);
    if (!old) {
        if (err) spot_fail_db(e, "users", err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个用户");
        goto done;
    }
    changes = json_object();
    long long self = c->user ? c->user->id : 0;
    char at[32];
    clock_now_rfc3339(at);
    if ((v = json_object_get(in, "password"))) {
        char hash[crypto_pwhash_STRBYTES];
        if (auth_password_check(json_string_value(json_object_get(old, "username")), json_string_value(v), e) != 0)
            goto done;
        if (hash_password(json_string_value(v), hash) != 0) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "无法计算密码散列");
            goto done;
        }
        /* Every session of the account ends but the caller's own: whoever knew the old password
         * (or held a session opened with it) is out, the administrator changing their own stays in. */
        int rc = db_run(c->db, &err, "UPDATE users SET password_hash = ? WHERE id = ?", "si", hash, id) < 0 ||
                 db_run(c->db, &err, "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", "is", id,
                        keep_th ? keep_th : "") < 0;
        sodium_memzero(hash, sizeof hash);
        if (rc) goto dberr;
        json_object_set_new(changes, "password", json_string("changed"));
    }
    if ((v = json_object_get(in, "role"))) {
        if (!role_from_name(json_string_value(v))) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "未知角色");
            goto done;
        }
        if (db_run(c->db, &err, "UPDATE users SET role = ? WHERE id = ?", "si", json_string_value(v), id) < 0) goto dberr;
        json_object_set(changes, "role", v);
    }
    if ((v = json_object_get(in, "cert_no"))) {
        if (!json_is_string(v) && !json_is_null(v)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "cert_no 须为字符串或 null");
            goto done;
        }
        if (db_run(c->db, &err, "UPDATE users SET cert_no = ? WHERE id = ?", "ji", v, id) < 0) goto dberr;
        json_object_set(changes, "cert_no", v);
    }
    if ((v = json_object_get(in, "org_id"))) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            spot_fail(e, SPOT_E_INPUT, "bad_request", "org_id 须为机构编号（正整数）");
            goto done;
        }
        if (account_org(c->db, json_integer_value(v), e) < 0) goto done;
        if (db_run(c->db, &err, "UPDATE users SET org_id = ? WHERE id = ?", "ii", (long long)json_integer_value(v),
                   id) < 0)
            goto dberr;
        json_object_set(changes, "org_id", v);
    }
    if ((v = json_object_get(in, "real_name"))) {
        if (!json_is_string(v) || !valid_real_name(json_string_value(v))) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "姓名须为 30 个字符以内，不含控制字符，首尾无空格");
            goto done;
        }
        if (db_run(c->db, &err, "UPDATE users SET real_name = ? WHERE id = ?", "si", json_string_value(v), id) < 0)
            goto dberr;
        json_object_set(changes, "real_name", v);
    }
    if ((v = json_object_get(in, "must_change_password"))) {
        if (!json_is_boolean(v)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "must_change_password 须为 true 或 false");
            goto done;
        }
        if (id == self && json_is_true(v)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "不能要求自己下次登录修改密码");
            goto done;
        }
        if (db_run(c->db, &err, "UPDATE users SET must_change_password = ? WHERE id = ?", "ii",
                   (long long)json_is_true(v), id) < 0) goto dberr;
        json_object_set(changes, "must_change_password", v);
    }
    if ((v = json_object_get(in, "active"))) {
        if (!json_is_boolean(v)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "active 须为 true 或 false");
            goto done;
        }
        if (id == self && json_is_false(v)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "不能停用自己的账户");
            goto done;
        }
        if (db_run(c->db, &err, "UPDATE users SET active = ? WHERE id = ?", "ii", (long long)json_is_true(v), id) < 0 ||
            (json_is_false(v) && db_run(c->db, &err, "DELETE FROM sessions WHERE user_id = ?", "i", id) < 0))
            goto dberr;
        json_object_set(changes, "active", v);
    }
    if (db_run(c->db, &err, "UPDATE users SET updated_at = ? WHERE id = ?", "si", at, id) < 0) goto dberr;
    char obj[32];
    snprintf(obj, sizeof obj, "user:%lld", id);
    json_t *d = json_pack("{sO sO}", "before", old, "changes", changes);
    int rc = audit_log(c->db, ctx_actor(c), "user.update", obj, d, &err);
    json_decref(d);
    if (rc != 0 || db_commit(c->db, &err) != 0) goto dberr;
    out = user_row(c->db, id);
    goto done;
dberr:
    spot_fail_db(e, "users", err);
done:
    if (!out && !sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(old);
    json_decref(changes);
    return out;
}
