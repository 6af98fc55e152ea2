/* ruledata.h: the plain tables that rules receive, built from database rows (rules/README.md
 * documents their fields): a unit from an enterprises row, an inspector from an inspectors row. */
#ifndef SPOT_RULEDATA_H
#define SPOT_RULEDATA_H

#include <sqlite3.h>
#include <jansson.h>

/* Columns to select for ruledata_unit, in this order. */
#define RULEDATA_UNIT_COLUMNS \
    "id, uscc, name, unit_type, region, industry, supervision_type, risk_level, credit_level, " \
    "complaints, watchlist, dishonest, serious_violation, major_hazard, status"

/* A new JSON object for the current row of st, which selected RULEDATA_UNIT_COLUMNS first. */
json_t *ruledata_unit(sqlite3_stmt *st);

/* Columns to select for ruledata_inspector, in this order (no 身份证号: rules never see it). */
#define RULEDATA_INSPECTOR_COLUMNS \
    "id, cert_no, name, gender, unit, title, cert_valid_until, expertise, level, is_expert, status, org_id"

/* A new JSON object for the current row of st, which selected RULEDATA_INSPECTOR_COLUMNS first. */
json_t *ruledata_inspector(sqlite3_stmt *st);

#endif
