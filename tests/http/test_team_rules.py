"""Clause 7.3 over HTTP (issue 15): a team below the size its slots call for never gets a result
entered or published (a directory with one usable inspector yields a one-person team, and its record
is refused with the clause); where a slot's pool is too small the executing org's head appoints by
name (who may, whom, recorded and published with the org); replacement reasons are the three of 7.3 or "other" with the head's
written reason; no replacement or recusal once the unit's result is signed (a correction instead).
Every refusal changes nothing."""
import json
from spot import (Server, Suite, staff_clients, inspector_clients, is_error_body, appoint_open, complete_teams, verify_cli,
                  verify_js, V2_FREEZE, V2_DRAW, V2_LOCK, V2_TEAMS)
from teamdraw_spec import check_teams

t = Suite()


def task_through_teams(planner, name, industry, start, end, before_lock=None):
    st, items = planner.get("/api/items")
    item = next(i for i in items["items"] if i["checkpoints"] and (not i.get("industries") or industry in i["industries"]))
    st, task = planner.post("/api/tasks", {
        "name": name, "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": [industry]},
        "directed": False, "lead_unit": "高青县应急管理局", "joint_units": [], "start_date": start, "end_date": end})
    assert st == 201, (st, task)
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        if path == "lock" and before_lock:
            before_lock(task["id"])
        st, b = planner.post(f"/api/tasks/{task['id']}/{path}", body)
        assert st in (200, 201), (path, st, b)
    return task["id"]


def teams_of(planner, tid):
    st, teams = planner.get(f"/api/tasks/{tid}/teams")
    assert st == 200, (st, teams)
    return teams["teams"]


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)

    # ---- replacement reasons and signed results (a full directory) ----
    # an inspector who works at one of the units (inspectors.conflict_keys names it) must recuse
    # there (7.3): kept out of every pool of that unit's team, and only there
    (wcert,), = s.sql("SELECT cert_no FROM inspectors WHERE status = 'active' ORDER BY cert_no LIMIT 1")
    works_at = []

    def work_at_a_drawn_unit(task_id):   # between the unit draw and the lock, which commits the pool
        (sel,), = s.sql("SELECT selection FROM task_draws WHERE task_id = ? ORDER BY attempt DESC LIMIT 1", task_id)
        uscc = next(u for st in json.loads(sel) for u in st["selected"])
        uscc = uscc["uscc"] if isinstance(uscc, dict) else uscc
        (name,), = s.sql("SELECT name FROM enterprises WHERE uscc = ?", uscc)
        s.sql("UPDATE inspectors SET unit = ? WHERE cert_no = ?", name, wcert)
        works_at.append(uscc)

    tid = task_through_teams(planner, "检查组规则测试任务", "烟花爆竹", "2026-03-02", "2026-03-20", work_at_a_drawn_unit)
    drawn = teams_of(planner, tid)
    wuscc = works_at[0]
    at_work = [x for x in drawn if x["uscc"] == wuscc]
    elsewhere = [x for x in drawn if x["uscc"] != wuscc]
    t.check("an inspector is in no pool of the unit they work at, and in pools of the others",
            len(at_work) == 1 and wcert not in sum((sl["pool"] for x in at_work for sl in x["slots"]), []) and
            any(wcert in sl["pool"] for x in elsewhere for sl in x["slots"]),
            (wuscc, len(at_work), len(elsewhere)))
    appoint_open(head, tid)   # every team complete (some expertise pools may be short)
    teams = teams_of(planner, tid)
    team = teams[0]
    m0, m1 = team["inspectors"][0], team["inspectors"][1]

    def reps():
        return s.sql("SELECT count(*), coalesce(sum(status = 'approved'), 0) FROM task_replacements WHERE task_id = ?", tid)[0]

    before = reps()
    st, b = planner.post(f"/api/tasks/{tid}/teams/{team['uscc']}/replace", {"cert_no": m0, "reason_code": "vacation", "reason": "休假"})
    t.check("a reason outside 7.3's list is refused (422) and names the way for others",
            st == 422 and is_error_body(b, "replacement_refused") and "其他原因" in b["message"], (st, b))
    t.check("  nothing recorded", reps() == before)
    st, rq = planner.post(f"/api/tasks/{tid}/teams/{team['uscc']}/replace", {"cert_no": m0, "reason_code": "other", "reason": "参加上级组织的集中培训"})
    t.check("'other' with the requester's description is recorded as pending (201)", st == 201 and rq["status"] == "pending", (st, rq))
    st, b = head.post(f"/api/tasks/{tid}/teams/{team['uscc']}/replace/{rq['id']}/approve", {})
    t.check("the head's approval of 'other' without a written reason is refused (422 reason_required)",
            st == 422 and is_error_body(b, "reason_required") and "7.3" in b["message"], (st, b))
    t.check("  still pending, the team unchanged",
            s.sql("SELECT status FROM task_replacements WHERE id = ?", rq["id"]) == [("pending",)] and
            m0 in s.sql("SELECT inspectors FROM task_teams WHERE task_id = ? AND uscc = ?", tid, team["uscc"])[0][0])
    st, ok = head.post(f"/api/tasks/{tid}/teams/{team['uscc']}/replace/{rq['id']}/approve", {"reason": "培训与检查时间冲突，同意更换"})
    t.check("with the head's written reason it is approved and someone replaces the member",
            st == 200 and ok["status"] == "approved" and ok["replacement"] and ok["replacement"] != m0, (st, ok))
    audit = s.sql("SELECT details FROM audit WHERE action = 'team.replace_approve' ORDER BY id DESC LIMIT 1")
    t.check("  the head's reason is in the audit record", audit and "培训与检查时间冲突，同意更换" in audit[0][0], audit)
    st, teams_now = planner.get(f"/api/tasks/{tid}/teams")
    members = next(x for x in teams_now["teams"] if x["uscc"] == team["uscc"])["inspectors"]
    t.check("  and the team is the new one", m0 not in members and ok["replacement"] in members and len(members) == 2, members)

    ins = inspector_clients(s, admin, members)
    a = ins[members[0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "a", "summary": "未发现问题"})
    assert st == 201, (st, res)
    st, b = a.post(f"/api/results/{res['id']}/sign")
    assert st == 200, (st, b)
    before = reps()
    st, b = planner.post(f"/api/tasks/{tid}/teams/{team['uscc']}/replace", {"cert_no": members[1], "reason_code": "health", "reason": "生病住院"})
    t.check("after a member signed the result no replacement is taken (409 result_signed, 9.1 named)",
            st == 409 and is_error_body(b, "result_signed") and "9.1" in b["message"], (st, b))
    t.check("  nothing recorded", reps() == before)
    st, cf = planner.post("/api/conflicts", {"task_id": tid, "uscc": team["uscc"], "cert_no": members[1], "reason": "与企业负责人系近亲属"})
    assert st in (200, 201), (st, cf)
    st, b = head.post(f"/api/conflicts/{cf['id']}/approve")
    t.check("nor a recusal that would change the team (409 result_signed)", st == 409 and is_error_body(b, "result_signed"), (st, b))
    t.check("  the recusal stays pending and the team as it was",
            s.sql("SELECT status FROM task_conflicts WHERE id = ?", cf["id"]) == [("pending",)] and
            sorted(next(x for x in planner.get(f"/api/tasks/{tid}/teams")[1]["teams"] if x["uscc"] == team["uscc"])["inspectors"]) == sorted(members))

    # ---- a directory with one usable inspector ----
    (only,) = s.sql("SELECT cert_no FROM inspectors WHERE status = 'active' ORDER BY cert_no LIMIT 1")[0]
    s.sql("UPDATE inspectors SET status = 'inactive' WHERE cert_no <> ?", only)   # scenario: one usable inspector
    tid2 = task_through_teams(planner, "只有一名可用检查人员的任务", "危险化学品", "2026-04-01", "2026-04-20")
    teams2 = teams_of(planner, tid2)
    t.check("with one usable inspector every team has one member and one open position, recorded as appointed with "
            "the rule's reason",
            teams2 and all(x["inspectors"] == [only] and x["method"] == "appointed" and x["reason"] and x["open"] == 1
                           for x in teams2), teams2[:2])
    st, c = head.get(f"/api/tasks/{tid2}/teams/{teams2[0]['uscc']}/candidates")
    t.check("no one is left to appoint: the candidate list is empty", st == 200 and c["candidates"] == [] and c["open"] == 1,
            (st, c))
    st, b = head.post(f"/api/tasks/{tid2}/teams/{teams2[0]['uscc']}/appoint", {"cert_no": only})
    t.check("appointing the one member again is refused (422 on_team)", st == 422 and is_error_body(b, "on_team"), (st, b))
    one = inspector_clients(s, admin, [only])[only]
    before = s.sql("SELECT count(*) FROM results")[0][0]
    st, b = one.post(f"/api/tasks/{tid2}/results", {"uscc": teams2[0]["uscc"], "category": "a", "summary": "未发现问题"})
    t.check("its result cannot be entered: 409 team_incomplete naming 7.3 and the numbers",
            st == 409 and is_error_body(b, "team_incomplete") and "7.3" in b["message"] and "1 名" in b["message"]
            and "2 名" in b["message"], (st, b))
    t.check("  nothing stored, so nothing can be published", s.sql("SELECT count(*) FROM results")[0][0] == before and
            s.sql("SELECT count(*) FROM results WHERE task_id = ?", tid2)[0][0] == 0)

    # ---- 7.3 "不足的，由执行单位直接委派": the executing org's head appoints by name ----
    s.sql("UPDATE inspectors SET status = 'active' WHERE status = 'inactive'")   # the full directory again
    # scenario set-up, fixed at lock with the team pool: no one has the 化工 expertise, so every
    # team's expertise slot is open
    s.sql("UPDATE inspectors SET expertise = '[]' WHERE expertise LIKE '%化工%'")
    tid3 = task_through_teams(planner, "直接委派测试任务", "化工", "2026-05-06", "2026-05-22")
    teams3 = teams_of(planner, tid3)
    tm = teams3[0]
    u3 = tm["uscc"]
    ex = next(sl for sl in tm["slots"] if sl["name"] == "expertise")
    t.check("the expertise slot with an empty pool is left open: nobody chosen by the program",
            tm["method"] == "appointed" and ex["current"] == [] and ex["appointed"] == [] and tm["open"] == 1 and
            len(tm["inspectors"]) == 1 and tm["leader"] == tm["inspectors"][0], tm)
    a3 = inspector_clients(s, admin, tm["inspectors"])[tm["inspectors"][0]]
    st, b = a3.post(f"/api/tasks/{tid3}/results", {"uscc": u3, "category": "a", "summary": "未发现问题"})
    t.check("before the appointment the result is refused (409 team_incomplete)", st == 409 and
            is_error_body(b, "team_incomplete"), (st, b))
    st, b = head.get(f"/api/documents/notice?task={tid3}&uscc={u3}")
    t.check("nor is a notice (检查通知书) issued naming the incomplete team (409 team_incomplete)",
            st == 409 and is_error_body(b, "team_incomplete") and "7.3" in b["message"], (st, str(b)[:200]))
    st, c = head.get(f"/api/tasks/{tid3}/teams/{u3}/candidates")
    cands = c.get("candidates", [])
    t.check("candidates: the committed pool less the team, each with the rule's answer",
            st == 200 and c["slot"] == ex["slot"] and cands and tm["inspectors"][0] not in [x["cert_no"] for x in cands] and
            all(x["ok"] and x["reason"] == "名录中没有可抽取的相符业务专长人员，委派其他持证检查人员" for x in cands), (st, c))
    pick = cands[0]["cert_no"]
    outsider = s.sql("SELECT cert_no FROM inspectors WHERE status = 'inactive' LIMIT 1") or [("99999999999",)]

    def stored():
        return s.sql("SELECT inspectors, slots FROM task_teams WHERE task_id = ? AND uscc = ?", tid3, u3)[0]

    before = stored()
    township_head_org = next(o["id"] for o in admin.get("/api/orgs")[1] if o["kind"] != "bureau")
    st, b = admin.post("/api/users", {"username": "head9", "password": "head9-password", "role": "head",
                                      "org_id": township_head_org})
    assert st == 201, (st, b)
    other_head = s.login("head9", "head9-password")
    for what, client, body, code, err in (
            ("a planner", planner, {"cert_no": pick}, 403, "forbidden"),
            ("the head of another org", other_head, {"cert_no": pick}, 403, "forbidden"),
            ("no cert_no", head, {"reason": "x"}, 400, "bad_request"),
            ("a cert_no that is not text", head, {"cert_no": 5}, 400, "bad_request"),
            ("an unknown field", head, {"cert_no": pick, "who": "x"}, 400, None),
            ("someone outside the committed pool", head, {"cert_no": outsider[0][0]}, 422, "not_in_pool"),
            ("the member already on the team", head, {"cert_no": tm["inspectors"][0]}, 422, "on_team"),
            ("a slot without an open position", head, {"cert_no": pick, "slot": 1}, 409, "no_open_position")):
        st, b = client.post(f"/api/tasks/{tid3}/teams/{u3}/appoint", body)
        t.check(f"appointment by {what} is refused ({code})" if client is not head else f"appointment with {what} is refused ({code})",
                st == code and is_error_body(b, err), (st, b))
    t.check("  none of them changed the team", stored() == before)
    st, ap = head.post(f"/api/tasks/{tid3}/teams/{u3}/appoint", {"cert_no": pick, "reason": "熟悉化工生产工艺"})
    now = next(x for x in teams_of(planner, tid3) if x["uscc"] == u3)
    exn = next(sl for sl in now["slots"] if sl["name"] == "expertise")
    entry = exn.get("appointments", [{}])[-1]
    t.check("the executing org's head appoints by name: the team is complete, the leader chosen again",
            st == 200 and ap["open"] == 0 and now["open"] == 0 and exn["current"] == [pick] and
            sorted(now["inspectors"]) == sorted(tm["inspectors"] + [pick]) and now["leader"] in now["inspectors"], (st, ap, now))
    t.check("the appointment records who appointed, the org, the rule's reason and the head's note",
            entry.get("removed", 0) is None and entry.get("replacement") == pick and entry.get("by") == "head1" and
            entry.get("by_org") and "负责人直接委派" in entry.get("reason", "") and "熟悉化工生产工艺" in entry.get("reason", "")
            and entry.get("at"), entry)
    t.check("the appointment is in the audit trail",
            s.sql("SELECT count(*) FROM audit WHERE action = 'team.appoint' AND actor = 'head1' AND object = ? AND "
                  "json_extract(details, '$.cert_no') = ?", f"task:{tid3}:{u3}", pick)[0][0] == 1)
    st, b = head.post(f"/api/tasks/{tid3}/teams/{u3}/appoint", {"cert_no": cands[1]["cert_no"]})
    t.check("a complete team takes no further appointment (409 no_open_position)",
            st == 409 and is_error_body(b, "no_open_position"), (st, b))
    st, b = a3.post(f"/api/tasks/{tid3}/results", {"uscc": u3, "category": "a", "summary": "未发现问题"})
    t.check("after the appointment the result can be entered (201)", st == 201, (st, b))
    st, html = head.get(f"/api/documents/notice?task={tid3}&uscc={u3}")
    t.check("and the notice names the whole team", st == 200 and pick in str(html), st)
    t.check("every other team of the task had its one open position, and the tests' set-up helper fills them",
            all(x["open"] == 1 for x in teams3) and complete_teams(s, tid3) == len(teams3) - 1 and
            planner.get(f"/api/tasks/{tid3}/teams?open=1")[1]["total"] == 0)
    st, ann = s.client().get(f"/api/public/tasks/{tid3}")
    pub = [ap for x in ann.get("teams", []) for sl in x["slots"] for ap in sl.get("appointments", [])]
    rc, out = verify_cli(s, ann)
    js = verify_js(ann)
    t.check("the announcement shows each appointment with its org and without the account, and verifies "
            "(spotcheck verify, verify.js, the SPEC §4 re-implementation)",
            pub and all("by" not in ap and ap["by_org"] for ap in pub) and rc == 0 and js["ok"] and not check_teams(ann),
            (out[-600:], js["errors"][:3], check_teams(ann)[:3]))

    # ---- 7.3 a required expert: drawn, or the team draw is refused (never an empty slot). The team
    # draw's pool (experts included) is fixed at lock, so each case is its own task ----
    s.sql("UPDATE inspectors SET status = 'active' WHERE status = 'inactive'")   # the full directory again
    st, items = planner.get("/api/items")

    def expert_task(name, industry, start, end):
        item = next(i for i in items["items"] if i["checkpoints"] and (not i.get("industries") or industry in i["industries"]))
        st, tk = planner.post("/api/tasks", {
            "name": name, "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": [industry]},
            "directed": False, "lead_unit": "高青县应急管理局", "joint_units": [], "require_expert": True,
            "start_date": start, "end_date": end})
        assert st == 201, (st, tk)
        for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK)):
            st, b = planner.post(f"/api/tasks/{tk['id']}/{path}", body)
            assert st in (200, 201), (path, st, b)
        return tk["id"]

    s.sql("UPDATE inspectors SET is_expert = 0")
    te1 = expert_task("专家任务（名录无专家）", "冶金", "2026-11-02", "2026-11-20")
    n_teams = s.sql("SELECT count(*) FROM task_teams")[0][0]
    st, b = planner.post(f"/api/tasks/{te1}/teams", V2_TEAMS)
    t.check("require_expert with no expert in the directory: the team draw is refused naming the expert slot",
            st == 422 and is_error_body(b, "no_org_inspector") and "专家库专家" in b["message"] and
            s.sql("SELECT count(*) FROM task_teams")[0][0] == n_teams, (st, b))
    experts = [c for (c,) in s.sql("SELECT cert_no FROM inspectors WHERE status = 'active' ORDER BY cert_no LIMIT 40")]
    s.sql("UPDATE inspectors SET is_expert = 1 WHERE cert_no IN (%s)" % ",".join("?" * len(experts)), *experts)
    te2 = expert_task("专家任务（名录有专家）", "化工", "2026-11-23", "2026-12-10")
    st, b = planner.post(f"/api/tasks/{te2}/teams", V2_TEAMS)
    st2, tms = planner.get(f"/api/tasks/{te2}/teams")
    slots = [sl for tm in tms.get("teams", []) for sl in tm["slots"] if sl["name"] == "expert"]
    t.check("with experts registered before the lock: every team has its expert drawn",
            st == 201 and tms["teams"] and len(slots) == len(tms["teams"]) and
            all(len(sl["current"]) == 1 and sl["current"][0] in experts for sl in slots), (st, b, slots[:2]))

    # ---- rotation: a unit's previous team (its latest other task) is kept out of its pools ----
    prev = {}

    def previous_team_for_a_drawn_unit(task_id):   # the first task's last team becomes this unit's
        (sel,), = s.sql("SELECT selection FROM task_draws WHERE task_id = ? ORDER BY attempt DESC LIMIT 1", task_id)
        uscc = next(u for st in json.loads(sel) for u in st["selected"])
        uscc = uscc["uscc"] if isinstance(uscc, dict) else uscc
        if not s.sql("SELECT 1 FROM task_teams WHERE task_id = ? AND uscc = ?", tid, uscc):
            s.sql("UPDATE task_teams SET uscc = ? WHERE task_id = ? AND pos = (SELECT max(pos) FROM task_teams "
                  "WHERE task_id = ?)", uscc, tid, tid)
        (members,), = s.sql("SELECT inspectors FROM task_teams WHERE task_id = ? AND uscc = ?", tid, uscc)
        prev[uscc] = json.loads(members)
        # their certificates valid through this task, so rotation is the one reason to keep them out
        # (a demo certificate may lapse before it and keep its holder out of every pool)
        s.sql("UPDATE inspectors SET cert_valid_until = '2099-12-31' WHERE cert_no IN (?, ?)", *prev[uscc])

    tr = task_through_teams(planner, "轮换测试任务", "烟花爆竹", "2027-03-01", "2027-03-20", previous_team_for_a_drawn_unit)
    (ru, before_members), = prev.items()
    rteams = teams_of(planner, tr)
    here = [sl["pool"] for x in rteams if x["uscc"] == ru for sl in x["slots"]]
    t.check("rotation: no member of the unit's previous team is in any of its pools, and they are in others'",
            len(before_members) == 2 and len(here) >= 2 and not set(before_members) & set(sum(here, [])) and
            all(any(m in sl["pool"] for x in rteams if x["uscc"] != ru for sl in x["slots"]) for m in before_members),
            (ru, before_members, [len(p) for p in here]))

t.finish()
