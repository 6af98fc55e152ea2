"""Every query of a list endpoint uses an index (issue 7.6). The server runs with SPOTCHECK_TRACE_SQL
(core/store/db.c: every SELECT/WITH it runs, bound values expanded, is appended to a file); the test calls
each list endpoint with each filter on a demo database (no ANALYZE: the planner's defaults), then
runs EXPLAIN QUERY PLAN over every traced statement and fails on a full `SCAN <table>` (no index)
unless the statement is one of the explicit exceptions below, each with the reason it reads the whole
table (or stops early) by design. Sorting is checked on the indexed sort columns; the directories
also offer sorting by unindexed columns (name, created_at, ...), which sorts the filtered set in a
temporary b-tree: that is listed as a known exception too."""
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from spot import Server, Suite, V2_FREEZE, V2_DRAW, V2_LOCK  # noqa: E402

t = Suite()
q = urllib.parse.quote

# (regex over the statement, the table it may scan in full, why that is by design)
EXCEPTIONS = [
    (r"^SELECT [^()]* FROM \w+( WHERE 1)? ORDER BY id( ASC| DESC)? LIMIT \d+( OFFSET \d+)?$", r"\w+",
     "unfiltered page (or newest row) in id order: walks the rowid b-tree and stops at LIMIT"),
    (r"instr\(upper\(", r"enterprises|inspectors",
     "substring search (q=) cannot use a b-tree index; the other filters of the query still narrow it"),
    (r"FROM items\b", r"items", "the item list is a small catalogue read whole (public list, admin list)"),
    (r"FROM users( u LEFT JOIN orgs o ON o\.id = u\.org_id)? ORDER BY (u\.)?id", r"users|u",
     "admin user list reads every account (with its org's name) by design"),
    (r"FROM rule_versions", r"rule_versions|a", "the active rule set (one row per rule) is read whole"),
    (r"FROM item_adjustments a JOIN items i .* ORDER BY a\.id DESC LIMIT", r"a",
     "public adjustment list: walks item_adjustments backwards by rowid and stops at LIMIT"),
    (r"FROM plans WHERE \(", r"plans", "plan list is one row per year plan, read whole"),
    (r"^SELECT t\.id FROM tasks t WHERE .* ORDER BY t\.id DESC LIMIT", r"t",
     "task list page: walks tasks backwards by rowid (newest first) and stops at LIMIT; status, year and the "
     "caller's org scope are conditions on each row"),
    (r"^SELECT count\(\*\) FROM tasks t WHERE ", r"t",
     "the task list's total: tasks are counted once per page (a county has hundreds a year, not millions)"),
    (r"FROM (item_checkpoints|item_adjustments)", r"item_checkpoints|item_adjustments",
     "read together with the whole item catalogue"),
]

# Full scans found by this test and not fixed yet (they need new indexes in a migration or a query
# rewrite in a module owned elsewhere). Each is reported on every run; remove an entry once fixed.
# Anything not listed here nor in EXCEPTIONS fails the test.
KNOWN = [
    (r"FROM inspectors WHERE 1 AND EXISTS \(SELECT 1 FROM json_each\(expertise\)", r"inspectors",
     "expertise= looks inside a JSON array: no b-tree index can serve it"),
    (r"FROM tasks WHERE \(\S+ IS NULL OR status = ", r"tasks",
     "GET /api/tasks: the (?1 IS NULL OR status = ?1) pattern defeats the tasks_year index"),
]


def trace_records(path, start):
    with open(path, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        data = f.read()
        end = f.tell()
    return [r.strip() for r in data.split("\n;;\n") if r.strip()], end


def plan_of(s, sql):
    try:
        return [row[3] for row in s.sql("EXPLAIN QUERY PLAN " + sql)]
    except Exception as e:  # noqa: BLE001
        return [f"ERROR {e}"]


def full_scans(plan):
    """Tables scanned without any index: lines 'SCAN <table>' (not 'USING ... INDEX', not a CTE/subquery)."""
    out = []
    for line in plan:
        m = re.match(r"SCAN (\w+)(.*)$", line)
        if m and "INDEX" not in m.group(2) and not m.group(1).startswith(("json_each", "CONSTANT")):
            out.append(m.group(1))
    return out


trace = os.path.join(__import__("tempfile").mkdtemp(prefix="spot-qp-"), "trace.sql")
with Server(demo=True, env={"SPOTCHECK_TRACE_SQL": trace}) as s:
    admin = s.login()
    st, _ = admin.post("/api/users", {"username": "qpplan", "password": "qpplan-password", "role": "planner"})
    planner = s.login("qpplan", "qpplan-password")
    st, plan = planner.post("/api/plans", {
        "year": 2026, "name": "2026年度安全生产双随机抽查计划", "scope": "全县工矿商贸企业",
        "ratios": {"key_high": 0.3, "general_other": 0.05}, "schedule": ["四季度"], "estimated_count": 300,
        "joint_checks": 1, "tasks": [{"name": "联合抽查", "joint": True, "start_date": "2026-12-01",
                                      "end_date": "2026-12-20"}],
        "filed_at": "2026-02-01", "filed_with": "高青县市场监督管理局"})
    assert st == 201, (st, plan)
    st, task = planner.post("/api/tasks", {"name": "查询计划任务", "mode": "untargeted",
                                           "start_date": "2026-12-01", "end_date": "2026-12-20"})
    tid = task["id"]
    for step, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK)):
        st, b = planner.post(f"/api/tasks/{tid}/{step}", body)
        assert st == 200, (step, st, b)
    uscc = s.sql("SELECT uscc FROM enterprises WHERE id = 5")[0][0]

    ent = ["", "region=" + q("青城镇"), "industry=" + q("化工"), "category=key", "unit_type=" + q("有限责任公司"),
           "supervision_type=" + q("重点监管"), "risk_level=red", "credit_level=good", "status=active",
           "watchlist=1", "dishonest=1", "serious_violation=1", "major_hazard=1", "has_complaints=1",
           "complaints_min=2", "risk_level=red&region=" + q("青城镇"), "region=" + q("青城镇") + "&page=3",
           "risk_level=red&page=2&per_page=20", "sort=risk_level&order=desc", "sort=uscc",
           "sort=region", "sort=industry", "sort=status", "q=" + q("化工"), "page=40"]
    insp = ["", "level=" + q("县级"), "status=active", "gender=" + q("男"), "is_expert=1", "unit=" + q("高青县应急管理局"),
            "expertise=" + q("化工"), "cert_valid_on=2026-06-01", "page=2&per_page=10", "sort=level", "sort=cert_valid_until",
            "sort=status"]
    urls = [f"/api/enterprises?{x}" for x in ent] + [f"/api/inspectors?{x}" for x in insp] + [
        "/api/audit", "/api/audit?action=task.freeze", "/api/audit?actor=qpplan", f"/api/audit?object=task:{tid}",
        "/api/audit?before=10&limit=5", "/api/tasks", "/api/tasks?status=dispatched", "/api/tasks?year=2026",
        f"/api/tasks/{tid}/excluded", f"/api/tasks/{tid}/excluded?page=2", f"/api/tasks/{tid}", f"/api/tasks/{tid}/teams",
        "/api/items", "/api/items?active=1", "/api/plans", "/api/plans?year=2026", f"/api/plans/{plan.get('id', 1)}",
        "/api/users", "/api/rules", "/api/public/items", "/api/public/plans", f"/api/public/tasks/{tid}",
        f"/api/enterprises/{uscc}", f"/api/enterprises/5/history", "/api/inspectors/3", "/api/inspectors/3/history",
        "/api/me", "/api/health"]
    pos = 0
    trace_records(trace, 0)
    _, pos = trace_records(trace, 0)
    checked, bad, excepted, known = 0, [], {}, {}
    for url in urls:
        client = admin if not url.startswith("/api/public") else s.client()
        st, body = client.get(url)
        t.check(f"GET {url}: 200", st == 200, (st, str(body)[:200]))
        recs, pos = trace_records(trace, pos)
        for sql in recs:
            if sql.startswith(("EXPLAIN", "PRAGMA")):
                continue
            checked += 1
            scans = full_scans(plan_of(s, sql))
            for table in scans:
                why = next((w for rx, tb, w in EXCEPTIONS if re.search(rx, sql) and re.fullmatch(tb, table)), None)
                kn = next((w for rx, tb, w in KNOWN if re.search(rx, sql) and re.fullmatch(tb, table)), None)
                if why:
                    excepted.setdefault(why, set()).add(table)
                elif kn:
                    known.setdefault(kn, set()).add(url)
                else:
                    bad.append((url, table, sql[:300]))
    print(f"{checked} statements checked")
    for why, tables in excepted.items():
        print(f"  accepted full scan of {', '.join(sorted(tables))}: {why}")
    for why, where in known.items():
        print(f"  KNOWN full scan ({why}): GET {', '.join(sorted(where))}")
    for url, table, sql in bad[:20]:
        print(f"  FULL SCAN of {table} for GET {url}:\n    {sql}")
    t.check("traced statements were collected", checked > len(urls))
    t.check("no list query does a full table scan outside the listed exceptions", not bad,
            f"{len(bad)} statements")
t.finish()
