/* enterprises.c: the directory engine (create, update with history, list, export, import routes)
 * and the enterprise directory's field table, filters and routes. */
#include "enterprises.h"
#include "audit.h"
#include "clock.h"
#include "csvimport.h"
#include "db.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const vfield enterprise_fields[] = {
    {"uscc", "统一社会信用代码", VF_USCC, 1, NULL, NULL, 18},
    {"name", "单位名称", VF_TEXT, 1, NULL, NULL, 300},
    {"unit_type", "单位类型", VF_TEXT, 0, NULL, "", 100},
    {"legal_rep", "法定代表人", VF_TEXT, 0, NULL, "", 100},
    {"address", "住所", VF_TEXT, 0, NULL, "", 400},
    {"business_scope", "经营范围", VF_TEXT, 0, NULL, "", 3000},
    {"region", "行政区划", VF_TEXT, 1, NULL, NULL, 100},
    {"industry", "行业类别", VF_INDUSTRY, 1, NULL, NULL, 64},
    {"supervision_type", "监管类型", VF_TEXT, 0, NULL, "", 100},
    {"risk_level", "风险等级", VF_CHOICE, 0, V_RISK, "yellow", 16},
    {"credit_level", "信用等级", VF_CHOICE, 0, V_CREDIT, "normal", 16},
    {"complaints", "投诉举报次数", VF_COUNT, 0, NULL, "0", 9},
    {"watchlist", "重点关注", VF_BOOL, 0, NULL, "0", 1},
    {"dishonest", "失信记录", VF_BOOL, 0, NULL, "0", 1},
    {"serious_violation", "严重违法记录", VF_BOOL, 0, NULL, "0", 1},
    {"major_hazard", "重大危险源", VF_BOOL, 0, NULL, "0", 1},
    {"status", "状态", VF_CHOICE, 0, V_UNIT_STATUS, "active", 16},
    {NULL, NULL, 0, 0, NULL, NULL, 0},
};

static const struct dir_filter enterprise_filters[] = {
    {"region", "region", DF_IN},
    {"industry", "industry", DF_IN},
    {"category", "industry", DF_CATEGORY},
    {"unit_type", "unit_type", DF_IN},
    {"supervision_type", "supervision_type", DF_IN},
    {"risk_level", "risk_level", DF_CHOICE},
    {"credit_level", "credit_level", DF_CHOICE},
    {"status", "status", DF_CHOICE},
    {"watchlist", "watchlist", DF_BOOL},
    {"dishonest", "dishonest", DF_BOOL},
    {"serious_violation", "serious_violation", DF_BOOL},
    {"major_hazard", "major_hazard", DF_BOOL},
    {"has_complaints", "complaints", DF_POSITIVE},
    {"complaints_min", "complaints", DF_MIN},
    {NULL, NULL, 0},
};

static const char *const enterprise_search[] = {"name", "uscc", NULL};
static const char *const enterprise_sorts[] = {"id", "uscc", "name", "region", "industry", "risk_level",
                                               "credit_level", "complaints", "status", "supervision_type",
                                               "created_at", "updated_at", NULL};

const dir_kind enterprise_kind = {
    "enterprises", "enterprise_history", "enterprise_id", "uscc", "uscc", "enterprise", "uscc", "检查对象",
    enterprise_fields, enterprise_filters, enterprise_search, enterprise_sorts, 0, 1,
};

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

/* JSON form of a stored text value of f (masking id numbers unless reveal). New reference. */
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
    case VF_DATE: return *text ? json_string(text) : json_null();
    default: return json_string(text);
    }
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
        if (f->type != VF_BOOL && f->type != VF_TAGS && f->type != VF_IDNO && f->type != VF_DATE) continue;
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

/* Builds the WHERE clause from the query string. Returns 0, or -1 with a Chinese reason in why.
 * Each filter is spelled so that an index of 0002_directories.sql serves it. */
static int build_where(req *r, const dir_kind *k, industry_set *ind, struct qb *q, char *why, size_t whycap)
{
    q->len = 0;
    q->np = 0;
    q->where[0] = 0;
    qb_add(q, " WHERE 1", NULL, NULL);
    for (const struct dir_filter *df = k->filters; df->param; df++) {
        const char *v = req_query(r, df->param);
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
                    const char *cat = !strcmp(tok, "重点") ? "key" : !strcmp(tok, "一般") ? "general" : tok;
                    if (strcmp(cat, "key") && strcmp(cat, "general")) {
                        snprintf(why, whycap, "筛选条件 category 应为 key/重点 或 general/一般");
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
            long long n = strtoll(v, &end, 10);
            if (*end || n < 0) {
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
    const char *text = req_query(r, "q");
    if (text && *text) {
        if (strlen(text) > 200) {
            snprintf(why, whycap, "搜索词过长");
            return -1;
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
static int build_order(req *r, const dir_kind *k, char *out, size_t cap, char *why, size_t whycap)
{
    const char *sort = req_query(r, "sort"), *order = req_query(r, "order");
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

static int need_industries(const dir_kind *k)
{
    return k->with_category;
}

/* ---- handlers ----------------------------------------------------------------------------------- */

static int parse_page(const char *s, long long dflt, long long max, long long *out)
{
    if (!s || !*s) { *out = dflt; return 0; }
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 1 || v > max) return -1;
    *out = v;
    return 0;
}

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
static char *list_key(req *r, const dir_kind *k, int reveal)
{
    static const char *const fixed[] = {"page", "per_page", "sort", "order", "q", NULL};
    struct kbuf b = {0};
    char head[96];
    snprintf(head, sizeof head, "list:%d:%lld:", reveal, r->w->rules_gen);
    kb_add(&b, head);
    kb_value(&b, k->table);
    for (const char *const *p = fixed; *p; p++) kb_value(&b, req_query(r, *p));
    for (const struct dir_filter *df = k->filters; df->param; df++) kb_value(&b, req_query(r, df->param));
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

static void reply_cached(void *arg, const char *data, size_t len)
{
    reply_bytes(arg, 200, "application/json; charset=utf-8", data, len);
}

static void read_count(void *arg, const char *data, size_t len)
{
    (void)len;
    *(long long *)arg = atoll(data);
}

/* The list path. A page is kept in the reply cache (worker.h) until the next commit, so the same
 * page asked again is a lookup and a copy; the total of a filter is kept the same way, so paging
 * through a large directory counts its rows once. */
int dir_list(req *r, const dir_kind *k)
{
    industry_set *ind = NULL;
    struct qb *q = calloc(1, sizeof *q);
    char why[256], order[256], *err = NULL;
    char *sql = NULL, *key = NULL, *ckey = NULL;
    sqlite3_stmt *st = NULL;
    json_t *rows = NULL;
    long long page, per_page;
    int reveal = req_has_role(r, ROLE_ADMIN);
    unsigned long long epoch = r->w->epoch;
    if (!q) return reply_error(r, 500, "internal", "内存不足");
    if (parse_page(req_query(r, "page"), 1, 1000000000LL, &page) ||
        parse_page(req_query(r, "per_page"), 50, 500, &per_page)) {
        reply_error(r, 400, "bad_request", "page 应为正整数，per_page 应在 1–500 之间");
        goto done;
    }
    key = list_key(r, k, reveal);
    if (key && worker_cache_use(key, epoch, reply_cached, r)) goto done;
    if (need_industries(k)) {
        ind = malloc(sizeof *ind);
        if (!ind || industries_load(r->w->lua, ind, &err) != 0) {
            fprintf(stderr, "spotcheck: categories rule: %s\n", err ? err : "out of memory");
            reply_error(r, 500, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "内存不足");
            goto done;
        }
    }
    if (build_where(r, k, ind, q, why, sizeof why) || build_order(r, k, order, sizeof order, why, sizeof why)) {
        reply_error(r, 400, "bad_request", "%s", why);
        goto done;
    }
    sql = xprintf("SELECT count(*) FROM %s%s", k->table, q->where);
    ckey = count_key(sql, q);
    long long total = -1;
    if (!ckey || !worker_cache_use(ckey, epoch, read_count, &total) || total < 0) {
        if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1) ||
            sqlite3_step(st) != SQLITE_ROW) {
            reply_db_error(r, xprintf("count: %s", sqlite3_errmsg(r->db)));
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
    sql = xprintf("SELECT * FROM %s%s%s LIMIT %lld OFFSET %lld", k->table, q->where, order, per_page,
                  (page - 1) * per_page);
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1) ||
        !(rows = stmt_rows(st))) {
        reply_db_error(r, xprintf("list: %s", sqlite3_errmsg(r->db)));
        goto done;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) row_api(k, row, reveal, ind);
    reply_json(r, 200, json_pack("{sI sI sI so}", "total", (json_int_t)total, "page", (json_int_t)page,
                                 "per_page", (json_int_t)per_page, "items", rows));
    if (key && r->status == 200) worker_cache_put(key, epoch, r->reply, r->reply_len);
done:
    sqlite3_finalize(st);
    free(sql);
    free(key);
    free(ckey);
    if (q) qb_free(q);
    free(q);
    free(ind);
    free(err);
    return 0;
}

/* Appends one CSV field (quoted when needed) to a growing buffer. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static int sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int sb_field(struct sbuf *b, const char *s, int first)
{
    if (!first && sb_put(b, ",", 1)) return -1;
    if (!strpbrk(s, ",\"\r\n")) return sb_put(b, s, strlen(s));
    if (sb_put(b, "\"", 1)) return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && sb_put(b, "\"\"", 2)) || (*p != '"' && sb_put(b, p, 1))) return -1;
    return sb_put(b, "\"", 1);
}

int dir_export(req *r, const dir_kind *k, const char *filename)
{
    industry_set *ind = NULL;
    struct qb *q = calloc(1, sizeof *q);
    char why[256], order[256], *err = NULL, *sql = NULL;
    sqlite3_stmt *st = NULL;
    struct sbuf b = {0};
    int reveal = req_has_role(r, ROLE_ADMIN);
    if (!q) return reply_error(r, 500, "internal", "内存不足");
    if (need_industries(k)) {
        ind = malloc(sizeof *ind);
        if (!ind || industries_load(r->w->lua, ind, &err) != 0) {
            reply_error(r, 500, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "内存不足");
            goto done;
        }
    }
    if (build_where(r, k, ind, q, why, sizeof why) || build_order(r, k, order, sizeof order, why, sizeof why)) {
        reply_error(r, 400, "bad_request", "%s", why);
        goto done;
    }
    int nf = 0;
    const char *cols[DIR_MAX_FIELDS];
    sb_put(&b, "\xEF\xBB\xBF", 3); /* BOM: Excel reads the file as UTF-8 */
    for (const vfield *f = k->fields; f->name; f++, nf++) {
        cols[nf] = f->name;
        sb_field(&b, f->label, nf == 0);
    }
    if (k->with_category) sb_field(&b, "类别", 0);
    sb_put(&b, "\r\n", 2);
    sql = xprintf("SELECT * FROM %s%s%s", k->table, q->where, order);
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK || bind_params(st, q, 1)) {
        reply_db_error(r, xprintf("export: %s", sqlite3_errmsg(r->db)));
        goto done;
    }
    int idx[DIR_MAX_FIELDS], ind_col = -1;
    for (int i = 0; i < nf; i++) {
        idx[i] = -1;
        for (int c = 0; c < sqlite3_column_count(st); c++)
            if (!strcmp(sqlite3_column_name(st, c), cols[i])) idx[i] = c;
        if (!strcmp(cols[i], "industry")) ind_col = idx[i];
    }
    int rc;
    char disp[DIR_VALUE_MAX];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < nf; i++) {
            const vfield *f = &k->fields[i];
            const char *v = idx[i] >= 0 ? (const char *)sqlite3_column_text(st, idx[i]) : "";
            if (f->type == VF_IDNO && !reveal) {
                char m[19];
                idno_mask(v, m);
                snprintf(disp, sizeof disp, "%s", m);
            } else {
                vf_display(f, v, disp, sizeof disp);
            }
            if (sb_field(&b, disp, i == 0)) goto oom;
        }
        if (k->with_category) {
            const char *c = industry_category(ind, ind_col >= 0 ? (const char *)sqlite3_column_text(st, ind_col) : "");
            sb_field(&b, c ? (!strcmp(c, "key") ? "重点" : "一般") : "", 0);
        }
        if (sb_put(&b, "\r\n", 2)) goto oom;
    }
    if (rc != SQLITE_DONE) {
        reply_db_error(r, xprintf("export: %s", sqlite3_errmsg(r->db)));
        goto done;
    }
    char disp_name[128];
    snprintf(disp_name, sizeof disp_name, "attachment; filename=\"%s\"", filename);
    reply_header(r, "Content-Disposition", disp_name);
    reply_bytes(r, 200, "text/csv; charset=utf-8", b.p, b.len);
    goto done;
oom:
    reply_error(r, 500, "internal", "内存不足");
done:
    sqlite3_finalize(st);
    free(sql);
    free(b.p);
    if (q) qb_free(q);
    free(q);
    free(ind);
    free(err);
    return 0;
}

/* Finds the row id for the {id} path parameter: a numeric id or the alternative key. -1 if none. */
static long long resolve_id(req *r, const dir_kind *k)
{
    long long id = req_param_id(r, 0);
    if (id > 0) {
        char *sql = xprintf("SELECT id FROM %s WHERE id = ?", k->table);
        long long v = db_int(r->db, NULL, -1, sql, "i", id);
        free(sql);
        if (v > 0) return v; /* else an all-digit key such as a 执法证号 */
    }
    if (r->nparams < 1 || strlen(r->params[0]) > 64) return -1;
    char *sql = xprintf("SELECT id FROM %s WHERE %s IN (?1, upper(?1))", k->table, k->alt_key);
    long long v = db_int(r->db, NULL, -1, sql, "s", r->params[0]);
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

int dir_get(req *r, const dir_kind *k)
{
    long long id = resolve_id(r, k);
    if (id < 0) return reply_error(r, 404, "not_found", "没有这个%s：%s", k->what, r->nparams ? r->params[0] : "");
    char *err = NULL;
    json_t *row = load_row(r->db, k, id, &err);
    if (!row) return reply_db_error(r, err);
    industry_set ind;
    int have_ind = 0;
    if (k->with_category) {
        if (industries_load(r->w->lua, &ind, &err) == 0) have_ind = 1;
        else { free(err); err = NULL; }
        /* the rule's reason and clause for this unit's category */
        json_t *args = json_pack("[O]", json_object_get(row, "industry")), *ret = NULL;
        if (args && lh_call(r->w->lua, "categories", "category", args, &ret, &err) == 0) {
            json_object_set(row, "category_reason", json_array_get(ret, 1) ? json_array_get(ret, 1) : json_null());
            json_object_set(row, "category_clause", json_array_get(ret, 2) ? json_array_get(ret, 2) : json_null());
        }
        free(err);
        err = NULL;
        json_decref(args);
        json_decref(ret);
    }
    row_api(k, row, req_has_role(r, ROLE_ADMIN), have_ind ? &ind : NULL);
    char *sql = xprintf("SELECT count(*) FROM %s WHERE %s = ?", k->history, k->history_fk);
    json_object_set_new(row, "history_count", json_integer(db_int(r->db, NULL, 0, sql, "i", id)));
    free(sql);
    return reply_json(r, 200, row);
}

int dir_history(req *r, const dir_kind *k)
{
    long long id = resolve_id(r, k);
    if (id < 0) return reply_error(r, 404, "not_found", "没有这个%s", k->what);
    char *err = NULL;
    char *sql = xprintf("SELECT id, version, at, actor, source, changes, previous FROM %s WHERE %s = ? "
                        "ORDER BY version DESC, id DESC", k->history, k->history_fk);
    json_t *rows = db_rows(r->db, &err, sql, "i", id);
    free(sql);
    if (!rows) return reply_db_error(r, err);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *c = json_loads(json_string_value(json_object_get(row, "changes")), 0, NULL);
        json_t *p = json_loads(json_string_value(json_object_get(row, "previous")), 0, NULL);
        json_object_set_new(row, "changes", c ? c : json_object());
        json_object_set_new(row, "previous", p ? p : json_object());
    }
    json_t *cur = load_row(r->db, k, id, &err);
    free(err);
    long long version = cur ? json_integer_value(json_object_get(cur, "version")) : 0;
    json_decref(cur);
    return reply_json(r, 200, json_pack("{sI sI so}", "id", (json_int_t)id, "version", (json_int_t)version,
                                        "history", rows));
}

/* Reads and validates the JSON body into vals (NULL = absent). Returns 0, or replies and returns -1.
 * create: every required field must be present. */
static int read_body(req *r, const dir_kind *k, industry_set *ind, char (*store)[DIR_VALUE_MAX],
                     const char **vals, int create)
{
    if (req_require_object(r)) return -1;
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v) {
        if (dir_field_index(k, key) < 0 && strcmp(key, "id") && strcmp(key, "version")) {
            reply_error(r, 400, "unknown_field", "未知字段：%.60s", key);
            return -1;
        }
    }
    char text[DIR_VALUE_MAX], why[512];
    for (int i = 0; k->fields[i].name; i++) {
        const vfield *f = &k->fields[i];
        vals[i] = NULL;
        v = json_object_get(r->json, f->name);
        if (!v) {
            if (create && f->required) {
                reply_error(r, 422, "invalid", "%s（%s）：不能为空", f->label, f->name);
                return -1;
            }
            continue;
        }
        if (vf_json_text(v, text, sizeof text) != 0) {
            reply_error(r, 422, "invalid", "%s（%s）：类型或长度无效", f->label, f->name);
            return -1;
        }
        if (vf_normalize(f, text, store[i], DIR_VALUE_MAX, ind, NULL, why, sizeof why) != 0) {
            reply_error(r, 422, "invalid", "%s（%s）：%s", f->label, f->name, why);
            return -1;
        }
        vals[i] = store[i];
    }
    return 0;
}

/* Audit object "enterprise:<uscc>" from stored values. */
static char *audit_object(const dir_kind *k, sqlite3 *db, long long id)
{
    char *sql = xprintf("SELECT %s FROM %s WHERE id = ?", k->audit_key, k->table);
    char *v = db_text(db, NULL, sql, "i", id);
    free(sql);
    char *o = xprintf("%s:%s", k->audit_name, v ? v : "?");
    free(v);
    return o;
}

int dir_create(req *r, const dir_kind *k)
{
    industry_set *ind = malloc(sizeof *ind);
    char (*store)[DIR_VALUE_MAX] = calloc(DIR_MAX_FIELDS, DIR_VALUE_MAX);
    const char *vals[DIR_MAX_FIELDS];
    char *err = NULL, *sql = NULL, *obj = NULL;
    sqlite3_stmt *st = NULL;
    json_t *details = NULL;
    if (!ind || !store) {
        reply_error(r, 500, "internal", "内存不足");
        goto done;
    }
    if (industries_load(r->w->lua, ind, &err) != 0) {
        reply_error(r, 500, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "");
        goto done;
    }
    if (read_body(r, k, ind, store, vals, 1)) goto done;
    if (db_begin(r->db, &err) != 0) {
        reply_db_error(r, err);
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
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        reply_db_error(r, xprintf("prepare: %s", sqlite3_errmsg(r->db)));
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
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT) {
        const char *m = sqlite3_errmsg(r->db);
        db_rollback(r->db);
        reply_error(r, 409, "conflict", "%s已存在（%s）", k->what,
                    strstr(m, "cert_no") ? "执法证号重复" : strstr(m, "id_number") ? "身份证号重复" : "统一社会信用代码重复");
        goto done;
    }
    if (rc != SQLITE_DONE) {
        reply_db_error(r, xprintf("insert: %s", sqlite3_errmsg(r->db)));
        goto done;
    }
    long long id = sqlite3_last_insert_rowid(r->db);
    json_object_set_new(details, "id", json_integer(id));
    obj = audit_object(k, r->db, id);
    char action[64];
    snprintf(action, sizeof action, "%s.create", k->audit_name);
    if (audit_log(r->db, req_actor(r), action, obj, details, &err) != 0 || db_commit(r->db, &err) != 0) {
        reply_db_error(r, err);
        err = NULL;
        goto done;
    }
    json_t *row = load_row(r->db, k, id, &err);
    if (!row) {
        reply_db_error(r, err);
        err = NULL;
        goto done;
    }
    row_api(k, row, req_has_role(r, ROLE_ADMIN), ind);
    reply_json(r, 201, row);
done:
    sqlite3_finalize(st);
    json_decref(details);
    free(sql);
    free(obj);
    free(err);
    free(ind);
    free(store);
    return 0;
}

int dir_update_row(sqlite3 *db, const dir_kind *k, long long id, const char *const *vals,
                   const char *actor, const char *source, json_t **changes, char **err)
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
        if (f->type != VF_BOOL && f->type != VF_TAGS && f->type != VF_IDNO) continue;
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

int dir_update(req *r, const dir_kind *k)
{
    industry_set *ind = malloc(sizeof *ind);
    char (*store)[DIR_VALUE_MAX] = calloc(DIR_MAX_FIELDS, DIR_VALUE_MAX);
    const char *vals[DIR_MAX_FIELDS];
    char *err = NULL, *obj = NULL;
    json_t *changes = NULL;
    if (!ind || !store) {
        reply_error(r, 500, "internal", "内存不足");
        goto done;
    }
    long long id = resolve_id(r, k);
    if (id < 0) {
        reply_error(r, 404, "not_found", "没有这个%s", k->what);
        goto done;
    }
    if (industries_load(r->w->lua, ind, &err) != 0) {
        reply_error(r, 500, "rule_error", "规则 categories.lua 调用失败：%s", err ? err : "");
        goto done;
    }
    if (read_body(r, k, ind, store, vals, 0)) goto done;
    json_t *ver = json_object_get(r->json, "version");
    if (db_begin(r->db, &err) != 0) {
        reply_db_error(r, err);
        err = NULL;
        goto done;
    }
    if (ver) {
        char *sql = xprintf("SELECT version FROM %s WHERE id = ?", k->table);
        long long cur = db_int(r->db, NULL, -1, sql, "i", id);
        free(sql);
        if (!json_is_integer(ver) || json_integer_value(ver) != cur) {
            db_rollback(r->db);
            reply_error(r, 409, "stale", "该记录已被他人修改（当前版本 %lld），请刷新后重试", cur);
            goto done;
        }
    }
    int rc = dir_update_row(r->db, k, id, vals, req_actor(r), "api", &changes, &err);
    if (rc == -2) {
        db_rollback(r->db);
        reply_error(r, 409, "conflict", "%s", err);
        goto done;
    }
    if (rc < 0) {
        reply_db_error(r, err);
        err = NULL;
        goto done;
    }
    if (rc == 1) {
        obj = audit_object(k, r->db, id);
        char action[64];
        snprintf(action, sizeof action, "%s.update", k->audit_name);
        json_t *d = json_pack("{sI sO}", "id", (json_int_t)id, "changes", changes);
        int arc = audit_log(r->db, req_actor(r), action, obj, d, &err);
        json_decref(d);
        if (arc != 0 || db_commit(r->db, &err) != 0) {
            reply_db_error(r, err);
            err = NULL;
            goto done;
        }
    } else {
        db_rollback(r->db);
    }
    json_t *row = load_row(r->db, k, id, &err);
    if (!row) {
        reply_db_error(r, err);
        err = NULL;
        goto done;
    }
    row_api(k, row, req_has_role(r, ROLE_ADMIN), ind);
    json_object_set_new(row, "changes", changes ? changes : json_object());
    changes = NULL;
    reply_json(r, 200, row);
done:
    json_decref(changes);
    free(obj);
    free(err);
    free(ind);
    free(store);
    return 0;
}

int dir_import(req *r, const dir_kind *k)
{
    const char *ct = req_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "text/csv", 8) && strncasecmp(ct, "text/plain", 10) &&
        strncasecmp(ct, "application/octet-stream", 24) && strncasecmp(ct, "application/vnd.ms-excel", 24))
        return reply_error(r, 415, "unsupported_media_type", "请以 text/csv 上传 CSV 文件");
    if (!r->body_len) return reply_error(r, 400, "bad_request", "文件为空");
    json_t *result = NULL;
    char *err = NULL;
    int rc = csv_import(r->db, r->w->lua, k, r->body, r->body_len, req_actor(r), &result, &err);
    if (rc == 1) {
        reply_error(r, 422, "invalid_file", "%s", err ? err : "文件无法导入");
        free(err);
        return 0;
    }
    if (rc < 0) return reply_db_error(r, err);
    return reply_json(r, 200, result);
}

static int h_list(req *r) { return dir_list(r, &enterprise_kind); }
static int h_export(req *r) { return dir_export(r, &enterprise_kind, "enterprises.csv"); }
static int h_get(req *r) { return dir_get(r, &enterprise_kind); }
static int h_create(req *r) { return dir_create(r, &enterprise_kind); }
static int h_update(req *r) { return dir_update(r, &enterprise_kind); }
static int h_history(req *r) { return dir_history(r, &enterprise_kind); }
static int h_import(req *r) { return dir_import(r, &enterprise_kind); }

/* Specific paths before {id}: the router takes the first match. */
const struct route enterprise_routes[] = {
    {"GET", "/api/enterprises", ROLE_STAFF, h_list},
    {"POST", "/api/enterprises", ROLE_ADMIN | ROLE_PLANNER, h_create},
    {"GET", "/api/enterprises/export", ROLE_STAFF, h_export},
    {"POST", "/api/enterprises/import", ROLE_ADMIN | ROLE_PLANNER, h_import},
    {"GET", "/api/enterprises/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/enterprises/{id}", ROLE_ADMIN | ROLE_PLANNER, h_update},
    {"GET", "/api/enterprises/{id}/history", ROLE_STAFF, h_history},
    {0},
};
