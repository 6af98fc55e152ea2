/* api_system.h: health and audit-trail routes. */
#ifndef SPOT_API_SYSTEM_H
#define SPOT_API_SYSTEM_H

#include "http.h"

extern const struct route system_routes[];

#endif
