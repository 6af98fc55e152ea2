/* api_stats.c: statistics for leaders and the annual report over HTTP (SPEC §13). Domain:
 * core/domain/stats.c (definitions of every figure there). Plain GET lists, so that every figure
 * exports as JSON (and as the other list formats the server adds).
 *
 * Routes
 *   GET /api/stats?year=YYYY                       admin, head, auditor: every figure of the year
 *        (default: this year).
 *   GET /api/stats/rows?year=&dim=&key=&problem=   the checked units behind a figure (drill-down):
 *        dim all|org|township|industry|category|month|joint, key the figure's key, problem 0|1.
 */
#include "api_stats.h"
#include <stdlib.h>
#include "clock.h"
#include "stats.h"

static int answer(req *r, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, 200, v) : reply_err(r, e);
}

/* The year argument (default: this year in China). 0, or -1 when a 400 was sent. */
static int year_of(req *r, long long *year)
{
    char today[16];
    clock_today(today);
    return req_query_int(r, "year", 2000, 2100, atoi(today), year);
}

static int h_year(req *r)
{
    spot_err e;
    long long year;
    if (year_of(r, &year) != 0) return 0;
    return answer(r, stats_year(&r->ctx, year, &e), &e);
}

static int h_rows(req *r)
{
    spot_err e;
    long long year, problem;
    if (year_of(r, &year) != 0 || req_query_int(r, "problem", 0, 1, -1, &problem) != 0) return 0;
    return answer(r, stats_rows(&r->ctx, year, req_query(r, "dim"), req_query(r, "key"), problem, &e), &e);
}

const struct route stats_routes[] = {
    {"GET", "/api/stats", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_year},
    {"GET", "/api/stats/rows", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_rows},
    {0},
};
