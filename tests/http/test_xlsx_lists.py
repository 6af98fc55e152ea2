"""format=xlsx on the other working lists (SPEC §13) and the exchange export (docs/EXCHANGE.md):
a task's results, objections, accountability situations, the audit trail and the item list open
with openpyxl with their Chinese headers and the rows of the JSON list (codes as words, dates as
dates, same role checks); the exchange export of published results in JSON and .xlsx carries the
documented fields in order, literal values, approved corrections applied, no personal data."""
import datetime
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from spot import Server, Suite, dispatched_task, staff_clients, inspector_clients, is_error_body  # noqa: E402
import xlsxbook  # noqa: E402,F401  (re-runs under Debian python3 for openpyxl)
import openpyxl  # noqa: E402

sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()
YEAR = 2026
EXCHANGE_HEADERS = ["记录编号", "统一社会信用代码", "单位名称", "行政区划", "行业类别", "抽查事项", "检查机关", "联合检查部门",
                    "检查日期", "检查结果代码", "检查结果", "检查情况", "抽查任务", "公示日期", "是否更正", "更正说明"]
EXCHANGE_KEYS = ["record_id", "uscc", "name", "region", "industry", "items", "authority", "joint_authorities", "check_date",
                 "result_code", "result", "summary", "task", "published_date", "corrected", "corrections"]


def book(client, path):
    st, body = client.get(path)
    if st != 200 or not isinstance(body, bytes):
        return st, body
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    return st, [list(r) for r in ws.iter_rows(values_only=True)]


def header(client, name):
    return next((v for k, v in client.last_headers if k.lower() == name.lower()), None)


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "导出测试任务", f"{YEAR}-03-02", f"{YEAR}-03-20", "烟花爆竹")
    tid = task["id"]
    team = teams[0]
    ins = inspector_clients(s, admin, team["inspectors"])
    a = ins[team["inspectors"][0]]
    st, res = a.post(f"/api/tasks/{tid}/results", {"uscc": team["uscc"], "category": "b", "summary": "未按规定公示应当公示的信息"})
    assert st == 201, (st, res)
    rid = res["id"]
    for c in team["inspectors"]:
        st, b = ins[c].post(f"/api/results/{rid}/sign")
    st, b = head.post(f"/api/results/{rid}/review", {"approve": True})
    st, b = head.post(f"/api/results/{rid}/publish")
    t.check("a result published for the exports", st == 200 and b["status"] == "published", (st, b))
    unit = s.sql("SELECT uscc, name, region, industry FROM result_units WHERE result_id = ?", rid)[0]
    pub_date = s.sql("SELECT published_date FROM results WHERE id = ?", rid)[0][0]
    entered = s.sql("SELECT date(entered_at, '+8 hours') FROM results WHERE id = ?", rid)[0][0]

    # ---- a task's drawn units and teams (SPEC §13) ------------------------------------------------------
    st, units_json = planner.get(f"/api/tasks/{tid}/units")
    st, rows = book(planner, f"/api/tasks/{tid}/units?format=xlsx")
    t.check("drawn units xlsx: headers", st == 200 and rows[0] == ["统一社会信用代码", "单位名称", "行政区划", "行业类别",
                                                                  "检查人员（执法证号）", "组长（执法证号）"], (st, rows and rows[0]))
    t.check("drawn units xlsx: one row per drawn unit in draw order, members joined by ；",
            [r[0] for r in rows[1:]] == [u["uscc"] for u in units_json["units"]] and len(rows) - 1 == len(teams) and
            rows[1][1] == units_json["units"][0]["name"] and rows[1][4] == "；".join(units_json["units"][0]["inspectors"]),
            (rows[:3], units_json["units"][:1]))
    st, rows = book(planner, f"/api/tasks/{tid}/teams?format=xlsx")
    t.check("teams xlsx: headers", st == 200 and rows[0] == ["统一社会信用代码", "单位名称", "检查人员（执法证号）", "组长（执法证号）",
                                                             "产生方式", "说明"], (st, rows and rows[0]))
    by = {r[0]: r for r in rows[1:]}
    t.check("teams xlsx: every team with its unit's name, members, leader and method in words",
            len(rows) - 1 == len(teams) and all(by[x["uscc"]][2] == "；".join(x["inspectors"]) and by[x["uscc"]][3] == x["leader"]
                                                and by[x["uscc"]][4] in ("随机抽取", "直接委派") and by[x["uscc"]][1] for x in teams),
            rows[:3])
    st, b = s.client().get(f"/api/tasks/{tid}/teams?format=xlsx")
    t.check("teams xlsx without a session: 401", st == 401 and is_error_body(b), (st, b))

    # ---- a task's results ----------------------------------------------------------------------------
    st, rows = book(planner, f"/api/tasks/{tid}/results?format=xlsx")
    t.check("task results xlsx: headers", st == 200 and rows[0] == [
        "结果编号", "统一社会信用代码", "单位名称", "检查结果", "状态", "已签名人数", "检查组人数", "公示期限", "公示时间", "逾期公示",
        "已批准更正"], (st, rows and rows[0]))
    one = rows[1] if st == 200 and len(rows) > 1 else []
    t.check("task results xlsx: the published result in words and numbers",
            one[:7] == [rid, unit[0], unit[1], "未按规定公示应当公示的信息", "已公示",
                        len(team["inspectors"]), len(team["inspectors"])] and one[9] == "是" and one[10] == 0, one)
    t.check("task results xlsx: deadline 2026-04-20 (the task ended 2026-03-20) as a date; published late, so 逾期公示 是",
            one[7:8] == [datetime.datetime(2026, 4, 20)], one[7:8])
    t.check("task results xlsx: publication time is a date-time cell", isinstance(one[8] if one else None, datetime.datetime),
            one[8:9])
    t.check("task results xlsx: one row per result", st == 200 and len(rows) == 2, rows)

    # ---- objections ----------------------------------------------------------------------------------
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    st, ob = planner.post("/api/objections", {"result_id": rid, "received": today.isoformat(), "text": "请求复核",
                                              "applicant": "被检查单位"})
    t.check("an objection registered", st == 201, (st, ob))
    due = s.sql("SELECT review_due FROM objections")[0][0]
    st, rows = book(planner, "/api/objections?format=xlsx")
    t.check("objections xlsx: headers", st == 200 and rows[0] == [
        "异议编号", "检查结果编号", "异议人", "收到日期", "异议内容", "提出方式", "状态", "复核期限", "复核决定", "决定理由", "决定日期",
        "反馈期限", "反馈日期"], (st, rows and rows[0]))
    t.check("objections xlsx: the row (status in words, dates as dates)",
            st == 200 and rows[1] == [ob["id"], rid, "被检查单位", datetime.datetime.combine(today, datetime.time()), "请求复核",
                                      "书面提出", "已受理", datetime.datetime.strptime(due, "%Y-%m-%d"), None, None, None, None, None], rows)
    st, body = planner.get("/api/objections?format=csv")
    t.check("objections: format=csv is not offered (400)", st == 400 and is_error_body(body, "bad_parameter"), (st, body))

    # ---- accountability (the situation's words from the rule via meta) -------------------------------
    st, acc = auditor.get("/api/accountability?today=2026-12-01")
    st2, rows = book(auditor, "/api/accountability?today=2026-12-01&format=xlsx")
    t.check("accountability xlsx: headers", st2 == 200 and rows[0] == ["情形", "对象", "说明", "条款", "已免责", "免责理由"],
            (st2, rows and rows[0]))
    _, meta = s.client().get("/api/public/meta")
    kinds = {k["code"]: k["label"] for k in meta["accountability_kinds"]}
    want = [[kinds.get(x["kind"], x["kind"]), x["object"], x["reason"], x["clause"], "是" if x["exempted"] else "否",
             None] for x in acc["situations"]]
    t.check(f"accountability xlsx: the {len(want)} situations of the JSON list, kinds as the rule's words",
            st2 == 200 and len(want) > 0 and rows[1:] == want, (rows, want))
    st, body = planner.get("/api/accountability?format=xlsx")
    t.check("accountability xlsx: a planner is refused as for JSON (403)", st == 403 and is_error_body(body), (st, body))

    # ---- audit trail ---------------------------------------------------------------------------------
    st, rows = book(auditor, "/api/audit?format=xlsx&action=result.publish")
    want = s.sql("SELECT id, actor, object FROM audit WHERE action = 'result.publish' ORDER BY id DESC")
    t.check("audit xlsx: headers", st == 200 and rows[0] == ["序号", "时间", "操作人", "操作", "对象", "详情", "记录哈希"],
            (st, rows and rows[0]))
    t.check("audit xlsx: the action filter applies; rows newest first",
            st == 200 and [(r[0], r[2], r[4]) for r in rows[1:]] == want and len(want) == 1, (rows, want))
    at = s.sql("SELECT at FROM audit WHERE action = 'result.publish'")[0][0]
    utc = datetime.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ")
    t.check("audit xlsx: the time is a date-time in China Standard Time (UTC+8)",
            st == 200 and rows[1][1] == utc + datetime.timedelta(hours=8), (rows[1][1] if st == 200 else None, at))
    st, rows = book(auditor, "/api/audit?format=xlsx&limit=3")
    t.check("audit xlsx: limit applies", st == 200 and len(rows) == 4, len(rows) if st == 200 else st)
    st, body = auditor.get("/api/audit?format=xlsx&limit=50001")
    t.check("audit xlsx: limit above 50,000 refused 400", st == 400 and is_error_body(body, "bad_parameter"), (st, body))
    st, body = planner.get("/api/audit?format=xlsx")
    t.check("audit xlsx: a planner is refused (403)", st == 403 and is_error_body(body), (st, body))

    # ---- items ---------------------------------------------------------------------------------------
    st, rows = book(planner, "/api/items?format=xlsx")
    dbitems = s.sql("SELECT id, name, basis FROM items ORDER BY id")
    t.check("items xlsx: headers", st == 200 and rows[0] == ["编号", "抽查事项", "检查对象", "事项类别", "检查方式", "检查部门",
                                                            "实施层级", "检查依据", "检查要点", "在用"], (st, rows and rows[0]))
    t.check("items xlsx: every item", st == 200 and [(r[0], r[1], r[7] or "") for r in rows[1:]] == dbitems, rows)
    cps = "；".join(c["text"] for c in item["checkpoints"])
    mine = next((r for r in rows[1:] if r[0] == item["id"]), []) if st == 200 else []
    t.check("items xlsx: checkpoints joined, active as 是", mine[8:] == [cps, "是"], mine)

    # ---- the exchange export ---------------------------------------------------------------------------
    st, ex = planner.get(f"/api/exchange/results?year={YEAR}")
    recs = ex.get("records", []) if st == 200 else []
    t.check("exchange JSON: layout, count and one record", st == 200 and ex["layout"] == "spotcheck-exchange/1" and
            ex["count"] == 1 and len(recs) == 1 and ex["filters"] == {"year": YEAR}, ex)
    r0 = recs[0] if recs else {}
    t.check("exchange JSON: the documented keys in order", list(r0.keys()) == EXCHANGE_KEYS, list(r0.keys()))
    t.check("exchange JSON: the record's values", r0 == {
        "record_id": str(rid), "uscc": unit[0], "name": unit[1], "region": unit[2], "industry": unit[3],
        "items": item["name"], "authority": "高青县应急管理局", "joint_authorities": "高青县市场监督管理局",
        "check_date": entered, "result_code": "b", "result": "未按规定公示应当公示的信息", "summary": "未按规定公示应当公示的信息",
        "task": "导出测试任务", "published_date": pub_date, "corrected": False, "corrections": ""}, r0)
    text = json.dumps(ex, ensure_ascii=False)
    names = [r[0] for r in s.sql("SELECT name FROM inspectors")]
    t.check("exchange JSON: no inspector name, cert number or user name",
            not any(n in text for n in names) and not any(c in text for c in team["inspectors"]) and "head1" not in text)
    st, rows = book(auditor, f"/api/exchange/results?year={YEAR}&format=xlsx")
    t.check("exchange xlsx: the documented headers in order", st == 200 and rows[0] == EXCHANGE_HEADERS, rows and rows[0])
    t.check("exchange xlsx: the same record, dates as dates, 是否更正 as 否",
            st == 200 and rows[1] == [str(rid), unit[0], unit[1], unit[2], unit[3], item["name"], "高青县应急管理局",
                                      "高青县市场监督管理局", datetime.datetime.strptime(entered, "%Y-%m-%d"), "b",
                                      "未按规定公示应当公示的信息", "未按规定公示应当公示的信息", "导出测试任务",
                                      datetime.datetime.strptime(pub_date, "%Y-%m-%d"), "否", None], rows)
    disp = header(auditor, "Content-Disposition") or ""
    t.check("exchange xlsx: Chinese file name", "filename*=UTF-8''" in disp and disp.endswith(".xlsx"), disp)
    for qs, n in ((f"year={YEAR - 1}", 0), (f"from={pub_date}&to={pub_date}", 1), ("from=2000-01-01&to=2000-12-31", 0),
                  (f"task={tid}", 1), (f"task={tid + 1000}", 0)):
        st, ex = planner.get("/api/exchange/results?" + qs)
        t.check(f"exchange filter {qs}: {n} record(s)", st == 200 and ex["count"] == n, (st, ex))
    for qs in ("year=abc", "from=2026-02-30", "to=yesterday", "task=-1", "format=pdf"):
        st, body = planner.get("/api/exchange/results?" + qs)
        t.check(f"exchange bad filter {qs}: 400", st == 400 and is_error_body(body), (st, body))
    st, body = a.get("/api/exchange/results")
    t.check("exchange: an inspector is refused (403)", st == 403 and is_error_body(body), (st, body))
    st, body = s.client().get("/api/exchange/results")
    t.check("exchange: anonymous is refused (401)", st == 401 and is_error_body(body), (st, body))

    # a draft never goes out; an approved correction does
    st, c = planner.post(f"/api/results/{rid}/corrections", {"reason": "结果类别录入有误", "changes": {"category": "a",
                                                                                               "summary": "未发现问题"}})
    t.check("a correction requested", st == 201, (st, c))
    cid = c.get("id") or (c.get("corrections") or [{}])[-1].get("id")
    st, b = head.post(f"/api/results/{rid}/corrections/{cid}/approve", {})
    t.check("the correction approved by a head", st == 200, (st, b))
    st, ex = planner.get(f"/api/exchange/results?year={YEAR}")
    r0 = ex["records"][0] if st == 200 and ex["records"] else {}
    decided = s.sql("SELECT decided_date FROM result_corrections WHERE result_id = ?", rid)[0][0]
    t.check("exchange after the correction: corrected category, summary and the correction's date and reason",
            (r0.get("result_code"), r0.get("summary"), r0.get("corrected"), r0.get("corrections")) ==
            ("a", "未发现问题", True, f"{decided} 结果类别录入有误"), r0)

t.finish()
