/* objections.h: objections to published results (clause 9.2): registered with the date received,
 * reviewed within the deadlines.objection_review_due period, feedback within feedback_due of the
 * decision; an upheld objection opens a pending correction of the result (results.c). The HTTP
 * routes are in http/api_objections.c. Knows nothing of HTTP. Uses decide.h, results.h, db.h and
 * audit.h. */
#ifndef SPOT_OBJECTIONS_H
#define SPOT_OBJECTIONS_H

#include <jansson.h>
#include <sqlite3.h>
#include "ctx.h"
#include "err.h"

/* Registers an objection from in {result_id, received, text, applicant?}. Returns its view (new
 * reference) or NULL with *e; nothing changed then. */
json_t *objections_create(spot_ctx *c, json_t *in, spot_err *e);

/* Files an objection online (9.2, SPEC §12) from in {uscc, code, text, applicant, contact?,
 * attachments?: [{name, content_type, data (base64)}]}: the code is the one-time code of the unit's
 * 随机抽查通知书 (objections_code_issue); received today, against the unit's published result of
 * that task, with the review deadline of deadlines.objection_review_due. A wrong USCC or code is
 * refused alike (403 bad_code) and counted: ten lock the unit's codes for an hour (429 locked), thirty
 * from one address refuse it for the hour (429 throttled). Returns {id, uscc, received, review_due,
 * review_clause, status, attachments} (new reference) or NULL with *e; nothing filed then. */
json_t *objections_file_online(spot_ctx *c, json_t *in, spot_err *e);

/* Issues a new one-time objection code for unit uscc of task task_id, noted on document
 * document_id, replacing the unit's earlier code of the task; inside the caller's transaction.
 * Writes the code as shown on paper (XXXX-XXXX-XXXX) into code. 0, or -1 with *err. */
int objections_code_issue(sqlite3 *db, long long task_id, const char *uscc, long long document_id, char code[16],
                          char **err);

/* {objections:[…], total, page, per_page}: one page (page ≥ 1) of objections, newest first
 * (status: NULL or "" for all; q: NULL or literally part of the unit's USCC or name or the
 * applicant). New reference or NULL with *e. */
json_t *objections_list(spot_ctx *c, const char *status, const char *q, long long page, long long per_page,
                        spot_err *e);

/* One objection with its deadlines. New reference or NULL with *e (404). */
json_t *objections_get(spot_ctx *c, long long id, spot_err *e);

/* Decides (in: {decision, reason, decided?, changes?}) or records the feedback (in: {sent, note?})
 * of objection id. Returns its new view or NULL with *e; nothing changed then. */
json_t *objections_decide(spot_ctx *c, long long id, json_t *in, spot_err *e);
json_t *objections_feedback(spot_ctx *c, long long id, json_t *in, spot_err *e);

#endif
