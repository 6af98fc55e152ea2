/* attachments.h: the archive of a task's and its results' documents, photos, audio and video
 * (clause 9.2): upload (size capped by spot_config.upload_max in http.c, MIME type on an allow-list
 * and checked against the content's signature), SHA-256 and size stored with the content, never
 * changed or removed. The HTTP routes are in http/api_attachments.c. Knows nothing of HTTP.
 * Uses access.h, db.h, audit.h, validate.h and libsodium. */
#ifndef SPOT_ATTACHMENTS_H
#define SPOT_ATTACHMENTS_H

#include <stddef.h>
#include <jansson.h>
#include <sqlite3.h>
#include "ctx.h"
#include "err.h"

/* The attachments (metadata only: id, task_id, result_id, name, mime, size, sha256, uploaded_by,
 * uploaded_at) of a result (result_id > 0) or of the task itself (result_id == 0). No access check.
 * New reference, or NULL with *e. */
json_t *attachments_list(spot_ctx *c, long long task_id, long long result_id, spot_err *e);

/* The task's own attachments for its staff: {attachments:[…]}. New reference or NULL with *e. */
json_t *attachments_of_task(spot_ctx *c, long long task_id, spot_err *e);

/* Stores body (len bytes, declared content_type, file name name) as an attachment of result
 * result_id (attachments_upload_result) or of task task_id (attachments_upload_task). Returns the
 * new attachment's metadata (new reference) or NULL with *e; nothing is stored then. */
json_t *attachments_upload_result(spot_ctx *c, long long result_id, const char *name, const char *content_type,
                                  const char *body, size_t len, spot_err *e);
json_t *attachments_upload_task(spot_ctx *c, long long task_id, const char *name, const char *content_type,
                                const char *body, size_t len, spot_err *e);

/* Checks an upload's file name, declared type and content as the upload routes do, storing
 * nothing. Returns the allow-listed MIME type (static) or NULL with *e. */
const char *attachments_check(const char *name, const char *content_type, const char *body, size_t len, spot_err *e);

/* Inserts a file checked by attachments_check (mime as it returned) into the archive of result
 * result_id of task task_id as filed with objection objection_id, with its audit record, inside the
 * caller's open transaction. Returns the attachment's metadata (new reference) or NULL with *err
 * (malloc'd); the caller rolls back then. */
json_t *attachments_insert_objection_file(sqlite3 *db, const char *actor, long long task_id, long long result_id,
                                          long long objection_id, const char *name, const char *mime, const char *body,
                                          size_t len, char **err);

/* The stored content of one attachment. */
typedef struct attachment_file {
    char *name;         /* UTF-8 file name (owned) */
    const char *mime;   /* allow-listed type (static), "application/octet-stream" if unknown */
    char sha256[65];    /* hex */
    void *data;         /* the content (owned) */
    size_t len;
} attachment_file;

/* Fills *f with attachment id for a caller who may read it. 0, or -1 with *e (404, 403). The caller
 * frees f with attachment_file_free. */
int attachments_fetch(spot_ctx *c, long long id, attachment_file *f, spot_err *e);
void attachment_file_free(attachment_file *f);

#endif
