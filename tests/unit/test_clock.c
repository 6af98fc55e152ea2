/* test_clock.c: the bureau's calendar day of a UTC timestamp (core/lib/clock.c). The server stores
 * UTC stamps and counts days in China Standard Time (UTC+8): from 16:00 UTC the day is the next one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "clock.h"

static void day_of(const char *stamp, const char *want)
{
    char out[11] = "x";
    assert_int_equal(clock_day_of(stamp, out), 0);
    assert_string_equal(out, want);
}

static void test_day_boundary(void **state)
{
    (void)state;
    day_of("2026-12-05T00:00:00Z", "2026-12-05");
    day_of("2026-12-05T15:59:59Z", "2026-12-05");
    day_of("2026-12-05T16:00:00Z", "2026-12-06");
    day_of("2026-12-05T16:13:04Z", "2026-12-06");
    day_of("2026-12-05T23:59:59Z", "2026-12-06");
}

static void test_month_year_and_leap(void **state)
{
    (void)state;
    day_of("2026-12-31T16:00:00Z", "2027-01-01");
    day_of("2028-02-28T17:00:00Z", "2028-02-29");
    day_of("2027-02-28T17:00:00Z", "2027-03-01");
    day_of("2026-04-30T20:00:00Z", "2026-05-01");
}

static void test_refused(void **state)
{
    (void)state;
    const char *bad[] = {NULL, "", "2026-12-05", "2026-12-05 16:00:00Z", "2026-12-05T16:00:00", "2026-12-05T16:00:00+08:00",
                         "2026-12-05T16:00:00Zx", "2026-1x-05T16:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[11] = "x";
        assert_int_equal(clock_day_of(bad[i], out), -1);
        assert_string_equal(out, "");
    }
}

static void test_today_is_a_date(void **state)
{
    (void)state;
    char out[11];
    clock_today(out);
    assert_true(clock_valid_date(out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_boundary),
        cmocka_unit_test(test_month_year_and_leap),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_today_is_a_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
