/* api_auth.c: the session and account routes: parse the request, call the domain (auth.c), set the
 * session cookie and Retry-After headers, map its spot_err through reply_err. */
#include "api_auth.h"
#include "auth.h"
#include "orgs.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

/* Answers e; a throttled refusal also says when to come back. Returns 0. */
static int reply_auth_err(req *r, const spot_err *e)
{
    if (e->kind == SPOT_E_LIMIT) reply_header(r, "Retry-After", "900");
    return reply_err(r, e);
}

static int h_login(req *r)
{
    if (req_require_object(r)) return 0;
    const char *username = json_string_value(json_object_get(r->json, "username"));
    const char *password = json_string_value(json_object_get(r->json, "password"));
    if (!username || !password || strlen(username) > 64 || strlen(password) > 256)
        return reply_error(r, 400, "bad_request", "需要用户名和密码");
    spot_err e;
    char token[65];
    json_t *out = auth_login(&r->ctx, username, password, token, &e);
    if (!out) return reply_auth_err(r, &e);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "sid=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", token,
             spot_config.session_max, spot_config.secure_cookie ? "; Secure" : "");
    reply_header(r, "Set-Cookie", cookie);
    return reply_json(r, 200, out);
}

static int h_logout(req *r)
{
    char th[65];
    spot_err e;
    if (auth_cookie_token_hash(req_header(r, "Cookie"), th) && auth_logout(&r->ctx, th, &e) != 0)
        return reply_err(r, &e);
    reply_header(r, "Set-Cookie", "sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return reply_json(r, 200, json_pack("{sb}", "ok", 1));
}

static int h_me(req *r)
{
    char th[65], csrf[65] = "";
    user u;
    if (!auth_cookie_token_hash(req_header(r, "Cookie"), th) || auth_resolve(r->w, th, &u, csrf) != 1) csrf[0] = 0;
    json_t *org = orgs_get(&r->ctx, r->user->org_id, NULL);
    return reply_json(r, 200, json_pack("{sI ss ss ss ss? ss sb sI ss? so}", "id", (json_int_t)r->user->id,
                                        "username", r->user->username, "real_name", r->user->real_name, "role",
                                        role_name(r->user->role), "cert_no",
                                        r->user->cert_no[0] ? r->user->cert_no : NULL, "csrf", csrf,
                                        "must_change_password", r->user->must_change, "org_id",
                                        (json_int_t)r->user->org_id, "org_name",
                                        json_string_value(json_object_get(org, "name")),
                                        "org", org ? org : json_null()));
}

/* POST /api/me/password {"current","new"}: the owner changes their own password. The current
 * password is checked like a login (a wrong one counts toward the same throttle), so a session left
 * open cannot be turned into a takeover. The change ends the user's other sessions and clears
 * must_change_password; the audit record holds neither password. */
static int h_password(req *r)
{
    if (req_require_object(r)) return 0;
    static const char *const fields[] = {"current", "new", NULL};
    if (req_check_fields(r, r->json, fields)) return 0;
    const char *cur = json_string_value(json_object_get(r->json, "current"));
    const char *pw = json_string_value(json_object_get(r->json, "new"));
    if (!cur || !pw || strlen(cur) > 256) return reply_error(r, 400, "bad_request", "需要 current（当前密码）和 new（新密码）");
    char th[65];
    auth_cookie_token_hash(req_header(r, "Cookie"), th);
    spot_err e;
    json_t *out = auth_change_own_password(&r->ctx, cur, pw, th, &e);
    if (!out) return reply_auth_err(r, &e);
    return reply_json(r, 200, out);
}

static int h_users_list(req *r)
{
    spot_err e;
    json_t *rows = auth_users_list(&r->ctx, &e);
    return rows ? reply_json(r, 200, rows) : reply_err(r, &e);
}

static int h_users_create(req *r)
{
    if (req_require_object(r)) return 0;
    spot_err e;
    json_t *row = auth_user_create(&r->ctx, r->json, &e);
    return row ? reply_json(r, 201, row) : reply_err(r, &e);
}

static int h_users_update(req *r)
{
    if (req_require_object(r)) return 0;
    char th[65];
    auth_cookie_token_hash(req_header(r, "Cookie"), th);
    spot_err e;
    json_t *row = auth_user_update(&r->ctx, req_param_id(r, 0), r->json, th, &e);
    return row ? reply_json(r, 200, row) : reply_err(r, &e);
}

const struct route auth_routes[] = {
    {"POST", "/api/login", ROLE_PUBLIC, h_login},
    {"POST", "/api/logout", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_logout},
    {"GET", "/api/me", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_me},
    {"POST", "/api/me/password", ROLE_STAFF | ROUTE_BEFORE_PW_CHANGE, h_password},
    {"GET", "/api/users", ROLE_ADMIN, h_users_list},
    {"POST", "/api/users", ROLE_ADMIN, h_users_create},
    {"PUT", "/api/users/{id}", ROLE_ADMIN, h_users_update},
    {0},
};
