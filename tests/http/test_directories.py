"""Directories and the item list over HTTP: every filter, paging, sorting, search, history after PUT
and re-import, 身份证号 masking by role and never in public pages, role checks, bad input leaving the
database unchanged, item adjustments on the public item list."""
import hashlib
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, is_error_body  # noqa: E402
import gen_fixtures as fx  # noqa: E402

sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()
q = urllib.parse.quote


def snapshot(s):
    return (s.sql("SELECT count(*), total(version) FROM enterprises"), s.sql("SELECT count(*) FROM enterprise_history"),
            s.sql("SELECT count(*), total(version) FROM inspectors"), s.sql("SELECT count(*) FROM audit"))


with Server(demo=True) as s:
    admin = s.login()
    admin.post("/api/users", {"username": "plan", "password": "planner-pass-1", "role": "planner"})
    admin.post("/api/users", {"username": "aud", "password": "auditor-pass-1", "role": "auditor"})
    plan = s.login("plan", "planner-pass-1")
    aud = s.login("aud", "auditor-pass-1")
    anon = s.client()

    # ---- filters: each against SQL ---------------------------------------------------------------
    def total(path):
        st, body = admin.get(path)
        return body.get("total") if st == 200 else (st, body)

    n = s.sql("SELECT count(*) FROM enterprises")[0][0]
    t.check("demo has ~3000 units", n == 3000, n)
    cases = [
        ("region=" + q("青城镇"), "region = '青城镇'"),
        ("region=" + q("青城镇,高城镇"), "region IN ('青城镇','高城镇')"),
        ("industry=" + q("化工"), "industry = '化工'"),
        ("supervision_type=" + q("重点监管"), "supervision_type = '重点监管'"),
        ("risk_level=red", "risk_level = 'red'"),
        ("risk_level=" + q("重大"), "risk_level = 'red'"),
        ("credit_level=dishonest", "credit_level = 'dishonest'"),
        ("status=closed", "status = 'closed'"),
        ("watchlist=1", "watchlist = 1"),
        ("dishonest=" + q("是"), "dishonest = 1"),
        ("serious_violation=true", "serious_violation = 1"),
        ("major_hazard=1", "major_hazard = 1"),
        ("has_complaints=1", "complaints > 0"),
        ("complaints_min=3", "complaints >= 3"),
        ("q=" + q("鑫源"), "instr(name, '鑫源') > 0"),
        ("risk_level=red&region=" + q("青城镇"), "risk_level = 'red' AND region = '青城镇'"),
    ]
    for qs, where in cases:
        want = s.sql(f"SELECT count(*) FROM enterprises WHERE {where}")[0][0]
        got = total("/api/enterprises?" + qs)
        t.check(f"filter {urllib.parse.unquote(qs)} = {want}", got == want and want > 0, (got, want))
    # filters spelled for the indexes (risk rank, complaints > 0 implied, shared flag index): same rows
    # as plain SQL, totals and the pages themselves (in id order)
    utype = s.sql("SELECT unit_type FROM enterprises GROUP BY unit_type ORDER BY count(*) LIMIT 1")[0][0]
    for qs, where in [
        ("unit_type=" + q(utype), f"unit_type = '{utype}'"),
        ("risk_level=red,blue", "risk_level IN ('red','blue')"),
        ("risk_level=" + q("较大，一般"), "risk_level IN ('orange','yellow')"),
        ("complaints_min=1", "complaints >= 1"),
        ("complaints_min=0", "1"),
        ("has_complaints=0", "complaints = 0"),
        ("watchlist=1&major_hazard=1", "watchlist = 1 AND major_hazard = 1"),
        ("watchlist=0", "watchlist = 0"),
        ("credit_level=good&risk_level=yellow", "credit_level = 'good' AND risk_level = 'yellow'"),
    ]:
        want = s.sql(f"SELECT id FROM enterprises WHERE {where} ORDER BY id LIMIT 10 OFFSET 10")
        wantn = s.sql(f"SELECT count(*) FROM enterprises WHERE {where}")[0][0]
        st, body = admin.get(f"/api/enterprises?{qs}&page=2&per_page=10")
        got = [(i["id"],) for i in body.get("items", [])]
        t.check(f"filter {urllib.parse.unquote(qs)}: total {wantn}, page 2 in id order", st == 200 and
                body.get("total") == wantn and got == want and wantn > 10, (st, body.get("total"), wantn, got[:5], want[:5]))
    rank = "CASE risk_level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END"
    for order, d in (("asc", "ASC"), ("desc", "DESC")):
        want = s.sql(f"SELECT id FROM enterprises ORDER BY {rank} {d}, id {d} LIMIT 30 OFFSET 900")
        st, body = admin.get(f"/api/enterprises?sort=risk_level&order={order}&page=31&per_page=30")
        t.check(f"sort=risk_level {order}: red first (asc), ties in id order", st == 200 and
                [(i["id"],) for i in body["items"]] == want, (st, [i["id"] for i in body.get("items", [])][:5], want[:5]))
    want = s.sql(f"SELECT id FROM enterprises WHERE region = '青城镇' ORDER BY {rank}, id LIMIT 10")
    st, body = admin.get("/api/enterprises?sort=risk_level&region=" + q("青城镇") + "&per_page=10")
    t.check("sort=risk_level with a filter", st == 200 and [(i["id"],) for i in body["items"]] == want, body.get("total"))
    key = s.sql("SELECT count(*) FROM enterprises WHERE industry IN ('非煤矿山','化工','医药','危险化学品','烟花爆竹','冶金','有色')")[0][0]
    t.check("category=key from the rule", total("/api/enterprises?category=key") == key, key)
    t.check("category=一般 is the rest", total("/api/enterprises?category=" + q("一般")) == n - key)
    uscc = s.sql("SELECT uscc FROM enterprises WHERE id = 17")[0][0]
    t.check("q= finds a USCC", total("/api/enterprises?q=" + uscc[6:14]) >= 1)
    st, body = admin.get("/api/enterprises?risk_level=purple")
    t.check("bad filter value: 400", st == 400 and is_error_body(body), body)
    st, body = admin.get("/api/enterprises?category=key&per_page=5")
    t.check("rows carry their category", st == 200 and all(i["category"] == "key" for i in body["items"]), body)

    # ---- paging and sorting -----------------------------------------------------------------------------
    st, p1 = admin.get("/api/enterprises?per_page=500&page=1")
    st2, p7 = admin.get("/api/enterprises?per_page=500&page=7")
    t.check("page size 500 and total", len(p1["items"]) == 500 and p1["total"] == 3000, len(p1["items"]))
    t.check("page past the end is empty", st2 == 200 and p7["items"] == [], p7.get("total"))
    st, body = admin.get("/api/enterprises?per_page=501")
    t.check("per_page > 500: 400", st == 400)
    st, a = admin.get("/api/enterprises?per_page=10&page=2")
    t.check("page 2 continues page 1", [i["id"] for i in a["items"]] == list(range(11, 21)), [i["id"] for i in a["items"]])
    st, body = admin.get("/api/enterprises?sort=complaints&order=desc&per_page=20")
    c = [i["complaints"] for i in body["items"]]
    t.check("sort by complaints desc", c == sorted(c, reverse=True) and c[0] == s.sql("SELECT max(complaints) FROM enterprises")[0][0], c)
    st, body = admin.get("/api/enterprises?sort=uscc&order=asc&per_page=50")
    u = [i["uscc"] for i in body["items"]]
    t.check("sort by uscc asc", u == sorted(u) and u[0] == s.sql("SELECT min(uscc) FROM enterprises")[0][0])
    st, body = admin.get("/api/enterprises?sort=password&order=asc")
    t.check("sort column not whitelisted: 400", st == 400, body)
    st, body = admin.get("/api/enterprises?sort=name&order=sideways")
    t.check("bad order: 400", st == 400, body)

    # ---- create / get / put / history -------------------------------------------------------------------
    new = {"uscc": fx.uscc(500000), "name": "高青县测试化工有限公司", "region": "青城镇", "industry": "化工",
           "risk_level": "较大", "credit_level": "good", "watchlist": "是", "complaints": 2, "status": "active"}
    st, e = plan.post("/api/enterprises", new)
    t.check("planner creates a unit: 201", st == 201 and e.get("risk_level") == "orange" and e.get("watchlist") is True, (st, e))
    eid = e.get("id")
    st, got = aud.get(f"/api/enterprises/{eid}")
    t.check("auditor reads it with category from the rule", st == 200 and got["category"] == "key" and
            got.get("category_clause"), got)
    st, got = aud.get(f"/api/enterprises/{new['uscc']}")
    t.check("GET by USCC", st == 200 and got["id"] == eid)
    st, body = plan.put(f"/api/enterprises/{eid}", {"risk_level": "red", "name": "高青县测试化工股份有限公司"})
    t.check("PUT: 200 with changes", st == 200 and body["risk_level"] == "red" and
            body["changes"]["risk_level"] == ["orange", "red"], body)
    st, h = aud.get(f"/api/enterprises/{eid}/history")
    t.check("history after PUT: previous version, who, what",
            st == 200 and len(h["history"]) == 1 and h["history"][0]["actor"] == "plan" and
            h["history"][0]["previous"]["risk_level"] == "orange" and "name" in h["history"][0]["changes"], h)
    csv = f"uscc,name,region,industry,complaints\n{new['uscc']},高青县测试化工股份有限公司,高城镇,化工,9\n"
    st, body = plan.post("/api/enterprises/import", raw=csv, content_type="text/csv")
    st, h = aud.get(f"/api/enterprises/{eid}/history")
    t.check("history after re-import", len(h["history"]) == 2 and h["history"][0]["source"] == "import" and
            h["history"][0]["changes"]["region"] == ["青城镇", "高城镇"] and h["version"] == 3, h)
    t.check("update audited", s.sql("SELECT count(*) FROM audit WHERE action = 'enterprise.update' AND object = ?",
                                    "enterprise:" + new["uscc"])[0][0] == 1)

    # ---- bad input leaves the database unchanged -----------------------------------------------------------
    before = snapshot(s)
    st, body = plan.post("/api/enterprises", dict(new, uscc=fx.uscc(500001), boss="x"))
    t.check("unknown field: 400", st == 400 and body.get("error") == "unknown_field", body)
    st, body = plan.post("/api/enterprises", dict(new, uscc=fx.bad_check(fx.uscc(500002))))
    t.check("bad USCC: 422", st == 422 and "校验码" in body.get("message", ""), body)
    st, body = plan.post("/api/enterprises", dict(new, uscc=fx.uscc(500003), industry="养殖"))
    t.check("unknown industry: 422", st == 422, body)
    st, body = plan.post("/api/enterprises", dict(new, uscc=fx.uscc(500004), status="封存"))
    t.check("bad enum: 422", st == 422, body)
    st, body = plan.post("/api/enterprises", new)
    t.check("duplicate USCC: 409", st == 409, body)
    st, body = plan.request("POST", "/api/enterprises", raw=b'{"uscc": "9137', content_type="application/json")
    t.check("malformed JSON: 400", st == 400 and is_error_body(body), body)
    st, body = plan.put(f"/api/enterprises/{eid}", {"complaints": -1})
    t.check("PUT bad value: 422", st == 422, body)
    st, body = plan.put(f"/api/enterprises/{eid}", {"nickname": "x"})
    t.check("PUT unknown field: 400", st == 400, body)
    st, body = aud.post("/api/enterprises", dict(new, uscc=fx.uscc(500005)))
    t.check("auditor cannot POST: 403", st == 403, body)
    st, body = aud.put(f"/api/enterprises/{eid}", {"risk_level": "blue"})
    t.check("auditor cannot PUT: 403", st == 403, body)
    st, body = anon.get("/api/enterprises")
    t.check("anonymous list: 401", st == 401, body)
    st, body = anon.post("/api/enterprises", new)
    t.check("anonymous POST: 401", st == 401, body)
    t.check("bad input changed nothing", snapshot(s) == before, (snapshot(s), before))
    st, body = admin.get("/api/enterprises/999999")
    t.check("unknown id: 404", st == 404)

    # ---- inspectors: masking, filters, history -------------------------------------------------------------
    person = {"id_number": fx.idno("19820304", 321), "name": "测试员", "gender": "男", "phone": "13900000000",
              "unit": "高青县应急管理局", "title": "科员", "cert_no": "37032298765", "cert_valid_until": "2028-06-30",
              "expertise": ["化工", "冶金"], "level": "县", "is_expert": False, "status": "在职"}
    st, p = plan.post("/api/inspectors", person)
    t.check("planner creates inspector: 201, ID masked", st == 201 and p["id_number"] == person["id_number"][:6] +
            "********" + person["id_number"][-4:] and p["level"] == "county" and p["expertise"] == ["化工", "冶金"], p)
    pid = p.get("id")
    st, pa = admin.get(f"/api/inspectors/{pid}")
    t.check("admin sees the full ID", pa.get("id_number") == person["id_number"], pa.get("id_number"))
    st, pp = plan.get(f"/api/inspectors/{pid}")
    t.check("planner sees it masked", pp.get("id_number", "").count("*") == 8, pp.get("id_number"))
    st, lst = aud.get("/api/inspectors?per_page=500")
    t.check("list masked for auditor", st == 200 and all("*" in i["id_number"] for i in lst["items"]), lst.get("total"))
    st, lst = admin.get("/api/inspectors?per_page=500")
    t.check("list clear for admin", all("*" not in i["id_number"] for i in lst["items"]))
    st, byc = plan.get("/api/inspectors/37032298765")
    t.check("GET inspector by cert_no", st == 200 and byc["id"] == pid)
    for qs, where in [("level=township", "level = 'township'"), ("is_expert=1", "is_expert = 1"),
                      ("status=" + q("离岗"), "status = 'inactive'"),
                      ("expertise=" + q("化工"), "EXISTS (SELECT 1 FROM json_each(expertise) WHERE value = '化工')"),
                      ("cert_valid_on=2026-06-01", "cert_valid_until >= '2026-06-01'"),
                      ("gender=" + q("女"), "gender = 'female'"), ("gender=male", "gender = 'male'"),
                      ("is_expert=0", "is_expert = 0")]:
        want = s.sql(f"SELECT count(*) FROM inspectors WHERE {where}")[0][0]
        st, body = plan.get("/api/inspectors?" + qs)
        t.check(f"inspector filter {urllib.parse.unquote(qs)} = {want}", body.get("total") == want and want > 0,
                (body.get("total"), want))
    st, body = plan.put(f"/api/inspectors/{pid}", {"id_number": fx.idno("19820304", 322), "title": "副科长"})
    t.check("PUT inspector: 200", st == 200, body)
    st, h = plan.get(f"/api/inspectors/{pid}/history")
    hs = json.dumps(h, ensure_ascii=False)
    t.check("inspector history kept, ID masked in it", st == 200 and len(h["history"]) == 1 and
            person["id_number"] not in hs and fx.idno("19820304", 322) not in hs and "副科长" in hs, hs[:400])
    audit = json.dumps(s.sql("SELECT details FROM audit WHERE action LIKE 'inspector.%'"), ensure_ascii=False)
    t.check("no ID number in audit details", person["id_number"] not in audit and fx.idno("19820304", 322) not in audit)
    log = s.logtext()
    t.check("no ID number in the server log", person["id_number"] not in log and fx.idno("19820304", 322) not in log)
    st, body = plan.post("/api/inspectors", dict(person, cert_no="37032298766", id_number=fx.bad_check(fx.idno("19820305", 1))))
    t.check("bad ID check digit: 422", st == 422, body)
    st, body = plan.post("/api/inspectors", dict(person, cert_no="37032298766", id_number=fx.idno("19990230", 1)))
    t.check("bad birth date: 422", st == 422, body)
    st, body = aud.post("/api/inspectors", dict(person, cert_no="37032298767", id_number=fx.idno("19820306", 1)))
    t.check("auditor cannot create inspector: 403", st == 403)

    # ---- item list -----------------------------------------------------------------------------------------
    st, items = anon.get("/api/public/items")
    t.check("public items without login", st == 200 and len(items["items"]) >= 8 and
            all(len(i["checkpoints"]) >= 3 for i in items["items"]), st)
    pub = json.dumps(items, ensure_ascii=False)
    t.check("public items carry no ID numbers or actors", "370322" not in pub and '"actor"' not in pub)
    st, it = plan.post("/api/items", {"name": "测试事项", "target": "工贸企业", "category": "一般", "method": "现场检查",
                                      "department": "高青县应急管理局", "level": "县级", "basis": "《安全生产法》",
                                      "checkpoints": ["要点一", "要点二"]})
    t.check("planner creates item: 201", st == 201 and [c["text"] for c in it["checkpoints"]] == ["要点一", "要点二"], it)
    iid = it["id"]
    cp1 = it["checkpoints"][0]["id"]
    st, body = plan.put(f"/api/items/{iid}", {"basis": "《安全生产法》（2021修正）"})
    t.check("item PUT without reason: 422", st == 422, body)
    st, body = plan.put(f"/api/items/{iid}", {"basis": "《安全生产法》（2021修正）", "reason": "法律修正",
                                              "checkpoints": [{"id": cp1, "text": "要点一（修订）"}, "要点三"]})
    t.check("item PUT with reason: 200", st == 200 and [c["text"] for c in body["checkpoints"]] == ["要点一（修订）", "要点三"] and
            body["checkpoints"][0]["id"] == cp1, body)
    st, items = anon.get("/api/public/items")
    mine = [i for i in items["items"] if i["id"] == iid][0]
    adj = mine["adjustments"][0]
    t.check("adjustment listed publicly with date and reason", adj["reason"] == "法律修正" and len(adj["date"]) == 10 and
            "basis" in adj["changes"] and "checkpoints" in adj["changes"], adj)
    t.check("public adjustment feed", any(a["reason"] == "法律修正" for a in items["adjustments"]))
    st, body = aud.put(f"/api/items/{iid}", {"name": "x", "reason": "y"})
    t.check("auditor cannot adjust items: 403", st == 403)
    st, body = plan.post("/api/items", {"name": "x", "colour": "red"})
    t.check("item unknown field: 400", st == 400)

    # ---- import: the encoding is decided by the whole file (the reader checks UTF-8 as it parses) ----
    people = s.sql("SELECT id_number, cert_no FROM inspectors ORDER BY id DESC LIMIT 3")
    names = ["Plain Name One", "Plain Name Two", "晚到国标"]
    text = "id_number,name,cert_no\r\n" + "".join(f"{i},{nm},{c}\r\n" for (i, c), nm in zip(people, names))
    raw = text.encode("gb18030")

    def utf8(b):
        try:
            b.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False
    t.check("fixture: only its last line is not UTF-8", utf8(b"\n".join(raw.split(b"\n")[:3])) and not utf8(raw))
    st, body = admin.post("/api/inspectors/import", raw=raw, content_type="text/csv")
    got = [r[0] for r in s.sql("SELECT name FROM inspectors ORDER BY id DESC LIMIT 3")]
    t.check("GB18030 seen on the last line: whole file read as GB18030", st == 200 and body.get("encoding") == "GB18030"
            and body.get("updated") == 3 and body.get("rejected_count") == 0 and got == names, (st, body, got))
    t.check("its audit carries the SHA-256 of the bytes received",
            hashlib.sha256(raw).hexdigest() in s.sql("SELECT details FROM audit WHERE action LIKE '%.import' "
                                                     "ORDER BY id DESC LIMIT 1")[0][0])
    units = s.sql("SELECT uscc, region, industry FROM enterprises ORDER BY id DESC LIMIT 3")
    names = ["Plain Name One", "Plain Name Two", "高青县晚到编码有限公司"]
    raw = b"\xef\xbb\xbf" + "uscc,name,region,industry\n".encode() + \
        "".join(f"{u},{nm}（二）,{r},{i}\n" for (u, r, i), nm in zip(units, names)).encode()
    st, body = admin.post("/api/enterprises/import", raw=raw, content_type="text/csv")
    t.check("UTF-8 with BOM: updated, SHA-256 of the bytes with the BOM", st == 200 and body.get("encoding") ==
            "UTF-8 (BOM)" and body.get("updated") == 3 and body.get("file_sha256") == hashlib.sha256(raw).hexdigest(),
            (st, body))

t.finish()
