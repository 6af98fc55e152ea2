/* api_meta.h: GET /api/public/meta, the rules' policy data for the web (domain part: meta.h). */
#ifndef SPOT_API_META_H
#define SPOT_API_META_H

#include "http.h"

extern const struct route meta_routes[];

#endif
