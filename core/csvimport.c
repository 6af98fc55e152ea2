/* csvimport.c: the directory CSV import (one transaction and one audit record per file). The hot
 * path is allocation-free per row: fields land in one reused record buffer, values are normalised
 * into fixed buffers, and one prepared INSERT … ON CONFLICT DO NOTHING is reused; only rows whose
 * key is already known take the slower update path with its history row. */
#include "csvimport.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "inspectors.h"
#include "rules.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#define MAX_COLS 64
#define MAX_LISTED_REJECTIONS 10000

struct dup_entry {
    char key[20];
    long line;
};

struct imp {
    sqlite3 *db;
    const dir_kind *k;
    industry_set *ind;
    const char *actor;
    char today[11];
    char at[32];
    int nfields;
    int keyfield;
    /* header */
    int header_done;
    int ncols;
    int colfield[MAX_COLS];          /* CSV column -> field index */
    int fieldcol[DIR_MAX_FIELDS];    /* field -> CSV column, or -1 when absent */
    /* the record being read */
    char *rec;
    size_t rlen, rcap;
    size_t foff[MAX_COLS];
    int nrf;
    long line;                       /* physical line being fed */
    long start;                      /* line where the current record started */
    /* per row */
    char (*norm)[DIR_VALUE_MAX];
    sqlite3_stmt *ins, *find;
    /* keys seen in this file */
    struct dup_entry *tab;
    size_t tcap, tcount;
    /* outcome */
    long long imported, updated, unchanged, nrejected;
    json_t *rejected;
    int stop;                        /* 1: file refused (err is the message), -1: database error */
    char *err;
};

/* SPOTCHECK_IMPORT_TIMING=1 prints the phases' wall-clock times to stderr (for scripts/bench). */
static void phase(const char *name)
{
    static struct timespec last;
    static int on = -1;
    if (on < 0) on = getenv("SPOTCHECK_IMPORT_TIMING") != NULL;
    if (!on) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (name && last.tv_sec)
        fprintf(stderr, "import phase %-12s %.3f s\n", name,
                (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9);
    last = now;
}

static void imp_fail(struct imp *ip, int kind, char *msg)
{
    if (ip->stop) {
        free(msg);
        return;
    }
    ip->stop = kind;
    ip->err = msg;
}

/* ---- duplicate keys --------------------------------------------------------------------------------- */

static size_t key_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Returns the line of an earlier occurrence of key, or 0 after inserting it with line. -1 on OOM. */
static long dup_check_add(struct imp *ip, const char *key, long line, int add)
{
    if (ip->tcount * 2 >= ip->tcap) {
        size_t ncap = ip->tcap ? ip->tcap * 2 : 1 << 14;
        struct dup_entry *nt = calloc(ncap, sizeof *nt);
        if (!nt) return -1;
        for (size_t i = 0; i < ip->tcap; i++) {
            if (!ip->tab[i].key[0]) continue;
            size_t j = key_hash(ip->tab[i].key) & (ncap - 1);
            while (nt[j].key[0]) j = (j + 1) & (ncap - 1);
            nt[j] = ip->tab[i];
        }
        free(ip->tab);
        ip->tab = nt;
        ip->tcap = ncap;
    }
    size_t j = key_hash(key) & (ip->tcap - 1);
    while (ip->tab[j].key[0]) {
        if (!strcmp(ip->tab[j].key, key)) return ip->tab[j].line;
        j = (j + 1) & (ip->tcap - 1);
    }
    if (add) {
        snprintf(ip->tab[j].key, sizeof ip->tab[j].key, "%s", key);
        ip->tab[j].line = line;
        ip->tcount++;
    }
    return 0;
}

/* ---- rows ------------------------------------------------------------------------------------------------ */

static void reject(struct imp *ip, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(struct imp *ip, long line, const char *fmt, ...)
{
    ip->nrejected++;
    if (json_array_size(ip->rejected) >= MAX_LISTED_REJECTIONS) return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(ip->rejected, json_pack("{sI ss}", "line", (json_int_t)line, "error", msg));
}

static const char *field_text(struct imp *ip, int col)
{
    return ip->rec + ip->foff[col];
}

static int process_header(struct imp *ip)
{
    if (ip->nrf > MAX_COLS) {
        imp_fail(ip, 1, xprintf("表头列数过多（%d 列）", ip->nrf));
        return -1;
    }
    for (int i = 0; i < DIR_MAX_FIELDS; i++) ip->fieldcol[i] = -1;
    ip->ncols = ip->nrf;
    for (int c = 0; c < ip->nrf; c++) {
        char name[256];
        snprintf(name, sizeof name, "%s", field_text(ip, c));
        /* trim spaces */
        char *s = name, *e = name + strlen(name);
        while (*s == ' ' || *s == '\t') s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = 0;
        int found = -1;
        for (int i = 0; i < ip->nfields; i++)
            if (!strcasecmp(s, ip->k->fields[i].name) || !strcmp(s, ip->k->fields[i].label)) found = i;
        if (found < 0) {
            if (!*s) imp_fail(ip, 1, xprintf("表头第 %d 列为空", c + 1));
            else imp_fail(ip, 1, xprintf("表头第 %d 列“%.80s”不是%s名录库的列", c + 1, s, ip->k->what));
            return -1;
        }
        if (ip->fieldcol[found] >= 0) {
            imp_fail(ip, 1, xprintf("表头中“%s”出现了两次（第 %d 列和第 %d 列）", ip->k->fields[found].label,
                                    ip->fieldcol[found] + 1, c + 1));
            return -1;
        }
        ip->fieldcol[found] = c;
        ip->colfield[c] = found;
    }
    char missing[512] = "";
    size_t ml = 0;
    for (int i = 0; i < ip->nfields; i++)
        if (ip->k->fields[i].required && ip->fieldcol[i] < 0)
            ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s（%s）", ml ? "、" : "",
                                   ip->k->fields[i].label, ip->k->fields[i].name);
    if (ml) {
        imp_fail(ip, 1, xprintf("缺少必需的列：%s", missing));
        return -1;
    }
    ip->header_done = 1;
    return 0;
}

static void process_row(struct imp *ip)
{
    const dir_kind *k = ip->k;
    long line = ip->start;
    if (ip->nrf == 1 && !*field_text(ip, 0) && ip->ncols > 1) return; /* a line of blanks */
    if (ip->nrf != ip->ncols) {
        reject(ip, line, "列数为 %d，与表头的 %d 列不符", ip->nrf, ip->ncols);
        return;
    }
    char why[512];
    for (int i = 0; i < ip->nfields; i++) {
        const vfield *f = &k->fields[i];
        int c = ip->fieldcol[i];
        if (c < 0) {
            ip->norm[i][0] = 0;
            continue;
        }
        if (vf_normalize(f, field_text(ip, c), ip->norm[i], DIR_VALUE_MAX, ip->ind, ip->today, why, sizeof why)) {
            reject(ip, line, "%s：%s", f->label, why);
            return;
        }
    }
    const char *key = ip->norm[ip->keyfield];
    long first = dup_check_add(ip, key, line, 0);
    if (first < 0) {
        imp_fail(ip, -1, xprintf("out of memory"));
        return;
    }
    if (first > 0) {
        if (k->personal_key) reject(ip, line, "%s与第 %ld 行重复", k->fields[ip->keyfield].label, first);
        else reject(ip, line, "%s %s 与第 %ld 行重复", k->fields[ip->keyfield].label, key, first);
        return;
    }
    /* insert, or find the row of a known key */
    sqlite3_stmt *st = ip->ins;
    for (int i = 0; i < ip->nfields; i++) {
        const vfield *f = &k->fields[i];
        const char *v = ip->norm[i];
        if (!*v && f->dflt) v = f->dflt;
        if (f->type == VF_BOOL || f->type == VF_COUNT) sqlite3_bind_int64(st, i + 1, atoll(v));
        else if (f->type == VF_DATE && !*v) sqlite3_bind_null(st, i + 1);
        else sqlite3_bind_text(st, i + 1, v, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    int changes = sqlite3_changes(ip->db);
    const char *m = rc == SQLITE_DONE ? NULL : sqlite3_errmsg(ip->db);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        reject(ip, line, "%s", strstr(m, "cert_no") ? "执法证号已被其他人员使用"
                               : strstr(m, "uscc") ? "统一社会信用代码重复"
                               : "违反数据约束");
        sqlite3_reset(st);
        return;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        imp_fail(ip, -1, xprintf("insert: %s", m));
        return;
    }
    if (changes == 1) {
        ip->imported++;
    } else {
        sqlite3_bind_text(ip->find, 1, key, -1, SQLITE_STATIC);
        long long id = sqlite3_step(ip->find) == SQLITE_ROW ? sqlite3_column_int64(ip->find, 0) : -1;
        sqlite3_reset(ip->find);
        if (id < 0) {
            imp_fail(ip, -1, xprintf("row for a known key not found"));
            return;
        }
        const char *vals[DIR_MAX_FIELDS];
        for (int i = 0; i < ip->nfields; i++) vals[i] = ip->fieldcol[i] >= 0 ? ip->norm[i] : NULL;
        json_t *ch = NULL;
        char *err = NULL;
        int u = dir_update_row(ip->db, k, id, vals, ip->actor, "import", &ch, &err);
        json_decref(ch);
        if (u == -2) {
            reject(ip, line, "%s", err);
            free(err);
            return;
        }
        if (u < 0) {
            imp_fail(ip, -1, err);
            return;
        }
        if (u == 1) ip->updated++;
        else ip->unchanged++;
    }
    if (dup_check_add(ip, key, line, 1) < 0) imp_fail(ip, -1, xprintf("out of memory"));
}

/* ---- libcsv callbacks ------------------------------------------------------------------------------- */

static void cb_field(void *s, size_t len, void *data)
{
    struct imp *ip = data;
    if (ip->stop) return;
    if (ip->nrf >= MAX_COLS) {
        ip->nrf++;
        return;
    }
    if (ip->rlen + len + 1 > ip->rcap) {
        size_t cap = ip->rcap ? ip->rcap : 4096;
        while (ip->rlen + len + 1 > cap) cap *= 2;
        char *p = realloc(ip->rec, cap);
        if (!p) {
            imp_fail(ip, -1, xprintf("out of memory"));
            return;
        }
        ip->rec = p;
        ip->rcap = cap;
    }
    ip->foff[ip->nrf++] = ip->rlen;
    if (len) memcpy(ip->rec + ip->rlen, s, len);
    ip->rlen += len;
    ip->rec[ip->rlen++] = 0;
}

static void cb_record(int c, void *data)
{
    (void)c;
    struct imp *ip = data;
    if (!ip->stop) {
        if (!ip->header_done) process_header(ip);
        else process_row(ip);
    }
    ip->nrf = 0;
    ip->rlen = 0;
}

/* ---- encoding ----------------------------------------------------------------------------------------- */

/* Converts GB18030 to UTF-8 into a new buffer. Returns NULL if the bytes are not GB18030. */
static char *from_gb18030(const char *data, size_t len, size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return NULL;
    size_t cap = len * 2 + 16;
    char *out = malloc(cap);
    if (!out) {
        iconv_close(cd);
        return NULL;
    }
    char *in = (char *)data, *o = out;
    size_t inleft = len, oleft = cap;
    size_t rc = iconv(cd, &in, &inleft, &o, &oleft);
    if (rc != (size_t)-1) rc = iconv(cd, NULL, NULL, &o, &oleft);
    iconv_close(cd);
    if (rc == (size_t)-1 || inleft) {
        free(out);
        return NULL;
    }
    *outlen = cap - oleft;
    return out;
}

/* ---- the import ----------------------------------------------------------------------------------------- */

int csv_import(sqlite3 *db, lh_state *lua, const dir_kind *k, const char *data, size_t len,
               const char *actor, json_t **result, char **err)
{
    struct imp ip;
    memset(&ip, 0, sizeof ip);
    struct csv_parser p;
    int parser_ready = 0, in_txn = 0, rc = -1;
    char *converted = NULL;
    const char *encoding = "UTF-8";
    char cols[1024] = "", qs[256] = "", *sql = NULL;
    long long old_cache = 0;
    json_t *saved_indexes = NULL;
    size_t file_len = len;
    *result = NULL;

    phase(NULL);
    unsigned char sha[32];
    char sha_hex[65];
    crypto_hash_sha256(sha, (const unsigned char *)data, len);
    for (int i = 0; i < 32; i++) snprintf(sha_hex + 2 * i, 3, "%02x", sha[i]);

    ip.db = db;
    ip.k = k;
    ip.actor = actor;
    clock_today(ip.today);
    clock_now_rfc3339(ip.at);
    while (k->fields[ip.nfields].name) ip.nfields++;
    ip.keyfield = dir_field_index(k, k->key);
    ip.rejected = json_array();
    ip.norm = calloc((size_t)ip.nfields, DIR_VALUE_MAX);
    ip.ind = malloc(sizeof *ip.ind);
    if (!ip.norm || !ip.ind || !ip.rejected) {
        *err = xprintf("out of memory");
        goto done;
    }
    phase("sha256");
    if (industries_load(lua, ip.ind, err) != 0) goto done;

    /* encoding: UTF-8 (BOM optional), else GB18030 */
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
        encoding = "UTF-8 (BOM)";
    }
    if (!utf8_valid(data, len)) {
        size_t clen = 0;
        converted = from_gb18030(data, len, &clen);
        if (!converted) {
            *err = xprintf("文件编码无法识别：既不是有效的 UTF-8，也不是 GB18030");
            rc = 1;
            goto done;
        }
        data = converted;
        len = clen;
        encoding = "GB18030";
        if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
            data += 3;
            len -= 3;
        }
    }

    phase("encoding");
    /* statements */
    size_t cl = 0, ql = 0;
    for (int i = 0; i < ip.nfields; i++) {
        cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s, ", k->fields[i].name);
        ql += (size_t)snprintf(qs + ql, sizeof qs - ql, "?, ");
    }
    if (db_begin(db, err) != 0) goto done;
    in_txn = 1;
    old_cache = db_int(db, NULL, -2000, "PRAGMA cache_size", "");
    sqlite3_exec(db, "PRAGMA cache_size = -262144", NULL, NULL, NULL); /* 256 MiB while importing */
    /* Bulk load into an empty table: drop its indexes (except unique ones on other columns, which
     * must keep checking row by row) and build them again after the rows are in, in the same
     * transaction: one sort per index is much cheaper than a million index inserts. Their
     * definitions come from the schema itself. */
    free(sql);
    sql = xprintf("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1)", k->table);
    if (db_int(db, NULL, 1, sql, "") == 0 && len > (1u << 20)) {
        free(sql);
        /* every index except unique ones on other columns (cert_no stays checked row by row) */
        sql = xprintf("SELECT m.name, m.sql FROM sqlite_master m WHERE m.type = 'index' AND m.tbl_name = '%s' "
                      "AND m.sql IS NOT NULL AND (m.sql NOT LIKE 'CREATE UNIQUE%%' OR "
                      "(SELECT group_concat(name) FROM pragma_index_info(m.name)) = '%s')", k->table, k->key);
        saved_indexes = db_rows(db, err, sql, "");
        if (!saved_indexes) goto done;
        size_t i;
        json_t *ix;
        json_array_foreach(saved_indexes, i, ix) {
            char *drop = xprintf("DROP INDEX \"%s\"", json_string_value(json_object_get(ix, "name")));
            int drc = sqlite3_exec(db, drop, NULL, NULL, NULL);
            free(drop);
            if (drc != SQLITE_OK) {
                *err = xprintf("drop index: %s", sqlite3_errmsg(db));
                goto done;
            }
        }
    }
    free(sql);
    /* Without the key's index (bulk load into an empty table) the file's own key set finds duplicates. */
    if (saved_indexes)
        sql = xprintf("INSERT INTO %s(%screated_at, updated_at) VALUES (%s?%d, ?%d)", k->table, cols, qs,
                      ip.nfields + 1, ip.nfields + 1);
    else
        sql = xprintf("INSERT INTO %s(%screated_at, updated_at) VALUES (%s?%d, ?%d) ON CONFLICT(%s) DO NOTHING",
                      k->table, cols, qs, ip.nfields + 1, ip.nfields + 1, k->key);
    if (sqlite3_prepare_v2(db, sql, -1, &ip.ins, NULL) != SQLITE_OK) {
        *err = xprintf("prepare insert: %s", sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(ip.ins, ip.nfields + 1, ip.at, -1, SQLITE_STATIC);
    free(sql);
    sql = xprintf("SELECT id FROM %s WHERE %s = ?", k->table, k->key);
    if (sqlite3_prepare_v2(db, sql, -1, &ip.find, NULL) != SQLITE_OK) {
        *err = xprintf("prepare find: %s", sqlite3_errmsg(db));
        goto done;
    }

    phase("prepare");
    /* parse, one physical line at a time so that every record knows the line it starts on */
    if (csv_init(&p, 0) != 0) {
        *err = xprintf("out of memory");
        goto done;
    }
    parser_ready = 1;
    const char *pos = data, *end = data + len;
    ip.line = 0;
    while (pos < end && !ip.stop) {
        const char *nl = memchr(pos, '\n', (size_t)(end - pos));
        const char *next = nl ? nl + 1 : end;
        ip.line++;
        if (p.pstate == 0) ip.start = ip.line; /* ROW_NOT_BEGUN: a new record starts on this line */
        if (csv_parse(&p, pos, (size_t)(next - pos), cb_field, cb_record, &ip) != (size_t)(next - pos)) {
            imp_fail(&ip, 1, xprintf("第 %ld 行：CSV 格式错误（%s）", ip.line, csv_strerror(csv_error(&p))));
            break;
        }
        pos = next;
    }
    if (!ip.stop) csv_fini(&p, cb_field, cb_record, &ip);
    if (!ip.stop && !ip.header_done) imp_fail(&ip, 1, xprintf("文件为空或没有表头"));
    if (ip.stop) {
        rc = ip.stop > 0 ? 1 : -1;
        *err = ip.err;
        ip.err = NULL;
        goto done;
    }

    phase("rows");
    if (saved_indexes) {
        size_t i;
        json_t *ix;
        json_array_foreach(saved_indexes, i, ix) {
            if (sqlite3_exec(db, json_string_value(json_object_get(ix, "sql")), NULL, NULL, NULL) != SQLITE_OK) {
                *err = xprintf("create index: %s", sqlite3_errmsg(db));
                goto done;
            }
        }
    }
    phase("indexes");
    json_t *details = json_pack("{ss sI ss sI sI sI sI}", "file_sha256", sha_hex, "bytes", (json_int_t)file_len,
                                "encoding", encoding, "imported", (json_int_t)ip.imported, "updated",
                                (json_int_t)ip.updated, "unchanged", (json_int_t)ip.unchanged, "rejected",
                                (json_int_t)ip.nrejected);
    char action[64];
    snprintf(action, sizeof action, "%s.import", k->audit_name);
    int arc = audit_log(db, actor, action, k->table, details, err);
    json_decref(details);
    if (arc != 0) goto done;
    sqlite3_finalize(ip.ins);
    sqlite3_finalize(ip.find);
    ip.ins = ip.find = NULL;
    if (db_commit(db, err) != 0) {
        in_txn = 0;
        goto done;
    }
    in_txn = 0;
    phase("commit");
    *result = json_pack("{sI sI sI sO sI ss ss}", "imported", (json_int_t)ip.imported, "updated",
                        (json_int_t)ip.updated, "unchanged", (json_int_t)ip.unchanged, "rejected", ip.rejected,
                        "rejected_count", (json_int_t)ip.nrejected, "encoding", encoding, "file_sha256", sha_hex);
    rc = 0;
done:
    if (parser_ready) csv_free(&p);
    sqlite3_finalize(ip.ins);
    sqlite3_finalize(ip.find);
    if (in_txn) db_rollback(db);
    if (old_cache) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %lld", old_cache);
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
    }
    free(sql);
    free(converted);
    free(ip.err);
    free(ip.rec);
    free(ip.tab);
    free(ip.norm);
    free(ip.ind);
    json_decref(ip.rejected);
    json_decref(saved_indexes);
    return rc;
}

/* ---- CLI -------------------------------------------------------------------------------------------------- */

int csvimport_cli(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[0], "enterprises") && strcmp(argv[0], "inspectors"))) {
        fprintf(stderr, "usage: spotcheck import enterprises|inspectors FILE\n");
        return 2;
    }
    const dir_kind *k = !strcmp(argv[0], "enterprises") ? &enterprise_kind : &inspector_kind;
    char *err = NULL;
    int rc = 1, fd = -1;
    void *map = NULL;
    size_t len = 0;
    lh_state *h = NULL;
    json_t *result = NULL;
    sqlite3 *db = db_open(spot_config.db_path, 0, &err);
    if (!db) goto done;
    h = lh_new(&spot_config.lua, &err);
    if (!h) goto done;
    long long gen;
    if (rules_load_active(db, h, &gen, NULL, &err) != 0) goto done;
    fd = open(argv[1], O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        err = xprintf("%s: %s", argv[1], strerror(errno));
        goto done;
    }
    len = (size_t)sb.st_size;
    if (len == 0) {
        err = xprintf("%s: 文件为空", argv[1]);
        goto done;
    }
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        map = NULL;
        err = xprintf("%s: %s", argv[1], strerror(errno));
        goto done;
    }
    madvise(map, len, MADV_SEQUENTIAL);
    int r = csv_import(db, h, k, map, len, "cli", &result, &err);
    if (r != 0) goto done;
    printf("imported %lld, updated %lld, unchanged %lld, rejected %lld\n",
           (long long)json_integer_value(json_object_get(result, "imported")),
           (long long)json_integer_value(json_object_get(result, "updated")),
           (long long)json_integer_value(json_object_get(result, "unchanged")),
           (long long)json_integer_value(json_object_get(result, "rejected_count")));
    size_t i;
    json_t *rej;
    json_array_foreach(json_object_get(result, "rejected"), i, rej)
        printf("line %lld: %s\n", (long long)json_integer_value(json_object_get(rej, "line")),
               json_string_value(json_object_get(rej, "error")));
    rc = 0;
done:
    if (rc && err) fprintf(stderr, "spotcheck: import: %s\n", err);
    free(err);
    json_decref(result);
    if (map) munmap(map, len);
    if (fd >= 0) close(fd);
    lh_free(h);
    db_close(db);
    return rc;
}
