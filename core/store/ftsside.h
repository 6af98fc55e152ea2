/* ftsside.h: a directory table's FTS5 search index built on a second thread while the importing
 * thread builds the table's B-tree indexes (issue 19: after a bulk load into an empty table, the
 * index builds and the trigram index's rebuild are each single-threaded, one after the other).
 *
 * The rows the bulk load inserted (rowid and the indexed columns' text) are collected as they go
 * in; the thread copies them into a private temporary database holding a table of the same name
 * with those columns and the same CREATE VIRTUAL TABLE statement as the real index, and rebuilds
 * that index there. The importing thread then replaces the real index's shadow tables (%_data,
 * %_idx) with the temporary ones, inside its own transaction: the same statement over the same
 * rows and rowids gives the same index a rebuild in place would. Only for an external-content index
 * without per-row sizes (columnsize=0), whose whole state is those two tables (and %_config,
 * which stays). */
#ifndef SPOT_FTSSIDE_H
#define SPOT_FTSSIDE_H

#include <stddef.h>
#include <sqlite3.h>

typedef struct fts_side fts_side;

/* The side build for table's index "<table>_fts" in db: NULL when there is no such index or it is
 * not of the kind above (the caller rebuilds in place), or on error (*err set). */
fts_side *fts_side_open(sqlite3 *db, const char *table, char **err);

/* The index's columns, in order (names of table's columns). */
int fts_side_ncols(const fts_side *s);
const char *fts_side_col(const fts_side *s, int i);

/* Adds one inserted row: its rowid and each indexed column's text (v[i], n[i] bytes), in column
 * order. 0, or -1 when out of memory (the build is then refused: fts_side_start fails). */
int fts_side_add(fts_side *s, long long rowid, const char *const *v, const size_t *n);

/* Starts the build thread over the rows added. 0, or -1 with *err (nothing started). */
int fts_side_start(fts_side *s, char **err);

/* Waits for the build and puts its index in place of db's, in db's open transaction. 0; 1 with
 * *err when the build itself failed (db unchanged: the caller rebuilds in place); -1 with *err when
 * the copy failed (db's index half replaced: the transaction must roll back). */
int fts_side_finish(fts_side *s, sqlite3 *db, char **err);

/* Frees s (waiting for a started build first). NULL is fine. */
void fts_side_free(fts_side *s);

#endif
