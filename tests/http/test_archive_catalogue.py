"""The archive catalogue of a task (9.2): GET /api/tasks/{id}/archive lists every issued document and
every attachment with its kind, unit, date, SHA-256 (equal to the archived bytes' and the stored
one), size and retention from rules.deadlines.retention (literal: a record 30 years, a notice and the
task announcement 10, an attachment 30); format=xlsx gives the same rows as a workbook; only the
task's staff of the archive roles see it."""
import hashlib
import io
from spot import Server, Suite, bureau_today, dispatched_task, staff_clients, inspector_clients, is_error_body
import xlsxbook  # noqa: F401  (re-runs under Debian python3 for openpyxl)
import openpyxl

t = Suite()

with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "归档目录任务", "2026-03-02", "2026-03-20", "烟花爆竹")
    tid = task["id"]
    team = teams[0]
    uscc = team["uscc"]
    ins = inspector_clients(s, admin, team["inspectors"])
    a = ins[team["inspectors"][0]]
    for kind, client in (("notice", planner), ("record", a), ("announcement", planner)):
        path = f"/api/documents/{kind}?task={tid}" + (f"&uscc={uscc}" if kind != "announcement" else "")
        st, body = client.get(path)
        assert st == 200, (kind, st, body)
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": uscc, "category": "a", "summary": "未发现问题"})
    assert st == 201, (st, res)
    jpg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
    st, att = a.request("POST", f"/api/results/{res['id']}/attachments?name=%E7%8E%B0%E5%9C%BA.jpg", raw=jpg,
                        content_type="image/jpeg")
    assert st == 201, (st, att)
    today = bureau_today()

    st, cat = head.get(f"/api/tasks/{tid}/archive")
    items = cat.get("items", []) if st == 200 else []
    t.check("a head sees the catalogue: three documents and the attachment",
            st == 200 and sorted(x["kind"] for x in items) == ["announcement", "attachment", "notice", "record"], (st, cat))
    docs = dict(((r[0], r[1]) for r in s.sql("SELECT 'document:' || id, sha256 FROM documents WHERE task_id = ?", tid)))
    t.check("each document's SHA-256 is the archived one",
            all(docs[x["ref"]] == x["sha256"] for x in items if x["kind"] != "attachment") and len(docs) == 3, items)
    ax = next((x for x in items if x["kind"] == "attachment"), {})
    t.check("the attachment: its name, unit, size and SHA-256 of its bytes",
            ax.get("name") == "现场.jpg" and ax.get("uscc") == uscc and ax.get("size") == len(jpg) and
            ax.get("sha256") == hashlib.sha256(jpg).hexdigest(), ax)
    years = {x["kind"]: x["retention_years"] for x in items}
    t.check("retention from the rules: record 30 years, notice and announcement 10, attachment 30",
            years == {"record": 30, "notice": 10, "announcement": 10, "attachment": 30}, years)
    rec = next(x for x in items if x["kind"] == "record")
    t.check("kept until the same day 30 years on, with the rule's reason",
            rec["date"] == today.isoformat() and rec["keep_until"] == today.replace(year=today.year + 30).isoformat()
            and rec["retention_reason"] == f"按第9.2条归档，保管30年，至{rec['keep_until']}", rec)
    t.check("the unit's name is given", rec["unit_name"] and rec["uscc"] == uscc, rec)

    st, body = auditor.request("GET", f"/api/tasks/{tid}/archive?format=xlsx")
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)] if st == 200 else []
    t.check("as .xlsx: Chinese headers and one row per item", rows and rows[0][:3] == ["档案编号", "类别", "文件名"] and
            len(rows) == len(items) + 1 and "检查记录表" in [r[1] for r in rows] and "附件" in [r[1] for r in rows], rows[:3])

    other = next((x for x in teams if not set(x["inspectors"]) & set(team["inspectors"])), teams[-1])
    outsider = inspector_clients(s, admin, [other["inspectors"][0]])[other["inspectors"][0]]
    st, b = outsider.get(f"/api/tasks/{tid}/archive")
    t.check("an inspector gets no catalogue (403)", st == 403 and is_error_body(b), (st, b))
    st, b = head.get("/api/tasks/999999/archive")
    t.check("an unknown task is 404", st == 404 and is_error_body(b, "not_found"), (st, b))
    st, b = s.client().get(f"/api/tasks/{tid}/archive")
    t.check("anonymous callers get nothing (401)", st == 401, st)

t.finish()
