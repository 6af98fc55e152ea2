/* accountability.h: the 10.1 situations (tasks not checked or delayed, results not published in
 * time, suspected crimes not referred, objections not reviewed or answered in time) computed by
 * rules/accountability.lua from the database state, and the 10.2 exemptions it validates. The HTTP
 * routes are in http/api_accountability.c. Knows nothing of HTTP. Uses decide.h, db.h and audit.h. */
#ifndef SPOT_ACCOUNTABILITY_H
#define SPOT_ACCOUNTABILITY_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* {today, situations, exemptions, rule_sha} as of today ("" or NULL: the bureau's date; otherwise
 * YYYY-MM-DD). New reference or NULL with *e. */
json_t *accountability_situations(spot_ctx *c, const char *today, spot_err *e);

/* Records the exemption in {kind, object, code, reason} when accountability.exempt(kind, code)
 * allows it, with the rule's reason, clause and sha. A decision without a clause is a rule error.
 * Returns the new exemption or NULL with *e; nothing changed then. */
json_t *accountability_exempt(spot_ctx *c, json_t *in, spot_err *e);

/* 10.1 (五) 其他: records a situation {object?, reason} by hand (an auditor, a head or an
 * administrator: the route checks), audited; it is listed as kind "other" until closed. The new
 * record, or NULL with *e (400 for bad input). */
json_t *accountability_record(spot_ctx *c, json_t *in, spot_err *e);

/* Closes recorded situation id with {reason} (404 unknown, 409 already closed). The record, or NULL
 * with *e. */
json_t *accountability_record_close(spot_ctx *c, long long id, json_t *in, spot_err *e);

#endif
