/* plans.h: the annual spot-check plan (clause 6.1), domain side: scope, ratios per stratum,
 * schedule, estimated count, planned tasks with the joint-check flag, 备案 with market supervision,
 * publication and adjustments kept with their reason. Validation is the plans rule's
 * (plans.validate). HTTP routes are in api_plans.c. Uses ctx.h, err.h, db.h, audit.h, luahost.h. */
#ifndef SPOT_PLANS_H
#define SPOT_PLANS_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* The stored plan id with its JSON columns decoded (new reference), or NULL: not found (*err
 * NULL) or a database error (*err set, caller frees). */
json_t *plans_load(sqlite3 *db, long long id, char **err);

/* {plans:[…]} of year (a decimal string; NULL: all years), newest first. New reference or NULL
 * with *e. */
json_t *plans_list(spot_ctx *c, const char *year, spot_err *e);

/* Creates a draft plan from in (every field required). Returns the staff view with adjustments
 * (new reference), or NULL with *e; when the plans rule refused it, e is SPOT_E_INVALID
 * plan_invalid and *problems (new reference, caller frees) lists the rule's problems. */
json_t *plans_create(spot_ctx *c, json_t *in, json_t **problems, spot_err *e);

/* Plan id with its adjustments (new reference), or NULL with *e (not_found). */
json_t *plans_get(spot_ctx *c, long long id, spot_err *e);

/* Applies the changed fields of in plus "reason" (required once published) to plan id, keeping the
 * previous version in plan_adjustments. Returns the new view (new reference) or NULL with *e and,
 * for plan_invalid, *problems as for plans_create. */
json_t *plans_adjust(spot_ctx *c, long long id, json_t *in, json_t **problems, spot_err *e);

/* Publishes draft plan id after the plans rule accepts it (409 already_published). Returns the view
 * (new reference) or NULL with *e and, for plan_invalid, *problems as for plans_create. */
json_t *plans_publish(spot_ctx *c, long long id, json_t **problems, spot_err *e);

/* {plans:[…]} of published plans with their public adjustments (new reference), or NULL with *e. */
json_t *plans_public(spot_ctx *c, spot_err *e);

#endif
