/* audit.h: the tamper-evident audit trail (SPEC 5.3). Every state change writes one record in the
 * same transaction; records are hash-chained: hash = SHA-256(prev_hash || canonical record).
 * Uses db.h and libsodium. */
#ifndef SPOT_AUDIT_H
#define SPOT_AUDIT_H

#include <sqlite3.h>
#include <jansson.h>

/* Appends a record. Must run inside the caller's write transaction. actor: username or "system";
 * action: e.g. "enterprise.update"; object: e.g. "enterprise:91370322…"; details borrowed (may be
 * NULL). Returns 0 or -1 with *err set. */
int audit_log(sqlite3 *db, const char *actor, const char *action, const char *object,
              json_t *details, char **err);

/* Re-computes the chain. Returns 0 if intact (and *count records checked), 1 if broken with *bad_id
 * the first broken record and *msg saying why (caller frees), -1 on a database error. */
int audit_verify(sqlite3 *db, long long *count, long long *bad_id, char **msg);

#endif
