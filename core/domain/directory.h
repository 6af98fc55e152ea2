/* directory.h: the directory engine shared by the enterprise directory (检查对象名录库) and the
 * inspector directory (检查人员名录库): field tables, create / update with history (the previous
 * version, who, when, what changed), filtered and paged lists, CSV export. Personal data (身份证号,
 * phone) is masked for every role but admin. Knows nothing of HTTP: functions take the caller's
 * spot_ctx and fail with a spot_err. Uses db.h, audit.h, worker.h (reply cache), validate.h and the
 * categories rule (industry list, categories and their labels). */
#ifndef SPOT_DIRECTORY_H
#define SPOT_DIRECTORY_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include "ctx.h"
#include "err.h"
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

typedef struct dir_kind dir_kind;

struct dir_kind {
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
    /* When not NULL: whether the key of row id may no longer change (other records refer to it).
     * Returns 1 (locked, *why a static Chinese reason), 0, or -1 with *err. */
    int (*key_locked)(sqlite3 *db, long long id, const char **why, char **err);
    /* One example value per field (display form) for the import template; industries are taken
     * from the rule instead. */
    const char *const *example;
    /* When not NULL: the field naming the row's org (SPEC §10, the inspectors' 所在单位 "unit"). A
     * name written must be an org's (else 422 unknown_org, or a rejected import line); the body
     * may give "org_id" instead, which writes that org's name. The table's org_id follows the name
     * (triggers of migration 0015). */
    const char *org_field;
};

/* The query parameters of a list or export besides the kind's filters (its own table). */
extern const char *const dir_list_params[];

/* Index of a field in k->fields, or -1. */
int dir_field_index(const dir_kind *k, const char *name);

/* Applies the new stored values vals[i] (NULL = not given, keep) to row id: when something differs,
 * writes a history row with the previous version and what changed, bumps version and updated_at,
 * and fills *changes (new object, caller decrefs) with {"field":[old,new]} (personal data masked).
 * Must run inside the caller's transaction; does not audit. Returns 1 if changed, 0 if not, -1 with
 * *err (a UNIQUE clash gives -2 with *err a Chinese message naming the column). */
int dir_update_row(sqlite3 *db, const dir_kind *k, long long id, const char *const *vals,
                   const char *actor, const char *source, json_t **changes, char **err);

/* Binds value val of field f to st at position pos as SQLite stores it (integers for booleans and
 * counts, NULL for an empty optional date, the field default for empty). Returns the SQLite code. */
int dir_bind_value(sqlite3_stmt *st, int pos, const vfield *f, const char *val, int is_new);

/* The row id for ref, the {id} of a path: a numeric id or the kind's alternative key; -1 if none. */
long long dir_resolve(spot_ctx *c, const dir_kind *k, const char *ref);

/* One page of the list as JSON text {"total","page","per_page","items"} (a new string, caller frees;
 * length in *len). query: object of the request's query parameters (strings, borrowed), read for
 * the kind's filters and dir_list_params except page / per_page (given checked: page >= 1,
 * per_page 1-500). A page is kept in the reply cache (worker.h) until the next commit. NULL with *e
 * (400 bad_request for a bad filter). */
char *dir_list(spot_ctx *c, const dir_kind *k, json_t *query, long long page, long long per_page,
               size_t *len, spot_err *e);

/* The filtered directory as CSV (UTF-8 with BOM, Chinese headers, display values, personal data
 * masked but for admin, cells a spreadsheet would run as a formula neutralised) or, when xlsx, as
 * an .xlsx workbook with the same headers and cells (dates as dates, text cells never formulas).
 * New buffer (caller frees), length in *len; NULL with *e. */
char *dir_export(spot_ctx *c, const dir_kind *k, json_t *query, int xlsx, size_t *len, spot_err *e);

/* The row for ref with its category (reason, clause) and history count. New reference, or NULL
 * with *e (404 not_found). */
json_t *dir_get(spot_ctx *c, const dir_kind *k, const char *ref, spot_err *e);

/* {"id","version","history":[…]} of the row for ref. New reference, or NULL with *e. */
json_t *dir_history(spot_ctx *c, const dir_kind *k, const char *ref, spot_err *e);

/* Creates a row from the JSON object body (borrowed) and audits it. Returns the new row (new
 * reference), or NULL with *e (400 unknown_field, 422 invalid, 409 conflict). */
json_t *dir_create(spot_ctx *c, const dir_kind *k, json_t *body, spot_err *e);

/* Updates the row for ref from the JSON object body (only the fields given; "version" checked when
 * present) with history and audit. Returns the row with its "changes" (new reference), or NULL
 * with *e (404, 400, 422, 409 stale / conflict / key_locked). */
json_t *dir_update(spot_ctx *c, const dir_kind *k, const char *ref, json_t *body, spot_err *e);

/* Moves the rows the triggers of 0016_fts.sql left in <table>_fts_pending into the trigram index
 * <table>_fts (enterprises only: name, uscc); call inside the write's transaction, before its
 * commit. Nothing to do (0) for a kind without an index. Returns 0, or -1 with *err (caller frees). */
int dir_fts_flush(sqlite3 *db, const dir_kind *k, char **err);

#endif
