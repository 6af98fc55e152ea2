/* ruledata.c: database rows -> rule tables. */
#include "ruledata.h"

static json_t *text_col(sqlite3_stmt *st, int c)
{
    const unsigned char *s = sqlite3_column_text(st, c);
    return s ? json_stringn((const char *)s, (size_t)sqlite3_column_bytes(st, c)) : json_null();
}

json_t *ruledata_unit(sqlite3_stmt *st)
{
    static const char *const text[] = {"uscc", "name", "unit_type", "region", "industry",
                                       "supervision_type", "risk_level", "credit_level"};
    static const char *const flags[] = {"watchlist", "dishonest", "serious_violation", "major_hazard"};
    json_t *u = json_object();
    json_object_set_new(u, "id", json_integer(sqlite3_column_int64(st, 0)));
    for (int i = 0; i < 8; i++) json_object_set_new(u, text[i], text_col(st, 1 + i));
    json_object_set_new(u, "complaints", json_integer(sqlite3_column_int64(st, 9)));
    for (int i = 0; i < 4; i++) json_object_set_new(u, flags[i], json_boolean(sqlite3_column_int(st, 10 + i)));
    json_object_set_new(u, "status", text_col(st, 14));
    return u;
}

json_t *ruledata_inspector(sqlite3_stmt *st)
{
    static const char *const text[] = {"cert_no", "name", "gender", "unit", "title", "cert_valid_until"};
    json_t *p = json_object();
    json_object_set_new(p, "id", json_integer(sqlite3_column_int64(st, 0)));
    for (int i = 0; i < 6; i++) json_object_set_new(p, text[i], text_col(st, 1 + i));
    const char *exp = (const char *)sqlite3_column_text(st, 7);
    json_t *tags = exp ? json_loads(exp, 0, NULL) : NULL;
    json_object_set_new(p, "expertise", json_is_array(tags) ? tags : (json_decref(tags), json_array()));
    json_object_set_new(p, "level", text_col(st, 8));
    json_object_set_new(p, "is_expert", json_boolean(sqlite3_column_int(st, 9)));
    json_object_set_new(p, "status", text_col(st, 10));
    json_object_set_new(p, "org_id", json_integer(sqlite3_column_int64(st, 11)));   /* SPEC §10; NULL: 0 */
    return p;
}
