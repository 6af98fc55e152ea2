/* routes.h: the route tables of every API module, collected in routes.c. Each table ends with an
 * entry whose method is NULL. */
#ifndef SPOT_ROUTES_H
#define SPOT_ROUTES_H

#include "http.h"

extern const struct route *const spot_route_tables[];

#endif
