/* attachments.c: archive of documents, photos, audio and video (clause 9.2).
 *
 * Routes
 *   POST /api/results/{id}/attachments?name=FILE   raw body with its Content-Type; staff of the task
 *        (an inspector on one of its teams, planners, heads) and admins. 201 {id, name, mime, size,
 *        sha256}. An empty body, a type off the allow-list or content that does not look like its
 *        type is refused (415/400); a body over spot_config.upload_max is refused with 413 by the
 *        server before any handler runs, so nothing is stored.
 *   POST /api/tasks/{id}/attachments?name=FILE     the same for the task itself.
 *   GET  /api/tasks/{id}/attachments               list (metadata) of the task's own attachments.
 *   GET  /api/attachments/{id}                     the content, for the same people.
 *
 * Content is kept in the database (a BLOB, written in the same transaction as its audit record,
 * whose details carry the SHA-256 and size); attachments are never changed or removed (triggers).
 */
#include "attachments.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "results.h"
#include "tasks.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#define NAME_MAX_BYTES 255

/* Accepted types, with the leading bytes the content must start with (NULL: any; text types must
 * be UTF-8). Archive formats of documents, photos, audio and video. */
static const struct {
    const char *mime;
    const char *magic;
    size_t magic_len;
    size_t magic_off;
} TYPES[] = {
    {"application/pdf", "%PDF-", 5, 0},
    {"image/jpeg", "\xff\xd8\xff", 3, 0},
    {"image/png", "\x89PNG\r\n\x1a\n", 8, 0},
    {"image/gif", "GIF8", 4, 0},
    {"image/webp", "WEBP", 4, 8},
    {"audio/mpeg", NULL, 0, 0},
    {"audio/mp4", "ftyp", 4, 4},
    {"audio/wav", "RIFF", 4, 0},
    {"audio/x-wav", "RIFF", 4, 0},
    {"audio/ogg", "OggS", 4, 0},
    {"video/mp4", "ftyp", 4, 4},
    {"video/quicktime", NULL, 0, 0},
    {"video/webm", "\x1a\x45\xdf\xa3", 4, 0},
    {"application/msword", "\xd0\xcf\x11\xe0", 4, 0},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04", 4, 0},
    {"application/vnd.ms-excel", "\xd0\xcf\x11\xe0", 4, 0},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04", 4, 0},
    {"application/ofd", "PK\x03\x04", 4, 0},
    {"text/plain", NULL, 0, 0},
};


json_t *attachments_list(sqlite3 *db, long long task_id, long long result_id, char **err)
{
    if (result_id > 0)
        return db_rows(db, err, "SELECT id, task_id, result_id, name, mime, size, sha256, uploaded_by, uploaded_at "
                                "FROM attachments WHERE result_id = ? ORDER BY id", "i", result_id);
    return db_rows(db, err, "SELECT id, task_id, result_id, name, mime, size, sha256, uploaded_by, uploaded_at "
                            "FROM attachments WHERE task_id = ? AND result_id IS NULL ORDER BY id", "i", task_id);
}

/* The allow-listed type of ct (parameters such as "; charset=" dropped) into out; index or -1. */
static int type_of(const char *ct, char *out, size_t cap)
{
    if (!ct) return -1;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    if (n >= cap) return -1;
    memcpy(out, ct, n);
    out[n] = 0;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (!strcasecmp(TYPES[i].mime, out)) {
            snprintf(out, cap, "%s", TYPES[i].mime);
            return (int)i;
        }
    return -1;
}

static int content_matches(int t, const char *body, size_t len)
{
    if (!strcmp(TYPES[t].mime, "text/plain")) return utf8_valid(body, len);
    if (!TYPES[t].magic) return 1;
    return len >= TYPES[t].magic_off + TYPES[t].magic_len &&
           !memcmp(body + TYPES[t].magic_off, TYPES[t].magic, TYPES[t].magic_len);
}

/* A file name fit for storage and a Content-Disposition header: UTF-8, no control characters,
 * quotes, slashes or backslashes, at most NAME_MAX_BYTES. */
static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n > NAME_MAX_BYTES || !utf8_valid(name, n)) return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '/' || *p == '\\') return 0;
    return strcmp(name, ".") && strcmp(name, "..");
}

static int upload(req *r, long long task_id, long long result_id)
{
    char *err = NULL;
    int staff = results_task_staff(r, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, &err);
    if (staff < 0) return reply_db_error(r, err);
    if (!staff) return reply_error(r, 403, "forbidden", "只有本任务的工作人员可以上传附件");
    const char *name = req_query(r, "name");
    if (!name_ok(name))
        return reply_error(r, 400, "bad_name", "需要文件名 ?name=（不超过 %d 字节，不含引号、斜杠和控制字符）", NAME_MAX_BYTES);
    if (!r->body_len) return reply_error(r, 400, "empty", "附件内容为空");
    char mime[128];
    int t = type_of(req_header(r, "Content-Type"), mime, sizeof mime);
    if (t < 0)
        return reply_error(r, 415, "unsupported_type", "不接受的文件类型：%s（可上传 PDF、Office 文档、图片、音频、视频和纯文本）",
                           req_header(r, "Content-Type") ? "该类型" : "未声明");
    if (!content_matches(t, r->body, r->body_len))
        return reply_error(r, 400, "type_mismatch", "文件内容与声明的类型 %s 不符", mime);
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(h, (const unsigned char *)r->body, r->body_len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    char at[32], obj[64];
    clock_now_rfc3339(at);
    int ok = db_begin(r->db, &err) == 0 &&
             db_run(r->db, &err, "INSERT INTO attachments(task_id, result_id, name, mime, size, sha256, content, uploaded_by, "
                                 "uploaded_at) VALUES (?,NULLIF(?, 0),?,?,?,?,?,?,?)", "iissisbss", task_id,
                    result_id > 0 ? result_id : 0, name, mime, (long long)r->body_len, hex, r->body,
                    (int)r->body_len, req_actor(r), at) == 1;
    long long id = sqlite3_last_insert_rowid(r->db);
    snprintf(obj, sizeof obj, "attachment:%lld", id);
    json_t *ad = json_pack("{sI sI ss ss sI ss}", "task_id", (json_int_t)task_id, "result_id", (json_int_t)result_id, "name",
                           name, "mime", mime, "size", (json_int_t)r->body_len, "sha256", hex);
    ok = ok && audit_log(r->db, req_actor(r), "attachment.upload", obj, ad, &err) == 0 && db_commit(r->db, &err) == 0;
    json_decref(ad);
    if (!ok) return reply_db_error(r, err);
    return reply_json(r, 201, json_pack("{sI sI so ss ss sI ss ss ss}", "id", (json_int_t)id, "task_id", (json_int_t)task_id,
                                        "result_id", result_id > 0 ? json_integer(result_id) : json_null(), "name", name,
                                        "mime", mime, "size", (json_int_t)r->body_len, "sha256", hex, "uploaded_by",
                                        req_actor(r), "uploaded_at", at));
}

static int h_upload_result(req *r)
{
    long long rid = req_param_id(r, 0);
    char *err = NULL;
    long long task_id = rid > 0 ? db_int(r->db, &err, 0, "SELECT task_id FROM results WHERE id = ?", "i", rid) : 0;
    if (err) return reply_db_error(r, err);
    if (!task_id) return reply_error(r, 404, "not_found", "没有这个检查结果");
    /* the JSON parser of the server may have failed on a raw body declared as JSON: not our type anyway */
    return upload(r, task_id, rid);
}

static int h_upload_task(req *r)
{
    long long tid = req_param_id(r, 0);
    char *err = NULL;
    long long n = tid > 0 ? db_int(r->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ?", "i", tid) : 0;
    if (err) return reply_db_error(r, err);
    if (!n) return reply_error(r, 404, "not_found", "没有这个任务");
    return upload(r, tid, 0);
}

static int h_list_task(req *r)
{
    long long tid = req_param_id(r, 0);
    char *err = NULL;
    long long n = tid > 0 ? db_int(r->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ?", "i", tid) : 0;
    if (err) return reply_db_error(r, err);
    if (!n) return reply_error(r, 404, "not_found", "没有这个任务");
    int staff = results_task_staff(r, tid, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, &err);
    if (staff < 0) return reply_db_error(r, err);
    if (!staff) return reply_error(r, 403, "forbidden", "只有本任务的工作人员可以查看附件");
    json_t *rows = attachments_list(r->db, tid, 0, &err);
    if (!rows) return reply_db_error(r, err);
    return reply_json(r, 200, json_pack("{so}", "attachments", rows));
}

static int h_download(req *r)
{
    long long id = req_param_id(r, 0);
    char *err = NULL;
    long long task_id = id > 0 ? db_int(r->db, &err, 0, "SELECT task_id FROM attachments WHERE id = ?", "i", id) : 0;
    if (err) return reply_db_error(r, err);
    if (!task_id) return reply_error(r, 404, "not_found", "没有这个附件");
    int staff = results_task_staff(r, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD, &err);
    if (staff < 0) return reply_db_error(r, err);
    if (!staff) return reply_error(r, 403, "forbidden", "只有本任务的工作人员可以下载附件");
    sqlite3_stmt *q = db_prepare(r->db, &err, "SELECT name, mime, sha256, content FROM attachments WHERE id = ?", "i", id);
    if (!q) return reply_db_error(r, err);
    int out;
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        char mime[128];
        int t = type_of((const char *)sqlite3_column_text(q, 1), mime, sizeof mime);
        /* RFC 5987 percent-encoding of the stored name */
        size_t nl = strlen(name);
        char *enc = malloc(nl * 3 + 1), *p = enc;
        if (!enc) { sqlite3_finalize(q); return reply_error(r, 500, "internal", "out of memory"); }
        for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-._~", *s))
                *p++ = (char)*s;
            else p += sprintf(p, "%%%02X", *s);
        }
        *p = 0;
        char *disp = xprintf("attachment; filename*=UTF-8''%s", enc);
        free(enc);
        reply_header(r, "Content-Disposition", disp);
        reply_header(r, "X-Content-SHA256", (const char *)sqlite3_column_text(q, 2));
        free(disp);
        /* the type must be a static string: the statement's text dies with it */
        out = reply_bytes(r, 200, t >= 0 ? TYPES[t].mime : "application/octet-stream", sqlite3_column_blob(q, 3),
                          (size_t)sqlite3_column_bytes(q, 3));
    } else {
        out = reply_error(r, 404, "not_found", "没有这个附件");
    }
    sqlite3_finalize(q);
    return out;
}

const struct route attachments_routes[] = {
    {"POST", "/api/results/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_upload_result},
    {"POST", "/api/tasks/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_upload_task},
    {"GET", "/api/tasks/{id}/attachments", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_list_task},
    {"GET", "/api/attachments/{id}", ROLE_ADMIN | ROLE_PLANNER | ROLE_INSPECTOR | ROLE_HEAD, h_download},
    {0},
};
