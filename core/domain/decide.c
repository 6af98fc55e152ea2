/* decide.c: see decide.h. */
#include "decide.h"
#include "clock.h"
#include "db.h"
#include "luahost.h"
#include "worker.h"

json_t *decide_call(spot_ctx *c, const char *rule, const char *fn, json_t *args, spot_err *e)
{
    json_t *ret = NULL;
    char *err = NULL;
    int rc = lh_call(c->w->lua, rule, fn, args, &ret, &err);
    json_decref(args);
    if (rc != 0) {
        spot_fail_rule(e, err);
        return NULL;
    }
    return ret;
}

json_t *decide_level(spot_ctx *c, const char *due_date, const char *today, spot_err *e)
{
    char now[16];
    if (!today) { clock_today(now); today = now; }
    json_t *ret = decide_call(c, "deadlines", "warning_level", json_pack("[ss]", due_date, today), e);
    if (!ret) return NULL;
    json_t *out = json_pack("{sO? sO? sO?}", "level", json_array_get(ret, 0), "reason", json_array_get(ret, 1),
                            "clause", json_array_get(ret, 2));
    json_decref(ret);
    return out;
}

json_t *decide_deadline(spot_ctx *c, const char *fn, const char *date, const char *today, spot_err *e)
{
    json_t *ret = decide_call(c, "deadlines", fn, json_pack("[s]", date), e);
    if (!ret) return NULL;
    json_t *d = json_array_get(ret, 0);
    const char *due = json_string_value(json_object_get(d, "date"));
    if (!due || !clock_valid_date(due)) {
        json_decref(ret);
        spot_fail_rule(e, xprintf("rules/deadlines.lua: %s 未返回有效日期", fn));
        return NULL;
    }
    json_t *out = json_pack("{ss sO? sO? sO? sO? ss}", "date", due, "days", json_object_get(d, "days"), "reason",
                            json_object_get(d, "reason"), "clause", json_object_get(d, "clause"), "warning",
                            json_object_get(d, "warning"), "rule_sha", worker_rule_sha(c->w, "deadlines"));
    json_decref(ret);
    json_t *lv = decide_level(c, json_string_value(json_object_get(out, "date")), today, e);
    if (!lv) { json_decref(out); return NULL; }
    json_object_set(out, "level", json_object_get(lv, "level"));
    json_object_set(out, "level_reason", json_object_get(lv, "reason"));
    json_decref(lv);
    return out;
}
