/* api_teams.c: inspector teams over HTTP (clause 7.3; SPEC §4). Each handler parses the request,
 * calls teams.c and maps its spot_err through reply_err. The routes, roles and bodies are listed at
 * the top of teams.c.
 */
#include "api_teams.h"
#include "teams.h"
#include "download.h"
#include "xlsx.h"

#include <string.h>

/* Replies status with out (stolen) when rc is 0, else the error e. Returns 0. */
static int answer(req *r, int status, int rc, json_t *out, const spot_err *e)
{
    return rc == 0 ? reply_json(r, status, out) : reply_err(r, e);
}

static int h_draw(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = teams_draw(&r->ctx, req_param_id(r, 0), r->json, &out, &e);
    return answer(r, 201, rc, out, &e);
}

static const char *const TEAM_METHOD[] = {"random", "随机抽取", "appointed", "直接委派", NULL};

/* The columns of a task's teams as .xlsx (SPEC §13). */
static const struct xcol team_cols[] = {
    {"uscc", "统一社会信用代码", XLSX_TEXT, NULL, NULL},
    {"unit_name", "单位名称", XLSX_TEXT, NULL, NULL},
    {"inspectors", "检查人员（执法证号）", XLSX_TEXT, NULL, NULL},
    {"leader", "组长（执法证号）", XLSX_TEXT, NULL, NULL},
    {"method", "产生方式", XLSX_TEXT, NULL, TEAM_METHOD},
    {"reason", "说明", XLSX_TEXT, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static int h_get(req *r)
{
    int fmt = req_format(r, 0);
    if (fmt < 0) return 0;
    if (fmt == FMT_XLSX) {   /* every team, with the unit's name */
        teams_query all = {1, 1LL << 40, NULL, NULL, 0, 0};
        spot_err e;
        json_t *out = NULL;
        if (teams_get(&r->ctx, req_param_id(r, 0), &all, &out, &e) != 0) return reply_err(r, &e);
        reply_items_xlsx(r, json_object_get(out, "teams"), team_cols, "task-teams", "检查组");
        json_decref(out);
        return 0;
    }
    teams_query q = {0, 50, req_query(r, "q"), NULL, 0, 0};
    if (req_query(r, "page") && req_query_int(r, "page", 1, 1000000000LL, 1, &q.page) != 0) return 0;
    if (req_query_int(r, "per_page", 1, 200, 50, &q.per_page) != 0) return 0;
    const char *open = req_query(r, "open");
    if (open && !strcmp(open, "1")) {
        if (!q.page) q.page = 1;
        q.open = 1;
    }
    const char *unlinked = req_query(r, "unlinked");
    if (unlinked && !strcmp(unlinked, "1")) {
        if (!q.page) q.page = 1;
        q.unlinked = 1;
    }
    const char *mine = req_query(r, "mine");
    if (mine && !strcmp(mine, "1")) {
        if (!q.page) q.page = 1;
        q.cert = r->user ? r->user->cert_no : "";
    }
    if (q.q && strlen(q.q) > 200) return reply_error(r, 400, "bad_parameter", "q 不超过 200 字节");
    spot_err e;
    json_t *out = NULL;
    int rc = teams_get(&r->ctx, req_param_id(r, 0), &q, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_conflict(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = teams_conflict(&r->ctx, r->json, &out, &e);
    return answer(r, 201, rc, out, &e);
}

static int decide_conflict(req *r, int approve)
{
    spot_err e;
    json_t *out = NULL;
    int rc = teams_conflict_decide(&r->ctx, req_param_id(r, 0), approve, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_conflict_approve(req *r) { return decide_conflict(r, 1); }
static int h_conflict_reject(req *r) { return decide_conflict(r, 0); }

static int h_replace(req *r)
{
    spot_err e;
    json_t *out = NULL;
    int rc = teams_replace(&r->ctx, req_param_id(r, 0), r->params[1], r->json, &out, &e);
    return answer(r, 201, rc, out, &e);
}

static int decide(req *r, int approve)
{
    spot_err e;
    json_t *out = NULL;
    int rc = teams_replace_decide(&r->ctx, req_param_id(r, 0), r->params[1], req_param_id(r, 2), approve, r->json,
                                  &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_candidates(req *r)
{
    long long slot = -1;
    if (req_query(r, "slot") && req_query_int(r, "slot", 0, 1000, -1, &slot) != 0) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = teams_candidates(&r->ctx, req_param_id(r, 0), r->params[1], (json_int_t)slot, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_appoint(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *out = NULL;
    int rc = teams_appoint(&r->ctx, req_param_id(r, 0), r->params[1], r->json, &out, &e);
    return answer(r, 200, rc, out, &e);
}

static int h_approve(req *r) { return decide(r, 1); }
static int h_reject(req *r) { return decide(r, 0); }

const struct route teams_routes[] = {
    {"POST", "/api/tasks/{id}/teams", ROLE_ADMIN | ROLE_PLANNER, h_draw},
    {"GET", "/api/tasks/{id}/teams", ROLE_STAFF, h_get},
    {"POST", "/api/conflicts", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_INSPECTOR, h_conflict},
    {"POST", "/api/conflicts/{id}/approve", ROLE_HEAD, h_conflict_approve},
    {"POST", "/api/conflicts/{id}/reject", ROLE_HEAD, h_conflict_reject},
    {"POST", "/api/tasks/{id}/teams/{uscc}/replace", ROLE_ADMIN | ROLE_PLANNER, h_replace},
    {"POST", "/api/tasks/{id}/teams/{uscc}/replace/{rid}/approve", ROLE_HEAD, h_approve},
    {"POST", "/api/tasks/{id}/teams/{uscc}/replace/{rid}/reject", ROLE_HEAD, h_reject},
    {"GET", "/api/tasks/{id}/teams/{uscc}/candidates", ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, h_candidates},
    {"POST", "/api/tasks/{id}/teams/{uscc}/appoint", ROLE_HEAD, h_appoint},
    {0},
};
