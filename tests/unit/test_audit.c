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

/* audit_log_with stores exactly the text audit_log would for the whole object (the spliced member
 * in its sorted place, first, middle or last), and its records verify. */
static void test_spliced_member(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    char *err = NULL;
    static const char *const whole[] = {
        "{\"attempt\":1,\"seed\":\"ab\",\"selection\":[{\"stratum\":\"重点\",\"selected\":[\"9137A\",\"9137B\"],\"b\":2}],"
        "\"note\":\"监督人：\\\"selection\\\":null,\"}",
        "{\"selection\":{\"z\":1,\"a\":[null,true]},\"zz\":0}",
        "{\"a\":\"x\",\"selection\":[]}",
        "{\"selection\":\"only\"}",
    };
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        json_t *full = json_loads(whole[i], 0, NULL);
        assert_non_null(full);
        char *want = json_dumps(full, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *ktext = json_dumps(json_object_get(full, "selection"), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_object_set_new(full, "selection", json_null());
        assert_int_equal(audit_log_with(db, "planner1", "task.draw", "task:1", full, "selection", ktext, &err), 0);
        json_t *got = db_row(db, &err, "SELECT details FROM audit ORDER BY id DESC LIMIT 1", "");
        assert_non_null(got);
        assert_string_equal(json_string_value(json_object_get(got, "details")), want);
        json_decref(got);
        free(want);
        free(ktext);
        json_decref(full);
    }
    long long count = 0, bad = 0;
    assert_int_equal(audit_verify(db, &count, &bad, NULL), 0);
    /* a key that is not a null member is refused, nothing written */
    json_t *d = json_pack("{si}", "selection", 1);
    assert_int_equal(audit_log_with(db, "planner1", "task.draw", "task:1", d, "selection", "[]", &err), -1);
    free(err);
    err = NULL;
    json_decref(d);
    long long after = 0;
    assert_int_equal(audit_verify(db, &after, &bad, NULL), 0);
    assert_int_equal(after, count);
    cleanup(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_hash_is_verified),
        cmocka_unit_test(test_spliced_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
