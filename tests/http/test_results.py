"""Inspection results over HTTP (clauses 8.1-8.4, 9.1, 9.2; SPEC §5, §7): entry by a team member
per item checkpoint, an unknown category refused, sign-off by every team member (a change clears
the signatures), review (录入审核) with return and approval, publication refused before all
signatures and before review, a published result immutable (API and direct SQL), corrections only
with a head's approval and then public with their reason, follow-up states with history, attachments
(allow-listed type, SHA-256, download only for the unit's team, heads, admins and auditors, over the
cap 413 with nothing stored), public results with filters and without personal data; bad input changes nothing."""
import hashlib
import json
import urllib.parse
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body

t = Suite()
YEAR = 2026
UPLOAD_MAX = 4096


def counts(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in
            ("results", "result_records", "result_signatures", "result_reviews", "result_corrections", "followups",
             "attachments", "audit")]


with Server(demo=True, env={"SPOTCHECK_UPLOAD_MAX": str(UPLOAD_MAX)}) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)

    task, item, teams = dispatched_task(planner, "结果录入测试任务", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    team = teams[0]
    uscc = team["uscc"]
    members = team["inspectors"]
    t.check("the test unit has a team of >= 2", len(members) >= 2, team)
    ins = inspector_clients(s, admin, members)
    a, b = ins[members[0]], ins[members[1]]
    other_team = next(x for x in teams if not set(x["inspectors"]) & set(members)) if any(
        not set(x["inspectors"]) & set(members) for x in teams) else None
    cps = item["checkpoints"]
    good = {"uscc": uscc, "category": "e", "summary": "消防通道堆放杂物，已责令当场改正",
            "records": [{"item_id": item["id"], "checkpoint_id": cps[0]["id"], "category": "e",
                         "finding": "消防通道堆放杂物"}] +
                       [{"item_id": item["id"], "checkpoint_id": c["id"], "category": "a", "finding": "符合要求"} for c in cps[1:]]}

    outsider = None
    if other_team:
        outsider = inspector_clients(s, admin, [other_team["inspectors"][0]])[other_team["inspectors"][0]]

    # ---- bad input: 4xx with the SPEC §5 body, nothing changed ----
    before = counts(s)
    for name, client, path, body, code, err in [
        ("unknown category", a, f"/api/tasks/{tid}/results", dict(good, category="z"), 422, "unknown_category"),
        ("unknown record category", a, f"/api/tasks/{tid}/results",
         dict(good, records=[dict(good["records"][0], category="x")]), 422, "unknown_category"),
        ("unknown field", a, f"/api/tasks/{tid}/results", dict(good, colour=1), 400, "unknown_field"),
        ("missing category", a, f"/api/tasks/{tid}/results", {"uscc": uscc}, 400, None),
        ("unit not in task", a, f"/api/tasks/{tid}/results", dict(good, uscc="91370322MA3C000000"), 422, "unknown_unit"),
        ("item not in task", a, f"/api/tasks/{tid}/results",
         dict(good, records=[dict(good["records"][0], item_id=999999)]), 422, "unknown_item"),
        ("checkpoint of another item", a, f"/api/tasks/{tid}/results",
         dict(good, records=[dict(good["records"][0], checkpoint_id=999999)]), 422, "unknown_checkpoint"),
        ("records not a list", a, f"/api/tasks/{tid}/results", dict(good, records="x"), 400, None),
        ("a checkpoint left unanswered (no default category)", a, f"/api/tasks/{tid}/results",
         dict(good, records=[{k: v for k, v in good["records"][0].items() if k != "category"}]), 400, "unanswered"),
        ("planner may not enter (谁检查、谁录入)", planner, f"/api/tasks/{tid}/results", good, 403, None),
        ("unknown task", a, "/api/tasks/999999/results", good, 404, "not_found"),
    ]:
        st, body = client.post(path, body)
        t.check(f"bad result input refused: {name}", st == code and is_error_body(body, err), (st, body))
    st, body = a.request("POST", f"/api/tasks/{tid}/results", raw=b"{bad json", content_type="application/json")
    t.check("malformed JSON refused 400", st == 400 and is_error_body(body), (st, body))
    if outsider:
        st, body = outsider.post(f"/api/tasks/{tid}/results", good)
        t.check("an inspector of another unit's team may not enter (403)", st == 403 and is_error_body(body), (st, body))
    t.check("refused entries changed nothing", counts(s) == before, (before, counts(s)))

    # ---- entry ----
    st, res = a.post(f"/api/tasks/{tid}/results", good)
    rid = res.get("id") if isinstance(res, dict) else None
    t.check("result entered by a team member", st == 201 and res["status"] == "draft" and res["category"] == "e" and
            res["category_label"] == "发现问题已责令改正" and res["follow_up"] is True and
            len(res["records"]) == len(cps) and res["records"][0]["cert_no"] == members[0] and
            res["records"][0]["checkpoint"] == cps[0]["text"], (st, res))
    t.check("publication deadline from deadlines.publication_due with reason, clause and rule sha",
            res["deadline"] == res["due_date"] and res["due_clause"] == "9.1" and "20个工作日" in res["due_reason"] and
            len(res["due_rule_sha"]) == 64, res)
    st, lst = planner.get(f"/api/tasks/{tid}/results")
    t.check("task results list with units", st == 200 and [x["id"] for x in lst["results"]] == [rid] and
            len(lst["units"]) == len(teams), (st, lst))

    # ---- signatures ----
    st, body = b.post(f"/api/results/{rid}/publish")
    t.check("publication refused before any signature (409 unsigned)", st == 409 and is_error_body(body, "unsigned"),
            (st, body))
    st, body = a.post(f"/api/results/{rid}/sign")
    t.check("first member signs", st == 200 and len(body["signatures"]) == 1 and
            body["pending_signatures"] == members[1:], (st, body))
    st, body = a.post(f"/api/results/{rid}/sign")
    t.check("signing twice refused", st == 409 and is_error_body(body, "already_signed"), (st, body))
    st, body = head.post(f"/api/results/{rid}/review", {"approve": True})
    t.check("approval refused before all signatures", st == 409 and is_error_body(body, "unsigned"), (st, body))
    st, body = head.post(f"/api/results/{rid}/sign")
    t.check("a head cannot sign for the team (403)", st == 403 and is_error_body(body), (st, body))
    st, body = b.post(f"/api/results/{rid}/publish")
    t.check("publication refused before all signatures", st == 409 and is_error_body(body, "unsigned"), (st, body))
    # a change of the draft clears the signatures
    st, res = b.post(f"/api/tasks/{tid}/results", dict(good, summary="消防通道堆放杂物，已责令改正并复查"))
    t.check("changing the draft clears signatures", st == 200 and res["signatures"] == [] and res["version"] == 2 and
            res["pending_signatures"] == members, (st, res))
    for c in members:
        st, body = ins[c].post(f"/api/results/{rid}/sign")
    t.check("every member signed", st == 200 and body["all_signed"] and body["pending_signatures"] == [], body)
    st, body = b.post(f"/api/results/{rid}/publish")
    t.check("publication refused before review (409 not_reviewed)", st == 409 and is_error_body(body, "not_reviewed"),
            (st, body))

    # ---- review ----
    st, body = planner.post(f"/api/results/{rid}/review", {"approve": True})
    t.check("a planner cannot review (403)", st == 403 and is_error_body(body, "forbidden"), (st, body))
    st, body = head.post(f"/api/results/{rid}/review", {"approve": False})
    t.check("a return without a reason refused", st == 400 and is_error_body(body, "reason_required"), (st, body))
    st, body = head.post(f"/api/results/{rid}/review", {"approve": "yes"})
    t.check("approve must be a boolean", st == 400 and is_error_body(body), (st, body))
    st, body = head.post(f"/api/results/{rid}/review", {"approve": False, "reason": "整改期限未写明"})
    t.check("returned: draft again, signatures cleared, history kept",
            st == 200 and body["status"] == "draft" and body["signatures"] == [] and
            body["reviews"][-1]["approve"] is False and body["reviews"][-1]["opinion"] == "整改期限未写明", (st, body))
    for c in members:
        ins[c].post(f"/api/results/{rid}/sign")
    st, body = head.post(f"/api/results/{rid}/review", {"approve": True, "opinion": "同意"})
    t.check("approved after all signed", st == 200 and body["status"] == "approved" and len(body["reviews"]) == 2, (st, body))

    # ---- publication ----
    st, pub = b.post(f"/api/results/{rid}/publish")
    t.check("published by a team member (谁检查、谁公示)", st == 200 and pub["status"] == "published" and
            pub["published_by"] == "i" + members[1].lower() and pub["due_rule_sha"], (st, pub))
    st, body = b.post(f"/api/results/{rid}/publish")
    t.check("publishing twice refused", st == 409 and is_error_body(body, "published"), (st, body))
    st, body = a.post(f"/api/tasks/{tid}/results", dict(good, category="a"))
    t.check("a published result cannot be changed through the API (409)", st == 409 and is_error_body(body, "published"),
            (st, body))
    for name, q in [("UPDATE results", f"UPDATE results SET category = 'a' WHERE id = {rid}"),
                    ("UPDATE summary", f"UPDATE results SET summary = 'x' WHERE id = {rid}"),
                    ("DELETE results", f"DELETE FROM results WHERE id = {rid}"),
                    ("UPDATE records", f"UPDATE result_records SET finding = 'x' WHERE result_id = {rid}"),
                    ("DELETE records", f"DELETE FROM result_records WHERE result_id = {rid}"),
                    ("INSERT records", f"INSERT INTO result_records(result_id, pos, item_id, finding) VALUES ({rid}, 99, {item['id']}, 'x')"),
                    ("DELETE signatures", f"DELETE FROM result_signatures WHERE result_id = {rid}")]:
        try:
            s.sql(q)
            raised = False
        except Exception as e:  # sqlite3.IntegrityError from RAISE(ABORT)
            raised = "published result" in str(e)
        t.check(f"published result immutable in the database: {name} raises", raised)
    t.check("content unchanged after the refused SQL",
            s.sql("SELECT category, summary FROM results WHERE id = ?", rid)[0] == ("e", "消防通道堆放杂物，已责令改正并复查"))

    # ---- public results ----
    anon = s.client()
    st, pr = anon.get(f"/api/public/results?task={tid}")
    one = pr["results"][0] if st == 200 and pr["results"] else {}
    t.check("public results show the published result", st == 200 and pr["total"] == 1 and one.get("id") == rid and
            one["category"] == "e" and one["corrections"] == [] and one["records"], (st, pr))
    text = json.dumps(pr, ensure_ascii=False)
    names = [r[0] for r in s.sql("SELECT name FROM inspectors")]
    ids = [r[0] for r in s.sql("SELECT id_number FROM inspectors")]
    phones = [r[0] for r in s.sql("SELECT phone FROM inspectors WHERE phone <> ''")]
    t.check("public results carry no inspector names, id numbers, phones or usernames",
            not any(x in text for x in names + ids + phones) and "i" + members[1].lower() not in text and
            "published_by" not in text and "entered_by" not in text)
    industry = s.sql("SELECT industry, region FROM enterprises WHERE uscc = ?", uscc)[0]
    for q, n in [(f"year={YEAR}", 1), (f"year={YEAR - 1}", 0), (f"industry={industry[0]}", 1), ("industry=机械", 0),
                 (f"region={industry[1]}", 1), ("category=e", 1), ("category=a", 0), ("task=999999", 0)]:
        st, pr = anon.get("/api/public/results?" + urllib.parse.quote(q, safe="=&"))
        if st != 200:
            t.check(f"public filter {q}", False, (st, pr))
            continue
        t.check(f"public filter {q} -> {n}", pr["total"] == n, pr["total"])
    st, body = anon.get("/api/public/results?year=abc")
    t.check("bad public filter refused 400", st == 400 and is_error_body(body), (st, body))
    st, body = anon.get(f"/api/results/{rid}")
    t.check("the staff view needs a login (401)", st == 401 and is_error_body(body), (st, body))
    st, body = auditor.get(f"/api/results/{rid}")
    t.check("an auditor reads the result", st == 200 and body["id"] == rid, st)

    # ---- corrections (9.1) ----
    before = counts(s)
    for name, client, body, code in [
        ("without a reason", a, {"changes": {"category": "g"}}, 400),
        ("unknown category", a, {"reason": "x", "changes": {"category": "q"}}, 422),
        ("empty changes", a, {"reason": "x", "changes": {}}, 400),
        ("unknown change field", a, {"reason": "x", "changes": {"uscc": "x"}}, 400),
        ("auditor", auditor, {"reason": "x", "changes": {"category": "g"}}, 403),
    ]:
        st, r = client.post(f"/api/results/{rid}/corrections", body)
        t.check(f"bad correction refused: {name}", st == code and is_error_body(r), (st, r))
    t.check("refused corrections changed nothing", counts(s) == before)
    st, corr = a.post(f"/api/results/{rid}/corrections",
                      {"reason": "复查发现整改未完成，应列为待后续处理", "changes": {"category": "g", "summary": "发现问题待后续处理"}})
    t.check("correction requested (pending)", st == 201 and corr["status"] == "pending", (st, corr))
    cid = corr["id"]
    st, pr = anon.get(f"/api/public/results?task={tid}")
    t.check("a pending correction is not public", pr["results"][0]["category"] == "e" and pr["results"][0]["corrections"] == [])
    st, body = planner.post(f"/api/results/{rid}/corrections/{cid}/approve")
    t.check("a correction without head approval refused (403)", st == 403 and is_error_body(body, "forbidden"), (st, body))
    st, body = a.post(f"/api/results/{rid}/corrections/{cid}/approve")
    t.check("a team member cannot approve their correction (403)", st == 403 and is_error_body(body), (st, body))
    st, pr = anon.get(f"/api/public/results?task={tid}")
    t.check("still unchanged publicly", pr["results"][0]["category"] == "e")
    st, body = head.post(f"/api/results/{rid}/corrections/{cid}/approve", {"note": "同意更正"})
    t.check("head approves the correction", st == 200 and body["current"]["category"] == "g" and
            body["category"] == "e", (st, body))
    st, body = head.post(f"/api/results/{rid}/corrections/{cid}/approve")
    t.check("an approved correction cannot be approved again", st == 409 and is_error_body(body, "decided"), (st, body))
    st, pr = anon.get(f"/api/public/results?task={tid}")
    one = pr["results"][0]
    t.check("public shows the corrected content with the correction's date and reason",
            one["category"] == "g" and one["category_label"] == "发现问题待后续处理" and one["summary"] == "发现问题待后续处理" and
            one["corrected"] is True and len(one["corrections"]) == 1 and
            one["corrections"][0]["reason"] == "复查发现整改未完成，应列为待后续处理" and one["corrections"][0]["date"], one)
    st, pr = anon.get("/api/public/results?category=g")
    t.check("public category filter follows the correction", pr["total"] == 1 and
            anon.get("/api/public/results?category=e")[1]["total"] == 0)
    t.check("the original row is untouched", s.sql("SELECT category FROM results WHERE id = ?", rid)[0][0] == "e")
    try:
        s.sql(f"UPDATE result_corrections SET reason = 'x' WHERE id = {cid}")
        raised = False
    except Exception:
        raised = True
    t.check("an approved correction cannot be changed in the database", raised)
    st, c2 = a.post(f"/api/results/{rid}/corrections", {"reason": "笔误", "changes": {"summary": "另一版本"}})
    st, body = head.post(f"/api/results/{rid}/corrections/{c2['id']}/reject")
    t.check("a rejection needs a reason", st == 400 and is_error_body(body, "reason_required"), (st, body))
    st, body = head.post(f"/api/results/{rid}/corrections/{c2['id']}/reject", {"note": "无依据"})
    t.check("rejected correction not applied", st == 200 and body["current"]["summary"] == "发现问题待后续处理", (st, body))

    # ---- follow-up (9.2) ----
    st, body = a.post(f"/api/results/{rid}/followups", {"kind": "rectification", "note": "责令三日内清理"})
    t.check("a rectification order needs a due date", st == 400 and is_error_body(body, "due_date_required"), (st, body))
    st, body = a.post(f"/api/results/{rid}/followups", {"kind": "fine", "note": "x"})
    t.check("an unknown follow-up kind refused", st == 400 and is_error_body(body, "bad_kind"), (st, body))
    st, fu = a.post(f"/api/results/{rid}/followups", {"kind": "rectification", "note": "责令限期清理消防通道",
                                                      "due_date": f"{YEAR}-03-27"})
    t.check("rectification order recorded", st == 201 and fu["state"] == "ordered" and fu["due_date"] == f"{YEAR}-03-27" and
            len(fu["history"]) == 1, (st, fu))
    st, fu2 = a.put(f"/api/followups/{fu['id']}", {"state": "rectified", "note": "复查已整改", "date": f"{YEAR}-03-25"})
    st, fu3 = head.put(f"/api/followups/{fu['id']}", {"state": "closed", "note": "办结"})
    t.check("rectification closed with its history", st == 200 and fu3["state"] == "closed" and fu3["closed_date"] and
            [h["state"] for h in fu3["history"]] == ["ordered", "rectified", "closed"], (st, fu3))
    st, body = a.put(f"/api/followups/{fu['id']}", {"state": "ordered", "note": "x"})
    t.check("a closed follow-up cannot change", st == 409 and is_error_body(body), (st, body))
    st, ref = a.post(f"/api/results/{rid}/followups", {"kind": "referral", "note": "涉嫌非法储存烟花爆竹",
                                                       "found_date": f"{YEAR}-03-10"})
    st, body = a.put(f"/api/followups/{ref['id']}", {"state": "referred", "note": "已移送"})
    t.check("a referral needs the date and the receiving unit", st == 400 and is_error_body(body, "referral_incomplete"),
            (st, body))
    st, acc = head.get("/api/accountability")
    t.check("an unreferred suspected crime appears in accountability (10.1)",
            any(x["kind"] == "not_referred" and x["object"] == f"referral:{ref['id']}" and x["level"] == "red"
                for x in acc["situations"]), acc)
    sit = next((x for x in acc["situations"] if x["object"] == f"referral:{ref['id']}"), {})
    t.check("the referral's situation names its result, task and unit (the page it links to)",
            sit.get("result_id") == rid and sit.get("task_id") == tid and sit.get("uscc") == uscc, sit)
    st, body = a.put(f"/api/followups/{ref['id']}", {"state": "referred", "note": "已移送县公安局",
                                                     "date": f"{YEAR}-03-12", "receiving_unit": "高青县公安局"})
    t.check("referred with date and receiving unit", st == 200 and body["referred_date"] == f"{YEAR}-03-12" and
            body["receiving_unit"] == "高青县公安局", (st, body))
    st, acc = head.get("/api/accountability")
    t.check("a referred crime is no longer a situation",
            not any(x["object"] == f"referral:{ref['id']}" for x in acc["situations"]))

    # ---- attachments (9.2 archive) ----
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    assert len(pdf) < UPLOAD_MAX
    st, att = a.request("POST", f"/api/results/{rid}/attachments?name=%E6%A3%80%E6%9F%A5%E8%AE%B0%E5%BD%95.pdf", raw=pdf,
                        content_type="application/pdf")
    t.check("attachment stored with its SHA-256 and size", st == 201 and att["sha256"] == hashlib.sha256(pdf).hexdigest()
            and att["size"] == len(pdf) and att["name"] == "检查记录.pdf", (st, att))
    t.check("stored SHA-256 matches the stored content",
            s.sql("SELECT sha256, length(content) FROM attachments WHERE id = ?", att["id"])[0] ==
            (hashlib.sha256(pdf).hexdigest(), len(pdf)))
    t.check("the audit trail shows the hash", s.sql(
        "SELECT count(*) FROM audit WHERE action = 'attachment.upload' AND details LIKE ?",
        f"%{hashlib.sha256(pdf).hexdigest()}%")[0][0] == 1)
    st, data = b.get(f"/api/attachments/{att['id']}")
    t.check("a team member downloads the same bytes", st == 200 and data == pdf, st)
    st, data = head.get(f"/api/attachments/{att['id']}")
    t.check("a head downloads it", st == 200 and hashlib.sha256(data).hexdigest() == att["sha256"], st)
    st, data = auditor.get(f"/api/attachments/{att['id']}")
    t.check("an auditor reads a result's attachment (read-only role)", st == 200 and data == pdf, st)
    if outsider:
        st, body = outsider.get(f"/api/attachments/{att['id']}")
        t.check("an inspector on another team of the same task may not download (403)",
                st == 403 and is_error_body(body), (st, body))
    stranger_cert = s.sql("SELECT cert_no FROM inspectors WHERE cert_no NOT IN (SELECT j.value FROM task_teams t, "
                          "json_each(t.inspectors) j WHERE t.task_id = ?) LIMIT 1", tid)[0][0]
    stranger = inspector_clients(s, admin, [stranger_cert])[stranger_cert]
    st, body = stranger.get(f"/api/attachments/{att['id']}")
    t.check("an inspector who is not staff of the task may not download (403)", st == 403 and is_error_body(body), (st, body))
    st, body = anon.get(f"/api/attachments/{att['id']}")
    t.check("anonymous download refused (401)", st == 401 and is_error_body(body), (st, body))
    st, res = a.get(f"/api/results/{rid}")
    t.check("the result lists its attachment", [x["sha256"] for x in res["attachments"]] == [att["sha256"]])
    before = counts(s)
    st, body = a.request("POST", f"/api/results/{rid}/attachments?name=big.pdf", raw=b"%PDF-" + b"x" * UPLOAD_MAX,
                         content_type="application/pdf")
    t.check("an upload over the cap gets 413", st == 413 and is_error_body(body, "too_large"), (st, body))
    for name, ctype, raw, q, code in [
        ("type off the allow-list", "application/x-sharedlib", b"\x7fELF" + b"\0" * 20, "a.so", 415),
        ("content not matching its type", "image/png", b"not a png at all", "a.png", 400),
        ("empty body", "application/pdf", b"", "a.pdf", 400),
        ("no file name", "application/pdf", pdf, None, 400),
        ("file name with a slash", "application/pdf", pdf, "..%2Fetc%2Fpasswd", 400),
    ]:
        path = f"/api/results/{rid}/attachments" + (f"?name={q}" if q else "")
        st, body = a.request("POST", path, raw=raw, content_type=ctype)
        t.check(f"attachment refused: {name}", st == code and is_error_body(body), (st, body))
    st, body = auditor.request("POST", f"/api/results/{rid}/attachments?name=a.pdf", raw=pdf, content_type="application/pdf")
    t.check("an auditor may not upload (403)", st == 403 and is_error_body(body), (st, body))
    t.check("refused uploads left nothing behind", counts(s) == before, (before, counts(s)))
    try:
        s.sql(f"DELETE FROM attachments WHERE id = {att['id']}")
        raised = False
    except Exception:
        raised = True
    t.check("archived attachments cannot be deleted", raised)
    st, tatt = planner.request("POST", f"/api/tasks/{tid}/attachments?name=notice.txt", raw="检查通知书".encode(),
                               content_type="text/plain; charset=utf-8")
    st2, tl = planner.get(f"/api/tasks/{tid}/attachments")
    t.check("task attachments", st == 201 and st2 == 200 and [x["id"] for x in tl["attachments"]] == [tatt["id"]], (st, tatt))

    p = s.run("audit", "verify")
    t.check("audit chain intact", p.returncode == 0, p.stdout + p.stderr)
    acts = {r[0] for r in s.sql("SELECT action FROM audit")}
    t.check("every step audited", {"result.create", "result.update", "result.sign", "result.return", "result.approve",
                                   "result.publish", "result.correction_request", "result.correction_approve",
                                   "result.correction_reject", "followup.create", "followup.update",
                                   "attachment.upload"} <= acts, acts)
    t.check("server still alive", s.alive())

t.finish()
