/* worker.h: what each thread owns: one SQLite connection and one Lua state with the active rules;
 * and the process-wide change epoch with a small reply cache keyed by it.
 * Created lazily per thread; the rules are reloaded when their generation in the database changes,
 * so an activation takes effect on every worker's next request, all rules from one snapshot.
 *
 * Change epoch: worker_sync notices every commit made since this worker last looked, by its own
 * connection (sqlite3_total_changes64) or by any other connection or process (PRAGMA data_version,
 * which reads no page, on one process-wide watching connection), and then bumps one process-wide
 * counter. A new worker does not bump it: its fresh connection has committed nothing. The server syncs at the start of
 * every request and again after the handler, before the reply is sent, so a request that starts
 * after a commit was acknowledged always sees an epoch newer than any cached before the commit.
 * Anything derived from the database may be cached stamped with the epoch read at the start of the
 * request that computed it, and is valid only while worker_epoch() still equals that stamp. */
#ifndef SPOT_WORKER_H
#define SPOT_WORKER_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include "luahost.h"

typedef struct worker {
    sqlite3 *db;
    lh_state *lua;
    long long rules_gen;   /* generation of the loaded rule set */
    json_t *rule_versions; /* {name: {"version", "sha256"}} of the loaded set */
    unsigned long long epoch;       /* the change epoch at this worker's last sync */
    unsigned long long rules_epoch; /* the epoch at which rules_gen was last checked */
    long long total_changes;        /* of this connection, as seen at the last sync */
} worker;

/* This thread's worker, created on first use from spot_config. Returns NULL with *err set. */
worker *worker_get(char **err);

/* Looks for commits since this worker's last sync (see above), bumps the change epoch if there
 * were any, and returns the current epoch (also stored in w->epoch). */
unsigned long long worker_sync(worker *w);

/* Like worker_sync, but looks only at this connection's own changes (no query): enough after a
 * request that cannot have made another connection commit. */
unsigned long long worker_sync_own(worker *w);

/* The current process-wide change epoch. */
unsigned long long worker_epoch(void);

/* Syncs, then reloads the active rules if their generation changed; the generation is read from
 * the database only when the epoch moved since the last check. Returns 0 or -1 with *err. */
int worker_refresh_rules(worker *w, char **err);

/* The SHA-256 (hex) of the loaded version of rule name, for recording with a decision; "" if none.
 * Borrowed until the next refresh. */
const char *worker_rule_sha(worker *w, const char *name);

/* Frees this thread's worker (at thread exit or in the CLI before exit). */
void worker_release(void);

/* Process-wide cache of derived bytes (serialized replies, counts), shared by all workers and
 * bounded in size (entries over WORKER_CACHE_ENTRY_MAX are not kept).
 * worker_cache_use: if key holds bytes stamped with epoch and epoch is still current, calls
 * use(arg, data, len) with them (borrowed for the call only; data is NUL-terminated) and returns 1;
 * otherwise returns 0 without calling it.
 * worker_cache_put: stores a copy of data stamped with epoch (the epoch read before the data was
 * computed); ignored when epoch is no longer current. */
#define WORKER_CACHE_ENTRY_MAX (2u << 20)
int worker_cache_use(const char *key, unsigned long long epoch,
                     void (*use)(void *arg, const char *data, size_t len), void *arg);
void worker_cache_put(const char *key, unsigned long long epoch, const char *data, size_t len);
/* Like worker_cache_put for one entry larger than WORKER_CACHE_ENTRY_MAX (up to
 * WORKER_CACHE_LARGE_MAX), kept outside the byte budget; a new one replaces the previous one. For
 * the compressed announcement of a big task (a 1,000,000-unit draw: about 7 MB). */
#define WORKER_CACHE_LARGE_MAX (64u << 20)
void worker_cache_put_large(const char *key, unsigned long long epoch, const char *data, size_t len);

#endif
