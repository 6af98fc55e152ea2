/* api_console.h: POST /api/console (SPEC §5, admin only): runs Lua code in a fresh console session
 * of adminapi.h (the server's sandbox and limits, the active rules, the admin API) and audits it. */
#ifndef SPOT_API_CONSOLE_H
#define SPOT_API_CONSOLE_H

#include "http.h"

extern const struct route console_routes[];

#endif
