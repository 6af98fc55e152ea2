/* followups.h: follow-up of problems found (clause 9.2): rectification orders (责令改正) with a due
 * date and closure, cases pending further handling (待后续处理), and referrals of suspected crimes to
 * the police (移送公安机关, date and receiving unit); each a state with its history. Routes are listed
 * at the top of followups.c. Uses db.h, audit.h, http.h, results.h, tasks.h. */
#ifndef SPOT_FOLLOWUPS_H
#define SPOT_FOLLOWUPS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* The follow-ups of a result, each with its "history". New reference, or NULL with *err. */
json_t *followups_of_result(sqlite3 *db, long long result_id, char **err);

extern const struct route followups_routes[];

#endif
