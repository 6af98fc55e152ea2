/* auth.h: accounts, Argon2id password hashes, sessions (token stored only hashed, idle and
 * absolute expiry), CSRF tokens and login throttling; the /api/login, /api/logout, /api/me, /api/me/password
 * and /api/users routes. Uses db.h, audit.h, http.h and libsodium. */
#ifndef SPOT_AUTH_H
#define SPOT_AUTH_H

#include <sqlite3.h>
#include "http.h"

/* Resolves the session cookie of r into *u and the session's CSRF token into csrf (65 bytes).
 * Returns 1 when a live session was found, 0 when anonymous. */
int auth_resolve(req *r, user *u, char *csrf);

/* Creates an account inside the caller's transaction (audited as actor). Password at least
 * 8 characters; must_change: its owner has to change it at the first login. Returns the new id, or
 * -1 with *err (caller frees). */
long long auth_create_user(sqlite3 *db, const char *actor, const char *username, const char *password,
                           const char *role, const char *cert_no, int must_change, char **err);

extern const struct route auth_routes[];

#endif
