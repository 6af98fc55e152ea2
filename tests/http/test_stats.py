"""Statistics for leaders (SPEC §13): every figure of GET /api/stats equals plain SQL over the same
database (by org, township, industry and result category; joint checks; overdue work; problem-found
rate; monthly trend; 5.1.2 coverage of the general units against the 5% floor), the drill-down rows
add up to the figures, and only leaders (admin, head, auditor) see them."""
import io
import math
from urllib.parse import quote
import xlsxbook  # noqa: F401  (re-runs under Debian python3 for openpyxl)
import openpyxl
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body

t = Suite()
YEAR = 2026

# The checked units of the year, written independently of stats.c: every unit drawn by a dispatched
# task of the year, with its result if one was entered.
BASE = """SELECT t.id AS task_id, t.lead_unit AS org, t.start_date, t.end_date, t.joint_units <> '[]' AS joint,
                 u.uscc, e.region, e.industry, r.id AS rid, r.category, r.status, r.follow_up, r.due_date,
                 r.published_date, r.published_late
          FROM task_units u JOIN tasks t ON t.id = u.task_id JOIN enterprises e ON e.id = u.enterprise_id
          LEFT JOIN results r ON r.task_id = u.task_id AND r.uscc = u.uscc
          WHERE t.year = ? AND t.status = 'dispatched'"""


def rate(problems, results):
    return problems / results if results else 0.0


def grouped(s, col):
    rows = s.sql(f"SELECT {col}, count(*), count(rid), sum(status IS 'published'), sum(coalesce(follow_up, 0)) "
                 f"FROM ({BASE}) GROUP BY {col}", YEAR)
    return {(k if k is not None else ""): (n, res, pub, pr) for k, n, res, pub, pr in rows}


def as_map(rows):
    return {x["key"]: (x["units"], x["results"], x["published"], x["problems"]) for x in rows}


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "统计测试任务", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    cps = item["checkpoints"]

    def enter(team, category, summary):
        ins = inspector_clients(s, admin, team["inspectors"])
        a = ins[team["inspectors"][0]]
        st, res = a.post(f"/api/tasks/{tid}/results", {
            "uscc": team["uscc"], "category": category, "summary": summary,
            "records": [{"item_id": item["id"], "checkpoint_id": c["id"], "category": "a", "finding": "符合要求"}
                        for c in cps]})
        assert st in (200, 201), (st, res)
        return res, ins

    # unit 1: problem found (e), published; unit 2: no problem (a), draft; the rest: no result (overdue)
    res1, ins1 = enter(teams[0], "e", "消防通道堆放杂物，已责令改正")
    for c in teams[0]["inspectors"]:
        st, b = ins1[c].post(f"/api/results/{res1['id']}/sign")
    st, b = head.post(f"/api/results/{res1['id']}/review", {"approve": True, "opinion": "同意"})
    assert st == 200, (st, b)
    st, b = ins1[teams[0]["inspectors"][0]].post(f"/api/results/{res1['id']}/publish")
    assert st == 200, (st, b)
    enter(teams[1], "a", "未发现问题")

    st, got = head.get(f"/api/stats?year={YEAR}")
    t.check("a head gets the year's statistics", st == 200 and got["year"] == YEAR, (st, got))
    tot = got["totals"]

    # ---- literal figures of what this test did ----
    n_units = len(teams)
    t.check("totals: every drawn unit of the task is counted once", tot["units"] == n_units and tot["tasks"] == 1,
            (tot, n_units))
    t.check("totals: two results, one published, one problem, rate 0.5",
            (tot["results"], tot["published"], tot["problems"], tot["problem_rate"]) == (2, 1, 1, 0.5), tot)
    t.check("joint checks: the task has a joint unit", tot["joint_tasks"] == 1 and tot["joint_units"] == n_units, tot)
    t.check("overdue: units of the ended task without a result", got["overdue"]["no_result"] == n_units - 2,
            got["overdue"])

    # ---- every figure equals plain SQL ----
    (n, res, pub, pr, jt, ju, tasks) = s.sql(f"SELECT count(*), count(rid), sum(status IS 'published'), "
                                            f"sum(coalesce(follow_up, 0)), count(DISTINCT CASE WHEN joint THEN task_id END), "
                                            f"sum(joint), count(DISTINCT task_id) FROM ({BASE})", YEAR)[0]
    t.check("totals equal SQL", (tot["units"], tot["results"], tot["published"], tot["problems"], tot["joint_tasks"],
            tot["joint_units"], tot["tasks"]) == (n, res, pub, pr, jt, ju, tasks) and
            math.isclose(tot["problem_rate"], rate(pr, res)), tot)
    for key, col in (("by_org", "org"), ("by_township", "region"), ("by_industry", "industry"),
                     ("by_category", "category")):
        want = grouped(s, col)
        t.check(f"{key} equals SQL", as_map(got[key]) == want, (got[key], want))
        t.check(f"{key}: problem rates equal SQL", all(math.isclose(x["problem_rate"], rate(want[x["key"]][3],
                want[x["key"]][1])) for x in got[key]), got[key])
    labels = {x["key"]: x["label"] for x in got["by_category"]}
    t.check("by_category labels: the rule's label, 未录入结果 for no result",
            labels.get("e") == "发现问题已责令改正" and labels.get("a") == "未发现问题" and labels.get("") == "未录入结果", labels)
    want = {("joint" if j else "single"): (n, res, pub, pr) for j, n, res, pub, pr in s.sql(
        f"SELECT joint, count(*), count(rid), sum(status IS 'published'), sum(coalesce(follow_up, 0)) FROM ({BASE}) "
        f"GROUP BY joint", YEAR)}
    t.check("joint vs single equals SQL", as_map(got["joint"]) == want, (got["joint"], want))
    today = s.sql("SELECT date('now', '+8 hours')")[0][0]
    od = s.sql(f"SELECT coalesce(sum(end_date < ?2 AND rid IS NULL), 0), "
               f"coalesce(sum(rid IS NOT NULL AND status <> 'published' AND due_date < ?2), 0), "
               f"coalesce(sum(published_late = 1), 0) FROM ({BASE.replace('t.year = ?', 't.year = ?1')})", YEAR, today)[0]
    t.check("overdue equals SQL", (got["overdue"]["no_result"], got["overdue"]["unpublished_past_due"],
            got["overdue"]["published_late"]) == od, (got["overdue"], od))
    MONTHS = ",".join("('%d-%02d')" % (YEAR, i) for i in range(1, 13))
    months = {m: (u or 0, p or 0, q or 0) for m, u, p, q in s.sql(
        f"WITH m(month) AS (VALUES {MONTHS}) "
        f"SELECT m.month, (SELECT count(*) FROM ({BASE.replace('t.year = ?', 't.year = ?1')}) b WHERE substr(b.start_date, 1, 7) = m.month), "
        f"(SELECT count(*) FROM ({BASE.replace('t.year = ?', 't.year = ?1')}) b WHERE substr(b.published_date, 1, 7) = m.month), "
        f"(SELECT count(*) FROM ({BASE.replace('t.year = ?', 't.year = ?1')}) b WHERE substr(b.start_date, 1, 7) = m.month "
        f"AND b.follow_up = 1) FROM m", YEAR)}
    t.check("monthly trend equals SQL, twelve months", len(got["monthly"]) == 12 and
            {x["month"]: (x["units"], x["published"], x["problems"]) for x in got["monthly"]} == months,
            (got["monthly"], months))
    t.check("monthly: March has the task's units", next(x for x in got["monthly"] if x["month"] == f"{YEAR}-03")["units"]
            == n_units, got["monthly"])

    # ---- 5.1.2 coverage: general industries (categories.lua) against the 5% floor (sampling.lua) ----
    st, meta = s.client().get("/api/public/meta")
    general = [x["name"] for x in meta["industries"] if x["category"] == "general"]
    marks = ",".join("?" * len(general))
    units, drawn = s.sql(f"SELECT count(*), count(DISTINCT CASE WHEN e.id IN (SELECT u.enterprise_id FROM task_units u "
                         f"JOIN tasks t ON t.id = u.task_id WHERE t.year = ? AND t.status = 'dispatched') THEN e.id END) "
                         f"FROM enterprises e WHERE e.status = 'active' AND e.industry IN ({marks})", YEAR, *general)[0]
    cov = got["coverage"]
    t.check("coverage: general units and drawn equal SQL", (cov["general_units"], cov["drawn"]) == (units, drawn),
            (cov, units, drawn))
    t.check("coverage: the floor is 5% and need = ceil(5% of the general units)",
            cov["floor"] == 0.05 and cov["need"] == math.ceil(units * 0.05 - 1e-9) and cov["met"] == (drawn >= cov["need"]),
            cov)

    # ---- drill-down: the rows behind a figure ----
    for key, dim in (("by_industry", "industry"), ("by_township", "township"), ("by_category", "category")):
        ok = True
        for x in got[key]:
            st, rows = head.get(f"/api/stats/rows?year={YEAR}&dim={dim}&key={quote(x['key'])}")
            ok = ok and st == 200 and len(rows["rows"]) == x["units"] and \
                sum(r["problem"] for r in rows["rows"]) == x["problems"]
        t.check(f"drill-down rows of every {dim} add up to its figures", ok, got[key])
    st, rows = head.get(f"/api/stats/rows?year={YEAR}&dim=all&problem=1")
    t.check("drill-down: the problem rows are the unit with result e", st == 200 and
            [(r["uscc"], r["category"]) for r in rows["rows"]] == [(teams[0]["uscc"], "e")], (st, rows))
    st, rows = head.get(f"/api/stats/rows?year={YEAR}&dim=month&key={YEAR}-03")
    t.check("drill-down by month", st == 200 and len(rows["rows"]) == n_units, (st, rows))

    # ---- the figures and the drill-down rows as .xlsx ----
    st, body = head.get(f"/api/stats?year={YEAR}&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active if st == 200 else None
    rows = [list(r) for r in ws.iter_rows(values_only=True)] if ws else []
    t.check("statistics .xlsx: Chinese headers", rows and rows[0] == ["分组", "项目", "检查单位（户次）", "已录入结果", "已公示",
                                                                  "发现问题", "问题发现率", "说明"], rows[:1])
    total_row = next((r for r in rows if r[0] == "总体"), None)
    t.check("statistics .xlsx: the totals row equals the JSON (and so SQL)", total_row is not None and
            total_row[2:7] == [tot["units"], tot["results"], tot["published"], tot["problems"], "50.0%"], total_row)
    by_ind = {r[1]: r[2:6] for r in rows if r[0] == "按行业"}
    t.check("statistics .xlsx: one row per industry with its figures",
            by_ind == {x["key"] or "（未填）": [x["units"], x["results"], x["published"], x["problems"]] for x in got["by_industry"]},
            (by_ind, got["by_industry"]))
    t.check("statistics .xlsx: twelve months, the year's overdue work and the 5.1.2 coverage",
            len([r for r in rows if r[0] == "月度趋势"]) == 12 and
            [r[2] for r in rows if r[0] == "逾期工作"] == [got["overdue"]["no_result"], got["overdue"]["unpublished_past_due"],
                                                       got["overdue"]["published_late"]] and
            any(r[0] == "一般行业检查对象覆盖" and r[1] == "合计" and r[2] == got["coverage"]["drawn"] and "第5.1.2条" in r[7]
                for r in rows), rows)
    st, body = head.get(f"/api/stats/rows?year={YEAR}&dim=all&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active if st == 200 else None
    drows = [list(r) for r in ws.iter_rows(values_only=True)] if ws else []
    problem_col = drows[0].index("发现问题") if drows else None
    t.check("drill-down .xlsx: one row per checked unit, the problem one marked 是",
            len(drows) == n_units + 1 and drows[0][:3] == ["任务编号", "任务", "牵头单位"] and
            [r[5] for r in drows[1:] if r[problem_col] == "是"] == [teams[0]["uscc"]], drows[:3])
    st, b = head.get(f"/api/stats?year={YEAR}&format=pdf")
    t.check("an unknown format is 400", st == 400 and is_error_body(b, "bad_parameter"), (st, b))

    # ---- who and bad input ----
    st, b = auditor.get(f"/api/stats?year={YEAR}")
    t.check("an auditor sees the statistics", st == 200, st)
    st, b = planner.get(f"/api/stats?year={YEAR}")
    t.check("a planner may not (403)", st == 403 and is_error_body(b, "forbidden"), (st, b))
    st, b = s.client().get(f"/api/stats?year={YEAR}")
    t.check("anonymous callers get nothing (401)", st == 401, st)
    for name, path in [("year not a number", "/api/stats?year=abc"), ("year out of range", "/api/stats?year=1900"),
                       ("unknown dim", f"/api/stats/rows?year={YEAR}&dim=color&key=x"),
                       ("dim without key", f"/api/stats/rows?year={YEAR}&dim=industry"),
                       ("problem not 0/1", f"/api/stats/rows?year={YEAR}&dim=all&problem=2")]:
        st, b = head.get(path)
        t.check(f"bad statistics request: {name}", st == 400 and is_error_body(b, "bad_parameter"), (st, b))
    st, b = head.get("/api/stats?year=2001")
    t.check("a year without tasks is all zeros", st == 200 and b["totals"]["units"] == 0 and
            b["totals"]["problem_rate"] == 0 and b["by_industry"] == [], (st, b))

t.finish()
