/* api_items.c: HTTP for the item list: parses, calls domain/items.c, replies. */
#include "api_items.h"
#include "items.h"
#include "download.h"
#include "xlsx.h"

/* The columns of the item list as .xlsx; checkpoints[].text joins the texts of the checkpoints. */
static const struct xcol item_cols[] = {
    {"id", "编号", XLSX_NUMBER, NULL, NULL},
    {"name", "抽查事项", XLSX_TEXT, NULL, NULL},
    {"target", "检查对象", XLSX_TEXT, NULL, NULL},
    {"category", "事项类别", XLSX_TEXT, NULL, NULL},
    {"method", "检查方式", XLSX_TEXT, NULL, NULL},
    {"department", "检查部门", XLSX_TEXT, NULL, NULL},
    {"level", "实施层级", XLSX_TEXT, NULL, NULL},
    {"basis", "检查依据", XLSX_TEXT, NULL, NULL},
    {"checkpoints[].text", "检查要点", XLSX_TEXT, NULL, NULL},
    {"active", "在用", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

#include <string.h>

static int reply_or_err(req *r, int status, json_t *out, const spot_err *e)
{
    return out ? reply_json(r, status, out) : reply_err(r, e);
}

static int h_list(req *r)
{
    const char *a = req_query(r, "active");
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    spot_err e;
    json_t *v = items_list(&r->ctx, a && (!strcmp(a, "1") || !strcmp(a, "true")), &e);
    if (!v || fmt == FMT_JSON) return reply_or_err(r, 200, v, &e);
    reply_items_xlsx(r, json_object_get(v, "items"), item_cols, "items", "抽查事项清单");
    json_decref(v);
    return 0;
}

static int h_public(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, items_public(&r->ctx, &e), &e);
}

static int h_get(req *r)
{
    spot_err e;
    return reply_or_err(r, 200, items_get(&r->ctx, req_param_id(r, 0), &e), &e);
}

static int h_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 201, items_add(&r->ctx, r->json, &e), &e);
}

static int h_update(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    return reply_or_err(r, 200, items_update(&r->ctx, req_param_id(r, 0), r->json, &e), &e);
}

const struct route item_routes[] = {
    {"GET", "/api/items", ROLE_STAFF, h_list},
    {"POST", "/api/items", ROLE_ADMIN | ROLE_PLANNER, h_create},
    {"GET", "/api/items/{id}", ROLE_STAFF, h_get},
    {"PUT", "/api/items/{id}", ROLE_ADMIN | ROLE_PLANNER, h_update},
    {"GET", "/api/public/items", ROLE_PUBLIC, h_public},
    {0},
};
