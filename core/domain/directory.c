/* directory.c: the directory engine (create, update with history, list, export, history) shared
 * by the enterprise and inspector directories. */
#include "directory.h"
#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "worker.h"
#include "xlsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const dir_list_params[] = {"sort", "order", "q", NULL};

/* ---- helpers ---------------------------------------------------------------------------------- */

int dir_field_index(const dir_kind *k, const char *name)
{
    for (int i = 0; k->fields[i].name; i++)
        if (!strcmp(k->fields[i].name, name)) return i;
    return -1;
}

/* The effective stored text of a value: empty optional values take the field default. */
static const char *effective(const vfield *f, const char *val)
{
    if (val && !*val && f->dflt) return f->dflt;
    return val ? val : "";
}

int dir_bind_value(sqlite3_stmt *st, int pos, const vfield *f, const char *val, int is_new)
{
    (void)is_new;
    const char *v = effective(f, val);
    if (f->type == VF_BOOL || f->type == VF_COUNT) return sqlite3_bind_int64(st, pos, atoll(v));
    if (f->type == VF_DATE && !*v) return sqlite3_bind_null(st, pos);
    return sqlite3_bind_text(st, pos, v, -1, SQLITE_TRANSIENT);
}

/* JSON form of a stored text value of f (masking personal data unless reveal). New reference. */
static json_t *stored_json(const vfield *f, const char *text, int reveal)
{
    if (!text) return json_null();
    switch (f->type) {
    case VF_BOOL: return json_boolean(atoll(text) != 0);
    case VF_COUNT: return json_integer(atoll(text));
    case VF_TAGS: {
        json_t *a = json_loads(text, 0, NULL);
        return json_is_array(a) ? a : (json_decref(a), json_array());
    }
    case VF_IDNO:
        if (!reveal) {
            char m[19];
            idno_mask(text, m);
            return json_string(m);
        }
        return json_string(text);
    case VF_PHONE:
        if (!reveal) {
            char m[V_PHONE_MASKED];
            phone_mask(text, m);
            return json_string(m);
        }
        return json_string(text);
    case VF_DATE: return *text ? json_string(text) : json_null();
    default: return json_string(text);
    }
}

/* Whether f holds personal data (masked for every role but admin). */
static int personal(const vfield *f)
{
    return f->type == VF_IDNO || f->type == VF_PHONE;
}

/* Text form of a value of a row object (as db_row returns it). Writes into buf. */
static const char *row_text(json_t *row, const char *col, char *buf, size_t cap)
{
    json_t *v = json_object_get(row, col);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_string(v)) return json_string_value(v);
    return "";
}

/* Converts a row object from db_rows into its API form in place. */
static void row_api(const dir_kind *k, json_t *row, int reveal, const industry_set *ind)
{
    char buf[32];
    for (const vfield *f = k->fields; f->name; f++) {
        if (f->type != VF_BOOL && f->type != VF_TAGS && f->type != VF_DATE && !personal(f)) continue;
        json_t *v = json_object_get(row, f->name);
        if (!v) continue;
        const char *t = json_is_null(v) ? NULL : row_text(row, f->name, buf, sizeof buf);
        json_object_set_new(row, f->name, stored_json(f, t, reveal));
    }
    if (k->with_category && ind) {
        const char *c = industry_category(ind, json_string_value(json_object_get(row, "industry")));
        json_object_set_new(row, "category", c ? json_string(c) : json_null());
    }
}

/* Rows of a prepared statement as a new JSON array of objects. NULL on error. */
static json_t *stmt_rows(sqlite3_stmt *st)
{
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        int n = sqlite3_column_count(st);
        for (int c = 0; c < n; c++) {
            json_t *v;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, c)); break;
            case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, c)); break;
            case SQLITE_TEXT:
                v = json_stringn((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c));
                break;
            default: v = json_null(); break;
            }
            json_object_set_new(o, sqlite3_column_name(st, c), v);
        }
        json_array_append_new(arr, o);
    }
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* ---- filters ------------------------------------------------------------------------------------ */

#define QB_MAX_PARAMS 96

struct qb {
    char where[8192];
    size_t len;
    char *params[QB_MAX_PARAMS];
    int np;
};

static void qb_free(struct qb *q)
{
    for (int i = 0; i < q->np; i++) free(q->params[i]);
    q->np = 0;
}

static int qb_add(struct qb *q, const char *fmt, const char *a, const char *b)
{
    int w = snprintf(q->where + q->len, sizeof q->where - q->len, fmt, a ? a : "", b ? b : "");
    if (w < 0 || (size_t)w >= sizeof q->where - q->len) return -1;
    q->len += (size_t)w;
    return 0;
}

static int qb_param(struct qb *q, const char *v)
{
    if (q->np >= QB_MAX_PARAMS) return -1;
    q->params[q->np++] = strdup(v);
    return 0;
}

/* The list's risk order (red first). Filters and sort=risk_level compare this expression, which the
 * index enterprises_risk (0002_directories.sql) is built on: keep the two texts identical. */
#define RISK_RANK "CASE risk_level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END"

static int risk_rank(const char *code)
{
    return !strcmp(code, "red") ? 0 : !strcmp(code, "orange") ? 1 : !strcmp(code, "yellow") ? 2 : 3;
}

/* 1 if k's table has the trigram index <table>_fts of its searched columns (0016_fts.sql, which
 * creates <table>_fts_pending with it). Looks in the loaded schema, runs no statement. */
static int has_fts(sqlite3 *db, const dir_kind *k)
{
    char name[64];
    snprintf(name, sizeof name, "%s_fts_pending", k->table);
    return sqlite3_table_column_metadata(db, "main", name, NULL, NULL, NULL, NULL, NULL, NULL) == SQLITE_OK;
}

/* Unicode characters in UTF-8 text s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The FTS5 query finding rows whose indexed text holds every trigram of text (three or more
 * characters): "abc" AND "bcd" AND …, each quoted. Returns a new string (caller frees) or NULL. */
static char *trigram_query(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n * 32 + 16), *o = out; /* per character: 12 bytes doubled, quotes, " AND " */
    if (!out) return NULL;
    for (const char *p = text; *p; p++) {
        if (((unsigned char)*p & 0xC0) == 0x80) continue; /* not a character start */
        const char *end = p;
        int chars = 0;
        while (*end && chars < 3) {
            end++;
            while (((unsigned char)*end & 0xC0) == 0x80) end++;
            chars++;
        }
        if (chars < 3) break;
        if (o != out) o += sprintf(o, " AND ");
        *o++ = '"';
        for (const char *t = p; t < end; t++) {
            if (*t == '"') *o++ = '"';
            *o++ = *t;
        }
        *o++ = '"';
    }
    *o = 0;
    return out;
}

int dir_fts_flush(sqlite3 *db, const dir_kind *k, char **err)
{
    if (!has_fts(db, k)) return 0;
    char *sql = xprintf("SELECT count(*) FROM (SELECT 1 FROM %s_fts_pending LIMIT 1)", k->table);
    long long any = db_int(db, err, -1, sql, "");
    free(sql);
    if (any <= 0) return (int)any;
    const char *t = k->table;
    char *del = xprintf("INSERT INTO %s_fts(%s_fts, rowid, name, %s) SELECT 'delete', id, name, uscc "
                        "FROM %s_fts_pending WHERE indexed = 1", t, t, "uscc", t);
    char *ins = xprintf("INSERT INTO %s_fts(rowid, name, uscc) SELECT e.id, e.name, e.uscc FROM %s_fts_pending p "
                        "JOIN %s e ON e.id = p.id", t, t, t);
    char *clr = xprintf("DELETE FROM %s_fts_pending", t);
    int rc = db_run(db, err, del, "") >= 0 && db_run(db, err, ins, "") >= 0 && db_run(db, err, clr, "") >= 0 ? 0 : -1;
    free(del);
    free(ins);
    free(clr);
    return rc;
}

/* Builds the WHERE clause from the query string. Returns 0, or -1 with a Chinese reason in why.
 * Each filter is spelled so that an index of 0002_directories.sql serves it. fts: the table has its
 * trigram index (has_fts), which q= of three or more characters uses as a filter first. */
static int build_where(json_t *query, const dir_kind *k, industry_set *ind, struct qb *q, int fts, char *why,
                       size_t whycap)
{
    q->len = 0;
    q->np = 0;
    q->where[0] = 0;
    qb_add(q, " WHERE 1", NULL, NULL);
    for (const struct dir_filter *df = k->filters; df->param; df++) {
        const char *v = json_string_value(json_object_get(query, df->param));
        if (!v || !*v) continue;
        const vfield *f = vf_find(k->fields, df->column);
        switch (df->type) {
        case DF_IN:
        case DF_CHOICE:
        case DF_CATEGORY: {
            int by_rank = df->type == DF_CHOICE && !strcmp(df->column, "risk_level");
            if (by_rank) qb_add(q, " AND " RISK_RANK " IN (", NULL, NULL);
            else qb_add(q, " AND %s IN (", df->column, NULL);
            char *copy = strdup(v), *save = NULL;
            int first = 1;
            /* "，" (U+FF0C) separates too; strtok_r splits on single bytes, so turn it into "," */
            for (char *c; (c = strstr(copy, "，"));) {
                *c = ',';
                memmove(c + 1, c + 3, strlen(c + 3) + 1);
            }
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (df->type == DF_CHOICE) {
                    const char *code = f ? v_choice_code(f->choices, tok) : NULL;
                    if (!code) {
                        snprintf(why, whycap, "筛选条件 %s 的取值无效：%s", df->param, tok);
                        free(copy);
                        return -1;
                    }
                    if (by_rank) {
                        /* a literal rank: the expression has no affinity, a bound text would not match */
                        char lit[8];
                        snprintf(lit, sizeof lit, "%s%d", first ? "" : ",", risk_rank(code));
                        if (qb_add(q, "%s", lit, NULL)) goto too_many;
                        first = 0;
                        continue;
                    }
                    tok = (char *)code;
                } else if (df->type == DF_CATEGORY) {
                    /* a code or label of the rule's categories */
                    const char *cat = industry_category_code(ind, tok);
                    if (!cat) {
                        size_t wl = (size_t)snprintf(why, whycap, "筛选条件 category 应为");
                        for (int ci = 0; ci < ind->ncat && wl < whycap; ci++)
                            wl += (size_t)snprintf(why + wl, whycap - wl, "%s %s/%s", ci ? " 或" : "",
                                                   ind->cat_code[ci], ind->cat_label[ci]);
                        free(copy);
                        return -1;
                    }
                    for (int i = 0; i < ind->n; i++) {
                        if (strcmp(ind->category[i], cat)) continue;
                        if (qb_add(q, first ? "?" : ",?", NULL, NULL) || qb_param(q, ind->name[i])) goto too_many;
                        first = 0;
                    }
                    continue;
                } else if (df->type == DF_IN && !strcmp(df->column, "industry") && ind) {
                    const char *canon = industry_canonical(ind, tok);
                    if (canon) tok = (char *)canon;
                }
                if (qb_add(q, first ? "?" : ",?", NULL, NULL) || qb_param(q, tok)) goto too_many;
                first = 0;
            }
            free(copy);
            qb_add(q, first ? "NULL)" : ")", NULL, NULL);
            break;
        too_many:
            free(copy);
            snprintf(why, whycap, "筛选条件过多");
            return -1;
        }
        case DF_BOOL:
        case DF_POSITIVE: {
            int b;
            if (v_bool(v, &b) != 0) {
                snprintf(why, whycap, "筛选条件 %s 应为 是/否、true/false 或 1/0", df->param);
                return -1;
            }
            if (df->type == DF_BOOL) qb_add(q, b ? " AND %s = 1" : " AND %s = 0", df->column, NULL);
            else qb_add(q, b ? " AND %s > 0" : " AND %s = 0", df->column, NULL);
            break;
        }
        case DF_MIN: {
            char *end;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (*end || n < 0 || errno == ERANGE || *v < '0' || *v > '9') {
                snprintf(why, whycap, "筛选条件 %s 应为非负整数", df->param);
                return -1;
            }
            char num[32];
            snprintf(num, sizeof num, "%lld", n);
            qb_add(q, " AND %s >= %s", df->column, num);
            /* implied, but spelled out so that a partial index WHERE column > 0 can serve it */
            if (n > 0) qb_add(q, " AND %s > 0", df->column, NULL);
            break;
        }
        case DF_DATE_MIN:
            if (!clock_valid_date(v)) {
                snprintf(why, whycap, "筛选条件 %s 应为日期 YYYY-MM-DD", df->param);
                return -1;
            }
            qb_add(q, " AND %s >= ?", df->column, NULL);
            if (qb_param(q, v)) return -1;
            break;
        case DF_TAG:
            qb_add(q, " AND EXISTS (SELECT 1 FROM json_each(%s) WHERE value = ?)", df->column, NULL);
            if (qb_param(q, v)) return -1;
            break;
        }
    }
    const char *text = json_string_value(json_object_get(query, "q"));
    if (text && *text) {
        if (strlen(text) > 200) {
            snprintf(why, whycap, "搜索词过长");
            return -1;
        }
        /* The trigram index finds every row where some searched column holds the text, folding case
         * at least as widely as upper() does; the substring test below then keeps exactly the rows
         * the scan would. Under three characters the index cannot answer: the test alone scans. */
        if (fts && utf8_chars(text) >= 3) {
            char *match = trigram_query(text);
            if (!match) return -1;
            int bad = qb_add(q, " AND (id IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?)", k->table, k->table) ||
                      qb_param(q, match) ||
                      qb_add(q, " OR id IN (SELECT id FROM %s_fts_pending))", k->table, NULL);
            free(match);
            if (bad) return -1;
        }
        qb_add(q, " AND (0", NULL, NULL);
        for (const char *const *c = k->search; *c; c++) {
            qb_add(q, " OR instr(upper(%s), upper(?)) > 0", *c, NULL);
            if (qb_param(q, text)) return -1;
        }
        qb_add(q, ")", NULL, NULL);
    }
    return 0;
}

static int bind_params(sqlite3_stmt *st, struct qb *q, int first)
{
    for (int i = 0; i < q->np; i++)
        if (sqlite3_bind_text(st, first + i, q->params[i], -1, SQLITE_STATIC) != SQLITE_OK) return -1;
    return 0;
}

/* ORDER BY clause from sort= and order=; -1 with why for a column not allowed. */
static int build_order(json_t *query, const dir_kind *k, char *out, size_t cap, char *why, size_t whycap)
{
    const char *sort = json_string_value(json_object_get(query, "sort"));
    const char *order = json_string_value(json_object_get(query, "order"));
    const char *col = "id";
    if (sort && *sort) {
        col = NULL;
        for (const char *const *s = k->sorts; *s; s++)
            if (!strcmp(*s, sort)) col = *s;
        if (!col) {
            snprintf(why, whycap, "不支持按 %.40s 排序", sort);
            return -1;
        }
    }
    int desc = 0;
    if (order && *order) {
        if (!strcasecmp(order, "desc")) desc = 1;
        else if (strcasecmp(order, "asc")) {
            snprintf(why, whycap, "order 应为 asc 或 desc");
            return -1;
        }
    }
    const char *dir = desc ? "DESC" : "ASC";
    if (!strcmp(col, "risk_level"))
        snprintf(out, cap, " ORDER BY " RISK_RANK " %s, id %s", dir, dir);
    else if (!strcmp(col, "id")) snprintf(out, cap, " ORDER BY id %s", dir);
    else snprintf(out, cap, " ORDER BY %s %s, id %s", col, dir, dir);
    return 0;
}


/* ---- list ------------------------------------------------------------------------------------------ */

/* A growing string for cache keys; after an allocation failure p is NULL and stays so. */
struct kbuf {
    char *p;
    size_t len, cap;
    int failed;
};

static void kb_add(struct kbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            free(b->p);
            b->p = NULL;
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* Appends a value as "<length>:<bytes>;" (or "-;" for none), so that no value can forge another. */
static void kb_value(struct kbuf *b, const char *v)
{
    char n[24];
    if (!v) { kb_add(b, "-;"); return; }
    snprintf(n, sizeof n, "%zu:", strlen(v));
    kb_add(b, n);
    kb_add(b, v);
    kb_add(b, ";");
}

/* The reply cache key of a list request: the directory, whether identity numbers are shown, the
 * loaded rules generation (categories come from a rule) and the value of every query parameter the
 * list path reads (build_where, build_order, dir_list: keep this list complete). New string or NULL. */
static char *list_key(spot_ctx *c, const dir_kind *k, json_t *query, long long page, long long per_page, int reveal)
{
    struct kbuf b = {0};
    char head[160];
    snprintf(head, sizeof head, "list:%d:%lld:%lld:%lld:", reveal, c->w->rules_gen, page, per_page);
    kb_add(&b, head);
    kb_value(&b, k->table);
    for (const char *const *p = dir_list_params; *p; p++) kb_value(&b, json_string_value(json_object_get(query, *p)));
    for (const struct dir_filter *df = k->filters; df->param; df++)
        kb_value(&b, json_string_value(json_object_get(query, df->param)));
    return b.p;
}

/* The count query's cache key: its SQL and bound values. New string or NULL. */
static char *count_key(const char *sql, const struct qb *q)
{
    struct kbuf b = {0};
    kb_add(&b, "count:");
    kb_value(&b, sql);
    for (int i = 0; i < q->np; i++) kb_value(&b, q->params[i]);
    return b.p;
}

struct textbuf {
    char *p;
    size_t len;
};

static void copy_cached(void *arg, const char *data, size_t len)
{
    struct textbuf *t = arg;
    t->p = malloc(len + 1);
    if (!t->p) return;
    memcpy(t->p, data, len + 1);
    t->len = len;
}

static void read_count(void *arg, const char *data, size_t len)
{
    (void)len;
    *(long long *)arg = atoll(data);
}

/* The list path. A page is kept in the reply cache (worker.h) until the next commit, so the same
 * page asked again is a lookup and a copy; the total of a filter is kept the same way, so paging
 * through a large directory counts its rows once. */
char *dir_list(spot_ctx *c, const dir_kind *k, json_t *query, long long page, long long per_page,
               size_t *len, spot_err *e)
{
    industry_set *ind = NULL;
    struct qb *q = calloc(1, sizeof *q);
    char why[256], order[256], *err = NULL;
    char *sql = NULL, *key = NULL, *ckey = NULL;
    char *page_ids = NULL;   /* a text search: the page's ids, found in the one pass that counts */
    sqlite3_stmt *st = NULL;
    json_t *rows = NULL;
    struct textbuf out = {0};
    int reveal = ctx_has_role(c, ROLE_ADMIN);
    unsigned long long epoch = c->w->epoch;
    if (!q) {
        spot_fail(e, SPOT_E_DB, "internal", "内存不足");
        goto done;
    }
    key = list_key(c, k, query, page, per_page, reveal);
    if (key && worker_cache_use(key, epoch, copy_cached, &out)) {
        if (!out.p) spot_fail(e, SPOT_E_DB, "internal", "内存不足");
        goto done;
    }
    if (k->with_category) {
        ind = malloc(sizeof *ind);
        if (!ind || industries_load(c->w->lua, ind, &err) != 0) {
            fprintf(stderr, "spotcheck: categories rule: %s\n", err ? err : "out of memory");
            spot_fail(e, SPOT_E_DB, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "内存不足");
            goto done;
        }
    }
    if (build_where(query, k, ind, q, has_fts(c->db, k), why, sizeof why) || build_order(query, k, order, sizeof order, why, sizeof why)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "%s", why);
        goto done;
    }
    sql = xprintf("SELECT count(*) FROM %s%s", k->table, q->where);
    ckey = count_key(sql, q);
    long long total = -1;
    const char *text = json_string_value(json_object_get(query, "q"));
    if (text && *text && has_fts(c->db, k)) {
        /* The rows of a text search are few next to the directory, and finding each one costs
         * reading it (the substring test): one pass reads them all in order, counts them and
         * keeps the page's ids, instead of a count and a page query that would read them twice. */
        free(sql);
        sql = xprintf("SELECT id FROM %s%s%s", k->table, q->where, order);
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1)) {
            spot_fail_db(e, k->table, xprintf("search: %s", sqlite3_errmsg(c->db)));
            goto done;
        }
        spot_buf ids = {NULL, 0, 0};
        long long n = 0, from = (page - 1) * per_page;
        int rc, oom = spot_buf_put(&ids, "[", 1);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n >= from && n < from + per_page) {
                char num[32];
                int m = snprintf(num, sizeof num, "%s%lld", n > from ? "," : "", (long long)sqlite3_column_int64(st, 0));
                oom |= spot_buf_put(&ids, num, (size_t)m);
            }
            n++;
        }
        oom |= spot_buf_put(&ids, "]", 1);
        if (rc != SQLITE_DONE || oom) {
            free(ids.p);
            spot_fail_db(e, k->table, xprintf("search: %s", oom ? "out of memory" : sqlite3_errmsg(c->db)));
            goto done;
        }
        sqlite3_finalize(st);
        st = NULL;
        page_ids = ids.p;
        total = n;
        char num[24];
        int m = snprintf(num, sizeof num, "%lld", total);
        if (ckey) worker_cache_put(ckey, epoch, num, (size_t)m);
    } else if (!ckey || !worker_cache_use(ckey, epoch, read_count, &total) || total < 0) {
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1) ||
            sqlite3_step(st) != SQLITE_ROW) {
            spot_fail_db(e, k->table, xprintf("count: %s", sqlite3_errmsg(c->db)));
            goto done;
        }
        total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        char num[24];
        int n = snprintf(num, sizeof num, "%lld", total);
        if (ckey) worker_cache_put(ckey, epoch, num, (size_t)n);
    }
    free(sql);
    if (page_ids)   /* the page's rows by id, in the same order */
        sql = xprintf("SELECT * FROM %s WHERE id IN (SELECT value FROM json_each(?1))%s", k->table, order);
    else
        sql = xprintf("SELECT * FROM %s%s%s LIMIT %lld OFFSET %lld", k->table, q->where, order, per_page,
                      (page - 1) * per_page);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK ||
        (page_ids ? sqlite3_bind_text(st, 1, page_ids, -1, SQLITE_STATIC) != SQLITE_OK : bind_params(st, q, 1) != 0) ||
        !(rows = stmt_rows(st))) {
        spot_fail_db(e, k->table, xprintf("list: %s", sqlite3_errmsg(c->db)));
        goto done;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) row_api(k, row, reveal, ind);
    json_t *body = json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page,
                             "per_page", (json_int_t)per_page, "items", rows);
    rows = NULL;
    out.p = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!out.p) {
        spot_fail(e, SPOT_E_DB, "internal", "内存不足");
        goto done;
    }
    out.len = strlen(out.p);
    if (key) worker_cache_put(key, epoch, out.p, out.len);
done:
    free(page_ids);
    sqlite3_finalize(st);
    json_decref(rows);
    free(sql);
    free(key);
    free(ckey);
    if (q) qb_free(q);
    free(q);
    free(ind);
    free(err);
    *len = out.len;
    return out.p;
}

char *dir_export(spot_ctx *c, const dir_kind *k, json_t *query, int xlsx, size_t *len, spot_err *e)
{
    industry_set *ind = NULL;
    struct qb *q = calloc(1, sizeof *q);
    char why[256], order[256], *err = NULL, *sql = NULL, *out = NULL;
    char (*cell)[DIR_VALUE_MAX] = malloc((DIR_MAX_FIELDS + 1) * sizeof *cell);
    const char *cells[DIR_MAX_FIELDS + 1], *labels[DIR_MAX_FIELDS + 1];
    int types[DIR_MAX_FIELDS + 1];
    sqlite3_stmt *st = NULL;
    spot_buf b = {0};
    xlsx_writer *x = NULL;
    int reveal = ctx_has_role(c, ROLE_ADMIN);
    *len = 0;
    if (!q || !cell) goto oom;
    if (k->with_category) {
        ind = malloc(sizeof *ind);
        if (!ind || industries_load(c->w->lua, ind, &err) != 0) {
            spot_fail(e, SPOT_E_DB, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "内存不足");
            goto done;
        }
    }
    if (build_where(query, k, ind, q, has_fts(c->db, k), why, sizeof why) || build_order(query, k, order, sizeof order, why, sizeof why)) {
        spot_fail(e, SPOT_E_INPUT, "bad_request", "%s", why);
        goto done;
    }
    int nf = 0;
    const char *cols[DIR_MAX_FIELDS];
    for (const vfield *f = k->fields; f->name; f++, nf++) {
        cols[nf] = f->name;
        labels[nf] = f->label;
        types[nf] = f->type == VF_DATE ? XLSX_DATE : f->type == VF_COUNT ? XLSX_NUMBER : XLSX_TEXT;
    }
    int ncell = nf;
    if (k->with_category) labels[ncell] = "类别", types[ncell++] = XLSX_TEXT;
    if (xlsx) {
        if (!(x = xlsx_new(k->what, &err)) || xlsx_header(x, ncell, labels, types, &err)) {
            spot_fail_db(e, k->table, err), err = NULL;
            goto done;
        }
    } else {
        if (spot_buf_put(&b, "\xEF\xBB\xBF", 3)) goto oom; /* BOM: Excel reads the file as UTF-8 */
        for (int i = 0; i < ncell; i++)
            if (spot_buf_csv_field(&b, labels[i], i == 0)) goto oom;
        if (spot_buf_put(&b, "\r\n", 2)) goto oom;
    }
    sql = xprintf("SELECT * FROM %s%s%s", k->table, q->where, order);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1)) {
        spot_fail_db(e, k->table, xprintf("export: %s", sqlite3_errmsg(c->db)));
        goto done;
    }
    int idx[DIR_MAX_FIELDS], ind_col = -1;
    for (int i = 0; i < nf; i++) {
        idx[i] = -1;
        for (int col = 0; col < sqlite3_column_count(st); col++)
            if (!strcmp(sqlite3_column_name(st, col), cols[i])) idx[i] = col;
        if (!strcmp(cols[i], "industry")) ind_col = idx[i];
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < nf; i++) {
            const vfield *f = &k->fields[i];
            const char *v = idx[i] >= 0 ? (const char *)sqlite3_column_text(st, idx[i]) : "";
            if (!v) v = "";
            if (f->type == VF_IDNO && !reveal) {
                char m[19];
                idno_mask(v, m);
                snprintf(cell[i], DIR_VALUE_MAX, "%s", m);
            } else if (f->type == VF_PHONE && !reveal) {
                char m[V_PHONE_MASKED];
                phone_mask(v, m);
                snprintf(cell[i], DIR_VALUE_MAX, "%s", m);
            } else {
                vf_display(f, v, cell[i], DIR_VALUE_MAX);
            }
            cells[i] = cell[i];
        }
        if (k->with_category) {
            const char *cat = industry_category(ind, ind_col >= 0 ? (const char *)sqlite3_column_text(st, ind_col) : "");
            const char *label = cat ? industry_category_label(ind, cat) : NULL;
            cells[nf] = label && *label ? label : cat ? cat : "";
        }
        if (x) {
            if (xlsx_row(x, cells, &err)) {
                spot_fail_db(e, k->table, err), err = NULL;
                goto done;
            }
            continue;
        }
        for (int i = 0; i < ncell; i++)
            if (spot_buf_csv_field(&b, cells[i], i == 0)) goto oom;
        if (spot_buf_put(&b, "\r\n", 2)) goto oom;
    }
    if (rc != SQLITE_DONE) {
        spot_fail_db(e, k->table, xprintf("export: %s", sqlite3_errmsg(c->db)));
        goto done;
    }
    if (x) {
        out = xlsx_finish(x, len, &err);
        x = NULL;
        if (!out) spot_fail_db(e, k->table, err), err = NULL;
    } else {
        out = b.p, b.p = NULL;
        *len = b.len;
    }
    goto done;
oom:
    spot_fail(e, SPOT_E_DB, "internal", "内存不足");
done:
    sqlite3_finalize(st);
    xlsx_discard(x);
    free(sql);
    free(b.p);
    if (q) qb_free(q);
    free(q);
    free(ind);
    free(err);
    free(cell);
    return out;
}

long long dir_resolve(spot_ctx *c, const dir_kind *k, const char *ref)
{
    if (!ref || !*ref || strlen(ref) > 64) return -1;
    /* a positive id of at most 15 digits, else an all-digit key such as a 执法证号 */
    long long id = 0;
    size_t n = strlen(ref);
    for (const char *p = ref; n <= 15 && *p; p++) {
        if (*p < '0' || *p > '9') {
            id = 0;
            break;
        }
        id = id * 10 + (*p - '0');
    }
    if (n <= 15 && id > 0) {
        char *sql = xprintf("SELECT id FROM %s WHERE id = ?", k->table);
        long long v = db_int(c->db, NULL, -1, sql, "i", id);
        free(sql);
        if (v > 0) return v;
    }
    char *sql = xprintf("SELECT id FROM %s WHERE %s IN (?1, upper(?1))", k->table, k->alt_key);
    long long v = db_int(c->db, NULL, -1, sql, "s", ref);
    free(sql);
    return v;
}

static json_t *load_row(sqlite3 *db, const dir_kind *k, long long id, char **err)
{
    char *sql = xprintf("SELECT * FROM %s WHERE id = ?", k->table);
    json_t *row = db_row(db, err, sql, "i", id);
    free(sql);
    return row;
}

json_t *dir_get(spot_ctx *c, const dir_kind *k, const char *ref, spot_err *e)
{
    long long id = dir_resolve(c, k, ref);
    if (id < 0) {
        spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个%s：%s", k->what, ref ? ref : "");
        return NULL;
    }
    char *err = NULL;
    json_t *row = load_row(c->db, k, id, &err);
    if (!row) {
        spot_fail_db(e, k->table, err);
        return NULL;
    }
    industry_set *ind = NULL;
    if (k->with_category) {
        ind = malloc(sizeof *ind);
        if (ind && industries_load(c->w->lua, ind, &err) != 0) {
            free(ind);
            ind = NULL;
        }
        free(err);
        err = NULL;
        /* the rule's reason and clause for this unit's category */
        json_t *args = json_pack("[O]", json_object_get(row, "industry")), *ret = NULL;
        if (args && lh_call(c->w->lua, "categories", "category", args, &ret, &err) == 0) {
            json_object_set(row, "category_reason", json_array_get(ret, 1) ? json_array_get(ret, 1) : json_null());
            json_object_set(row, "category_clause", json_array_get(ret, 2) ? json_array_get(ret, 2) : json_null());
        }
        free(err);
        err = NULL;
        json_decref(args);
        json_decref(ret);
    }
    row_api(k, row, ctx_has_role(c, ROLE_ADMIN), ind);
    free(ind);
    char *sql = xprintf("SELECT count(*) FROM %s WHERE %s = ?", k->history, k->history_fk);
    json_object_set_new(row, "history_count", json_integer(db_int(c->db, NULL, 0, sql, "i", id)));
    free(sql);
    return row;
}

/* Masks the phone numbers of a history entry's changes ({"field":[old,new]}) and previous version
 * ({"field":value}) in place: entries written before phones were masked hold them in clear. */
static void history_mask(const dir_kind *k, json_t *changes, json_t *previous)
{
    char m[V_PHONE_MASKED];
    for (const vfield *f = k->fields; f->name; f++) {
        if (f->type != VF_PHONE) continue;
        json_t *pair = json_object_get(changes, f->name);
        for (size_t i = 0; json_is_array(pair) && i < json_array_size(pair); i++) {
            const char *v = json_string_value(json_array_get(pair, i));
            if (!v) continue;
            phone_mask(v, m);
            json_array_set_new(pair, i, json_string(m));
        }
        const char *v = json_string_value(json_object_get(previous, f->name));
        if (v) {
            phone_mask(v, m);
            json_object_set_new(previous, f->name, json_string(m));
        }
    }
}

json_t *dir_history(spot_ctx *c, const dir_kind *k, const char *ref, spot_err *e)
{
    long long id = dir_resolve(c, k, ref);
    if (id < 0) {
        spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个%s", k->what);
        return NULL;
    }
    char *err = NULL;
    char *sql = xprintf("SELECT id, version, at, actor, source, changes, previous FROM %s WHERE %s = ? "
                        "ORDER BY version DESC, id DESC", k->history, k->history_fk);
    json_t *rows = db_rows(c->db, &err, sql, "i", id);
    free(sql);
    if (!rows) {
        spot_fail_db(e, k->history, err);
        return NULL;
    }
    int reveal = ctx_has_role(c, ROLE_ADMIN);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *ch = json_loads(json_string_value(json_object_get(row, "changes")), 0, NULL);
        json_t *p = json_loads(json_string_value(json_object_get(row, "previous")), 0, NULL);
        if (!json_is_object(ch)) json_decref(ch), ch = json_object();
        if (!json_is_object(p)) json_decref(p), p = json_object();
        if (!reveal) history_mask(k, ch, p);
        json_object_set_new(row, "changes", ch);
        json_object_set_new(row, "previous", p);
    }
    json_t *cur = load_row(c->db, k, id, &err);
    free(err);
    long long version = cur ? json_integer_value(json_object_get(cur, "version")) : 0;
    json_decref(cur);
    return json_pack("{sI sI so}", "id", (json_int_t)id, "version", (json_int_t)version, "history", rows);
}

/* Reads and validates the JSON object body into vals (NULL = absent), normalised into store.
 * create: every required field must be present. Returns 0, or -1 with *e. */
static int read_body(json_t *body, const dir_kind *k, industry_set *ind, char (*store)[DIR_VALUE_MAX],
                     const char **vals, int create, spot_err *e)
{
    if (!json_is_object(body)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (dir_field_index(k, key) < 0 && strcmp(key, "id") && strcmp(key, "version") &&
            !(k->org_field && !strcmp(key, "org_id")))
            return spot_fail(e, SPOT_E_INPUT, "unknown_field", "未知字段：%.60s", key);
    }
    char text[DIR_VALUE_MAX], why[512];
    for (int i = 0; k->fields[i].name; i++) {
        const vfield *f = &k->fields[i];
        vals[i] = NULL;
        v = json_object_get(body, f->name);
        if (!v) {
            if (create && f->required)
                return spot_fail(e, SPOT_E_INVALID, "invalid", "%s（%s）：不能为空", f->label, f->name);
            continue;
        }
        if (vf_json_text(v, text, sizeof text) != 0)
            return spot_fail(e, SPOT_E_INVALID, "invalid", "%s（%s）：类型或长度无效", f->label, f->name);
        if (vf_normalize(f, text, store[i], DIR_VALUE_MAX, ind, NULL, why, sizeof why) != 0)
            return spot_fail(e, SPOT_E_INVALID, "invalid", "%s（%s）：%s", f->label, f->name, why);
        vals[i] = store[i];
    }
    return 0;
}

/* For a kind with an org_field: "org_id" in body (an org's id) writes that org's name into the
 * field; a name given (or so written) must be an org's. Returns 0, or -1 with *e (400 bad_request,
 * 422 unknown_org). */
static int check_org(spot_ctx *c, const dir_kind *k, json_t *body, char (*store)[DIR_VALUE_MAX], const char **vals,
                     spot_err *e)
{
    if (!k->org_field) return 0;
    int f = dir_field_index(k, k->org_field);
    json_t *v = json_object_get(body, "org_id");
    char *err = NULL;
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return spot_fail(e, SPOT_E_INPUT, "bad_request", "org_id 须为机构编号（正整数）");
        char *name = db_text(c->db, &err, "SELECT name FROM orgs WHERE id = ?", "i", (long long)json_integer_value(v));
        if (err) return spot_fail_db(e, k->table, err);
        if (!name)
            return spot_fail(e, SPOT_E_INVALID, "unknown_org", "没有编号为 %lld 的机构",
                             (long long)json_integer_value(v));
        if (vals[f] && *vals[f] && strcmp(vals[f], name)) {
            spot_fail(e, SPOT_E_INVALID, "invalid", "%s“%.100s”与 org_id 所指机构“%s”不一致", k->fields[f].label,
                      vals[f], name);
            free(name);
            return -1;
        }
        snprintf(store[f], DIR_VALUE_MAX, "%s", name);
        vals[f] = store[f];
        free(name);
        return 0;
    }
    if (!vals[f] || !*vals[f]) return 0;
    long long id = db_int(c->db, &err, -1, "SELECT id FROM orgs WHERE name = ?", "s", vals[f]);
    if (err) return spot_fail_db(e, k->table, err);
    if (id < 0)
        return spot_fail(e, SPOT_E_INVALID, "unknown_org", "%s：“%.100s”不是已登记的机构（请先在机构管理中添加）",
                         k->fields[f].label, vals[f]);
    return 0;
}

/* Audit object "enterprise:<uscc>" from stored values. New string. */
static char *audit_object(const dir_kind *k, sqlite3 *db, long long id)
{
    char *sql = xprintf("SELECT %s FROM %s WHERE id = ?", k->audit_key, k->table);
    char *v = db_text(db, NULL, sql, "i", id);
    free(sql);
    char *o = xprintf("%s:%s", k->audit_name, v ? v : "?");
    free(v);
    return o;
}

/* The refusal of a write that clashes with a unique column. The 身份证号 of another person is not
 * confirmed to anyone but admin: whether a number is in the directory is personal data too, and an
 * answer naming it lets a caller test guesses at a masked number (its 8 hidden digits are a birth
 * date, and the check character rules out most). Returns -1. */
static int unique_clash(spot_ctx *c, const dir_kind *k, const char *column, int create, spot_err *e)
{
    if (!strcmp(column, "id_number") && k->personal_key && !ctx_has_role(c, ROLE_ADMIN))
        return spot_fail(e, SPOT_E_CONFLICT, "conflict", "无法保存该%s，请联系系统管理员核实", k->what);
    if (create)
        return spot_fail(e, SPOT_E_CONFLICT, "conflict", "%s已存在（%s）", k->what,
                         !strcmp(column, "cert_no") ? "执法证号重复" : !strcmp(column, "id_number") ? "身份证号重复"
                                                                                                   : "统一社会信用代码重复");
    return spot_fail(e, SPOT_E_CONFLICT, "conflict", "%s",
                     !strcmp(column, "cert_no") ? "执法证号已被其他人员使用"
                     : !strcmp(column, "id_number") ? "身份证号已被其他人员使用"
                     : !strcmp(column, "uscc") ? "统一社会信用代码已被其他单位使用" : "违反数据约束");
}

/* The unique column a constraint message names: "cert_no", "id_number", "uscc" or "". */
static const char *clash_column(const char *msg)
{
    return strstr(msg, "cert_no") ? "cert_no" : strstr(msg, "id_number") ? "id_number" : strstr(msg, "uscc") ? "uscc" : "";
}

json_t *dir_create(spot_ctx *c, const dir_kind *k, json_t *body, spot_err *e)
{
    industry_set *ind = malloc(sizeof *ind);
    char (*store)[DIR_VALUE_MAX] = calloc(DIR_MAX_FIELDS, DIR_VALUE_MAX);
    const char *vals[DIR_MAX_FIELDS];
    char *err = NULL, *sql = NULL, *obj = NULL;
    sqlite3_stmt *st = NULL;
    json_t *details = NULL, *row = NULL;
    if (!ind || !store) {
        spot_fail(e, SPOT_E_DB, "internal", "内存不足");
        goto done;
    }
    if (industries_load(c->w->lua, ind, &err) != 0) {
        spot_fail(e, SPOT_E_DB, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "");
        goto done;
    }
    if (read_body(body, k, ind, store, vals, 1, e) || check_org(c, k, body, store, vals, e)) goto done;
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    char cols[1024] = "", qs[256] = "";
    size_t cl = 0, ql = 0;
    int nf = 0;
    for (int i = 0; k->fields[i].name; i++, nf++) {
        cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s, ", k->fields[i].name);
        ql += (size_t)snprintf(qs + ql, sizeof qs - ql, "?, ");
    }
    sql = xprintf("INSERT INTO %s(%screated_at, updated_at) VALUES (%s?, ?)", k->table, cols, qs);
    char at[32];
    clock_now_rfc3339(at);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        spot_fail_db(e, k->table, xprintf("prepare: %s", sqlite3_errmsg(c->db)));
        goto done;
    }
    details = json_object();
    for (int i = 0; i < nf; i++) {
        const vfield *f = &k->fields[i];
        dir_bind_value(st, i + 1, f, vals[i] ? vals[i] : "", 1);
        json_object_set_new(details, f->name, stored_json(f, effective(f, vals[i] ? vals[i] : ""), 0));
    }
    sqlite3_bind_text(st, nf + 1, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, nf + 2, at, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        const char *col = clash_column(sqlite3_errmsg(c->db));
        db_rollback(c->db);
        unique_clash(c, k, col, 1, e);
        goto done;
    }
    if (rc != SQLITE_DONE) {
        spot_fail_db(e, k->table, xprintf("insert: %s", sqlite3_errmsg(c->db)));
        goto done;
    }
    long long id = sqlite3_last_insert_rowid(c->db);
    json_object_set_new(details, "id", json_integer(id));
    obj = audit_object(k, c->db, id);
    char action[64];
    snprintf(action, sizeof action, "%s.create", k->audit_name);
    if (audit_log(c->db, ctx_actor(c), action, obj, details, &err) != 0 || dir_fts_flush(c->db, k, &err) != 0 ||
        db_commit(c->db, &err) != 0) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    row = load_row(c->db, k, id, &err);
    if (!row) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    row_api(k, row, ctx_has_role(c, ROLE_ADMIN), ind);
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    sqlite3_finalize(st);
    json_decref(details);
    free(sql);
    free(obj);
    free(err);
    free(ind);
    free(store);
    return row;
}

/* dir_update_row, also naming in *clash the unique column of a -2 clash ("" if unknown). */
static int update_row(sqlite3 *db, const dir_kind *k, long long id, const char *const *vals, const char *actor,
                      const char *source, json_t **changes, char **err, const char **clash)
{
    int out = -1;
    char *sql = NULL;
    sqlite3_stmt *st = NULL;
    json_t *old = load_row(db, k, id, err);
    json_t *ch = json_object();
    char buf[32], set[2048];
    size_t sl = 0;
    *changes = NULL;
    if (!old) {
        if (err && !*err) *err = xprintf("row %lld not found", id);
        goto done;
    }
    int changed[DIR_MAX_FIELDS] = {0};
    for (int i = 0; k->fields[i].name; i++) {
        const vfield *f = &k->fields[i];
        if (!vals[i]) continue;
        const char *nv = effective(f, vals[i]);
        json_t *ov = json_object_get(old, f->name);
        const char *ot = json_is_null(ov) ? "" : row_text(old, f->name, buf, sizeof buf);
        if (!strcmp(nv, ot)) continue;
        changed[i] = 1;
        json_object_set_new(ch, f->name, json_pack("[oo]", stored_json(f, json_is_null(ov) ? NULL : ot, 0),
                                                   stored_json(f, nv, 0)));
        sl += (size_t)snprintf(set + sl, sizeof set - sl, "%s = ?, ", f->name);
    }
    if (json_object_size(ch) == 0) {
        out = 0;
        goto done;
    }
    /* the previous version, id numbers masked */
    json_t *prev = json_deep_copy(old);
    for (int i = 0; k->fields[i].name; i++) {
        const vfield *f = &k->fields[i];
        if (f->type != VF_BOOL && f->type != VF_TAGS && !personal(f)) continue;
        json_t *ov = json_object_get(prev, f->name);
        if (!ov) continue;
        json_object_set_new(prev, f->name, stored_json(f, json_is_null(ov) ? NULL : row_text(prev, f->name, buf, sizeof buf), 0));
    }
    char at[32];
    clock_now_rfc3339(at);
    sql = xprintf("INSERT INTO %s(%s, version, at, actor, source, changes, previous) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  k->history, k->history_fk);
    int rc = db_run(db, err, sql, "iisssjj", (long long)id,
                    (long long)json_integer_value(json_object_get(old, "version")), at, actor, source, ch, prev);
    json_decref(prev);
    free(sql);
    sql = NULL;
    if (rc < 0) goto done;
    sql = xprintf("UPDATE %s SET %sversion = version + 1, updated_at = ? WHERE id = ?", k->table, set);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = xprintf("prepare: %s", sqlite3_errmsg(db));
        goto done;
    }
    int pos = 1;
    for (int i = 0; k->fields[i].name; i++)
        if (changed[i]) dir_bind_value(st, pos++, &k->fields[i], vals[i], 0);
    sqlite3_bind_text(st, pos++, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, pos, id);
    rc = sqlite3_step(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        const char *m = sqlite3_errmsg(db);
        *clash = clash_column(m);
        *err = xprintf("%s", strstr(m, "cert_no") ? "执法证号已被其他人员使用"
                             : strstr(m, "id_number") ? "身份证号已被其他人员使用"
                             : strstr(m, "uscc") ? "统一社会信用代码已被其他单位使用" : "违反数据约束");
        out = -2;
        goto done;
    }
    if (rc != SQLITE_DONE) {
        *err = xprintf("update: %s", sqlite3_errmsg(db));
        goto done;
    }
    /* id numbers never leave in clear through changes (audit details) */
    for (int i = 0; k->fields[i].name; i++) {
        if (k->fields[i].type != VF_IDNO || !changed[i]) continue;
        char mo[19], mn[19];
        json_t *pair = json_object_get(ch, k->fields[i].name);
        idno_mask(json_string_value(json_array_get(pair, 0)), mo);
        idno_mask(json_string_value(json_array_get(pair, 1)), mn);
        json_object_set_new(ch, k->fields[i].name, json_pack("[ss]", mo, mn));
    }
    *changes = ch;
    ch = NULL;
    out = 1;
done:
    sqlite3_finalize(st);
    free(sql);
    json_decref(old);
    json_decref(ch);
    return out;
}

int dir_update_row(sqlite3 *db, const dir_kind *k, long long id, const char *const *vals,
                   const char *actor, const char *source, json_t **changes, char **err)
{
    const char *clash = "";
    return update_row(db, k, id, vals, actor, source, changes, err, &clash);
}

/* Refuses (409 key_locked) a change of row id's key when k says other records refer to it.
 * Returns 0 when the key stays or may change, else -1 with *e. */
static int check_key_change(spot_ctx *c, const dir_kind *k, long long id, const char *const *vals, spot_err *e)
{
    int kf = dir_field_index(k, k->key);
    if (!k->key_locked || kf < 0 || !vals[kf]) return 0;
    char *sql = xprintf("SELECT %s FROM %s WHERE id = ?", k->key, k->table);
    char *err = NULL, *cur = db_text(c->db, &err, sql, "i", id);
    free(sql);
    if (!cur) return spot_fail_db(e, k->table, err ? err : xprintf("row %lld not found", id));
    free(err);
    err = NULL;
    int same = !strcmp(cur, vals[kf]);
    free(cur);
    if (same) return 0;
    const char *why = NULL;
    int locked = k->key_locked(c->db, id, &why, &err);
    if (locked < 0) return spot_fail_db(e, k->table, err);
    if (locked)
        return spot_fail(e, SPOT_E_CONFLICT, "key_locked", "%s的%s不能修改：%s", k->what,
                         k->fields[kf].label, why ? why : "已有记录引用");
    return 0;
}

json_t *dir_update(spot_ctx *c, const dir_kind *k, const char *ref, json_t *body, spot_err *e)
{
    industry_set *ind = malloc(sizeof *ind);
    char (*store)[DIR_VALUE_MAX] = calloc(DIR_MAX_FIELDS, DIR_VALUE_MAX);
    const char *vals[DIR_MAX_FIELDS];
    char *err = NULL, *obj = NULL;
    json_t *changes = NULL, *row = NULL;
    if (!ind || !store) {
        spot_fail(e, SPOT_E_DB, "internal", "内存不足");
        goto done;
    }
    long long id = dir_resolve(c, k, ref);
    if (id < 0) {
        spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个%s", k->what);
        goto done;
    }
    if (industries_load(c->w->lua, ind, &err) != 0) {
        spot_fail(e, SPOT_E_DB, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "");
        goto done;
    }
    if (read_body(body, k, ind, store, vals, 0, e) || check_org(c, k, body, store, vals, e)) goto done;
    json_t *ver = json_object_get(body, "version");
    if (db_begin(c->db, &err) != 0) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    if (ver) {
        char *sql = xprintf("SELECT version FROM %s WHERE id = ?", k->table);
        long long cur = db_int(c->db, NULL, -1, sql, "i", id);
        free(sql);
        if (!json_is_integer(ver) || json_integer_value(ver) != cur) {
            spot_fail(e, SPOT_E_CONFLICT, "stale", "该记录已被他人修改（当前版本 %lld），请刷新后重试", cur);
            goto done;
        }
    }
    if (check_key_change(c, k, id, vals, e)) goto done;
    const char *clash = "";
    int rc = update_row(c->db, k, id, vals, ctx_actor(c), "api", &changes, &err, &clash);
    if (rc == -2) {
        unique_clash(c, k, clash, 0, e);
        goto done;
    }
    if (rc < 0) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    if (rc == 1) {
        obj = audit_object(k, c->db, id);
        char action[64];
        snprintf(action, sizeof action, "%s.update", k->audit_name);
        json_t *d = json_pack("{sI sO}", "id", (json_int_t)id, "changes", changes);
        int arc = audit_log(c->db, ctx_actor(c), action, obj, d, &err);
        json_decref(d);
        if (arc != 0 || dir_fts_flush(c->db, k, &err) != 0 || db_commit(c->db, &err) != 0) {
            spot_fail_db(e, k->table, err);
            err = NULL;
            goto done;
        }
    } else {
        db_rollback(c->db);
    }
    row = load_row(c->db, k, id, &err);
    if (!row) {
        spot_fail_db(e, k->table, err);
        err = NULL;
        goto done;
    }
    row_api(k, row, ctx_has_role(c, ROLE_ADMIN), ind);
    json_object_set_new(row, "changes", changes ? changes : json_object());
    changes = NULL;
done:
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    json_decref(changes);
    free(obj);
    free(err);
    free(ind);
    free(store);
    return row;
}
