/* objections.h: objections to published results (clause 9.2): registered with the date received,
 * reviewed within the deadlines.objection_review_due period, feedback within feedback_due of the
 * decision; an upheld objection opens a pending correction of the result (results.c). The HTTP
 * routes are in http/api_objections.c. Knows nothing of HTTP. Uses decide.h, results.h, db.h and
 * audit.h. */
#ifndef SPOT_OBJECTIONS_H
#define SPOT_OBJECTIONS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* Registers an objection from in {result_id, received, text, applicant?}. Returns its view (new
 * reference) or NULL with *e; nothing changed then. */
json_t *objections_create(spot_ctx *c, json_t *in, spot_err *e);

/* {objections:[…]} (status: NULL or "" for all), newest first. New reference or NULL with *e. */
json_t *objections_list(spot_ctx *c, const char *status, spot_err *e);

/* One objection with its deadlines. New reference or NULL with *e (404). */
json_t *objections_get(spot_ctx *c, long long id, spot_err *e);

/* Decides (in: {decision, reason, decided?, changes?}) or records the feedback (in: {sent, note?})
 * of objection id. Returns its new view or NULL with *e; nothing changed then. */
json_t *objections_decide(spot_ctx *c, long long id, json_t *in, spot_err *e);
json_t *objections_feedback(spot_ctx *c, long long id, json_t *in, spot_err *e);

#endif
