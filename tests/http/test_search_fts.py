"""Directory search q= through the FTS5 trigram index (issue 19) finds exactly the rows of the plain
substring scan it replaced (instr(upper(col), upper(q)) over name and uscc): over Chinese, mixed-case
Latin, quotes and wildcard characters, 1-2 character texts (which a trigram index cannot answer),
rows written behind the server's back (still pending for the index), after a restart (moved into
the index), after directory edits through the API and after a CSV import."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from spot import Server, Suite  # noqa: E402

sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
t = Suite()
q = urllib.parse.quote

NAMES = [
    "高青县鑫源化工有限公司", "Alpha 化工 Beta Co.", "alpha化工beta", 'ab"c 引号"公司', "百分%之_百 商贸",
    "ÉCOLE 精细化工", "école 精细化工", "鑫源鑫源鑫源", "青城 Ltd", "QINGCHENG ltd",
]
QUERIES = [
    "鑫", "鑫源", "鑫源化", "鑫源化工有限", "有限公司", "化工", "ALPHA", "alpha 化", "Beta", "a", "ab",
    'b"c', '"', '"c 引', "%", "%之_", "_", "ÉCOLE", "école", "COLE", "精细化工", "鑫源鑫源", "源鑫源鑫",
    "ltd", "LTD", "青城 L", "913703", "3703", "37", "不存在的名称", " ", "化工 B",
]


def scan(s, text):
    return [r[0] for r in s.sql("SELECT id FROM enterprises WHERE instr(upper(name), upper(?)) > 0 "
                                "OR instr(upper(uscc), upper(?)) > 0 ORDER BY id", text, text)]


def found(client, text):
    ids, page = [], 1
    while True:
        st, body = client.get(f"/api/enterprises?per_page=500&page={page}&q=" + q(text))
        if st != 200:
            return (st, body)
        ids += [x["id"] for x in body["items"]]
        if len(ids) >= body["total"] or not body["items"]:
            return ids
        page += 1


def compare(s, client, label):
    bad = []
    for text in QUERIES:
        want, got = scan(s, text), found(client, text)
        if want != got:
            bad.append((text, len(want), got if not isinstance(got, list) else len(got)))
    t.check(f"{label}: every query finds exactly the substring scan's rows", not bad, bad)


s = Server(demo=True)
try:
    ids = [r[0] for r in s.sql("SELECT id FROM enterprises ORDER BY id LIMIT ?", len(NAMES))]
    for i, name in zip(ids, NAMES):   # behind the server's back: the index has them pending
        s.sql("UPDATE enterprises SET name = ? WHERE id = ?", name, i)
    pending = s.sql("SELECT count(*) FROM enterprises_fts_pending")[0][0]
    t.check("rows written by another process wait in enterprises_fts_pending", pending >= len(NAMES), pending)
    s.start()
    admin = s.login()
    t.check("the server moves pending rows into the index when it starts",
            s.sql("SELECT count(*) FROM enterprises_fts_pending")[0][0] == 0)
    compare(s, admin, "indexed")
    hits = found(admin, "鑫源化")
    t.check("a three-character text finds the renamed unit, not one holding only its trigrams' neighbours",
            ids[0] in hits and ids[7] not in hits and ids[1] not in hits, hits[:5])

    # written behind the running server's back: pending, found all the same
    s.sql("UPDATE enterprises SET name = '临时改名的鑫源化工' WHERE id = ?", ids[-1])
    s.sql("DELETE FROM enterprise_history WHERE enterprise_id = ?", ids[1])
    compare(s, admin, "with pending rows")

    # through the API: the edit moves every pending row into the index in the same transaction
    st, body = admin.put(f"/api/enterprises/{ids[2]}", {"name": "改名后 ALPHA 化工二厂"})
    t.check("PUT renames a unit", st == 200, (st, body))
    t.check("a directory edit leaves nothing pending", s.sql("SELECT count(*) FROM enterprises_fts_pending")[0][0] == 0)
    compare(s, admin, "after an API edit")
    t.check("the old name is no longer found, the new one is",
            ids[2] not in found(admin, "alpha化工beta") and ids[2] in found(admin, "ALPHA 化工二"))
finally:
    s.stop()

# a bulk import (over 1 MiB) into an empty directory builds the index in the import's transaction;
# a second, small import goes row by row through the pending rows
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
import random  # noqa: E402
import tempfile  # noqa: E402
import gen_fixtures as fx  # noqa: E402

H = "单位名称,统一社会信用代码,行政区划,行业类别,风险等级,信用等级,重点关注,失信记录,严重违法记录,重大危险源,投诉举报次数,状态,经营范围\n"
rnd = random.Random(19)
words = ["鑫源", "化工", "有限公司", "Alpha", "BETA", "精细", "商贸", "青城", "高城", "ltd", "%", "_", "源鑫"]


def csv_file(first, n):
    lines = [H]
    for i in range(first, first + n):
        name = "".join(rnd.choice(words) for _ in range(rnd.randint(2, 5))) + str(i)
        lines.append(f"{name},{fx.uscc(i)},青城镇,化工,低,一般,否,否,否,否,0,正常,{'经营范围' * 8}\n")
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    f.write("".join(lines))
    f.close()
    return f.name


s = Server()
try:
    big = csv_file(1000, 12000)
    t.check("the bulk file is over 1 MiB", os.path.getsize(big) > (1 << 20), os.path.getsize(big))
    p = s.run("import", "enterprises", big)
    n = s.sql("SELECT count(*) FROM enterprises")[0][0]
    t.check("bulk import: all rows in", p.returncode == 0 and n == 12000, (p.returncode, n, p.stderr[-300:]))
    t.check("bulk import: the index holds every row, nothing pending",
            s.sql("SELECT count(*) FROM enterprises_fts_pending")[0][0] == 0 and
            s.sql("SELECT count(*) FROM enterprises_fts WHERE enterprises_fts MATCH '\"有限公\"'")[0][0] ==
            s.sql("SELECT count(*) FROM enterprises WHERE instr(name, '有限公') > 0")[0][0])
    try:   # FTS5's own check of the index against the table's rows (the index was built beside)
        s.sql("INSERT INTO enterprises_fts(enterprises_fts, rank) VALUES ('integrity-check', 1)")
        integrity = "ok"
    except Exception as e:  # noqa: BLE001
        integrity = str(e)
    t.check("bulk import: FTS5's integrity-check finds the index true to the rows", integrity == "ok", integrity)
    small = csv_file(20000, 50)
    p = s.run("import", "enterprises", small)
    t.check("row-by-row import: nothing pending after it",
            p.returncode == 0 and s.sql("SELECT count(*) FROM enterprises_fts_pending")[0][0] == 0, p.stderr[-300:])
    os.unlink(big)
    os.unlink(small)
    s.start()
    admin = s.login()
    QUERIES[:] = ["鑫源化工", "源鑫源", "ALPHA", "alphabeta", "ltd%", "%_", "_精细", "有限公司商", "3703", "20049",
                  "化工有限公司化工", "鑫", "Lt", "a"]
    compare(s, admin, "after imports")
finally:
    s.stop()

t.finish()
