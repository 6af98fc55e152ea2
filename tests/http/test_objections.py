"""Objections over HTTP (clause 9.2; SPEC §5, §7): an objection to a published result gets its
review deadline from deadlines.objection_review_due (received 2026-05-06 -> 2026-06-02: 9 May 2026 is
an adjusted working day), the decision gets the feedback deadline (feedback_due), both with reason,
clause and warning in the replies; an upheld objection opens a pending correction that another head than the one who decided approves
(then public), a rejected one does not; feedback closes it; late reviews show in accountability;
bad input changes nothing."""
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body, sign_review_publish

t = Suite()
YEAR = 2026


def counts(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in
            ("results", "result_records", "result_signatures", "result_reviews", "result_corrections", "followups",
             "attachments", "audit")]


def published_result(s, admin, head, planner):
    task, item, teams = dispatched_task(planner, "异议测试任务", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    team, team2 = teams[0], teams[1]
    ins = inspector_clients(s, admin, team["inspectors"])
    a = ins[team["inspectors"][0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "b", "summary": "未按规定公示应当公示的信息"})
    assert st == 201, (st, res)
    sign_review_publish([ins[c] for c in team["inspectors"]], head, res["id"])
    ins2 = inspector_clients(s, admin, team2["inspectors"][:1])
    st, draft = ins2[team2["inspectors"][0]].post(f"/api/tasks/{tid}/results", {"uscc": team2["uscc"], "category": "a"})
    assert st == 201, (st, draft)
    return res["id"], draft["id"], a


def backdate_publication(s, rid, date):
    """Scenario setup: the result counts as published on `date` (the server publishes with today's date;
    the objections below are dated in May and June 2026, within 20 working days of 2026-05-06). The
    database refuses any change to a published result (trigger results_published_no_update), so the
    setup lifts that trigger for this one UPDATE and restores it from its stored definition."""
    import sqlite3
    con = sqlite3.connect(s.db, timeout=30)
    try:
        (ddl,) = con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
                             "name = 'results_published_no_update'").fetchone()
        with con:
            con.execute("DROP TRIGGER results_published_no_update")
            con.execute("UPDATE results SET published_date = ?, published_at = ? WHERE id = ?",
                        (date, date + "T10:00:00+08:00", rid))
            con.execute(ddl)
    finally:
        con.close()


def rule(admin, fn, *args):
    st, ev = admin.post("/api/rules/eval", {"rule": "deadlines", "fn": fn, "args": list(args)})
    assert st == 200, (st, ev)
    return ev["results"][0]


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    st, b = admin.post("/api/users", {"username": "head2", "password": "head2-password", "role": "head"})
    assert st == 201, (st, b)
    head2 = s.login("head2", "head2-password")
    rid, draft_id, member = published_result(s, admin, head, planner)
    backdate_publication(s, rid, "2026-05-06")

    def count():
        return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("objections", "result_corrections", "audit")]

    good = {"result_id": rid, "received": "2026-05-06", "text": "企业已于检查前在官网公示相关信息，请求复核", "applicant": "被检查单位"}
    before = count()
    for name, client, body, code, err in [
        ("unknown result", planner, dict(good, result_id=999999), 422, "unknown_result"),
        ("draft result", planner, dict(good, result_id=draft_id), 409, "not_published"),
        ("bad date", planner, dict(good, received="2026-02-30"), 400, "bad_date"),
        ("future date", planner, dict(good, received="2999-01-01"), 400, "bad_date"),
        ("received before publication (9.2)", planner, dict(good, received="2026-05-05"), 422, "objection_not_admissible"),
        ("received after the filing period (9.2)", planner, dict(good, received="2026-06-03"), 422,
         "objection_not_admissible"),
        ("no text", planner, dict(good, text=""), 400, "bad_request"),
        ("result_id as text", planner, dict(good, result_id=str(rid)), 400, "bad_request"),
        ("unknown field", planner, dict(good, colour=1), 400, "unknown_field"),
        ("inspector may not register", member, good, 403, "forbidden"),
        ("auditor may not register", auditor, good, 403, "forbidden"),
    ]:
        st, b = client.post("/api/objections", body)
        t.check(f"bad objection refused: {name}", st == code and is_error_body(b, err), (st, b))
    t.check("refused objections changed nothing", count() == before, (before, count()))

    st, o = planner.post("/api/objections", good)
    rv = o.get("deadlines", {}).get("review", {}) if isinstance(o, dict) else {}
    t.check("objection received 2026-05-06: review due 2026-06-02 (9 May 2026 is a working day)",
            st == 201 and o["review_due"] == "2026-06-02" and rv.get("date") == "2026-06-02", (st, o))
    t.check("review deadline with reason, clause, warning and rule sha in the reply",
            rv.get("clause") == "9.2" and "2026-06-02" in rv.get("reason", "") and "warning" in rv and
            len(rv.get("rule_sha", "")) == 64 and rv.get("level") == "red", rv)
    t.check("the stored deadline keeps its reason and rule sha", s.sql(
        "SELECT review_due, review_clause, length(review_rule_sha) FROM objections WHERE id = ?", o["id"])[0] ==
        ("2026-06-02", "9.2", 64))
    st, acc = head.get("/api/accountability")
    t.check("an objection not reviewed in time appears in accountability", any(
        x["kind"] == "objection_late" and x["object"] == f"objection:{o['id']}" and x["level"] == "red" and
        x["clause"] == "10.1" for x in acc["situations"]), acc)

    st, b = planner.post(f"/api/objections/{o['id']}/feedback", {"sent": "2026-05-30"})
    t.check("feedback before the decision refused (409)", st == 409 and is_error_body(b, "not_decided"), (st, b))
    before = count()
    for name, client, body, code in [
        ("planner may not decide", planner, {"decision": "upheld", "reason": "x", "decided": "2026-05-20"}, 403),
        ("bad decision", head, {"decision": "changed", "reason": "x", "decided": "2026-05-20"}, 400),
        ("no reason", head, {"decision": "upheld", "decided": "2026-05-20"}, 400),
        ("decided before received", head, {"decision": "upheld", "reason": "x", "decided": "2026-05-01"}, 400),
        ("bad date", head, {"decision": "upheld", "reason": "x", "decided": "2026-13-01"}, 400),
        ("bad change", head, {"decision": "upheld", "reason": "x", "decided": "2026-05-20", "changes": {"category": "z"}}, 422),
        ("changes with a rejection", head, {"decision": "rejected", "reason": "x", "decided": "2026-05-20",
                                            "changes": {"category": "a"}}, 400),
    ]:
        st, b = client.post(f"/api/objections/{o['id']}/decide", body)
        t.check(f"bad decision refused: {name}", st == code and is_error_body(b), (st, b))
    t.check("refused decisions changed nothing", count() == before, (before, count()))

    st, d = head.post(f"/api/objections/{o['id']}/decide",
                      {"decision": "upheld", "reason": "经核实企业已按规定公示", "decided": "2026-05-20",
                       "changes": {"category": "a", "summary": "经复核，未发现问题"}})
    fb = rule(admin, "feedback_due", "2026-05-20")
    t.check("decision: feedback deadline from deadlines.feedback_due", st == 200 and d["status"] == "decided" and
            d["feedback_due"] == fb["date"] and d["deadlines"]["feedback"]["reason"] == fb["reason"] and
            d["deadlines"]["feedback"]["clause"] == "9.2" and d["correction_id"], (st, d, fb))
    st, b = head.post(f"/api/objections/{o['id']}/decide", {"decision": "rejected", "reason": "x", "decided": "2026-05-21"})
    t.check("a decided objection cannot be decided again", st == 409 and is_error_body(b, "decided"), (st, b))
    st, res = head.get(f"/api/results/{rid}")
    pending = [c for c in res["correction_requests"] if c["status"] == "pending"]
    t.check("an upheld objection opens a pending correction of the result",
            len(pending) == 1 and pending[0]["source"] == "objection" and pending[0]["objection_id"] == o["id"] and
            pending[0]["id"] == d["correction_id"], res["correction_requests"])
    st, pr = s.client().get(f"/api/public/results?task={res['task_id']}")
    t.check("not public before the head approves", pr["results"][0]["category"] == "b")
    st, b = head.post(f"/api/results/{rid}/corrections/{d['correction_id']}/approve")
    t.check("the head who decided the objection cannot also approve its correction (403, 9.1 second person)",
            st == 403 and is_error_body(b, "own_request"), (st, b))
    st, b = head2.post(f"/api/results/{rid}/corrections/{d['correction_id']}/approve")
    t.check("another head approves the objection's correction", st == 200 and b["current"]["category"] == "a", (st, b))
    st, pr = s.client().get(f"/api/public/results?task={res['task_id']}")
    one = pr["results"][0]
    t.check("public shows the corrected result with the objection's reason",
            one["category"] == "a" and one["corrections"][0]["reason"].startswith("异议成立") and
            "经核实企业已按规定公示" in one["corrections"][0]["reason"], one)

    st, b = planner.post(f"/api/objections/{o['id']}/feedback", {"sent": "2026-05-10"})
    t.check("feedback before the decision date refused", st == 400 and is_error_body(b, "bad_date"), (st, b))
    st, f = planner.post(f"/api/objections/{o['id']}/feedback", {"sent": "2026-06-01"})
    t.check("feedback closes the objection", st == 200 and f["status"] == "closed" and f["feedback_sent"] == "2026-06-01",
            (st, f))
    st, acc = head.get("/api/accountability")
    t.check("a closed objection is no longer a situation",
            not any(x["object"] == f"objection:{o['id']}" for x in acc["situations"]))

    # a rejected objection: no correction; feedback not sent in time shows in accountability
    ncorr = s.sql("SELECT count(*) FROM result_corrections")[0][0]
    st, o2 = planner.post("/api/objections", dict(good, received="2026-05-26"))
    assert st == 201, (st, o2)
    st, d2 = head.post(f"/api/objections/{o2['id']}/decide", {"decision": "rejected", "reason": "理由不成立",
                                                              "decided": "2026-06-04"})
    t.check("a rejected objection opens no correction", st == 200 and d2["correction_id"] is None and
            s.sql("SELECT count(*) FROM result_corrections")[0][0] == ncorr, (st, d2))
    st, acc = auditor.get("/api/accountability")
    t.check("feedback not sent in time appears in accountability", any(
        x["kind"] == "feedback_late" and x["object"] == f"objection:{o2['id']}" for x in acc["situations"]), acc)
    st, lst = auditor.get("/api/objections")
    t.check("objection list with deadlines", st == 200 and {x["id"] for x in lst["objections"]} == {o["id"], o2["id"]} and
            all("deadlines" in x for x in lst["objections"]), (st, lst))
    st, b = s.client().get("/api/objections")
    t.check("the objection list needs a login", st == 401 and is_error_body(b), (st, b))

    p = s.run("audit", "verify")
    t.check("audit chain intact", p.returncode == 0, p.stdout + p.stderr)
    t.check("server still alive", s.alive())

t.finish()
