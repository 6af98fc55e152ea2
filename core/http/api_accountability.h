/* api_accountability.h: the HTTP routes of accountability (see api_accountability.c). Uses http.h
 * and accountability.h. */
#ifndef SPOT_API_ACCOUNTABILITY_H
#define SPOT_API_ACCOUNTABILITY_H

#include "http.h"

extern const struct route accountability_routes[];

#endif
