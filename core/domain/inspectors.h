/* inspectors.h: the inspector directory (检查人员名录库, clauses 3.4, 5.2.2) on the directory engine
 * of enterprises.h. The 身份证号 is personal data: masked for every role but admin, never in public
 * pages, logs or audit details. Routes: GET/POST /api/inspectors, GET /api/inspectors/export,
 * GET/PUT /api/inspectors/{id} (numeric id or 执法证号), GET /api/inspectors/{id}/history,
 * POST /api/inspectors/import. Uses enterprises.h, validate.h. */
#ifndef SPOT_INSPECTORS_H
#define SPOT_INSPECTORS_H

#include "enterprises.h"

extern const vfield inspector_fields[];
extern const dir_kind inspector_kind;
extern const struct route inspector_routes[];

#endif
