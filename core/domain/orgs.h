/* orgs.h: organisations (SPEC §10: the bureau, its divisions, the townships, other departments):
 * list, create, change, and "开通账户" (accounts for an org's inspectors in one action). Knows nothing
 * of HTTP. Uses db.h, audit.h, auth.h (accounts), the categories rule (org_kinds, org_levels). */
#ifndef SPOT_ORGS_H
#define SPOT_ORGS_H

#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* Every org with its parent's name and counts of inspectors and users, ordered bureau, divisions,
 * townships, departments, then by id. New reference, or NULL with *e. */
json_t *orgs_list(spot_ctx *c, spot_err *e);

/* The org id as {id, name, kind, parent_id, level, active}; new reference, or NULL (no such org:
 * *e 404 not_found when e is not NULL). */
json_t *orgs_get(spot_ctx *c, long long id, spot_err *e);

/* POST /api/orgs {"name","kind","level"?,"parent_id"?}: creates an org (audited "org.create").
 * level defaults to township for a township, county otherwise. Returns the new org (new reference)
 * or NULL with *e: 400 bad_request / unknown_field, 422 invalid (kind or level not in the rule,
 * empty name) or unknown_org (parent_id), 409 conflict (the name is taken, a second bureau). */
json_t *orgs_create(spot_ctx *c, json_t *body, spot_err *e);

/* PUT /api/orgs/{id} {"name"?,"kind"?,"level"?,"parent_id"?,"active"?}: changes the org (audited
 * "org.update" with before and changes). A new name is carried to the 所在单位 of its inspectors
 * and the 检查部门 of its items. The bureau stays a bureau and stays active; parent_id may not make a
 * cycle. Returns the org (new reference) or NULL with *e (404, 400, 422, 409 as orgs_create). */
json_t *orgs_update(spot_ctx *c, long long id, json_t *body, spot_err *e);

/* POST /api/orgs/{id}/accounts: 开通账户. Every active inspector of the org without an account gets
 * one: username = 执法证号, role inspector, linked by cert_no, the org, the inspector's name as
 * real name, a random one-time password that must be changed at the first login. One transaction,
 * one "user.create" audit record per account (never the password) and one "org.accounts".
 * Returns a new reference {"org_id","org_name","created":[{username,real_name,cert_no,password}],
 * "skipped":[{cert_no,real_name,reason}]} (the passwords are shown this once), or NULL with *e. */
json_t *orgs_open_accounts(spot_ctx *c, long long id, spot_err *e);

/* The id of the org called name (exact), or -1 when there is none; on a database error -1 and *err
 * (caller frees). */
long long orgs_id_by_name(sqlite3 *db, const char *name, char **err);

/* The names of every org as a new JSON array of strings (for the import's reader, which may not
 * touch the database), or NULL with *err. */
json_t *orgs_names(sqlite3 *db, char **err);

#endif
