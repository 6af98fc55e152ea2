/* auth.h: accounts, the password policy, Argon2id password hashes, sessions (token stored only
 * hashed, idle and absolute expiry), CSRF tokens and login throttling, as domain functions on a
 * spot_ctx that fail with a spot_err. The routes are in http/api_auth.c.
 * Uses db.h, audit.h, worker.h, err.h and libsodium; knows nothing of HTTP. */
#ifndef SPOT_AUTH_H
#define SPOT_AUTH_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"
#include "worker.h"

/* The session token in a Cookie header (the "sid" cookie, 64 hex characters), hashed into th (65
 * bytes). Returns 1 when there is one, 0 otherwise (th set to ""). */
int auth_cookie_token_hash(const char *cookie_header, char th[65]);

/* Resolves the session whose token hash is th on w's database into *u and the session's CSRF token
 * into csrf (65 bytes). Returns 1 when a live session was found, 0 when anonymous. */
int auth_resolve(worker *w, const char *th, user *u, char *csrf);

/* Sessions' last-seen times are kept in memory (a request commits nothing, so session bookkeeping
 * never moves the change epoch); this writes them back to the sessions table in one transaction
 * (server shutdown). Returns 0, or -1 with *err (caller frees). */
int auth_flush_seen(sqlite3 *db, char **err);

/* The password policy: 0 if password may be set for username, else -1 with *e (SPOT_E_INVALID
 * "invalid", saying why). */
int auth_password_check(const char *username, const char *password, spot_err *e);

/* Creates an account inside the caller's transaction (audited as actor). The password must pass
 * auth_password_check; org_id: the account's org (<= 0: the bureau); real_name: 姓名 ("" or NULL
 * when not known yet); must_change: its owner has to change it at the first login. Returns the new
 * id, or -1 with *e (SPOT_E_INVALID for a refused name, real name, password, role or duplicate,
 * "unknown_org" for an org that does not exist; SPOT_E_DB). */
long long auth_create_user(sqlite3 *db, const char *actor, const char *username, const char *password,
                           const char *role, const char *cert_no, long long org_id, const char *real_name,
                           int must_change, spot_err *e);

/* Signs username in from c->client_ip: throttled (SPOT_E_LIMIT "throttled"), wrong name or password
 * (SPOT_E_UNAUTH "bad_credentials", in the same time whether the name exists or not), else a new
 * session. Returns a new reference {"csrf","username","role","must_change_password"} and the
 * session token in token (65 bytes), or NULL with *e. */
json_t *auth_login(spot_ctx *c, const char *username, const char *password, char token[65], spot_err *e);

/* Ends the session whose token hash is th (audited). Returns 0 or -1 with *e. */
int auth_logout(spot_ctx *c, const char *th, spot_err *e);

/* The signed-in user changes their own password (current checked like a login and throttled alike);
 * ends their sessions other than keep_th. Returns a new reference {"ok","changed_at"} or NULL with
 * *e. */
json_t *auth_change_own_password(spot_ctx *c, const char *current, const char *password, const char *keep_th,
                                 spot_err *e);

/* All accounts (never the hashes), as a new reference to an array; NULL with *e. */
json_t *auth_users_list(spot_ctx *c, spot_err *e);

/* POST /api/users body in (borrowed): creates the account. Returns the new row (new reference) or
 * NULL with *e. */
json_t *auth_user_create(spot_ctx *c, json_t *in, spot_err *e);

/* PUT /api/users/{id} body in (borrowed): changes password, role, cert_no, active,
 * must_change_password, org_id or real_name. A new password ends every session of the account except keep_th (the
 * caller's own, when an administrator changes their own password). Returns the new row (new
 * reference) or NULL with *e. */
json_t *auth_user_update(spot_ctx *c, long long id, json_t *in, const char *keep_th, spot_err *e);

#endif
