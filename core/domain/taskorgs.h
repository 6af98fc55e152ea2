/* taskorgs.h: the orgs of a task (SPEC §10): its lead org and joint orgs as given in a task body,
 * who may act as its lead, which tasks a user's org may see, a department joining another org's
 * open task, and the executing org of each unit dispatched at lock (inspectors.executing_org).
 * Knows nothing of HTTP. Uses db.h, access.h, audit.h, the inspectors rule through luahost.h. */
#ifndef SPOT_TASKORGS_H
#define SPOT_TASKORGS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* The orgs of a task body: lead_org_id (or the name in lead_unit; else the caller's org, the
 * bureau for an admin) and joint_org_ids (or the names in joint_units; else none). Each must be an
 * active org (422 unknown_org naming it), the joint orgs distinct and without the lead (422
 * duplicate_org); a caller other than an admin may only name their own org as lead (403
 * forbidden). On success sets *lead, *lead_name (new string), *joint_ids and *joint_names (new
 * JSON arrays, same order) and returns 0; else -1 with *e and nothing set. */
int taskorgs_resolve(spot_ctx *c, json_t *in, long long *lead, char **lead_name, json_t **joint_ids,
                     json_t **joint_names, spot_err *e);

/* Whether the caller may act as the lead of task (a tasks_load row): an admin, or a planner (with
 * head: a head, for the lock) of the task's lead org. 1 or 0; on 0 sets *e (403 forbidden). */
int taskorgs_may_lead(const spot_ctx *c, json_t *task, int heads_too, spot_err *e);

/* The SQL condition (over tasks alias t, one parameter ?9 = the caller's org id, and ?10 = the
 * caller's 执法证号) under which a task is visible to a caller who is neither admin nor auditor:
 * their org leads or joins it, executes one of its units, or they are on one of its teams. */
extern const char TASKORGS_VISIBLE_SQL[];

/* Whether the caller sees every task (admin, auditor). */
int taskorgs_sees_all(const spot_ctx *c);

/* Whether the caller may see task id (TASKORGS_VISIBLE_SQL; 1 for a task that does not exist, which
 * the caller reports). 1, 0 (and *e 404 not_found: a task of other orgs is not disclosed), or -1. */
int taskorgs_may_see(spot_ctx *c, long long id, spot_err *e);

/* POST /api/tasks/{id}/join {"item_ids":[…]} (8.2: one visit per unit): the caller's org (or
 * "org_id" for an admin) joins the draft task of another org with its own items, which are added
 * to the task's items; audited "task.join". Returns 0 with *out (the task's org fields, new
 * reference), or -1 with *e: 404, 409 not_draft (frozen already), 422 own_task / already_joined /
 * unknown_item / foreign_item (an item of another org) / no_items. */
int taskorgs_join(spot_ctx *c, long long id, json_t *in, json_t **out, spot_err *e);

/* Assigns every selected unit of task (a tasks_load row, being locked in the caller's
 * transaction) to its executing org by inspectors.executing_org, with reason, clause and rule
 * sha, into task_dispatch. Returns the number of units assigned, or -1 with *e. */
long long taskorgs_dispatch(spot_ctx *c, json_t *task, spot_err *e);

/* The executing org of unit uscc in task, or 0 when it has none (a task locked before dispatch
 * existed: its lead org acts), or -1 with *e. */
long long taskorgs_executing_org(spot_ctx *c, long long task_id, const char *uscc, spot_err *e);

/* Whether the caller is a head who may decide for unit uscc of task (its executing org's head, or
 * the lead org's when the unit has none) or an admin. 1, or 0 with *e (403 forbidden), or -1. */
int taskorgs_may_decide(spot_ctx *c, long long task_id, const char *uscc, spot_err *e);

/* GET /api/inbox?page=&mine=: the units of dispatched tasks executed by the caller's org or of
 * joint tasks it takes part in (an admin or auditor: org_id= or all); mine: only the units whose
 * team the caller is on. Newest task first: {total, page, page_size, units:[{task_id, task_name,
 * start_date, end_date, uscc, name, region, address, org_id, org_name (the executing org), reason,
 * executing (1: the org executes it), result_status}]}. Returns 0 with *out, or -1 with *e. */
int taskorgs_inbox(spot_ctx *c, long long org_id, int mine, long long page, json_t **out, spot_err *e);

#endif
