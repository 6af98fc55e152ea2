/* api_console.c: POST /api/console {"code": "…"} -> {"ok", "output", "result"} (SPEC §5).
 *
 * Each request runs in a new console session (nothing persists between requests, so two
 * administrators never see each other's globals) with the server's Lua limits. The code is audited
 * (action "console.run", details with the code and its SHA-256) before it runs. A Lua error is not
 * an HTTP error: the reply is 200 with ok = false, "error" = "console:LINE: message" (first line),
 * "traceback" = the rest, and the output printed before the error. */
#include "api_console.h"
#include "adminapi.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_CODE_MAX (1 << 20)   /* bytes of code per request */

/* A JSON string of s (any bytes; invalid UTF-8 replaced). New reference; json null for NULL. */
static json_t *text(const char *s, size_t n)
{
    if (!s) return json_null();
    char *clean = adminapi_utf8(s, n, n);
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j ? j : json_string("");
}

static int h_console(req *r)
{
    if (req_require_object(r) != 0) return 0;
    json_t *jcode = json_object_get(r->json, "code");
    if (!json_is_string(jcode)) return reply_error(r, 400, "bad_request", "code 须为字符串（Lua 代码）");
    const char *code = json_string_value(jcode);
    size_t len = json_string_length(jcode);
    if (len > CONSOLE_CODE_MAX)
        return reply_error(r, 413, "too_large", "代码超过上限（%d 字节）", CONSOLE_CODE_MAX);
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v) {
        if (strcmp(k, "code")) return reply_error(r, 400, "bad_request", "未知字段：%s", k);
    }

    /* one request thread stays free of console code (luahost.h lh_gate_enter) */
    if (!lh_gate_enter(spot_config.threads - 1))
        return reply_error(r, 503, "busy", "服务器正在运行其他规则或脚本，请稍后重试");
    char *err = NULL;
    if (adminapi_audit(r->db, req_actor(r), "console.run", "console", "http", code, len, NULL, &err) != 0) {
        lh_gate_leave();
        fprintf(stderr, "spotcheck: console audit: %s\n", err);
        free(err);
        return reply_error(r, 500, "internal", "无法写入审计记录，代码未执行");
    }
    adminapi *a = adminapi_open(r->db, spot_config.db_path, &spot_config.lua, &err);
    if (!a) {
        lh_gate_leave();
        fprintf(stderr, "spotcheck: console session: %s\n", err);
        free(err);
        return reply_error(r, 500, "internal", "无法创建控制台沙箱");
    }
    char *out = NULL, *res = NULL;
    int rc = adminapi_run(a, code, len, &out, &res, &err);
    adminapi_close(a);
    lh_gate_leave();

    json_t *body = json_object();
    json_object_set_new(body, "ok", json_boolean(rc == 0));
    json_object_set_new(body, "output", text(out ? out : "", out ? strlen(out) : 0));
    json_object_set_new(body, "result", text(res, res ? strlen(res) : 0));
    if (rc != 0) {
        const char *msg = err ? err : "error";
        const char *nl = strchr(msg, '\n');
        json_object_set_new(body, "error", text(msg, nl ? (size_t)(nl - msg) : strlen(msg)));
        if (nl) json_object_set_new(body, "traceback", text(nl + 1, strlen(nl + 1)));
    }
    free(out);
    free(res);
    free(err);
    return reply_json(r, 200, body);
}

const struct route console_routes[] = {
    {"POST", "/api/console", ROLE_ADMIN | ROUTE_LUA, h_console},
    {0},
};
