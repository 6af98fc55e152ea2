/* enterprises.h: the enterprise directory (检查对象名录库, clauses 3.3, 5.2.1) and the directory
 * engine it shares with the inspector directory: field tables, create / update with history
 * (the previous version, who, when, what changed), filtered and paged lists, CSV export.
 * Routes: GET/POST /api/enterprises, GET /api/enterprises/export, GET/PUT /api/enterprises/{id},
 * GET /api/enterprises/{id}/history, POST /api/enterprises/import.
 * Uses db.h, audit.h, http.h, validate.h and the categories rule (industry list and categories). */
#ifndef SPOT_ENTERPRISES_H
#define SPOT_ENTERPRISES_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"
#include "validate.h"

#define DIR_MAX_FIELDS 24
#define DIR_VALUE_MAX 4096

/* A filter of the list: query parameter -> condition. */
enum dir_filter_type {
    DF_IN,        /* comma-separated values, column IN (...) */
    DF_CHOICE,    /* like DF_IN, each value a code or label of the field's choices */
    DF_BOOL,      /* column = 0/1 */
    DF_POSITIVE,  /* bool: column > 0 / column = 0 */
    DF_MIN,       /* column >= integer */
    DF_DATE_MIN,  /* column >= date */
    DF_TAG,       /* JSON array column contains the value */
    DF_CATEGORY,  /* industry IN (industries of that category, from the rule) */
};

struct dir_filter {
    const char *param;
    const char *column;
    int type;
};

typedef struct dir_kind {
    const char *table;          /* "enterprises" */
    const char *history;        /* "enterprise_history" */
    const char *history_fk;     /* "enterprise_id" */
    const char *key;            /* import / identity key column: "uscc", "id_number" */
    const char *alt_key;        /* GET {id} by text: "uscc", "cert_no" */
    const char *audit_name;     /* "enterprise" */
    const char *audit_key;      /* column naming the audit object: "uscc", "cert_no" */
    const char *what;           /* "检查对象", "检查人员" */
    const vfield *fields;       /* ends with name NULL */
    const struct dir_filter *filters;
    const char *const *search;  /* columns searched by q= */
    const char *const *sorts;   /* allowed sort columns */
    int personal_key;           /* the key is a 身份证号: masked except for admin, never logged */
    int with_category;          /* rows carry "category" from the rule */
} dir_kind;

extern const vfield enterprise_fields[];
extern const dir_kind enterprise_kind;

/* Index of a field in k->fields, or -1. */
int dir_field_index(const dir_kind *k, const char *name);

/* Applies the new stored values vals[i] (NULL = not given, keep) to row id: when something differs,
 * writes a history row with the previous version and what changed, bumps version and updated_at,
 * and fills *changes (new object, caller decrefs) with {"field":[old,new]} (id numbers masked).
 * Must run inside the caller's transaction; does not audit. Returns 1 if changed, 0 if not, -1 with
 * *err (a UNIQUE clash gives -2 with *err a Chinese message). */
int dir_update_row(sqlite3 *db, const dir_kind *k, long long id, const char *const *vals,
                   const char *actor, const char *source, json_t **changes, char **err);

/* The stored text for vals given to SQLite: binds value i of field f to st at position pos
 * (integers for booleans and counts, NULL for an empty optional date, default for empty). */
int dir_bind_value(sqlite3_stmt *st, int pos, const vfield *f, const char *val, int is_new);

/* Generic handlers, used by inspectors.c with its own kind. */
int dir_list(req *r, const dir_kind *k);
int dir_export(req *r, const dir_kind *k, const char *filename);
int dir_get(req *r, const dir_kind *k);
int dir_create(req *r, const dir_kind *k);
int dir_update(req *r, const dir_kind *k);
int dir_history(req *r, const dir_kind *k);
int dir_import(req *r, const dir_kind *k);

extern const struct route enterprise_routes[];

#endif
