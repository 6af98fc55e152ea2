"""The .xlsx import of both directories (SPEC §13): the same bad data as CSV and as .xlsx gives the
same per-line report (line numbers are spreadsheet row numbers) and the same rows; real date and
number cells; and hostile workbooks (zip bomb, entity expansion, missing parts, too many columns,
not a zip) refused with a clear 4xx, changing nothing and leaving the server up."""
import csv
import datetime
import io
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, fixture_orgs, is_error_body  # noqa: E402
import gen_fixtures as fx  # noqa: E402
import xlsxbook  # noqa: E402,F401  (re-runs under Debian python3 for openpyxl)
import openpyxl  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def csv_to_xlsx(raw):
    """The CSV records as a workbook, each record on the row of the line it starts on (all text)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rd = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    start = 1
    for rec in rd:
        for c, v in enumerate(rec):
            if v != "":
                ws.cell(row=start, column=c + 1, value=v).data_type = "s"
        start = rd.line_num + 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_both(kind, name, table, cols):
    """Imports the CSV file into one fresh server and its .xlsx twin into another; returns both
    replies and both tables."""
    raw = data(name)
    res = []
    for body, ctype in ((raw, "text/csv"), (csv_to_xlsx(raw), XLSX)):
        with Server() as s:
            admin = s.login()
            fixture_orgs(admin)  # the orgs the inspector fixture's 所在单位 name
            st, rep = admin.post(f"/api/{kind}/import", raw=body, content_type=ctype)
            res.append((st, rep, s.sql(f"SELECT {cols} FROM {table} ORDER BY id")))
    return res


for kind, name, table, cols in (
        ("enterprises", "enterprises_mixed.csv", "enterprises", "uscc, name, industry, risk_level, status, business_scope"),
        ("inspectors", "inspectors_mixed.csv", "inspectors", "id_number, name, phone, cert_no, cert_valid_until, expertise")):
    (cst, crep, crows), (xst, xrep, xrows) = import_both(kind, name, table, cols)
    t.check(f"{kind}: CSV and .xlsx both 200", cst == 200 and xst == 200, (cst, crep, xst, xrep))
    t.check(f"{kind}: .xlsx reports the same rejected lines and reasons as CSV",
            crep.get("rejected") and xrep.get("rejected") == crep.get("rejected"),
            (crep.get("rejected"), xrep.get("rejected")))
    t.check(f"{kind}: same counts", [crep.get(k) for k in ("imported", "updated", "rejected_count")] ==
            [xrep.get(k) for k in ("imported", "updated", "rejected_count")], (crep, xrep))
    t.check(f"{kind}: the .xlsx import is reported as such", xrep.get("encoding") == "xlsx", xrep.get("encoding"))
    t.check(f"{kind}: same rows stored", crows == xrows and len(crows) > 0, (crows, xrows))
# the literal report of the enterprise file, as test_import.py pins it for CSV
(_, crep, _), (_, xrep, _) = import_both("enterprises", "enterprises_mixed.csv", "enterprises", "uscc")
t.check("enterprises .xlsx: rejected rows 3 4 5 6 7 10 12 14",
        [r["line"] for r in xrep.get("rejected", [])] == [3, 4, 5, 6, 7, 10, 12, 14], xrep.get("rejected"))

# ---- templates and rejected rows ------------------------------------------------------------------
def sheet_rows(body):
    return [list(r) for r in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)]


with Server() as s:
    admin = s.login()
    admin.post("/api/users", {"username": "aud", "password": "auditor-pass-1", "role": "auditor"})
    aud = s.login("aud", "auditor-pass-1")
    fixture_orgs(admin)  # the inspector template's example 所在单位 is the bureau's name
    st, body = admin.get("/api/enterprises/import/template")
    rows = sheet_rows(body) if st == 200 else []
    t.check("enterprise template: Chinese headers and one example row", rows == [
        ["统一社会信用代码", "单位名称", "单位类型", "法定代表人", "住所", "经营范围", "行政区划", "行业类别", "监管类型",
         "风险等级", "信用等级", "投诉举报次数", "重点关注", "失信记录", "严重违法记录", "重大危险源", "状态"],
        ["91370322MA0000015K", "示例安全生产有限公司", "有限责任公司", "张三", "高青县示例路1号", None, "青城镇", "非煤矿山", None,
         "一般", "一般", "0", "否", "否", "否", "否", "正常"]], rows)
    st, rep = admin.post("/api/enterprises/import", raw=body, content_type=XLSX)
    t.check("enterprise template imports as it is: its example row is valid", st == 200 and rep.get("imported") == 1 and
            rep.get("rejected") == [], (st, rep))
    st, body = admin.get("/api/inspectors/import/template?format=csv")
    t.check("inspector template as CSV: BOM, header line, example line", st == 200 and body.decode("utf-8").split("\r\n") == [
        "\ufeff身份证号,姓名,性别,联系方式,所在单位,职务或职称,执法证号,执法证有效期至,业务专长,层级,专家,状态",
        "370322198001010011,张三,男,13800000000,高青县应急管理局,科员,37032200001,2030-12-31,非煤矿山,县,否,在职", ""], body)
    st, rep = admin.post("/api/inspectors/import", raw=body, content_type="text/csv")
    t.check("inspector CSV template imports as it is", st == 200 and rep.get("imported") == 1 and rep.get("rejected") == [],
            (st, rep))
    st, body = aud.get("/api/inspectors/import/template")
    t.check("template: an auditor (who cannot import) is refused 403", st == 403 and is_error_body(body), (st, body))

    # rejected rows of the bad enterprise file, from its CSV and from its .xlsx twin
    raw = data("enterprises_mixed.csv")
    before = (s.sql("SELECT count(*) FROM enterprises"), s.sql("SELECT count(*) FROM audit"))
    header = ["单位名称", "统一社会信用代码", "行政区划", "行业类别", "风险等级", "信用等级", "重点关注", "失信记录", "严重违法记录",
              "重大危险源", "投诉举报次数", "状态", "经营范围"]
    for what, body, ctype in (("CSV", raw, "text/csv"), (".xlsx", csv_to_xlsx(raw), XLSX)):
        st, out = admin.post("/api/enterprises/import/rejected?lines=3-7,10,12,14", raw=body, content_type=ctype)
        rows = sheet_rows(out) if st == 200 else []
        t.check(f"rejected rows from {what} as .xlsx: header and the 8 rows in file order",
                rows and rows[0] == header and [r[1] for r in rows[1:]] == [
                    "91370322MA00000230", "91370322MAI0000319", "91370322MA000004X1", "91370322MA00000581",
                    "91370322MA0000066U", "91370322MA0000015K", "91370322MA0000090C", "91370322MA00000B74"], rows)
        t.check(f"rejected rows from {what}: cells as uploaded (label 紫色, count -3, empty name)",
                rows and rows[3][4] == "紫色" and rows[8][10] == "-3" and rows[5][0] is None, rows)
        st, out = admin.post("/api/enterprises/import/rejected?format=csv&lines=8", raw=body, content_type=ctype)
        t.check(f"rejected rows from {what} as CSV: a quoted record with a newline kept whole",
                st == 200 and out.decode("utf-8").split("\r\n")[1] ==
                '"高青县""引号"",逗号商贸有限公司",91370322MA0000074N,芦湖街道,商贸,一般,守信,否,否,否,否,0,正常,"日用百货,五金\n建材批发"',
                out)
    after = (s.sql("SELECT count(*) FROM enterprises"), s.sql("SELECT count(*) FROM audit"))
    t.check("asking for rejected rows imports nothing and writes no audit record", after == before, (before, after))
    st, out = admin.post("/api/enterprises/import/rejected?lines=3-7,10,12,14", raw=raw, content_type="text/csv")
    st, rep = admin.post("/api/enterprises/import", raw=out, content_type=XLSX)
    t.check("the rejected-rows file imports again with the same reasons, on its own rows",
            st == 200 and [r["line"] for r in rep.get("rejected", [])] == [2, 3, 4, 5, 6, 8, 9], (st, rep))
    for qs, why in (("", "no lines"), ("?lines=0", "line 0"), ("?lines=5-3", "backwards range"), ("?lines=1-20000", "too many"),
                    ("?lines=3;4", "bad separator")):
        st, body = admin.post("/api/enterprises/import/rejected" + qs, raw=raw, content_type="text/csv")
        t.check(f"rejected rows, {why}: 400 bad_parameter", st == 400 and is_error_body(body, "bad_parameter"), (st, body))


with Server(env={"SPOTCHECK_BODY_MAX": str(1 << 20)}) as s:
    admin = s.login()

    def post_xlsx(body, kind="inspectors"):
        return admin.post(f"/api/{kind}/import", raw=body, content_type=XLSX)

    # ---- real cells: dates, numbers, booleans, shared strings, rows with gaps ---------------------
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "联系方式", "执法证号", "执法证有效期至", "专家"])
    ws.append([fx.idno("19800101", 11), "王伟", 13800000001, 37032299001, datetime.date(2028, 12, 31), True])
    ws.cell(row=2, column=5).number_format = "yyyy/m/d"
    ws.append([fx.idno("19800102", 12), "李娜", None, "37032299002", "2027-06-30", "否"])
    ws.cell(row=5, column=1, value=fx.idno("19800103", 13))     # row 4 left empty
    ws.cell(row=5, column=2, value="张强")
    ws.cell(row=5, column=4, value="37032299003")
    ws.cell(row=5, column=5, value=datetime.date(2026, 1, 1))
    ws.cell(row=5, column=5).number_format = "yyyy\"年\"m\"月\"d\"日\""
    out = io.BytesIO()
    wb.save(out)
    st, rep = post_xlsx(out.getvalue())
    t.check("typed cells: 3 imported, none rejected", st == 200 and rep.get("imported") == 3 and
            rep.get("rejected") == [], (st, rep))
    rows = s.sql("SELECT name, phone, cert_no, cert_valid_until, is_expert FROM inspectors ORDER BY id")
    t.check("typed cells: number phone and cert as digits, date cells as dates, TRUE as yes",
            rows == [("王伟", "13800000001", "37032299001", "2028-12-31", 1), ("李娜", "", "37032299002", "2027-06-30", 0),
                     ("张强", "", "37032299003", "2026-01-01", 0)], rows)

    ws.append(["not an id", "赵敏", "", "37032299009"])
    out = io.BytesIO()
    wb.save(out)
    st, rep = post_xlsx(out.getvalue())
    t.check("a bad row after an empty row is reported on its spreadsheet row 6",
            st == 200 and [r["line"] for r in rep.get("rejected", [])] == [6], (st, rep))

    # ---- hostile workbooks --------------------------------------------------------------------------
    def snapshot():
        return (s.sql("SELECT count(*) FROM inspectors"), s.sql("SELECT count(*) FROM audit"))

    def zipped(parts, method=zipfile.ZIP_DEFLATED):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", method) as z:
            for n, text in parts.items():
                z.writestr(n, text)
        return out.getvalue()

    wbxml = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>')

    def sheet(rows_xml):
        return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetData>' + rows_xml + '</sheetData></worksheet>')

    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
              '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    bomb = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>身份证号</t></is></c></row>' + " " * (20 << 20))
    wide = sheet('<row r="1">' + "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}1" t="inlineStr"><is><t>x</t></is></c>'
                                        for i in range(1, 80)) + "</row>")
    cases = [
        ("zip bomb (20 MiB of XML in a small file)", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels,
                                                             "xl/worksheets/sheet1.xml": bomb}), "过大"),
        ("entity expansion (billion laughs)", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels,
                                                      "xl/worksheets/sheet1.xml": laughs}), "DTD"),
        ("missing workbook part", zipped({"xl/worksheets/sheet1.xml": sheet("")}), "xl/workbook.xml"),
        ("relationship to a missing sheet", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels}),
         "xl/worksheets/sheet1.xml"),
        ("80 columns", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels,
                               "xl/worksheets/sheet1.xml": wide}), "64 列"),
        ("shared string out of range", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels,
                                               "xl/worksheets/sheet1.xml": sheet('<row r="1"><c r="A1" t="s"><v>7</v></c></row>')}),
         "共享字符串"),
        ("broken XML", zipped({"xl/workbook.xml": wbxml, "xl/_rels/workbook.xml.rels": rels,
                               "xl/worksheets/sheet1.xml": "<worksheet><sheetData><row>"}), "XML"),
        ("truncated zip", zipped({"xl/workbook.xml": wbxml})[:60], "zip"),
    ]
    for name, body, word in cases:
        before = snapshot()
        st, rep = post_xlsx(body)
        t.check(f"hostile .xlsx, {name}: 422 invalid_file naming the problem",
                st == 422 and is_error_body(rep, "invalid_file") and word in rep.get("message", ""), (st, rep))
        t.check(f"hostile .xlsx, {name}: nothing changed", snapshot() == before, (before, snapshot()))
    st, _ = admin.get("/api/inspectors")
    t.check("server still answers after the hostile files", st == 200 and s.alive(), st)

t.finish()
