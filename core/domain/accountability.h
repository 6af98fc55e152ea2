/* accountability.h: the 10.1 situations (tasks not checked or delayed, results not published in
 * time, suspected crimes not referred, objections not reviewed or answered in time) computed by
 * rules/accountability.lua from the database state, and the 10.2 exemptions it validates.
 * Routes are listed at the top of accountability.c. Uses db.h, audit.h, http.h, results.h. */
#ifndef SPOT_ACCOUNTABILITY_H
#define SPOT_ACCOUNTABILITY_H

#include "http.h"

extern const struct route accountability_routes[];

#endif
