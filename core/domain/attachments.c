/* attachments.c: archive of documents, photos, audio and video (clause 9.2).
 *
 * Content is kept in the database (a BLOB, written in the same transaction as its audit record,
 * whose details carry the SHA-256 and size); attachments are never changed or removed (triggers).
 * Who may file and read: see api_attachments.c.
 */
#include "attachments.h"
#include "access.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
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

#define TASK_STAFF_ROLES (ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD)

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "attachments", err);
}

json_t *attachments_list(spot_ctx *c, long long task_id, long long result_id, spot_err *e)
{
    char *err = NULL;
    json_t *rows;
    if (result_id > 0)
        rows = db_rows(c->db, &err, "SELECT id, task_id, result_id, name, mime, size, sha256, uploaded_by, uploaded_at "
                                    "FROM attachments WHERE result_id = ? ORDER BY id", "i", result_id);
    else
        rows = db_rows(c->db, &err, "SELECT id, task_id, result_id, name, mime, size, sha256, uploaded_by, uploaded_at "
                                    "FROM attachments WHERE task_id = ? AND result_id IS NULL ORDER BY id", "i", task_id);
    if (!rows) fail_db(e, err);
    return rows;
}

/* The allow-listed type of ct (parameters such as "; charset=" dropped); index or -1. */
static int type_of(const char *ct)
{
    if (!ct) return -1;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strlen(TYPES[i].mime) == n && !strncasecmp(TYPES[i].mime, ct, n)) return (int)i;
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

const char *attachments_check(const char *name, const char *content_type, const char *body, size_t len, spot_err *e)
{
    if (!name_ok(name))
        return spot_fail(e, SPOT_E_INPUT, "bad_name", "需要文件名 ?name=（不超过 %d 字节，不含引号、斜杠和控制字符）",
                         NAME_MAX_BYTES), NULL;
    if (!len) return spot_fail(e, SPOT_E_INPUT, "empty", "附件内容为空"), NULL;
    int t = type_of(content_type);
    if (t < 0)
        return spot_fail(e, SPOT_E_MEDIA, "unsupported_type",
                         "不接受的文件类型：%s（可上传 PDF、Office 文档、图片、音频、视频和纯文本）",
                         content_type ? "该类型" : "未声明"), NULL;
    if (!content_matches(t, body, len))
        return spot_fail(e, SPOT_E_INPUT, "type_mismatch", "文件内容与声明的类型 %s 不符", TYPES[t].mime), NULL;
    return TYPES[t].mime;
}

/* Inserts one checked file with its audit record into the caller's transaction. Returns the new
 * row's metadata (new reference), or NULL with *err (malloc'd). */
static json_t *insert_file(sqlite3 *db, const char *actor, long long task_id, long long result_id, long long objection_id,
                           const char *name, const char *mime, const char *body, size_t len, char **err)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1], at[32], obj[64];
    crypto_hash_sha256(h, (const unsigned char *)body, len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    clock_now_rfc3339(at);
    if (db_run(db, err, "INSERT INTO attachments(task_id, result_id, objection_id, name, mime, size, sha256, content, "
                        "uploaded_by, uploaded_at) VALUES (?,NULLIF(?, 0),NULLIF(?, 0),?,?,?,?,?,?,?)", "iiissisbss",
               task_id, result_id > 0 ? result_id : 0, objection_id > 0 ? objection_id : 0, name, mime, (long long)len, hex,
               body, (int)len, actor, at) != 1)
        return NULL;
    long long id = sqlite3_last_insert_rowid(db);
    snprintf(obj, sizeof obj, "attachment:%lld", id);
    json_t *ad = json_pack("{sI sI ss ss sI ss}", "task_id", (json_int_t)task_id, "result_id", (json_int_t)result_id, "name",
                           name, "mime", mime, "size", (json_int_t)len, "sha256", hex);
    if (objection_id > 0) json_object_set_new(ad, "objection_id", json_integer(objection_id));
    int rc = audit_log(db, actor, "attachment.upload", obj, ad, err);
    json_decref(ad);
    if (rc != 0) return NULL;
    return json_pack("{sI sI so ss ss sI ss ss ss}", "id", (json_int_t)id, "task_id", (json_int_t)task_id, "result_id",
                     result_id > 0 ? json_integer(result_id) : json_null(), "name", name, "mime", mime, "size",
                     (json_int_t)len, "sha256", hex, "uploaded_by", actor, "uploaded_at", at);
}

json_t *attachments_insert_objection_file(sqlite3 *db, const char *actor, long long task_id, long long result_id,
                                          long long objection_id, const char *name, const char *mime, const char *body,
                                          size_t len, char **err)
{
    return insert_file(db, actor, task_id, result_id, objection_id, name, mime, body, len, err);
}

/* Checks and stores the upload once the caller's right to file it was checked. */
static json_t *store(spot_ctx *c, long long task_id, long long result_id, const char *name, const char *content_type,
                     const char *body, size_t len, spot_err *e)
{
    const char *mime = attachments_check(name, content_type, body, len, e);
    if (!mime) return NULL;
    char *err = NULL;
    json_t *out = NULL;
    if (db_begin(c->db, &err) == 0 &&
        (out = insert_file(c->db, ctx_actor(c), task_id, result_id, 0, name, mime, body, len, &err)) &&
        db_commit(c->db, &err) == 0)
        return out;
    json_decref(out);
    if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
    return fail_db(e, err), NULL;
}

json_t *attachments_upload_result(spot_ctx *c, long long result_id, const char *name, const char *content_type,
                                  const char *body, size_t len, spot_err *e)
{
    char *err = NULL;
    json_t *res = result_id > 0 ? db_row(c->db, &err, "SELECT task_id, uscc FROM results WHERE id = ?", "i", result_id) : NULL;
    if (!res) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个检查结果");
        return NULL;
    }
    long long task_id = json_integer_value(json_object_get(res, "task_id"));
    json_t *out = NULL;
    int may = access_result_archive(c, task_id, json_string_value(json_object_get(res, "uscc")), 1, e);
    if (may == 0)
        spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有该单位检查组的成员、执法单位负责人和管理员可以为检查结果上传附件");
    else if (may > 0)
        out = store(c, task_id, result_id, name, content_type, body, len, e);
    json_decref(res);
    return out;
}

/* Whether task_id exists: 1, 0, or -1 with *e. */
static int task_exists(spot_ctx *c, long long task_id, spot_err *e)
{
    char *err = NULL;
    long long n = task_id > 0 ? db_int(c->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ?", "i", task_id) : 0;
    if (err) return fail_db(e, err);
    return n > 0;
}

json_t *attachments_upload_task(spot_ctx *c, long long task_id, const char *name, const char *content_type,
                                const char *body, size_t len, spot_err *e)
{
    int ex = task_exists(c, task_id, e);
    if (ex < 0) return NULL;
    if (!ex) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务"), NULL;
    int staff = access_task_staff(c, task_id, TASK_STAFF_ROLES, e);
    if (staff < 0) return NULL;
    if (!staff) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以上传附件"), NULL;
    return store(c, task_id, 0, name, content_type, body, len, e);
}

json_t *attachments_of_task(spot_ctx *c, long long task_id, spot_err *e)
{
    int ex = task_exists(c, task_id, e);
    if (ex < 0) return NULL;
    if (!ex) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务"), NULL;
    int staff = access_task_staff(c, task_id, TASK_STAFF_ROLES, e);
    if (staff < 0) return NULL;
    if (!staff) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以查看附件"), NULL;
    json_t *rows = attachments_list(c, task_id, 0, e);
    return rows ? json_pack("{so}", "attachments", rows) : NULL;
}

int attachments_fetch(spot_ctx *c, long long id, attachment_file *f, spot_err *e)
{
    memset(f, 0, sizeof *f);
    char *err = NULL;
    json_t *a = id > 0 ? db_row(c->db, &err, "SELECT a.task_id, a.result_id, r.uscc FROM attachments a "
                                             "LEFT JOIN results r ON r.id = a.result_id WHERE a.id = ?", "i", id) : NULL;
    if (!a) {
        if (err) return fail_db(e, err);
        return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个附件");
    }
    long long task_id = json_integer_value(json_object_get(a, "task_id"));
    const char *uscc = json_string_value(json_object_get(a, "uscc"));
    /* a result's archive: its unit's team, heads, admins and auditors; the task's own: its staff */
    int may = json_is_integer(json_object_get(a, "result_id")) ? access_result_archive(c, task_id, uscc, 0, e)
                                                               : access_task_staff(c, task_id, TASK_STAFF_ROLES, e);
    json_decref(a);
    if (may < 0) return -1;
    if (!may) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以下载附件");
    sqlite3_stmt *q = db_prepare(c->db, &err, "SELECT name, mime, sha256, content FROM attachments WHERE id = ?", "i", id);
    if (!q) return fail_db(e, err);
    int rc = -1;
    if (sqlite3_step(q) != SQLITE_ROW) {
        spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个附件");
        goto done;
    }
    int t = type_of((const char *)sqlite3_column_text(q, 1));
    f->mime = t >= 0 ? TYPES[t].mime : "application/octet-stream";
    snprintf(f->sha256, sizeof f->sha256, "%s", (const char *)sqlite3_column_text(q, 2));
    f->name = strdup((const char *)sqlite3_column_text(q, 0));
    f->len = (size_t)sqlite3_column_bytes(q, 3);
    f->data = malloc(f->len ? f->len : 1);
    if (!f->name || !f->data) {
        attachment_file_free(f);
        fail_db(e, strdup("out of memory"));
        goto done;
    }
    if (f->len) memcpy(f->data, sqlite3_column_blob(q, 3), f->len);
    rc = 0;
done:
    sqlite3_finalize(q);
    return rc;
}

void attachment_file_free(attachment_file *f)
{
    free(f->name);
    free(f->data);
    f->name = NULL;
    f->data = NULL;
}
