/* api_teams.h: the HTTP routes of inspector teams, recusals and replacements (see api_teams.c).
 * Uses http.h and teams.h. */
#ifndef SPOT_API_TEAMS_H
#define SPOT_API_TEAMS_H

#include "http.h"

extern const struct route teams_routes[];

#endif
