/* worker.c: per-thread database connection and Lua state. */
#include "worker.h"
#include "config.h"
#include "db.h"
#include "rules.h"

#include <pthread.h>
#include <stdlib.h>

static _Thread_local worker *tls_worker;

/* A server thread's worker is freed when the thread exits (the key's destructor). */
static pthread_key_t worker_key;
static pthread_once_t worker_key_once = PTHREAD_ONCE_INIT;

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
    tls_worker = w;
    pthread_once(&worker_key_once, make_key);
    pthread_setspecific(worker_key, w);
    return w;
}

int worker_refresh_rules(worker *w, char **err)
{
    long long gen = db_int(w->db, err, -1, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rules_gen'", "");
    if (gen < 0) return -1;
    if (gen == w->rules_gen) return 0;
    long long loaded;
    json_t *versions = NULL;
    if (rules_load_active(w->db, w->lua, &loaded, &versions, err) != 0) {
        w->rules_gen = -1;
        return -1;
    }
    json_decref(w->rule_versions);
    w->rule_versions = versions;
    w->rules_gen = loaded;
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
