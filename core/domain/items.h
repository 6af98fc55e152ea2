/* items.h: the item list (抽查事项清单, clause 5.1.1): items with their checkpoints (检查要点), every
 * adjustment recorded with its date and reason and published. Routes: GET/POST /api/items,
 * GET/PUT /api/items/{id} (planner/admin write), GET /api/public/items (no login).
 * Uses db.h, audit.h, http.h. */
#ifndef SPOT_ITEMS_H
#define SPOT_ITEMS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* Creates an item from a JSON object {name, target, category, method, department, level, basis,
 * checkpoints:[text|{text}…], reason?} inside the caller's transaction and audits it as actor.
 * Returns the new id, or -1 with *err (a Chinese message for bad input; *status 422/400, or 500). */
long long items_create(sqlite3 *db, const char *actor, json_t *obj, int *status, char **err);

extern const struct route item_routes[];

#endif
