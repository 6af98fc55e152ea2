"""6.2 both ways in a real freeze, and the yearly cap on inspections (eligibility.lua): a low-risk
(风险低), good-credit (守信) unit drawn by a dispatched task of 2025 is not a candidate of a 2026 task,
with its reason and clause; the same unit with normal credit, or one not drawn in 2025, is. A unit with
two 4.3 cases begun in 2026 (its inspection record, SPEC §11) is not drawn at random in 2026, one with
a single case is; a directed task is not limited by either. In a key industry, units of low risk and
good credit are drawn at a lower ratio (their own stratum, sampling.lua). The dry run of a rule shows the same
history fields."""
from spot import Server, Suite, V2_FREEZE, V2_DRAW, V2_LOCK

t = Suite()

NOW = "2026-01-01T00:00:00Z"
UNITS = [  # uscc, name, industry, risk, credit
    ("91370322MA3F000011", "低风险守信甲", "商贸", "blue", "good"),      # drawn in 2025 -> out (6.2 lower)
    ("91370322MA3F000012", "低风险一般乙", "商贸", "blue", "normal"),    # drawn in 2025 -> in
    ("91370322MA3F000013", "低风险守信丙", "商贸", "blue", "good"),      # not drawn in 2025 -> in
    ("91370322MA3F000014", "两次个案丁", "商贸", "yellow", "normal"),    # two 4.3 cases in 2026 -> out
    ("91370322MA3F000015", "一次个案戊", "商贸", "yellow", "normal"),    # one 4.3 case in 2026 -> in
]


def excluded(client, tid):
    out, page = {}, 1
    while True:
        st, body = client.get(f"/api/tasks/{tid}/excluded?page={page}")
        assert st == 200, (st, body)
        for x in body["excluded"]:
            out[x["uscc"]] = x
        if len(out) >= body["total"] or not body["excluded"]:
            return out
        page += 1


def task(admin, name, start, end, **extra):
    body = {"name": name, "mode": "targeted", "filters": {"industry": ["商贸"]}, "start_date": start, "end_date": end}
    body.update(extra)
    st, tk = admin.post("/api/tasks", body)
    assert st == 201, (st, tk)
    return tk["id"]


with Server() as s:
    for uscc, name, ind, risk, credit in UNITS:
        s.sql("INSERT INTO enterprises(uscc, name, region, industry, risk_level, credit_level, status, created_at, "
              "updated_at) VALUES (?,?,?,?,?,?,'active',?,?)", uscc, name, "青城镇", ind, risk, credit, NOW, NOW)
    admin = s.login()
    # 2025: two tasks, each over one active unit (so that the one candidate is drawn)
    drawn25 = []
    for i, (start, end) in enumerate((("2025-06-02", "2025-06-20"), ("2025-09-01", "2025-09-19"))):
        t25 = task(admin, f"2025年商贸抽查{i + 1}", start, end)
        s.sql("UPDATE enterprises SET status = CASE WHEN uscc = ? THEN 'active' ELSE 'closed' END", UNITS[i][0])
        for step, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK)):
            st, b = admin.post(f"/api/tasks/{t25}/{step}", body)
            assert st == 200, (step, st, b)
        drawn25 += [u for (u,) in s.sql("SELECT uscc FROM task_units WHERE task_id = ?", t25)]
    t.check("fixture: 2025's tasks drew the first two units", sorted(drawn25) == [UNITS[0][0], UNITS[1][0]], drawn25)
    s.sql("UPDATE enterprises SET status = 'active'")
    # 2026: 4.3 cases on the record
    for uscc, n in ((UNITS[3][0], 2), (UNITS[4][0], 1)):
        for i in range(n):
            st, b = admin.post("/api/inspections", {"uscc": uscc, "case": "b", "basis": f"12350 举报 2026-00{i + 1} 号",
                                                    "date": f"2026-0{i + 1}-15", "summary": "接举报后核查"})
            assert st == 201, (st, b)
            st, c = admin.post(f"/api/inspections/{b['id']}/close", {"date": f"2026-0{i + 1}-20"})
            assert st == 200, (st, c)

    t26 = task(admin, "2026年商贸抽查", "2026-06-01", "2026-06-20")
    st, fr = admin.post(f"/api/tasks/{t26}/freeze", V2_FREEZE)
    assert st == 200, (st, fr)
    ex = excluded(admin, t26)
    e0 = ex.get(UNITS[0][0], {})
    t.check("6.2 lower frequency: the low-risk good-credit unit drawn in 2025 is excluded, with reason and clause",
            e0.get("clause") == "6.2" and e0.get("reason") == "风险低、信用好，上一年度已被抽查，按第6.2条降低抽查频次，本年度不列为候选", e0)
    t.check("the low-risk unit of normal credit drawn in 2025 is a candidate", UNITS[1][0] not in ex, ex.get(UNITS[1][0]))
    t.check("the low-risk good-credit unit not drawn in 2025 is a candidate", UNITS[2][0] not in ex, ex.get(UNITS[2][0]))
    e3 = ex.get(UNITS[3][0], {})
    t.check("two 4.3 cases begun in 2026: at the yearly cap of 2, excluded with the count",
            e3.get("clause") == "6.2" and e3.get("reason") == "本年度已接受检查2次（含第4.3条情形检查2次），达到每年2次的上限，不再列入随机抽查", e3)
    t.check("one 4.3 case: a candidate", UNITS[4][0] not in ex, ex.get(UNITS[4][0]))
    t.check("the freeze counts exactly the two exclusions", fr["excluded_total"] == 2 and len(ex) == 2, (fr["excluded_total"], ex))

    # a directed task (专项整治) is limited by neither
    td = task(admin, "2026年商贸专项整治", "2026-07-01", "2026-07-20", directed=True, directed_reason="专项整治")
    st, fr = admin.post(f"/api/tasks/{td}/freeze", V2_FREEZE)
    assert st == 200, (st, fr)
    t.check("a directed task: no unit excluded by either rule", excluded(admin, td) == {}, excluded(admin, td))

    # 6.2 lower ratio (sampling.lua): in a key industry, units of low risk and good credit are their
    # own stratum at 10%, against 15% for the industry's other units
    for i in range(40):
        s.sql("INSERT INTO enterprises(uscc, name, region, industry, risk_level, credit_level, status, created_at, "
              "updated_at) VALUES (?,?,?,?,?,?,'active',?,?)", f"91370322MA3K0000{i:02d}", f"化工{i}号", "青城镇", "化工",
              "blue" if i < 20 else "yellow", "good" if i < 20 else "normal", NOW, NOW)
    tk = task(admin, "2026年化工抽查", "2026-08-03", "2026-08-21", filters={"industry": ["化工"]})
    st, fr = admin.post(f"/api/tasks/{tk}/freeze", V2_FREEZE)
    assert st == 200, (st, fr)
    st, got = admin.get(f"/api/tasks/{tk}")
    by = {x["name"]: x for x in got.get("strata", [])}
    t.check("6.2 lower ratio: 20 low-risk good-credit 化工 units form 重点行业·低风险且守信 and 2 (10%) are drawn",
            by.get("key_low", {}).get("size") == 20 and by["key_low"].get("draw") == 2 and
            by["key_low"].get("reason") == "重点行业·低风险且守信：共20户，按默认比例10%抽取2户（向上取整）；重点行业抽查比例不设上限，不低于5%",
            by.get("key_low"))
    t.check("  the other 20 化工 units stay at 15%: 3 drawn",
            by.get("key_other", {}).get("size") == 20 and by["key_other"].get("draw") == 3, by.get("key_other"))

    # the dry run of the active eligibility rule sees the same history
    st, dr = admin.post("/api/rules/eligibility/dry-run", {"version": 1})
    t.check("the dry run of eligibility runs with the new history fields", st == 200, (st, str(dr)[:300]))

t.finish()
