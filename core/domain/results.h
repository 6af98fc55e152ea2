/* results.h: inspection results (clauses 8.1-8.4, 9.1): one combined record per task and unit with
 * its records per item checkpoint and team member, sign-off by every team member, review (录入审核),
 * publication, corrections with a head's approval, and the public results. Routes are listed at the
 * top of results.c. Also the helpers shared by objections.c, followups.c, attachments.c and
 * accountability.c. Uses db.h, audit.h, http.h, luahost.h, worker.h and tasks.h. */
#ifndef SPOT_RESULTS_H
#define SPOT_RESULTS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* Calls rules[rule][fn](args...) (args stolen). Returns the new array of results, or NULL with *err. */
json_t *results_rule(req *r, const char *rule, const char *fn, json_t *args, char **err);

/* A deadline decided by deadlines[fn](date) ("publication_due", "objection_review_due",
 * "feedback_due"): a new object {date, days, reason, clause, warning, rule_sha, level, level_reason}
 * with level = deadlines.warning_level(date, today) (today: NULL = now). NULL with *err. */
json_t *results_deadline(req *r, const char *fn, const char *date, const char *today, char **err);

/* The warning level of due_date today: a new object {level, reason, clause}, or NULL with *err. */
json_t *results_level(req *r, const char *due_date, const char *today, char **err);

/* Whether cert_no is on the current team of uscc in task. 1, 0, or -1 with *err. */
int results_on_team(sqlite3 *db, long long task_id, const char *uscc, const char *cert_no, char **err);

/* Whether the request's user is staff of task: has one of roles, or is an inspector on one of the
 * task's teams. 1, 0, or -1 with *err. */
int results_task_staff(req *r, long long task_id, int roles, char **err);

/* The result row (with "records" and corrections applied when current != 0) or NULL (no such
 * result, or *err set). New reference. */
json_t *results_load(sqlite3 *db, long long id, int current, char **err);

/* Applies the approved corrections of a published result to the object res (in approval order):
 * category, category_label, summary, records. Adds "corrections" (approved ones: id, reason, date,
 * at, changes) and "corrected". Returns 0 or -1 with *err. */
int results_apply_corrections(sqlite3 *db, json_t *res, char **err);

/* Validates changes {category?, summary?, records?} of a correction for the result res (borrowed) and
 * returns a new normalised object (category_label added), or NULL after replying 4xx (or 422 on a
 * rule failure) — the caller returns 0 then. */
json_t *results_check_changes(req *r, json_t *res, json_t *changes);

extern const struct route results_routes[];

#endif
