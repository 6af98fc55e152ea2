"""Items match units (clause 5.1.1, issue 15): an item names the industries it applies to (from the
rules, aliases resolved); a task draws only units of an industry one of its items applies to; a task
whose items apply to none of the units its filters name is refused at freeze (422, nothing changed);
a unit's record holds only the items that apply to it (422 item_not_applicable); the record carries the
check date (8.1), from the task's start to today."""
from spot import Server, Suite, is_error_body, complete_teams, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS

t = Suite()
YEAR = 2026


def candidates_of(s, tid):
    rows = s.sql("SELECT candidates FROM task_strata WHERE task_id = ?", tid)
    return set(u for (blob,) in rows for u in bytes(blob).decode().split("\n") if u)


ITEM = {"name": "危险化学品储存安全检查", "target": "危险化学品经营单位", "category": "重点", "method": "现场检查",
        "level": "县级", "basis": "《危险化学品安全管理条例》", "checkpoints": ["储存场所", "安全距离"], "reason": "新增"}

with Server(demo=True) as s:
    admin = s.login()
    st, b = admin.post("/api/users", {"username": "planner1", "password": "planner1-password", "role": "planner"})
    planner = s.login("planner1", "planner1-password")

    st, b = admin.post("/api/items", dict(ITEM, industries=["养殖业"]))
    t.check("an industry outside the rules is refused (422 unknown_industry)", st == 422 and
            is_error_body(b, "unknown_industry"), (st, b))
    st, hz = admin.post("/api/items", dict(ITEM, industries=["危化品"]))
    t.check("an item applies to the industries named, aliases resolved by the rules",
            st == 201 and hz["industries"] == ["危险化学品"], (st, hz))
    st, b = admin.put(f"/api/items/{hz['id']}", {"industries": "危险化学品", "reason": "x"})
    t.check("industries must be a list (422 invalid)", st == 422 and is_error_body(b, "invalid"), (st, b))

    # an untargeted task with only the hazchem item draws only hazchem units
    st, t1 = planner.post("/api/tasks", {"name": "危化品储存抽查", "item_ids": [hz["id"]], "mode": "untargeted",
                                         "directed": False, "start_date": f"{YEAR}-11-02", "end_date": f"{YEAR}-11-10"})
    st, fr = planner.post(f"/api/tasks/{t1['id']}/freeze", V2_FREEZE)
    cands = candidates_of(s, t1["id"])
    inds = {i for (i,) in s.sql("SELECT DISTINCT industry FROM enterprises WHERE uscc IN (%s)" % ",".join("?" * len(cands)),
                                *cands)} if cands else set()
    t.check("an untargeted task with a hazchem-only item: every candidate is a hazchem unit",
            st == 200 and cands and inds == {"危险化学品"}, (st, inds))
    n_all = s.sql("SELECT count(*) FROM enterprises WHERE status = 'active'")[0][0]
    t.check("... and not the whole directory", fr.get("units_checked", n_all) < n_all, fr.get("units_checked"))

    # a fireworks task with only the hazchem item: refused, nothing stored
    st, t2 = planner.post("/api/tasks", {"name": "烟花爆竹抽查（事项不适用）", "item_ids": [hz["id"]], "mode": "targeted",
                                         "filters": {"industry": ["烟花爆竹"]}, "directed": False,
                                         "start_date": f"{YEAR}-11-02", "end_date": f"{YEAR}-11-10"})
    n_audit = s.sql("SELECT count(*) FROM audit")[0][0]
    st, b = planner.post(f"/api/tasks/{t2['id']}/freeze", V2_FREEZE)
    t.check("a task whose items apply to none of its units is refused at freeze (422 no_item_applies, 5.1.1)",
            st == 422 and is_error_body(b, "no_item_applies") and "危险化学品" in b["message"] and "5.1.1" in b["message"],
            (st, b))
    t.check("... nothing changed", s.sql("SELECT status, freezes FROM tasks WHERE id = ?", t2["id"])[0] == ("draft", 0) and
            s.sql("SELECT count(*) FROM audit")[0][0] == n_audit and
            s.sql("SELECT count(*) FROM task_strata WHERE task_id = ?", t2["id"])[0][0] == 0)

    # a fireworks task with the hazchem item and a general one: the record holds only the general one
    st, items = planner.get("/api/items")
    general = next(i for i in items["items"] if not i["industries"] and i["checkpoints"])
    st, t3 = planner.post("/api/tasks", {"name": "烟花爆竹抽查", "item_ids": [hz["id"], general["id"]], "mode": "targeted",
                                         "filters": {"industry": ["烟花爆竹"]}, "directed": False,
                                         "start_date": f"{YEAR}-10-02", "end_date": f"{YEAR}-10-10"})
    tid = t3["id"]
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planner.post(f"/api/tasks/{tid}/{path}", body)
        assert st in (200, 201), (path, st, b)
    complete_teams(s, tid)
    team = planner.get(f"/api/tasks/{tid}/teams")[1]["teams"][0]
    cert = team["inspectors"][0]
    admin.post("/api/users", {"username": "i1", "password": "i1-password-x", "role": "inspector", "cert_no": cert})
    insp = s.login("i1", "i1-password-x")
    rec = lambda it: [{"item_id": it["id"], "checkpoint_id": cp["id"], "category": "a", "finding": "符合要求"}
                      for cp in it["checkpoints"]]
    st, b = insp.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "x",
                                                   "records": rec(hz) + rec(general)})
    t.check("a record of an item that does not apply to the unit's industry is refused (422 item_not_applicable)",
            st == 422 and is_error_body(b, "item_not_applicable"), (st, b))
    t.check("... nothing stored", s.sql("SELECT count(*) FROM results WHERE task_id = ?", tid)[0][0] == 0)
    for name, d in (("before the task's start", f"{YEAR}-10-01"), ("in the future", "2999-01-01"), ("not a date", "10月3日")):
        st, b = insp.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "x",
                                                       "records": rec(general), "check_date": d})
        t.check(f"8.1 check date {name}: 400 bad_date", st == 400 and is_error_body(b, "bad_date"), (st, b))
    st, b = insp.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "x",
                                                   "records": rec(general), "check_date": f"{YEAR}-10-03"})
    t.check("the items that apply are recorded, with the check date (8.1)", st == 201 and b.get("check_date") == f"{YEAR}-10-03",
            (st, b))

    # 4.3 from the inspection record (SPEC §11): a unit with a case still open is not drawn at random;
    # one whose case is closed is a candidate again
    (open_uscc, open_ind), = s.sql("SELECT e.uscc, e.industry FROM inspections i JOIN enterprises e ON e.id = i.enterprise_id "
                                   "WHERE i.closed IS NULL AND e.status = 'active' LIMIT 1")
    closed = s.sql("SELECT e.uscc FROM inspections i JOIN enterprises e ON e.id = i.enterprise_id "
                   "WHERE i.closed IS NOT NULL AND e.status = 'active' AND e.industry = ?", open_ind)
    st, t4 = planner.post("/api/tasks", {"name": "4.3 检查", "mode": "targeted", "filters": {"industry": [open_ind]},
                                         "directed": False, "start_date": f"{YEAR}-09-01", "end_date": f"{YEAR}-09-09"})
    st, fr = planner.post(f"/api/tasks/{t4['id']}/freeze", V2_FREEZE)
    ex = {x["uscc"]: x for x in planner.get(f"/api/tasks/{t4['id']}/excluded")[1]["excluded"]}
    t.check("a unit whose 4.3 case is open on the inspection record is excluded with clause 4.3",
            st == 200 and ex.get(open_uscc, {}).get("clause") == "4.3" and open_uscc not in candidates_of(s, t4["id"]),
            ex.get(open_uscc))
    t.check("... a unit whose case is closed is not excluded for it",
            all(ex.get(u, {}).get("clause") != "4.3" for (u,) in closed), [ex.get(u) for (u,) in closed])

t.finish()
