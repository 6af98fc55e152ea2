/* history.c: the one query for a unit's draw history in a year (see history.h). */
#include "history.h"
#include "clock.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hist_free(hist *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->r[i].last);
        free(h->r[i].overlap);
        free(h->r[i].open_case);
    }
    free(h->r);
    h->r = NULL;
    h->n = 0;
}

/* Duplicates s (may be NULL) into *out. Returns 0, or -1 when out of memory. */
static int dup_or_null(const unsigned char *s, char **out)
{
    *out = s ? strdup((const char *)s) : NULL;
    return s && !*out ? -1 : 0;
}

int hist_load(sqlite3 *db, long long year, long long exclude_task_id, const char *start, const char *end, hist *h,
              char **err)
{
    h->r = NULL;
    h->n = 0;
    char today[16], from[32], to[32];
    clock_today(today);
    snprintf(from, sizeof from, "%04lld-01-01", year);
    snprintf(to, sizeof to, "%04lld-01-01", year + 1);
    /* a task's date is the bureau's day of its lock stamp (as clock_today) */
    sqlite3_stmt *q = db_prepare(db, err,
        "SELECT eid, sum(n), max(last), max(overlap), max(open_case), sum(prev), sum(cases) FROM ("
        " SELECT u.enterprise_id AS eid, 1 AS n, " CLOCK_SQL_DAY("t.locked_at") " AS last, NULL AS overlap, NULL AS open_case,"
        "  0 AS prev, 0 AS cases"
        "  FROM task_units u JOIN tasks t ON t.id = u.task_id"
        "  WHERE t.year = ?1 AND t.id <> ?2 AND t.status = 'dispatched'"
        " UNION ALL"
        " SELECT u.enterprise_id, 0, NULL, '任务编号 ' || t.id || '“' || t.name || '”', NULL, 0, 0"
        "  FROM task_units u JOIN tasks t ON t.id = u.task_id"
        "  WHERE ?3 IS NOT NULL AND t.id <> ?2 AND t.status = 'dispatched' AND t.start_date <= ?4 AND t.end_date >= ?3"
        " UNION ALL"
        " SELECT enterprise_id, 0, NULL, NULL, case_code, 0, 0 FROM inspections WHERE closed IS NULL AND date <= ?5"
        " UNION ALL"
        " SELECT u.enterprise_id, 0, NULL, NULL, NULL, 1, 0"
        "  FROM task_units u JOIN tasks t ON t.id = u.task_id WHERE t.year = ?1 - 1 AND t.status = 'dispatched'"
        " UNION ALL"
        " SELECT enterprise_id, 0, NULL, NULL, NULL, 0, 1 FROM inspections WHERE date >= ?6 AND date < ?7"
        ") GROUP BY eid ORDER BY eid", "iisssss", year, exclude_task_id, start && end ? start : NULL, end, today,
        from, to);
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
        r->eid = sqlite3_column_int64(q, 0);
        r->n = sqlite3_column_int64(q, 1);
        r->prev = sqlite3_column_int64(q, 5);
        r->cases = sqlite3_column_int64(q, 6);
        int bad = dup_or_null(sqlite3_column_text(q, 2), &r->last);
        bad |= dup_or_null(sqlite3_column_text(q, 3), &r->overlap);
        bad |= dup_or_null(sqlite3_column_text(q, 4), &r->open_case);
        h->n++;   /* hist_free frees what was copied */
        if (bad) { *err = xprintf("out of memory"); rc = -1; break; }
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
