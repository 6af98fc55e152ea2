"""Organisations (SPEC §10) against the real server: GET/POST /api/orgs, PUT /api/orgs/{id}, the
bureau `init` creates, users with org and real name (Chinese user names), inspectors whose 所在单位
must name an org (API and CSV import: an unknown name is a rejected line with its number), items with
an org, 开通账户 (POST /api/orgs/{id}/accounts) and the real name in the audit trail. Bad input gets
the SPEC §5 body and changes nothing."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
from spot import Server, Suite, is_error_body  # noqa: E402
from gen_fixtures import idno  # noqa: E402

t = Suite()


def count(s, table):
    return s.sql(f"SELECT count(*) FROM {table}")[0][0]


with Server(env={"SPOTCHECK_ADMIN_PASSWORD": "admin-test-password"}) as s:
    admin = s.login()

    # ---- the bureau init creates; kinds and levels come from the rules -------------------------------
    st, orgs = admin.get("/api/orgs")
    t.check("init created exactly the bureau, named 本局", st == 200 and [(o["name"], o["kind"], o["level"])
            for o in orgs] == [("本局", "bureau", "county")], (st, orgs))
    bureau = orgs[0]["id"]
    st, meta = admin.get("/api/public/meta")
    t.check("meta lists org kinds with labels from the rules", st == 200 and meta.get("org_kinds") == [
        {"code": "bureau", "label": "本局"}, {"code": "division", "label": "内设股室"},
        {"code": "township", "label": "乡镇（街道）"}, {"code": "department", "label": "其他部门"}], meta.get("org_kinds"))
    t.check("meta lists org levels", meta.get("org_levels") == [{"code": "county", "label": "县级"},
                                                                {"code": "township", "label": "乡镇级"}])

    # ---- create ------------------------------------------------------------------------------------------
    st, market = admin.post("/api/orgs", {"name": "高青县市场监督管理局", "kind": "department"})
    t.check("admin creates a department: 201, level county by default", st == 201 and market["kind"] == "department"
            and market["level"] == "county" and market["parent_id"] is None, (st, market))
    st, town = admin.post("/api/orgs", {"name": "青城镇应急管理办公室", "kind": "township", "parent_id": bureau})
    t.check("a township defaults to level township, under the bureau", st == 201 and town["level"] == "township"
            and town["parent_id"] == bureau, (st, town))
    audit = s.sql("SELECT actor, object FROM audit WHERE action = 'org.create' ORDER BY id")
    t.check("each creation audited once", audit == [("admin", f"org:{market['id']}"), ("admin", f"org:{town['id']}")],
            audit)

    n_orgs, n_audit = count(s, "orgs"), count(s, "audit")
    for name, body, status, code in [
        ("duplicate name", {"name": "高青县市场监督管理局", "kind": "department"}, 409, "conflict"),
        ("duplicate name with spaces around", {"name": " 高青县市场监督管理局 ", "kind": "department"}, 409, "conflict"),
        ("a second bureau", {"name": "另一个局", "kind": "bureau"}, 409, "conflict"),
        ("unknown kind", {"name": "某单位", "kind": "company"}, 422, "invalid"),
        ("unknown level", {"name": "某单位", "kind": "department", "level": "province"}, 422, "invalid"),
        ("unknown parent org id", {"name": "某单位", "kind": "division", "parent_id": 999}, 422, "unknown_org"),
        ("parent id not a number", {"name": "某单位", "kind": "division", "parent_id": "1"}, 400, "bad_request"),
        ("empty name", {"name": "  ", "kind": "department"}, 422, "invalid"),
        ("missing kind", {"name": "某单位"}, 400, "bad_request"),
        ("unknown field", {"name": "某单位", "kind": "department", "boss": "x"}, 400, "unknown_field"),
    ]:
        st, b = admin.post("/api/orgs", body)
        t.check(f"create refused: {name} -> {status} {code}", st == status and is_error_body(b, code), (st, b))
    t.check("refused creations changed nothing", (count(s, "orgs"), count(s, "audit")) == (n_orgs, n_audit))

    # ---- roles ---------------------------------------------------------------------------------------------
    st, u = admin.post("/api/users", {"username": "张计划", "real_name": "张建国", "password": "planner-pass-1",
                                      "role": "planner", "org_id": market["id"]})
    t.check("Chinese user name with real name and org", st == 201 and u["username"] == "张计划" and
            u["real_name"] == "张建国" and u["org_id"] == market["id"] and u["org_name"] == "高青县市场监督管理局",
            (st, u))
    planner = s.login("张计划", "planner-pass-1")
    st, me = planner.get("/api/me")
    t.check("/api/me carries org and real name", st == 200 and me["org_id"] == market["id"] and
            me["real_name"] == "张建国" and me["org_name"] == "高青县市场监督管理局", (st, me))
    st, lst = planner.get("/api/orgs")
    t.check("staff may list orgs", st == 200 and len(lst) == 3, (st, lst))
    st, b = planner.post("/api/orgs", {"name": "某单位", "kind": "department"})
    t.check("a planner may not create an org: 403", st == 403 and is_error_body(b), (st, b))
    st, b = planner.put(f"/api/orgs/{market['id']}", {"name": "改名"})
    t.check("a planner may not change an org: 403", st == 403 and is_error_body(b), (st, b))
    st, b = s.client().get("/api/orgs")
    t.check("anonymous: 401", st == 401 and is_error_body(b), (st, b))

    n_users = count(s, "users")
    for name, body, status, code in [
        ("unknown org id", {"username": "u1x", "password": "planner-pass-1", "role": "planner", "org_id": 999},
         422, "unknown_org"),
        ("org id not a number", {"username": "u1x", "password": "planner-pass-1", "role": "planner", "org_id": "1"},
         400, "bad_request"),
        ("real name with a control character", {"username": "u1x", "password": "planner-pass-1", "role": "planner",
                                                "real_name": "张\u0001三"}, 422, "invalid"),
        ("user name of one character", {"username": "张", "password": "planner-pass-1", "role": "planner"},
         422, "invalid"),
        ("user name with a space", {"username": "张 三", "password": "planner-pass-1", "role": "planner"},
         422, "invalid"),
    ]:
        st, b = admin.post("/api/users", body)
        t.check(f"user refused: {name} -> {status}", st == status and is_error_body(b, code), (st, b))
    t.check("refused users changed nothing", count(s, "users") == n_users)
    st, b = admin.put(f"/api/users/{u['id']}", {"org_id": 999})
    t.check("moving a user to an unknown org: 422, unchanged", st == 422 and is_error_body(b, "unknown_org") and
            s.sql("SELECT org_id FROM users WHERE id = ?", u["id"])[0][0] == market["id"], (st, b))
    st, b = admin.put(f"/api/users/{u['id']}", {"org_id": town["id"], "real_name": "张建军"})
    t.check("user moved to another org and renamed", st == 200 and b["org_id"] == town["id"] and
            b["real_name"] == "张建军", (st, b))
    st, b = admin.put(f"/api/users/{u['id']}", {"org_id": market["id"], "real_name": "张建国"})

    # ---- the real name in the audit trail --------------------------------------------------------------------
    st, rows = admin.get("/api/audit?actor=" + "%E5%BC%A0%E8%AE%A1%E5%88%92")
    rows = rows.get("records") if st == 200 else rows
    t.check("the audit trail shows the actor's real name", st == 200 and rows and
            all(r["actor"] == "张计划" and r["actor_name"] == "张建国" for r in rows), (st, rows))

    # ---- inspectors: 所在单位 names an org ------------------------------------------------------------------
    person = {"id_number": idno("19800101", 1), "name": "王伟", "cert_no": "37032299001"}
    n_insp = count(s, "inspectors")
    st, b = admin.post("/api/inspectors", dict(person, unit="不存在的单位"))
    t.check("inspector with an unknown 所在单位: 422 unknown_org", st == 422 and is_error_body(b, "unknown_org")
            and "不存在的单位" in b["message"], (st, b))
    st, b = admin.post("/api/inspectors", dict(person, org_id=999))
    t.check("inspector with an unknown org_id: 422 unknown_org", st == 422 and is_error_body(b, "unknown_org"), (st, b))
    t.check("refused inspectors changed nothing", count(s, "inspectors") == n_insp)
    st, b = admin.post("/api/inspectors", dict(person, org_id=market["id"]))
    t.check("inspector created by org_id: 所在单位 is the org's name", st == 201 and b["org_id"] == market["id"] and
            b["unit"] == "高青县市场监督管理局", (st, b))
    st, b2 = admin.post("/api/inspectors", {"id_number": idno("19800102", 2), "name": "李娜", "cert_no": "37032299002",
                                            "unit": "青城镇应急管理办公室"})
    t.check("inspector created by 所在单位 name: org_id follows", st == 201 and b2["org_id"] == town["id"], (st, b2))
    st, b3 = admin.post("/api/inspectors", {"id_number": idno("19800103", 3), "name": "赵刚", "cert_no": "37032299003"})
    t.check("inspector without 所在单位 belongs to the bureau", st == 201 and b3["org_id"] == bureau, (st, b3))

    csv = ("id_number,name,unit,cert_no\r\n"
           f"{idno('19800104', 4)},孙丽,高青县市场监督管理局,37032299004\r\n"
           f"{idno('19800105', 5)},周平,县交通运输局,37032299005\r\n"
           f"{idno('19800106', 6)},吴敏,青城镇应急管理办公室,37032299006\r\n")
    st, body = admin.post("/api/inspectors/import", raw=csv.encode(), content_type="text/csv")
    t.check("CSV: the line whose 所在单位 is unknown is rejected with its number, the others kept",
            st == 200 and body["imported"] == 2 and [r["line"] for r in body["rejected"]] == [3] and
            "县交通运输局" in body["rejected"][0]["error"] and "所在单位" in body["rejected"][0]["error"], (st, body))
    got = s.sql("SELECT cert_no, org_id FROM inspectors WHERE cert_no IN ('37032299004','37032299005','37032299006') "
                "ORDER BY cert_no")
    t.check("CSV: imported inspectors in their orgs", got == [("37032299004", market["id"]),
                                                            ("37032299006", town["id"])], got)
    st, lst = admin.get(f"/api/inspectors?org_id={market['id']}")
    t.check("inspector list filters by org", st == 200 and sorted(i["cert_no"] for i in lst["items"]) ==
            ["37032299001", "37032299004"], (st, lst))

    # ---- items carry an org ----------------------------------------------------------------------------------------
    st, it = admin.post("/api/items", {"name": "食品生产企业安全检查", "org_id": market["id"]})
    t.check("item created with org_id: 检查部门 is the org's name", st == 201 and it["org_id"] == market["id"] and
            it["department"] == "高青县市场监督管理局", (st, it))
    n_items = count(s, "items")
    st, b = admin.post("/api/items", {"name": "某事项", "department": "不存在的部门"})
    t.check("item with an unknown 检查部门: 422 unknown_org, nothing stored", st == 422 and
            is_error_body(b, "unknown_org") and count(s, "items") == n_items, (st, b))
    st, b = admin.post("/api/items", {"name": "某事项", "org_id": 999})
    t.check("item with an unknown org_id: 422, nothing stored", st == 422 and is_error_body(b, "unknown_org") and
            count(s, "items") == n_items, (st, b))

    # ---- update, rename carried to 所在单位 and 检查部门 -------------------------------------------------------
    st, b = admin.put(f"/api/orgs/{market['id']}", {"name": "高青县市场监管局"})
    t.check("rename: 200 with the change", st == 200 and b["name"] == "高青县市场监管局" and
            b["changes"] == {"name": ["高青县市场监督管理局", "高青县市场监管局"]}, (st, b))
    got = s.sql("SELECT DISTINCT unit, org_id FROM inspectors WHERE org_id = ?", market["id"])
    t.check("rename carried to the inspectors' 所在单位", got == [("高青县市场监管局", market["id"])], got)
    got = s.sql("SELECT department, org_id FROM items WHERE id = ?", it["id"])
    t.check("rename carried to the item's 检查部门", got == [("高青县市场监管局", market["id"])], got)
    n_audit = count(s, "audit")
    snapshot = s.sql("SELECT * FROM orgs ORDER BY id")
    for name, oid, body, status, code in [
        ("rename to a taken name", market["id"], {"name": "青城镇应急管理办公室"}, 409, "conflict"),
        ("the bureau's kind", bureau, {"kind": "department"}, 422, "invalid"),
        ("deactivating the bureau", bureau, {"active": False}, 422, "invalid"),
        ("a cycle of parents", bureau, {"parent_id": town["id"]}, 422, "invalid"),
        ("its own parent", town["id"], {"parent_id": town["id"]}, 422, "invalid"),
        ("unknown parent", town["id"], {"parent_id": 999}, 422, "unknown_org"),
        ("unknown kind", town["id"], {"kind": "x"}, 422, "invalid"),
        ("unknown field", town["id"], {"phone": "1"}, 400, "unknown_field"),
    ]:
        st, b = admin.put(f"/api/orgs/{oid}", body)
        t.check(f"update refused: {name} -> {status} {code}", st == status and is_error_body(b, code), (st, b))
    st, b = admin.put("/api/orgs/999", {"name": "x"})
    t.check("update of an unknown org id: 404", st == 404 and is_error_body(b, "not_found"), (st, b))
    t.check("refused updates changed nothing", s.sql("SELECT * FROM orgs ORDER BY id") == snapshot and
            count(s, "audit") == n_audit)

    # ---- 开通账户: accounts for an org's inspectors in one action ----------------------------------------------
    n_users = count(s, "users")
    st, acc = admin.post(f"/api/orgs/{market['id']}/accounts")
    created = sorted((a["username"], a["real_name"]) for a in acc.get("created", [])) if st == 200 else None
    t.check("开通账户 creates one account per active inspector of the org", st == 200 and
            created == [("37032299001", "王伟"), ("37032299004", "孙丽")] and acc["skipped"] == [], (st, acc))
    rows = s.sql("SELECT username, role, cert_no, org_id, real_name, must_change_password FROM users "
                 "WHERE org_id = ? AND role = 'inspector' ORDER BY username", market["id"])
    t.check("the accounts: inspector role, linked, in the org, password to be changed",
            rows == [("37032299001", "inspector", "37032299001", market["id"], "王伟", 1),
                     ("37032299004", "inspector", "37032299004", market["id"], "孙丽", 1)], rows)
    pw = {a["username"]: a["password"] for a in acc["created"]}
    first = s.client()
    st, b = first.post("/api/login", {"username": "37032299004", "password": pw["37032299004"]})
    t.check("the one-time password logs in and must be changed", st == 200 and b["must_change_password"] is True,
            (st, b))
    details = s.sql("SELECT details FROM audit WHERE action IN ('user.create', 'org.accounts') ORDER BY id DESC LIMIT 3")
    t.check("audited: one record per account and one for the action, never the password",
            len(details) == 3 and all(p not in d[0] for d in details for p in pw.values()), details)
    st, again = admin.post(f"/api/orgs/{market['id']}/accounts")
    t.check("开通账户 again creates nothing", st == 200 and again["created"] == [] and
            count(s, "users") == n_users + 2, (st, again))
    st, b = admin.post("/api/orgs/999/accounts")
    t.check("开通账户 for an unknown org: 404", st == 404 and is_error_body(b, "not_found"), (st, b))
    st, b = planner.post(f"/api/orgs/{market['id']}/accounts")
    t.check("开通账户 by a planner: 403", st == 403 and is_error_body(b), (st, b))

# `init --bureau NAME` names the bureau (audited); `init --demo` adds the 高青县 orgs and staff.
s2 = Server(init=False)
p = s2.run("init", "--bureau", "高青县应急管理局")
t.check("init --bureau names the bureau", p.returncode == 0 and
        s2.sql("SELECT name, kind FROM orgs") == [("高青县应急管理局", "bureau")], p.stderr)
t.check("the naming is audited", s2.sql("SELECT object FROM audit WHERE action = 'org.update'") == [("org:1",)])
p = s2.run("init", "--bureau", "")
t.check("init --bureau with an empty name: refused with one line", p.returncode == 2 and
        len(p.stderr.strip().splitlines()) == 1, p.stderr)
s3 = Server(init=False, env={"SPOTCHECK_DEMO_PASSWORD": "demo-staff-pass-1"})
s3.run("init", "--demo", check=True)
kinds = s3.sql("SELECT kind, count(*) FROM orgs GROUP BY kind ORDER BY kind")
t.check("demo: bureau, 3 divisions, 10 townships, 2 departments",
        kinds == [("bureau", 1), ("department", 2), ("division", 3), ("township", 10)], kinds)
per_org = s3.sql("SELECT o.name, count(i.id) FROM orgs o JOIN inspectors i ON i.org_id = o.id "
                 "WHERE o.kind = 'department' GROUP BY o.id ORDER BY o.id")
t.check("demo: each other department has inspectors",
        per_org == [("高青县市场监督管理局", 6), ("淄博市生态环境局高青分局", 6)], per_org)
staff = s3.sql("SELECT o.name, u.role FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.real_name != '' "
               "AND u.role IN ('planner', 'head') AND o.kind = 'department' ORDER BY o.id, u.role")
t.check("demo: each other department has a planner and a head with real names",
        staff == [("高青县市场监督管理局", "head"), ("高青县市场监督管理局", "planner"),
                  ("淄博市生态环境局高青分局", "head"), ("淄博市生态环境局高青分局", "planner")], staff)
t.check("demo: staff accounts must change the initial password",
        s3.sql("SELECT count(*) FROM users WHERE username != 'admin' AND must_change_password = 0")[0][0] == 0)

t.finish()
