"""Server-side paging and filters of the task's result list and the objection list (issue: lists
that scale): GET /api/tasks/{id}/results?page=&per_page=&q=&uscc=&status=&mine=1 returns one page of
the task's units in draw order with the results of exactly those units and {total, page, per_page};
GET /api/objections?status=&q=&page=&per_page= likewise. Without paging parameters the result list is
whole (the .xlsx export holds every row); bad parameters are 400 with the §5 body."""
from spot import Server, Suite, bureau_today, dispatched_task, staff_clients, inspector_clients, is_error_body, sign_review_publish
from urllib.parse import quote

t = Suite()

with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "分页测试任务", "2026-03-02", "2026-03-20", "烟花爆竹")
    tid = task["id"]
    n_units = s.sql("SELECT count(*) FROM task_units WHERE task_id = ?", tid)[0][0]
    order = [r[0] for r in s.sql("SELECT uscc FROM task_units WHERE task_id = ? ORDER BY pos", tid)]
    t.check("the fixture task has more than 3 units", n_units > 3, n_units)

    # results of the first two teams: one published, one draft
    team, team2 = teams[0], teams[1]
    ins = inspector_clients(s, admin, sorted(set(team["inspectors"] + team2["inspectors"])))
    a = ins[team["inspectors"][0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "未发现问题"})
    assert st == 201, (st, res)
    sign_review_publish([ins[c] for c in team["inspectors"]], head, res["id"])
    st, draft = ins[team2["inspectors"][0]].post(f"/api/tasks/{tid}/results", {"uscc": team2["uscc"], "category": "a"})
    assert st == 201, (st, draft)

    # the whole list without parameters (as before)
    st, whole = planner.get(f"/api/tasks/{tid}/results")
    t.check("no paging parameters: every unit and result", st == 200 and len(whole["units"]) == n_units and
            len(whole["results"]) == 2 and "total" not in whole, (st, len(whole.get("units", []))))

    st, p1 = planner.get(f"/api/tasks/{tid}/results?page=1&per_page=2")
    t.check("page 1 of 2 per page: the first two units in draw order",
            st == 200 and [u["uscc"] for u in p1["units"]] == order[:2] and p1["total"] == n_units and
            p1["page"] == 1 and p1["per_page"] == 2, (st, p1))
    t.check("page 1 carries only the results of its own units",
            all(r["uscc"] in order[:2] for r in p1["results"]), p1["results"])
    last = (n_units + 1) // 2
    st, pl = planner.get(f"/api/tasks/{tid}/results?page={last}&per_page=2")
    t.check("the last page holds the rest", st == 200 and [u["uscc"] for u in pl["units"]] == order[(last - 1) * 2:], pl)
    st, pe = planner.get(f"/api/tasks/{tid}/results?page={last + 1}&per_page=2")
    t.check("a page past the end is empty with the total", st == 200 and pe["units"] == [] and pe["total"] == n_units, pe)

    st, pub = planner.get(f"/api/tasks/{tid}/results?status=published")
    t.check("status=published: the one published unit with its result",
            st == 200 and [u["uscc"] for u in pub["units"]] == [team["uscc"]] and pub["total"] == 1 and
            [r["status"] for r in pub["results"]] == ["published"], pub)
    st, dr = planner.get(f"/api/tasks/{tid}/results?status=draft")
    t.check("status=draft: the draft unit", st == 200 and [u["uscc"] for u in dr["units"]] == [team2["uscc"]], dr)
    st, none = planner.get(f"/api/tasks/{tid}/results?status=none&per_page=500")
    t.check("status=none: the units without a result (未录入)",
            st == 200 and none["total"] == n_units - 2 and none["results"] == [] and
            team["uscc"] not in [u["uscc"] for u in none["units"]], (none["total"], n_units))

    # status=signed: a draft every member of its team has signed (awaiting the head's review)
    st, sg = planner.get(f"/api/tasks/{tid}/results?status=signed")
    t.check("status=signed: none while the draft lacks signatures", st == 200 and sg["total"] == 0 and sg["units"] == [], sg)
    for c in team2["inspectors"][:-1]:
        assert ins[c].post(f"/api/results/{draft['id']}/sign")[0] == 200
    st, sg = planner.get(f"/api/tasks/{tid}/results?status=signed")
    t.check("  nor with one signature missing", st == 200 and sg["total"] == 0, sg)
    assert ins[team2["inspectors"][-1]].post(f"/api/results/{draft['id']}/sign")[0] == 200
    st, sg = planner.get(f"/api/tasks/{tid}/results?status=signed")
    t.check("  the draft once all of its team signed, and not the published one",
            st == 200 and sg["total"] == 1 and [u["uscc"] for u in sg["units"]] == [team2["uscc"]] and
            [r["id"] for r in sg["results"]] == [draft["id"]], sg)

    # teams?unlinked=1: the teams with a member who has no active account, and how many such members
    st, all_teams = planner.get(f"/api/tasks/{tid}/teams")
    linked = {c for (c,) in s.sql("SELECT cert_no FROM users WHERE cert_no IS NOT NULL AND active = 1")}
    members = {c for x in all_teams["teams"] for c in x["inspectors"]}
    without = members - linked
    st, ul = admin.get(f"/api/tasks/{tid}/teams?unlinked=1&per_page=200")
    t.check("teams?unlinked=1: the teams with a member without an account, and those members counted",
            st == 200 and without and ul["unlinked_members"] == len(without) and
            sorted(x["uscc"] for x in ul["teams"]) == sorted(x["uscc"] for x in all_teams["teams"] if set(x["inspectors"]) & without) and
            team["uscc"] not in [x["uscc"] for x in ul["teams"]], (st, ul.get("unlinked_members"), len(without)))
    s.sql("UPDATE users SET active = 0 WHERE cert_no = ?", team["inspectors"][0])
    st, ul2 = admin.get(f"/api/tasks/{tid}/teams?unlinked=1&per_page=200")
    t.check("  a deactivated account counts as none", st == 200 and ul2["unlinked_members"] == len(without) + 1 and
            team["uscc"] in [x["uscc"] for x in ul2["teams"]], ul2.get("unlinked_members"))
    s.sql("UPDATE users SET active = 1 WHERE cert_no = ?", team["inspectors"][0])

    name = s.sql("SELECT e.name FROM task_units u JOIN enterprises e ON e.id = u.enterprise_id WHERE u.task_id = ? "
                 "AND u.uscc = ?", tid, order[2])[0][0]
    st, byname = planner.get(f"/api/tasks/{tid}/results" + "?q=" + quote(name))
    t.check("q: part of the unit's name finds it", st == 200 and order[2] in [u["uscc"] for u in byname["units"]], byname)
    st, bycode = planner.get(f"/api/tasks/{tid}/results" + "?q=" + quote(order[3][-6:]))
    t.check("q: part of the USCC finds it", st == 200 and order[3] in [u["uscc"] for u in bycode["units"]], bycode)
    st, nomatch = planner.get(f"/api/tasks/{tid}/results" + "?q=" + quote("不存在的单位名称"))
    t.check("q matching nothing: empty page, total 0", st == 200 and nomatch["units"] == [] and nomatch["total"] == 0, nomatch)
    st, one = planner.get(f"/api/tasks/{tid}/results" + "?uscc=" + quote(team["uscc"]))
    t.check("uscc: exactly that unit and its result", st == 200 and [u["uscc"] for u in one["units"]] == [team["uscc"]]
            and [r["id"] for r in one["results"]] == [res["id"]], one)
    addr, rep = s.sql("SELECT address, legal_rep FROM enterprises WHERE uscc = ?", team["uscc"])[0]
    t.check("the unit carries its address and legal representative (shown on the record page)",
            one["units"][0]["address"] == addr and one["units"][0]["legal_rep"] == rep and addr, one["units"][0])

    mine_cert = team["inspectors"][0]
    st, mine = ins[mine_cert].get(f"/api/tasks/{tid}/results?mine=1&per_page=500")
    want = sorted(tm["uscc"] for tm in teams if mine_cert in tm["inspectors"])
    t.check("mine=1: the units whose team the inspector is on", st == 200 and
            sorted(u["uscc"] for u in mine["units"]) == want and mine["total"] == len(want), (mine, want))
    st, pmine = planner.get(f"/api/tasks/{tid}/results?mine=1")
    t.check("mine=1 for a planner without a certificate: nothing", st == 200 and pmine["total"] == 0, pmine)

    for q, why in (("status=closed", "unknown status"), ("page=0", "page 0"), ("per_page=501", "per_page over 500"),
                   ("page=x", "page not a number"), ("q=" + quote("长" * 100), "q over 200 bytes")):
        st, b = planner.get(f"/api/tasks/{tid}/results?{q}")
        t.check(f"bad parameter ({why}): 400", st == 400 and is_error_body(b), (st, b))

    st, raw = planner.request("GET", f"/api/tasks/{tid}/results?format=xlsx&per_page=1")
    t.check("format=xlsx ignores paging and is a workbook", st == 200 and raw[:2] == b"PK", (st, raw[:20]))

    # objections: three against the published result, one decided
    today = bureau_today().isoformat()
    ids = []
    for who in ("甲公司", "乙公司", "丙律师事务所"):
        st, o = planner.post("/api/objections", {"result_id": res["id"], "received": today, "text": "请求复核",
                                                  "applicant": who})
        assert st == 201, (st, o)
        ids.append(o["id"])
    st, d = head.post(f"/api/objections/{ids[0]}/decide", {"decision": "rejected", "reason": "检查记录属实",
                                                            "decided": today})
    assert st == 200, (st, d)

    st, o1 = planner.get("/api/objections?per_page=2")
    t.check("objections page 1 of 2 per page: newest first, total 3",
            st == 200 and [o["id"] for o in o1["objections"]] == [ids[2], ids[1]] and o1["total"] == 3 and
            o1["page"] == 1 and o1["per_page"] == 2, o1)
    st, o2 = planner.get("/api/objections?per_page=2&page=2")
    t.check("objections page 2: the oldest", st == 200 and [o["id"] for o in o2["objections"]] == [ids[0]], o2)
    st, rec = planner.get("/api/objections?status=received")
    t.check("status=received: the two undecided", st == 200 and sorted(o["id"] for o in rec["objections"]) ==
            sorted(ids[1:]) and rec["total"] == 2, rec)
    st, dec = planner.get("/api/objections?status=decided")
    t.check("status=decided: the decided one", st == 200 and [o["id"] for o in dec["objections"]] == [ids[0]], dec)
    st, byapp = planner.get("/api/objections" + "?q=" + quote("律师"))
    t.check("q: part of the applicant", st == 200 and [o["id"] for o in byapp["objections"]] == [ids[2]], byapp)
    st, byunit = planner.get("/api/objections" + "?q=" + quote(team["uscc"]))
    t.check("q: the unit's USCC finds all three", st == 200 and byunit["total"] == 3, byunit)
    for q, why in (("status=open", "unknown status"), ("page=0", "page 0"), ("per_page=1000", "per_page over 500")):
        st, b = planner.get(f"/api/objections?{q}")
        t.check(f"objections, bad parameter ({why}): 400", st == 400 and is_error_body(b), (st, b))
    st, raw = planner.request("GET", "/api/objections?format=xlsx&per_page=1")
    t.check("objections format=xlsx is a workbook", st == 200 and raw[:2] == b"PK", (st, raw[:20]))

t.finish()
