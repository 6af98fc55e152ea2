"""10.1 (五) 其他 over HTTP: a situation no rule can see is recorded by hand (auditor, head or admin)
with its reason and what it concerns; GET /api/accountability lists it as kind "other" (red, clause
10.1, object record:N) until a head closes it with a reason; the closed record stays with who closed
it; both steps are audited; a 10.2 exemption may name it; bad input and other roles change nothing."""
from spot import Server, Suite, staff_clients, is_error_body

t = Suite()


def count(s):
    return [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("accountability_records", "audit")]


with Server() as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    good = {"object": "task:12", "reason": "检查人员与被检查单位负责人系亲属，未申请回避"}
    before = count(s)
    for name, client, body, code, err in [
        ("no reason", auditor, {"object": "task:12"}, 400, "reason_required"),
        ("empty reason", auditor, {"reason": ""}, 400, "reason_required"),
        ("reason too long", auditor, {"reason": "长" * 2000}, 400, "reason_required"),
        ("object not text", auditor, {"reason": "x", "object": 12}, 400, "bad_request"),
        ("unknown field", auditor, dict(good, level="red"), 400, "unknown_field"),
        ("a planner may not record", planner, good, 403, None),
    ]:
        st, b = client.post("/api/accountability/situations", body)
        t.check(f"refused: {name} ({code})", st == code and is_error_body(b, err), (st, b))
    t.check("refusals changed nothing", count(s) == before)

    st, rec = auditor.post("/api/accountability/situations", good)
    t.check("an auditor records a situation (201)", st == 201 and rec["reason"] == good["reason"] and
            rec["object"] == "task:12" and rec["actor"] == "auditor1", (st, rec))
    rid = rec["id"]
    st, rec2 = head.post("/api/accountability/situations", {"reason": "现场检查记录事后补签"})
    t.check("a head records one without an object", st == 201 and rec2["object"] == "", (st, rec2))
    st, acc = auditor.get("/api/accountability")
    mine = [x for x in acc["situations"] if x["kind"] == "other"]
    t.check("listed as kind other, red, clause 10.1, with the reason and who recorded it",
            [x["object"] for x in mine] == [f"record:{rid}", f"record:{rec2['id']}"] and
            all(x["level"] == "red" and x["clause"] == "10.1" for x in mine) and
            mine[0]["reason"] == "其他违反抽查工作规定的情形（auditor1登记）：检查人员与被检查单位负责人系亲属，未申请回避",
            mine)
    t.check("the reply lists the records, newest first", [r["id"] for r in acc["records"]] == [rec2["id"], rid] and
            acc["records"][1]["closed_at"] is None, acc["records"])
    t.check("recording is audited", s.sql("SELECT actor, object FROM audit WHERE action = 'accountability.record' "
                                          "ORDER BY id") == [("auditor1", f"record:{rid}"), ("head1", f"record:{rec2['id']}")])

    st, ex = head.post("/api/accountability/exemptions", {"kind": "other", "object": f"record:{rid}", "code": "other",
                                                           "reason": "经查系误报"})
    t.check("a 10.2 exemption may name a recorded situation", st == 201, (st, ex))

    before = count(s)
    for name, client, path, body, code, err in [
        ("an auditor may not close", auditor, f"/api/accountability/situations/{rid}/close", {"reason": "x"}, 403, None),
        ("no reason", head, f"/api/accountability/situations/{rid}/close", {}, 400, "reason_required"),
        ("unknown record", head, "/api/accountability/situations/999999/close", {"reason": "x"}, 404, "not_found"),
    ]:
        st, b = client.post(path, body)
        t.check(f"close refused: {name} ({code})", st == code and is_error_body(b, err), (st, b))
    t.check("refused closes changed nothing", count(s) == before)
    st, closed = head.post(f"/api/accountability/situations/{rid}/close", {"reason": "已约谈并责令改正"})
    t.check("a head closes it with a reason", st == 200 and closed["closed_by"] == "head1" and
            closed["close_reason"] == "已约谈并责令改正" and closed["closed_at"], (st, closed))
    st, b = head.post(f"/api/accountability/situations/{rid}/close", {"reason": "again"})
    t.check("closing twice is 409", st == 409 and is_error_body(b, "closed"), (st, b))
    st, acc = auditor.get("/api/accountability")
    t.check("a closed record is no longer a situation, and stays on record with who closed it",
            all(x["object"] != f"record:{rid}" for x in acc["situations"]) and
            next(r for r in acc["records"] if r["id"] == rid)["closed_by"] == "head1", acc)
    t.check("closing is audited", s.sql("SELECT actor FROM audit WHERE action = 'accountability.close'") == [("head1",)])

t.finish()
