/* documents.c: see documents.h. The data a template sees (its fields, documented in
 * rules/documents/README.md):
 *   doc   {kind, id, date, date_cn, year, issued_by}
 *   task  {id, name, year, lead_unit, joint_units:[…], start_date, end_date, directed}
 *   items [{name, basis, method, department, checkpoints:[{no, text}]}]
 *   unit  {uscc, name, address, legal_rep, region, industry, unit_type}      (unit kinds)
 *   team  {members:[{name, cert_no, unit, title, leader}], leader_name}      (unit kinds)
 *   result {category, category_label, summary, status, findings:[{checkpoint, finding}], corrected,
 *           correction_note}   (if any; with every approved correction applied, 9.1)
 *   units [{no, uscc, name, region, industry, members:[{name, cert_no, leader}]}] (announcement)
 *   results [{no, uscc, name, category_label, published_date, corrected, correction_note}]  (results;
 *           approved corrections applied, correction_note naming what was published before)
 */
#include "documents.h"
#include "objections.h"
#include "results.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "decide.h"
#include "audit.h"
#include "access.h"
#include "clock.h"
#include "config.h"
#include "jsonutil.h"
#include "rules.h"
#include "tmpl.h"

#define TEMPLATE_MAX (256 * 1024)

static const char *const kinds[] = {"notice", "record", "rectification", "announcement", "results", NULL};

static int known_kind(const char *k)
{
    for (int i = 0; k && kinds[i]; i++)
        if (!strcmp(kinds[i], k)) return 1;
    return 0;
}

static int unit_kind(const char *k)
{
    return !strcmp(k, "notice") || !strcmp(k, "record") || !strcmp(k, "rectification");
}

void documents_free(spot_document *d)
{
    if (!d) return;
    free(d->html);
    d->html = NULL;
}

static int fail_db(spot_err *e, char *err)
{
    return spot_fail_db(e, "documents", err);
}

/* Reads the shipped template of kind into a new malloc'd string (*len), or NULL with *err. */
static char *shipped(const char *kind, size_t *len, char **err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/documents/%s.html", spot_config.rules_dir, kind);
    FILE *f = fopen(path, "rb");
    if (!f) return *err = xprintf("cannot read %s", path), NULL;
    char *s = malloc(TEMPLATE_MAX + 1);
    size_t n = s ? fread(s, 1, TEMPLATE_MAX + 1, f) : 0;
    fclose(f);
    if (!s || n > TEMPLATE_MAX) {
        free(s);
        return *err = xprintf("%s is missing or larger than %d bytes", path, TEMPLATE_MAX), NULL;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* Inside the caller's write transaction: stores the shipped file of kind as version 1, active, when
 * no version of kind is stored yet. Returns 0 or -1 with *err. */
static int ensure_template(spot_ctx *c, const char *kind, char **err)
{
    long long n = db_int(c->db, err, -1, "SELECT count(*) FROM document_templates WHERE kind = ?", "s", kind);
    if (n != 0) return n < 0 ? -1 : 0;
    size_t len = 0;
    char *body = shipped(kind, &len, err), sha[65], at[32], obj[64];
    if (!body) return -1;
    rules_sha256(body, len, sha);
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "document_template:%s", kind);
    json_t *ad = json_pack("{si ss ss}", "version", 1, "sha256", sha, "source", "shipped");
    int rc = db_run(c->db, err, "INSERT INTO document_templates(kind, version, body, sha256, active, note, author, "
                                "created_at) VALUES (?,1,?,?,1,'随软件发布的模板','system',?)",
                    "stss", kind, body, (int)len, sha, at) == 1 &&
                     audit_log(c->db, "system", "document_template.install", obj, ad, err) == 0
                 ? 0
                 : -1;
    json_decref(ad);
    free(body);
    return rc;
}

/* Runs ensure_template for every kind in one transaction. 0 or -1 with *e. */
static int ensure_all(spot_ctx *c, spot_err *e)
{
    char *err = NULL;
    if (db_int(c->db, &err, 0, "SELECT count(DISTINCT kind) FROM document_templates", "") == 5) return 0;
    if (err) return fail_db(e, err);
    int ok = db_begin(c->db, &err) == 0;
    for (int i = 0; ok && kinds[i]; i++) ok = ensure_template(c, kinds[i], &err) == 0;
    ok = ok && db_commit(c->db, &err) == 0;
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err);
    }
    return 0;
}

/* The team of unit uscc in task: {members:[…], leader_name}. New ref or NULL with *err. */
static json_t *team_of(spot_ctx *c, long long task_id, const char *uscc, char **err)
{
    json_t *m = db_rows(c->db, err,
                        "SELECT i.name, i.cert_no, i.unit, i.title, (i.cert_no = t.leader) AS leader "
                        "FROM task_teams t, json_each(t.inspectors) j JOIN inspectors i ON i.cert_no = j.value "
                        "WHERE t.task_id = ? AND t.uscc = ? ORDER BY (i.cert_no = t.leader) DESC, j.key",
                        "is", task_id, uscc);
    if (!m) return NULL;
    json_t *first = json_array_get(m, 0);
    const char *leader = first && json_integer_value(json_object_get(first, "leader")) ? json_string_value(json_object_get(first, "name")) : "";
    return json_pack("{so ss}", "members", m, "leader_name", leader);
}

/* Numbers the objects of rows (borrowed) 1, 2, … in member "no". */
static void number(json_t *rows)
{
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o) json_object_set_new(o, "no", json_integer((json_int_t)i + 1));
}

/* Applies the approved corrections of result row x ({id, category, category_label, summary, records?})
 * and adds corrected and correction_note ("已更正：原检查结果为…（日期更正，理由）" for each
 * correction that changed the category, else its date and reason). 0 or -1 with *e. */
static int corrected_view(spot_ctx *c, json_t *x, spot_err *e)
{
    if (results_apply_corrections(c, x, e) != 0) return -1;
    json_t *cs = json_object_get(x, "corrections"), *k;
    size_t i;
    char *note = NULL;
    json_array_foreach(cs, i, k) {
        const char *was = json_string_value(json_object_get(json_object_get(k, "before"), "category_label"));
        const char *date = json_string_value(json_object_get(k, "date"));
        const char *why = json_string_value(json_object_get(k, "reason"));
        char *part = was ? xprintf("原检查结果为“%s”，%s更正（%s）", was, date ? date : "", why ? why : "")
                         : xprintf("%s更正（%s）", date ? date : "", why ? why : "");
        char *joined = note ? xprintf("%s；%s", note, part) : xprintf("已更正：%s", part);
        free(part);
        free(note);
        note = joined;
    }
    if (note) json_object_set_new(x, "correction_note", json_string(note));
    free(note);
    json_object_del(x, "corrections");
    return 0;
}

/* Everything the template of kind sees, as a new object, or NULL with *e. */
static json_t *document_data(spot_ctx *c, const char *kind, long long task_id, const char *uscc, spot_err *e)
{
    char *err = NULL;
    json_t *data = json_object(), *task = NULL, *items = NULL;
    task = db_row(c->db, &err, "SELECT id, name, year, lead_unit, joint_units, item_ids, start_date, end_date, directed, "
                               "status FROM tasks WHERE id = ?", "i", task_id);
    if (!task) {
        if (err) fail_db(e, err);
        else spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有编号为 %lld 的抽查任务", task_id);
        goto fail;
    }
    static const char *const tkeys[] = {"joint_units", "item_ids", NULL};
    spot_decode_json(task, tkeys);
    const char *status = json_string_value(json_object_get(task, "status"));
    if (strcmp(status, "drawn") && strcmp(status, "dispatched")) {
        spot_fail(e, SPOT_E_CONFLICT, "not_drawn", "该任务尚未抽取检查对象，不能出具文书");
        goto fail;
    }
    items = db_rows(c->db, &err, "SELECT i.id, i.name, i.basis, i.method, i.department FROM json_each(?) j "
                                 "JOIN items i ON i.id = j.value ORDER BY j.key", "j", json_object_get(task, "item_ids"));
    if (!items) goto db_fail;
    long long no = 0;
    size_t k;
    json_t *it;
    json_array_foreach(items, k, it) {
        json_t *cps = db_rows(c->db, &err, "SELECT text FROM item_checkpoints WHERE item_id = ? AND active = 1 ORDER BY pos",
                              "i", (long long)json_integer_value(json_object_get(it, "id")));
        if (!cps) goto db_fail;
        size_t q;
        json_t *cp;
        json_array_foreach(cps, q, cp) json_object_set_new(cp, "no", json_integer(++no));
        json_object_set_new(it, "checkpoints", cps);
    }
    json_object_del(task, "item_ids");
    json_object_set_new(data, "items", items);
    items = NULL;

    if (unit_kind(kind)) {
        json_t *unit = db_row(c->db, &err, "SELECT e.uscc, e.name, e.address, e.legal_rep, e.region, e.industry, e.unit_type "
                                           "FROM task_units u JOIN enterprises e ON e.id = u.enterprise_id "
                                           "WHERE u.task_id = ? AND u.uscc = ?", "is", task_id, uscc);
        if (!unit) {
            if (err) goto db_fail;
            spot_fail(e, SPOT_E_NOTFOUND, "not_found", "该任务未抽中统一社会信用代码为 %s 的单位", uscc);
            goto fail;
        }
        json_object_set_new(data, "unit", unit);
        /* 7.3: a team with a position awaiting the executing org's appointment is not yet the team
         * that inspects; no document names it */
        long long open = db_int(c->db, &err, 0, "SELECT coalesce(sum(max(json_extract(s.value, '$.count') - "
                                                "json_array_length(s.value, '$.current'), 0)), 0) FROM task_teams t, "
                                                "json_each(t.slots) s WHERE t.task_id = ? AND t.uscc = ?", "is", task_id, uscc);
        if (err) goto db_fail;
        if (open > 0) {
            spot_fail(e, SPOT_E_CONFLICT, "team_incomplete", "该单位的检查组尚缺 %lld 名检查人员，须由执行单位负责人委派后才能出具文书（第7.3条）",
                      open);
            goto fail;
        }
        json_t *team = team_of(c, task_id, uscc, &err);
        if (!team) goto db_fail;
        json_object_set_new(data, "team", team);
        json_t *res = db_row(c->db, &err, "SELECT id, category, category_label, summary, status FROM results "
                                          "WHERE task_id = ? AND uscc = ?", "is", task_id, uscc);
        if (!res && err) goto db_fail;
        if (res) {
            json_t *f = db_rows(c->db, &err, "SELECT checkpoint, finding FROM result_records WHERE result_id = ? "
                                             "ORDER BY pos",
                                "i", (long long)json_integer_value(json_object_get(res, "id")));
            if (!f) {
                json_decref(res);
                goto db_fail;
            }
            json_object_set_new(res, "records", f);
            if (corrected_view(c, res, e) != 0) {
                json_decref(res);
                goto fail;
            }
            /* the findings of the (corrected) records, each with its checkpoint's text */
            json_t *findings = json_array(), *r;
            json_array_foreach(json_object_get(res, "records"), k, r) {
                const char *fd = json_string_value(json_object_get(r, "finding"));
                const char *cp = json_string_value(json_object_get(r, "checkpoint"));
                if (fd && *fd) json_array_append_new(findings, json_pack("{ss ss}", "checkpoint", cp ? cp : "", "finding", fd));
            }
            json_object_del(res, "records");
            json_object_set_new(res, "findings", findings);
            json_object_set_new(data, "result", res);
        }
    } else if (!strcmp(kind, "announcement")) {
        json_t *units = db_rows(c->db, &err, "SELECT u.uscc, e.name, e.region, e.industry FROM task_units u "
                                             "JOIN enterprises e ON e.id = u.enterprise_id WHERE u.task_id = ? ORDER BY u.pos",
                                "i", task_id);
        if (!units) goto db_fail;
        number(units);
        json_object_set_new(data, "units", units);
        json_t *u;
        json_array_foreach(units, k, u) {
            json_t *team = team_of(c, task_id, json_string_value(json_object_get(u, "uscc")), &err);
            if (!team) goto db_fail;
            json_object_set(u, "members", json_object_get(team, "members"));
            json_decref(team);
        }
    } else {
        json_t *rows = db_rows(c->db, &err, "SELECT r.id, ru.uscc, ru.name, r.category, r.category_label, r.summary, "
                                            "r.published_date FROM results r "
                                            "JOIN result_units ru ON ru.result_id = r.id WHERE r.task_id = ? AND "
                                            "r.status = 'published' ORDER BY r.published_date, ru.uscc", "i", task_id);
        if (!rows) goto db_fail;
        json_t *x;
        json_array_foreach(rows, k, x) {
            if (corrected_view(c, x, e) != 0) {
                json_decref(rows);
                goto fail;
            }
            json_object_del(x, "id");
        }
        number(rows);
        json_object_set_new(data, "results", rows);
    }
    json_object_del(task, "status");
    json_object_set_new(data, "task", task);
    return data;
db_fail:
    fail_db(e, err);
fail:
    json_decref(task);
    json_decref(items);
    json_decref(data);
    return NULL;
}

/* Whether the caller may see document kind of task (and unit uscc): the task-wide ones for the
 * task's staff, the unit's ones as its result archive (the unit's team, heads, admins, auditors),
 * and the notice also for planners, who send it. 1, 0 or -1 with *e. */
static int may_see(spot_ctx *c, const char *kind, long long task_id, const char *uscc, spot_err *e)
{
    if (!unit_kind(kind)) return access_task_staff(c, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, e);
    if (!strcmp(kind, "notice") && ctx_has_role(c, ROLE_PLANNER)) return 1;
    return access_result_archive(c, task_id, uscc, 0, e);
}

/* Whether the rectification order applies: the template's directive "categories" lists the result
 * categories it is issued for. 1, 0. */
static int applies(const char *body, json_t *data)
{
    json_t *res = json_object_get(data, "result");
    const char *cat = json_string_value(json_object_get(res, "category"));
    char *list = tmpl_directive(body, strlen(body), "categories");
    int ok = 0;
    if (list && cat && *cat) {
        for (char *save = NULL, *t = strtok_r(list, " ,", &save); t && !ok; t = strtok_r(NULL, " ,", &save))
            ok = !strcmp(t, cat);
    }
    free(list);
    return ok;
}

int documents_issue(spot_ctx *c, const char *kind, long long task_id, const char *uscc, spot_document *d,
                    spot_err *e)
{
    memset(d, 0, sizeof *d);
    if (!known_kind(kind)) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这种文书");
    if (task_id <= 0) return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 task（抽查任务编号）");
    if (unit_kind(kind) && (!uscc || !*uscc || strlen(uscc) > 64))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 uscc（被检查单位的统一社会信用代码）");
    if (!unit_kind(kind)) uscc = NULL;
    int may = may_see(c, kind, task_id, uscc ? uscc : "", e);
    if (may < 0) return -1;
    if (!may) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "无权查看该任务的文书");
    if (ensure_all(c, e) != 0) return -1;

    int rc = -1;
    char *err = NULL, *body = NULL, at[32], today[16], obj[48];
    json_t *data = document_data(c, kind, task_id, uscc, e), *tpl = NULL, *ad = NULL;
    if (!data) return -1;
    if (db_begin(c->db, &err) != 0) goto db_fail;
    tpl = db_row(c->db, &err, "SELECT id, version, body, sha256 FROM document_templates WHERE kind = ? AND active = 1",
                 "s", kind);
    if (!tpl) {
        if (!err) err = xprintf("no active template of %s", kind);
        goto db_fail;
    }
    body = strdup(json_string_value(json_object_get(tpl, "body")));
    if (!body) goto db_fail;
    if (!strcmp(kind, "rectification") && !applies(body, data)) {
        spot_fail(e, SPOT_E_CONFLICT, "not_applicable", "该单位的抽查结果不需要出具责令限期整改指令书");
        goto done;
    }
    long long id = db_int(c->db, &err, 0, "SELECT coalesce(max(id), 0) + 1 FROM documents", "");
    if (err) goto db_fail;
    clock_now_rfc3339(at);
    clock_today(today);
    char cn[40];
    snprintf(cn, sizeof cn, "%.4s年%d月%d日", today, atoi(today + 5), atoi(today + 8));
    json_object_set_new(data, "doc", json_pack("{ss sI ss ss si ss}", "kind", kind, "id", (json_int_t)id, "date", today,
                                               "date_cn", cn, "year", atoi(today), "issued_by", ctx_actor(c)));
    if (!strcmp(kind, "notice")) {   /* 9.2: the unit's one-time code for an online objection */
        char code[16];
        if (objections_code_issue(c->db, task_id, uscc, id, code, &err) != 0) goto db_fail;
        json_object_set_new(data, "objection", json_pack("{ss}", "code", code));
    }
    d->html = tmpl_render(body, strlen(body), data, &d->len, &err);
    if (!d->html) {
        spot_fail(e, SPOT_E_INVALID, "template_error", "文书模板无法生成：%s", err);
        free(err);
        err = NULL;
        goto done;
    }
    rules_sha256(d->html, d->len, d->sha256);
    d->id = id;
    d->template_version = json_integer_value(json_object_get(tpl, "version"));
    snprintf(d->template_sha256, sizeof d->template_sha256, "%s", json_string_value(json_object_get(tpl, "sha256")));
    snprintf(obj, sizeof obj, "document:%lld", id);
    ad = json_pack("{ss sI s? ss sI}", "kind", kind, "task", (json_int_t)task_id, "uscc", uscc, "sha256", d->sha256,
                   "template_version", (json_int_t)d->template_version);
    if (db_run(c->db, &err, "INSERT INTO documents(id, kind, task_id, uscc, template_id, template_version, "
                            "template_sha256, html, sha256, issued_by, issued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               "isisiistsss", id, kind, task_id, uscc, (long long)json_integer_value(json_object_get(tpl, "id")),
               d->template_version, d->template_sha256, d->html, (int)d->len, d->sha256, ctx_actor(c), at) != 1 ||
        audit_log(c->db, ctx_actor(c), "document.issue", obj, ad, &err) != 0 || db_commit(c->db, &err) != 0)
        goto db_fail;
    rc = 0;
    goto done;
db_fail:
    fail_db(e, err);
done:
    if (rc != 0) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        documents_free(d);
    }
    free(body);
    json_decref(ad);
    json_decref(tpl);
    json_decref(data);
    return rc;
}

int documents_reprint(spot_ctx *c, long long id, spot_document *d, spot_err *e)
{
    memset(d, 0, sizeof *d);
    char *err = NULL;
    json_t *row = db_row(c->db, &err, "SELECT kind, task_id, uscc, template_version, template_sha256, html, sha256 "
                                      "FROM documents WHERE id = ?", "i", id);
    if (!row) return err ? fail_db(e, err) : spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有编号为 %lld 的文书", id);
    int rc = -1;
    const char *uscc = json_string_value(json_object_get(row, "uscc"));
    int may = may_see(c, json_string_value(json_object_get(row, "kind")),
                      json_integer_value(json_object_get(row, "task_id")), uscc ? uscc : "", e);
    if (may <= 0) {
        if (may == 0) spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "无权查看该文书");
        goto done;
    }
    json_t *html = json_object_get(row, "html");
    d->html = strdup(json_string_value(html));
    if (!d->html) {
        fail_db(e, xprintf("out of memory"));
        goto done;
    }
    d->len = json_string_length(html);
    d->id = id;
    d->template_version = json_integer_value(json_object_get(row, "template_version"));
    snprintf(d->sha256, sizeof d->sha256, "%s", json_string_value(json_object_get(row, "sha256")));
    snprintf(d->template_sha256, sizeof d->template_sha256, "%s", json_string_value(json_object_get(row, "template_sha256")));
    rc = 0;
done:
    json_decref(row);
    return rc;
}

json_t *documents_list(spot_ctx *c, long long task_id, spot_err *e)
{
    if (task_id <= 0) return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 task（抽查任务编号）"), NULL;
    char *err = NULL;
    json_t *rows = db_rows(c->db, &err, "SELECT id, kind, task_id, uscc, template_version, template_sha256, sha256, "
                                        "issued_by, issued_at FROM documents WHERE task_id = ? ORDER BY id DESC", "i", task_id);
    if (!rows) return fail_db(e, err), NULL;
    json_t *out = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o) {
        const char *uscc = json_string_value(json_object_get(o, "uscc"));
        int may = may_see(c, json_string_value(json_object_get(o, "kind")), task_id, uscc ? uscc : "", e);
        if (may < 0) {
            json_decref(rows);
            json_decref(out);
            return NULL;
        }
        if (may) json_array_append(out, o);
    }
    json_decref(rows);
    return json_pack("{so}", "documents", out);
}

/* documents_catalogue: see documents.h. */
json_t *documents_catalogue(spot_ctx *c, long long task_id, spot_err *e)
{
    if (task_id <= 0) return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要抽查任务编号"), NULL;
    char *err = NULL;
    if (db_int(c->db, &err, 0, "SELECT count(*) FROM tasks WHERE id = ?", "i", task_id) != 1)
        return err ? (fail_db(e, err), NULL) : (spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这个任务"), NULL);
    int staff = access_task_staff(c, task_id, ROLE_ADMIN | ROLE_PLANNER | ROLE_HEAD | ROLE_AUDITOR, e);
    if (staff < 0) return NULL;
    if (!staff) return spot_fail(e, SPOT_E_FORBIDDEN, "forbidden", "只有本任务的工作人员可以查看档案目录"), NULL;
    /* every issued document and every attachment of the task (its results' and objections' too):
     * what it is, whose, when, its SHA-256 and size; the content stays in the archive */
    json_t *rows = db_rows(c->db, &err,
        "SELECT 'document:' || d.id AS ref, d.kind, d.uscc, coalesce(e.name, '') AS unit_name, '' AS name, "
        "length(CAST(d.html AS BLOB)) AS size, d.sha256, d.issued_by AS by, d.issued_at AS at, d.template_version "
        "FROM documents d LEFT JOIN enterprises e ON e.uscc = d.uscc WHERE d.task_id = ?1 "
        "UNION ALL "
        "SELECT 'attachment:' || a.id, 'attachment', coalesce(r.uscc, ''), coalesce(ru.name, e2.name, ''), a.name, a.size, "
        "a.sha256, a.uploaded_by, a.uploaded_at, NULL FROM attachments a LEFT JOIN results r ON r.id = a.result_id "
        "LEFT JOIN result_units ru ON ru.result_id = r.id LEFT JOIN enterprises e2 ON e2.uscc = r.uscc "
        "WHERE a.task_id = ?1 ORDER BY at, ref", "i", task_id);
    if (!rows) return fail_db(e, err), NULL;
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        const char *at = json_string_value(json_object_get(x, "at"));
        char day[11]; /* the bureau's date of the stamp: the day it was archived */
        if (clock_day_of(at, day) != 0 && at && strlen(at) >= 10) snprintf(day, sizeof day, "%.10s", at);
        json_t *ret = decide_call(c, "deadlines", "retention", json_pack("[Os]", json_object_get(x, "kind"), day), e);
        if (!ret) {
            json_decref(rows);
            return NULL;
        }
        json_t *r = json_array_get(ret, 0);
        json_object_set(x, "retention_years", json_object_get(r, "years"));
        json_object_set(x, "keep_until", json_object_get(r, "until"));
        json_object_set(x, "retention_reason", json_object_get(r, "reason"));
        json_object_set_new(x, "date", json_string(day));
        json_decref(ret);
    }
    return json_pack("{sI so}", "task_id", (json_int_t)task_id, "items", rows);
}

json_t *documents_templates(spot_ctx *c, spot_err *e)
{
    if (ensure_all(c, e) != 0) return NULL;
    char *err = NULL;
    json_t *out = json_array();
    for (int i = 0; kinds[i]; i++) {
        json_t *v = db_rows(c->db, &err, "SELECT version, sha256, active, note, author, created_at FROM document_templates "
                                         "WHERE kind = ? ORDER BY version DESC", "s", kinds[i]);
        if (!v) {
            json_decref(out);
            return fail_db(e, err), NULL;
        }
        long long active = db_int(c->db, &err, 0, "SELECT version FROM document_templates WHERE kind = ? AND active = 1",
                                  "s", kinds[i]);
        json_array_append_new(out, json_pack("{ss sI so}", "kind", kinds[i], "active", (json_int_t)active, "versions", v));
    }
    return json_pack("{so}", "templates", out);
}

json_t *documents_template(spot_ctx *c, const char *kind, spot_err *e)
{
    if (!known_kind(kind)) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这种文书"), NULL;
    if (ensure_all(c, e) != 0) return NULL;
    char *err = NULL;
    json_t *t = db_row(c->db, &err, "SELECT kind, version, sha256, body, note, author, created_at FROM document_templates "
                                    "WHERE kind = ? AND active = 1", "s", kind);
    if (!t) return fail_db(e, err ? err : xprintf("no active template of %s", kind)), NULL;
    json_t *v = db_rows(c->db, &err, "SELECT version, sha256, active, note, author, created_at FROM document_templates "
                                     "WHERE kind = ? ORDER BY version DESC", "s", kind);
    if (!v) {
        json_decref(t);
        return fail_db(e, err), NULL;
    }
    json_object_set_new(t, "versions", v);
    return t;
}

/* Inside the caller's transaction: makes version the only active one of kind. -1 with *err. */
static int activate(spot_ctx *c, const char *kind, long long version, char **err)
{
    return db_run(c->db, err, "UPDATE document_templates SET active = 0 WHERE kind = ? AND active = 1", "s", kind) >= 0 &&
                   db_run(c->db, err, "UPDATE document_templates SET active = 1 WHERE kind = ? AND version = ?", "si",
                          kind, version) == 1
               ? 0
               : -1;
}

json_t *documents_template_store(spot_ctx *c, const char *kind, json_t *in, spot_err *e)
{
    if (!known_kind(kind)) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这种文书"), NULL;
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"body", "note", "activate", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *b = json_object_get(in, "body"), *n = json_object_get(in, "note"), *a = json_object_get(in, "activate");
    if (!json_is_string(b) || json_string_length(b) == 0 || json_string_length(b) > TEMPLATE_MAX ||
        strlen(json_string_value(b)) != json_string_length(b) || (n && !(json_is_string(n) && json_string_length(n) <= 500)) ||
        (a && !json_is_boolean(a)))
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 body（模板正文，不超过 %d 字节），note 为说明，activate 为是否启用",
                         TEMPLATE_MAX), NULL;
    const char *body = json_string_value(b);
    size_t len = json_string_length(b);
    char *err = NULL;
    if (tmpl_check(body, len, &err) != 0) {
        spot_fail(e, SPOT_E_INVALID, "template_error", "模板有语法错误：%s", err);
        free(err);
        return NULL;
    }
    if (ensure_all(c, e) != 0) return NULL;
    char sha[65], at[32], obj[64];
    rules_sha256(body, len, sha);
    clock_now_rfc3339(at);
    snprintf(obj, sizeof obj, "document_template:%s", kind);
    int on = !a || json_is_true(a);
    int ok = db_begin(c->db, &err) == 0;
    long long version = ok ? db_int(c->db, &err, 0, "SELECT max(version) + 1 FROM document_templates WHERE kind = ?", "s", kind) : 0;
    ok = ok && !err &&
         db_run(c->db, &err, "INSERT INTO document_templates(kind, version, body, sha256, active, note, author, created_at) "
                             "VALUES (?,?,?,?,0,?,?,?)", "sitssss", kind, version, body, (int)len, sha,
                n ? json_string_value(n) : "", ctx_actor(c), at) == 1 &&
         (!on || activate(c, kind, version, &err) == 0);
    json_t *ad = json_pack("{sI ss sb}", "version", (json_int_t)version, "sha256", sha, "active", on);
    ok = ok && audit_log(c->db, ctx_actor(c), "document_template.store", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return documents_template(c, kind, e);
}

json_t *documents_template_activate(spot_ctx *c, const char *kind, json_t *in, spot_err *e)
{
    if (!known_kind(kind)) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "没有这种文书"), NULL;
    if (!json_is_object(in)) return spot_fail(e, SPOT_E_INPUT, "bad_request", "请求体必须是 JSON 对象"), NULL;
    static const char *const fields[] = {"version", NULL};
    if (spot_check_fields(in, fields, e) != 0) return NULL;
    json_t *v = json_object_get(in, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return spot_fail(e, SPOT_E_INPUT, "bad_request", "需要 version（模板版本号）"), NULL;
    if (ensure_all(c, e) != 0) return NULL;
    long long version = json_integer_value(v);
    char *err = NULL, obj[64];
    long long have = db_int(c->db, &err, 0, "SELECT count(*) FROM document_templates WHERE kind = ? AND version = ?", "si",
                            kind, version);
    if (err) return fail_db(e, err), NULL;
    if (!have) return spot_fail(e, SPOT_E_NOTFOUND, "not_found", "该文书模板没有第 %lld 版", version), NULL;
    snprintf(obj, sizeof obj, "document_template:%s", kind);
    json_t *ad = json_pack("{sI}", "version", (json_int_t)version);
    int ok = db_begin(c->db, &err) == 0 && activate(c, kind, version, &err) == 0 &&
             audit_log(c->db, ctx_actor(c), "document_template.activate", obj, ad, &err) == 0 && db_commit(c->db, &err) == 0;
    json_decref(ad);
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db)) db_rollback(c->db);
        return fail_db(e, err), NULL;
    }
    return documents_template(c, kind, e);
}
