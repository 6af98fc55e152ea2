/* api_objections.h: the HTTP routes of objections (see api_objections.c). Uses http.h and
 * objections.h. */
#ifndef SPOT_API_OBJECTIONS_H
#define SPOT_API_OBJECTIONS_H

#include "http.h"

extern const struct route objections_routes[];

#endif
