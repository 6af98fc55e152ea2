/* worker.c: per-thread database connection and Lua state; the change epoch and the reply cache. */
#include "worker.h"
#include "config.h"
#include "db.h"
#include "rules.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local worker *tls_worker;

/* A server thread's worker is freed when the thread exits (the key's destructor). */
static pthread_key_t worker_key;
static pthread_once_t worker_key_once = PTHREAD_ONCE_INIT;

/* Starts at 1 so that a zeroed stamp never matches. */
static _Atomic unsigned long long change_epoch = 1;

static void worker_free(void *p)
{
    worker *w = p;
    if (!w) return;
    lh_free(w->lua);
    db_close(w->db);
    json_decref(w->rule_versions);
    free(w);
}

static void make_key(void)
{
    pthread_key_create(&worker_key, worker_free);
}

worker *worker_get(char **err)
{
    if (tls_worker) return tls_worker;
    worker *w = calloc(1, sizeof *w);
    if (!w) { *err = xprintf("out of memory"); return NULL; }
    w->db = db_open(spot_config.db_path, 0, err);
    if (!w->db) { free(w); return NULL; }
    w->lua = lh_new(&spot_config.lua, err);
    if (!w->lua) { db_close(w->db); free(w); return NULL; }
    w->rules_gen = -1;
    w->total_changes = sqlite3_total_changes64(w->db); /* a fresh connection: nothing committed yet */
    tls_worker = w;
    pthread_once(&worker_key_once, make_key);
    pthread_setspecific(worker_key, w);
    return w;
}

/* Commits by other connections and processes, seen through one process-wide connection that reads
 * only PRAGMA data_version (under watch_lock): a worker's own connection would first have to learn
 * a baseline, and a new worker (each thread's first request) could then only assume a change. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *watch_db;
static sqlite3_stmt *watch_stmt;
static long long watch_dv = -1;

/* PRAGMA data_version of the watching connection, opened on first use; -1 when unreadable. Under
 * watch_lock. */
static long long watch_data_version(void)
{
    if (!watch_db) {
        char *err = NULL;
        watch_db = db_open(spot_config.db_path, 0, &err);
        free(err);
        if (watch_db && sqlite3_prepare_v3(watch_db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT, &watch_stmt,
                                           NULL) != SQLITE_OK)
            watch_stmt = NULL;
    }
    long long dv = -1;
    if (watch_stmt) {
        if (sqlite3_step(watch_stmt) == SQLITE_ROW) dv = sqlite3_column_int64(watch_stmt, 0);
        sqlite3_reset(watch_stmt); /* ends the read transaction the pragma opened */
    }
    return dv;
}

unsigned long long worker_sync(worker *w)
{
    long long tc = sqlite3_total_changes64(w->db);
    int changed = tc != w->total_changes;
    w->total_changes = tc;
    pthread_mutex_lock(&watch_lock);
    long long dv = watch_data_version();
    /* An unreadable data_version counts as a change: a cache must never outlive a commit. */
    if (dv < 0 || dv != watch_dv) changed = 1;
    watch_dv = dv;
    pthread_mutex_unlock(&watch_lock);
    if (changed) atomic_fetch_add(&change_epoch, 1);
    w->epoch = atomic_load(&change_epoch);
    return w->epoch;
}

unsigned long long worker_sync_own(worker *w)
{
    long long tc = sqlite3_total_changes64(w->db);
    if (tc != w->total_changes) {
        w->total_changes = tc;
        atomic_fetch_add(&change_epoch, 1);
    }
    w->epoch = atomic_load(&change_epoch);
    return w->epoch;
}

unsigned long long worker_epoch(void)
{
    return atomic_load(&change_epoch);
}

int worker_refresh_rules(worker *w, char **err)
{
    unsigned long long epoch = worker_sync(w);
    if (w->rules_gen >= 0 && epoch == w->rules_epoch) return 0; /* nothing committed since the last check */
    long long gen = db_int(w->db, err, -1, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rules_gen'", "");
    if (gen < 0) return -1;
    if (gen != w->rules_gen) {
        long long loaded;
        json_t *versions = NULL;
        if (rules_load_active(w->db, w->lua, &loaded, &versions, err) != 0) {
            w->rules_gen = -1;
            return -1;
        }
        json_decref(w->rule_versions);
        w->rule_versions = versions;
        w->rules_gen = loaded;
    }
    w->rules_epoch = epoch;
    return 0;
}

const char *worker_rule_sha(worker *w, const char *name)
{
    const char *s = json_string_value(json_object_get(json_object_get(w->rule_versions, name), "sha256"));
    return s ? s : "";
}

void worker_release(void)
{
    worker *w = tls_worker;
    if (!w) return;
    pthread_setspecific(worker_key, NULL);
    worker_free(w);
    tls_worker = NULL;
}

/* ---- reply cache ---------------------------------------------------------------------------------- */

#define CACHE_SLOTS 32
#define CACHE_TOTAL_MAX (8u << 20)

struct cache_entry {
    char *key;                 /* NULL: free slot */
    unsigned long long epoch;
    char *data;                /* len bytes and a NUL */
    size_t len;
    _Atomic unsigned long long used; /* last use, for eviction */
};

static struct cache_entry cache[CACHE_SLOTS];
/* One entry beyond the byte budget (worker_cache_put_large): the compressed bytes of the largest
 * public reply, a big task's announcement, which would otherwise be rebuilt for every visitor. */
static struct cache_entry large;
static size_t cache_bytes;
static _Atomic unsigned long long cache_clock;
static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;

static void entry_drop(struct cache_entry *e)
{
    if (!e->key) return;
    cache_bytes -= e->len;
    free(e->key);
    free(e->data);
    e->key = e->data = NULL;
    e->len = 0;
    e->epoch = 0;
    atomic_store(&e->used, 0);
}

/* Frees every entry of an older epoch (their bytes can never be served again). Under the write
 * lock. */
static void drop_stale(unsigned long long now)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (cache[i].key && cache[i].epoch != now) entry_drop(&cache[i]);
    if (large.key && large.epoch != now) {
        cache_bytes += large.len;   /* entry_drop subtracts; the large entry is outside the budget */
        entry_drop(&large);
    }
}

int worker_cache_use(const char *key, unsigned long long epoch,
                     void (*use)(void *arg, const char *data, size_t len), void *arg)
{
    int found = 0, stale = 0;
    unsigned long long now = atomic_load(&change_epoch);
    if (epoch != now) return 0;
    pthread_rwlock_rdlock(&cache_lock);
    for (int i = 0; i <= CACHE_SLOTS; i++) {
        struct cache_entry *e = i < CACHE_SLOTS ? &cache[i] : &large;
        if (!e->key || strcmp(e->key, key)) continue;
        if (e->epoch != now) {
            stale = 1;
            break;
        }
        atomic_store(&e->used, atomic_fetch_add(&cache_clock, 1) + 1);
        use(arg, e->data, e->len);
        found = 1;
        break;
    }
    pthread_rwlock_unlock(&cache_lock);
    if (stale) { /* give the memory back now rather than at the next store */
        pthread_rwlock_wrlock(&cache_lock);
        drop_stale(atomic_load(&change_epoch));
        pthread_rwlock_unlock(&cache_lock);
    }
    return found;
}

void worker_cache_put_large(const char *key, unsigned long long epoch, const char *data, size_t len)
{
    if (len > WORKER_CACHE_LARGE_MAX || epoch != atomic_load(&change_epoch)) return;
    char *k = strdup(key), *d = malloc(len + 1);
    if (!k || !d) { free(k); free(d); return; }
    memcpy(d, data, len);
    d[len] = 0;
    pthread_rwlock_wrlock(&cache_lock);
    if (epoch == atomic_load(&change_epoch)) {
        free(large.key);
        free(large.data);
        large.key = k;
        large.data = d;
        large.len = len;
        large.epoch = epoch;
        atomic_store(&large.used, atomic_fetch_add(&cache_clock, 1) + 1);
        k = d = NULL;
    }
    pthread_rwlock_unlock(&cache_lock);
    free(k);
    free(d);
}

void worker_cache_put(const char *key, unsigned long long epoch, const char *data, size_t len)
{
    if (len > WORKER_CACHE_ENTRY_MAX || epoch != atomic_load(&change_epoch)) return;
    char *k = strdup(key), *d = malloc(len + 1);
    if (!k || !d) { free(k); free(d); return; }
    memcpy(d, data, len);
    d[len] = 0;
    pthread_rwlock_wrlock(&cache_lock);
    unsigned long long now = atomic_load(&change_epoch);
    drop_stale(now);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (cache[i].key && !strcmp(cache[i].key, key)) entry_drop(&cache[i]);
    /* Evict the least recently used until the new entry fits in a free slot and the byte budget. */
    while (epoch == now) {
        struct cache_entry *lru = NULL, *slot = NULL;
        for (int i = 0; i < CACHE_SLOTS; i++) {
            if (!cache[i].key) { if (!slot) slot = &cache[i]; }
            else if (!lru || atomic_load(&cache[i].used) < atomic_load(&lru->used)) lru = &cache[i];
        }
        if (slot && cache_bytes + len <= CACHE_TOTAL_MAX) {
            slot->key = k;
            slot->epoch = epoch;
            slot->data = d;
            slot->len = len;
            atomic_store(&slot->used, atomic_fetch_add(&cache_clock, 1) + 1);
            cache_bytes += len;
            k = d = NULL;
            break;
        }
        if (!lru) break;
        entry_drop(lru);
    }
    pthread_rwlock_unlock(&cache_lock);
    free(k);
    free(d);
}
