/* xlsx.c: the .xlsx writer over libxlsxwriter (constant-memory mode, one sheet). The reader is in
 * xlsx_read.c. */
#define _GNU_SOURCE
#include "xlsx.h"
#include "err.h"
#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

struct xlsx_writer {
    char path[256];                 /* the temporary file the workbook is written to */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *date, *datetime;
    int ncols;
    int types[XLSX_MAX_COLS];
    double width[XLSX_MAX_COLS];    /* widest cell seen, in Excel character units */
    lxw_row_t row;                  /* next row to write */
};

/* Display width of UTF-8 text in Excel character units: a CJK character (3- or 4-byte sequence)
 * takes two, anything else one. */
static double text_width(const char *s)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80) w += 1;
        else if (*p >= 0xE0) w += 2.1;   /* lead byte of a 3- or 4-byte sequence */
        else if (*p >= 0xC0) w += 1;     /* lead byte of a 2-byte sequence */
    }
    return w;
}

xlsx_writer *xlsx_new(const char *sheet, char **err)
{
    xlsx_writer *x = calloc(1, sizeof *x);
    if (!x) {
        *err = xprintf("out of memory");
        return NULL;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(x->path, sizeof x->path, "%s/spotcheck-xlsx-XXXXXX", tmp);
    int fd = mkstemp(x->path);
    if (fd < 0) {
        *err = xprintf("xlsx: cannot create a temporary file in %s: %s", tmp, strerror(errno));
        free(x);
        return NULL;
    }
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)tmp};
    x->wb = workbook_new_opt(x->path, &opt);
    if (x->wb) x->ws = workbook_add_worksheet(x->wb, sheet);
    if (!x->wb || !x->ws) {
        *err = xprintf("xlsx: cannot start the workbook");
        xlsx_discard(x);
        return NULL;
    }
    x->bold = workbook_add_format(x->wb);
    format_set_bold(x->bold);
    x->date = workbook_add_format(x->wb);
    format_set_num_format(x->date, "yyyy-mm-dd");
    x->datetime = workbook_add_format(x->wb);
    format_set_num_format(x->datetime, "yyyy-mm-dd hh:mm:ss");
    return x;
}

int xlsx_header(xlsx_writer *x, int ncols, const char *const *labels, const int *types, char **err)
{
    if (ncols < 1 || ncols > XLSX_MAX_COLS || x->row != 0) {
        *err = xprintf("xlsx: bad header (%d columns)", ncols);
        return -1;
    }
    x->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        x->types[i] = types ? types[i] : XLSX_TEXT;
        x->width[i] = text_width(labels[i]);
        if (x->types[i] == XLSX_DATE && x->width[i] < 11) x->width[i] = 11;
        if (worksheet_write_string(x->ws, 0, (lxw_col_t)i, labels[i], x->bold) != LXW_NO_ERROR) {
            *err = xprintf("xlsx: cannot write the header");
            return -1;
        }
    }
    worksheet_freeze_panes(x->ws, 1, 0);
    x->row = 1;
    return 0;
}

/* Parses "YYYY-MM-DD" with an optional "[T ]HH:MM:SS" into *dt; returns 1 for a date, 2 for a
 * date-time, 0 when s is neither. A UTC time ("…Z", as the database keeps them) is shown in China
 * Standard Time (UTC+8), the bureau's clock, as its dates are. */
static int parse_date(const char *s, lxw_datetime *dt)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, m = 0;
    memset(dt, 0, sizeof *dt);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return 0;
    if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31) return 0;
    dt->year = y;
    dt->month = mo;
    dt->day = d;
    if (!s[10]) return 1;
    if ((s[10] != 'T' && s[10] != ' ') || sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3) return 0;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return 0;
    const char *rest = s + 11 + m;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++) {}
    if (*rest == 'Z' && !rest[1]) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
        time_t t = timegm(&tm) + CLOCK_BUREAU_UTC_OFFSET;
        gmtime_r(&t, &tm);
        y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday, h = tm.tm_hour, mi = tm.tm_min, sec = tm.tm_sec;
        if (y > 9999) return 0;
    } else if (*rest) {
        return 0;
    }
    dt->year = y;
    dt->month = mo;
    dt->day = d;
    dt->hour = h;
    dt->min = mi;
    dt->sec = sec;
    return 2;
}

int xlsx_row(xlsx_writer *x, const char *const *cells, char **err)
{
    lxw_error rc = LXW_NO_ERROR;
    for (int i = 0; i < x->ncols && rc == LXW_NO_ERROR; i++) {
        const char *v = cells[i];
        if (!v || !*v) continue;
        lxw_col_t col = (lxw_col_t)i;
        double w = text_width(v);
        lxw_datetime dt;
        int kind;
        char *end = NULL;
        if (x->types[i] == XLSX_DATE && (kind = parse_date(v, &dt)) != 0) {
            rc = worksheet_write_datetime(x->ws, x->row, col, &dt, kind == 1 ? x->date : x->datetime);
            w = kind == 1 ? 11 : 20;
        } else if (x->types[i] == XLSX_NUMBER && (errno = 0, strtoll(v, &end, 10), !errno && end && !*end)) {
            rc = worksheet_write_number(x->ws, x->row, col, strtod(v, NULL), NULL);
        } else {
            rc = worksheet_write_string(x->ws, x->row, col, v, NULL);
        }
        if (w > x->width[i]) x->width[i] = w;
    }
    if (rc != LXW_NO_ERROR) {
        *err = xprintf("xlsx: cannot write row %u: %s", (unsigned)x->row, lxw_strerror(rc));
        return -1;
    }
    x->row++;
    return 0;
}

char *xlsx_finish(xlsx_writer *x, size_t *len, char **err)
{
    char *buf = NULL;
    FILE *f = NULL;
    *len = 0;
    for (int i = 0; i < x->ncols; i++) {
        double w = x->width[i] + 2;
        if (w < 8) w = 8;
        if (w > 60) w = 60;
        worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, w, NULL);
    }
    lxw_error rc = workbook_close(x->wb);
    x->wb = NULL;
    if (rc != LXW_NO_ERROR) {
        *err = xprintf("xlsx: cannot close the workbook: %s", lxw_strerror(rc));
        goto done;
    }
    struct stat st;
    f = fopen(x->path, "rb");
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
        *err = xprintf("xlsx: cannot read the workbook back");
        goto done;
    }
    buf = malloc((size_t)st.st_size);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        *err = xprintf("xlsx: cannot read the workbook back");
        free(buf);
        buf = NULL;
        goto done;
    }
    *len = (size_t)st.st_size;
done:
    if (f) fclose(f);
    xlsx_discard(x);
    return buf;
}

void xlsx_discard(xlsx_writer *x)
{
    if (!x) return;
    if (x->wb) workbook_close(x->wb);   /* libxlsxwriter frees the workbook only by closing it */
    unlink(x->path);
    free(x);
}
