"""Attacks on the directories over HTTP, one block per attack: moving a drawn unit's findings to
another company by editing its USCC, reading inspectors' phone numbers from a staff role, recovering
a masked 身份证号 through the uniqueness answer, CSV (formula) injection through the export, and
integer query parameters that overflow."""
import csv
import io
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, is_error_body, dispatched_task, V2_FREEZE  # noqa: E402
import gen_fixtures as fx  # noqa: E402

sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()
q = urllib.parse.quote


def export_rows(client, path):
    st, body = client.get(path)
    text = body if isinstance(body, str) else body.decode("utf-8") if isinstance(body, bytes) else json.dumps(body)
    return st, text, list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


with Server(demo=True) as s:
    admin = s.login()
    admin.post("/api/users", {"username": "plan", "password": "planner-pass-1", "role": "planner"})
    admin.post("/api/users", {"username": "aud", "password": "auditor-pass-1", "role": "auditor"})
    admin.post("/api/users", {"username": "head", "password": "head-pass-123", "role": "head"})
    plan = s.login("plan", "planner-pass-1")
    aud = s.login("aud", "auditor-pass-1")
    head = s.login("head", "head-pass-123")

    # ---- editing the USCC of a drawn unit moves its findings to another company ------------------------
    task, item, teams = dispatched_task(plan, "USCC 锁定测试", "2026-12-10", "2026-12-20", "化工")
    drawn_id, drawn_uscc = s.sql("SELECT enterprise_id, uscc FROM task_units WHERE task_id = ? ORDER BY pos LIMIT 1",
                                 task["id"])[0]
    other = fx.uscc(990001)
    hist_before = s.sql("SELECT count(*) FROM enterprise_history WHERE enterprise_id = ?", drawn_id)
    audit_before = s.sql("SELECT count(*) FROM audit")
    st, body = plan.put(f"/api/enterprises/{drawn_id}", {"uscc": other})
    t.check("edit USCC of a drawn unit: 409 key_locked with a Chinese message",
            st == 409 and is_error_body(body, "key_locked") and "统一社会信用代码" in body["message"], (st, body))
    t.check("edit USCC of a drawn unit: nothing changed",
            s.sql("SELECT uscc FROM enterprises WHERE id = ?", drawn_id) == [(drawn_uscc,)] and
            s.sql("SELECT count(*) FROM enterprise_history WHERE enterprise_id = ?", drawn_id) == hist_before and
            s.sql("SELECT count(*) FROM audit") == audit_before)
    st, body = admin.put(f"/api/enterprises/{drawn_uscc}", {"uscc": other.lower()})
    t.check("edit USCC of a drawn unit as admin, by USCC path: 409", st == 409 and is_error_body(body, "key_locked"),
            (st, body))
    st, body = plan.put(f"/api/enterprises/{drawn_id}", {"uscc": drawn_uscc.lower(), "legal_rep": "新法人"})
    t.check("drawn unit: other fields still editable, same USCC (any case) is no key change",
            st == 200 and body.get("uscc") == drawn_uscc and body.get("legal_rep") == "新法人", (st, body))

    # a unit that is only among the frozen candidates of a task (no draw yet) is locked too
    st, t2 = plan.post("/api/tasks", {
        "name": "候选名单锁定", "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": ["冶金"]},
        "directed": False, "lead_unit": "高青县应急管理局", "joint_units": ["高青县市场监督管理局"],
        "start_date": "2026-12-10", "end_date": "2026-12-20"})
    st, body = plan.post(f"/api/tasks/{t2['id']}/freeze", V2_FREEZE)
    cand = [u for blob, in s.sql("SELECT CAST(candidates AS TEXT) FROM task_strata WHERE task_id = ?", t2["id"])
            for u in blob.split("\n") if u]
    free_cands = [u for u in cand if not s.sql("SELECT 1 FROM task_units WHERE uscc = ?", u)]
    t.check("frozen task has candidates not drawn anywhere", len(free_cands) > 0, len(cand))
    cid = s.sql("SELECT id FROM enterprises WHERE uscc = ?", free_cands[0])[0][0]
    st, body = plan.put(f"/api/enterprises/{cid}", {"uscc": fx.uscc(990002)})
    t.check("edit USCC of a frozen candidate: 409 key_locked", st == 409 and is_error_body(body, "key_locked"), (st, body))

    # a unit no task has touched may still correct its USCC
    fid, = s.sql("SELECT id FROM enterprises e WHERE industry = '商贸' AND NOT EXISTS (SELECT 1 FROM task_units u "
                 "WHERE u.enterprise_id = e.id) AND NOT EXISTS (SELECT 1 FROM task_strata ts WHERE "
                 "instr(CAST(ts.candidates AS TEXT), e.uscc) > 0) LIMIT 1")[0]
    st, body = plan.put(f"/api/enterprises/{fid}", {"uscc": fx.uscc(990003)})
    t.check("edit USCC of a unit no draw refers to: 200", st == 200 and body.get("uscc") == fx.uscc(990003), (st, body))

    # ---- inspectors' phone numbers read by any staff role -----------------------------------------------
    person = {"id_number": fx.idno("19850607", 41), "name": "电话测试", "phone": "13912345678",
              "unit": "高青县应急管理局", "cert_no": "37032290001"}
    st, p = admin.post("/api/inspectors", person)
    pid = p.get("id")
    t.check("admin creates inspector with a phone", st == 201 and p.get("phone") == "13912345678", (st, p))
    for who, c in (("planner", plan), ("auditor", aud), ("head", head)):
        st, d = c.get(f"/api/inspectors/{pid}")
        t.check(f"phone masked in detail for {who}", st == 200 and d.get("phone") == "139****5678", d.get("phone"))
        st, lst = c.get("/api/inspectors?per_page=500")
        phones = [i["phone"] for i in lst.get("items", [])]
        t.check(f"every phone masked in the list for {who}",
                st == 200 and phones and all(ph == "" or "****" in ph for ph in phones) and "139****5678" in phones,
                [ph for ph in phones if "****" not in ph][:3])
        st, text, rows = export_rows(c, "/api/inspectors/export")
        t.check(f"phone masked in the export for {who}", st == 200 and "13912345678" not in text and
                not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text) and "139****5678" in text, text[:200])
    st, d = admin.get(f"/api/inspectors/{pid}")
    t.check("admin sees the phone in clear", d.get("phone") == "13912345678", d.get("phone"))
    st, text, rows = export_rows(admin, "/api/inspectors/export")
    t.check("admin export carries the phone in clear", "13912345678" in text)
    st, body = plan.put(f"/api/inspectors/{pid}", {"phone": "13787654321"})
    t.check("planner changes the phone: 200, masked in the reply", st == 200 and body.get("phone") == "137****4321" and
            "13912345678" not in json.dumps(body) and "13787654321" not in json.dumps(body), body)
    for who, c in (("planner", plan), ("auditor", aud)):
        st, h = c.get(f"/api/inspectors/{pid}/history")
        hs = json.dumps(h, ensure_ascii=False)
        t.check(f"no phone in clear in the history for {who}", st == 200 and len(h["history"]) == 1 and
                "13912345678" not in hs and "13787654321" not in hs, hs[:300])
    audit = json.dumps(s.sql("SELECT details FROM audit WHERE action LIKE 'inspector.%'"), ensure_ascii=False)
    t.check("no phone in clear in audit details", "13912345678" not in audit and "13787654321" not in audit)
    st, a = aud.get("/api/audit?object=" + q("inspector:37032290001"))
    t.check("audit trail read by the auditor: phones masked", st == 200 and len(a["records"]) == 2 and
            "13912345678" not in json.dumps(a) and "13787654321" not in json.dumps(a), a)

    # ---- recovering a masked 身份证号 through the uniqueness answer -----------------------------------------
    victim = {"id_number": fx.idno("19790312", 57), "name": "被查询人", "cert_no": "37032290002"}
    st, v = admin.post("/api/inspectors", victim)
    st, lv = plan.get(f"/api/inspectors/{v['id']}")
    t.check("planner sees the victim's number masked", "********" in lv.get("id_number", ""), lv.get("id_number"))
    st, dummy = plan.post("/api/inspectors", {"id_number": fx.idno("19900101", 11), "name": "试探", "cert_no": "37032290003"})
    t.check("planner creates a dummy inspector", st == 201, dummy)
    guesses = [fx.idno("19790312", n) for n in (55, 56, 57, 58)]
    answers = []
    for g in guesses:
        st, body = plan.put(f"/api/inspectors/{dummy['id']}", {"id_number": g})
        answers.append((g, st, body))
        if st == 200:  # put the dummy's number back for the next guess
            plan.put(f"/api/inspectors/{dummy['id']}", {"id_number": fx.idno("19900101", 11)})
    hit = [(st, b) for g, st, b in answers if g == victim["id_number"]][0]
    t.check("planner's guess at another person's 身份证号: refused without naming the number or saying it is used",
            hit[0] == 409 and is_error_body(hit[1], "conflict") and "身份证号" not in hit[1]["message"] and
            "已被" not in hit[1]["message"] and "重复" not in hit[1]["message"], hit)
    st, body = plan.post("/api/inspectors", dict(victim, cert_no="37032290004"))
    t.check("planner creating a person with that number: the same generic refusal",
            st == 409 and body.get("message") == hit[1].get("message"), (st, body))
    t.check("the dummy keeps its own number", s.sql("SELECT id_number FROM inspectors WHERE id = ?", dummy["id"]) ==
            [(fx.idno("19900101", 11),)])
    st, body = admin.put(f"/api/inspectors/{dummy['id']}", {"id_number": victim["id_number"]})
    t.check("admin may learn why: the number is used by another person",
            st == 409 and "身份证号已被其他人员使用" in body.get("message", ""), (st, body))

    # ---- CSV injection through the export ----------------------------------------------------------------
    evil = {"uscc": fx.uscc(990010), "name": "=HYPERLINK(\"http://evil.example/\",\"点此\")", "region": "青城镇",
            "industry": "商贸", "legal_rep": "@SUM(1+1)", "address": "+cmd|' /C calc'!A0", "business_scope": "-2+3",
            "unit_type": "普通,=1+1"}
    st, body = plan.post("/api/enterprises", evil)
    t.check("planner stores formula-looking text (it is text)", st == 201, body)
    st, text, rows = export_rows(aud, "/api/enterprises/export?q=" + evil["uscc"])
    head_row, row = rows[0], rows[1]
    cell = dict(zip(head_row, row))
    t.check("export: a cell starting with = is neutralised", cell.get("单位名称") == "'" + evil["name"], cell.get("单位名称"))
    t.check("export: a cell starting with @ is neutralised", cell.get("法定代表人") == "'@SUM(1+1)", cell.get("法定代表人"))
    t.check("export: a cell starting with + is neutralised", cell.get("住所") == "'" + evil["address"], cell.get("住所"))
    t.check("export: a cell starting with - is neutralised", cell.get("经营范围") == "'-2+3", cell.get("经营范围"))
    t.check("export: = inside a cell is left alone", cell.get("单位类型") == "普通,=1+1", cell.get("单位类型"))

    # ---- integer query parameters out of range -------------------------------------------------------------
    for path in ("/api/enterprises?page=9223372036854775807", "/api/enterprises?page=9223372036854775808",
                 "/api/enterprises?per_page=9223372036854775807", "/api/inspectors?page=9223372036854775807",
                 "/api/enterprises?page=%201", "/api/enterprises?page=%2B1",
                 "/api/enterprises?complaints_min=9223372036854775808",
                 "/api/enterprises?complaints_min=%2B3", "/api/enterprises?complaints_min=%203"):
        st, body = admin.get(path)
        t.check(f"{urllib.parse.unquote(path)}: 400", st == 400 and is_error_body(body),
                (st, body.get("error") if isinstance(body, dict) else body[:80]))
    st, body = admin.get("/api/enterprises?page=1000000000&per_page=500")
    t.check("largest page: 200, empty", st == 200 and body["items"] == [], st)

t.finish()
