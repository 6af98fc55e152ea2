/* ftsside.c: see ftsside.h. */
#include "ftsside.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"

#define SIDE_MAX_COLS 8

struct fts_side {
    char table[48];
    char *create_sql;            /* the real index's CREATE VIRTUAL TABLE */
    int ncols;
    char *cols[SIDE_MAX_COLS];
    spot_buf rows;               /* int64 rowid, then per column uint32 length and bytes */
    int oom;
    pthread_t thread;
    int started;
    int rc;                      /* the thread's result: 0, or -1 with err */
    char *err;
    sqlite3 *tdb;                /* the temporary database, open until fts_side_free */
};

/* A plain identifier (letters, digits, _), safe to put in SQL text between double quotes. */
static int ident_ok(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

fts_side *fts_side_open(sqlite3 *db, const char *table, char **err)
{
    if (!ident_ok(table) || strlen(table) >= 40) return NULL;
    fts_side *s = calloc(1, sizeof *s);
    if (!s) { *err = xprintf("out of memory"); return NULL; }
    snprintf(s->table, sizeof s->table, "%s", table);
    char name[64], content[96];
    snprintf(name, sizeof name, "%s_fts", table);
    snprintf(content, sizeof content, "%%content='%s'%%", table);
    /* an external-content FTS5 table over this table's id, without %_docsize (columnsize=0) */
    s->create_sql = db_text(db, err, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1 AND "
                                     "sql LIKE 'CREATE VIRTUAL TABLE % USING fts5(%' AND sql LIKE ?2 AND "
                                     "sql LIKE '%content\\_rowid=''id''%' ESCAPE '\\' AND "
                                     "NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name IN (?1 || '_docsize', ?1 || '_content'))",
                            "ss", name, content);
    if (!s->create_sql) { fts_side_free(s); return NULL; }
    json_t *cols = db_rows(db, err, "SELECT name FROM pragma_table_info(?)", "s", name);
    size_t i;
    json_t *c;
    int ok = cols && json_array_size(cols) > 0 && json_array_size(cols) <= SIDE_MAX_COLS;
    json_array_foreach(cols, i, c) {
        const char *cn = json_string_value(json_object_get(c, "name"));
        if (!ok || !ident_ok(cn) || !strcmp(cn, "id")) { ok = 0; break; }
        s->cols[s->ncols] = strdup(cn);
        if (!s->cols[s->ncols++]) ok = 0;
    }
    json_decref(cols);
    if (!ok) { fts_side_free(s); return NULL; }
    return s;
}

int fts_side_ncols(const fts_side *s) { return s->ncols; }
const char *fts_side_col(const fts_side *s, int i) { return s->cols[i]; }

int fts_side_add(fts_side *s, long long rowid, const char *const *v, const size_t *n)
{
    if (s->oom) return -1;
    int64_t id = rowid;
    int bad = spot_buf_put(&s->rows, &id, sizeof id) != 0;
    for (int i = 0; i < s->ncols && !bad; i++) {
        uint32_t l = (uint32_t)n[i];
        bad = spot_buf_put(&s->rows, &l, sizeof l) != 0 || spot_buf_put(&s->rows, v[i], n[i]) != 0;
    }
    if (bad) s->oom = 1;
    return bad ? -1 : 0;
}

static int tx(sqlite3 *db, const char *sql, char **err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK) return 0;
    *err = xprintf("search index build: %s", sqlite3_errmsg(db));
    return -1;
}

/* The thread: the temporary database, its copy of the rows, the rebuild. */
static void *side_main(void *arg)
{
    fts_side *s = arg;
    char *err = NULL, *sql = NULL;
    sqlite3_stmt *ins = NULL;
    s->rc = -1;
    /* "": a private temporary database, deleted when closed; nothing else opens it */
    if (sqlite3_open_v2("", &s->tdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        err = xprintf("search index build: cannot open a temporary database");
        goto done;
    }
    /* nothing to recover if it fails (the import falls back or rolls back); 128 MiB of cache holds
     * a million units' names and codes and most of their index */
    if (tx(s->tdb, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -131072;", &err)) goto done;
    char cols[512] = "", qs[64] = "";
    size_t cl = 0;
    for (int i = 0; i < s->ncols; i++) {
        cl += (size_t)snprintf(cols + cl, sizeof cols - cl, ", \"%s\"", s->cols[i]);
        strcat(qs, ", ?");
    }
    sql = xprintf("CREATE TABLE \"%s\"(id INTEGER PRIMARY KEY%s)", s->table, cols);
    if (tx(s->tdb, sql, &err) || tx(s->tdb, s->create_sql, &err) || tx(s->tdb, "BEGIN", &err)) goto done;
    free(sql);
    sql = xprintf("INSERT INTO \"%s\"(id%s) VALUES (?%s)", s->table, cols, qs);
    if (sqlite3_prepare_v2(s->tdb, sql, -1, &ins, NULL) != SQLITE_OK) {
        err = xprintf("search index build: %s", sqlite3_errmsg(s->tdb));
        goto done;
    }
    const unsigned char *buf = (const unsigned char *)s->rows.p;
    for (size_t at = 0; at < s->rows.len;) {
        int64_t id;
        memcpy(&id, buf + at, sizeof id);
        at += sizeof id;
        sqlite3_bind_int64(ins, 1, id);
        for (int i = 0; i < s->ncols; i++) {
            uint32_t l;
            memcpy(&l, buf + at, sizeof l);
            at += sizeof l;
            sqlite3_bind_text(ins, 2 + i, (const char *)buf + at, (int)l, SQLITE_STATIC);
            at += l;
        }
        if (sqlite3_step(ins) != SQLITE_DONE) {
            err = xprintf("search index build: %s", sqlite3_errmsg(s->tdb));
            goto done;
        }
        sqlite3_reset(ins);
    }
    free(sql);
    /* as the rebuild in place does (csvimport.c): 16 MiB of index in memory per segment */
    sql = xprintf("INSERT INTO \"%s_fts\"(\"%s_fts\", rank) VALUES ('hashsize', 16777216); "
                  "INSERT INTO \"%s_fts\"(\"%s_fts\") VALUES ('rebuild'); COMMIT;",
                  s->table, s->table, s->table, s->table);
    if (tx(s->tdb, sql, &err)) goto done;
    s->rc = 0;
done:
    sqlite3_finalize(ins);
    free(sql);
    free(s->rows.p);   /* the rows are in the temporary database now */
    memset(&s->rows, 0, sizeof s->rows);
    s->err = err;
    return NULL;
}

int fts_side_start(fts_side *s, char **err)
{
    if (s->oom) { *err = xprintf("out of memory"); return -1; }
    if (pthread_create(&s->thread, NULL, side_main, s) != 0) {
        *err = xprintf("cannot start the search index thread");
        return -1;
    }
    s->started = 1;
    return 0;
}

/* Copies every row of the temporary database's shadow table suffix into db's. */
static int copy_shadow(fts_side *s, sqlite3 *db, const char *suffix, const char *cols, int n, char **err)
{
    char *q = xprintf("SELECT %s FROM \"%s_fts_%s\"", cols, s->table, suffix);
    char *ins = xprintf("INSERT INTO \"%s_fts_%s\"(%s) VALUES (?%s)", s->table, suffix, cols, n == 3 ? ", ?, ?" : ", ?");
    sqlite3_stmt *sel = NULL, *put_st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->tdb, q, -1, &sel, NULL) != SQLITE_OK) {
        *err = xprintf("search index copy: %s", sqlite3_errmsg(s->tdb));
        goto done;
    }
    if (sqlite3_prepare_v2(db, ins, -1, &put_st, NULL) != SQLITE_OK) {
        *err = xprintf("search index copy: %s", sqlite3_errmsg(db));
        goto done;
    }
    int src;
    while ((src = sqlite3_step(sel)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) sqlite3_bind_value(put_st, i + 1, sqlite3_column_value(sel, i));
        if (sqlite3_step(put_st) != SQLITE_DONE) {
            *err = xprintf("search index copy: %s", sqlite3_errmsg(db));
            goto done;
        }
        sqlite3_reset(put_st);
    }
    if (src != SQLITE_DONE) {
        *err = xprintf("search index copy: %s", sqlite3_errmsg(s->tdb));
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(put_st);
    free(q);
    free(ins);
    return rc;
}

int fts_side_finish(fts_side *s, sqlite3 *db, char **err)
{
    if (!s->started) { *err = xprintf("search index build not started"); return -1; }
    pthread_join(s->thread, NULL);
    s->started = 0;
    if (s->rc != 0) {
        *err = s->err ? s->err : xprintf("search index build failed");
        s->err = NULL;
        return 1;
    }
    char *clear = xprintf("DELETE FROM \"%s_fts_data\"; DELETE FROM \"%s_fts_idx\";", s->table, s->table);
    int rc = sqlite3_exec(db, clear, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    free(clear);
    if (rc != 0) { *err = xprintf("search index copy: %s", sqlite3_errmsg(db)); return -1; }
    return copy_shadow(s, db, "data", "id, block", 2, err) == 0 &&
           copy_shadow(s, db, "idx", "segid, term, pgno", 3, err) == 0 ? 0 : -1;
}

void fts_side_free(fts_side *s)
{
    if (!s) return;
    if (s->started) pthread_join(s->thread, NULL);
    if (s->tdb) sqlite3_close(s->tdb);
    free(s->create_sql);
    for (int i = 0; i < s->ncols; i++) free(s->cols[i]);
    free(s->rows.p);
    free(s->err);
    free(s);
}
