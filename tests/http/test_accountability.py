"""Accountability over HTTP (clauses 10.1, 10.2; SPEC §5): a task that ended in 2025 whose results
were not entered and published within 20 working days appears in GET /api/accountability with the
rule's reason and clause; as of an earlier day it is only "delayed" (yellow); exemptions are checked
by accountability.exempt and recorded with the rule's reason, clause and sha; roles; bad input
changes nothing."""
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body

t = Suite()


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)

    task, item, teams = dispatched_task(planner, "2025年烟花爆竹专项抽查", "2025-11-03", "2025-11-14", "烟花爆竹")
    tid = task["id"]
    obj = f"task:{tid}"
    st, due = admin.post("/api/rules/eval", {"rule": "deadlines", "fn": "publication_due", "args": ["2025-11-14"]})
    due = due["results"][0]["date"]

    st, acc = auditor.get("/api/accountability")
    mine = [x for x in acc["situations"] if x["object"] == obj] if st == 200 else []
    kinds = {x["kind"]: x for x in mine}
    t.check("an unchecked task past its 9.1 deadline appears (not_checked, red, clause 10.1)",
            "not_checked" in kinds and kinds["not_checked"]["level"] == "red" and kinds["not_checked"]["clause"] == "10.1" and
            due in kinds["not_checked"]["reason"] and str(len(teams)) in kinds["not_checked"]["reason"], (st, mine))
    t.check("its results not published in time appear (not_published, red, with the 9.1 deadline)",
            "not_published" in kinds and kinds["not_published"]["level"] == "red" and
            "第9.1条" in kinds["not_published"]["reason"] and due in kinds["not_published"]["reason"], mine)
    t.check("reply names the rule version", len(acc.get("rule_sha", "")) == 64 and acc["today"], acc.get("rule_sha"))

    # one result entered, signed, approved and published: the counts follow
    team = teams[0]
    ins = inspector_clients(s, admin, team["inspectors"])
    a = ins[team["inspectors"][0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "未发现问题"})
    for c in team["inspectors"]:
        ins[c].post(f"/api/results/{res['id']}/sign")
    head.post(f"/api/results/{res['id']}/review", {"approve": True})
    st, pub = a.post(f"/api/results/{res['id']}/publish")
    t.check("a late publication is recorded as late", st == 200 and pub["published_late"] is True and pub["due_date"] == due,
            (st, pub))
    st, acc = head.get("/api/accountability")
    mine = {x["kind"]: x for x in acc["situations"] if x["object"] == obj}
    left = len(teams) - 1
    t.check("the remaining units are still flagged", (left == 0 and not mine) or (
        f"仍有{left}户未录入" in mine["not_checked"]["reason"] and f"仍有{left}户未公示" in mine["not_published"]["reason"]),
        mine)

    # as of earlier days (the rule decides the level)
    st, early = auditor.get("/api/accountability?today=2025-11-20")
    em = {x["kind"]: x for x in early["situations"] if x["object"] == obj}
    t.check("before the deadline a task with missing results is delayed (yellow)",
            st == 200 and em.get("delayed", {}).get("level") == "yellow" and "not_checked" not in em, (st, em))
    st, body = auditor.get("/api/accountability?today=2025-11-10")
    t.check("before the task ended nothing is flagged",
            st == 200 and not [x for x in body["situations"] if x["object"] == obj], body)
    st, body = auditor.get("/api/accountability?today=2025-02-30")
    t.check("a bad date is refused (400)", st == 400 and is_error_body(body, "bad_date"), (st, body))

    # ---- roles ----
    for name, client, code in [("planner", planner, 403), ("inspector", a, 403), ("anonymous", s.client(), 401)]:
        st, body = client.get("/api/accountability")
        t.check(f"{name} may not read accountability ({code})", st == code and is_error_body(body), (st, body))
    st, body = admin.get("/api/accountability")
    t.check("admin reads accountability", st == 200, st)

    # ---- 5.1.2 over the year: the 2025 task drew key-industry units only ----
    GENERAL = ("建材", "机械", "轻工", "纺织", "烟草", "商贸")
    marks = ",".join("?" * len(GENERAL))
    units = s.sql(f"SELECT count(*) FROM enterprises WHERE status = 'active' AND industry IN ({marks})", *GENERAL)[0][0]
    drawn = s.sql("SELECT count(DISTINCT u.enterprise_id) FROM task_units u JOIN tasks t ON t.id = u.task_id "
                  "JOIN enterprises e ON e.id = u.enterprise_id WHERE t.year = 2025 AND t.status = 'dispatched' "
                  f"AND e.status = 'active' AND e.industry IN ({marks})", *GENERAL)[0][0]
    need = -(-units * 5 // 100)
    st, acc = auditor.get("/api/accountability?today=2026-01-10")
    cov = [x for x in acc["situations"] if x["kind"] == "coverage_low" and x["object"] == "year:2025"]
    t.check("a year whose tasks drew none of its general-industry units is flagged once it is over (5.1.2, red)",
            units > 0 and drawn == 0 and len(cov) == 1 and cov[0]["level"] == "red" and cov[0]["clause"] == "5.1.2" and
            cov[0]["reason"] == f"一般检查对象年度抽查比例不足：2025年名录库一般行业检查对象{units}户，应抽查不少于5%"
                                f"（{need}户），已抽查0户，年度已结束", (units, drawn, cov))
    st, acc = auditor.get("/api/accountability?today=2025-06-10")
    t.check("before October of that year the shortfall is not yet flagged",
            st == 200 and not [x for x in acc["situations"] if x["object"] == "year:2025"], acc)
    st, acc = auditor.get("/api/accountability?today=2025-10-09")
    cov = [x for x in acc["situations"] if x["object"] == "year:2025"]
    t.check("from October it shows as yellow", len(cov) == 1 and cov[0]["level"] == "yellow", cov)

    # ---- exemptions (10.2) ----
    def count():
        return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("exemptions", "audit")]
    before = count()
    good = {"kind": "not_published", "object": obj, "code": "plan_followed", "reason": "已按计划完成检查，系统录入延迟"}
    for name, client, body, code, err in [
        ("code outside 10.2", head, dict(good, code="busy"), 422, "exemption_refused"),
        ("code that does not apply to the kind", head, dict(good, code="unrelated_accident"), 422, "exemption_refused"),
        ("unknown kind", head, dict(good, kind="late_lunch"), 422, "exemption_refused"),
        ("unknown object", head, dict(good, object="task:999999"), 422, "unknown_object"),
        ("malformed object", head, dict(good, object="task:1 OR 1=1"), 422, "unknown_object"),
        ("no reason", head, dict(good, reason=""), 400, "bad_request"),
        ("unknown field", head, dict(good, colour=1), 400, "unknown_field"),
        ("auditor may not record", auditor, good, 403, "forbidden"),
        ("planner may not record", planner, good, 403, "forbidden"),
    ]:
        st, body = client.post("/api/accountability/exemptions", body)
        t.check(f"bad exemption refused: {name}", st == code and is_error_body(body, err), (st, body))
    t.check("refused exemptions changed nothing", count() == before, (before, count()))
    st, ex = head.post("/api/accountability/exemptions", good)
    t.check("exemption recorded with the rule's reason, clause and sha", st == 201 and ex["clause"] == "10.2" and
            "第10.2条" in ex["rule_reason"] and len(ex["rule_sha"]) == 64, (st, ex))
    st, acc = auditor.get("/api/accountability")
    mine = {x["kind"]: x for x in acc["situations"] if x["object"] == obj}
    if left:
        t.check("the exempted situation is marked, the other one is not",
                mine["not_published"]["exempted"] is True and mine["not_published"]["exemption"]["id"] == ex["id"] and
                mine["not_checked"]["exempted"] is False, mine)
    t.check("exemptions listed", [x["id"] for x in acc["exemptions"]] == [ex["id"]], acc["exemptions"])
    try:
        s.sql(f"DELETE FROM exemptions WHERE id = {ex['id']}")
        raised = False
    except Exception:
        raised = True
    t.check("a recorded exemption cannot be deleted", raised)

    p = s.run("audit", "verify")
    t.check("audit chain intact", p.returncode == 0, p.stdout + p.stderr)
    t.check("server still alive", s.alive())

t.finish()
