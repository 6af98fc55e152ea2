/* access.c: see access.h. */
#include "access.h"
#include "taskorgs.h"
#include "db.h"

int access_on_team(spot_ctx *c, long long task_id, const char *uscc, const char *cert_no, spot_err *e)
{
    if (!cert_no || !*cert_no || !uscc) return 0;
    char *err = NULL;
    long long n = db_int(c->db, &err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                         "AND t.uscc = ? AND j.value = ?", "iss", task_id, uscc, cert_no);
    if (err) return spot_fail_db(e, "access", err);
    return n > 0;
}

int access_task_staff(spot_ctx *c, long long task_id, int roles, spot_err *e)
{
    /* SPEC §10: a planner or head is staff of the tasks their org leads, joins or executes */
    if (ctx_has_role(c, roles)) {
        if (taskorgs_sees_all(c)) return 1;
        spot_err ignored;
        int v = taskorgs_may_see(c, task_id, &ignored);
        if (v != 0) {
            if (v < 0) *e = ignored;
            return v;
        }
    }
    if (!ctx_has_role(c, ROLE_INSPECTOR) || !c->user->cert_no[0]) return 0;
    char *err = NULL;
    long long n = db_int(c->db, &err, 0, "SELECT count(*) FROM task_teams t, json_each(t.inspectors) j WHERE t.task_id = ? "
                                         "AND j.value = ?", "is", task_id, c->user->cert_no);
    if (err) return spot_fail_db(e, "access", err);
    return n > 0;
}

int access_result_archive(spot_ctx *c, long long task_id, const char *uscc, int write, spot_err *e)
{
    if (ctx_has_role(c, ROLE_ADMIN)) return 1;
    if (ctx_has_role(c, ROLE_HEAD)) {   /* the head of the unit's executing org (SPEC §10) */
        spot_err ignored;
        int v = taskorgs_may_decide(c, task_id, uscc, &ignored);
        if (v < 0) *e = ignored;
        if (v != 0) return v;
    }
    if (!write && ctx_has_role(c, ROLE_AUDITOR)) return 1;
    if (!ctx_has_role(c, ROLE_INSPECTOR)) return 0;
    return access_on_team(c, task_id, uscc, c->user->cert_no, e);
}

int access_org(const spot_ctx *c, long long org_id, int write)
{
    if (!c || !c->user || org_id <= 0) return 0;
    if (ctx_has_role(c, ROLE_ADMIN)) return 1;
    if (ctx_has_role(c, ROLE_AUDITOR)) return !write;
    if (ctx_has_role(c, ROLE_HEAD | ROLE_PLANNER | ROLE_INSPECTOR)) return c->user->org_id == org_id;
    return 0;
}
