/* api_exchange.h: GET /api/exchange/results, the exchange export of published results (JSON or
 * .xlsx, docs/EXCHANGE.md). Uses http.h, download.h, exchange.h. */
#ifndef SPOT_API_EXCHANGE_H
#define SPOT_API_EXCHANGE_H

#include "http.h"

extern const struct route exchange_routes[];

#endif
