/* api_exchange.c: the exchange export over HTTP.
 *
 * Routes
 *   GET /api/exchange/results[?year=&from=&to=&task=&format=json|xlsx]   admin, planner, head,
 *       auditor: the published results in the exchange layout (docs/EXCHANGE.md) as JSON, or as an
 *       .xlsx workbook with the layout's Chinese headers (dates as dates, 是否更正 as 是/否).
 */
#include "api_exchange.h"
#include "download.h"
#include "exchange.h"
#include "xlsx.h"

#include <stdlib.h>
#include <string.h>

static int h_results(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    exchange_query q = {req_query(r, "year"), req_query(r, "from"), req_query(r, "to"), req_query(r, "task")};
    spot_err e;
    json_t *out = exchange_results(&r->ctx, &q, &e);
    if (!out) return reply_err(r, &e);
    if (fmt == FMT_JSON) {
        /* a file to hand over: the same JSON as a download with its Chinese name */
        char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(out);
        if (!text) return reply_error(r, 500, "internal", "内存不足");
        reply_download(r, FMT_JSON, "exchange-results", "抽查结果交换数据", text, strlen(text));
        free(text);
        return 0;
    }
    struct xcol cols[XLSX_MAX_COLS + 1];
    int n = 0;
    for (const struct exchange_field *f = exchange_fields; f->key && n < XLSX_MAX_COLS; f++, n++)
        cols[n] = (struct xcol){f->key, f->label, f->date ? XLSX_DATE : XLSX_TEXT, NULL, NULL};
    cols[n] = (struct xcol){0};
    reply_items_xlsx(r, json_object_get(out, "records"), cols, "exchange-results", "抽查结果交换数据");
    json_decref(out);
    return 0;
}

const struct route exchange_routes[] = {
    {"GET", "/api/exchange/results", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, h_results},
    {0},
};
