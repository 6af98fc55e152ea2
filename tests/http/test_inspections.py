"""Every inspection on the record and incidents over HTTP (SPEC §11; clauses 4.3, 10.2): a 4.3 case is
entered with its clause letter and basis and shows on the unit's record next to the draws of dispatched
tasks; an incident at a unit inspected three months earlier lists that inspection and the grounds a-e
of 10.2 from accountability.lua; a ground is claimed with an explanation and decided by another head;
bad input gets the SPEC §5 body and changes nothing."""
from spot import Server, Suite, dispatched_task, staff_clients, is_error_body

t = Suite()


def counts(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("inspections", "incidents", "audit")]


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    st, b = admin.post("/api/users", {"username": "head2", "password": "head2-password", "role": "head"})
    assert st == 201, (st, b)
    head2 = s.login("head2", "head2-password")

    task, item, teams = dispatched_task(planner, "记录测试任务", "2026-03-02", "2026-03-20", "烟花爆竹")
    drawn = teams[0]["uscc"]
    other = s.sql("SELECT uscc FROM enterprises WHERE uscc NOT IN (SELECT uscc FROM task_units) AND status = 'active' "
                  "ORDER BY uscc LIMIT 1")[0][0]
    cert = s.sql("SELECT cert_no FROM inspectors ORDER BY cert_no LIMIT 1")[0][0]

    good = {"uscc": other, "case": "b", "basis": "12350 举报 2026-0417 号", "date": "2026-04-20",
            "inspectors": [cert], "summary": "接举报后现场核查，发现消防通道堵塞，已责令改正"}
    before = counts(s)
    for name, client, body, code, err in [
        ("unknown case letter", planner, dict(good, case="f"), 422, "unknown_case"),
        ("unknown unit", planner, dict(good, uscc="91370322MA3C0ZZZZZ"), 422, "unknown_unit"),
        ("unknown inspector", planner, dict(good, inspectors=["NO-SUCH-CERT"]), 422, "unknown_inspector"),
        ("inspector twice", planner, dict(good, inspectors=[cert, cert]), 400, "bad_request"),
        ("future date", planner, dict(good, date="2999-01-01"), 400, "bad_date"),
        ("no basis", planner, dict(good, basis=""), 400, "bad_request"),
        ("unknown field", planner, dict(good, special_case="b"), 400, "unknown_field"),
        ("auditor may not record", auditor, good, 403, "forbidden"),
    ]:
        st, b = client.post("/api/inspections", body)
        t.check(f"bad inspection refused: {name}", st == code and is_error_body(b, err), (st, b))
    t.check("refused inspections changed nothing", counts(s) == before, (before, counts(s)))

    st, ins = planner.post("/api/inspections", good)
    t.check("a 4.3 (b) inspection is recorded with the rule's label", st == 201 and ins["case_code"] == "b" and
            ins["case_label"] == "投诉举报、大数据监测预警、履职中发现违法行为等引发的检查" and ins["closed"] is None and
            ins["inspectors"] == [cert], (st, ins))
    st, rec = auditor.get(f"/api/inspections?uscc={other}")
    t.check("the unit's record shows the 4.3 case", st == 200 and [(x["ref"], x["origin"], x["case_code"], x["date"])
            for x in rec["inspections"]] == [(f"case:{ins['id']}", "case", "b", "2026-04-20")], (st, rec))
    st, rec = auditor.get(f"/api/inspections?uscc={drawn}")
    t.check("the unit's record shows the draw of the dispatched task with its team",
            st == 200 and [(x["ref"], x["origin"], x["date"]) for x in rec["inspections"]] ==
            [(f"task:{task['id']}", "random", "2026-03-02")] and
            rec["inspections"][0]["inspectors"] == teams[0]["inspectors"], (st, rec))
    st, b = planner.post(f"/api/inspections/{ins['id']}/close", {"date": "2026-04-19"})
    t.check("a case cannot end before it began", st == 400 and is_error_body(b, "bad_date"), (st, b))
    st, closed = planner.post(f"/api/inspections/{ins['id']}/close", {"date": "2026-05-08"})
    t.check("the case ends", st == 200 and closed["closed"] == "2026-05-08", (st, closed))
    st, b = planner.post(f"/api/inspections/{ins['id']}/close", {"date": "2026-05-09"})
    t.check("a closed case cannot be closed again", st == 409 and is_error_body(b, "closed"), (st, b))

    # 10.2: an accident three months after the draw of 2026-03-02
    inc_good = {"uscc": drawn, "date": "2026-06-02", "description": "仓库发生火灾，无人员伤亡"}
    before = counts(s)
    for name, client, body, code, err in [
        ("unknown unit", planner, dict(inc_good, uscc="91370322MA3C0ZZZZZ"), 422, "unknown_unit"),
        ("bad date", planner, dict(inc_good, date="2026-02-30"), 400, "bad_date"),
        ("no description", planner, dict(inc_good, description=""), 400, "bad_request"),
        ("unknown field", planner, dict(inc_good, x=1), 400, "unknown_field"),
        ("auditor may not record", auditor, inc_good, 403, "forbidden"),
    ]:
        st, b = client.post("/api/incidents", body)
        t.check(f"bad incident refused: {name}", st == code and is_error_body(b, err), (st, b))
    t.check("refused incidents changed nothing", counts(s) == before, (before, counts(s)))

    st, inc = planner.post("/api/incidents", inc_good)
    rv = inc.get("review", {}) if isinstance(inc, dict) else {}
    t.check("an incident at a unit inspected three months earlier lists that inspection",
            st == 201 and [x["ref"] for x in rv.get("inspections", [])] == [f"task:{task['id']}"] and rv["clause"] == "10.2" and
            rv["reason"] == "2026-06-02发生事故或发现问题；事发前365日内该单位接受检查1次（最近一次2026-03-02），"
                            "检查人员可按第10.2条主张免责情形", (st, inc))
    t.check("and the exemption grounds a-e, all open to a claim", [(g["code"], g["available"]) for g in rv.get("grounds", [])] ==
            [("a", True), ("b", True), ("c", True), ("d", True), ("e", True)], rv.get("grounds"))
    st, inc2 = planner.post("/api/incidents", {"uscc": other, "date": "2026-04-01", "description": "发现违规动火作业"})
    rv2 = inc2["review"]
    t.check("an incident with no inspection before it: grounds a, b and d are not available",
            st == 201 and rv2["inspections"] == [] and
            [g["code"] for g in rv2["grounds"] if g["available"]] == ["c", "e"], rv2)
    st, b = planner.post(f"/api/incidents/{inc2['id']}/ground", {"ground": "a", "explanation": "已按计划检查"})
    t.check("a ground that needs an earlier inspection is refused with clause 10.2 (422)",
            st == 422 and is_error_body(b, "ground_refused") and "第10.2条" in b["message"], (st, b))

    st, b = head.post(f"/api/incidents/{inc['id']}/decide", {"decision": "exempt", "reason": "x"})
    t.check("nothing to decide before a ground is claimed (409)", st == 409 and is_error_body(b, "not_claimed"), (st, b))
    st, b = planner.post(f"/api/incidents/{inc['id']}/ground", {"ground": "z", "explanation": "x"})
    t.check("an unknown ground is refused (422)", st == 422 and is_error_body(b, "ground_refused"), (st, b))
    st, cl = head.post(f"/api/incidents/{inc['id']}/ground",
                       {"ground": "c", "explanation": "火灾系外来车辆电气故障引起，与抽查的烟花爆竹储存事项无关"})
    t.check("a head claims ground c with an explanation", st == 200 and cl["status"] == "claimed" and cl["ground"] == "c" and
            cl["ground_reason"] == "主张第10.2条免责情形：发生的安全事故或问题与抽查事项、检查行为无直接关联" and
            len(cl["rule_sha"]) == 64, (st, cl))
    st, b = head.post(f"/api/incidents/{inc['id']}/decide", {"decision": "exempt", "reason": "理由成立"})
    t.check("the claimant cannot decide their own claim (403)", st == 403 and is_error_body(b, "own_claim"), (st, b))
    st, b = planner.post(f"/api/incidents/{inc['id']}/decide", {"decision": "exempt", "reason": "理由成立"})
    t.check("a planner cannot decide (403)", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = head2.post(f"/api/incidents/{inc['id']}/decide", {"decision": "maybe", "reason": "x"})
    t.check("a bad decision is refused (400)", st == 400 and is_error_body(b, "bad_request"), (st, b))
    st, d = head2.post(f"/api/incidents/{inc['id']}/decide", {"decision": "exempt", "reason": "经调查，事故原因与检查事项无关"})
    t.check("another head decides", st == 200 and d["status"] == "decided" and d["decision"] == "exempt" and
            d["decided_by"] == "head2", (st, d))
    st, b = head2.post(f"/api/incidents/{inc['id']}/decide", {"decision": "not_exempt", "reason": "x"})
    t.check("a decided incident cannot be decided again (409)", st == 409 and is_error_body(b, "decided"), (st, b))
    st, lst = auditor.get("/api/incidents")
    t.check("the auditor sees every incident (the demo's and these two)", st == 200 and
            {x["id"] for x in lst["incidents"]} == {r[0] for r in s.sql("SELECT id FROM incidents")} and
            {inc["id"], inc2["id"]} <= {x["id"] for x in lst["incidents"]} and len(lst["incidents"]) == 3, (st, lst))
    acts = [r[0] for r in s.sql("SELECT action FROM audit WHERE object IN (?, ?) ORDER BY id",
                                f"incident:{inc['id']}", f"inspection:{ins['id']}")]
    t.check("every change is audited", acts == ["inspection.create", "inspection.close", "incident.create", "incident.claim",
                                                "incident.decide"], acts)
    st, meta = s.client().get("/api/public/meta")
    t.check("the grounds' labels come from the rules through meta",
            [g["code"] for g in meta.get("incident_grounds", [])] == ["a", "b", "c", "d", "e"], meta.get("incident_grounds"))
    t.check("server still alive", s.alive())
t.finish()
