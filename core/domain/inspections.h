/* inspections.h: every inspection a unit receives (SPEC §11) -- the 4.3 cases entered by staff and
 * the draws of dispatched tasks, read through the view inspection_record -- and incidents (10.2):
 * an accident or problem at a unit, the inspections before it and the exemption grounds a-e that
 * accountability.lua evaluates, a ground claimed by staff and decided by a head.
 * Uses ctx.h, err.h, the store (db, audit) and the rules through decide.h. Knows nothing of HTTP. */
#ifndef SPOT_INSPECTIONS_H
#define SPOT_INSPECTIONS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* POST /api/inspections {uscc, case, basis, date, inspectors?:[cert_no…], summary?}: records a 4.3
 * inspection (case a..e from eligibility.special_cases). Returns the new inspection (new ref) or NULL
 * with *e. */
json_t *inspections_create(spot_ctx *c, json_t *in, spot_err *e);

/* POST /api/inspections/{id}/close {date}: the 4.3 case ended on date (from then on the unit is
 * drawn at random again). Returns the inspection (new ref) or NULL with *e. */
json_t *inspections_close(spot_ctx *c, long long id, json_t *in, spot_err *e);

/* GET /api/inspections?uscc=: the unit's whole inspection record, newest first, each with a label
 * of its origin from the rules. Returns {"uscc","name","inspections":[…]} (new ref) or NULL with *e. */
json_t *inspections_of_unit(spot_ctx *c, const char *uscc, spot_err *e);

/* POST /api/incidents {uscc, date, description}: records an incident. Returns the incident view
 * (see incidents_get) or NULL with *e. */
json_t *incidents_create(spot_ctx *c, json_t *in, spot_err *e);

/* GET /api/incidents: every incident, newest first (new ref) or NULL with *e. */
json_t *incidents_list(spot_ctx *c, spot_err *e);

/* GET /api/incidents/{id}: the incident with "review" = accountability.incident_review over the
 * unit's inspection record (the inspections before it and the grounds a-e). New ref or NULL. */
json_t *incidents_get(spot_ctx *c, long long id, spot_err *e);

/* POST /api/incidents/{id}/ground {ground, explanation}: staff claim a 10.2 ground (checked by
 * accountability.incident_ground). POST /api/incidents/{id}/decide {decision: exempt|not_exempt,
 * reason}: a head other than the claimant decides. Both return the view or NULL with *e. */
json_t *incidents_claim(spot_ctx *c, long long id, json_t *in, spot_err *e);
json_t *incidents_decide(spot_ctx *c, long long id, json_t *in, spot_err *e);

#endif
