/* api_items.h: the routes of the item list: GET/POST /api/items, GET/PUT /api/items/{id}
 * (planner/admin write), GET /api/public/items (no login). Uses http.h, items.h. */
#ifndef SPOT_API_ITEMS_H
#define SPOT_API_ITEMS_H

#include "http.h"

extern const struct route item_routes[];

#endif
