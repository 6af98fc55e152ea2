"""Annual plans over HTTP (clause 6.1, 6.2, 5.1.2): create, validation by plans.lua (422 with its
problems and clauses), bad input (400, nothing changed), 备案 fields, publish, adjustments kept with
their reason and public."""
from spot import Server, Suite, is_error_body

t = Suite()
PLAN = {"year": 2026, "name": "2026年度安全生产双随机抽查计划", "scope": "全县工矿商贸企业",
        "ratios": {"key_high": 0.3, "general_other": 0.05}, "schedule": ["二季度", "四季度"], "estimated_count": 200,
        "joint_checks": 1, "tasks": [{"name": "联合检查", "joint": True, "start_date": "2026-05-01",
                                      "end_date": "2026-05-31"}]}

with Server() as s:
    admin = s.login()
    st, b = admin.post("/api/users", {"username": "planner1", "password": "planner1-password", "role": "planner"})
    planner = s.login("planner1", "planner1-password")
    anon = s.client()

    n0 = s.sql("SELECT count(*) FROM plans")[0][0]
    for name, body, code in [
        ("unknown field", dict(PLAN, colour="red"), 400),
        ("ratio not a number", dict(PLAN, ratios={"general_other": "5%"}), 400),
        ("missing year", {k: v for k, v in PLAN.items() if k != "year"}, 400),
        ("bad filing date", dict(PLAN, filed_at="2026-13-01"), 400),
    ]:
        st, b = planner.post("/api/plans", body)
        t.check(f"bad plan input refused: {name}", st == code and is_error_body(b), (st, b))
    st, ev = admin.post("/api/rules/eval", {"rule": "sampling", "fn": "floor", "args": ["general_other"]})
    floor = ev["results"][0]
    st, b = planner.post("/api/plans", dict(PLAN, ratios={"general_other": floor / 2}))
    t.check("ratio below the rule's floor refused with clause 5.1.2", st == 422 and is_error_body(b, "plan_invalid") and
            any(p["clause"] == "5.1.2" for p in b["problems"]), (st, b))
    t.check("refused plans changed nothing", s.sql("SELECT count(*) FROM plans")[0][0] == n0)

    # 6.2 joint checks are computed from the year's tasks (SPEC §10), not typed: a plan of 2025 with
    # joint_checks = 3 and no joint task is accepted with a warning, which a joint task of 2025 clears
    st, p25 = planner.post("/api/plans", dict(PLAN, year=2025, name="2025年度计划", joint_checks=3, tasks=[]))
    t.check("no joint task: the plan is accepted with a 6.2 warning; a typed joint_checks count does not count",
            st == 201 and p25["joint_tasks"] == 0 and p25["warnings"] == [
                {"reason": "本年度尚无部门联合抽查任务，计划中也未安排（每年至少发起或参与1次）", "clause": "6.2"}], (st, p25))
    st, dept = admin.post("/api/orgs", {"name": "高青县市场监督管理局", "kind": "department"})
    st, tk = planner.post("/api/tasks", {"name": "2025联合抽查", "mode": "untargeted", "directed": False,
                                         "joint_org_ids": [dept["id"]], "start_date": "2025-05-01", "end_date": "2025-05-20"})
    t.check("a joint task of 2025 is created", st == 201 and tk["joint_org_ids"] == [dept["id"]], (st, tk))
    st, p25b = planner.get(f"/api/plans/{p25['id']}")
    t.check("a joint task of that year clears the warning", st == 200 and p25b["joint_tasks"] == 1 and
            p25b["warnings"] == [], (st, p25b))
    # 5.1.2 over the year, ahead of its end: 41 active units of a general industry (商贸), none drawn in
    # 2025 -> at least 3 (ceil 5% of 41) still to draw; the warning goes once they are
    for i in range(41):
        s.sql("INSERT INTO enterprises(uscc, name, region, industry, risk_level, credit_level, status, created_at, "
              "updated_at) VALUES (?, ?, '青城镇', '商贸', 'yellow', 'normal', 'active', '2025-01-01T00:00:00Z', "
              "'2025-01-01T00:00:00Z')", "91370322MA3G%06d" % i, "商贸单位%d" % i)
    st, p25c = planner.get(f"/api/plans/{p25['id']}")
    t.check("5.1.2 warned ahead: the year's general coverage so far, with what is still missing",
            st == 200 and p25c["warnings"] == [{"reason": "本年度已抽查一般行业检查对象0户，名录库共41户，按不少于5%的比例"
                                                         "应至少抽查3户，还差3户", "clause": "5.1.2"}], (st, p25c.get("warnings")))
    n0 = s.sql("SELECT count(*) FROM plans")[0][0]

    st, p = planner.post("/api/plans", PLAN)
    t.check("plan created as draft", st == 201 and p["status"] == "draft" and p["ratios"] == PLAN["ratios"] and
            p["filed"] is False, (st, p))
    pid = p["id"]
    st, b = anon.get("/api/public/plans")
    t.check("a draft is not public", st == 200 and all(x["id"] != pid for x in b["plans"]), b)
    st, b = planner.put(f"/api/plans/{pid}", {"filed_at": "2026-02-10", "filed_with": "高青县市场监督管理局"})
    t.check("备案 recorded", st == 200 and b["filed"] is True and b["filed_with"] == "高青县市场监督管理局", (st, b))
    st, b = planner.post(f"/api/plans/{pid}/publish")
    t.check("published", st == 200 and b["status"] == "published" and b["published_at"], (st, b))
    st, b = planner.post(f"/api/plans/{pid}/publish")
    t.check("publishing twice 409", st == 409 and is_error_body(b), (st, b))

    st, b = planner.put(f"/api/plans/{pid}", {"estimated_count": 250})
    t.check("adjusting a published plan needs a reason", st == 400 and is_error_body(b, "reason_required"), (st, b))
    st, b = planner.put(f"/api/plans/{pid}", {"ratios": {"general_other": floor / 2}, "reason": "降低比例"})
    t.check("an adjustment below the floor is refused", st == 422 and is_error_body(b, "plan_invalid"), (st, b))
    st, b = planner.put(f"/api/plans/{pid}", {"estimated_count": 250, "reason": "新增企业较多，调增预计数量"})
    t.check("adjustment with a reason", st == 200 and b["estimated_count"] == 250 and b["version"] == 3 and
            b["adjustments"][-1]["reason"] == "新增企业较多，调增预计数量", (st, b))
    st, b = anon.get("/api/public/plans")
    pub = next((x for x in b["plans"] if x["id"] == pid), None)
    t.check("public plans show the adjustment", pub and pub["estimated_count"] == 250 and
            pub["adjustments"][-1]["changes"]["estimated_count"] == [200, 250] and "actor" not in pub["adjustments"][-1],
            pub)
    st, b = planner.get(f"/api/plans/{pid}")
    t.check("GET plan", st == 200 and b["id"] == pid and len(b["adjustments"]) == 2, (st, b))
    st, b = planner.get("/api/plans?year=2026")
    t.check("list by year", st == 200 and [x["id"] for x in b["plans"]] == [pid], b)
    st, b = planner.get("/api/plans/999")
    t.check("unknown plan 404", st == 404 and is_error_body(b), (st, b))
    st, b = anon.post("/api/plans", PLAN)
    t.check("anonymous cannot create a plan", st == 401 and is_error_body(b), (st, b))
    p = s.run("audit", "verify")
    t.check("audit chain intact", p.returncode == 0, p.stdout + p.stderr)

t.finish()
