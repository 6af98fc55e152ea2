/* api_stats.c: statistics for leaders and the annual report over HTTP (SPEC §13). Domain:
 * core/domain/stats.c (definitions of every figure there). Plain GET lists, so that every figure
 * exports as JSON (and as the other list formats the server adds).
 *
 * Routes
 *   GET /api/stats?year=YYYY[&format=xlsx]         admin, head, auditor: every figure of the year
 *        (default: this year); format=xlsx: every figure as one sheet (分组, 项目, the counts, the
 *        problem-found rate and a note), the way a leader's report lists them.
 *   GET /api/stats/rows?year=&dim=&key=&problem=[&format=xlsx]   the checked units behind a figure
 *        (drill-down): dim all|org|township|industry|category|month|joint, key the figure's key,
 *        problem 0|1; format=xlsx: the same rows as a workbook.
 */
#include "api_stats.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "download.h"
#include "stats.h"
#include "xlsx.h"

/* The figures of the year as one sheet. */
static const struct xcol figure_cols[] = {
    {"group", "分组", XLSX_TEXT, NULL, NULL},
    {"key", "项目", XLSX_TEXT, NULL, NULL},
    {"units", "检查单位（户次）", XLSX_NUMBER, NULL, NULL},
    {"results", "已录入结果", XLSX_NUMBER, NULL, NULL},
    {"published", "已公示", XLSX_NUMBER, NULL, NULL},
    {"problems", "发现问题", XLSX_NUMBER, NULL, NULL},
    {"rate", "问题发现率", XLSX_TEXT, NULL, NULL},
    {"note", "说明", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

/* The units behind a figure. */
static const struct xcol row_cols[] = {
    {"task_id", "任务编号", XLSX_NUMBER, NULL, NULL},
    {"task_name", "任务", XLSX_TEXT, NULL, NULL},
    {"org", "牵头单位", XLSX_TEXT, NULL, NULL},
    {"start_date", "开始日期", XLSX_DATE, NULL, NULL},
    {"end_date", "结束日期", XLSX_DATE, NULL, NULL},
    {"uscc", "统一社会信用代码", XLSX_TEXT, NULL, NULL},
    {"name", "单位名称", XLSX_TEXT, NULL, NULL},
    {"township", "乡镇（街道）", XLSX_TEXT, NULL, NULL},
    {"industry", "行业", XLSX_TEXT, NULL, NULL},
    {"category_label", "检查结果", XLSX_TEXT, NULL, NULL},
    {"problem", "发现问题", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static json_t *pct(json_t *v)
{
    char b[32];
    snprintf(b, sizeof b, "%.1f%%", json_number_value(v) * 100.0);
    return json_string(b);
}

/* One sheet row: group, key and the figures of x (units, results, published, problems, rate). */
static void add_row(json_t *rows, const char *group, const char *key, json_t *x, const char *note)
{
    json_t *o = json_pack("{ss ss}", "group", group, "key", key && *key ? key : "（未填）");
    static const char *const nums[] = {"units", "results", "published", "problems", NULL};
    for (int i = 0; nums[i]; i++)
        if (json_object_get(x, nums[i])) json_object_set(o, nums[i], json_object_get(x, nums[i]));
    if (json_object_get(x, "problem_rate")) json_object_set_new(o, "rate", pct(json_object_get(x, "problem_rate")));
    if (note) json_object_set_new(o, "note", json_string(note));
    json_array_append_new(rows, o);
}

/* The figures of stats_year's reply v as sheet rows (new reference). */
static json_t *figure_rows(json_t *v)
{
    json_t *rows = json_array(), *t = json_object_get(v, "totals"), *x;
    size_t i;
    char note[256];
    snprintf(note, sizeof note, "已派发任务 %lld 个，其中联合检查任务 %lld 个、联合检查单位 %lld 户次",
             (long long)json_integer_value(json_object_get(t, "tasks")),
             (long long)json_integer_value(json_object_get(t, "joint_tasks")),
             (long long)json_integer_value(json_object_get(t, "joint_units")));
    add_row(rows, "总体", "全部", t, note);
    static const char *const groups[][2] = {
        {"by_org", "按检查机关（牵头单位）"}, {"by_township", "按乡镇（街道）"}, {"by_industry", "按行业"},
        {"by_category", "按检查结果类别"}, {"joint", "联合检查与单部门检查"},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        json_array_foreach(json_object_get(v, groups[g][0]), i, x) {
            const char *key = json_string_value(json_object_get(x, "key"));
            if (json_object_get(x, "label")) key = json_string_value(json_object_get(x, "label"));
            if (!strcmp(groups[g][0], "joint")) key = key && !strcmp(key, "joint") ? "联合检查" : "单部门检查";
            add_row(rows, groups[g][1], key, x, NULL);
        }
    json_array_foreach(json_object_get(v, "monthly"), i, x) {
        json_t *o = json_pack("{ss sO sO sO ss}", "group", "月度趋势", "key", json_object_get(x, "month"), "units",
                              json_object_get(x, "units"), "published", json_object_get(x, "published"), "problems",
                              json_object_get(x, "problems"), "note", "检查单位、发现问题按任务开始月份，公示按公示月份");
        if (o) json_array_append_new(rows, o);
    }
    json_t *od = json_object_get(v, "overdue");
    static const char *const overdue[][2] = {
        {"no_result", "任务已结束但未录入结果的单位"}, {"unpublished_past_due", "已过公示期限仍未公示的结果"},
        {"published_late", "逾期公示的结果"},
    };
    for (size_t k = 0; k < sizeof overdue / sizeof overdue[0]; k++) {
        json_t *o = json_pack("{ss ss sO}", "group", "逾期工作", "key", overdue[k][1], "units", json_object_get(od, overdue[k][0]));
        if (o) json_array_append_new(rows, o);
    }
    json_t *cov = json_object_get(v, "coverage");
    char ratio[32], floor_s[32];
    snprintf(ratio, sizeof ratio, "%.1f%%", json_number_value(json_object_get(cov, "ratio")) * 100.0);
    snprintf(floor_s, sizeof floor_s, "%.1f%%", json_number_value(json_object_get(cov, "floor")) * 100.0);
    snprintf(note, sizeof note, "名录库一般行业检查对象 %lld 户，年度应抽查不少于 %s（%lld 户），已抽查 %lld 户（%s），%s下限（第5.1.2条）",
             (long long)json_integer_value(json_object_get(cov, "general_units")), floor_s,
             (long long)json_integer_value(json_object_get(cov, "need")),
             (long long)json_integer_value(json_object_get(cov, "drawn")), ratio,
             json_is_true(json_object_get(cov, "met")) ? "已达到" : "尚未达到");
    json_t *o = json_pack("{ss ss sO ss}", "group", "一般行业检查对象覆盖", "key", "合计", "units",
                          json_object_get(cov, "drawn"), "note", note);
    if (o) json_array_append_new(rows, o);
    json_array_foreach(json_object_get(cov, "industries"), i, x) {
        snprintf(note, sizeof note, "名录 %lld 户", (long long)json_integer_value(json_object_get(x, "units")));
        o = json_pack("{ss sO sO ss}", "group", "一般行业检查对象覆盖", "key", json_object_get(x, "industry"), "units",
                      json_object_get(x, "drawn"), "note", note);
        if (o) json_array_append_new(rows, o);
    }
    return rows;
}

static int answer(req *r, json_t *v, const spot_err *e)
{
    return v ? reply_json(r, 200, v) : reply_err(r, e);
}

/* The year argument (default: this year in China). 0, or -1 when a 400 was sent. */
static int year_of(req *r, long long *year)
{
    char today[16];
    clock_today(today);
    return req_query_int(r, "year", 2000, 2100, atoi(today), year);
}

static int h_year(req *r)
{
    spot_err e;
    long long year;
    int fmt = req_format(r, 0);
    if (fmt < 0 || year_of(r, &year) != 0) return 0;
    json_t *v = stats_year(&r->ctx, year, &e);
    if (!v || fmt == FMT_JSON) return answer(r, v, &e);
    json_t *rows = figure_rows(v);
    char name[64];
    snprintf(name, sizeof name, "统计分析-%lld年", year);
    reply_items_xlsx(r, rows, figure_cols, "statistics", name);
    json_decref(rows);
    json_decref(v);
    return 0;
}

static int h_rows(req *r)
{
    spot_err e;
    long long year, problem;
    int fmt = req_format(r, 0);
    if (fmt < 0 || year_of(r, &year) != 0 || req_query_int(r, "problem", 0, 1, -1, &problem) != 0) return 0;
    json_t *v = stats_rows(&r->ctx, year, req_query(r, "dim"), req_query(r, "key"), problem, &e);
    if (!v || fmt == FMT_JSON) return answer(r, v, &e);
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(v, "rows"), i, x)   /* 是/否 and 未录入 as the page shows them */
    {
        json_object_set_new(x, "problem", json_boolean(json_is_true(json_object_get(x, "problem")) ||
                                                        json_integer_value(json_object_get(x, "problem")) > 0));
        if (!json_is_string(json_object_get(x, "category_label"))) json_object_set_new(x, "category_label", json_string("未录入"));
    }
    reply_items_xlsx(r, json_object_get(v, "rows"), row_cols, "statistics-rows", "统计明细");
    json_decref(v);
    return 0;
}

const struct route stats_routes[] = {
    {"GET", "/api/stats", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_year},
    {"GET", "/api/stats/rows", ROLE_ADMIN | ROLE_HEAD | ROLE_AUDITOR, h_rows},
    {0},
};
