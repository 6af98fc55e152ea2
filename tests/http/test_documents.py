"""Printable documents from editable templates (SPEC §13, 9.2): each kind renders the task's and the
unit's data -- unit name, USCC, every checkpoint, every member's 姓名 and 执法证号 -- with values
HTML-escaped; each issued document is archived with its SHA-256 and template version and reprinted
byte for byte; an administrator's new template version changes the next document, not an archived
one; a template with a syntax error is refused; only staff who may see the task or unit get them."""
import hashlib
import re
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body, sign_review_publish

t = Suite()
YEAR = 2026


def header(client, name):
    return next((v for k, v in client.last_headers if k.lower() == name.lower()), None)


def text(html):
    return html.decode()


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "文书测试任务 <b>&\"'", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    team = teams[0]
    uscc = team["uscc"]
    members = s.sql("SELECT i.name, i.cert_no FROM task_teams t, json_each(t.inspectors) j JOIN inspectors i "
                    "ON i.cert_no = j.value WHERE t.task_id = ? AND t.uscc = ?", tid, uscc)
    unit_name = s.sql("SELECT name FROM enterprises WHERE uscc = ?", uscc)[0][0]
    checkpoints = [c["text"] for c in item["checkpoints"]]
    t.check("the test unit has a team and the item checkpoints", len(members) >= 2 and len(checkpoints) >= 2,
            (members, checkpoints))

    # ---- every kind renders the task's and the unit's data ----
    issued = {}
    for kind, title in (("notice", "随机抽查通知书"), ("record", "现场检查记录"), ("announcement", "关于"),
                        ("results", "抽查结果公示")):
        st, html = head.get(f"/api/documents/{kind}?task={tid}&uscc={uscc}")
        ok = st == 200 and header(head, "Content-Type").startswith("text/html")
        body = text(html) if ok else ""
        issued[kind] = (int(header(head, "X-Document-Id") or 0), header(head, "X-Document-SHA256"), html)
        t.check(f"{kind}: A4 HTML with its title", ok and "size: A4" in body and title in body, (st, html[:200]))
        t.check(f"{kind}: its SHA-256 header is of the bytes served",
                ok and issued[kind][1] == hashlib.sha256(html).hexdigest(), issued[kind][1])
        t.check(f"{kind}: values are HTML-escaped (task name with <b>&\"')",
                "文书测试任务 &lt;b&gt;&amp;&quot;&#39;" in body and "<b>&" not in body, re.findall("文书测试任务[^<]*", body))
        t.check(f"{kind}: no template tag is left", "{{" not in body, body[:200])
    for kind in ("notice", "record"):
        body = text(issued[kind][2])
        t.check(f"{kind}: names the unit and its USCC", unit_name in body and uscc in body, kind)
        t.check(f"{kind}: lists every checkpoint", all(c in body for c in checkpoints), checkpoints)
        t.check(f"{kind}: lists every member's 姓名 and 执法证号",
                all(n in body and c in body for n, c in members), members)
    body = text(issued["announcement"][2])
    t.check("announcement: lists every unit drawn", all(x["uscc"] in body for x in teams), [x["uscc"] for x in teams])
    t.check("results: none published yet says so", "本任务尚无已公示的抽查结果" in text(issued["results"][2]))

    # ---- archive (9.2) ----
    rid, sha, html = issued["record"]
    st, again = head.get(f"/api/documents/archive/{rid}")
    t.check("an archived document is reprinted byte for byte", st == 200 and again == html and
            header(head, "X-Document-SHA256") == sha, (st, len(again)))
    row = s.sql("SELECT kind, task_id, uscc, template_version, sha256 FROM documents WHERE id = ?", rid)
    t.check("the archive row keeps kind, task, unit, template version and SHA-256",
            row == [("record", tid, uscc, 1, sha)], row)
    t.check("each issue writes one audit record",
            s.sql("SELECT count(*) FROM audit WHERE action = 'document.issue'")[0][0] == 4)
    st, lst = auditor.get(f"/api/documents?task={tid}")
    t.check("the task's archive lists the four documents", st == 200 and
            sorted(d["kind"] for d in lst["documents"]) == ["announcement", "notice", "record", "results"], (st, lst))

    # ---- templates: a new version changes the next document, not the archived one ----
    st, tpl = admin.get("/api/document-templates/record")
    t.check("the shipped record template is version 1, active", st == 200 and tpl["version"] == 1 and
            tpl["sha256"] == hashlib.sha256(tpl["body"].encode()).hexdigest(), (st, tpl.get("version")))
    before = s.sql("SELECT count(*) FROM document_templates")[0][0]
    for name, client, body, code, err in [
        ("unclosed section", admin, {"body": "{{#items}}x"}, 422, "template_error"),
        ("section closed by another name", admin, {"body": "{{#items}}x{{/units}}"}, 422, "template_error"),
        ("unclosed inner section the data would skip", admin, {"body": "{{#nothing}}{{#x}}{{/nothing}}"}, 422,
         "template_error"),
        ("unclosed tag", admin, {"body": "<p>{{unit.name</p>"}, 422, "template_error"),
        ("empty body", admin, {"body": ""}, 400, "bad_request"),
        ("unknown field", admin, {"body": "x", "html": "x"}, 400, "unknown_field"),
        ("a head may not edit templates", head, {"body": "x"}, 403, "forbidden"),
    ]:
        st, b = client.post("/api/document-templates/record", body)
        t.check(f"bad template refused: {name}", st == code and is_error_body(b, err), (st, b))
    t.check("refused templates stored nothing", s.sql("SELECT count(*) FROM document_templates")[0][0] == before)
    st, b = admin.post("/api/document-templates/memo", {"body": "x"})
    t.check("an unknown kind is 404", st == 404 and is_error_body(b, "not_found"), (st, b))

    edited = tpl["body"].replace("<h1>现场检查记录</h1>", "<h1>现场检查记录（第二版）</h1>")
    st, v2 = admin.post("/api/document-templates/record", {"body": edited, "note": "标题加版次"})
    t.check("a new template version is stored and active", st == 201 and v2["version"] == 2 and
            [(x["version"], x["active"]) for x in v2["versions"]] == [(2, 1), (1, 0)], (st, v2))
    st, html2 = head.get(f"/api/documents/record?task={tid}&uscc={uscc}")
    t.check("the next record uses the new template", st == 200 and "现场检查记录（第二版）" in text(html2) and
            header(head, "X-Template-Version") == "2", (st, header(head, "X-Template-Version")))
    st, old = head.get(f"/api/documents/archive/{rid}")
    t.check("the archived record is unchanged and its SHA-256 still matches",
            st == 200 and old == html and hashlib.sha256(old).hexdigest() == sha and "第二版" not in text(old), st)
    st, b = admin.post("/api/document-templates/record/activate", {"version": 1})
    st2, html3 = head.get(f"/api/documents/record?task={tid}&uscc={uscc}")
    t.check("rolling back to version 1 brings the old wording back", st == 200 and b["version"] == 1 and
            st2 == 200 and "第二版" not in text(html3) and header(head, "X-Template-Version") == "1", (st, b, st2))
    st, b = admin.post("/api/document-templates/record/activate", {"version": 9})
    t.check("activating a version that does not exist is 404", st == 404 and is_error_body(b, "not_found"), (st, b))
    t.check("template changes are audited", s.sql("SELECT action FROM audit WHERE action LIKE 'document_template.%' "
            "AND actor = 'admin' ORDER BY id") == [("document_template.store",), ("document_template.activate",)])
    for what, q in (("UPDATE", "UPDATE documents SET html = 'x' WHERE id = ?"), ("DELETE", "DELETE FROM documents WHERE id = ?")):
        try:
            s.sql(q, rid)
            refused = False
        except Exception as ex:  # sqlite3.IntegrityError from the trigger
            refused = "cannot be" in str(ex)
        t.check(f"an archived document cannot be changed, even by SQL {what}", refused)

    # ---- rectification: only for the results the template names (e, g) ----
    st, b = head.get(f"/api/documents/rectification?task={tid}&uscc={uscc}")
    t.check("no rectification order without a result", st == 409 and is_error_body(b, "not_applicable"), (st, b))
    ins = inspector_clients(s, admin, [c for _, c in members])
    a = ins[members[0][1]]
    cps = item["checkpoints"]
    st, res = a.post(f"/api/tasks/{tid}/results", {
        "uscc": uscc, "category": "e", "summary": "消防通道堆放杂物，已责令改正",
        "records": [{"item_id": item["id"], "checkpoint_id": cps[0]["id"], "category": "e", "finding": "消防通道堆放杂物"}] +
                   [{"item_id": item["id"], "checkpoint_id": c["id"], "category": "a", "finding": ""} for c in cps[1:]]})
    t.check("a result of category e is entered", st in (200, 201), (st, res))
    st, html = a.get(f"/api/documents/rectification?task={tid}&uscc={uscc}")
    body = text(html) if st == 200 else ""
    t.check("the rectification order names the unit, the finding and the result",
            st == 200 and "责令限期整改指令书" in body and unit_name in body and uscc in body and
            "消防通道堆放杂物" in body and "发现问题已责令改正" in body, (st, html[:300]))

    # ---- 9.1: a published result, then corrected: the documents show the corrected result and what it was ----
    sign_review_publish([ins[c] for _, c in members], head, res["id"])
    st, lst = head.get(f"/api/documents/results?task={tid}")
    t.check("the results document lists the published result as e, not yet corrected",
            st == 200 and "发现问题已责令改正" in text(lst) and "已更正" not in text(lst), (st, text(lst)[:400]))
    st, corr = a.post(f"/api/results/{res['id']}/corrections", {"reason": "复核：通道杂物系临时装卸，非堆放",
                                                               "changes": {"category": "a", "summary": "未发现问题"}})
    assert st == 201, (st, corr)
    st, lst = head.get(f"/api/documents/results?task={tid}")
    t.check("a pending correction changes nothing in the documents", st == 200 and "已更正" not in text(lst), st)
    st, b = head.post(f"/api/results/{res['id']}/corrections/{corr['id']}/approve", {})
    assert st == 200, (st, b)
    st, lst = head.get(f"/api/documents/results?task={tid}")
    body = text(lst) if st == 200 else ""
    t.check("the results document shows the corrected category and what was published before, with the reason",
            st == 200 and "未发现问题" in body and "已更正：原检查结果为“发现问题已责令改正”" in body and
            "通道杂物系临时装卸" in body, body[:600])
    st, rec = a.get(f"/api/documents/record?task={tid}&uscc={uscc}")
    body = text(rec) if st == 200 else ""
    t.check("the record shows the corrected result and the note", st == 200 and "检查结果：未发现问题" in body and
            "已更正：原检查结果为“发现问题已责令改正”" in body, body[:800])
    st, b = a.get(f"/api/documents/rectification?task={tid}&uscc={uscc}")
    t.check("no new rectification order once the result is corrected to a (no problem)",
            st == 409 and is_error_body(b, "not_applicable"), (st, b))

    # ---- who may see ----
    other = next((x for x in teams if not set(x["inspectors"]) & {c for _, c in members}), None)
    if other:
        outsider = inspector_clients(s, admin, [other["inspectors"][0]])[other["inspectors"][0]]
        st, b = outsider.get(f"/api/documents/record?task={tid}&uscc={uscc}")
        t.check("an inspector of another team may not print this unit's record", st == 403 and is_error_body(b, "forbidden"),
                (st, b))
        st, b = outsider.get(f"/api/documents/archive/{rid}")
        t.check("nor reprint it from the archive", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = planner.get(f"/api/documents/record?task={tid}&uscc={uscc}")
    t.check("a planner may not print a unit's record", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = planner.get(f"/api/documents/notice?task={tid}&uscc={uscc}")
    t.check("a planner prints the notice", st == 200, st)
    st, b = s.client().get(f"/api/documents/notice?task={tid}&uscc={uscc}")
    t.check("anonymous callers get nothing", st == 401, st)
    for name, path, code, err in [
        ("unknown kind", f"/api/documents/memo?task={tid}&uscc={uscc}", 404, "not_found"),
        ("no task", f"/api/documents/notice?uscc={uscc}", 400, "bad_request"),
        ("task not a number", f"/api/documents/notice?task=x&uscc={uscc}", 400, "bad_parameter"),
        ("no unit", f"/api/documents/notice?task={tid}", 400, "bad_request"),
        ("unit not drawn", f"/api/documents/notice?task={tid}&uscc=91370322MA3C0ZZZZZ", 404, "not_found"),
        ("no such task", f"/api/documents/announcement?task=999999", 404, "not_found"),
        ("no such archive", "/api/documents/archive/999999", 404, "not_found"),
    ]:
        st, b = head.get(path)
        t.check(f"bad document request: {name}", st == code and is_error_body(b, err), (st, b))

t.finish()
