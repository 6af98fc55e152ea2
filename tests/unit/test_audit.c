/* test_audit.c: the hash audit_log writes (from the details' canonical text, without parsing it
 * again) is the hash audit_verify recomputes from the parsed record, for details of every shape:
 * nested and unsorted objects, Chinese, escapes, numbers, and texts that look like the record's
 * own "details" key; and a changed record fails the check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "db.h"

static char path[64];

static sqlite3 *fresh_db(void)
{
    snprintf(path, sizeof path, "/tmp/test_audit_%d.db", (int)getpid());
    unlink(path);
    char *err = NULL;
    sqlite3 *db = db_open(path, 1, &err);
    assert_non_null(db);
    return db;
}

static void cleanup(sqlite3 *db)
{
    db_close(db);
    char p[80];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void test_written_hash_is_verified(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    char *err = NULL;
    long long before = 0, bad = 0;
    assert_int_equal(audit_verify(db, &before, &bad, NULL), 0);
    static const char *const texts[] = {
        "{\"z\":1,\"a\":{\"y\":[1,2,{\"b\":null,\"a\":true}],\"x\":\"抽取结果\"}}",
        "{\"details\":null,\"id\":5,\"note\":\",\\\"details\\\":null,\\\"id\\\":\"}",
        "{\"real\":0.1,\"big\":9007199254740993,\"neg\":-12.5e-7,\"tiny\":1e-300,\"zero\":0.0}",
        "{\"esc\":\"tab\\tnew\\nline \\\"quoted\\\" back\\\\slash \\u0001 /slash\",\"u\":\"\\u00e9\\ud83d\\ude00\"}",
        "{}",
        "[\"a\",1,2.5,false,null]",
        "\"just text\"",
        "{\"selected\":[\"91370322MA0000001X\",\"91370322MA0000002X\",\"91370322MA0000003X\"],\"seed\":\"ab\"}",
    };
    size_t n = sizeof texts / sizeof *texts;
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_loads(texts[i], JSON_DECODE_ANY, NULL);
        assert_non_null(d);
        assert_int_equal(audit_log(db, i % 2 ? "admin \"x\",\"details\":null," : "planner1", "test.action",
                                   i % 3 ? "task:1" : "obj \"details\":null,\"id\":1", d, &err), 0);
        json_decref(d);
    }
    assert_int_equal(audit_log(db, "planner1", "test.none", "x", NULL, &err), 0);
    long long count = 0;
    char *msg = NULL;
    assert_int_equal(audit_verify(db, &count, &bad, &msg), 0);
    assert_int_equal(count, before + (long long)n + 1);
    /* the check can fail: a changed detail (by someone who dropped the append-only trigger)
     * breaks the chain at that record */
    assert_true(db_run(db, &err, "DROP TRIGGER audit_no_update", "") >= 0);
    assert_true(db_run(db, &err, "UPDATE audit SET details = replace(details, '抽取结果', '抽取结杲') WHERE "
                                 "action = 'test.action' AND details LIKE '%抽取结果%'", "") == 1);
    assert_int_equal(audit_verify(db, &count, &bad, &msg), 1);
    assert_true(bad > before);
    free(msg);
    cleanup(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_hash_is_verified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
