/* csvimport.c: the directory CSV import (one transaction and one audit record per file).
 *
 * A file runs through a two-stage pipeline, one stage per core:
 *   reader (a thread of its own): the UTF-8 check of the file, libcsv parsing one
 *     physical line at a time (so every record knows the line it starts on), and validation /
 *     normalisation of every field into a ring of row batches; rows that fail validation travel
 *     as rejections. A file that turns out not to be UTF-8 is rolled back and read again as
 *     GB18030 (csv_import).
 *   writer (the calling thread, which owns the connection): duplicate keys in the file, the
 *     prepared INSERT and, for known keys, the update path with its history row.
 * Whichever stage would wait on the other hashes the file (SHA-256, in order) meanwhile.
 * The writer takes batches strictly in file order and alone decides the outcome (counts,
 * rejections in line order, errors), so the result does not depend on timing. The hot path is
 * allocation-free per row: each batch owns an arena that is reused once warm. */
#include "csvimport.h"
#include "buf.h"
#include "audit.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "enterprises.h"
#include "ftsside.h"
#include "inspectors.h"
#include "orgs.h"
#include "rules.h"
#include "xlsx.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
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
#define BATCH_ROWS 256
#define NBATCH 8
#define HASH_STEP (1u << 18)
#define MULTI_ROWS 64                /* rows per INSERT in a bulk load (see flush_pending) */
#define NOT_UTF8 2                   /* the reader met bytes that are not UTF-8: read as GB18030 */

/* ---- the ring of row batches ------------------------------------------------------------------ */

enum { ROW_OK, ROW_REJECT };

struct row {
    long line;                       /* physical line where the record starts */
    int kind;                        /* ROW_OK: off/len are the normalised values; ROW_REJECT: off[0] the message */
    uint32_t hash;                   /* ROW_OK: key_hash of the key (the writer prefetches its slot) */
    uint32_t off[DIR_MAX_FIELDS];
    uint32_t len[DIR_MAX_FIELDS];
};

struct batch {
    int n;
    struct row rows[BATCH_ROWS];
    char *arena;
    size_t alen, acap;
};

struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch b[NBATCH];
    unsigned long head, tail;        /* batches published by the reader / released by the writer */
    int done;                        /* the reader has published its last batch */
    int abort;                       /* the writer has failed: the reader stops early */
    int hashing;                     /* a thread is hashing the next step of the file (hash_step) */
};

/* ---- state ---------------------------------------------------------------------------------------- */

struct dup_entry {
    char key[20];
    uint32_t hash;
    long line;
};

struct imp {
    const dir_kind *k;
    int nfields;
    int keyfield;
    /* header (written by the reader before its first batch, read by the writer after it) */
    int header_done;
    int ncols;
    int colfield[MAX_COLS];          /* CSV column -> field index */
    int fieldcol[DIR_MAX_FIELDS];    /* field -> CSV column, or -1 when absent */
    struct ring ring;

    /* reader */
    industry_set *ind;
    json_t *org_names;               /* k->org_field: the orgs' names, read before the reader starts */
    int orgfield;                    /* index of k->org_field, or -1 */
    char today[11];
    const char *data;                /* the text parsed (UTF-8, after the BOM) */
    size_t len;
    char *rec;                       /* the record being read: its fields, each terminated */
    size_t rlen, rcap;
    size_t foff[MAX_COLS];
    size_t flen[MAX_COLS];
    int nrf;
    long line;                       /* physical line being fed */
    long start;                      /* line where the current record started */
    size_t pos;                      /* bytes of data parsed */
    struct batch *cur;               /* the batch being filled, or NULL */
    int rstop;                       /* 1: file refused (rerr is the message), -1: error, NOT_UTF8 */
    int check_utf8;                  /* the text is taken for UTF-8: check each line before parsing it */
    const xlsx_sheet *sheet;         /* an .xlsx file: its first sheet's rows instead of data */
    char *rerr;

    /* writer */
    sqlite3 *db;
    const char *actor;
    sqlite3_stmt *ins, *find;
    int multi;                       /* bulk load without unique constraints: multi-row INSERTs */
    const char *at;
    char *multi_head;                /* "INSERT OR FAIL INTO t(columns) VALUES " */
    sqlite3_stmt *mst[MULTI_ROWS + 1];   /* by row count, prepared when first needed */
    const struct row *pend[MULTI_ROWS];  /* rows of the current batch waiting for their INSERT */
    int npend;
    struct dup_entry *tab;           /* keys seen in this file */
    size_t tcap, tcount;
    long long imported, updated, unchanged, nrejected;
    json_t *rejected;
    const unsigned char *hash_data;  /* the file as received, hashed in the threads' idle time */
    size_t hash_len;                 /* its length */
    size_t hashed;                   /* bytes hashed so far, in order (ring.mu) */
    crypto_hash_sha256_state sha;
    fts_side *side;                  /* bulk load: the search index built beside (ftsside.h), or NULL */
    int sidefield[8];                /* its columns' field indices */
    int wstop;                       /* -1: database error (werr) */
    char *werr;
};

/* SPOTCHECK_IMPORT_TIMING=1 prints the phases' wall-clock times and the process's CPU time (all
 * threads) to stderr (for scripts/bench; on a shared machine the CPU time is the steadier figure). */
static void phase(const char *name)
{
    static struct timespec last, last_cpu;
    static int on = -1;
    if (on < 0) on = getenv("SPOTCHECK_IMPORT_TIMING") != NULL;
    if (!on) return;
    struct timespec now, cpu;
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    if (name && last.tv_sec)
        fprintf(stderr, "import phase %-12s %.3f s (cpu %.3f s)\n", name,
                (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9,
                (double)(cpu.tv_sec - last_cpu.tv_sec) + (double)(cpu.tv_nsec - last_cpu.tv_nsec) / 1e9);
    last = now;
    last_cpu = cpu;
}

static void reader_fail(struct imp *ip, int kind, char *msg)
{
    if (ip->rstop) {
        free(msg);
        return;
    }
    ip->rstop = kind;
    ip->rerr = msg;
}

static void writer_fail(struct imp *ip, char *msg)
{
    if (ip->wstop) {
        free(msg);
        return;
    }
    ip->wstop = -1;
    ip->werr = msg;
}

/* ---- reader ------------------------------------------------------------------------------------- */

static uint32_t key_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (uint32_t)(h ^ (h >> 32));
}

/* Makes room for need more bytes in b's arena. Returns 0, or -1 on OOM. */
static int arena_reserve(struct batch *b, size_t need)
{
    if (b->alen + need <= b->acap) return 0;
    size_t cap = b->acap ? b->acap : 1 << 16;
    while (b->alen + need > cap) cap *= 2;
    char *p = realloc(b->arena, cap);
    if (!p) return -1;
    b->arena = p;
    b->acap = cap;
    return 0;
}

/* Called with ring.mu held by a thread that would otherwise wait (the reader on a full ring, the
 * writer on an empty one): hashes the next HASH_STEP bytes of the file, in order, unless the other
 * thread is doing so or all is hashed. Returns 1 when it hashed (ring.mu was released meanwhile:
 * the caller checks its condition again), else 0. The SHA-256 costs about as much as the UTF-8
 * check and parsing together, and which stage is the slower one depends on the file. */
static int hash_step(struct imp *ip)
{
    struct ring *r = &ip->ring;
    if (r->hashing || !ip->hash_data || ip->hashed >= ip->hash_len) return 0;
    size_t from = ip->hashed, n = ip->hash_len - from < HASH_STEP ? ip->hash_len - from : HASH_STEP;
    r->hashing = 1;
    pthread_mutex_unlock(&r->mu);
    crypto_hash_sha256_update(&ip->sha, ip->hash_data + from, n);
    pthread_mutex_lock(&r->mu);
    ip->hashed = from + n;
    r->hashing = 0;
    return 1;
}

/* Hands the current batch to the writer. Returns 0, or -1 when the writer has stopped. */
static int publish(struct imp *ip)
{
    struct ring *r = &ip->ring;
    pthread_mutex_lock(&r->mu);
    if (ip->cur) {
        r->head++;
        ip->cur = NULL;
        pthread_cond_broadcast(&r->cv);
    }
    int ab = r->abort;
    pthread_mutex_unlock(&r->mu);
    return ab ? -1 : 0;
}

/* The row slot to fill next (waiting for a free batch when the ring is full), or NULL when the
 * writer has stopped. */
static struct row *next_row(struct imp *ip)
{
    if (ip->cur && ip->cur->n == BATCH_ROWS && publish(ip) != 0) return NULL;
    if (!ip->cur) {
        struct ring *r = &ip->ring;
        pthread_mutex_lock(&r->mu);
        while (r->head - r->tail >= NBATCH && !r->abort)
            if (!hash_step(ip)) pthread_cond_wait(&r->cv, &r->mu);
        int ab = r->abort;
        pthread_mutex_unlock(&r->mu);
        if (ab) return NULL;
        ip->cur = &r->b[r->head % NBATCH];
        ip->cur->n = 0;
        ip->cur->alen = 0;
    }
    return &ip->cur->rows[ip->cur->n];
}

static void reject(struct imp *ip, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Queues a rejection of the record starting on line (the writer lists it in order). */
static void reject(struct imp *ip, long line, const char *fmt, ...)
{
    struct row *row = next_row(ip);
    if (!row) {
        reader_fail(ip, -1, xprintf("import stopped"));
        return;
    }
    struct batch *b = ip->cur;
    if (arena_reserve(b, 768) != 0) {
        reader_fail(ip, -1, xprintf("out of memory"));
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->arena + b->alen, 768, fmt, ap);
    va_end(ap);
    if (w < 0) w = 0;
    if (w > 767) w = 767;
    row->line = line;
    row->kind = ROW_REJECT;
    row->hash = 0;
    row->off[0] = (uint32_t)b->alen;
    row->len[0] = (uint32_t)w;
    b->alen += (size_t)w + 1;
    b->n++;
}

static const char *field_text(struct imp *ip, int col)
{
    return ip->rec + ip->foff[col];
}

static int process_header(struct imp *ip)
{
    if (ip->nrf > MAX_COLS) {
        reader_fail(ip, 1, xprintf("表头列数过多（%d 列）", ip->nrf));
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
            if (!*s) reader_fail(ip, 1, xprintf("表头第 %d 列为空", c + 1));
            else reader_fail(ip, 1, xprintf("表头第 %d 列“%.80s”不是%s名录库的列", c + 1, s, ip->k->what));
            return -1;
        }
        if (ip->fieldcol[found] >= 0) {
            reader_fail(ip, 1, xprintf("表头中“%s”出现了两次（第 %d 列和第 %d 列）", ip->k->fields[found].label,
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
        reader_fail(ip, 1, xprintf("缺少必需的列：%s", missing));
        return -1;
    }
    ip->header_done = 1;
    return 0;
}

/* Whether name is one of names (a JSON array of strings). */
static int org_known(json_t *names, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
        if (!strcmp(json_string_value(v), name)) return 1;
    return 0;
}

/* Validates the record just read into a row of the current batch (or a rejection). */
static void read_row(struct imp *ip)
{
    const dir_kind *k = ip->k;
    long line = ip->start;
    if (ip->nrf == 1 && !ip->flen[0] && ip->ncols > 1) return; /* a line of blanks */
    if (ip->nrf != ip->ncols) {
        reject(ip, line, "列数为 %d，与表头的 %d 列不符", ip->nrf, ip->ncols);
        return;
    }
    struct row *row = next_row(ip);
    if (!row) {
        reader_fail(ip, -1, xprintf("import stopped"));
        return;
    }
    struct batch *b = ip->cur;
    if (arena_reserve(b, (size_t)ip->nfields * DIR_VALUE_MAX) != 0) {
        reader_fail(ip, -1, xprintf("out of memory"));
        return;
    }
    size_t start = b->alen, pos = b->alen;
    char why[512];
    for (int i = 0; i < ip->nfields; i++) {
        const vfield *f = &k->fields[i];
        int c = ip->fieldcol[i];
        char *out = b->arena + pos;
        size_t n = 0;
        if (c < 0) {
            out[0] = 0;
        } else if (vf_normalize_n(f, field_text(ip, c), ip->flen[c], out, DIR_VALUE_MAX, &n, ip->ind, ip->today,
                                  why, sizeof why)) {
            b->alen = start;
            reject(ip, line, "%s：%s", f->label, why);
            return;
        }
        /* SPEC §10: a 所在单位 names an org */
        if (i == ip->orgfield && n && !org_known(ip->org_names, out)) {
            b->alen = start;
            reject(ip, line, "%s：“%.100s”不是已登记的机构（请先在机构管理中添加，或改为已有机构的名称）", f->label,
                   out);
            return;
        }
        row->off[i] = (uint32_t)pos;
        row->len[i] = (uint32_t)n;
        pos += n + 1;
    }
    row->line = line;
    row->kind = ROW_OK;
    row->hash = key_hash(b->arena + row->off[ip->keyfield], row->len[ip->keyfield]);
    b->alen = pos;
    b->n++;
}

static void cb_field(void *s, size_t len, void *data)
{
    struct imp *ip = data;
    if (ip->rstop) return;
    if (ip->nrf >= MAX_COLS) {
        ip->nrf++;
        return;
    }
    if (ip->rlen + len + 1 > ip->rcap) {
        size_t cap = ip->rcap ? ip->rcap : 4096;
        while (ip->rlen + len + 1 > cap) cap *= 2;
        char *p = realloc(ip->rec, cap);
        if (!p) {
            reader_fail(ip, -1, xprintf("out of memory"));
            return;
        }
        ip->rec = p;
        ip->rcap = cap;
    }
    if (len) len = strnlen(s, len);  /* a field ends at a NUL byte, as a C string does */
    ip->foff[ip->nrf] = ip->rlen;
    ip->flen[ip->nrf++] = len;
    if (len) memcpy(ip->rec + ip->rlen, s, len);
    ip->rlen += len;
    ip->rec[ip->rlen++] = 0;
}

static void cb_record(int c, void *data)
{
    (void)c;
    struct imp *ip = data;
    if (!ip->rstop) {
        if (!ip->header_done) process_header(ip);
        else read_row(ip);
    }
    ip->nrf = 0;
    ip->rlen = 0;
}

/* The reader for an .xlsx file: each row of the sheet is a record whose line is its spreadsheet row
 * number; a row shorter than the header is padded with empty cells (a spreadsheet does not store
 * trailing empty cells), so the same checks as for a CSV record apply. */
static void read_sheet(struct imp *ip)
{
    for (long i = 0; i < ip->sheet->nrows && !ip->rstop; i++) {
        const xlsx_row_in *row = &ip->sheet->rows[i];
        ip->start = ip->line = row->line;
        int n = ip->header_done && row->ncells < ip->ncols ? ip->ncols : row->ncells;
        for (int c = 0; c < n; c++) {
            char *v = c < row->ncells ? row->cells[c] : "";
            cb_field(v, strlen(v), ip);
        }
        cb_record(0, ip);
    }
    if (!ip->rstop && !ip->header_done) reader_fail(ip, 1, xprintf("工作表为空或没有表头"));
}

/* The reader thread: parses ip->data, one physical line at a time (or the sheet's rows). */
static void *reader_main(void *arg)
{
    struct imp *ip = arg;
    if (ip->sheet) {
        read_sheet(ip);
        goto out;
    }
    struct csv_parser p;
    if (csv_init(&p, 0) != 0) {
        reader_fail(ip, -1, xprintf("out of memory"));
        goto out;
    }
    const char *pos = ip->data, *end = ip->data + ip->len;
    ip->line = 0;
    while (pos < end && !ip->rstop) {
        const char *nl = memchr(pos, '\n', (size_t)(end - pos));
        const char *next = nl ? nl + 1 : end;
        ip->line++;
        /* '\n' never occurs inside a UTF-8 sequence: the file is UTF-8 if and only if each line is */
        if (ip->check_utf8 && !utf8_valid(pos, (size_t)(next - pos))) {
            reader_fail(ip, NOT_UTF8, NULL);
            break;
        }
        if (p.pstate == 0) ip->start = ip->line; /* ROW_NOT_BEGUN: a new record starts on this line */
        if (csv_parse(&p, pos, (size_t)(next - pos), cb_field, cb_record, ip) != (size_t)(next - pos)) {
            reader_fail(ip, 1, xprintf("第 %ld 行：CSV 格式错误（%s）", ip->line, csv_strerror(csv_error(&p))));
            break;
        }
        pos = next;
        ip->pos = (size_t)(pos - ip->data);
    }
    if (!ip->rstop) csv_fini(&p, cb_field, cb_record, ip);
    csv_free(&p);
    if (!ip->rstop && !ip->header_done) reader_fail(ip, 1, xprintf("文件为空或没有表头"));
out:
    if (ip->cur && ip->cur->n) publish(ip);
    pthread_mutex_lock(&ip->ring.mu);
    ip->ring.done = 1;
    pthread_cond_broadcast(&ip->ring.cv);
    pthread_mutex_unlock(&ip->ring.mu);
    return NULL;
}

/* ---- writer: duplicate keys ------------------------------------------------------------------------ */

/* Returns the line of an earlier occurrence of key, or 0 when it is new; *slot receives where to
 * add it (dup_add). -1 on OOM. */
static long dup_find(struct imp *ip, const char *key, uint32_t h, size_t *slot)
{
    if (ip->tcount * 2 >= ip->tcap) {
        size_t ncap = ip->tcap ? ip->tcap * 2 : 1 << 14;
        struct dup_entry *nt = calloc(ncap, sizeof *nt);
        if (!nt) return -1;
        for (size_t i = 0; i < ip->tcap; i++) {
            if (!ip->tab[i].key[0]) continue;
            size_t j = ip->tab[i].hash & (ncap - 1);
            while (nt[j].key[0]) j = (j + 1) & (ncap - 1);
            nt[j] = ip->tab[i];
        }
        free(ip->tab);
        ip->tab = nt;
        ip->tcap = ncap;
    }
    size_t j = h & (ip->tcap - 1);
    while (ip->tab[j].key[0]) {
        if (ip->tab[j].hash == h && !strcmp(ip->tab[j].key, key)) return ip->tab[j].line;
        j = (j + 1) & (ip->tcap - 1);
    }
    *slot = j;
    return 0;
}

static void dup_add(struct imp *ip, size_t slot, const char *key, uint32_t h, long line)
{
    snprintf(ip->tab[slot].key, sizeof ip->tab[slot].key, "%s", key);
    ip->tab[slot].hash = h;
    ip->tab[slot].line = line;
    ip->tcount++;
}

/* ---- writer: rows ----------------------------------------------------------------------------------- */

static void wreject(struct imp *ip, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void wreject(struct imp *ip, long line, const char *fmt, ...)
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

static long long parse_uint(const char *s, size_t n)
{
    long long v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Binds the values of row to st from parameter first on (defaults for empty values). */
static void bind_row(struct imp *ip, sqlite3_stmt *st, int first, const struct batch *b, const struct row *row)
{
    for (int i = 0; i < ip->nfields; i++) {
        const vfield *f = &ip->k->fields[i];
        const char *v = b->arena + row->off[i];
        size_t n = row->len[i];
        if (!n && f->dflt) {
            v = f->dflt;
            n = strlen(v);
        }
        if (f->type == VF_BOOL || f->type == VF_COUNT) sqlite3_bind_int64(st, first + i, parse_uint(v, n));
        else if (f->type == VF_DATE && !n) sqlite3_bind_null(st, first + i);
        else sqlite3_bind_text(st, first + i, v, (int)n, SQLITE_STATIC);
    }
}

/* Inserts the pending rows with one statement. The CHECK constraints' IN lists cost SQLite an
 * ephemeral table per statement run, so one run per row would spend a third of the import on them.
 * Only used where no row can fail on its own (a bulk load with no unique index left: the key's
 * duplicates are found in memory and every CHECK holds for validated values), hence OR FAIL: a
 * failure is a database error that rolls the whole file back, and SQLite needs no statement journal. */
static void flush_pending(struct imp *ip, const struct batch *b)
{
    int k = ip->npend;
    if (!k || ip->wstop) return;
    ip->npend = 0;
    sqlite3_stmt *st = ip->mst[k];
    if (!st) {
        int per = ip->nfields;
        size_t cap = strlen(ip->multi_head) + (size_t)k * ((size_t)per * 8 + 24) + 16, len;
        char *sql = malloc(cap);
        if (!sql) {
            writer_fail(ip, xprintf("out of memory"));
            return;
        }
        len = (size_t)snprintf(sql, cap, "%s", ip->multi_head);
        for (int r = 0; r < k; r++) {
            len += (size_t)snprintf(sql + len, cap - len, "%s(", r ? ", " : "");
            for (int i = 0; i < per; i++) len += (size_t)snprintf(sql + len, cap - len, "?%d, ", r * per + i + 1);
            len += (size_t)snprintf(sql + len, cap - len, "?%d, ?%d)", k * per + 1, k * per + 1);
        }
        int prc = sqlite3_prepare_v2(ip->db, sql, (int)len, &st, NULL);
        free(sql);
        if (prc != SQLITE_OK) {
            writer_fail(ip, xprintf("prepare insert: %s", sqlite3_errmsg(ip->db)));
            return;
        }
        ip->mst[k] = st;
        sqlite3_bind_text(st, k * per + 1, ip->at, -1, SQLITE_STATIC);
    }
    for (int r = 0; r < k; r++) bind_row(ip, st, r * ip->nfields + 1, b, ip->pend[r]);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) writer_fail(ip, xprintf("insert: %s", sqlite3_errmsg(ip->db)));
    else ip->imported += k;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE && ip->side) {   /* one statement's rows have consecutive rowids */
        long long last = sqlite3_last_insert_rowid(ip->db);
        int nc = fts_side_ncols(ip->side);
        for (int r = 0; r < k; r++) {
            const char *v[8];
            size_t n[8];
            for (int c = 0; c < nc; c++) {
                const vfield *f = &ip->k->fields[ip->sidefield[c]];
                v[c] = b->arena + ip->pend[r]->off[ip->sidefield[c]];
                n[c] = ip->pend[r]->len[ip->sidefield[c]];
                if (!n[c] && f->dflt) { v[c] = f->dflt; n[c] = strlen(v[c]); }
            }
            fts_side_add(ip->side, last - k + 1 + r, v, n);   /* out of memory: rebuilt in place */
        }
    }
}

static void write_row(struct imp *ip, const struct batch *b, const struct row *row)
{
    const dir_kind *k = ip->k;
    long line = row->line;
    if (row->kind == ROW_REJECT) {
        wreject(ip, line, "%s", b->arena + row->off[0]);
        return;
    }
    const char *key = b->arena + row->off[ip->keyfield];
    size_t keylen = row->len[ip->keyfield];
    uint32_t h = row->hash;
    size_t slot = 0;
    long first = dup_find(ip, key, h, &slot);
    if (first < 0) {
        writer_fail(ip, xprintf("out of memory"));
        return;
    }
    if (first > 0) {
        if (k->personal_key) wreject(ip, line, "%s与第 %ld 行重复", k->fields[ip->keyfield].label, first);
        else wreject(ip, line, "%s %s 与第 %ld 行重复", k->fields[ip->keyfield].label, key, first);
        return;
    }
    if (ip->multi) {
        /* the row cannot fail alone (flush_pending): its key counts as seen from now on */
        ip->pend[ip->npend++] = row;
        dup_add(ip, slot, key, h, line);
        if (ip->npend == MULTI_ROWS) flush_pending(ip, b);
        return;
    }
    /* insert, or find the row of a known key */
    sqlite3_stmt *st = ip->ins;
    bind_row(ip, st, 1, b, row);
    int rc = sqlite3_step(st);
    int changes = sqlite3_changes(ip->db);
    const char *m = rc == SQLITE_DONE ? NULL : sqlite3_errmsg(ip->db);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        wreject(ip, line, "%s", strstr(m, "cert_no") ? "执法证号已被其他人员使用"
                                : strstr(m, "uscc") ? "统一社会信用代码重复"
                                : "违反数据约束");
        sqlite3_reset(st);
        return;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        writer_fail(ip, xprintf("insert: %s", m));
        return;
    }
    if (changes == 1) {
        ip->imported++;
    } else {
        sqlite3_bind_text(ip->find, 1, key, (int)keylen, SQLITE_STATIC);
        long long id = sqlite3_step(ip->find) == SQLITE_ROW ? sqlite3_column_int64(ip->find, 0) : -1;
        sqlite3_reset(ip->find);
        if (id < 0) {
            writer_fail(ip, xprintf("row for a known key not found"));
            return;
        }
        const char *vals[DIR_MAX_FIELDS];
        for (int i = 0; i < ip->nfields; i++) vals[i] = ip->fieldcol[i] >= 0 ? b->arena + row->off[i] : NULL;
        json_t *ch = NULL;
        char *err = NULL;
        int u = dir_update_row(ip->db, k, id, vals, ip->actor, "import", &ch, &err);
        json_decref(ch);
        if (u == -2) {
            wreject(ip, line, "%s", err);
            free(err);
            return;
        }
        if (u < 0) {
            writer_fail(ip, err);
            return;
        }
        if (u == 1) ip->updated++;
        else ip->unchanged++;
    }
    dup_add(ip, slot, key, h, line);
}

/* The writer loop: takes the batches in order until the reader is done or a row fails. */
static void write_all(struct imp *ip)
{
    struct ring *r = &ip->ring;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->tail == r->head && !r->done)
            if (!hash_step(ip)) pthread_cond_wait(&r->cv, &r->mu);
        int have = r->tail != r->head;
        pthread_mutex_unlock(&r->mu);
        if (!have) return;
        struct batch *b = &r->b[r->tail % NBATCH];
        for (int i = 0; i < b->n && !ip->wstop; i++) {
            if (i + 2 < b->n && ip->tcap) __builtin_prefetch(&ip->tab[b->rows[i + 2].hash & (ip->tcap - 1)]);
            write_row(ip, b, &b->rows[i]);
        }
        flush_pending(ip, b);  /* before the batch (whose arena the statements point into) goes back */
        pthread_mutex_lock(&r->mu);
        r->tail++;
        if (ip->wstop) r->abort = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (ip->wstop) return;
    }
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

/* One attempt at importing the file: as UTF-8 (checked line by line by the reader as it parses;
 * NOT_UTF8 after rolling everything back when a line is not) or, with gb18030, converted first.
 * Returns as csv_import does, or NOT_UTF8. */
static int import_text(sqlite3 *db, lh_state *lua, const dir_kind *k, const char *data, size_t len, int gb18030,
                       const xlsx_sheet *sheet, const char *actor, json_t **result, char **err)
{
    struct imp ip;
    memset(&ip, 0, sizeof ip);
    int in_txn = 0, rc = -1, ring_ready = 0, reader_started = 0;
    pthread_t reader;
    char *converted = NULL;
    const char *encoding = "UTF-8";
    char cols[1024] = "", qs[256] = "", *sql = NULL;
    long long old_cache = 0, old_sync = -1;
    json_t *saved_indexes = NULL;
    char *fts_trigger = NULL; /* SQL of the trigram index's insert trigger, dropped for a bulk load */
    size_t file_len = len;
    const char *file = data;
    char at[32];
    *result = NULL;

    phase(NULL);
    ip.db = db;
    ip.k = k;
    ip.actor = actor;
    ip.at = at;
    clock_today(ip.today);
    clock_now_rfc3339(at);
    while (k->fields[ip.nfields].name) ip.nfields++;
    ip.keyfield = dir_field_index(k, k->key);
    ip.rejected = json_array();
    ip.ind = malloc(sizeof *ip.ind);
    if (!ip.ind || !ip.rejected || pthread_mutex_init(&ip.ring.mu, NULL) != 0) {
        *err = xprintf("out of memory");
        goto done;
    }
    if (pthread_cond_init(&ip.ring.cv, NULL) != 0) {
        pthread_mutex_destroy(&ip.ring.mu);
        *err = xprintf("out of memory");
        goto done;
    }
    ring_ready = 1;
    crypto_hash_sha256_init(&ip.sha);
    /* The rule's industry list, categories and every alias it knows, asked here on the thread that
     * owns lua; the reader validates against this copy and never calls into lua (one thread per
     * lua_State). */
    if (industries_load(lua, ip.ind, err) != 0 || industry_set_detach(ip.ind, err) != 0) goto done;
    ip.orgfield = k->org_field ? dir_field_index(k, k->org_field) : -1;
    if (ip.orgfield >= 0 && !(ip.org_names = orgs_names(db, err))) goto done;

    /* encoding: an .xlsx sheet (read already), UTF-8 (BOM optional), else GB18030 */
    if (sheet) {
        ip.sheet = sheet;
        encoding = "xlsx";
        crypto_hash_sha256_update(&ip.sha, (const unsigned char *)file, file_len);
    } else if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
        encoding = "UTF-8 (BOM)";
    }
    if (sheet) {
        /* rows come from the sheet */
    } else if (gb18030) {
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
        /* the SHA-256 is of the file as received: hash it here, the reader parses the conversion */
        crypto_hash_sha256_update(&ip.sha, (const unsigned char *)file, file_len);
    } else {
        ip.check_utf8 = 1;
        ip.hash_data = (const unsigned char *)file;  /* hashed by the threads as they go */
        ip.hash_len = file_len;
    }
    ip.data = data;
    ip.len = len;
    phase("encoding");

    /* statements */
    size_t cl = 0, ql = 0;
    for (int i = 0; i < ip.nfields; i++) {
        cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s, ", k->fields[i].name);
        ql += (size_t)snprintf(qs + ql, sizeof qs - ql, "?, ");
    }
    /* The file's transaction is durable when the import returns: its commit syncs the WAL (the
     * connection's setting is restored below; it cannot change inside a transaction). */
    old_sync = db_int(db, NULL, -1, "PRAGMA synchronous", "");
    if (old_sync >= 0 && old_sync < 2) sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    if (db_begin(db, err) != 0) goto done;
    in_txn = 1;
    old_cache = db_int(db, NULL, -2000, "PRAGMA cache_size", "");
    {
        /* While importing: 256 MiB, up to 1 GiB for big files, so that the table being loaded stays
         * in the cache for the index builds after it (about 4 bytes of database per byte of CSV
         * once indexed; pages that spill are read back from the WAL, a dozen times). */
        long long kib = (long long)(file_len / 1024) * 4;
        if (kib < 262144) kib = 262144;
        if (kib > 1048576) kib = 1048576;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%lld", kib);
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
    }
    /* Bulk load into an empty table: drop its indexes (except unique ones on other columns, which
     * must keep checking row by row) and build them again after the rows are in, in the same
     * transaction: one sort per index is much cheaper than a million index inserts. Their
     * definitions come from the schema itself. */
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
        /* Likewise the trigram index (0016_fts.sql): no pending row per insert, one rebuild after. */
        char tname[64];
        snprintf(tname, sizeof tname, "%s_fts_ai", k->table);
        fts_trigger = db_text(db, NULL, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", "s", tname);
        if (fts_trigger) {
            char *drop = xprintf("DROP TRIGGER \"%s\"", tname);
            int drc = sqlite3_exec(db, drop, NULL, NULL, NULL);
            free(drop);
            if (drc != SQLITE_OK) {
                *err = xprintf("drop trigger: %s", sqlite3_errmsg(db));
                goto done;
            }
        }
    }
    free(sql);
    sql = NULL;
    if (saved_indexes) {
        /* no unique index left (the enterprises): no row can fail alone, rows go in 64 at a time */
        sql = xprintf("SELECT count(*) FROM pragma_index_list('%s') WHERE \"unique\"", k->table);
        ip.multi = db_int(db, NULL, 1, sql, "") == 0;
        free(sql);
        if (ip.multi) ip.multi_head = xprintf("INSERT OR FAIL INTO %s(%screated_at, updated_at) VALUES ", k->table, cols);
        /* the search index is built on another thread while this one builds the B-tree indexes,
         * from the text of the rows as inserted (needs their rowids: multi-row inserts only) */
        if (ip.multi && fts_trigger && !(ip.side = fts_side_open(db, k->table, err)) && *err) goto done;
        for (int c = 0; ip.side && c < fts_side_ncols(ip.side); c++) {
            int fi = dir_field_index(k, fts_side_col(ip.side, c));
            int ty = fi >= 0 ? k->fields[fi].type : -1;
            if (fi < 0 || c >= 8 || ty == VF_BOOL || ty == VF_COUNT || ty == VF_DATE) {
                fts_side_free(ip.side);
                ip.side = NULL;
                break;
            }
            ip.sidefield[c] = fi;
        }
    }
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
    sqlite3_bind_text(ip.ins, ip.nfields + 1, at, -1, SQLITE_STATIC);
    free(sql);
    sql = xprintf("SELECT id FROM %s WHERE %s = ?", k->table, k->key);
    if (sqlite3_prepare_v2(db, sql, -1, &ip.find, NULL) != SQLITE_OK) {
        *err = xprintf("prepare find: %s", sqlite3_errmsg(db));
        goto done;
    }

    phase("prepare");
    /* the pipeline: the reader parses and validates on its own thread, this thread writes */
    if (pthread_create(&reader, NULL, reader_main, &ip) != 0) {
        *err = xprintf("cannot start the import reader thread");
        goto done;
    }
    reader_started = 1;
    write_all(&ip);
    if (ip.wstop) {
        pthread_mutex_lock(&ip.ring.mu);
        ip.ring.abort = 1;
        pthread_cond_broadcast(&ip.ring.cv);
        pthread_mutex_unlock(&ip.ring.mu);
    }
    pthread_join(reader, NULL);
    reader_started = 0;
    /* The first failure in file order wins: the writer's (on a row before the reader's stop) */
    if (ip.wstop) {
        *err = ip.werr;
        ip.werr = NULL;
        goto done;
    }
    /* A file refused on some line is only known to be UTF-8 up to that line: the encoding decides
     * first, as if the whole file had been checked before parsing. */
    if (ip.rstop == 1 && ip.check_utf8 && !utf8_valid(data, len)) ip.rstop = NOT_UTF8;
    if (ip.rstop == NOT_UTF8) {
        rc = NOT_UTF8;
        goto done;
    }
    if (ip.rstop) {
        rc = ip.rstop > 0 ? 1 : -1;
        *err = ip.rerr;
        ip.rerr = NULL;
        goto done;
    }
    unsigned char sha[32];
    char sha_hex[65];
    if (ip.hash_data && ip.hashed < ip.hash_len)
        crypto_hash_sha256_update(&ip.sha, ip.hash_data + ip.hashed, ip.hash_len - ip.hashed);
    crypto_hash_sha256_final(&ip.sha, sha);
    for (int i = 0; i < 32; i++) snprintf(sha_hex + 2 * i, 3, "%02x", sha[i]);

    phase("rows");
    if (ip.side && fts_side_start(ip.side, err) != 0) {   /* not started: rebuilt in place */
        free(*err);
        *err = NULL;
        fts_side_free(ip.side);
        ip.side = NULL;
    }
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
    int side_rc = fts_trigger && ip.side ? fts_side_finish(ip.side, db, err) : 1;
    if (side_rc == 1 && *err) {   /* the side build failed, nothing changed: rebuilt in place below */
        fprintf(stderr, "spotcheck: import: %s; rebuilding the search index in place\n", *err);
        free(*err);
        *err = NULL;
    }
    if (side_rc == 0) {
        char *pend = xprintf("DELETE FROM %s_fts_pending", k->table);
        int frc = sqlite3_exec(db, fts_trigger, NULL, NULL, NULL) == SQLITE_OK && sqlite3_exec(db, pend, NULL, NULL, NULL) == SQLITE_OK;
        free(pend);
        if (!frc) {
            *err = xprintf("search index: %s", sqlite3_errmsg(db));
            goto done;
        }
    } else if (side_rc < 0) {
        goto done;
    } else if (fts_trigger) {
        /* The rebuild keeps up to 16 MiB of index in memory before writing a segment (FTS5's
         * hashsize, 1 MiB by default, restored after): fewer, larger segments to merge, about 15 %
         * faster at 1,000,000 rows (issue 19). */
        char *rebuild = xprintf("INSERT INTO %s_fts(%s_fts, rank) VALUES ('hashsize', 16777216); "
                                "INSERT INTO %s_fts(%s_fts) VALUES ('rebuild'); DELETE FROM %s_fts_pending; "
                                "INSERT INTO %s_fts(%s_fts, rank) VALUES ('hashsize', 1048576);",
                                k->table, k->table, k->table, k->table, k->table, k->table, k->table);
        int frc = sqlite3_exec(db, fts_trigger, NULL, NULL, NULL) == SQLITE_OK &&
                  sqlite3_exec(db, rebuild, NULL, NULL, NULL) == SQLITE_OK;
        free(rebuild);
        if (!frc) {
            *err = xprintf("search index: %s", sqlite3_errmsg(db));
            goto done;
        }
    } else if (dir_fts_flush(db, k, err) != 0) {
        goto done;
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
    for (int i = 0; i <= MULTI_ROWS; i++) {
        sqlite3_finalize(ip.mst[i]);
        ip.mst[i] = NULL;
    }
    /* A bulk load writes the whole table and its indexes into the WAL at commit; that commit is
     * synced (synchronous = FULL, set before BEGIN) and not checkpointed here: copying its pages
     * into the database file (about as long again) is left to the next automatic checkpoint, at the
     * next commit of any connection, as for any commit while another connection has the database
     * open. */
    long long old_ckpt = 0;
    if (saved_indexes) {
        old_ckpt = db_int(db, NULL, 1000, "PRAGMA wal_autocheckpoint", "");
        sqlite3_wal_autocheckpoint(db, 0);
    }
    int crc = db_commit(db, err);
    in_txn = 0;
    if (saved_indexes) sqlite3_wal_autocheckpoint(db, (int)old_ckpt);
    if (crc != 0) goto done;
    phase("commit");
    *result = json_pack("{sI sI sI sO sI ss ss}", "imported", (json_int_t)ip.imported, "updated",
                        (json_int_t)ip.updated, "unchanged", (json_int_t)ip.unchanged, "rejected", ip.rejected,
                        "rejected_count", (json_int_t)ip.nrejected, "encoding", encoding, "file_sha256", sha_hex);
    rc = 0;
done:
    if (reader_started) pthread_join(reader, NULL);
    fts_side_free(ip.side);
    sqlite3_finalize(ip.ins);
    sqlite3_finalize(ip.find);
    for (int i = 0; i <= MULTI_ROWS; i++) sqlite3_finalize(ip.mst[i]);
    free(ip.multi_head);
    if (in_txn) db_rollback(db);
    if (old_sync >= 0 && old_sync < 2) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA synchronous = %lld", old_sync);
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
    }
    if (old_cache) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %lld", old_cache);
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
    }
    if (ring_ready) {
        pthread_cond_destroy(&ip.ring.cv);
        pthread_mutex_destroy(&ip.ring.mu);
    }
    for (int i = 0; i < NBATCH; i++) free(ip.ring.b[i].arena);
    free(sql);
    free(converted);
    free(ip.rerr);
    free(ip.werr);
    free(ip.rec);
    free(ip.tab);
    free(ip.ind);
    json_decref(ip.org_names);
    json_decref(ip.rejected);
    json_decref(saved_indexes);
    free(fts_trigger);
    return rc;
}

int csv_import(sqlite3 *db, lh_state *lua, const dir_kind *k, const char *data, size_t len,
               const char *actor, json_t **result, char **err)
{
    if (xlsx_sniff(data, len)) {
        /* An .xlsx workbook: read its first sheet (at most 8 times the request body cap of XML
         * inflated), then the same per-row checks and writes as a CSV file. */
        xlsx_sheet *sheet = xlsx_read(data, len, 8 * spot_config.body_max, err);
        if (!sheet) return 1;
        int rc = import_text(db, lua, k, data, len, 0, sheet, actor, result, err);
        xlsx_sheet_free(sheet);
        return rc;
    }
    int rc = import_text(db, lua, k, data, len, 0, NULL, actor, result, err);
    if (rc == NOT_UTF8) rc = import_text(db, lua, k, data, len, 1, NULL, actor, result, err);
    return rc;
}

json_t *directory_import(spot_ctx *c, const dir_kind *k, const char *data, size_t len, spot_err *e)
{
    json_t *result = NULL;
    char *err = NULL;
    int rc = csv_import(c->db, c->w->lua, k, data, len, ctx_actor(c), &result, &err);
    if (rc == 1) spot_fail(e, SPOT_E_INVALID, "invalid_file", "%s", err ? err : "文件无法导入");
    else if (rc < 0) spot_fail_db(e, k->table, err), err = NULL;
    free(err);
    return rc == 0 ? result : (json_decref(result), NULL);
}

/* ---- template and rejected rows ------------------------------------------------------------------ */

/* A growing CSV text (UTF-8 with BOM) or an .xlsx workbook, written one row at a time. */
struct table_out {
    int xlsx;                        /* write an .xlsx workbook (else CSV) */
    xlsx_writer *x;
    spot_buf csv;
    int ncols;
};

/* Appends one row (n cells) as CSV through buf.h's field writer (quoting, formula guard). */
static int to_csv_row(struct table_out *t, const char *const *cells, int n)
{
    for (int i = 0; i < n; i++)
        if (spot_buf_csv_field(&t->csv, cells[i] ? cells[i] : "", i == 0)) return -1;
    return spot_buf_put(&t->csv, "\r\n", 2);
}

/* Starts the output with its header row. Returns 0, or -1 with *err. */
static int to_begin(struct table_out *t, const char *sheet, const char *const *labels, int n, char **err)
{
    t->ncols = n;
    if (t->xlsx) {
        int types[XLSX_MAX_COLS] = {0};   /* all text: what the uploader typed comes back as typed */
        if (!(t->x = xlsx_new(sheet, err))) return -1;
        return xlsx_header(t->x, n, labels, types, err);
    }
    if (spot_buf_put(&t->csv, "\xEF\xBB\xBF", 3) || to_csv_row(t, labels, n)) {
        *err = xprintf("out of memory");
        return -1;
    }
    return 0;
}

static int to_row(struct table_out *t, const char *const *cells, char **err)
{
    if (t->x) return xlsx_row(t->x, cells, err);
    if (to_csv_row(t, cells, t->ncols)) {
        *err = xprintf("out of memory");
        return -1;
    }
    return 0;
}

/* The finished file (new buffer, caller frees; *len), or NULL with *err. Frees t's parts. */
static char *to_finish(struct table_out *t, size_t *len, char **err)
{
    if (t->x) {
        xlsx_writer *x = t->x;
        t->x = NULL;
        return xlsx_finish(x, len, err);
    }
    char *p = t->csv.p;
    *len = t->csv.len;
    t->csv = (spot_buf){0};
    return p;
}

static void to_free(struct table_out *t)
{
    xlsx_discard(t->x);
    free(t->csv.p);
}

char *import_template(spot_ctx *c, const dir_kind *k, int xlsx, size_t *len, spot_err *e)
{
    const char *labels[DIR_MAX_FIELDS], *cells[DIR_MAX_FIELDS];
    char *err = NULL, *out = NULL, *industry = NULL, *bureau = NULL;
    struct table_out t = {.xlsx = xlsx};
    industry_set *ind = malloc(sizeof *ind);
    int n = 0;
    if (!ind || industries_load(c->w->lua, ind, &err) != 0) {
        spot_fail(e, SPOT_E_DB, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "内存不足");
        goto done;
    }
    if (ind->n > 0) industry = xprintf("%s", ind->name[0]);
    /* the org field's example is this database's bureau, so the template imports as it is */
    if (k->org_field && !(bureau = db_text(c->db, &err, "SELECT name FROM orgs WHERE kind = 'bureau'", "")) && err) {
        spot_fail_db(e, "orgs", err);
        err = NULL;
        goto done;
    }
    for (; k->fields[n].name; n++) {
        const vfield *f = &k->fields[n];
        labels[n] = f->label;
        /* industries (and expertise, which names industries) come from the rule, not from C */
        cells[n] = f->type == VF_INDUSTRY || f->type == VF_TAGS ? (industry ? industry : "")
                   : k->org_field && bureau && !strcmp(f->name, k->org_field) ? bureau
                   : k->example ? k->example[n] : "";
    }
    if (to_begin(&t, k->what, labels, n, &err) || to_row(&t, cells, &err) ||
        !(out = to_finish(&t, len, &err))) {
        spot_fail_db(e, k->table, err);
        err = NULL;
    }
done:
    to_free(&t);
    free(ind);
    free(industry);
    free(bureau);
    free(err);
    return out;
}

/* A record of the uploaded file with the line it starts on (picked rows). */
struct pick {
    const long *lines;
    int nlines;
    struct table_out *t;
    int header_done;
    long line, start;
    char *cells[MAX_COLS];
    int nf;
    int failed;
    char **err;
};

static void pick_field(void *s, size_t len, void *data)
{
    struct pick *pk = data;
    if (pk->failed) return;
    if (pk->nf >= MAX_COLS) {
        pk->nf++;
        return;
    }
    char *v = strndup(s ? s : "", len);
    if (!v) {
        pk->failed = 1;
        return;
    }
    pk->cells[pk->nf++] = v;
}

static int picked(const struct pick *pk, long line)
{
    for (int i = 0; i < pk->nlines; i++)
        if (pk->lines[i] == line) return 1;
    return 0;
}

/* The record just read: the header starts the output; a record on a listed line is copied. */
static void pick_record(int c, void *data)
{
    (void)c;
    struct pick *pk = data;
    int n = pk->nf > MAX_COLS ? MAX_COLS : pk->nf;
    if (!pk->failed) {
        if (!pk->header_done) {
            pk->header_done = 1;
            if (to_begin(pk->t, "被拒绝的行", (const char *const *)pk->cells, n, pk->err))
                pk->failed = 1;
        } else if (picked(pk, pk->start)) {
            const char *row[MAX_COLS];
            for (int i = 0; i < pk->t->ncols; i++) row[i] = i < n ? pk->cells[i] : "";
            if (to_row(pk->t, row, pk->err)) pk->failed = 1;
        }
    }
    for (int i = 0; i < n; i++) free(pk->cells[i]);
    pk->nf = 0;
}

char *import_rejected(const dir_kind *k, const char *data, size_t len, const long *lines, int nlines, int xlsx,
                      size_t *outlen, spot_err *e)
{
    char *err = NULL, *out = NULL, *converted = NULL;
    struct table_out t = {.xlsx = xlsx};
    struct pick pk = {.lines = lines, .nlines = nlines, .t = &t, .err = &err};
    xlsx_sheet *sheet = NULL;
    struct csv_parser p;
    int parser = 0;
    if (xlsx_sniff(data, len)) {
        if (!(sheet = xlsx_read(data, len, 8 * spot_config.body_max, &err))) {
            spot_fail(e, SPOT_E_INVALID, "invalid_file", "%s", err);
            goto done;
        }
        for (long i = 0; i < sheet->nrows && !pk.failed; i++) {
            pk.start = sheet->rows[i].line;
            for (int c = 0; c < sheet->rows[i].ncells; c++)
                pick_field(sheet->rows[i].cells[c], strlen(sheet->rows[i].cells[c]), &pk);
            pick_record(0, &pk);
        }
    } else {
        if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) data += 3, len -= 3;
        if (!utf8_valid(data, len)) {
            size_t clen = 0;
            if (!(converted = from_gb18030(data, len, &clen))) {
                spot_fail(e, SPOT_E_INVALID, "invalid_file", "文件编码无法识别：既不是有效的 UTF-8，也不是 GB18030");
                goto done;
            }
            data = converted, len = clen;
        }
        if (csv_init(&p, 0) != 0) goto oom;
        parser = 1;
        const char *pos = data, *end = data + len;
        while (pos < end && !pk.failed) {
            const char *nl = memchr(pos, '\n', (size_t)(end - pos));
            const char *next = nl ? nl + 1 : end;
            pk.line++;
            if (p.pstate == 0) pk.start = pk.line;
            if (csv_parse(&p, pos, (size_t)(next - pos), pick_field, pick_record, &pk) != (size_t)(next - pos)) {
                spot_fail(e, SPOT_E_INVALID, "invalid_file", "第 %ld 行：CSV 格式错误（%s）", pk.line,
                          csv_strerror(csv_error(&p)));
                goto done;
            }
            pos = next;
        }
        csv_fini(&p, pick_field, pick_record, &pk);
    }
    if (pk.failed) {
        if (err) spot_fail_db(e, k->table, err), err = NULL;
        else goto oom;
        goto done;
    }
    if (!pk.header_done) {
        spot_fail(e, SPOT_E_INVALID, "invalid_file", "文件为空或没有表头");
        goto done;
    }
    if (!(out = to_finish(&t, outlen, &err))) spot_fail_db(e, k->table, err), err = NULL;
    goto done;
oom:
    spot_fail(e, SPOT_E_DB, "internal", "内存不足");
done:
    for (int i = 0; i < pk.nf && i < MAX_COLS; i++) free(pk.cells[i]);
    if (parser) csv_free(&p);
    to_free(&t);
    xlsx_sheet_free(sheet);
    free(converted);
    free(err);
    return out;
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
    /* No checkpoint on close either (csv_import): the next writer's automatic checkpoint does it. */
    if (db) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    db_close(db);
    phase("close");
    return rc;
}
