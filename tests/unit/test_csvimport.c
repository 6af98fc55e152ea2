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
#include <sodium.h>

#include "csvimport.h"
#include "enterprises.h"
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

/* The reader thread validates against a detached industry set (one thread per lua_State): every
 * alias the rule lists is resolved by categories.canonical() before, on the owning thread. */
static void detached_industry_set_knows_aliases_without_lua(void **state)
{
    struct fx *f = *state;
    industry_set *set = malloc(sizeof *set);
    char *err = NULL;
    assert_int_equal(industries_load(f->lua, set, &err), 0);
    assert_int_equal(industry_set_detach(set, &err), 0);
    assert_null(set->lua);
    assert_string_equal(industry_canonical(set, "化工"), "化工");
    assert_string_equal(industry_canonical(set, "石油化工"), "化工");
    assert_string_equal(industry_canonical(set, "化工（含石油化工）"), "化工");
    assert_string_equal(industry_canonical(set, "危化品"), "危险化学品");
    assert_null(industry_canonical(set, "房地产"));
    assert_string_equal(industry_category(set, "化工"), "key");
    assert_string_equal(industry_category(set, "商贸"), "general");
    assert_string_equal(industry_category_code(set, "重点"), "key");
    assert_string_equal(industry_category_code(set, "一般"), "general");
    assert_string_equal(industry_category_label(set, "key"), "重点");
    assert_null(industry_category_code(set, "其他"));
    free(set);
}

/* An alias in the file is stored under its 3.2 name (resolved before the reader starts). */
static void alias_industry_imported_canonical(void **state)
{
    struct fx *f = *state;
    char a[19], b[19];
    make(a, 11); make(b, 12);
    char csv[1024];
    snprintf(csv, sizeof csv, "uscc,name,region,industry\r\n%s,甲,青城镇,石油化工\r\n%s,乙,青城镇,有色金属\r\n", a, b);
    json_t *res = run(f, csv, 0);
    assert_int_equal(json_integer_value(json_object_get(res, "imported")), 2);
    char *i1 = db_text(f->db, NULL, "SELECT industry FROM enterprises WHERE uscc = ?", "s", a);
    char *i2 = db_text(f->db, NULL, "SELECT industry FROM enterprises WHERE uscc = ?", "s", b);
    assert_string_equal(i1, "化工");
    assert_string_equal(i2, "有色");
    free(i1);
    free(i2);
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

/* A file over 1 MiB into the empty table takes the bulk path (indexes built after the rows,
 * pipelined reader/writer, multi-row INSERTs): the outcome must be the same as row by row —
 * rejections of both stages in line order, in-file duplicates with the first line, the SHA-256 of
 * the file as received, the key index rebuilt, and the CHECK constraints still in force. */
static void bulk_load_same_outcome(void **state)
{
    struct fx *f = *state;
    enum { N = 6000 };
    /* The bulk path drops the enterprise indexes and builds them again at the end: count them first. */
    long long indexes = db_int(f->db, NULL, -1, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                                "AND tbl_name = 'enterprises' AND sql IS NOT NULL", "");
    assert_true(indexes > 0);
    size_t cap = (size_t)N * 400 + 4096, len = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "\xEF\xBB\xBF统一社会信用代码,单位名称,行政区划,行业类别,风险等级,经营范围\n");
    char pad[201];
    memset(pad, 'x', 200);
    pad[200] = 0;
    for (int i = 0; i < N; i++) {
        char u[19];
        make(u, i % 1000 == 999 ? 7 : i);           /* lines 1001, 2001, ...: duplicates of line 9 */
        const char *risk = i % 777 == 5 ? "紫色" : "重大";   /* bad enum: rejected by the reader */
        len += (size_t)snprintf(csv + len, cap - len, "%s,单位%d,青城镇,化工,%s,\"%s,%d\"\n", u, i, risk, pad, i);
    }
    assert_true(len > (1u << 20));
    json_t *res = NULL;
    char *err = NULL;
    assert_int_equal(csv_import(f->db, f->lua, &enterprise_kind, csv, len, "test", &res, &err), 0);
    json_t *rej = json_object_get(res, "rejected");
    long long expect_rej = 0;
    for (int i = 0; i < N; i++) expect_rej += i % 777 == 5 || i % 1000 == 999;
    assert_int_equal(json_integer_value(json_object_get(res, "rejected_count")), expect_rej);
    assert_int_equal(json_integer_value(json_object_get(res, "imported")), N - expect_rej);
    long long last = 0;
    for (size_t i = 0; i < json_array_size(rej); i++) {
        long long line = rej_line(res, i);
        assert_true(line > last);
        last = line;
        const char *msg = json_string_value(json_object_get(json_array_get(rej, i), "error"));
        if ((line - 2) % 1000 == 999) assert_non_null(strstr(msg, "与第 9 行重复"));
        else assert_non_null(strstr(msg, "风险等级"));
    }
    unsigned char sha[32];
    char hex[65];
    crypto_hash_sha256(sha, (const unsigned char *)csv, len);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", sha[i]);
    assert_string_equal(json_string_value(json_object_get(res, "file_sha256")), hex);
    char *ad = db_text(f->db, NULL, "SELECT json_extract(details, '$.file_sha256') FROM audit "
                                    "WHERE action = 'enterprise.import'", "");
    assert_string_equal(ad, hex);
    free(ad);
    /* rows in file order, the index on the key back, constraints still checked */
    char u0[19];
    make(u0, 0);
    assert_int_equal(db_int(f->db, NULL, -1, "SELECT min(id) = (SELECT id FROM enterprises WHERE uscc = ?) "
                                             "FROM enterprises", "s", u0), 1);
    assert_int_equal(db_int(f->db, NULL, -1, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                             "AND tbl_name = 'enterprises' AND sql IS NOT NULL", ""), indexes);
    assert_int_equal(db_int(f->db, NULL, -1, "SELECT count(*) FROM enterprises WHERE risk_level <> 'red'", ""), 0);
    assert_true(db_run(f->db, NULL, "UPDATE enterprises SET risk_level = 'purple' WHERE uscc = ?", "s", u0) < 0);
    assert_true(db_run(f->db, NULL, "UPDATE enterprises SET credit_level = 'bad' WHERE uscc = ?", "s", u0) < 0);
    assert_int_equal(db_run(f->db, NULL, "UPDATE enterprises SET credit_level = 'dishonest' WHERE uscc = ?", "s", u0), 1);
    json_decref(res);
    free(err);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(line_numbers_across_quoted_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_file_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(detached_industry_set_knows_aliases_without_lua, setup, teardown),
        cmocka_unit_test_setup_teardown(alias_industry_imported_canonical, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_column_count, setup, teardown),
        cmocka_unit_test_setup_teardown(bulk_load_same_outcome, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
