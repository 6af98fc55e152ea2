/* history.c: the one query for a unit's draw history in a year (see history.h). */
#include "history.h"
#include "db.h"

#include <stdlib.h>
#include <string.h>

void hist_free(hist *h)
{
    for (size_t i = 0; i < h->n; i++) free(h->r[i].last);
    free(h->r);
    h->r = NULL;
    h->n = 0;
}

int hist_load(sqlite3 *db, long long year, long long exclude_task_id, hist *h, char **err)
{
    h->r = NULL;
    h->n = 0;
    sqlite3_stmt *q = db_prepare(db, err,
        "SELECT u.enterprise_id, count(*), max(substr(t.locked_at, 1, 10))"
        " FROM task_units u JOIN tasks t ON t.id = u.task_id"
        " WHERE t.year = ? AND t.id <> ? AND t.status = 'dispatched'"
        " GROUP BY u.enterprise_id ORDER BY u.enterprise_id", "ii", year, exclude_task_id);
    if (!q) return -1;
    size_t cap = 0;
    int step, rc = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (h->n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            hist_row *r = realloc(h->r, nc * sizeof *r);
            if (!r) { *err = xprintf("out of memory"); rc = -1; break; }
            h->r = r;
            cap = nc;
        }
        hist_row *r = &h->r[h->n];
        const char *last = (const char *)sqlite3_column_text(q, 2);
        r->eid = sqlite3_column_int64(q, 0);
        r->n = sqlite3_column_int64(q, 1);
        r->last = last ? strdup(last) : NULL;
        if (last && !r->last) { *err = xprintf("out of memory"); rc = -1; break; }
        h->n++;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        *err = xprintf("%s", sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_finalize(q);
    if (rc != 0) hist_free(h);
    return rc;
}

const hist_row *hist_find(const hist *h, long long eid)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {   /* binary search by enterprise id */
        size_t mid = lo + (hi - lo) / 2;
        if (h->r[mid].eid < eid) lo = mid + 1;
        else hi = mid;
    }
    return lo < h->n && h->r[lo].eid == eid ? &h->r[lo] : NULL;
}
