/* stats.h: the statistics of the annual report and the leaders' page (SPEC §13): per year, the
 * units checked by dispatched tasks by org (the task's lead unit), township, industry and result
 * category; 5.1.2 coverage of the general units against the floor of the rules; joint checks;
 * overdue work; the problem-found rate; the monthly trend; and the rows behind each figure.
 * Uses ctx.h, err.h, db.h and the rules through decide.h (categories, sampling). No HTTP. */
#ifndef SPOT_STATS_H
#define SPOT_STATS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* 5.1.2 coverage of year: {general_units (active units of general industries), drawn (those a
 * dispatched task of the year drew), floor (rules.sampling.floor of general_other), need, ratio, met,
 * industries}. New reference or NULL with *e. */
json_t *stats_coverage(spot_ctx *c, long long year, spot_err *e);

/* GET /api/stats?year=: every figure of year (definitions in stats.c). New ref or NULL with *e. */
json_t *stats_year(spot_ctx *c, long long year, spot_err *e);

/* GET /api/stats/rows?year=&dim=&key=&problem=: the checked units behind a figure: dim is org,
 * township, industry, category, month or all (key ignored); problem (0/1, -1 = any) keeps only
 * units with (1) or without (0) a problem found. New ref {"rows":[…]} or NULL with *e. */
json_t *stats_rows(spot_ctx *c, long long year, const char *dim, const char *key, long long problem, spot_err *e);

#endif
