"""Caches never serve stale data (issue 7): the announcement and directory page reply caches, the
per-worker session cache and the rules generation check all follow the change epoch (worker.h).
With four workers and a new connection per request (so requests land on different workers), a
change made through the API (recusal, replacement approval, directory edit, role change,
deactivation, logout) or behind the server's back by another process (sqlite3 edits, as a console
or admin tool would) shows on every next request."""
import json
from spot import Server, Suite, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS

t = Suite()
N = 16  # requests per round; each opens its own connection
YEAR = 2026


def replies(client, path, n=N):
    return [client.get(path) for _ in range(n)]


def same_bytes(rs):
    return len({json.dumps(b, sort_keys=True) for _, b in rs}) == 1


with Server(demo=True, threads=4) as s:
    admin = s.login()
    for u, role in (("planner1", "planner"), ("head1", "head"), ("aud1", "auditor"), ("aud2", "auditor")):
        st, body = admin.post("/api/users", {"username": u, "password": u + "-password", "role": role})
        assert st == 201, (st, body)
    planner = s.login("planner1", "planner1-password")
    head = s.login("head1", "head1-password")
    anon = s.client()

    # ---- a locked task with teams ----
    st, task = planner.post("/api/tasks", {"name": "缓存测试", "mode": "untargeted", "start_date": f"{YEAR}-12-01",
                                           "end_date": f"{YEAR}-12-20"})
    assert st == 201, (st, task)
    tid = task["id"]
    for step, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planner.post(f"/api/tasks/{tid}/{step}", body)
        assert st in (200, 201), (step, st, str(b)[:300])
    path = f"/api/public/tasks/{tid}"

    rs = replies(anon, path)
    t.check("repeated announcement GETs on all workers are 200 and identical",
            all(st == 200 for st, _ in rs) and same_bytes(rs), [st for st, _ in rs])
    ann0 = rs[0][1]
    team0 = next((x for x in ann0["teams"] if len(x["inspectors"]) >= 2), ann0["teams"][0])
    member = team0["inspectors"][-1]

    # recusal through the API
    st, b = admin.post("/api/users", {"username": "insp1", "password": "insp1-password", "role": "inspector",
                                      "cert_no": member})
    insp = s.login("insp1", "insp1-password")
    st, rec = insp.post("/api/conflicts", {"task_id": tid, "uscc": team0["uscc"], "cert_no": member,
                                           "reason": "本人配偶在该企业任职"})
    assert st == 201, (st, rec)
    st, ap = head.post(f"/api/conflicts/{rec['id']}/approve")   # a recusal counts once a head approves
    assert st == 200, (st, ap)
    rs = replies(anon, path)
    teams = [next(x for x in b["teams"] if x["uscc"] == team0["uscc"]) for _, b in rs]
    t.check("after a recusal every worker's announcement drops the recused inspector at once",
            all(member not in x["inspectors"] for x in teams) and same_bytes(rs), [x["inspectors"] for x in teams][:4])
    now = teams[0]

    # replacement with head approval
    target = now["inspectors"][0]
    st, rq = planner.post(f"/api/tasks/{tid}/teams/{team0['uscc']}/replace",
                          {"cert_no": target, "reason_code": "health", "reason": "住院治疗"})
    assert st == 201, (st, rq)
    rs = replies(anon, path, 8)
    t.check("a pending replacement leaves the announcement as it was",
            all(next(x for x in b["teams"] if x["uscc"] == team0["uscc"])["inspectors"] == now["inspectors"]
                for _, b in rs))
    st, ap = head.post(f"/api/tasks/{tid}/teams/{team0['uscc']}/replace/{rq['id']}/approve")
    assert st == 200, (st, ap)
    rs = replies(anon, path)
    teams = [next(x for x in b["teams"] if x["uscc"] == team0["uscc"]) for _, b in rs]
    t.check("after a replacement approval every worker's announcement shows the new team at once",
            all(target not in x["inspectors"] for x in teams) and same_bytes(rs), [x["inspectors"] for x in teams][:4])

    # a change made by another process (not through this server)
    s.sql("UPDATE tasks SET name = '另一进程改名' WHERE id = ?", tid)
    rs = replies(anon, path)
    t.check("a change committed by another process shows in every worker's announcement at once",
            all(b["task"]["name"] == "另一进程改名" for _, b in rs), [b["task"]["name"] for _, b in rs][:4])

    # ---- the directory page ----
    page = "/api/enterprises?page=1"
    rs = replies(planner, page)
    t.check("repeated directory pages on all workers are 200 and identical",
            all(st == 200 for st, _ in rs) and same_bytes(rs))
    first = rs[0][1]["items"][0]
    total0 = rs[0][1]["total"]
    st, b = planner.put(f"/api/enterprises/{first['id']}", {"name": "高青县缓存测试化工有限公司"})
    assert st == 200, (st, b)
    rs = replies(planner, page)
    t.check("an edit through the API shows on every worker's directory page at once",
            all(b["items"][0]["name"] == "高青县缓存测试化工有限公司" for _, b in rs))
    s.sql("UPDATE enterprises SET name = '另一进程改的名字' WHERE id = ?", first["id"])
    rs = replies(planner, page)
    t.check("an edit by another process shows on every worker's directory page at once",
            all(b["items"][0]["name"] == "另一进程改的名字" for _, b in rs))
    # the total of a filter: cached per filter, recounted after a change
    rs = replies(planner, "/api/enterprises?page=2", 4)
    s.sql("UPDATE enterprises SET status = 'closed' WHERE id = ?", first["id"])
    closed_before = replies(planner, "/api/enterprises?status=closed&page=1", 1)[0][1]["total"]
    s.sql("UPDATE enterprises SET status = 'active' WHERE id = ?", first["id"])
    rs = replies(planner, "/api/enterprises?status=closed&page=2")
    t.check("a filter's total follows a change on every worker (no stale count)",
            all(st == 200 and b["total"] == closed_before - 1 for st, b in rs), (closed_before, [b["total"] for _, b in rs][:4]))
    rs = replies(planner, "/api/enterprises?page=3", 4)
    t.check("the unfiltered total stays right", all(b["total"] == total0 for _, b in rs))
    # identity numbers: the admin's page and a planner's are cached apart
    ins_admin = replies(admin, "/api/inspectors?page=1", 4)
    ins_plan = replies(planner, "/api/inspectors?page=1", 4)
    t.check("admin and planner directory replies are never mixed up by the cache",
            same_bytes(ins_admin) and same_bytes(ins_plan) and
            json.dumps(ins_admin[0][1]) != json.dumps(ins_plan[0][1]), (ins_admin[0][0], ins_plan[0][0]))

    # ---- sessions ----
    aud = s.login("aud1", "aud1-password")
    rs = replies(aud, "/api/users", 8)
    t.check("an auditor cannot list users (403), on every worker", all(st == 403 for st, _ in rs))
    uid = s.sql("SELECT id FROM users WHERE username = 'aud1'")[0][0]
    st, b = admin.put(f"/api/users/{uid}", {"role": "admin"})
    assert st == 200, (st, b)
    rs = replies(aud, "/api/users")
    me = replies(aud, "/api/me", 8)
    t.check("a role change applies at once on every worker",
            all(st == 200 for st, _ in rs) and all(b["role"] == "admin" for _, b in me), [st for st, _ in rs])
    st, b = admin.put(f"/api/users/{uid}", {"active": False})
    assert st == 200, (st, b)
    rs = replies(aud, "/api/me")
    t.check("a deactivation ends the session at once on every worker", all(st == 401 for st, _ in rs),
            [st for st, _ in rs])

    aud2 = s.login("aud2", "aud2-password")
    rs = replies(aud2, "/api/me", 8)
    assert all(st == 200 for st, _ in rs), rs
    uid2 = s.sql("SELECT id FROM users WHERE username = 'aud2'")[0][0]
    s.sql("UPDATE users SET role = 'head' WHERE id = ?", uid2)
    rs = replies(aud2, "/api/me")
    t.check("a role changed by another process applies at once on every worker",
            all(st == 200 and b["role"] == "head" for st, b in rs), [b for _, b in rs][:3])
    s.sql("UPDATE sessions SET seen_at = seen_at - 10000000, created_at = created_at - 10000000 "
          "WHERE user_id = ?", uid2)
    rs = replies(aud2, "/api/me")
    t.check("an expired session is refused at once on every worker", all(st == 401 for st, _ in rs),
            [st for st, _ in rs])

    p2 = s.login("planner1", "planner1-password")
    rs = replies(p2, "/api/me", 8)
    assert all(st == 200 for st, _ in rs), rs
    old_cookie = p2.cookie
    st, b = p2.post("/api/logout", {})
    p2.cookie = old_cookie  # a client that keeps sending the ended session's cookie
    rs = replies(p2, "/api/me")
    t.check("logout ends the session at once on every worker", st == 200 and all(x == 401 for x, _ in rs),
            [x for x, _ in rs])

t.finish()
