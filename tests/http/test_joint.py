"""Departments and joint checks over HTTP (SPEC §10; clauses 6.2, 7.2, 8.2): a task led by one org
with another's items; orgs given by id, checked (unknown, duplicate, not the caller's); planners act
only on their org's tasks; staff see only the tasks their org leads, joins or executes; lock assigns
every unit to its executing org by rule (inbox); the executing org's head decides, another org's head
gets 403 and changes nothing; a unit of an overlapping task is excluded with clause 8.2 naming it; a
department joins a draft task instead; the role x org x route matrix; 6.2 computed (plan warning,
accountability)."""
from spot import Server, Suite, is_error_body, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS, announcement_checks

t = Suite()
YEAR = 2026


def user(s, admin, name, role, org_id, cert_no=None):
    body = {"username": name, "password": name + "-password", "role": role, "org_id": org_id, "real_name": name}
    if cert_no:
        body["cert_no"] = cert_no
    st, b = admin.post("/api/users", body)
    assert st == 201, (st, b)
    return s.login(name, name + "-password")


with Server(demo=True) as s:
    admin = s.login()
    orgs = {o["name"]: o["id"] for o in admin.get("/api/orgs")[1]}
    A, B, C = orgs["高青县应急管理局"], orgs["高青县市场监督管理局"], orgs["淄博市生态环境局高青分局"]
    planA, planB, planC = (user(s, admin, f"plan{x}", "planner", o) for x, o in (("a", A), ("b", B), ("c", C)))
    headA, headB = (user(s, admin, f"head{x}", "head", o) for x, o in (("a", A), ("b", B)))
    auditor = user(s, admin, "audit1", "auditor", A)

    st, items = planA.get("/api/items")
    itemA = next(i for i in items["items"] if i["checkpoints"])
    st, itemB = admin.post("/api/items", {
        "name": "烟花爆竹经营单位产品质量检查", "target": "烟花爆竹经营单位", "category": "一般", "method": "现场检查",
        "department": "高青县市场监督管理局", "level": "县级", "basis": "《中华人民共和国产品质量法》",
        "checkpoints": ["产品合格证明", "进货查验记录"], "reason": "联合抽查事项"})
    t.check("an item of org B (检查部门 市场监管局) is created with B's org id", st == 201 and itemB.get("org_id") == B,
            (st, itemB))

    base = {"name": "烟花爆竹经营单位联合抽查", "item_ids": [itemA["id"], itemB["id"]], "mode": "targeted",
            "filters": {"industry": ["烟花爆竹"]}, "directed": False, "lead_org_id": A, "joint_org_ids": [B],
            "start_date": f"{YEAR}-12-01", "end_date": f"{YEAR}-12-15"}

    # ---- bad input: 4xx with the SPEC §5 body, nothing stored ----
    n_tasks = s.sql("SELECT count(*) FROM tasks")[0][0]
    n_audit = s.sql("SELECT count(*) FROM audit")[0][0]
    for name, client, body, code, err in [
        ("unknown joint org id", planA, dict(base, joint_org_ids=[99999]), 422, "unknown_org"),
        ("unknown lead org id", admin, dict(base, lead_org_id=99999), 422, "unknown_org"),
        ("the lead org also as joint org", planA, dict(base, joint_org_ids=[A]), 422, "duplicate_org"),
        ("the same joint org twice", planA, dict(base, joint_org_ids=[B, B]), 422, "duplicate_org"),
        ("joint org ids not an array", planA, dict(base, joint_org_ids=B), 400, "bad_request"),
        ("an unknown org name (legacy lead_unit)", planA, dict({k: v for k, v in base.items() if k != "lead_org_id"},
                                                               lead_unit="不存在的局"), 422, "unknown_org"),
        ("a planner of B leading a task for A", planB, base, 403, "forbidden"),
        ("an unknown check method (8.1)", planA, dict(base, check_methods=["phone"]), 422, "bad_check_method"),
        ("no check method (8.1)", planA, dict(base, check_methods=[]), 422, "bad_check_method"),
        ("an unknown joint check type", planA, dict(base, joint_check_type="random"), 422, "bad_check_method"),
        ("a joint check type on a task of one org", planA, dict(base, joint_org_ids=[], joint_check_type="special"), 422,
         "bad_check_method"),
    ]:
        st, b = client.post("/api/tasks", body)
        t.check(f"bad task: {name} -> {code} {err}", st == code and is_error_body(b, err), (st, b))
    t.check("refused tasks stored nothing and audited nothing",
            s.sql("SELECT count(*) FROM tasks")[0][0] == n_tasks and s.sql("SELECT count(*) FROM audit")[0][0] == n_audit)

    st, meta = s.client().get("/api/public/meta")
    t.check("8.1 check methods and joint check types come from the rules through meta",
            [(x["code"], x["label"]) for x in meta["check_methods"]] == [("documents", "查阅资料"), ("site", "检查现场")] and
            [(x["code"], x["label"]) for x in meta["joint_check_types"]] ==
            [("comprehensive", "综合联查"), ("risk", "风险分类联查"), ("special", "专项整治联查")], meta.get("check_methods"))
    st, task = planA.post("/api/tasks", dict(base, joint_check_type="special"))
    tid = task.get("id")
    t.check("8.1: a task without a choice of methods uses every method; the joint task's joint check type is stored",
            st == 201 and task["check_methods"] == ["documents", "site"] and task["joint_check_type"] == "special", task)
    t.check("joint task led by A with B: stored with org ids and the orgs' names",
            st == 201 and task["lead_org_id"] == A and task["joint_org_ids"] == [B] and
            task["lead_unit"] == "高青县应急管理局" and task["joint_units"] == ["高青县市场监督管理局"] and task["joint"] is True,
            (st, task))

    # ---- who may see and act on it ----
    st, b = planB.post(f"/api/tasks/{tid}/freeze", V2_FREEZE)
    t.check("a planner of B (joint org) cannot freeze A's task: 403", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = planC.get(f"/api/tasks/{tid}")
    t.check("a planner of an org not taking part does not see the task: 404", st == 404 and is_error_body(b, "not_found"),
            (st, b))
    st, b = planC.get("/api/tasks")
    t.check("... nor in the task list", st == 200 and all(x["id"] != tid for x in b["tasks"]), b)
    st, b = planB.get("/api/tasks")
    t.check("the joint org's planner sees it in the list", st == 200 and any(x["id"] == tid for x in b["tasks"]), b)
    t.check("a refused freeze changed nothing", s.sql("SELECT status FROM tasks WHERE id = ?", tid)[0][0] == "draft")

    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW)):
        st, b = planA.post(f"/api/tasks/{tid}/{path}", body)
        t.check(f"A's planner: {path}", st == 200, (st, b))
    st, b = headB.post(f"/api/tasks/{tid}/lock", V2_LOCK)
    t.check("a head of B cannot lock A's task: 403", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, ann = headA.post(f"/api/tasks/{tid}/lock", V2_LOCK)
    t.check("A's head locks it", st == 200, (st, ann))
    t.check("the announcement names the check methods and the joint check type (8.1)",
            ann["task"]["check_methods"] == ["documents", "site"] and ann["task"]["joint_check_type"] == "special",
            ann.get("task"))
    units = [u for (u,) in s.sql("SELECT uscc FROM task_units WHERE task_id = ? ORDER BY pos", tid)]
    disp = s.sql("SELECT uscc, org_id, reason, clause FROM task_dispatch WHERE task_id = ? ORDER BY uscc", tid)
    t.check("7.2: every unit is dispatched, to the lead org with the rule's reason (a joint task is one visit)",
            len(units) > 0 and sorted(units) == [d[0] for d in disp] and
            all(d[1:] == (A, "由牵头单位高青县应急管理局执行", "7.2") for d in disp), disp[:3])
    st, inbox = headA.get("/api/inbox")
    mine = [u for u in inbox.get("units", []) if u["task_id"] == tid]
    t.check("A's inbox lists the task's units with the reason", st == 200 and len(mine) == len(units) and
            mine[0]["org_name"] == "高青县应急管理局" and mine[0]["reason"] == "由牵头单位高青县应急管理局执行", (st, inbox))
    st, inbox = headB.get("/api/inbox")
    mine = [u for u in inbox.get("units", []) if u["task_id"] == tid]
    t.check("B's inbox lists them too, as the joint department (A executes them)",
            st == 200 and len(mine) == len(units) and all(u["executing"] == 0 and u["org_id"] == A for u in mine), inbox)
    st, inbox = planC.get("/api/inbox")
    t.check("C's inbox does not list them", st == 200 and all(u["task_id"] != tid for u in inbox["units"]), inbox)
    st, inbox = planA.get("/api/inbox?mine=1")
    t.check("mine=1 for a user who is on no team: empty", st == 200 and inbox["total"] == 0, inbox)
    st, b = planA.get("/api/inbox?page=0")
    t.check("inbox page 0: 400 bad_parameter", st == 400 and is_error_body(b, "bad_parameter"), (st, b))

    # ---- the executing org's head decides; another org's head gets 403 and changes nothing ----
    st, b = planA.post(f"/api/tasks/{tid}/teams", V2_TEAMS)
    t.check("team draw", st in (200, 201), (st, b))
    teams = planA.get(f"/api/tasks/{tid}/teams")[1]["teams"]
    team, other = teams[0], teams[-1]
    t.check("the joint task has teams for more than one unit", len(teams) > 1, len(teams))
    org_of = dict(s.sql("SELECT cert_no, org_id FROM inspectors"))
    t.check("SPEC §10: every unit's team has an inspector of A and one of B (B's own slot), and A's leader",
            teams and all(any(org_of[c] == A for c in x["inspectors"]) and any(org_of[c] == B for c in x["inspectors"]) and
                          org_of[x["leader"]] == A for x in teams), [(x["uscc"], x["inspectors"], x["leader"]) for x in teams[:3]])
    t.check("B's slot is drawn from B's inspectors only, by the SPEC §4 stream", all(
        any(sl["name"] == f"org:{B}" and sl["method"] == "random" and sl["pool"] and
            all(org_of[c] == B for c in sl["pool"]) for sl in x["slots"]) for x in teams), teams[0]["slots"])
    st, ann = s.client().get(f"/api/public/tasks/{tid}")
    vok, vout, jok, jerr, diffs = announcement_checks(s, ann)
    t.check("the announcement verifies with spotcheck verify", st == 200 and vok, vout[-1500:])
    t.check("... and with the browser's check (web/js/verify.js)", jok, jerr[:5])
    t.check("... and every team slot's pool and picks are re-checkable from the announcement alone (SPEC §4)", not diffs,
            diffs[:5])
    st, rq = planA.post(f"/api/tasks/{tid}/teams/{other['uscc']}/replace",
                        {"cert_no": other["inspectors"][0], "reason_code": "health", "reason": "住院治疗"})
    t.check("a replacement is requested", st == 201, (st, rq))
    st, b = headB.post(f"/api/tasks/{tid}/teams/{other['uscc']}/replace/{rq['id']}/approve")
    t.check("a head of B cannot approve a replacement in a unit executed by A: 403", st == 403 and
            is_error_body(b, "forbidden"), (st, b))
    t.check("... and nothing changed", s.sql("SELECT status FROM task_replacements WHERE id = ?", rq["id"])[0][0] == "pending")
    st, b = headA.post(f"/api/tasks/{tid}/teams/{other['uscc']}/replace/{rq['id']}/approve")
    t.check("A's head approves it", st == 200, (st, b))
    org_of = dict(s.sql("SELECT cert_no, org_id FROM inspectors"))
    team = next((x for x in teams[:-1] if any(org_of[c] == A for c in x["inspectors"])), team)
    members = [user(s, admin, "i" + c.lower(), "inspector", org_of[c], cert_no=c) for c in team["inspectors"]]
    of_a = [m for m, c in zip(members, team["inspectors"]) if org_of[c] == A]
    of_b = [m for m, c in zip(members, team["inspectors"]) if org_of[c] == B]
    recs = lambda it: [{"item_id": it["id"], "checkpoint_id": cp["id"], "category": "a", "finding": "符合要求"}
                       for cp in it["checkpoints"]]
    st, b = of_a[0].post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "未发现问题",
                                                       "records": recs(itemA) + recs(itemB)})
    t.check("分别填写: an inspector of A cannot record B's item in a joint task (422 foreign_item)",
            st == 422 and is_error_body(b, "foreign_item"), (st, b))
    st, res = of_a[0].post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "未发现问题",
                                                         "records": recs(itemA)})
    t.check("a result of a unit executed by A is entered with A's items", st == 201, (st, res))
    if of_b:   # the team has B's inspector (per-org slots): B's records join A's, A's stay
        st, res = of_b[0].post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a",
                                                             "summary": "未发现问题", "records": recs(itemB)})
        t.check("B's inspector adds B's items; A's records stay", st == 200 and
                sorted({r["item_id"] for r in res["records"]}) == sorted([itemA["id"], itemB["id"]]), (st, res))
    rid = res.get("id")
    for m in members:
        m.post(f"/api/results/{rid}/sign")
    st, b = headB.post(f"/api/results/{rid}/review", {"approve": True})
    t.check("a head of B cannot review it: 403", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = headA.post(f"/api/results/{rid}/review", {"approve": True})
    t.check("A's head reviews it", st == 200, (st, b))
    st, b = headB.post(f"/api/results/{rid}/publish")
    t.check("a head of B cannot publish it: 403", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = headA.post(f"/api/results/{rid}/publish")
    t.check("A's head publishes it", st == 200, (st, b))
    st, corr = planA.post(f"/api/results/{rid}/corrections", {"reason": "记录有误", "changes": {"summary": "更正后的结论"}})
    t.check("a correction is requested", st == 201, (st, corr))
    st, b = headB.post(f"/api/results/{rid}/corrections/{corr['id']}/approve", {"note": "同意"})
    t.check("a head of B cannot approve a correction of a unit executed by A: 403", st == 403 and
            is_error_body(b, "forbidden"), (st, b))
    t.check("... and nothing changed", s.sql("SELECT status FROM result_corrections WHERE id = ?", corr["id"])[0][0] == "pending")
    st, b = headA.post(f"/api/results/{rid}/corrections/{corr['id']}/approve", {"note": "同意"})
    t.check("A's head approves it", st == 200, (st, b))
    st, la = headA.get("/api/corrections?status=approved")
    st2, lc = planC.get("/api/corrections?status=approved")
    t.check("the corrections list is scoped by org: A's head sees it, C's planner does not",
            st == 200 and any(x["id"] == corr["id"] for x in la["corrections"]) and
            st2 == 200 and all(x["id"] != corr["id"] for x in lc["corrections"]) and lc["total"] == 0, (la, lc))

    # ---- 8.2: an overlapping task does not draw the same units again ----
    st, t2 = planA.post("/api/tasks", dict(base, name="同期烟花爆竹抽查", joint_org_ids=[], item_ids=[itemA["id"]],
                                          start_date=f"{YEAR}-12-10", end_date=f"{YEAR}-12-20"))
    st, fr = planA.post(f"/api/tasks/{t2['id']}/freeze", V2_FREEZE)
    st, ex = planA.get(f"/api/tasks/{t2['id']}/excluded")
    x82 = [x for x in ex.get("excluded", []) if x["clause"] == "8.2"]
    t.check("the second freeze excludes every unit of the first with clause 8.2 and the first task's name",
            st == 200 and sorted(x["uscc"] for x in x82) == sorted(units) and
            x82[0]["reason"] == f"已在检查时间重叠的任务编号 {tid}“烟花爆竹经营单位联合抽查”中被抽中，同一单位不重复检查；"
                                "如需检查本任务事项，可申请加入该任务", x82[:1])

    # ---- joining a draft task instead of a second visit ----
    # workload_cap 4: B's six inspectors take one unit each (B's own slot); with the computed cap (2 here)
    # six times two was just enough for the twelve units, and a rotation left a unit without one
    st, t3 = planA.post("/api/tasks", dict(base, name="年末烟花爆竹抽查", joint_org_ids=[], item_ids=[itemA["id"]],
                                          start_date=f"{YEAR}-12-21", end_date=f"{YEAR}-12-30", workload_cap=4))
    n_audit = s.sql("SELECT count(*) FROM audit")[0][0]
    for name, client, body, code, err in [
        ("the lead org itself", planA, {"item_ids": [itemA["id"]]}, 422, "own_task"),
        ("with another org's item", planB, {"item_ids": [itemA["id"]]}, 422, "foreign_item"),
        ("without items", planB, {"item_ids": []}, 422, "no_items"),
        ("an unknown item", planB, {"item_ids": [99999]}, 422, "unknown_item"),
        ("a planner of B for org C", planB, {"item_ids": [itemB["id"]], "org_id": C}, 403, "forbidden"),
        ("an unknown field", planB, {"item_ids": [itemB["id"]], "colour": 1}, 400, "unknown_field"),
    ]:
        st, b = client.post(f"/api/tasks/{t3['id']}/join", body)
        t.check(f"join refused: {name} -> {code} {err}", st == code and is_error_body(b, err), (st, b))
    t.check("refused joins changed nothing", s.sql("SELECT joint_org_ids FROM tasks WHERE id = ?", t3["id"])[0][0] == "[]" and
            s.sql("SELECT count(*) FROM audit")[0][0] == n_audit)
    st, j = planB.post(f"/api/tasks/{t3['id']}/join", {"item_ids": [itemB["id"]]})
    t.check("B joins A's draft task with its item: one task, both orgs' items",
            st == 200 and j["joint_org_ids"] == [B] and j["joint_units"] == ["高青县市场监督管理局"] and
            j["item_ids"] == [itemA["id"], itemB["id"]], (st, j))
    t.check("the join is audited", s.sql("SELECT count(*) FROM audit WHERE action = 'task.join' AND object = ?",
                                         f"task:{t3['id']}")[0][0] == 1)
    st, b = planB.post(f"/api/tasks/{t3['id']}/join", {"item_ids": [itemB["id"]]})
    t.check("joining twice: 422 already_joined", st == 422 and is_error_body(b, "already_joined"), (st, b))
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planA.post(f"/api/tasks/{t3['id']}/{path}", body)
        assert st in (200, 201), (path, st, b)
    n3 = s.sql("SELECT count(*) FROM task_units WHERE task_id = ?", t3["id"])[0][0]
    teams3 = planA.get(f"/api/tasks/{t3['id']}/teams")[1]["teams"]
    t.check("the joined task runs as one visit: one team per unit, each with B's own slot",
            n3 > 0 and len(teams3) == n3 and len({x["uscc"] for x in teams3}) == n3 and
            all(any(sl["name"] == f"org:{B}" for sl in x["slots"]) for x in teams3), (n3, len(teams3)))
    st, b = planB.post(f"/api/tasks/{t2['id']}/join", {"item_ids": [itemB["id"]]})
    t.check("joining a frozen task: 409 not_draft", st == 409 and is_error_body(b, "not_draft"), (st, b))

    # ---- a joint org with no eligible inspector: the team draw is refused naming it, nothing stored ----
    st, dept = admin.post("/api/orgs", {"name": "高青县交通运输局", "kind": "department"})
    st, itemD = admin.post("/api/items", {"name": "道路运输企业安全检查", "target": "烟花爆竹运输单位", "category": "一般",
                                          "method": "现场检查", "department": "高青县交通运输局", "level": "县级",
                                          "basis": "《道路运输条例》", "checkpoints": ["运输资质"], "reason": "联合抽查事项"})
    st, t5 = planA.post("/api/tasks", dict(base, name="无检查人员的联合抽查", joint_org_ids=[dept["id"]],
                                          item_ids=[itemA["id"], itemD["id"]], start_date=f"{YEAR}-10-01",
                                          end_date=f"{YEAR}-10-09"))
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK)):
        st, b = planA.post(f"/api/tasks/{t5['id']}/{path}", body)
        assert st == 200, (path, st, b)
    st, b = planA.post(f"/api/tasks/{t5['id']}/teams", V2_TEAMS)
    t.check("a joint org without eligible inspectors: the team draw is refused (422 no_org_inspector) naming the org",
            st == 422 and is_error_body(b, "no_org_inspector") and "高青县交通运输局" in b["message"], (st, b))
    t.check("... nothing stored", s.sql("SELECT count(*) FROM task_teams WHERE task_id = ?", t5["id"])[0][0] == 0 and
            s.sql("SELECT team_seed FROM tasks WHERE id = ?", t5["id"])[0][0] is None)

    # ---- the role x org x route matrix (t3: led by A, joined by B, draft; C takes no part) ----
    t4 = planA.post("/api/tasks", dict(base, name="矩阵测试任务", joint_org_ids=[B], start_date=f"{YEAR}-11-01",
                                       end_date=f"{YEAR}-11-05"))[1]["id"]
    clients = {"admin": admin, "auditor": auditor, "planA": planA, "planB": planB, "planC": planC, "headA": headA,
               "headB": headB}
    matrix = [  # route, expected status per client, in the order of `clients`
        ("GET", f"/api/tasks/{t4}", None, [200, 200, 200, 200, 404, 200, 200]),
        ("GET", f"/api/tasks/{t4}/excluded", None, [200, 200, 200, 200, 404, 200, 200]),
        ("POST", f"/api/tasks/{t4}/join", {"item_ids": [itemB["id"]]}, [422, 403, 422, 422, 422, 403, 403]),
        ("POST", f"/api/tasks/{t4}/draw", {"witness": "x"}, [409, 403, 409, 403, 404, 403, 403]),
        ("POST", f"/api/tasks/{t4}/lock", None, [409, 403, 409, 403, 404, 409, 403]),
        ("GET", "/api/inbox", None, [200, 200, 200, 200, 200, 200, 200]),
    ]
    for method, path, body, expect in matrix:
        got = []
        for name, c in clients.items():
            st, b = c.get(path) if method == "GET" else c.post(path, body)
            got.append(st)
        t.check(f"matrix {method} {path}: {dict(zip(clients, expect))}", got == expect, dict(zip(clients, got)))
    st, b = planC.post(f"/api/tasks/{t4}/freeze", V2_FREEZE)
    t.check("matrix: C's planner cannot freeze (404: the task is not disclosed)", st == 404, (st, b))
    st, b = planB.post(f"/api/tasks/{t4}/freeze", V2_FREEZE)
    t.check("matrix: B's planner cannot freeze (403)", st == 403, (st, b))
    t.check("the matrix changed no task state", s.sql("SELECT status FROM tasks WHERE id = ?", t4)[0][0] == "draft")

    # ---- 6.2 computed: the year's joint task clears A's and B's flag; C has none ----
    # as of a day of YEAR (fixed, so the test does not change with the date it runs on)
    st, acc = admin.get(f"/api/accountability?today={YEAR}-12-20")
    jm = {x["object"]: x for x in acc.get("situations", []) if x["kind"] == "joint_missing"}
    t.check("accountability: C (a department with no joint task this year) is flagged under 6.2, yellow while the year runs",
            st == 200 and f"org:{C}:{YEAR}" in jm and jm[f"org:{C}:{YEAR}"]["clause"] == "6.2" and
            jm[f"org:{C}:{YEAR}"]["level"] == "yellow", jm)
    t.check("... A and B, who took part in a frozen joint task, are not",
            f"org:{A}:{YEAR}" not in jm and f"org:{B}:{YEAR}" not in jm, jm)
    st, acc2 = admin.get(f"/api/accountability?today={YEAR + 1}-01-05")
    jm2 = {x["object"]: x for x in acc2.get("situations", []) if x["kind"] == "joint_missing"}
    t.check("... and red once the year has ended",
            st == 200 and jm2.get(f"org:{C}:{YEAR}", {}).get("level") == "red" and "年度已结束" in jm2[f"org:{C}:{YEAR}"]["reason"] and
            f"org:{A}:{YEAR}" not in jm2, jm2)

t.finish()
