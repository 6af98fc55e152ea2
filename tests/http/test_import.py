"""CSV import of the directories (SPEC §7, §8): every kind of bad row rejected with its exact line,
good rows kept, duplicate keys, quoted fields, BOM, GB18030, whole-file refusals, re-import with
history, CLI import, and an import killed midway leaves nothing behind."""
import os
import signal
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, fixture_orgs, BIN, is_error_body  # noqa: E402
import gen_fixtures as fx  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def lines(rejected):
    return [r["line"] for r in rejected]


with Server() as s:
    admin = s.login()

    # ---- enterprises: mixed good and bad rows --------------------------------------------------
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_mixed.csv"), content_type="text/csv")
    t.check("mixed file: 200", st == 200, (st, body))
    t.check("mixed file: imported 4", body.get("imported") == 4, body)
    t.check("mixed file: updated 0", body.get("updated") == 0, body)
    t.check("mixed file: rejected lines exact", lines(body.get("rejected", [])) == [3, 4, 5, 6, 7, 10, 12, 14],
            body.get("rejected"))
    rej = {r["line"]: r["error"] for r in body.get("rejected", [])}
    t.check("line 3: USCC check character", "校验码" in rej.get(3, ""), rej.get(3))
    t.check("line 4: USCC character set", "字符" in rej.get(4, ""), rej.get(4))
    t.check("line 5: bad enum value", "风险等级" in rej.get(5, "") and "紫色" in rej.get(5, ""), rej.get(5))
    t.check("line 6: unknown industry", "养殖" in rej.get(6, ""), rej.get(6))
    t.check("line 7: missing name", "单位名称" in rej.get(7, ""), rej.get(7))
    t.check("line 10: duplicate names first line", "第 2 行" in rej.get(10, ""), rej.get(10))
    t.check("line 12: bad boolean", "重点关注" in rej.get(12, ""), rej.get(12))
    t.check("line 14: bad count", "投诉举报次数" in rej.get(14, ""), rej.get(14))
    rows = s.sql("SELECT uscc, name, industry, risk_level, credit_level, watchlist, major_hazard, status, "
                 "business_scope FROM enterprises ORDER BY id")
    t.check("db holds exactly the good rows", [r[0] for r in rows] == [fx.uscc(1), fx.uscc(7), fx.uscc(8), fx.uscc(10)],
            rows)
    t.check("labels stored as codes", rows[0][3:8] == ("red", "normal", 1, 1, "active"), rows[0])
    t.check("quoted field with quote and comma", rows[1][1] == '高青县"引号",逗号商贸有限公司', rows[1][1])
    t.check("quoted field with newline", rows[1][8] == "日用百货,五金\n建材批发", repr(rows[1][8]))
    t.check("closed status by label", rows[2][7] == "closed", rows[2])
    t.check("industry alias canonicalised by rule", rows[3][2] == "有色", rows[3])
    st, lst = admin.get("/api/enterprises?per_page=500")
    t.check("API lists the 4 rows", st == 200 and lst["total"] == 4, lst)
    audit = s.sql("SELECT details FROM audit WHERE action = 'enterprise.import'")
    t.check("one audit record per file with sha256", len(audit) == 1 and "file_sha256" in audit[0][0], audit)

    # ---- re-import: update with history ----------------------------------------------------------
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_update.csv"), content_type="text/csv")
    t.check("update file: 1 imported 1 updated", st == 200 and body["imported"] == 1 and body["updated"] == 1, body)
    hist = s.sql("SELECT changes, previous FROM enterprise_history h JOIN enterprises e ON e.id = h.enterprise_id "
                 "WHERE e.uscc = ?", fx.uscc(1))
    t.check("history row kept for the update", len(hist) == 1 and "股份" in hist[0][0] and '"red"' in hist[0][1], hist)
    kept = s.sql("SELECT watchlist, major_hazard, risk_level FROM enterprises WHERE uscc = ?", fx.uscc(1))
    t.check("columns absent from the file are kept", kept == [(1, 1, "yellow")], kept)
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_update.csv"), content_type="text/csv")
    t.check("same file again: unchanged, no new history", body.get("unchanged") == 2 and body.get("updated") == 0 and
            s.sql("SELECT count(*) FROM enterprise_history")[0][0] == 1, body)

    # ---- GB18030 -----------------------------------------------------------------------------------
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_gb18030.csv"), content_type="text/csv")
    t.check("GB18030 file imported", st == 200 and body["imported"] == 2 and body.get("encoding") == "GB18030", body)
    nm = s.sql("SELECT name FROM enterprises WHERE uscc = ?", fx.uscc(20))
    t.check("GB18030 converted to UTF-8", nm == [("高青县国标编码一有限公司",)], nm)

    # ---- whole-file refusals --------------------------------------------------------------------------
    before = s.sql("SELECT count(*) FROM enterprises")[0][0]
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_bad_header.csv"), content_type="text/csv")
    t.check("unknown header: 422 naming it", st == 422 and "老板电话" in body.get("message", ""), (st, body))
    st, body = admin.post("/api/enterprises/import", raw=data("enterprises_missing_header.csv"), content_type="text/csv")
    t.check("missing required header: 422", st == 422 and "行业类别" in body.get("message", ""), (st, body))
    st, body = admin.post("/api/enterprises/import", raw=b"\xff\xfe\x00\x01garbage\xff", content_type="text/csv")
    t.check("undecodable bytes: 422", st == 422 and is_error_body(body), (st, body))
    t.check("refused files change nothing", s.sql("SELECT count(*) FROM enterprises")[0][0] == before)

    # ---- roles -----------------------------------------------------------------------------------------
    st, _ = admin.post("/api/users", {"username": "aud", "password": "auditor-pass-1", "role": "auditor"})
    aud = s.login("aud", "auditor-pass-1")
    st, body = aud.post("/api/enterprises/import", raw=data("enterprises_update.csv"), content_type="text/csv")
    t.check("auditor cannot import: 403", st == 403, (st, body))
    st, body = s.client().post("/api/enterprises/import", raw=data("enterprises_update.csv"), content_type="text/csv")
    t.check("anonymous cannot import: 401", st == 401, (st, body))

    # ---- inspectors --------------------------------------------------------------------------------------
    # the orgs the fixture's 所在单位 name (SPEC §10: an unknown one is a rejected line, test_orgs.py)
    t.check("fixture orgs in place", fixture_orgs(admin) ==
            ["高青县应急管理局", "青城镇应急管理办公室", "高城镇应急管理办公室"])
    st, body = admin.post("/api/inspectors/import", raw=data("inspectors_mixed.csv"), content_type="text/csv")
    t.check("inspectors: imported 2", st == 200 and body["imported"] == 2, body)
    t.check("inspectors: rejected lines exact", lines(body.get("rejected", [])) == [3, 4, 5, 6, 7, 9, 10], body)
    rej = {r["line"]: r["error"] for r in body.get("rejected", [])}
    t.check("line 3: ID check digit", "校验码" in rej.get(3, ""), rej.get(3))
    t.check("line 4: birth date 19990230", "出生日期" in rej.get(4, ""), rej.get(4))
    t.check("line 5: birth date in the future", "晚于" in rej.get(5, ""), rej.get(5))
    t.check("line 6: bad date", "执法证有效期至" in rej.get(6, ""), rej.get(6))
    t.check("line 7: duplicate ID with first line", "第 2 行" in rej.get(7, ""), rej.get(7))
    t.check("line 9: duplicate certificate", "执法证号" in rej.get(9, ""), rej.get(9))
    t.check("rejections never echo an ID number", all(fx.idno("19800101", 123)[:14] not in e for e in rej.values()))
    tags = s.sql("SELECT expertise, is_expert, level, gender FROM inspectors ORDER BY id")
    t.check("tags normalised, codes stored", tags == [('["化工","危险化学品"]', 0, "county", "male"),
                                                      ('["化工","冶金"]', 1, "county", "female")], tags)
    audit = s.sql("SELECT details FROM audit WHERE action = 'inspector.import'")
    t.check("inspector import audited without ID numbers",
            len(audit) == 1 and fx.idno("19800101", 123) not in audit[0][0], audit)

    # ---- CSV export of a filtered list ------------------------------------------------------------------
    st, csv = admin.get("/api/enterprises/export?industry=" + urllib.parse.quote("化工"))
    text = csv.decode("utf-8") if isinstance(csv, bytes) else ""
    t.check("export: BOM and Chinese header", st == 200 and text.startswith("\ufeff统一社会信用代码,单位名称"), text[:60])
    t.check("export: filtered rows with labels", text.count("\n") == 2 and "较大" not in text and "一般" in text, text)
    st, csv = admin.get("/api/inspectors/export")
    t.check("inspector export shows ID to admin", fx.idno("19800101", 123) in csv.decode(), csv[:200])
    st, _ = admin.post("/api/users", {"username": "plan", "password": "planner-pass-1", "role": "planner"})
    plan = s.login("plan", "planner-pass-1")
    st, csv = plan.get("/api/inspectors/export")
    t.check("inspector export masks ID for planner",
            fx.idno("19800101", 123) not in csv.decode() and "370322********" in csv.decode(), csv[:300])

# ---- CLI import and an import killed midway -------------------------------------------------------------
s = Server()
p = s.run("import", "enterprises", os.path.join(DATA, "enterprises_mixed.csv"))
t.check("CLI import exit 0", p.returncode == 0, p.stderr)
t.check("CLI prints counts", "imported 4" in p.stdout and "line 3:" in p.stdout, p.stdout)
t.check("CLI audited as cli", s.sql("SELECT actor FROM audit WHERE action = 'enterprise.import'") == [("cli",)])
p = s.run("import", "enterprises", os.path.join(DATA, "enterprises_bad_header.csv"))
t.check("CLI refused file: non-zero and one line", p.returncode != 0 and "老板电话" in p.stderr, p.stderr)

big = os.path.join(s.dir, "big.csv")
with open(big, "w", encoding="utf-8") as f:
    f.write("uscc,name,region,industry\n")
    for i in range(1000, 401000):
        f.write(f"{fx.uscc(i)},高青县大批量{i}有限公司,青城镇,机械\n")
s2 = Server()
proc = subprocess.Popen([BIN, "import", "enterprises", big], env=s2.env, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
time.sleep(1.0)
killed = proc.poll() is None
if killed:
    proc.send_signal(signal.SIGKILL)
proc.wait()
t.check("kill -9 happened mid-import", killed)
t.check("killed import left no rows", s2.sql("SELECT count(*) FROM enterprises")[0][0] == 0)
t.check("integrity_check ok after kill", s2.sql("PRAGMA integrity_check") == [("ok",)])
t.check("indexes intact after kill",
        s2.sql("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enterprises'")[0][0] >= 10)

t.finish()
