/* api_followups.h: the HTTP routes of follow-ups (see api_followups.c). Uses http.h and
 * followups.h. */
#ifndef SPOT_API_FOLLOWUPS_H
#define SPOT_API_FOLLOWUPS_H

#include "http.h"

extern const struct route followups_routes[];

#endif
