/* api_auth.h: the session and account routes (/api/login, /api/logout, /api/me, /api/me/password,
 * /api/users). Uses http.h and the domain's auth.h. */
#ifndef SPOT_API_AUTH_H
#define SPOT_API_AUTH_H

#include "http.h"

extern const struct route auth_routes[];

#endif
