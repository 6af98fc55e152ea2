/* api_orgs.h: the routes of organisations (SPEC §10): GET /api/orgs (staff), POST /api/orgs and
 * PUT /api/orgs/{id} (admin), GET /api/orgs/{id} (staff), POST /api/orgs/{id}/accounts (admin:
 * 开通账户). Uses http.h, orgs.h. */
#ifndef SPOT_API_ORGS_H
#define SPOT_API_ORGS_H

#include "http.h"

extern const struct route org_routes[];

#endif
