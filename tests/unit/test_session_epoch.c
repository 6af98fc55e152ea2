/* test_session_epoch.c: session bookkeeping (last-seen times) never moves the change epoch, so a
 * cached reply stays cached across logged-in requests (issue 19); expiry still works, and the
 * remembered times reach the sessions table when flushed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "worker.h"

static char path[64];
static const char *TH = "1111111111111111111111111111111111111111111111111111111111111111";

/* A database with one user and one session of TH created an hour ago, last seen at seen_ago
 * seconds before now (as the table says). */
static void make_db(long long seen_ago)
{
    snprintf(path, sizeof path, "/tmp/test_session_epoch_%d.db", (int)getpid());
    unlink(path);
    char *err = NULL;
    sqlite3 *db = db_open(path, 1, &err);
    assert_non_null(db);
    long long now = clock_unix();
    assert_true(db_run(db, &err, "INSERT INTO users(id, username, password_hash, role, created_at, updated_at) "
                       "VALUES (1, 'planner1', 'x', 'planner', '2026-01-01', '2026-01-01')", "") >= 0);
    assert_true(db_run(db, &err, "INSERT INTO sessions(token_hash, user_id, csrf, created_at, seen_at) "
                       "VALUES (?, 1, 'c', ?, ?)", "sii", TH, now - 3600, now - seen_ago) >= 0);
    db_close(db);
    snprintf(spot_config.db_path, sizeof spot_config.db_path, "%s", path);
}

static long long data_version(sqlite3 *db)
{
    return db_int(db, NULL, -1, "PRAGMA data_version", "");
}

/* worker_cache_use callback: copies the cached bytes into arg (16 bytes). */
static void copy_out(void *arg, const char *data, size_t len)
{
    snprintf(arg, 16, "%.*s", (int)len, data);
}

static void cached_reply_survives_logged_in_requests(void **state)
{
    (void)state;
    make_db(600); /* seen 10 minutes ago: the old code wrote seen_at on the next request */
    char *err = NULL;
    worker *w = worker_get(&err);
    assert_non_null(w);
    sqlite3 *other = db_open(path, 0, &err);
    assert_non_null(other);
    long long dv0 = data_version(other);

    unsigned long long epoch = worker_sync(w);
    worker_cache_put("public:items", epoch, "[1,2,3]", 7);
    for (int i = 0; i < 3; i++) {
        user u;
        char csrf[65];
        worker_sync(w);
        assert_int_equal(auth_resolve(w, TH, &u, csrf), 1);
        assert_string_equal(u.username, "planner1");
        worker_sync(w);
    }
    char got[16] = "";
    assert_int_equal(worker_cache_use("public:items", worker_sync(w), copy_out, got), 1);
    assert_string_equal(got, "[1,2,3]");
    assert_true(worker_epoch() == epoch);
    assert_int_equal(data_version(other), dv0); /* nothing was committed */

    /* Written back on flush: the table's seen_at is now within a few seconds of now. */
    assert_int_equal(auth_flush_seen(other, &err), 0);
    long long seen = db_int(other, NULL, -1, "SELECT seen_at FROM sessions WHERE token_hash = ?", "s", TH);
    assert_true(clock_unix() - seen <= 2);
    db_close(other);
    worker_release();
    unlink(path);
}

static void idle_session_still_expires(void **state)
{
    (void)state;
    make_db(spot_config.session_idle + 60);
    char *err = NULL;
    worker *w = worker_get(&err);
    assert_non_null(w);
    worker_sync(w);
    user u;
    char csrf[65];
    assert_int_equal(auth_resolve(w, TH, &u, csrf), 0);
    assert_int_equal(db_int(w->db, NULL, -1, "SELECT count(*) FROM sessions", ""), 0);
    worker_release();
    unlink(path);
}

int main(void)
{
    char *err = NULL;
    if (config_load(NULL, &err) != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_reply_survives_logged_in_requests),
        cmocka_unit_test(idle_session_still_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
