/* system.h: the server's health and the audit trail as the system routes show it (listing,
 * verification, the published head), as domain functions on a spot_ctx that fail with a spot_err.
 * Uses db.h, audit.h and worker.h; the routes are in http/api_system.c. */
#ifndef SPOT_SYSTEM_H
#define SPOT_SYSTEM_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* {"status","version","schema_version","schema_latest","rules_generation","rules_loaded",
 * "active_rules","audit_head"}: a new reference, or NULL with *e (SPOT_E_UNAVAILABLE when the
 * database cannot be read). */
json_t *system_health(spot_ctx *c, spot_err *e);

/* Audit records newest first, with id < before, at most limit, filtered by action, object and actor
 * and by the days from..to (YYYY-MM-DD, China time; 400 bad_date otherwise) when not NULL; details
 * decoded. Returns a new reference to an array or NULL with *e. */
json_t *system_audit_list(spot_ctx *c, const char *action, const char *object, const char *actor, const char *from,
                          const char *to, long long before, long long limit, spot_err *e);

/* Re-computes the chain: {"ok","checked"} plus "first_broken" and "message" when broken. A new
 * reference, or NULL with *e when the records cannot be read. */
json_t *system_audit_verify(spot_ctx *c, spot_err *e);

/* The published head of the trail (GET /api/public/audit-head): today's anchor record, written by
 * the first call of each UTC day (action "audit.anchor", actor "system"), whose hash covers every
 * record before it. Returns a new reference {"id","hash","time","anchors":[{"id","hash","time"}…]}
 * (the anchors of the last 366 days, newest first), or NULL with *e. */
json_t *system_audit_anchor(spot_ctx *c, spot_err *e);

#endif
