/* history.h: the one query for a unit's draw history in a year (times selected by other
 * dispatched tasks of that year, date of the latest lock), used by the freeze and the dry run.
 * Uses db.h (db_prepare) and SQLite. */
#ifndef SPOT_HISTORY_H
#define SPOT_HISTORY_H

#include <stddef.h>
#include <sqlite3.h>

/* The history of one unit: times selected in other dispatched tasks of the year, last date. */
typedef struct hist_row {
    long long eid, n;
    char *last;                /* "YYYY-MM-DD", owned; NULL when unknown */
} hist_row;

typedef struct hist {
    hist_row *r;               /* owned, sorted by eid */
    size_t n;
} hist;

/* Reads into *h the history of every unit selected in a dispatched task of the year other than
 * task exclude_task_id (0: exclude none), sorted by enterprise id, on db's current transaction.
 * Returns 0 (free with hist_free), or -1 with *err (new string, caller frees) and *h empty. */
int hist_load(sqlite3 *db, long long year, long long exclude_task_id, hist *h, char **err);

/* The row of enterprise eid in h (borrowed from h), or NULL when it was not drawn. */
const hist_row *hist_find(const hist *h, long long eid);

/* Frees what hist_load allocated and empties *h; h may be empty. */
void hist_free(hist *h);

#endif
