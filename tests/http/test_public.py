"""Public disclosure a member of the public can use (SPEC §12, issue 16): an announcement names the
dispatched units (统一社会信用代码 + 单位名称), the items by name and each team member as 姓名 + 执法证号,
and nothing personal (no 身份证号, no phone); the public task list finds a task by a drawn unit's name
or USCC; GET /api/public/units/{uscc} tells a unit in which tasks it was selected, a candidate or
excluded (with the public reason) and shows its published results; public results are searchable by
unit and show a correction's value before and after."""
import json
import urllib.parse
from spot import Server, Suite, is_error_body, complete_teams, sign_review_publish, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS

t = Suite()
YEAR = 2026


def text(body):
    return json.dumps(body, ensure_ascii=False)


with Server(demo=True) as s:
    admin = s.login()
    for u, role in (("planner1", "planner"), ("head1", "head")):
        st, body = admin.post("/api/users", {"username": u, "password": u + "-password", "role": role})
        assert st == 201, (st, body)
    planner = s.login("planner1", "planner1-password")
    head = s.login("head1", "head1-password")
    anon = s.client()

    st, items = planner.get("/api/items")
    item = next(i for i in items["items"] if i["checkpoints"])
    st, task = planner.post("/api/tasks", {
        "name": "公开测试任务", "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": ["烟花爆竹"]},
        "directed": False, "lead_unit": "高青县应急管理局", "start_date": f"{YEAR}-03-02", "end_date": f"{YEAR}-03-20"})
    assert st == 201, (st, task)
    tid = task["id"]
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planner.post(f"/api/tasks/{tid}/{path}", body)
        assert st in (200, 201), (path, st, b)
    complete_teams(s, tid)

    st, ann = anon.get(f"/api/public/tasks/{tid}")
    t.check("the announcement is public", st == 200, (st, ann))
    selected = [u for st_ in ann["draw"]["strata"] for u in st_["selected"]]
    names = dict(s.sql("SELECT uscc, name FROM enterprises"))
    units = ann.get("units", [])
    t.check("the announcement names every dispatched unit by USCC and 单位名称, in draw order",
            [u["uscc"] for u in units] == selected and all(u["name"] == names[u["uscc"]] and u["name"] for u in units),
            (selected, units))
    t.check("the announcement names its items", ann["task"].get("items") == [{"id": item["id"], "name": item["name"]}],
            ann["task"].get("items"))
    insp = dict(s.sql("SELECT cert_no, name FROM inspectors"))
    teams = ann.get("teams", [])
    t.check("every team member is shown as 姓名 + 执法证号, the leader too",
            len(teams) == len(selected) and all(
                [m["cert_no"] for m in tm["members"]] == tm["inspectors"] and
                all(m["name"] == insp[m["cert_no"]] for m in tm["members"]) and
                tm["leader_name"] == insp[tm["leader"]] for tm in teams), teams[:1])
    t.check("a team member has nothing but cert_no and name",
            all(set(m) == {"cert_no", "name"} for tm in teams for m in tm["members"]), teams[:1])

    # search the public list by a drawn unit's name and USCC
    u0 = units[0]
    for what, q in (("name", u0["name"]), ("USCC", u0["uscc"])):
        st, b = anon.get("/api/public/tasks?q=" + urllib.parse.quote(q))
        t.check(f"the public task list finds the task by a drawn unit's {what}",
                st == 200 and [x["id"] for x in b["tasks"]] == [tid], (st, b))

    # was my company drawn?
    st, me = anon.get(f"/api/public/units/{u0['uscc']}")
    t.check("a selected unit sees the task as selected, with its stratum",
            st == 200 and me["name"] == u0["name"] and [(x["task_id"], x["status"], x["stratum"]) for x in me["tasks"]]
            == [(tid, "selected", u0["stratum"])], (st, me))
    st, me_lower = anon.get(f"/api/public/units/{u0['uscc'].lower()}")
    t.check("the USCC may be typed in lower case", st == 200 and me_lower["uscc"] == u0["uscc"]
            and len(me_lower["tasks"]) == 1, (st, me_lower))
    cands = [c for st_ in ann["draw"]["strata"] for c in st_["candidates"] if c not in selected]
    st, me = anon.get(f"/api/public/units/{cands[-1]}")
    t.check("an eligible unit that was not drawn sees the task as candidate",
            st == 200 and [(x["task_id"], x["status"]) for x in me["tasks"]] == [(tid, "candidate")]
            and me["results"] == [], (st, me))
    excl = s.sql("SELECT uscc, reason, clause FROM task_exclusions WHERE task_id = ? ORDER BY pos LIMIT 1", tid)
    t.check("the demo task excluded some unit (set-up)", len(excl) == 1, excl)
    if excl:
        st, me = anon.get(f"/api/public/units/{excl[0][0]}")
        t.check("an excluded unit sees the task as excluded with the public reason and clause",
                st == 200 and [(x["task_id"], x["status"], x["reason"], x["clause"]) for x in me["tasks"]]
                == [(tid, "excluded", excl[0][1], excl[0][2])], (st, me))
    other = s.sql("SELECT uscc FROM enterprises WHERE industry <> '烟花爆竹' LIMIT 1")[0][0]
    st, me = anon.get(f"/api/public/units/{other}")
    t.check("a unit of another industry was in no task", st == 200 and me["tasks"] == [] and me["results"] == []
            and me["name"] == names[other], (st, me))
    bad = u0["uscc"][:17] + ("0" if u0["uscc"][17] != "0" else "1")
    st, b = anon.get(f"/api/public/units/{bad}")
    t.check("a USCC with a wrong check character is refused (400, Chinese message)",
            st == 400 and is_error_body(b, "bad_request") and "统一社会信用代码" in b["message"], (st, b))

    # a published result of u0, then a correction
    st, tm = planner.get(f"/api/tasks/{tid}/teams")
    team = next(x for x in tm["teams"] if x["uscc"] == u0["uscc"])
    clients = []
    for c in team["inspectors"]:
        u = "i" + c.lower()
        st, b = admin.post("/api/users", {"username": u, "password": u + "-password", "role": "inspector", "cert_no": c})
        assert st == 201, (st, b)
        clients.append(s.login(u, u + "-password"))
    st, res = clients[0].post(f"/api/tasks/{tid}/results", {
        "uscc": u0["uscc"], "category": "a", "summary": "未发现问题",
        "records": [{"item_id": item["id"], "checkpoint_id": cp["id"], "category": "a", "finding": "符合要求"} for cp in item["checkpoints"]]})
    assert st == 201, (st, res)
    rid = res["id"]
    sign_review_publish(clients, head, rid)
    st, c1 = planner.post(f"/api/results/{rid}/corrections", {"reason": "复查发现记录有误", "changes": {"category": "b"}})
    assert st == 201, (st, c1)
    st, b = head.post(f"/api/results/{rid}/corrections/{c1['id']}/approve", {"note": "同意"})
    assert st == 200, (st, b)

    for what, qs in (("USCC", "uscc=" + u0["uscc"]), ("name (q)", "q=" + urllib.parse.quote(u0["name"])),
                     ("task name (q)", "q=" + urllib.parse.quote("公开测试")), ("township", "township=" +
                     urllib.parse.quote(s.sql("SELECT region FROM enterprises WHERE uscc = ?", u0["uscc"])[0][0]))):
        st, b = anon.get("/api/public/results?" + qs)
        t.check(f"public results are found by the unit's {what}",
                st == 200 and rid in [x["id"] for x in b["results"]] and b["total"] >= 1, (st, b))
    st, b = anon.get("/api/public/results?q=" + urllib.parse.quote("没有这个单位%"))
    t.check("a search that matches nothing finds nothing (and % is literal)", st == 200 and b["total"] == 0
            and b["results"] == [], (st, b))
    st, b = anon.get("/api/public/results?uscc=" + u0["uscc"])
    cor = b["results"][0]["corrections"] if st == 200 and b["results"] else []
    t.check("a published correction shows the value before and after, its date and reason",
            b["results"][0]["category"] == "b" and len(cor) == 1 and cor[0]["before"].get("category") == "a"
            and cor[0]["changes"]["category"] == "b" and cor[0]["reason"] == "复查发现记录有误"
            and len(cor[0]["date"]) == 10, cor)
    st, me = anon.get(f"/api/public/units/{u0['uscc']}")
    t.check("the unit's page lists its published result, corrected",
            st == 200 and [(x["id"], x["category"]) for x in me["results"]] == [(rid, "b")], (st, me))
    st, b = anon.get("/api/public/results?q=" + "x" * 201)
    t.check("an over-long search is refused (400)", st == 400 and is_error_body(b, "bad_request"), (st, b))

    # gzip transfer (SPEC §12, issue 16 item 6) for a client that accepts it; the same bytes otherwise
    import gzip, http.client
    def raw_get(path, headers):
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        out = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        conn.close()
        return out
    path = f"/api/public/tasks/{tid}"
    st0, h0, plain = raw_get(path, {})
    for attempt in ("first (built)", "second (cached)"):
        st1, h1, zipped = raw_get(path, {"Accept-Encoding": "gzip, deflate"})
        t.check(f"announcement with Accept-Encoding gzip, {attempt}: Content-Encoding gzip, same JSON, smaller",
                st1 == 200 and h1.get("content-encoding") == "gzip" and gzip.decompress(zipped) == plain
                and len(zipped) * 2 < len(plain) and "accept-encoding" in h1.get("vary", "").lower(),
                (st1, h1, len(zipped), len(plain)))
    t.check("without Accept-Encoding: plain JSON, Vary: Accept-Encoding", st0 == 200 and "content-encoding" not in h0
            and json.loads(plain)["task"]["id"] == tid and "accept-encoding" in h0.get("vary", "").lower(), h0)
    st2, h2, body2 = raw_get(path, {"Accept-Encoding": "gzip;q=0, identity"})
    t.check("gzip;q=0 is honoured: plain JSON", st2 == 200 and "content-encoding" not in h2 and body2 == plain, h2)

    # nothing personal anywhere public
    st, lst = anon.get(f"/api/public/tasks?year={YEAR}")
    st, ann = anon.get(f"/api/public/tasks/{tid}")
    st, me = anon.get(f"/api/public/units/{u0['uscc']}")
    st, rs = anon.get(f"/api/public/results?task={tid}")
    blob = text(lst) + text(ann) + text(me) + text(rs)
    secrets = [x for row in s.sql("SELECT id_number, phone FROM inspectors") for x in row if x]
    leaked = [x for x in secrets if x in blob]
    t.check("no inspector's 身份证号 or phone appears in any public reply",
            len(secrets) > 10 and leaked == [], leaked[:5])
    t.check("no field named like personal data appears",
            not any(k in blob for k in ('"id_number"', '"phone"', '"legal_rep"', '"gender"')), "")

t.finish()
