/* enterprises.c: the enterprise directory's field table, filters and key lock on the directory
 * engine (directory.c). */
#include "enterprises.h"
#include "db.h"

#include <stdlib.h>

/* A unit that any draw or result refers to keeps its USCC: a finding published for it names it,
 * the frozen candidate lists and the dispatched units hold it. A merger or a new registration is a
 * new unit, not an edit of this one. */
static int uscc_locked(sqlite3 *db, long long id, const char **why, char **err)
{
    long long n = db_int(db, err, -1,
        "SELECT (SELECT count(*) FROM enterprises e WHERE e.id = ?1 AND ("
        "  EXISTS (SELECT 1 FROM task_units WHERE enterprise_id = ?1 OR uscc = e.uscc)"
        "  OR EXISTS (SELECT 1 FROM task_exclusions WHERE enterprise_id = ?1)"
        "  OR EXISTS (SELECT 1 FROM results WHERE uscc = e.uscc)"
        "  OR EXISTS (SELECT 1 FROM task_strata WHERE instr(CAST(candidates AS TEXT), e.uscc) > 0)))",
        "i", id);
    if (n < 0) return -1;
    *why = "该单位已进入抽查（候选名单、抽中名单或检查结果中有它的统一社会信用代码）；"
           "单位合并或重新登记请作为新单位录入";
    return n > 0;
}

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

static const char *const enterprise_example[] = {
    "91370322MA0000015K", "示例安全生产有限公司", "有限责任公司", "张三", "高青县示例路1号", "", "青城镇", "", "",
    "一般", "一般", "0", "否", "否", "否", "否", "正常",
};
_Static_assert(sizeof enterprise_example / sizeof *enterprise_example ==
               sizeof enterprise_fields / sizeof *enterprise_fields - 1, "one example per field");

const dir_kind enterprise_kind = {
    "enterprises", "enterprise_history", "enterprise_id", "uscc", "uscc", "enterprise", "uscc", "检查对象",
    enterprise_fields, enterprise_filters, enterprise_search, enterprise_sorts, 0, 1, uscc_locked, enterprise_example,
    NULL,
};
