/* followups.h: follow-up of problems found (clause 9.2): rectification orders (责令改正) with a due
 * date and closure, cases pending further handling (待后续处理), and referrals of suspected crimes to
 * the police (移送公安机关, date and receiving unit); each a state with its history. The HTTP routes
 * are in http/api_followups.c. Knows nothing of HTTP. Uses access.h, db.h and audit.h. */
#ifndef SPOT_FOLLOWUPS_H
#define SPOT_FOLLOWUPS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* The follow-ups of a result, each with its "history". No access check. New reference, or NULL
 * with *e. */
json_t *followups_of_result(spot_ctx *c, long long result_id, spot_err *e);

/* Records a follow-up of result result_id from in {kind, note, due_date?, found_date?|date?}.
 * Returns the new follow-up with its history, or NULL with *e (nothing changed then). */
json_t *followups_create(spot_ctx *c, long long result_id, json_t *in, spot_err *e);

/* One follow-up with its history, for the staff of its task. New reference or NULL with *e. */
json_t *followups_get(spot_ctx *c, long long id, spot_err *e);

/* Moves follow-up id to in {state, note, date?, receiving_unit?, due_date?}. Returns the follow-up
 * with its history, or NULL with *e (nothing changed then). */
json_t *followups_update(spot_ctx *c, long long id, json_t *in, spot_err *e);

#endif
