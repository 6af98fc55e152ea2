"""Attacks on published results and their archive (issue "Security and trust"), each named after
the attack and each refused with a 4xx SPEC §5 body that changes nothing:
- a published finding moved to another company by editing USCCs (PUT /api/enterprises/{id}, or the
  directory changed underneath): the public results keep the unit fixed at publication;
- a correction approved by the person who requested it, by a head on the unit's own team, or with
  changes the request did not contain (9.1: a second person approves exactly what was requested);
- an inspector of another team uploading to or reading a published result's archive; a planner
  likewise; an auditor reads it;
- an inspector on no team of the task reading its objections."""
import urllib.parse
from spot import Server, Suite, bureau_today, dispatched_task, staff_clients, inspector_clients, is_error_body

t = Suite()
YEAR = 2026
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(body17):
    """A USCC with its GB 32100 check character."""
    c = 31 - sum(USCC_CHARS.index(ch) * w for ch, w in zip(body17, USCC_W)) % 31
    return body17 + USCC_CHARS[0 if c == 31 else c]


def counts(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in
            ("result_corrections", "attachments", "objections", "audit")]


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    st, b = admin.post("/api/users", {"username": "head2", "password": "head2-password", "role": "head"})
    assert st == 201, (st, b)
    head2 = s.login("head2", "head2-password")

    task, item, teams = dispatched_task(planner, "攻击测试任务", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    team = teams[0]
    members = team["inspectors"]
    ins = inspector_clients(s, admin, members)
    a = ins[members[0]]
    others = sorted({c for x in teams[1:] for c in x["inspectors"]} - set(members))
    t.check("the task has an inspector on another team (the attacker)", len(others) >= 1, teams)
    outsider = inspector_clients(s, admin, others[:1])[others[0]]
    stranger_cert = s.sql("SELECT cert_no FROM inspectors WHERE cert_no NOT IN (SELECT j.value FROM task_teams t, "
                          "json_each(t.inspectors) j WHERE t.task_id = ?) LIMIT 1", tid)[0][0]
    stranger = inspector_clients(s, admin, [stranger_cert])[stranger_cert]
    # a head who is also a member of the unit's team (a head may carry an inspector's certificate)
    st, b = admin.post("/api/users", {"username": "headteam", "password": "headteam-password", "role": "head",
                                      "cert_no": members[0]})
    assert st == 201, (st, b)
    head_on_team = s.login("headteam", "headteam-password")

    st, res = a.post(f"/api/tasks/{tid}/results", {
        "uscc": team["uscc"], "category": "e", "summary": "消防通道堆放杂物，已责令改正",
        "records": [{"item_id": item["id"], "checkpoint_id": cp["id"], "category": "a", "finding": "符合要求"} for cp in item["checkpoints"]]})
    assert st == 201, (st, res)
    rid = res["id"]
    for c in members:
        st, b = ins[c].post(f"/api/results/{rid}/sign")
        assert st == 200, (st, b)
    st, b = head.post(f"/api/results/{rid}/review", {"approve": True})
    assert st == 200, (st, b)
    st, b = a.post(f"/api/results/{rid}/publish")
    assert st == 200, (st, b)
    unit = s.sql("SELECT e.id, e.name, e.uscc, e.industry FROM task_units u JOIN enterprises e ON e.id = u.enterprise_id "
                 "WHERE u.task_id = ? AND u.uscc = ?", tid, team["uscc"])[0]
    other = s.sql("SELECT id, name, uscc FROM enterprises WHERE id <> ? AND name <> ? ORDER BY id LIMIT 1", unit[0], unit[1])[0]

    # ---- a published finding cannot be moved to another company ----
    anon = s.client()
    st, pr = anon.get(f"/api/public/results?task={tid}")
    t.check("public result names the unit it was published for", st == 200 and pr["results"][0]["name"] == unit[1] and
            pr["results"][0]["uscc"] == team["uscc"], (st, pr))
    free = uscc("91370322MA3X" + "%05d" % (unit[0] % 100000))
    admin.put(f"/api/enterprises/{unit[0]}", {"uscc": free})          # may be refused (USCC immutable)
    admin.put(f"/api/enterprises/{other[0]}", {"uscc": team["uscc"]})  # another company takes the USCC
    st, pr = anon.get(f"/api/public/results?task={tid}")
    one = pr["results"][0] if st == 200 and pr["results"] else {}
    t.check("editing USCCs through PUT /api/enterprises does not move a published finding to another company",
            one.get("name") == unit[1] and one.get("uscc") == team["uscc"] and one.get("industry") == unit[3], (st, one))
    try:  # the directory changed underneath (an import, a restored backup): the finding still stays
        s.sql("UPDATE enterprises SET uscc = ? WHERE id = ?", uscc("91370322MA3Y00001"), unit[0])
        s.sql("UPDATE enterprises SET uscc = ?, name = '冒名顶替有限公司' WHERE id = ?", team["uscc"], other[0])
    except Exception:
        pass
    st, pr = anon.get(f"/api/public/results?task={tid}")
    one = pr["results"][0] if st == 200 and pr["results"] else {}
    t.check("a directory row taking the published USCC does not take over the published finding",
            one.get("name") == unit[1] and "冒名顶替" not in str(pr), (st, one))
    st, pr = anon.get("/api/public/results?industry=" + urllib.parse.quote(unit[3]))
    t.check("the public industry filter follows the unit as published", st == 200 and
            rid in [x["id"] for x in pr["results"]], (st, pr))
    try:
        s.sql("UPDATE result_units SET name = 'x' WHERE result_id = ?", rid)
        raised = False
    except Exception:
        raised = True
    t.check("the unit of a published result cannot be changed in the database", raised)

    # ---- corrections need a second person (each attack on its own pending request) ----
    def request(client, reason, changes):
        st, c = client.post(f"/api/results/{rid}/corrections", {"reason": reason, "changes": changes})
        assert st == 201, (st, c)
        return c["id"]
    own = request(head, "复查发现结论表述不准确", {"summary": "消防通道堆放杂物，已当场整改"})
    team_c = request(planner, "记录笔误", {"summary": "消防通道堆放少量杂物，已责令改正"})
    exact = request(planner, "结论表述更正", {"summary": "消防通道堆放杂物，已当场清理"})
    before = counts(s)
    st, b = head.post(f"/api/results/{rid}/corrections/{own}/approve", {"note": "同意"})
    t.check("the requester of a correction cannot approve it (403)", st == 403 and is_error_body(b, "own_request"), (st, b))
    st, b = head_on_team.post(f"/api/results/{rid}/corrections/{team_c}/approve", {"note": "同意"})
    t.check("a head on the unit's team cannot approve a correction of the team's own result (403)",
            st == 403 and is_error_body(b, "own_team"), (st, b))
    st, b = head2.post(f"/api/results/{rid}/corrections/{exact}/approve",
                       {"note": "同意", "changes": {"category": "a", "summary": "未发现问题"}})
    t.check("an approval cannot add or change the requested changes (422)",
            st == 422 and is_error_body(b, "changes_not_allowed"), (st, b))
    st, pr = anon.get(f"/api/public/results?task={tid}")
    t.check("refused approvals changed nothing", counts(s) == before and
            [r[0] for r in s.sql("SELECT status FROM result_corrections WHERE result_id = ? ORDER BY id", rid)] ==
            ["pending"] * 3 and pr["results"][0]["category"] == "e" and pr["results"][0]["corrections"] == [],
            (before, counts(s)))
    st, b = head2.post(f"/api/results/{rid}/corrections/{exact}/approve", {"note": "同意"})
    t.check("another head, not on the team, approves exactly what was requested", st == 200 and
            b["current"]["summary"] == "消防通道堆放杂物，已当场清理" and b["current"]["category"] == "e", (st, b))

    # ---- the archive of a published result ----
    pdf = b"%PDF-1.4\n" + b"x" * 100 + b"\n%%EOF\n"
    before = counts(s)
    st, b = outsider.request("POST", f"/api/results/{rid}/attachments?name=forged.pdf", raw=pdf,
                             content_type="application/pdf")
    t.check("inspector of another team cannot upload to a published result (403)", st == 403 and is_error_body(b), (st, b))
    st, b = planner.request("POST", f"/api/results/{rid}/attachments?name=forged.pdf", raw=pdf, content_type="application/pdf")
    t.check("a planner cannot upload to a result's archive (403)", st == 403 and is_error_body(b), (st, b))
    t.check("refused uploads stored nothing", counts(s) == before, (before, counts(s)))
    st, att = a.request("POST", f"/api/results/{rid}/attachments?name=record.pdf", raw=pdf, content_type="application/pdf")
    t.check("a member of the unit's team uploads", st == 201, (st, att))
    st, b = head.request("POST", f"/api/results/{rid}/attachments?name=review.pdf", raw=pdf, content_type="application/pdf")
    t.check("a head uploads", st == 201, (st, b))
    st, b = outsider.get(f"/api/attachments/{att['id']}")
    t.check("inspector of another team cannot read a published result's attachment (403)",
            st == 403 and is_error_body(b), (st, b))
    st, b = outsider.get(f"/api/results/{rid}")
    t.check("inspector of another team does not see the archive's list in the result view",
            st == 200 and b["attachments"] == [], (st, b.get("attachments") if isinstance(b, dict) else b))
    st, b = head.get(f"/api/results/{rid}")
    t.check("a head sees the archive's list", st == 200 and [x["id"] for x in b["attachments"]][:1] == [att["id"]], st)
    st, b = planner.get(f"/api/attachments/{att['id']}")
    t.check("a planner cannot read a result's attachment (403)", st == 403 and is_error_body(b), (st, b))
    st, data = auditor.get(f"/api/attachments/{att['id']}")
    t.check("an auditor reads a result's attachment", st == 200 and data == pdf, st)
    st, data = ins[members[-1]].get(f"/api/attachments/{att['id']}")
    t.check("a member of the unit's team reads it", st == 200 and data == pdf, st)

    # ---- objections of a task ----
    today = bureau_today().isoformat()
    st, o = admin.post("/api/objections", {"result_id": rid, "received": today, "text": "对检查结论有异议"})
    assert st == 201, (st, o)
    st, b = stranger.get(f"/api/objections/{o['id']}")
    t.check("an inspector on no team of the task cannot read its objection (403)", st == 403 and is_error_body(b), (st, b))
    st, b = stranger.get("/api/objections")
    t.check("an inspector on no team of the task does not see its objections in the list",
            st == 200 and o["id"] not in [x["id"] for x in b["objections"]], (st, b))
    st, b = a.get(f"/api/objections/{o['id']}")
    st2, l2 = a.get("/api/objections")
    t.check("a member of the task's team reads its objection", st == 200 and b["id"] == o["id"] and
            o["id"] in [x["id"] for x in l2["objections"]], (st, b))

    p = s.run("audit", "verify")
    t.check("audit chain intact", p.returncode == 0, p.stdout + p.stderr)
    t.check("server still alive", s.alive())

t.finish()
