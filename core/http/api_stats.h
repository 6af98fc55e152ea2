/* api_stats.h: the route table of the statistics (SPEC §13). */
#ifndef SPOT_API_STATS_H
#define SPOT_API_STATS_H

#include "http.h"

extern const struct route stats_routes[];

#endif
