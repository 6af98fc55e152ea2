/* api_plans.h: the HTTP routes of the annual plan (see api_plans.c). Uses http.h and plans.h. */
#ifndef SPOT_API_PLANS_H
#define SPOT_API_PLANS_H

#include "http.h"

extern const struct route plans_routes[];

#endif
