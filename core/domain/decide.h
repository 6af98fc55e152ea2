/* decide.h: rule decisions the result modules share: one call into a rule function with its failure
 * as a spot_err, and the deadlines (deadlines.lua) with their warning levels. Knows nothing of HTTP.
 * Uses ctx.h (the worker's Lua host through luahost.h) and err.h. */
#ifndef SPOT_DECIDE_H
#define SPOT_DECIDE_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* Calls rules[rule][fn](args...) (args stolen). Returns the new array of results, or NULL with *e
 * (SPOT_E_RULE naming the rule failure). */
json_t *decide_call(spot_ctx *c, const char *rule, const char *fn, json_t *args, spot_err *e);

/* The warning level of due_date today (NULL: the bureau's date): a new object {level, reason,
 * clause}, or NULL with *e. */
json_t *decide_level(spot_ctx *c, const char *due_date, const char *today, spot_err *e);

/* A deadline decided by deadlines[fn](date) ("publication_due", "objection_review_due",
 * "feedback_due"): a new object {date, days, reason, clause, warning, rule_sha, level,
 * level_reason}, level from deadlines.warning_level(date, today) (today NULL = now). NULL with *e. */
json_t *decide_deadline(spot_ctx *c, const char *fn, const char *date, const char *today, spot_err *e);

#endif
