"""Online objections (clause 9.2; SPEC §12; issue 16): the 随机抽查通知书 issued to a unit carries a
one-time code; with its USCC and that code the unit files an objection to its published result on the
portal (POST /api/public/objections, no account). Refused alike for a wrong USCC or a wrong code, and
before publication; ten wrong codes lock the unit's codes for an hour; thirty wrong tries from one
address refuse the address; a right one files the objection received today with the 20-working-day
review deadline, its attachments in the result's archive, and uses the code up. Staff see it in the
objection queue. Nothing changes on a refusal."""
import base64
import datetime
import hashlib
import re
import time

from spot import Server, Suite, bureau_today, dispatched_task, staff_clients, inspector_clients, is_error_body

t = Suite()
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
CODE_RE = re.compile(r"异议查询码：<strong>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>")


def counts(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("objections", "attachments")]


def notice_code(client, tid, uscc):
    st, html = client.get(f"/api/documents/notice?task={tid}&uscc={uscc}")
    assert st == 200, (st, html)
    m = CODE_RE.search(html.decode())
    assert m, "the notice carries an objection code"
    return m.group(1)


def entered_result(s, admin, ins_cache, tid, team):
    ins = inspector_clients(s, admin, [c for c in team["inspectors"] if c not in ins_cache])
    ins_cache.update(ins)
    a = ins_cache[team["inspectors"][0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "b",
                                                    "summary": "未按规定公示应当公示的信息"})
    assert st == 201, (st, res)
    for c in team["inspectors"]:
        st, b = ins_cache[c].post(f"/api/results/{res['id']}/sign")
        assert st == 200, (st, b)
    return res["id"]


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    today = bureau_today()
    task, item, teams = dispatched_task(planner, "网上异议测试任务", (today - datetime.timedelta(days=20)).isoformat(),
                                        (today - datetime.timedelta(days=2)).isoformat(), "烟花爆竹")
    tid = task["id"]
    team, team2 = teams[0], teams[1]
    ins = {}
    rid = entered_result(s, admin, ins, tid, team)
    anon = s.client()

    code = notice_code(planner, tid, team["uscc"])
    t.check("the notice's code has the printed form XXXX-XXXX-XXXX", re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){2}", code), code)
    t.check("only the code's SHA-256 is stored",
            s.sql("SELECT count(*) FROM objection_codes WHERE uscc = ? AND code_sha256 = ?", team["uscc"],
                  hashlib.sha256(f"{team['uscc']}:{code.replace('-', '')}".encode()).hexdigest())[0][0] == 1
            and s.sql("SELECT count(*) FROM objection_codes WHERE code_sha256 LIKE ?", f"%{code}%")[0][0] == 0)
    good = {"uscc": team["uscc"], "code": code, "applicant": "被检查单位 张经理", "contact": "0533-1234567",
            "text": "企业已于检查前在官网公示相关信息，请求复核",
            "attachments": [{"name": "公示截图.png", "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]}

    before = counts(s)
    st, b = anon.post("/api/public/objections", good)
    t.check("before publication the right code is refused: the result is not published (409)",
            st == 409 and is_error_body(b, "not_published") and "公示" in b["message"], (st, b))
    t.check("  nothing filed, the code not used up", counts(s) == before and
            s.sql("SELECT objection_id FROM objection_codes WHERE task_id = ? AND uscc = ?", tid, team["uscc"])[0][0] is None)

    st, b = head.post(f"/api/results/{rid}/review", {"approve": True})
    assert st == 200, (st, b)
    st, b = head.post(f"/api/results/{rid}/publish")
    assert st == 200 and b["status"] == "published", (st, b)

    before = counts(s)
    wrong_uscc = dict(good, uscc=team2["uscc"])
    wrong_code = dict(good, code="0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111")
    st1, b1 = anon.post("/api/public/objections", wrong_uscc)
    st2, b2 = anon.post("/api/public/objections", wrong_code)
    t.check("a wrong USCC is refused (403 bad_code)", st1 == 403 and is_error_body(b1, "bad_code"), (st1, b1))
    t.check("a wrong code is refused (403 bad_code)", st2 == 403 and is_error_body(b2, "bad_code"), (st2, b2))
    t.check("  with the same words: the refusal does not say which was wrong", b1 == b2, (b1, b2))
    st, b = anon.request("POST", "/api/public/objections", raw="uscc=" + team["uscc"], content_type="application/x-www-form-urlencoded")
    t.check("a form post (what another site could send) is refused: 415", st == 415 and is_error_body(b), (st, b))
    st, b = anon.post("/api/public/objections", dict(good, text=""))
    t.check("an objection without text is refused (400)", st == 400 and is_error_body(b, "bad_request"), (st, b))
    st, b = anon.post("/api/public/objections", dict(good, attachments=[{"name": "x.png", "content_type": "image/png",
                                                                         "data": base64.b64encode(b"not a png").decode()}]))
    t.check("an attachment whose content is not its declared type is refused (400)", st == 400 and is_error_body(b, "type_mismatch"), (st, b))
    st, b = anon.post("/api/public/objections", dict(good, extra=1))
    t.check("an unknown field is refused (400)", st == 400 and is_error_body(b, "unknown_field"), (st, b))
    t.check("  nothing filed by any of them", counts(s) == before)

    st, o = anon.post("/api/public/objections", dict(good, code=code.lower().replace("-", " ")))
    t.check("the right USCC and code (typed in lower case, spaces for dashes) file the objection: 201",
            st == 201 and o.get("status") == "received" and o.get("received") == today.isoformat(), (st, o))
    ev = admin.post("/api/rules/eval", {"rule": "deadlines", "fn": "objection_review_due", "args": [today.isoformat()]})[1]
    due = ev["results"][0]["date"]
    t.check("  its review deadline is the rule's 20 working days from today (deadlines.objection_review_due)",
            o.get("review_due") == due and (datetime.date.fromisoformat(due) - today).days >= 26, (o, ev))
    t.check("  the reply names its attachment with its SHA-256",
            [(x["name"], x["sha256"]) for x in o.get("attachments", [])] == [("公示截图.png", hashlib.sha256(PNG).hexdigest())], o)
    t.check("  the reply holds nothing of the staff's view (no contact, no rule sha)",
            "contact" not in o and "review_rule_sha" not in o and "created_by" not in o, o)
    st, staff = head.get(f"/api/objections/{o['id']}")
    t.check("staff see it with source online, the applicant, the contact and the attachment",
            st == 200 and staff["source"] == "online" and staff["applicant"] == "被检查单位 张经理" and
            staff["contact"] == "0533-1234567" and staff["result_id"] == rid and
            [x["sha256"] for x in staff["attachments"]] == [hashlib.sha256(PNG).hexdigest()] and
            staff["deadlines"]["review"]["date"] == due, (st, staff))
    st, lst = head.get("/api/objections?status=received")
    t.check("  and in the objection queue with its deadline",
            any(x["id"] == o["id"] and x["review_due"] == due for x in lst["objections"]), lst)
    t.check("  the attachment is in the result's archive, stored once",
            s.sql("SELECT result_id, objection_id, size FROM attachments WHERE objection_id = ?", o["id"]) == [(rid, o["id"], len(PNG))])
    t.check("  audited as objection.file_online by the unit",
            s.sql("SELECT actor FROM audit WHERE action = 'objection.file_online' AND object = ?", f"objection:{o['id']}")
            == [(f"online:{team['uscc']}",)])
    before = counts(s)
    st, b = anon.post("/api/public/objections", good)
    t.check("the code is used up: a second objection with it is refused (403 bad_code)", st == 403 and is_error_body(b, "bad_code"), (st, b))
    t.check("  nothing filed", counts(s) == before)

    # ---- ten wrong codes lock the unit's codes for an hour ----
    rid2 = entered_result(s, admin, ins, tid, team2)
    code2 = notice_code(planner, tid, team2["uscc"])
    body2 = dict(good, uscc=team2["uscc"], code=code2, attachments=[])
    bad2 = dict(body2, code="0000-0000-0000" if code2 != "0000-0000-0000" else "1111-1111-1111")
    statuses = [anon.post("/api/public/objections", bad2)[0] for _ in range(10)]
    t.check("ten wrong codes for a unit: ten refusals (403)", statuses == [403] * 10, statuses)
    before = counts(s)
    st, b = anon.post("/api/public/objections", body2)
    t.check("then even the right code is refused for the hour (429 locked)", st == 429 and is_error_body(b, "locked"), (st, b))
    t.check("  nothing filed", counts(s) == before)
    locked_until = s.sql("SELECT locked_until FROM objection_codes WHERE task_id = ? AND uscc = ?", tid, team2["uscc"])[0][0]
    t.check("  locked for an hour", 3590 <= locked_until - time.time() <= 3600, locked_until)
    # scenario set-up: the hour has passed
    s.sql("UPDATE objection_codes SET locked_until = 0 WHERE uscc = ?", team2["uscc"])
    st, b = anon.post("/api/public/objections", body2)
    t.check("after the hour the right code is taken again (here: the result is not published yet, 409)",
            st == 409 and is_error_body(b, "not_published"), (st, b))

    # ---- a new notice replaces the code ----
    code3 = notice_code(planner, tid, team2["uscc"])
    st, b = anon.post("/api/public/objections", body2)
    t.check("issuing the notice again replaces the code: the earlier one is refused", st == 403 and is_error_body(b, "bad_code"), (st, b))
    st, b = head.post(f"/api/results/{rid2}/review", {"approve": True})
    st, b = head.post(f"/api/results/{rid2}/publish")
    st, o2 = anon.post("/api/public/objections", dict(body2, code=code3))
    t.check("  the new one files the objection", st == 201 and o2["status"] == "received", (st, o2))

    # ---- thirty wrong tries from one address ----
    # 14 wrong tries so far from this address (2 + 1 + 10 + 1 above): 16 more reach 30
    sts = [anon.post("/api/public/objections", dict(good, uscc=f"91370322MA3TEST{n:03d}", code="0000-0000-0000"))[0]
           for n in range(20)]
    st, b = anon.post("/api/public/objections", dict(good, uscc="91370322MA3TEST999", code="0000-0000-0000"))
    t.check("thirty wrong tries from one address: the address is refused for the hour (429 throttled)",
            sts == [403] * 16 + [429] * 4 and st == 429 and is_error_body(b, "throttled"), (sts, st, b))
    log = s.logtext()
    t.check("the server log names no code", code not in log and code2 not in log and
            "security: objection code refused" in log, log[-2000:])

t.finish()
