/* exchange.h: the exchange export of published results for the provincial platform and the
 * 企业信用信息公示系统 (docs/EXCHANGE.md): one record per published result, with its approved
 * corrections applied and no personal data, in one documented field layout (JSON keys and .xlsx
 * headers). Knows nothing of HTTP. Uses db.h, results.h (corrections), ctx.h, err.h. */
#ifndef SPOT_EXCHANGE_H
#define SPOT_EXCHANGE_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* The layout version written into every export (docs/EXCHANGE.md). */
#define EXCHANGE_LAYOUT "spotcheck-exchange/1"

/* One field of the layout: its JSON key, its Chinese .xlsx header and whether it is a date. */
struct exchange_field {
    const char *key;
    const char *label;
    int date;
};

/* The fields in layout order, ending with key NULL. */
extern const struct exchange_field exchange_fields[];

/* Filters (raw query arguments, NULL or "" when absent): year of the task, from / to on the
 * publication date (YYYY-MM-DD, inclusive), task id. */
typedef struct exchange_query {
    const char *year, *from, *to, *task;
} exchange_query;

/* {"layout", "generated_at", "filters", "count", "records":[{…exchange_fields…}]} for the published
 * results that match q, in publication order. New reference, or NULL with *e (400 bad_request for a
 * bad filter). */
json_t *exchange_results(spot_ctx *c, const exchange_query *q, spot_err *e);

#endif
