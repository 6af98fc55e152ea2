/* history.h: the one query for a unit's history as eligibility sees it (times selected by other
 * dispatched tasks of that year, date of the latest lock; another dispatched task with overlapping
 * dates that selected it, 8.2; an ongoing 4.3 case on the inspection record, SPEC §11; times
 * selected the year before and 4.3 cases begun in the year), used by the freeze and the dry run.
 * Uses db.h (db_prepare) and SQLite. */
#ifndef SPOT_HISTORY_H
#define SPOT_HISTORY_H

#include <stddef.h>
#include <sqlite3.h>

/* The history of one unit: times selected in other dispatched tasks of the year, last date. */
typedef struct hist_row {
    long long eid, n;
    char *last;                /* "YYYY-MM-DD", owned; NULL when unknown */
    char *overlap;             /* 8.2: "任务编号 N“name”" of a dispatched task whose dates overlap
                                  the frozen task's and which selected the unit; owned, or NULL */
    char *open_case;           /* 4.3: the case code of an inspection case still open; owned, or NULL */
    long long prev;            /* 6.2: times selected by dispatched tasks of the year before */
    long long cases;           /* SPEC §11: 4.3 inspections (cases) of the unit begun in the year */
} hist_row;

typedef struct hist {
    hist_row *r;               /* owned, sorted by eid */
    size_t n;
} hist;

/* Reads into *h the history of every unit selected in a dispatched task of the year other than
 * task exclude_task_id (0: exclude none), with the overlapping task when start and end (the frozen
 * task's dates; NULL: none) are given, of every unit with a 4.3 case open on today's date, and of
 * every unit selected the year before or with a 4.3 case begun in the year,
 * sorted by enterprise id, on db's current transaction. Returns 0 (free with hist_free), or -1
 * with *err (new string, caller frees) and *h empty. */
int hist_load(sqlite3 *db, long long year, long long exclude_task_id, const char *start, const char *end, hist *h,
              char **err);

/* The row of enterprise eid in h (borrowed from h), or NULL when it was not drawn. */
const hist_row *hist_find(const hist *h, long long eid);

/* Frees what hist_load allocated and empties *h; h may be empty. */
void hist_free(hist *h);

#endif
