/* plans.h: the annual spot-check plan (clause 6.1): scope, ratios per stratum, schedule, estimated
 * count, planned tasks with the joint-check flag, 备案 with market supervision, publication and
 * adjustments kept with their reason. Validation is the plans rule's (plans.validate).
 * Routes: GET/POST /api/plans, GET/PUT /api/plans/{id}, POST /api/plans/{id}/publish,
 * GET /api/public/plans. Uses db.h, audit.h, http.h, luahost.h. */
#ifndef SPOT_PLANS_H
#define SPOT_PLANS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* The plan row id as a JSON object with ratios/schedule/tasks decoded, or NULL (no such plan, or
 * *err set on a database error). New reference. */
json_t *plans_load(sqlite3 *db, long long id, char **err);

extern const struct route plans_routes[];

#endif
