/* api_results.h: the HTTP routes of inspection results, corrections and public results (see
 * api_results.c). Uses http.h and results.h. */
#ifndef SPOT_API_RESULTS_H
#define SPOT_API_RESULTS_H

#include "http.h"

extern const struct route results_routes[];

#endif
