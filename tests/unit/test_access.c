/* test_access.c: role scope by org (SPEC §10): access_org as the matrix of roles x own / other org
 * x read / act, and deny by default (no user, no org, no role). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "access.h"

static int may(int role, long long user_org, long long org, int write)
{
    user u;
    memset(&u, 0, sizeof u);
    u.id = 7;
    u.role = role;
    u.org_id = user_org;
    spot_ctx c = {NULL, NULL, &u, ""};
    return access_org(&c, org, write);
}

static void admin_acts_for_every_org(void **state)
{
    (void)state;
    assert_int_equal(may(ROLE_ADMIN, 1, 1, 1), 1);
    assert_int_equal(may(ROLE_ADMIN, 1, 2, 1), 1);
    assert_int_equal(may(ROLE_ADMIN, 1, 2, 0), 1);
}

static void auditor_reads_every_org_and_acts_for_none(void **state)
{
    (void)state;
    assert_int_equal(may(ROLE_AUDITOR, 1, 2, 0), 1);
    assert_int_equal(may(ROLE_AUDITOR, 1, 1, 0), 1);
    assert_int_equal(may(ROLE_AUDITOR, 1, 1, 1), 0);
    assert_int_equal(may(ROLE_AUDITOR, 1, 2, 1), 0);
}

static void head_planner_inspector_only_their_own_org(void **state)
{
    (void)state;
    int roles[] = {ROLE_HEAD, ROLE_PLANNER, ROLE_INSPECTOR};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(may(roles[i], 3, 3, 1), 1);
        assert_int_equal(may(roles[i], 3, 3, 0), 1);
        assert_int_equal(may(roles[i], 3, 4, 1), 0);
        assert_int_equal(may(roles[i], 3, 4, 0), 0);
    }
}

static void deny_by_default(void **state)
{
    (void)state;
    spot_ctx anon = {NULL, NULL, NULL, ""};
    assert_int_equal(access_org(&anon, 1, 0), 0);
    assert_int_equal(access_org(NULL, 1, 0), 0);
    assert_int_equal(may(ROLE_ADMIN, 1, 0, 0), 0);      /* no org */
    assert_int_equal(may(ROLE_HEAD, 0, 0, 0), 0);       /* a user without org matches no org */
    assert_int_equal(may(ROLE_PUBLIC, 1, 1, 0), 0);     /* not a staff role */
    assert_int_equal(may(0, 1, 1, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admin_acts_for_every_org),
        cmocka_unit_test(auditor_reads_every_org_and_acts_for_none),
        cmocka_unit_test(head_planner_inspector_only_their_own_org),
        cmocka_unit_test(deny_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
