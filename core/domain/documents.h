/* documents.h: the printable documents of SPEC §13 (随机抽查通知书, 检查记录表, 责令限期整改指令书,
 * 抽查任务公告, 抽查结果公示): the task's and unit's data rendered through the active template of
 * the kind (tmpl.h), each issued document archived with its SHA-256 and template version (9.2); and
 * the template versions an administrator stores and activates. Uses ctx.h, err.h, the store (db,
 * audit) and tmpl.h; reads the shipped templates from spot_config.rules_dir/documents. No HTTP. */
#ifndef SPOT_DOCUMENTS_H
#define SPOT_DOCUMENTS_H

#include <jansson.h>
#include "ctx.h"
#include "err.h"

/* An issued or reprinted document: its archive row's id, the HTML (malloc'd, caller frees with
 * documents_free) and its SHA-256, the template version. */
typedef struct spot_document {
    long long id;
    char *html;
    size_t len;
    char sha256[65];
    long long template_version;
    char template_sha256[65];
} spot_document;

/* Frees d->html (d itself is the caller's). */
void documents_free(spot_document *d);

/* GET /api/documents/{kind}?task=&uscc=: renders the document kind of task (and unit uscc for
 * notice, record, rectification) with the active template and archives it. Fills *d and returns 0,
 * or -1 with *e (unknown kind 404, no access 403, wrong state 409). */
int documents_issue(spot_ctx *c, const char *kind, long long task_id, const char *uscc, spot_document *d,
                    spot_err *e);

/* GET /api/documents/archive/{id}: the archived document, byte for byte as issued. 0 or -1 with *e. */
int documents_reprint(spot_ctx *c, long long id, spot_document *d, spot_err *e);

/* GET /api/documents?task=: the archive rows of the task the caller may see (without HTML), newest
 * first. New ref or NULL with *e. */
json_t *documents_list(spot_ctx *c, long long task_id, spot_err *e);

/* GET /api/document-templates: every kind with its versions (without bodies) and the active one.
 * GET /api/document-templates/{kind}: the active version with its body and the versions.
 * New refs or NULL with *e. The shipped file of a kind not stored yet is stored as version 1. */
json_t *documents_templates(spot_ctx *c, spot_err *e);
json_t *documents_template(spot_ctx *c, const char *kind, spot_err *e);

/* POST /api/document-templates/{kind} {body, note?, activate?}: stores a new version after it
 * renders; active unless activate is false. POST …/{kind}/activate {version}: activates a stored
 * version. Both return documents_template's view or NULL with *e; each writes one audit record. */
json_t *documents_template_store(spot_ctx *c, const char *kind, json_t *in, spot_err *e);
json_t *documents_template_activate(spot_ctx *c, const char *kind, json_t *in, spot_err *e);

/* The archive catalogue of task id (9.2) for its staff (admin, planner, head, auditor): every issued
 * document and every attachment as {ref, kind, uscc, unit_name, name, size, sha256, by, at, date,
 * template_version, retention_years, keep_until, retention_reason} (the retention from
 * rules.deadlines.retention), oldest first: {task_id, items}. New reference or NULL with *e. */
json_t *documents_catalogue(spot_ctx *c, long long task_id, spot_err *e);

#endif
