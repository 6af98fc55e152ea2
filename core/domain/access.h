/* access.h: who may act on a task's results, shared by results, attachments, follow-ups and
 * objections: membership of a unit's team, staff of a task, and the people who may file and read a
 * result's archive; and role scope by org (SPEC §10): who may act or read for an org. Knows nothing of HTTP. Uses ctx.h, err.h and db.h. */
#ifndef SPOT_ACCESS_H
#define SPOT_ACCESS_H

#include "ctx.h"
#include "err.h"

/* Whether cert_no is on the current team of unit uscc in task. 1, 0, or -1 with *e. */
int access_on_team(spot_ctx *c, long long task_id, const char *uscc, const char *cert_no, spot_err *e);

/* Whether the caller is staff of task: has one of roles, or is an inspector on one of the task's
 * teams. 1, 0, or -1 with *e. */
int access_task_staff(spot_ctx *c, long long task_id, int roles, spot_err *e);

/* Whether the caller may file (write != 0) or read the archive of the result of unit uscc in task:
 * an inspector on that unit's team, a head (the executing unit's reviewers) or an admin; for
 * reading also an auditor. Inspectors of other teams and planners may not. 1, 0, or -1 with *e. */
int access_result_archive(spot_ctx *c, long long task_id, const char *uscc, int write, spot_err *e);

/* Whether the caller may act for org_id (write != 0) or read what belongs to it (SPEC §10 role
 * scope): admin for every org; auditor reads every org and acts for none; head, planner and
 * inspector only for their own org. Deny by default: no user, no org (org_id <= 0) or an unknown
 * role gives 0. Returns 1 or 0. */
int access_org(const spot_ctx *c, long long org_id, int write);

#endif
