/* test_csvimport.c: the CSV import engine on a temporary database: physical line numbers across
 * quoted newlines, CRLF and blank lines, BOM, duplicate keys, whole-file refusals roll back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvimport.h"
#include "db.h"
#include "rules.h"

struct fx {
    char path[64];
    sqlite3 *db;
    lh_state *lua;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/test_csvimport_%d.db", (int)getpid());
    unlink(f->path);
    char *err = NULL;
    f->db = db_open(f->path, 1, &err);
    assert_non_null(f->db);
    lh_limits lim;
    lh_default_limits(&lim);
    f->lua = lh_new(&lim, &err);
    assert_non_null(f->lua);
    const char *src = getenv("SPOT_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rules", src ? src : SPOT_SOURCE_DIR);
    assert_int_equal(rules_load_dir(f->lua, dir, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    lh_free(f->lua);
    db_close(f->db);
    char side[80];
    unlink(f->path);
    snprintf(side, sizeof side, "%s-wal", f->path); unlink(side);
    snprintf(side, sizeof side, "%s-shm", f->path); unlink(side);
    free(f);
    return 0;
}

static json_t *run(struct fx *f, const char *csv, int expect_rc)
{
    json_t *res = NULL;
    char *err = NULL;
    int rc = csv_import(f->db, f->lua, &enterprise_kind, csv, strlen(csv), "test", &res, &err);
    if (rc != expect_rc) fprintf(stderr, "csv_import: rc %d: %s\n", rc, err ? err : "");
    assert_int_equal(rc, expect_rc);
    free(err);
    return res;
}

static long long rej_line(json_t *res, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(json_object_get(res, "rejected"), i), "line"));
}

/* Valid codes from the GB 32100 example family (check characters computed in validate.c tests). */
static void make(char out[19], int n)
{
    snprintf(out, 19, "91370322MA00%05d", n);
    out[17] = uscc_check_char(out);
    out[18] = 0;
}

static void line_numbers_across_quoted_newlines(void **state)
{
    struct fx *f = *state;
    char a[19], b[19], c[19];
    make(a, 1); make(b, 2); make(c, 3);
    char csv[2048];
    snprintf(csv, sizeof csv,
             "\xEF\xBB\xBFuscc,name,region,industry,business_scope\r\n"
             "%s,甲公司,青城镇,化工,\"多行\r\n经营\r\n范围\"\r\n"     /* lines 2-4 */
             "\r\n"                                                  /* 5 blank */
             "%s,,青城镇,化工,x\r\n"                                  /* 6 missing name */
             "%s,丙公司,青城镇,化工,\"a,b\"\r\n"                      /* 7 good */
             "%s,丁公司,青城镇,化工,\r\n",                           /* 8 duplicate of 2 */
             a, b, c, a);
    json_t *res = run(f, csv, 0);
    assert_int_equal(json_integer_value(json_object_get(res, "imported")), 2);
    assert_int_equal(json_array_size(json_object_get(res, "rejected")), 2);
    assert_int_equal(rej_line(res, 0), 6);
    assert_int_equal(rej_line(res, 1), 8);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(res, "rejected"), 1),
                                                             "error")), "第 2 行"));
    char *scope = db_text(f->db, NULL, "SELECT business_scope FROM enterprises WHERE uscc = ?", "s", a);
    assert_string_equal(scope, "多行\r\n经营\r\n范围");
    free(scope);
    json_decref(res);
}

static void refused_file_writes_nothing(void **state)
{
    struct fx *f = *state;
    long long before = db_int(f->db, NULL, -1, "SELECT count(*) FROM enterprises", "");
    json_t *res = run(f, "uscc,name,region\n91370322MA0000015K,x,y\n", 1);
    assert_null(res);
    res = run(f, "", 1);
    assert_null(res);
    assert_int_equal(db_int(f->db, NULL, -1, "SELECT count(*) FROM enterprises", ""), before);
    assert_int_equal(sqlite3_get_autocommit(f->db), 1);
}

static void wrong_column_count(void **state)
{
    struct fx *f = *state;
    char a[19];
    make(a, 9);
    char csv[512];
    snprintf(csv, sizeof csv, "uscc,name,region,industry\n%s,戊公司,青城镇\n", a);
    json_t *res = run(f, csv, 0);
    assert_int_equal(json_integer_value(json_object_get(res, "imported")), 0);
    assert_int_equal(rej_line(res, 0), 2);
    json_decref(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(line_numbers_across_quoted_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_file_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_column_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
