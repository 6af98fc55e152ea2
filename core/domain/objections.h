/* objections.h: objections to published results (clause 9.2): registered with the date received,
 * reviewed within the deadlines.objection_review_due period, feedback within feedback_due of the
 * decision; an upheld objection opens a pending correction of the result (results.c). Routes are
 * listed at the top of objections.c. Uses db.h, audit.h, http.h, results.h, tasks.h. */
#ifndef SPOT_OBJECTIONS_H
#define SPOT_OBJECTIONS_H

#include "http.h"

extern const struct route objections_routes[];

#endif
