"""POST /api/console (SPEC §5, admin only): expression result, print output, a Lua error (200 with
ok = false and "error" naming console:LINE), the admin API, the sandbox, roles and the audit trail."""
from spot import Server, Suite, is_error_body

t = Suite()

with Server(demo=True) as s:
    admin = s.login()
    st, body = admin.post("/api/console", {"code": "1 + 2"})
    t.check("expression result", st == 200 and body == {"ok": True, "output": "", "result": "3"}, (st, body))

    st, body = admin.post("/api/console", {"code": "print('你好', 42)\nprint('second')"})
    t.check("print output captured", st == 200 and body.get("ok") is True and
            body.get("output") == "你好\t42\nsecond\n" and body.get("result") is None, body)

    st, body = admin.post("/api/console", {"code": "print('before')\nlocal x = 1\nerror('boom')"})
    t.check("a Lua error: 200, ok false, error names console:line, output kept",
            st == 200 and body.get("ok") is False and body.get("error") == "console:3: boom" and
            body.get("output") == "before\n" and "traceback" in body, body)

    st, body = admin.post("/api/console", {"code": "x = = 1"})
    t.check("a syntax error: ok false with its line", st == 200 and body.get("ok") is False and
            body.get("error", "").startswith("console:1:"), body)

    st, body = admin.post("/api/console", {"code": "return db.query('SELECT count(*) AS n FROM enterprises')[1].n"})
    n = s.sql("SELECT count(*) FROM enterprises")[0][0]
    t.check("db.query reads the database", st == 200 and body.get("result") == str(n), body)

    st, body = admin.post("/api/console", {"code": "db.query('DELETE FROM enterprises')"})
    t.check("a write through db.query is refused with a clear error", st == 200 and body.get("ok") is False and
            "db.query is read-only" in body.get("error", ""), body)
    t.check("nothing deleted", s.sql("SELECT count(*) FROM enterprises")[0][0] == n)

    st, body = admin.post("/api/console", {"code": "io.open('/etc/passwd')"})
    t.check("io.open blocked", body.get("ok") is False and "blocked Lua function: io.open" in body.get("error", ""), body)
    st, body = admin.post("/api/console", {"code": "os.execute('id')"})
    t.check("os.execute blocked", body.get("ok") is False and "blocked Lua function: os.execute" in body.get("error", ""), body)
    st, body = admin.post("/api/console", {"code": "db.query(\"ATTACH '/etc/passwd' AS p\")"})
    t.check("ATTACH refused", body.get("ok") is False and "ATTACH is not allowed" in body.get("error", ""), body)

    st, body = admin.post("/api/console", {"code": "while true do end"})
    t.check("a runaway loop stops with the server's limit", st == 200 and body.get("ok") is False and
            ("time limit" in body.get("error", "") or "instruction budget" in body.get("error", "")), body)
    st, body = admin.get("/api/health")
    t.check("server still healthy after the runaway loop", st == 200 and s.alive(), body)

    st, body = admin.post("/api/console", {"code": "rules.eval('deadlines', 'publication_due', '2026-06-30').date"})
    t.check("rules.eval in the web console", st == 200 and body.get("ok") is True and
            len(body.get("result") or "") == 10, body)

    st, body = admin.post("/api/console", {"code": "y = 5"})
    st, body = admin.post("/api/console", {"code": "y"})
    t.check("each request runs in a fresh environment", body.get("result") == "nil", body)

    st, body = admin.post("/api/console", {"code": 12})
    t.check("code must be a string (400)", st == 400 and is_error_body(body), body)
    st, body = admin.post("/api/console", {"code": "1", "extra": True})
    t.check("unknown field refused (400)", st == 400 and is_error_body(body), body)

    admin.post("/api/users", {"username": "pl", "password": "planner-pass-1", "role": "planner"})
    planner = s.login("pl", "planner-pass-1")
    st, body = planner.post("/api/console", {"code": "1"})
    t.check("planner gets 403", st == 403 and is_error_body(body, "forbidden"), (st, body))
    st, body = s.client().post("/api/console", {"code": "1"})
    t.check("anonymous gets 401", st == 401, (st, body))

    marker = "print('audit-marker-7f3a')"
    admin.post("/api/console", {"code": marker})
    st, body = admin.get("/api/audit?action=console.run&limit=50")
    recs = body.get("records", []) if st == 200 else []
    mine = [r for r in recs if isinstance(r.get("details"), dict) and r["details"].get("code") == marker]
    t.check("the audit trail has the code, its sha256 and the admin as actor",
            len(mine) == 1 and mine[0]["actor"] == "admin" and len(mine[0]["details"].get("sha256", "")) == 64 and
            mine[0]["details"].get("via") == "http", recs[:2])
    t.check("planner's refused call not audited", not any(r["actor"] == "pl" for r in recs))
    st, body = admin.get("/api/audit/verify")
    t.check("audit chain intact", st == 200 and body.get("ok") is True, body)

t.finish()
