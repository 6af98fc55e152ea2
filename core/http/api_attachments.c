/* api_attachments.c: the archive of documents, photos, audio and video over HTTP (clause 9.2).
 *
 * Routes
 *   POST /api/results/{id}/attachments?name=FILE   raw body with its Content-Type; the result's own
 *        people: an inspector on that unit's team, heads (the executing unit's reviewers) and admins
 *        (403 for inspectors of other teams, planners and auditors). 201 {id, name, mime, size,
 *        sha256}. An empty body, a type off the allow-list or content that does not look like its
 *        type is refused (415/400); a body over spot_config.upload_max is refused with 413 by the
 *        server before any handler runs, so nothing is stored.
 *   POST /api/tasks/{id}/attachments?name=FILE     the same for the task itself, by its staff (an
 *        inspector on one of its teams, planners, heads) and admins.
 *   GET  /api/tasks/{id}/attachments               list (metadata) of the task's own attachments.
 *   GET  /api/attachments/{id}                     the content: of a result's attachment for the
 *        people who may file it and auditors; of a task's own attachment for its staff.
 */
#include "api_attachments.h"
#include "attachments.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the JSON parser of the server may have failed on a raw body declared as JSON: not our type anyway */
static int h_upload_result(req *r)
{
    spot_err e;
    json_t *v = attachments_upload_result(&r->ctx, req_param_id(r, 0), req_query(r, "name"),
                                          req_header(r, "Content-Type"), r->body, r->body_len, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

static int h_upload_task(req *r)
{
    spot_err e;
    json_t *v = attachments_upload_task(&r->ctx, req_param_id(r, 0), req_query(r, "name"),
                                        req_header(r, "Content-Type"), r->body, r->body_len, &e);
    return v ? reply_json(r, 201, v) : reply_err(r, &e);
}

static int h_list_task(req *r)
{
    spot_err e;
    json_t *v = attachments_of_task(&r->ctx, req_param_id(r, 0), &e);
    return v ? reply_json(r, 200, v) : reply_err(r, &e);
}

static int h_download(req *r)
{
    spot_err e;
    attachment_file f;
    if (attachments_fetch(&r->ctx, req_param_id(r, 0), &f, &e) != 0) return reply_err(r, &e);
    /* RFC 5987 percent-encoding of the stored name */
    size_t nl = strlen(f.name);
    char *enc = malloc(nl * 3 + 1), *p = enc;
    if (!enc) {
        attachment_file_free(&f);
        return reply_error(r, 500, "internal", "out of memory");
    }
    for (const unsigned char *s = (const unsigned char *)f.name; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-._~", *s))
            *p++ = (char)*s;
        else p += sprintf(p, "%%%02X", *s);
    }
    *p = 0;
    char *disp = xprintf("attachment; filename*=UTF-8''%s", enc);
    free(enc);
    reply_header(r, "Content-Disposition", disp);
    reply_header(r, "X-Content-SHA256", f.sha256);
    free(disp);
    int out = reply_bytes(r, 200, f.mime, f.data, f.len);
    attachment_file_free(&f);
    return out;
}

const struct route attachments_routes[] = {
    {"POST", "/api/results/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD | ROUTE_UPLOAD, h_upload_result},
    {"POST", "/api/tasks/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD | ROUTE_UPLOAD, h_upload_task},
    {"GET", "/api/tasks/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_list_task},
    {"GET", "/api/attachments/{id}", ROLE_STAFF, h_download},
    {0},
};
