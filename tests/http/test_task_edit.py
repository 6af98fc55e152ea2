"""Draft tasks can be edited and cancelled (issue 18): PUT /api/tasks/{id} with the body of a new task
replaces a draft's fields (checked the same way; audited with the task before), POST
/api/tasks/{id}/cancel {reason} cancels it (reason required; audited); a cancelled task leaves the
task list (listed under status=cancelled) and cannot be edited, frozen or joined; once frozen a task
is neither edited nor cancelled; a planner of another org can do neither. Every refusal changes
nothing."""
import json

from spot import Server, Suite, staff_clients, is_error_body, V2_FREEZE

t = Suite()


def body(items, **kw):
    b = {"name": "草稿任务", "item_ids": [items[0]["id"]], "mode": "targeted", "filters": {"industry": ["烟花爆竹"]},
         "directed": False, "lead_unit": "高青县应急管理局", "start_date": "2026-05-04", "end_date": "2026-05-29"}
    b.update(kw)
    return b


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    st, items = planner.get("/api/items")
    items = [i for i in items["items"] if i["checkpoints"]]
    st, task = planner.post("/api/tasks", body(items))
    assert st == 201, (st, task)
    tid = task["id"]

    def row():
        return s.sql("SELECT name, start_date, end_date, filters, cancelled_at, cancel_reason, status FROM tasks WHERE id = ?", tid)[0]

    def audits(action):
        return s.sql("SELECT count(*) FROM audit WHERE action = ? AND object = ?", action, f"task:{tid}")[0][0]

    st, b = planner.put(f"/api/tasks/{tid}", body(items, name="第二批烟花爆竹经营单位抽查", start_date="2026-06-01",
                                                     end_date="2026-06-26", filters={"industry": ["烟花爆竹", "危险化学品"]}))
    t.check("a draft task is edited: 200 with the new fields", st == 200 and b["name"] == "第二批烟花爆竹经营单位抽查" and
            b["start_date"] == "2026-06-01" and b["filters"] == {"industry": ["烟花爆竹", "危险化学品"]}, (st, b))
    (details,) = s.sql("SELECT details FROM audit WHERE action = 'task.update' AND object = ?", f"task:{tid}")[0]
    d = json.loads(details)
    t.check("  audited with the task before and the body", d["before"]["name"] == "草稿任务" and
            d["after"]["name"] == "第二批烟花爆竹经营单位抽查", d)
    before = row()
    for name, b2, code, err in [
        ("an end before the start", body(items, start_date="2026-06-30", end_date="2026-06-01"), 400, "bad_date"),
        ("an unknown field", body(items, colour="red"), 400, "unknown_field"),
        ("an unknown item", body(items, item_ids=[999999]), 422, "unknown_item"),
        ("no name", body(items, name=""), 400, "bad_request"),
    ]:
        st, b = planner.put(f"/api/tasks/{tid}", b2)
        t.check(f"an edit with {name} is refused ({code} {err})", st == code and is_error_body(b, err), (st, b))
    t.check("  and changes nothing", row() == before and audits("task.update") == 1)

    # another org's planner
    st, orgs = admin.get("/api/orgs")
    other = next(o for o in orgs if o["kind"] != "bureau")
    st, b = admin.post("/api/users", {"username": "otherplanner", "password": "otherplanner-pw", "role": "planner", "org_id": other["id"]})
    assert st == 201, (st, b)
    op = s.login("otherplanner", "otherplanner-pw")
    st, b = op.put(f"/api/tasks/{tid}", body(items, name="别人的修改"))
    t.check("a planner of another org cannot edit it (403 or 404)", st in (403, 404) and is_error_body(b), (st, b))
    st, b = op.post(f"/api/tasks/{tid}/cancel", {"reason": "不要了"})
    t.check("  nor cancel it", st in (403, 404) and is_error_body(b), (st, b))
    st, b = head.put(f"/api/tasks/{tid}", body(items))
    t.check("a head may not edit tasks (403)", st == 403 and is_error_body(b), (st, b))
    t.check("  nothing changed", row() == before)

    st, b = planner.post(f"/api/tasks/{tid}/cancel", {})
    t.check("cancelling without a reason is refused (400 reason_required)", st == 400 and is_error_body(b, "reason_required"), (st, b))
    t.check("  nothing changed", row() == before and audits("task.cancel") == 0)
    st, b = planner.post(f"/api/tasks/{tid}/cancel", {"reason": "与市场监管局的联合抽查重复，改为加入对方任务"})
    t.check("with a reason the draft is cancelled", st == 200 and b["cancelled_at"] and
            b["cancel_reason"] == "与市场监管局的联合抽查重复，改为加入对方任务", (st, b))
    t.check("  audited", audits("task.cancel") == 1)
    st, lst = planner.get("/api/tasks")
    t.check("it leaves the task list", st == 200 and all(x["id"] != tid for x in lst["tasks"]), lst)
    st, lst = planner.get("/api/tasks?status=draft")
    t.check("  and the drafts to do", all(x["id"] != tid for x in lst["tasks"]))
    st, lst = planner.get("/api/tasks?status=cancelled")
    t.check("  and is listed under status=cancelled", [x["id"] for x in lst["tasks"]] == [tid], lst)
    before = row()
    st, b = planner.post(f"/api/tasks/{tid}/freeze", V2_FREEZE)
    t.check("a cancelled task cannot be frozen (409 cancelled)", st == 409 and is_error_body(b, "cancelled"), (st, b))
    st, b = planner.put(f"/api/tasks/{tid}", body(items))
    t.check("  nor edited (409 cancelled)", st == 409 and is_error_body(b, "cancelled"), (st, b))
    st, b = planner.post(f"/api/tasks/{tid}/cancel", {"reason": "再取消一次"})
    t.check("  nor cancelled again (409 cancelled)", st == 409 and is_error_body(b, "cancelled"), (st, b))
    t.check("  nothing changed", row() == before and s.sql("SELECT count(*) FROM task_freezes WHERE task_id = ?", tid)[0][0] == 0)

    # a frozen task
    st, t2 = planner.post("/api/tasks", body(items, name="已冻结的任务"))
    st, b = planner.post(f"/api/tasks/{t2['id']}/freeze", V2_FREEZE)
    assert st == 200, (st, b)
    st, b = planner.put(f"/api/tasks/{t2['id']}", body(items, name="冻结后修改"))
    t.check("a frozen task cannot be edited (409 not_draft)", st == 409 and is_error_body(b, "not_draft"), (st, b))
    st, b = planner.post(f"/api/tasks/{t2['id']}/cancel", {"reason": "冻结后取消"})
    t.check("  nor cancelled (409 not_draft)", st == 409 and is_error_body(b, "not_draft"), (st, b))
    t.check("  its name unchanged", s.sql("SELECT name, cancelled_at FROM tasks WHERE id = ?", t2["id"]) == [("已冻结的任务", None)])

t.finish()
