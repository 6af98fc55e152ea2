/* items.h: the item list (抽查事项清单, clause 5.1.1): items with their checkpoints (检查要点), every
 * adjustment recorded with its date and reason and published. Knows nothing of HTTP (the routes
 * are in http/api_items.c). Uses db.h, audit.h, ctx.h, err.h. */
#ifndef SPOT_ITEMS_H
#define SPOT_ITEMS_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* Creates an item from a JSON object {name, target, category, method, department, level, basis,
 * checkpoints:[text|{text}…], industries?:[industry…] (the industries it applies to; [] or absent:
 * every industry), reason?, org_id?} inside the caller's transaction and audits it as
 * actor. SPEC §10: the 检查部门 is an org: org_id writes that org's name as department, a
 * department given must name an org (422 unknown_org), none given is the bureau's item; the row's
 * org_id follows the department (migration 0015). Returns the new id, or -1 with *e (400/422 for
 * bad input, 500). */
long long items_create(sqlite3 *db, const char *actor, json_t *obj, spot_err *e);

/* {"items":[…]} with checkpoints and adjustments (staff view); only_active: active items only.
 * New reference, or NULL with *e. */
json_t *items_list(spot_ctx *c, int only_active, spot_err *e);

/* The public item list: {"items":[…], "adjustments":[…]} without actors. New reference or NULL. */
json_t *items_public(spot_ctx *c, spot_err *e);

/* The item id (staff view), or NULL with *e (404). New reference. */
json_t *items_get(spot_ctx *c, long long id, spot_err *e);

/* items_create in a transaction of its own as the caller, the industries named as in
 * rules/categories.lua (422 unknown_industry); returns the new item (new reference) or NULL with *e. */
json_t *items_add(spot_ctx *c, json_t *body, spot_err *e);

/* Adjusts item id from body (fields, org_id as for items_create, active, checkpoints; reason
 * required; version checked when given) with an adjustment record and audit. Returns the item (new reference) or NULL with *e
 * (404, 400, 422 invalid / no_change, 409 stale). */
json_t *items_update(spot_ctx *c, long long id, json_t *body, spot_err *e);

#endif
