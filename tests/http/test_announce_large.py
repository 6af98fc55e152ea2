"""A large announcement (issue 19: stream the announcement): 150,000 units drawn by an untargeted
task. GET /api/public/tasks/{id} writes the candidate lists and the dispatched units straight from
their rows (announce_text); the reply equals the database (every stratum's candidates, in order,
and every dispatched unit with its name and stratum, in order), `spotcheck verify` accepts it, the
gzip reply and the plain one (inflated from the cached gzip, since the text is too large to keep)
are the same bytes, a repeated GET is the same, and the lock's own reply leaves the big lists out.
Names with characters JSON escapes (a quote, a backslash, a tab) come back exactly."""
import gzip
import http.client
import json
from spot import Server, Suite, V2_FREEZE, V2_DRAW, V2_LOCK, verify_cli

t = Suite()
N = 150_000

with Server() as s:
    s.sql("""WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
             INSERT INTO enterprises(uscc, name, region, industry, risk_level, credit_level, status, created_at, updated_at)
             SELECT '91370322' || printf('%010d', x), '企业' || x || CASE x % 1000 WHEN 7 THEN '"引号\\反斜杠	制表' ELSE '' END,
                    '镇' || (x % 12), CASE x % 3 WHEN 0 THEN '化工' WHEN 1 THEN '机械' ELSE '商贸' END,
                    CASE x % 10 WHEN 0 THEN 'red' ELSE 'yellow' END, 'normal', 'active',
                    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n""", N)
    admin = s.login()
    st, task = admin.post("/api/tasks", {"name": "大名单公告", "mode": "untargeted", "start_date": "2026-12-01",
                                         "end_date": "2026-12-20"})
    assert st == 201, (st, task)
    tid = task["id"]
    for step, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW)):
        st, b = admin.post(f"/api/tasks/{tid}/{step}", body)
        assert st == 200, (step, st, b)
    st, locked = admin.post(f"/api/tasks/{tid}/lock", V2_LOCK)
    t.check("lock: dispatched; its reply has the proof but not the big lists",
            st == 200 and locked["task"]["status"] == "dispatched" and "units" not in locked and
            all("candidates" not in x for x in locked["draw"]["strata"]) and len(locked["draw"]["secret"]) == 64,
            (st, list(locked)))

    def raw(headers):
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=300)
        c.request("GET", f"/api/public/tasks/{tid}", headers=headers)
        r = c.getresponse()
        body = r.read()
        h = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, h, body

    st, hz, zipped = raw({"Accept-Encoding": "gzip"})
    text = gzip.decompress(zipped) if hz.get("content-encoding") == "gzip" else b""
    t.check("gzip reply", st == 200 and hz.get("content-encoding") == "gzip" and len(zipped) < len(text) / 3,
            (st, hz, len(zipped)))
    st, hp, plain = raw({})
    t.check("the plain reply (inflated from the cached gzip) is the same bytes",
            st == 200 and "content-encoding" not in hp and plain == text and len(plain) > 2 * 1024 * 1024,
            (st, len(plain), len(text)))
    st, _, again = raw({})
    t.check("a repeated plain GET is the same bytes", st == 200 and again == plain)
    st, _, again = raw({"Accept-Encoding": "gzip"})
    t.check("a repeated gzip GET is the same bytes", st == 200 and gzip.decompress(again) == text)

    ann = json.loads(text)
    strata = s.sql("SELECT name, candidates FROM task_strata WHERE task_id = ? ORDER BY pos", tid)
    want = [(name, (c.decode() if isinstance(c, bytes) else c).split("\n")[:-1]) for name, c in strata]
    got = [(x["name"], x["candidates"]) for x in ann["draw"]["strata"]]
    t.check("every stratum's candidates equal the stored list, in order", got == want and
            sum(len(c) for _, c in got) > N * 0.9, [(n, len(c)) for n, c in got])
    units = s.sql("SELECT u.uscc, e.name, u.stratum FROM task_units u JOIN enterprises e ON e.id = u.enterprise_id "
                  "WHERE u.task_id = ? ORDER BY u.pos", tid)
    t.check("the units equal task_units with their names, in order",
            [(u["uscc"], u["name"], u["stratum"]) for u in ann["units"]] == [tuple(r) for r in units] and len(units) > 1000,
            len(units))
    odd = [u["name"] for u in ann["units"] if "引号" in u["name"]]
    t.check("names with a quote, a backslash and a tab come back exactly",
            odd and all(n.endswith('"引号\\反斜杠\t制表') for n in odd), odd[:2])
    t.check("the selected units of the proof are the dispatched units",
            [u for x in ann["draw"]["strata"] for u in x["selected"]] == [r[0] for r in units])
    rc, out = verify_cli(s, ann)
    t.check("spotcheck verify accepts it", rc == 0 and "verified" in out, out[-500:])

t.finish()
