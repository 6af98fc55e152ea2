/* db.h: SQLite storage: opening a connection (WAL, foreign keys, busy timeout), forward-only
 * schema migrations, write transactions (BEGIN IMMEDIATE) and small query helpers that bind
 * parameters and return rows as jansson objects. One connection per thread; nothing here is shared. */
#ifndef SPOT_DB_H
#define SPOT_DB_H

#include <sqlite3.h>
#include <jansson.h>
#include "err.h"

/* Creates path (or takes the existing file) with mode 0600 whatever the umask, so that a database
 * or a backup of one is readable by its owner only. Returns 0 or -1 with *err (caller frees). */
int db_create_private(const char *path, char **err);

/* Opens path and applies pending migrations. With create == 0 the file must exist; with
 * create == 1 it must not (init refuses to overwrite). Returns a connection, or NULL with *err
 * set (caller frees). */
sqlite3 *db_open(const char *path, int create, char **err);
void db_close(sqlite3 *db);

/* Applies every migration newer than PRAGMA user_version, each in its own transaction. */
int db_migrate(sqlite3 *db, char **err);

/* Current schema version (PRAGMA user_version) and the newest this build knows. */
int db_schema_version(sqlite3 *db);
int db_schema_latest(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. begin and commit return 0 or -1 with *err set. */
int db_begin(sqlite3 *db, char **err);
int db_commit(sqlite3 *db, char **err);
void db_rollback(sqlite3 *db);

/* Parameter binding for the helpers below: fmt has one letter per parameter:
 *   i  long long        d  double         s  const char * (NULL binds NULL)
 *   t  const char *, int length (text)    b  const void *, int length (blob)
 *   j  json_t * (borrowed): integer, real, string, true/false (1/0), null; objects and arrays
 *      are bound as their compact JSON text. */

/* Runs a statement that returns no rows. Returns sqlite3_changes() (>= 0), or -1 with *err set. */
int db_run(sqlite3 *db, char **err, const char *sql, const char *fmt, ...);

/* Runs a query and returns a new JSON array of objects keyed by column name (integers, reals,
 * text as strings, blobs as lowercase hex, NULL as null). Returns NULL with *err set on error. */
json_t *db_rows(sqlite3 *db, char **err, const char *sql, const char *fmt, ...);

/* The first row of a query as a new JSON object; NULL with *err == NULL when there is no row,
 * NULL with *err set on error. */
json_t *db_row(sqlite3 *db, char **err, const char *sql, const char *fmt, ...);

/* The first column of the first row as an integer; returns dflt when there is no row or it is NULL.
 * On error returns dflt and sets *err. */
long long db_int(sqlite3 *db, char **err, long long dflt, const char *sql, const char *fmt, ...);

/* The first column of the first row as a new malloc'd string, or NULL (no row / NULL / error). */
char *db_text(sqlite3 *db, char **err, const char *sql, const char *fmt, ...);

/* Prepares sql and binds fmt's parameters (va_list form, for modules that step rows themselves).
 * Returns a statement the caller finalizes, or NULL with *err set. */
sqlite3_stmt *db_prepare(sqlite3 *db, char **err, const char *sql, const char *fmt, ...);

/* A value of the meta key/value table, new malloc'd string or NULL; and setting one. */
char *db_meta_get(sqlite3 *db, const char *key);
int db_meta_set(sqlite3 *db, const char *key, const char *value, char **err);

/* xprintf (printf into a new malloc'd string, for *err) is declared in err.h, included here. */

#endif
