/* api_directories.h: the routes of the enterprise and inspector directories (GET/POST
 * /api/enterprises, GET /api/enterprises/export, POST /api/enterprises/import, GET/PUT
 * /api/enterprises/{id}, GET /api/enterprises/{id}/history, and the same under /api/inspectors).
 * Uses http.h, directory.h, enterprises.h, inspectors.h, csvimport.h. */
#ifndef SPOT_API_DIRECTORIES_H
#define SPOT_API_DIRECTORIES_H

#include "http.h"

extern const struct route enterprise_routes[];
extern const struct route inspector_routes[];

#endif
