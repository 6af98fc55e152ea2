/* adminapi.h: the administrator's Lua API of the console (scripts/README.md documents it): db.query
 * (read-only SQL), directory, tasks, results, rules.eval, draw.simulate, report.table / report.csv.
 * A console session is a sandboxed state (luahost.h) with the active rules, this API registered in
 * its console environment and a read-only SQLite connection of its own. Also the audit record of a
 * console or script run. Uses luahost.h, rules.h, db.h, audit.h, draw.h, config.h (export_dir). */
#ifndef SPOT_ADMINAPI_H
#define SPOT_ADMINAPI_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

typedef struct adminapi adminapi;

/* Opens a console session: a new sandboxed state with limits lim (NULL: spot_config.lua), the
 * active rules read through db (borrowed, any connection to the database), a read-only connection
 * to db_path for the API, the API registered and the console prelude run. Returns a session the
 * caller frees with adminapi_close, or NULL with *err set (caller frees). */
adminapi *adminapi_open(sqlite3 *db, const char *db_path, const lh_limits *lim, char **err);
void adminapi_close(adminapi *a);

/* Runs code in the session's console environment: lh_console's contract (output, result, err are
 * new strings the caller frees). Globals persist across runs of the same session. */
int adminapi_run(adminapi *a, const char *code, size_t len, char **output, char **result, char **err);

/* Runs the chunk c in the session's console environment (lh_run_chunk's contract): the console
 * CLI's lines and `spotcheck run`'s scripts with their arguments. */
int adminapi_run_chunk(adminapi *a, const lh_chunk *c, char **output, char **result, char **err);

/* Whether code is an incomplete chunk (lh_chunk_incomplete): the console reads another line. */
int adminapi_incomplete(adminapi *a, const char *code, size_t len);

/* Stops the running chunk and the running SQL query of the session at their next check.
 * Async-signal-safe (for Ctrl-C in the console). */
void adminapi_interrupt(adminapi *a);

/* Writes one audit record of a console or script run in its own transaction on db (read-write):
 * details {"code": the first 64 KiB of code, "sha256": hex of the whole code, "bytes": len, "via"}
 * plus the members of extra (borrowed, may be NULL). Returns 0 or -1 with *err set. */
int adminapi_audit(sqlite3 *db, const char *actor, const char *action, const char *object,
                   const char *via, const char *code, size_t len, json_t *extra, char **err);

/* A new NUL-terminated copy of s (len bytes) that is valid UTF-8: invalid bytes become U+FFFD.
 * At most max bytes of s are kept (cut on a character boundary). Returns NULL if out of memory. */
char *adminapi_utf8(const char *s, size_t len, size_t max);

#endif
