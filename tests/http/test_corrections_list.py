"""The list of correction requests across results (GET /api/corrections, clause 9.1): heads, planners
and admins find pending corrections without loading every result; inspectors and auditors are
refused (403); the status filter keeps an approved one out of the pending list; newest first, paged;
bad parameters refused with 400."""
from spot import Server, Suite, is_error_body, complete_teams, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS

t = Suite()
YEAR = 2026


def published_result(s, admin, planner, head, name, industry, unit_index):
    """A task through the draw and team draw, and the result of one of its units entered, signed by
    the whole team, approved and published. Returns (result id, uscc, task id, inspector client)."""
    st, items = planner.get("/api/items")
    item = next(i for i in items["items"] if i["checkpoints"])
    st, task = planner.post("/api/tasks", {
        "name": name, "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": [industry]},
        "directed": False, "lead_unit": "高青县应急管理局", "start_date": f"{YEAR}-03-02", "end_date": f"{YEAR}-03-20"})
    assert st == 201, (st, task)
    tid = task["id"]
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planner.post(f"/api/tasks/{tid}/{path}", body)
        assert st in (200, 201), (path, st, b)
    complete_teams(s, tid)
    st, teams = planner.get(f"/api/tasks/{tid}/teams")
    team = teams["teams"][unit_index]
    clients = []
    for c in team["inspectors"]:
        u = "i" + c.lower()
        st, b = admin.post("/api/users", {"username": u, "password": u + "-password", "role": "inspector", "cert_no": c})
        assert st == 201 or is_error_body(b, "exists") or is_error_body(b), (st, b)
        clients.append(s.login(u, u + "-password"))
    st, res = clients[0].post(f"/api/tasks/{tid}/results", {
        "uscc": team["uscc"], "category": "a", "summary": "未发现问题",
        "records": [{"item_id": item["id"], "checkpoint_id": cp["id"], "category": "a", "finding": "符合要求"} for cp in item["checkpoints"]]})
    assert st == 201, (st, res)
    rid = res["id"]
    for c in clients:
        st, b = c.post(f"/api/results/{rid}/sign")
        assert st == 200, (st, b)
    st, b = head.post(f"/api/results/{rid}/review", {"approve": True})
    assert st == 200, (st, b)
    st, b = head.post(f"/api/results/{rid}/publish")
    assert st == 200, (st, b)
    return rid, team["uscc"], tid, clients[0]


with Server(demo=True) as s:
    admin = s.login()
    for u, role in (("planner1", "planner"), ("head1", "head"), ("auditor1", "auditor")):
        st, body = admin.post("/api/users", {"username": u, "password": u + "-password", "role": role})
        assert st == 201, (st, body)
    planner = s.login("planner1", "planner1-password")
    head = s.login("head1", "head1-password")
    auditor = s.login("auditor1", "auditor1-password")

    r1, uscc1, tid1, insp = published_result(s, admin, planner, head, "更正列表测试任务一", "烟花爆竹", 0)
    r2, uscc2, tid2, _ = published_result(s, admin, planner, head, "更正列表测试任务二", "烟花爆竹", 1)

    st, body = head.get("/api/corrections?status=pending")
    t.check("empty pending list before any request", st == 200 and body["corrections"] == [] and body["total"] == 0,
            (st, body))

    # r1: a correction that the head approves; r2: one left pending (requested later).
    st, c1 = planner.post(f"/api/results/{r1}/corrections", {"reason": "复查发现记录有误（已批准的）", "changes": {"category": "b"}})
    t.check("first correction requested", st == 201, (st, c1))
    st, b = head.post(f"/api/results/{r1}/corrections/{c1['id']}/approve", {"note": "同意"})
    t.check("first correction approved", st == 200, (st, b))
    st, c2 = planner.post(f"/api/results/{r2}/corrections", {"reason": "单位名称录入错误（待批准的）", "changes": {"summary": "更正后的结论"}})
    t.check("second correction requested", st == 201, (st, c2))

    for name, client in (("inspector", insp), ("auditor", auditor)):
        st, body = client.get("/api/corrections?status=pending")
        t.check(f"{name} may not list corrections (403)", st == 403 and is_error_body(body), (st, body))
    st, body = s.client().get("/api/corrections?status=pending")
    t.check("anonymous may not list corrections (401)", st == 401 and is_error_body(body), (st, body))

    for name, client in (("head", head), ("planner", planner), ("admin", admin)):
        st, body = client.get("/api/corrections?status=pending")
        ok = st == 200 and body["total"] == 1 and len(body["corrections"]) == 1
        one = body["corrections"][0] if ok else {}
        t.check(f"{name}: the pending correction is listed, the approved one is not",
                ok and one["id"] == c2["id"] and one["result_id"] == r2 and one["uscc"] == uscc2 and
                one["task_id"] == tid2 and one["reason"] == "单位名称录入错误（待批准的）" and one["status"] == "pending" and
                one["requested_by"] == "planner1" and one["requested_at"] and one["name"] and
                one["changes"] == {"summary": "更正后的结论"}, (st, body))

    st, body = head.get("/api/corrections?status=approved")
    t.check("the approved one under status=approved",
            st == 200 and [x["id"] for x in body["corrections"]] == [c1["id"]] and body["corrections"][0]["decided_by"] == "head1",
            (st, body))
    st, body = head.get("/api/corrections")
    t.check("without a status: all, newest first", st == 200 and [x["id"] for x in body["corrections"]] == [c2["id"], c1["id"]],
            (st, body))
    st, body = head.get("/api/corrections?per_page=1&page=2")
    t.check("paged", st == 200 and body["total"] == 2 and body["page"] == 2 and body["per_page"] == 1 and
            [x["id"] for x in body["corrections"]] == [c1["id"]], (st, body))
    for q in ("status=done", "page=0", "per_page=1000", "page=x"):
        st, body = head.get(f"/api/corrections?{q}")
        t.check(f"bad parameter refused 400: {q}", st == 400 and is_error_body(body), (st, body))

t.finish()
