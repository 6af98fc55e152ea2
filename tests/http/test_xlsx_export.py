"""format=xlsx on the working lists (SPEC §13): every workbook opened with openpyxl, its header row,
its rows (literal values), dates as real dates, the frozen header row, personal data masked as in
the JSON for the role, the same filters and role checks as the JSON list, and a Chinese file name
in Content-Disposition (RFC 5987)."""
import datetime
import io
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, fixture_orgs, is_error_body  # noqa: E402
import gen_fixtures as fx  # noqa: E402
import xlsxbook  # noqa: E402,F401  (re-runs under Debian python3 for openpyxl)
import openpyxl  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()
q = urllib.parse.quote
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header(client, name):
    for k, v in client.last_headers:
        if k.lower() == name.lower():
            return v
    return None


def book(client, path):
    """GET path; returns (status, worksheet or body, rows as lists of values)."""
    st, body = client.get(path)
    if st != 200 or not isinstance(body, bytes):
        return st, body, None
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    return st, ws, [list(r) for r in ws.iter_rows(values_only=True)]


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


with Server() as s:
    admin = s.login()
    fixture_orgs(admin)  # the orgs the inspector fixture's 所在单位 name
    admin.post("/api/users", {"username": "plan", "password": "planner-pass-1", "role": "planner"})
    plan = s.login("plan", "planner-pass-1")
    anon = s.client()
    st, body = admin.post("/api/inspectors/import", raw=data("inspectors_mixed.csv"), content_type="text/csv")
    t.check("inspector fixture imported", st == 200 and body.get("imported", 0) >= 2, (st, body))

    # ---- inspectors: headers, masked personal data, dates ------------------------------------------
    st, ws, rows = book(plan, "/api/inspectors?format=xlsx&sort=cert_no")
    t.check("inspectors xlsx: 200 with the xlsx type", st == 200 and header(plan, "Content-Type") == XLSX,
            (st, header(plan, "Content-Type")))
    t.check("inspectors xlsx: Chinese header row", rows and rows[0] == [
        "身份证号", "姓名", "性别", "联系方式", "所在单位", "职务或职称", "执法证号", "执法证有效期至", "业务专长", "层级",
        "专家", "状态"], rows and rows[0])
    t.check("inspectors xlsx: header row frozen", ws is not None and not isinstance(ws, bytes) and
            ws.freeze_panes == "A2", getattr(ws, "freeze_panes", None))
    want = s.sql("SELECT count(*) FROM inspectors")[0][0]
    t.check(f"inspectors xlsx: {want} data rows", rows and len(rows) - 1 == want, rows and len(rows))
    first = rows[1] if rows and len(rows) > 1 else []
    t.check("inspectors xlsx: first row, 身份证号 and phone masked for a planner",
            first[:7] == ["370322********1233", "王伟", "男", "138****0001", "高青县应急管理局", "科员", "37032299001"],
            first)
    t.check("inspectors xlsx: validity date is a date cell", len(first) > 7 and
            first[7] == datetime.datetime(2028, 12, 31), first[7:8])
    t.check("inspectors xlsx: tags, level, boolean and status as labels", first[8:] == ["化工；危险化学品", "县", "否", "在职"],
            first[8:])
    _, jl = plan.get("/api/inspectors?sort=cert_no&per_page=1")
    t.check("inspectors xlsx: masking equals the JSON list for the role",
            jl["items"][0]["id_number"] == first[0] and jl["items"][0]["phone"] == first[3], (jl["items"][0], first))
    st, ws, rows = book(admin, "/api/inspectors?format=xlsx&sort=cert_no")
    t.check("inspectors xlsx: admin sees the full 身份证号 and phone", rows and rows[1][0] == "370322198001011233" and
            rows[1][3] == "13800000001", rows and rows[1])
    disp = header(admin, "Content-Disposition") or ""
    t.check("inspectors xlsx: Chinese file name (RFC 5987) with an ASCII fallback",
            disp == "attachment; filename=\"inspectors.xlsx\"; filename*=UTF-8''" + q("检查人员名录.xlsx"), disp)
    widths = {c: ws.column_dimensions[c].width for c in "ABE"} if not isinstance(ws, bytes) else {}
    t.check("inspectors xlsx: columns wide enough for their Chinese text",
            widths.get("A", 0) >= 20 and widths.get("E", 0) >= 18, widths)

    # ---- same filters and role checks as the JSON list --------------------------------------------
    st, body = admin.post("/api/inspectors", {"id_number": fx.idno("19900101", 77), "name": "钱进", "unit": "青城镇应急管理办公室",
                                             "cert_no": "37032299077"})
    t.check("a third inspector in another unit", st == 201, (st, body))
    st, ws, rows = book(plan, "/api/inspectors?format=xlsx&unit=" + q("青城镇应急管理办公室"))
    wantn = s.sql("SELECT count(*) FROM inspectors WHERE unit = '青城镇应急管理办公室'")[0][0]
    t.check(f"inspectors xlsx: unit filter keeps {wantn} rows", wantn > 0 and rows and len(rows) - 1 == wantn and
            all(r[4] == "青城镇应急管理办公室" for r in rows[1:]), rows)
    st, body = anon.get("/api/inspectors?format=xlsx")
    t.check("inspectors xlsx: anonymous refused 401", st == 401 and is_error_body(body), (st, body))
    st, body = plan.get("/api/inspectors?format=xlsx&level=" + q("火星"))
    t.check("inspectors xlsx: a bad filter is 400 as in JSON", st == 400 and is_error_body(body), (st, body))
    st, body = plan.get("/api/inspectors?format=pdf")
    t.check("unknown format: 400 bad_parameter", st == 400 and is_error_body(body, "bad_parameter"), (st, body))
    st, ws, rows = book(plan, "/api/inspectors/export?format=xlsx")
    t.check("inspectors export?format=xlsx is the workbook too", st == 200 and rows and rows[0][0] == "身份证号", st)

    # ---- enterprises: category column from the rule, counts as numbers ----------------------------
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_mixed.csv"), content_type="text/csv")
    st, ws, rows = book(plan, "/api/enterprises?format=xlsx&sort=id")
    t.check("enterprises xlsx: header row", rows and rows[0] == [
        "统一社会信用代码", "单位名称", "单位类型", "法定代表人", "住所", "经营范围", "行政区划", "行业类别", "监管类型",
        "风险等级", "信用等级", "投诉举报次数", "重点关注", "失信记录", "严重违法记录", "重大危险源", "状态", "类别"],
        rows and rows[0])
    t.check("enterprises xlsx: 4 rows as imported", rows and len(rows) == 5, rows)
    t.check("enterprises xlsx: quoted name kept as text", rows and len(rows) > 2 and
            rows[2][1] == '高青县"引号",逗号商贸有限公司', rows and rows[2][1])
    t.check("enterprises xlsx: complaints count is a number cell", rows and all(isinstance(r[11], int) for r in rows[1:]),
            rows and [r[11] for r in rows[1:]])
    disp = header(plan, "Content-Disposition") or ""
    t.check("enterprises xlsx: file name 检查对象名录.xlsx", disp.endswith(q("检查对象名录.xlsx")), disp)

t.finish()
