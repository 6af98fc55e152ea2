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

/* audit_log for details whose member key is large and already dumped: details (an object, borrowed)
 * holds key as null, and ktext, the value's canonical text (json_dumps with JSON_COMPACT |
 * JSON_SORT_KEYS), is put in its place, so the value is dumped once for its own table and the
 * record (a draw's selection). No other member of details may hold an object naming key. */
int audit_log_with(sqlite3 *db, const char *actor, const char *action, const char *object, json_t *details,
                   const char *key, const char *ktext, char **err);

/* Re-computes the chain. Returns 0 if intact (and *count records checked), 1 if broken with *bad_id
 * the first broken record and *msg saying why (caller frees), -1 on a database error. */
int audit_verify(sqlite3 *db, long long *count, long long *bad_id, char **msg);

/* The newest record: its id and hash (65 bytes). Returns 1, 0 when the trail is empty, -1 on a
 * database error. */
int audit_head(sqlite3 *db, long long *id, char hash[65]);

/* The newest record of action on object (e.g. "task.lock", "task:7"; both NULL: of any) : its id
 * and hash (65 bytes). Returns 1, 0 when there is none, -1 on a database error. */
int audit_find(sqlite3 *db, const char *action, const char *object, long long *id, char hash[65]);

/* Checks that the records published outside the database are still in its chain. doc (borrowed)
 * holds them: {"id","hash"} (the public audit-head page, also with "anchors": [{"id","hash"}…]),
 * an announcement's {"audit_head": {"id","hash"}}, or an array of any of these. Verifies the chain
 * first (audit_verify), then every anchor in order of id. Returns 0 if all are there (*count
 * anchors), 1 with *bad_id the first missing or altered record and *msg saying why (caller frees),
 * -1 on a database error or when doc holds no anchor (*msg). */
int audit_check_anchors(sqlite3 *db, json_t *doc, long long *count, long long *bad_id, char **msg);

#endif
