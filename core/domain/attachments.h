/* attachments.h: the archive of a task's and its results' documents, photos, audio and video
 * (clause 9.2): upload (raw body, size capped by spot_config.upload_max in http.c, MIME type on an
 * allow-list and checked against the content's signature), SHA-256 and size stored with the content,
 * download only for the task's staff and admins. Routes are listed at the top of attachments.c.
 * Uses db.h, audit.h, http.h, results.h, tasks.h and libsodium. */
#ifndef SPOT_ATTACHMENTS_H
#define SPOT_ATTACHMENTS_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* The attachments (metadata only: id, name, mime, size, sha256, uploaded_by, uploaded_at) of a
 * result (result_id > 0) or of the task itself (result_id == 0). New reference, or NULL with *err. */
json_t *attachments_list(sqlite3 *db, long long task_id, long long result_id, char **err);

extern const struct route attachments_routes[];

#endif
