/* results.h: inspection results (clauses 8.1-8.4, 9.1): one combined record per task and unit with
 * its records per item checkpoint and team member, sign-off by every team member, review (录入审核),
 * publication, corrections with a head's approval, and the public results. The HTTP routes are in
 * http/api_results.c. Every function takes the caller's spot_ctx and fails with a spot_err; none
 * replies. Uses access.h, decide.h, attachments.h, followups.h, db.h, audit.h and worker.h. */
#ifndef SPOT_RESULTS_H
#define SPOT_RESULTS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* The result row (with "records" and, when current != 0 and it is published, its approved
 * corrections applied). New reference, or NULL with *e (SPOT_E_NOTFOUND when there is none). */
json_t *results_load(spot_ctx *c, long long id, int current, spot_err *e);

/* Applies the approved corrections of a published result to the object res (in approval order):
 * category, category_label, summary, records. Adds "corrections" (approved ones: id, reason, date,
 * at, changes, and "before": the values those fields had just before the correction) and
 * "corrected". Returns 0 or -1 with *e. */
int results_apply_corrections(spot_ctx *c, json_t *res, spot_err *e);

/* Validates changes {category?, summary?, records?} of a correction for the result res (borrowed)
 * and returns a new normalised object (category_label and follow_up added), or NULL with *e
 * (input 400, unknown category/item/checkpoint/member 422, rule failure). */
json_t *results_check_changes(spot_ctx *c, json_t *res, json_t *changes, spot_err *e);

/* Enters or replaces the draft result of a unit of task task_id from in {uscc, category, summary,
 * records} (see api_results.c). *created tells a new result from a replaced draft. Returns the staff
 * view (new reference) or NULL with *e. */
json_t *results_enter(spot_ctx *c, long long task_id, json_t *in, int *created, spot_err *e);

/* Which units of a task results_of_task returns: page 0 every unit; else one page of per_page
 * units in draw order, filtered by q (literal part of the USCC or name), uscc (exactly), cert (on
 * the unit's team) and status ("none": no result yet, or a result status). */
typedef struct results_query {
    long long page, per_page;
    const char *q, *uscc, *cert, *status;
} results_query;

/* {results, units} of a task for its staff; q NULL: every unit, else the page's units and their
 * results with {total, page, per_page}. New reference or NULL with *e. */
json_t *results_of_task(spot_ctx *c, long long task_id, const results_query *q, spot_err *e);

/* The staff view of result id (signatures, reviews, corrections, follow-ups, attachments (empty for
 * a caller who may not read the archive), objections, deadline). New reference or NULL with *e. */
json_t *results_get(spot_ctx *c, long long id, spot_err *e);

/* Signs (in: NULL or {}), reviews (in: {approve, reason|opinion}) or publishes (in: NULL or {})
 * result id as the caller. Each returns the new staff view or NULL with *e; nothing changed then. */
json_t *results_sign(spot_ctx *c, long long id, json_t *in, spot_err *e);
json_t *results_review(spot_ctx *c, long long id, json_t *in, spot_err *e);
json_t *results_publish(spot_ctx *c, long long id, json_t *in, spot_err *e);

/* Requests a correction of published result id (in: {reason, changes}). Returns the new pending
 * request {id, result_id, status, reason, changes, message} or NULL with *e. */
json_t *results_request_correction(spot_ctx *c, long long id, json_t *in, spot_err *e);

/* Approves (approve != 0) or rejects correction cid of result id (in: NULL or {note|reason}). An
 * approval needs a second person: not the requester, not on the unit's team, and approves exactly
 * the requested changes. Returns the new staff view or NULL with *e. */
json_t *results_decide_correction(spot_ctx *c, long long id, long long cid, json_t *in, int approve, spot_err *e);

/* Correction requests across results, newest first; status, page and per_page are the raw query
 * arguments (NULL when absent). {total, page, per_page, corrections} or NULL with *e. */
json_t *results_corrections(spot_ctx *c, const char *status, const char *page, const char *per_page, spot_err *e);

/* The public filters of published results (raw query arguments, NULL when absent): uscc matches
 * one unit exactly; q (at most RESULTS_Q_MAX bytes) the unit's USCC or name or the task's name. */
typedef struct results_public_query {
    const char *task, *year, *industry, *region, *category, *page, *uscc, *q;
} results_public_query;
#define RESULTS_Q_MAX 200

/* Published results with their approved corrections applied, without personal data:
 * {total, page, page_size, results}. New reference or NULL with *e. */
json_t *results_public(spot_ctx *c, const results_public_query *q, spot_err *e);

#endif
