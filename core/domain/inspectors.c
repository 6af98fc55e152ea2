/* inspectors.c: the inspector directory's field table, filters and sorts on the directory engine. */
#include "inspectors.h"

const vfield inspector_fields[] = {
    {"id_number", "身份证号", VF_IDNO, 1, NULL, NULL, 18},
    {"name", "姓名", VF_TEXT, 1, NULL, NULL, 100},
    {"gender", "性别", VF_CHOICE, 0, V_GENDER, "", 8},
    {"phone", "联系方式", VF_PHONE, 0, NULL, "", 32},
    {"unit", "所在单位", VF_TEXT, 0, NULL, "", 200},
    {"title", "职务或职称", VF_TEXT, 0, NULL, "", 100},
    {"cert_no", "执法证号", VF_TEXT, 1, NULL, NULL, 64},
    {"cert_valid_until", "执法证有效期至", VF_DATE, 0, NULL, NULL, 10},
    {"expertise", "业务专长", VF_TAGS, 0, NULL, "[]", 1000},
    {"level", "层级", VF_CHOICE, 0, V_LEVEL, "county", 16},
    {"is_expert", "专家", VF_BOOL, 0, NULL, "0", 1},
    {"status", "状态", VF_CHOICE, 0, V_PERSON_STATUS, "active", 16},
    {NULL, NULL, 0, 0, NULL, NULL, 0},
};

static const struct dir_filter inspector_filters[] = {
    {"level", "level", DF_CHOICE},
    {"status", "status", DF_CHOICE},
    {"gender", "gender", DF_CHOICE},
    {"is_expert", "is_expert", DF_BOOL},
    {"unit", "unit", DF_IN},
    {"org_id", "org_id", DF_IN},
    {"expertise", "expertise", DF_TAG},
    {"cert_valid_on", "cert_valid_until", DF_DATE_MIN},
    {NULL, NULL, 0},
};

static const char *const inspector_search[] = {"name", "cert_no", "unit", NULL};
static const char *const inspector_sorts[] = {"id", "name", "cert_no", "unit", "level", "status",
                                              "cert_valid_until", "created_at", "updated_at", NULL};

static const char *const inspector_example[] = {
    "370322198001010011", "张三", "男", "13800000000", "高青县应急管理局", "科员", "37032200001", "2030-12-31", "",
    "县", "否", "在职",
};
_Static_assert(sizeof inspector_example / sizeof *inspector_example ==
               sizeof inspector_fields / sizeof *inspector_fields - 1, "one example per field");

const dir_kind inspector_kind = {
    "inspectors", "inspector_history", "inspector_id", "id_number", "cert_no", "inspector", "cert_no",
    "检查人员", inspector_fields, inspector_filters, inspector_search, inspector_sorts, 1, 0, NULL, inspector_example,
    "unit",
};
