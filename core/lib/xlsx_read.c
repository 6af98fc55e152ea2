/* xlsx_read.c: the .xlsx reader: libzip opens the archive from memory, expat parses the parts as
 * they are inflated (never a whole part in memory), under one budget of inflated bytes for the
 * file. A DTD is refused at its start, so no entity can be declared, let alone expanded. Reads
 * xl/workbook.xml and its relationships for the first sheet, xl/sharedStrings.xml and
 * xl/styles.xml (which cells are dates) when present. */
#define _GNU_SOURCE
#include "xlsx.h"
#include "buf.h"
#include "err.h"

#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define CELL_MAX 65536          /* bytes of text in one cell */
#define CHUNK 65536

/* ---- the parse of one part ---------------------------------------------------------------------- */

struct rd {
    XML_Parser xp;
    char *err;                  /* first failure (Chinese), stops everything */
    size_t budget;              /* inflated bytes left for the whole file */
    const char *part;           /* the part being parsed, for messages */

    /* workbook.xml / workbook.xml.rels */
    char *sheet_rid;
    char *sheet_target;

    /* sharedStrings.xml */
    char **sst;
    size_t nsst, capsst;
    int in_si, in_rph, in_t;

    /* styles.xml */
    int in_numfmts, in_cellxfs;
    int custom_ids[256];        /* numFmtId of each custom date format */
    int ncustom;
    unsigned char *xf_date;     /* per cellXfs index: 1 when its number format is a date */
    size_t nxf, capxf;

    /* the sheet */
    int in_v, in_is, cell_open;
    long row_line, last_line;
    int col, cell_type, cell_style;   /* cell_type: 0 n, 's' shared, 'b' bool, 'i' inline/str/e */
    spot_buf cur;               /* text of the current <v> or <t> */
    char *cells[XLSX_MAX_COLS];
    int ncells;
    xlsx_sheet *sheet;
    size_t caprows;
};

static void fail(struct rd *r, char *m)
{
    if (!r->err) r->err = m ? m : xprintf("内存不足");
    else free(m);
    XML_StopParser(r->xp, XML_FALSE);
}

static const char *attr(const char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (!strcmp(a[0], name)) return a[1];
    return NULL;
}

/* The local name of a possibly prefixed element name ("x:row" -> "row"). */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    struct rd *r = ud;
    fail(r, xprintf("文件无法读取：%s 含有 DTD（不接受 DTD 与实体声明）", r->part));
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct rd *r = ud;
    int want = r->in_v || (r->in_t && !r->in_rph && (r->in_si || r->in_is));
    if (!want) return;
    if (r->cur.len + (size_t)len > CELL_MAX) {
        fail(r, xprintf("文件无法读取：第 %ld 行有超过 %d 字节的单元格", r->row_line, CELL_MAX));
        return;
    }
    if (spot_buf_put(&r->cur, s, (size_t)len)) fail(r, NULL);
}

/* ---- workbook and relationships ---- */

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    if (r->sheet_rid || strcmp(local(name), "sheet")) return;
    for (; a[0]; a += 2) {
        const char *c = strrchr(a[0], ':');
        if (c && !strcmp(c, ":id") && !(r->sheet_rid = strdup(a[1]))) fail(r, NULL);
    }
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    if (r->sheet_target || strcmp(local(name), "Relationship")) return;
    const char *id = attr(a, "Id"), *target = attr(a, "Target");
    if (id && target && r->sheet_rid && !strcmp(id, r->sheet_rid)) {
        if (target[0] == '/') r->sheet_target = strdup(target + 1);
        else r->sheet_target = xprintf("xl/%s", target);
        if (!r->sheet_target) fail(r, NULL);
    }
}

/* ---- shared strings ---- */

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    (void)a;
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "si")) {
        r->in_si = 1;
        r->cur.len = 0;
        if (r->cur.p) r->cur.p[0] = 0;
    } else if (!strcmp(n, "rPh")) {
        r->in_rph = 1;
    } else if (!strcmp(n, "t")) {
        r->in_t = 1;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "t")) r->in_t = 0;
    else if (!strcmp(n, "rPh")) r->in_rph = 0;
    else if (!strcmp(n, "si") && r->in_si) {
        r->in_si = 0;
        if (r->nsst == r->capsst) {
            size_t cap = r->capsst ? r->capsst * 2 : 256;
            char **p = realloc(r->sst, cap * sizeof *p);
            if (!p) return fail(r, NULL);
            r->sst = p;
            r->capsst = cap;
        }
        if (!(r->sst[r->nsst] = strdup(r->cur.p ? r->cur.p : ""))) return fail(r, NULL);
        r->nsst++;
    }
}

/* ---- styles: which cell formats are dates ---- */

/* Whether an Excel number format code shows a date: y or d outside quoted text, escapes and
 * [sections] (colours, conditions, elapsed times). */
static int date_code(const char *code)
{
    int q = 0, br = 0;
    for (const char *p = code; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '"') q = !q;
        else if (!q && *p == '[') br = 1;
        else if (!q && *p == ']') br = 0;
        else if (!q && !br && strchr("yYdD", *p)) return 1;
    }
    return 0;
}

/* Built-in number formats that are dates (ECMA-376 18.8.30, and the CJK ones 27-36, 50-58). */
static int date_builtin(int id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

static void XMLCALL styles_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "numFmts")) r->in_numfmts = 1;
    else if (!strcmp(n, "cellXfs")) r->in_cellxfs = 1;
    else if (r->in_numfmts && !strcmp(n, "numFmt")) {
        const char *id = attr(a, "numFmtId"), *code = attr(a, "formatCode");
        if (id && code && date_code(code) && r->ncustom < 256) r->custom_ids[r->ncustom++] = atoi(id);
    } else if (r->in_cellxfs && !strcmp(n, "xf")) {
        const char *idtext = attr(a, "numFmtId");
        int id = idtext ? atoi(idtext) : 0, d = date_builtin(id);
        for (int i = 0; i < r->ncustom; i++)
            if (r->custom_ids[i] == id) d = 1;
        if (r->nxf == r->capxf) {
            size_t cap = r->capxf ? r->capxf * 2 : 64;
            unsigned char *p = realloc(r->xf_date, cap);
            if (!p) return fail(r, NULL);
            r->xf_date = p;
            r->capxf = cap;
        }
        r->xf_date[r->nxf++] = (unsigned char)d;
    }
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "numFmts")) r->in_numfmts = 0;
    else if (!strcmp(n, "cellXfs")) r->in_cellxfs = 0;
}

/* ---- the sheet ---- */

/* Column index (0-based) of a cell reference such as "AB12", or -1. */
static int ref_col(const char *ref)
{
    int c = 0, n = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++, n++) {
        c = c * 26 + (*ref - 'A' + 1);
        if (c > 16384) return -1;
    }
    return n ? c - 1 : -1;
}

/* Civil date of an Excel serial day number (1900 date system, serial >= 61). */
static void serial_date(long days, char out[64])
{
    /* days since 1970-01-01, then Howard Hinnant's civil_from_days */
    long z = days - 25569 + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(out, 64, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
}

/* The text of the finished cell (new string), or NULL on OOM. */
static char *cell_value(struct rd *r)
{
    const char *v = r->cur.p ? r->cur.p : "";
    if (r->cell_type == 's') {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (!*v || *end || i >= r->nsst) {
            fail(r, xprintf("文件无法读取：第 %ld 行引用了不存在的共享字符串", r->row_line));
            return NULL;
        }
        return strdup(r->sst[i]);
    }
    if (r->cell_type == 'b') return strdup(!strcmp(v, "1") ? "1" : "0");
    if (r->cell_type == 'i' || !*v) return strdup(v);
    char *end;
    double d = strtod(v, &end);
    if (*end || !isfinite(d)) return strdup(v);
    int is_date = r->cell_style >= 0 && (size_t)r->cell_style < r->nxf && r->xf_date[r->cell_style];
    if (is_date && d >= 61 && d < 2958466) {
        char buf[64];
        serial_date((long)floor(d), buf);
        return strdup(buf);
    }
    if (d == floor(d) && fabs(d) < 1e15) return xprintf("%lld", (long long)d);
    return strdup(v);
}

static void row_reset(struct rd *r)
{
    for (int i = 0; i < r->ncells; i++) {
        free(r->cells[i]);
        r->cells[i] = NULL;
    }
    r->ncells = 0;
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "row")) {
        const char *rn = attr(a, "r");
        long line = rn ? atol(rn) : r->last_line + 1;
        if (line <= r->last_line || line > 1048576) {
            fail(r, xprintf("文件无法读取：行号 %ld 不在递增的范围内", line));
            return;
        }
        r->row_line = line;
        r->col = 0;
        row_reset(r);
    } else if (!strcmp(n, "c")) {
        const char *ref = attr(a, "r"), *t = attr(a, "t"), *s = attr(a, "s");
        if (ref) r->col = ref_col(ref);
        if (r->col < 0) {
            fail(r, xprintf("文件无法读取：第 %ld 行的单元格引用“%.20s”无效", r->row_line, ref));
            return;
        }
        r->cell_type = !t || !strcmp(t, "n") ? 0 : !strcmp(t, "s") ? 's' : !strcmp(t, "b") ? 'b' : 'i';
        r->cell_style = s ? atoi(s) : -1;
        r->cell_open = 1;
        r->cur.len = 0;
        if (r->cur.p) r->cur.p[0] = 0;
    } else if (r->cell_open && !strcmp(n, "v")) {
        r->in_v = 1;
    } else if (r->cell_open && !strcmp(n, "is")) {
        r->in_is = 1;
    } else if (r->in_is && !strcmp(n, "t")) {
        r->in_t = 1;
    } else if (r->in_is && !strcmp(n, "rPh")) {
        r->in_rph = 1;
    }
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (!strcmp(n, "v")) r->in_v = 0;
    else if (!strcmp(n, "t")) r->in_t = 0;
    else if (!strcmp(n, "rPh")) r->in_rph = 0;
    else if (!strcmp(n, "is")) r->in_is = 0;
    else if (!strcmp(n, "c") && r->cell_open) {
        r->cell_open = 0;
        int col = r->col++;
        if (!r->cur.len) return;   /* an empty (formatted) cell */
        if (col >= XLSX_MAX_COLS) {
            fail(r, xprintf("文件无法读取：第 %ld 行第 %d 列有内容，超出了 %d 列", r->row_line, col + 1, XLSX_MAX_COLS));
            return;
        }
        char *v = cell_value(r);
        if (!v) return fail(r, NULL);
        if (!*v) {
            free(v);
            return;
        }
        for (int i = r->ncells; i <= col; i++) r->cells[i] = NULL;
        free(r->cells[col]);
        r->cells[col] = v;
        if (col + 1 > r->ncells) r->ncells = col + 1;
    } else if (!strcmp(n, "row")) {
        r->last_line = r->row_line;
        if (!r->ncells) return;
        xlsx_sheet *s = r->sheet;
        if ((size_t)s->nrows == r->caprows) {
            size_t cap = r->caprows ? r->caprows * 2 : 256;
            xlsx_row_in *p = realloc(s->rows, cap * sizeof *p);
            if (!p) return fail(r, NULL);
            s->rows = p;
            r->caprows = cap;
        }
        xlsx_row_in *row = &s->rows[s->nrows];
        row->line = r->row_line;
        row->ncells = r->ncells;
        row->cells = calloc((size_t)r->ncells, sizeof *row->cells);
        if (!row->cells) return fail(r, NULL);
        for (int i = 0; i < r->ncells; i++) {
            row->cells[i] = r->cells[i] ? r->cells[i] : strdup("");
            r->cells[i] = NULL;
            if (!row->cells[i]) {
                s->nrows++;
                return fail(r, NULL);
            }
        }
        r->ncells = 0;
        s->nrows++;
    }
}

/* Parses the part name of za with the handlers given, inflating at most r->budget bytes. Returns
 * 0, 1 when the part is absent (nothing done), -1 with r->err. */
static int parse_part(struct rd *r, zip_t *za, const char *name, XML_StartElementHandler st,
                      XML_EndElementHandler en, int required)
{
    zip_int64_t idx = zip_name_locate(za, name, 0);
    if (idx < 0) {
        if (!required) return 1;
        r->err = xprintf("不是有效的 .xlsx 文件：缺少 %s", name);
        return -1;
    }
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (!zf) {
        r->err = xprintf("不是有效的 .xlsx 文件：%s 无法解压（%s）", name, zip_strerror(za));
        return -1;
    }
    r->xp = XML_ParserCreate("UTF-8");
    if (!r->xp) {
        zip_fclose(zf);
        r->err = xprintf("内存不足");
        return -1;
    }
    r->part = name;
    XML_SetUserData(r->xp, r);
    XML_SetElementHandler(r->xp, st, en);
    XML_SetCharacterDataHandler(r->xp, on_text);
    XML_SetStartDoctypeDeclHandler(r->xp, on_doctype);
    char *buf = malloc(CHUNK);
    int rc = -1;
    if (!buf) {
        r->err = xprintf("内存不足");
        goto done;
    }
    for (;;) {
        zip_int64_t n = zip_fread(zf, buf, CHUNK);
        if (n < 0) {
            if (!r->err) r->err = xprintf("不是有效的 .xlsx 文件：%s 解压失败（%s）", name, zip_file_strerror(zf));
            goto done;
        }
        if ((size_t)n > r->budget) {
            if (!r->err) r->err = xprintf("文件解压后过大（超过上限），拒绝读取");
            goto done;
        }
        r->budget -= (size_t)n;
        if (XML_Parse(r->xp, buf, (int)n, n == 0) != XML_STATUS_OK) {
            if (!r->err)
                r->err = xprintf("不是有效的 .xlsx 文件：%s 第 %lu 行 XML 错误（%s）", name,
                             (unsigned long)XML_GetCurrentLineNumber(r->xp), XML_ErrorString(XML_GetErrorCode(r->xp)));
            goto done;
        }
        if (r->err) goto done;
        if (n == 0) break;
    }
    rc = 0;
done:
    free(buf);
    XML_ParserFree(r->xp);
    r->xp = NULL;
    zip_fclose(zf);
    return rc;
}

int xlsx_sniff(const char *data, size_t len)
{
    return len >= 4 && !memcmp(data, "PK\x03\x04", 4);
}

xlsx_sheet *xlsx_read(const char *data, size_t len, size_t max_bytes, char **err)
{
    struct rd r;
    memset(&r, 0, sizeof r);
    r.budget = max_bytes;
    zip_t *za = NULL;
    zip_error_t ze;
    zip_error_init(&ze);
    xlsx_sheet *out = NULL;
    r.sheet = calloc(1, sizeof *r.sheet);
    zip_source_t *src = r.sheet ? zip_source_buffer_create(data, len, 0, &ze) : NULL;
    if (!src) {
        r.err = xprintf("内存不足");
        goto done;
    }
    za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!za) {
        zip_source_free(src);
        r.err = xprintf("不是有效的 .xlsx 文件：无法作为 zip 打开（%s）", zip_error_strerror(&ze));
        goto done;
    }
    if (parse_part(&r, za, "xl/workbook.xml", wb_start, NULL, 1) != 0) goto done;
    if (!r.sheet_rid) {
        r.err = xprintf("不是有效的 .xlsx 文件：工作簿中没有工作表");
        goto done;
    }
    if (parse_part(&r, za, "xl/_rels/workbook.xml.rels", rels_start, NULL, 1) != 0) goto done;
    if (!r.sheet_target) {
        r.err = xprintf("不是有效的 .xlsx 文件：找不到第一个工作表");
        goto done;
    }
    if (parse_part(&r, za, "xl/sharedStrings.xml", sst_start, sst_end, 0) < 0) goto done;
    if (parse_part(&r, za, "xl/styles.xml", styles_start, styles_end, 0) < 0) goto done;
    r.cur.len = 0;
    r.in_t = r.in_rph = 0;
    if (parse_part(&r, za, r.sheet_target, sheet_start, sheet_end, 1) != 0) goto done;
    out = r.sheet;
    r.sheet = NULL;
done:
    if (za) zip_discard(za);
    zip_error_fini(&ze);
    row_reset(&r);
    for (size_t i = 0; i < r.nsst; i++) free(r.sst[i]);
    free(r.sst);
    free(r.xf_date);
    free(r.cur.p);
    free(r.sheet_rid);
    free(r.sheet_target);
    xlsx_sheet_free(r.sheet);
    if (!out) *err = r.err ? r.err : xprintf("文件无法读取");
    else free(r.err);
    return out;
}

void xlsx_sheet_free(xlsx_sheet *s)
{
    if (!s) return;
    for (long i = 0; i < s->nrows; i++) {
        for (int c = 0; c < s->rows[i].ncells; c++) free(s->rows[i].cells[c]);
        free(s->rows[i].cells);
    }
    free(s->rows);
    free(s);
}
