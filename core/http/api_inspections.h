/* api_inspections.h: the route table of the inspection record and incidents (SPEC §11). */
#ifndef SPOT_API_INSPECTIONS_H
#define SPOT_API_INSPECTIONS_H

#include "http.h"

extern const struct route inspections_routes[];

#endif
