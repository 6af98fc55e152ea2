/* api_announce.h: the public announcement routes (GET /api/public/tasks, GET /api/public/tasks/{id}).
 * Uses announce.h. */
#ifndef SPOT_API_ANNOUNCE_H
#define SPOT_API_ANNOUNCE_H

#include "http.h"

extern const struct route announce_routes[];

#endif
