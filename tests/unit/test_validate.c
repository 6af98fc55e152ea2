/* test_validate.c: GB 32100 USCC, GB 11643 ID numbers, masking, code lists, field normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "validate.h"

/* Real published codes with known check characters. */
static void uscc_valid_known(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(uscc_check("91350100M000100Y43", norm, &why), 1);   /* GB 32100 example */
    assert_int_equal(uscc_check("91350100m000100y43", norm, &why), 1);   /* lower case accepted */
    assert_string_equal(norm, "91350100M000100Y43");
}

static void uscc_check_char_computed(void **state)
{
    (void)state;
    assert_int_equal(uscc_check_char("91350100M000100Y4"), '3');
    assert_int_equal(orgcode_check_char("M000100Y"), '4');
    assert_int_equal(orgcode_check_char("10000134"), '2');
    char s[19] = "91370322MA3C00000";
    s[17] = uscc_check_char(s);
    s[18] = 0;
    char norm[19];
    const char *why;
    assert_int_equal(uscc_check(s, norm, &why), 1);
}

static void uscc_bad_check_char(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(uscc_check("91350100M000100Y44", norm, &why), 0);
    assert_non_null(strstr(why, "校验码"));
}

static void uscc_bad_char(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(uscc_check("91350100M0001I0Y43", norm, &why), 0);   /* I is not allowed */
    assert_non_null(strstr(why, "字符"));
    assert_int_equal(uscc_check("91350100M0001O0Y43", norm, &why), 0);
    assert_int_equal(uscc_check("9135010-M000100Y43", norm, &why), 0);
    assert_int_equal(uscc_check("913501中M000100Y4", norm, &why), 0);
}

static void uscc_wrong_length(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(uscc_check("91350100M000100Y4", norm, &why), 0);
    assert_non_null(strstr(why, "18"));
    assert_int_equal(uscc_check("91350100M000100Y433", norm, &why), 0);
    assert_int_equal(uscc_check("", norm, &why), 0);
}

static void uscc_bad_authority_or_region(void **state)
{
    (void)state;
    char s[19] = "B1370322MA3C00000", norm[19];
    const char *why;
    s[17] = uscc_check_char(s);
    s[18] = 0;
    assert_int_equal(uscc_check(s, norm, &why), 0);        /* B: no such registration authority */
    assert_non_null(strstr(why, "登记管理部门"));
    char t[19] = "9137A322MA3C00000";
    t[17] = uscc_check_char(t);
    t[18] = 0;
    assert_int_equal(uscc_check(t, norm, &why), 0);        /* region code must be digits */
}

static void idno_valid(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(idno_check("11010519491231002X", "2026-01-01", norm, &why), 1);  /* GB 11643 example */
    assert_int_equal(idno_check("11010519491231002x", "2026-01-01", norm, &why), 1);
    assert_string_equal(norm, "11010519491231002X");
    assert_int_equal(idno_check_char("11010519491231002"), 'X');
    char s[19] = "37032219800229123";                       /* 1980 is a leap year */
    s[17] = idno_check_char(s);
    s[18] = 0;
    assert_int_equal(idno_check(s, "2026-01-01", norm, &why), 1);
}

static void idno_bad_check_digit(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(idno_check("110105194912310021", "2026-01-01", norm, &why), 0);
    assert_non_null(strstr(why, "校验码"));
}

static void idno_bad_date(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    char s[19] = "37032219990230123";                       /* 30 February */
    s[17] = idno_check_char(s);
    s[18] = 0;
    assert_int_equal(idno_check(s, "2026-01-01", norm, &why), 0);
    assert_non_null(strstr(why, "出生日期"));
    char t[19] = "37032219810229123";                       /* 1981 is not a leap year */
    t[17] = idno_check_char(t);
    t[18] = 0;
    assert_int_equal(idno_check(t, "2026-01-01", norm, &why), 0);
}

static void idno_future_date(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    char s[19] = "37032220300101123";
    s[17] = idno_check_char(s);
    s[18] = 0;
    assert_int_equal(idno_check(s, "2026-01-01", norm, &why), 0);
    assert_non_null(strstr(why, "晚于"));
    assert_int_equal(idno_check(s, "2031-01-01", norm, &why), 1);
}

static void idno_bad_shape(void **state)
{
    (void)state;
    char norm[19];
    const char *why = NULL;
    assert_int_equal(idno_check("1101051949123100", "2026-01-01", norm, &why), 0);
    assert_int_equal(idno_check("11010519491231A02X", "2026-01-01", norm, &why), 0);
    assert_int_equal(idno_check("11010519491231002Y", "2026-01-01", norm, &why), 0);
}

static void idno_masking(void **state)
{
    (void)state;
    char m[19];
    idno_mask("370322198001011234", m);
    assert_string_equal(m, "370322********1234");
    idno_mask("short", m);
    assert_string_equal(m, "******");
    idno_mask("", m);
    assert_string_equal(m, "");
}

static void phone_masking(void **state)
{
    (void)state;
    char m[V_PHONE_MASKED];
    phone_mask("13912345678", m);
    assert_string_equal(m, "139****5678");
    phone_mask("0533-6961234", m);
    assert_string_equal(m, "053****1234");
    phone_mask("1234567", m);
    assert_string_equal(m, "****");
    phone_mask("", m);
    assert_string_equal(m, "");
    phone_mask(NULL, m);
    assert_string_equal(m, "");
    phone_mask("139****5678", m);
    assert_string_equal(m, "139****5678"); /* idempotent: history written masked stays the same */
}

static void choices_codes_and_labels(void **state)
{
    (void)state;
    assert_string_equal(v_choice_code(V_RISK, "重大"), "red");
    assert_string_equal(v_choice_code(V_RISK, "BLUE"), "blue");
    assert_string_equal(v_choice_code(V_CREDIT, "失信"), "dishonest");
    assert_string_equal(v_choice_code(V_UNIT_STATUS, "注销"), "closed");
    assert_string_equal(v_choice_code(V_LEVEL, "乡"), "township");
    assert_string_equal(v_choice_code(V_PERSON_STATUS, "离岗"), "inactive");
    assert_null(v_choice_code(V_RISK, "purple"));
    int b = -1;
    assert_int_equal(v_bool("是", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(v_bool("false", &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(v_bool("maybe", &b), -1);
}

static void normalize_fields(void **state)
{
    (void)state;
    char out[512], why[256];
    vfield tags = {"expertise", "业务专长", VF_TAGS, 0, NULL, "[]", 1000};
    assert_int_equal(vf_normalize(&tags, " 化工；危险化学品;化工 ", out, sizeof out, NULL, NULL, why, sizeof why), 0);
    assert_string_equal(out, "[\"化工\",\"危险化学品\"]");
    vfield count = {"complaints", "投诉举报次数", VF_COUNT, 0, NULL, "0", 9};
    assert_int_equal(vf_normalize(&count, "-1", out, sizeof out, NULL, NULL, why, sizeof why), -1);
    assert_int_equal(vf_normalize(&count, "007", out, sizeof out, NULL, NULL, why, sizeof why), 0);
    assert_string_equal(out, "7");
    vfield date = {"d", "日期", VF_DATE, 0, NULL, NULL, 10};
    assert_int_equal(vf_normalize(&date, "2025-02-29", out, sizeof out, NULL, NULL, why, sizeof why), -1);
    vfield name = {"name", "单位名称", VF_TEXT, 1, NULL, NULL, 300};
    assert_int_equal(vf_normalize(&name, "  ", out, sizeof out, NULL, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "不能为空"));
    vfield ind = {"industry", "行业类别", VF_INDUSTRY, 1, NULL, NULL, 64};
    assert_int_equal(vf_normalize(&ind, "化工", out, sizeof out, NULL, NULL, why, sizeof why), -1); /* no rule set */
}

/* vf_normalize_n (the import's path: a value with its length, not terminated) gives what
 * vf_normalize gives for the same text: trimming (ASCII space, U+3000), length limits, control
 * characters, the 是/否 shortcut and everything else through the common code. */
static void normalize_with_length_matches(void **state)
{
    (void)state;
    static const vfield fields[] = {
        {"name", "单位名称", VF_TEXT, 1, NULL, NULL, 12},
        {"business_scope", "经营范围", VF_TEXT, 0, NULL, "", 3000},
        {"risk_level", "风险等级", VF_CHOICE, 0, V_RISK, "yellow", 16},
        {"watchlist", "重点关注", VF_BOOL, 0, NULL, "0", 1},
        {"complaints", "投诉举报次数", VF_COUNT, 0, NULL, "0", 9},
        {"uscc", "统一社会信用代码", VF_USCC, 1, NULL, NULL, 18},
        {"expertise", "业务专长", VF_TAGS, 0, NULL, "[]", 1000},
    };
    static char big[5000];
    memset(big, 'a', sizeof big - 1);
    const char *inputs[] = {"", "  ", "\xE3\x80\x80是\xE3\x80\x80", "否", "是否", "TRUE", "  重大 ", "red", "紫色",
                            "007", "-1", "abc\x01", "多行\n经营", "\t一二三四五\r\n", "一二三四五", "x",
                            "91350100M000100Y43", " 91350100m000100y43 ", "化工；危险化学品", big};
    for (size_t fi = 0; fi < sizeof fields / sizeof fields[0]; fi++) {
        for (size_t ii = 0; ii < sizeof inputs / sizeof inputs[0]; ii++) {
            char a[4096], b[4096], wa[256] = "", wb[256] = "";
            size_t n = strlen(inputs[ii]), outlen = 0;
            char *copy = malloc(n + 1);                 /* not terminated: a guard byte follows */
            memcpy(copy, inputs[ii], n);
            copy[n] = '#';
            int ra = vf_normalize(&fields[fi], inputs[ii], a, sizeof a, NULL, NULL, wa, sizeof wa);
            int rb = vf_normalize_n(&fields[fi], copy, n, b, sizeof b, &outlen, NULL, NULL, wb, sizeof wb);
            free(copy);
            assert_int_equal(ra, rb);
            if (ra == 0) {
                assert_string_equal(a, b);
                assert_int_equal(outlen, strlen(b));
            } else {
                assert_string_equal(wa, wb);
            }
        }
    }
}

static void utf8_checks(void **state)
{
    (void)state;
    assert_int_equal(utf8_valid("高青县 abc", strlen("高青县 abc")), 1);
    assert_int_equal(utf8_valid("\xB8\xDF\xC7\xE0", 4), 0);     /* 高青 in GB18030 */
    assert_int_equal(utf8_valid("\xC0\xAF", 2), 0);             /* overlong */
    assert_int_equal(utf8_valid("\xED\xA0\x80", 3), 0);         /* surrogate */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uscc_valid_known),
        cmocka_unit_test(uscc_check_char_computed),
        cmocka_unit_test(uscc_bad_check_char),
        cmocka_unit_test(uscc_bad_char),
        cmocka_unit_test(uscc_wrong_length),
        cmocka_unit_test(uscc_bad_authority_or_region),
        cmocka_unit_test(idno_valid),
        cmocka_unit_test(idno_bad_check_digit),
        cmocka_unit_test(idno_bad_date),
        cmocka_unit_test(idno_future_date),
        cmocka_unit_test(idno_bad_shape),
        cmocka_unit_test(idno_masking),
        cmocka_unit_test(phone_masking),
        cmocka_unit_test(choices_codes_and_labels),
        cmocka_unit_test(normalize_fields),
        cmocka_unit_test(normalize_with_length_matches),
        cmocka_unit_test(utf8_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
