"""Foundation over HTTP: sessions and roles, CSRF, the SPEC §5 error body for every refusal, body cap,
security headers, users, health, throttling, and the audit chain with a tampered record."""
import os
import subprocess
import json
import socket
from spot import Server, Suite, is_error_body, ADMIN_PASSWORD


def raw_request(port, head, body=b""):
    """Sends raw bytes and reads the reply (status, parsed JSON body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head.encode() + body)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            hdr, _, rest = data.partition(b"\r\n\r\n")
            length = [int(l.split(b":")[1]) for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if length and len(rest) >= length[0]:
                break
    sock.close()
    hdr, _, rest = data.partition(b"\r\n\r\n")
    status = int(hdr.split(b" ")[1]) if hdr else 0
    try:
        return status, json.loads(rest.decode())
    except ValueError:
        return status, rest

t = Suite()

with Server() as s:
    anon = s.client()

    st, body = anon.get("/api/users")
    t.check("anonymous gets 401 with error body", st == 401 and is_error_body(body, "unauthorized"), (st, body))

    st, body = anon.get("/api/no/such/route")
    t.check("unknown route 404 with error body", st == 404 and is_error_body(body), (st, body))

    st, body = anon.post("/api/login", {"username": "admin", "password": "wrong-password"})
    t.check("bad password 401", st == 401 and is_error_body(body, "bad_credentials"), (st, body))

    st, body = anon.request("POST", "/api/login", raw="{not json", content_type="application/json")
    t.check("malformed JSON 400 with error body", st == 400 and is_error_body(body, "bad_json"), (st, body))

    admin = s.login("admin", ADMIN_PASSWORD)
    cookie_header = [v for k, v in admin.last_headers if k.lower() == "set-cookie"][0]
    t.check("session cookie HttpOnly SameSite=Strict", "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header,
            cookie_header)
    headers = {k.lower(): v for k, v in admin.last_headers}
    t.check("security headers", "frame-ancestors 'none'" in headers.get("content-security-policy", "") and
            headers.get("x-content-type-options") == "nosniff" and headers.get("referrer-policy") == "no-referrer",
            headers)

    st, me = admin.get("/api/me")
    t.check("GET /api/me", st == 200 and me["username"] == "admin" and me["role"] == "admin", me)

    # A planner account, then role checks.
    st, body = admin.post("/api/users", {"username": "planner1", "password": "planner-pass-1", "role": "planner"})
    t.check("admin creates a user", st == 201 and body["role"] == "planner", (st, body))
    st, body = admin.post("/api/users", {"username": "planner1", "password": "planner-pass-1", "role": "planner"})
    t.check("duplicate username refused 422", st == 422 and is_error_body(body), (st, body))
    st, body = admin.post("/api/users", {"username": "x2", "password": "short", "role": "planner"})
    t.check("short password refused 422", st == 422 and is_error_body(body), (st, body))
    st, body = admin.post("/api/users", {"username": "x3", "password": "long-enough-1", "role": "emperor"})
    t.check("unknown role refused 422", st == 422 and is_error_body(body), (st, body))

    planner = s.login("planner1", "planner-pass-1")
    st, body = planner.get("/api/users")
    t.check("wrong role gets 403 with error body", st == 403 and is_error_body(body, "forbidden"), (st, body))

    # CSRF: the same session without the header is refused, and nothing changes.
    before = s.sql("SELECT count(*) FROM users")[0][0]
    nocsrf = s.client()
    nocsrf.cookie = admin.cookie
    st, body = nocsrf.post("/api/users", {"username": "sneaky", "password": "sneaky-pass-1", "role": "admin"})
    t.check("missing CSRF token 403", st == 403 and is_error_body(body, "csrf"), (st, body))
    nocsrf.csrf = "0" * 64
    st, body = nocsrf.post("/api/users", {"username": "sneaky", "password": "sneaky-pass-1", "role": "admin"})
    t.check("wrong CSRF token 403", st == 403 and is_error_body(body, "csrf"), (st, body))
    t.check("refused requests changed nothing", s.sql("SELECT count(*) FROM users")[0][0] == before)

    # Oversized body: a Content-Length over the 16 MiB default cap is refused before the body is read.
    st, body = raw_request(s.port, "POST /api/users HTTP/1.1\r\nHost: x\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n"
                           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (admin.cookie, admin.csrf, 17 << 20))
    t.check("oversized body 413 with error body", st == 413 and is_error_body(body, "too_large"), (st, body))

    st, body = admin.request("POST", "/api/users", raw="[1,2,3]", content_type="application/json")
    t.check("JSON that is not an object 400", st == 400 and is_error_body(body), (st, body))
    st, body = admin.put("/api/users/abc", {"role": "head"})
    t.check("bad id 404", st == 404 and is_error_body(body), (st, body))
    st, body = admin.put("/api/users/2", {"colour": "red"})
    t.check("unknown field 400", st == 400 and is_error_body(body, "unknown_field"), (st, body))
    st, body = admin.request("DELETE", "/api/users")
    t.check("wrong method 405", st == 405 and is_error_body(body), (st, body))

    st, body = admin.put("/api/users/2", {"role": "head"})
    t.check("admin changes a role", st == 200 and body["role"] == "head", (st, body))

    st, health = anon.get("/api/health")
    t.check("health shows schema version and rules", st == 200 and health["schema_version"] >= 1 and
            health["rules_loaded"] is True and health["audit_head"]["id"] >= 1, health)

    st, page = anon.get("/")
    t.check("static index served", st in (200, 404))

    # Logout ends the session.
    st, _ = planner.post("/api/logout", {})
    st2, body = planner.get("/api/me")
    t.check("logout ends the session", st == 200 and st2 == 401, (st, st2))

    # Throttling: five failures lock the user name for a while, even with the right password.
    for i in range(5):
        anon.post("/api/login", {"username": "planner1", "password": f"wrong-{i}-xxxx"})
    st, body = anon.post("/api/login", {"username": "planner1", "password": "planner-pass-1"})
    t.check("login throttled after repeated failures (429)", st == 429 and is_error_body(body, "throttled"), (st, body))

    st, body = admin.get("/api/audit")
    actions = [r["action"] for r in body.get("records", [])] if st == 200 else []
    t.check("audit lists the changes", "user.create" in actions and "user.update" in actions, actions)
    st, body = admin.get("/api/audit/verify")
    t.check("audit chain verifies", st == 200 and body["ok"] is True, body)

    # Integer query parameters past 64 bits: 400 bad_parameter, never an overflow in the server (the
    # sanitizer build fails this test on a 'runtime error' in the log when the server stops).
    big = "9223372036854775807"
    for q in ("limit=" + big, "before=" + big + "0", "limit=-" + big + "0", "limit=12abc", "limit=%2012",
              "before=0x10"):
        st, body = admin.get("/api/audit?" + q)
        t.check("audit ?%s is 400 bad_parameter" % q, st == 400 and is_error_body(body, "bad_parameter"), (st, body))
    for path in ("/api/enterprises?page=" + big, "/api/corrections?page=" + big,
                 "/api/public/results?page=" + big, "/api/public/tasks?page=" + big,
                 "/api/public/results?task=" + big + "0", "/api/public/results?year=12x"):
        st, body = admin.get(path)
        t.check("list %s is 400" % path, st == 400 and is_error_body(body), (st, body))
    # Error messages that quote client input with invalid UTF-8 (%ff decodes to a lone 0xff byte):
    # a 4xx JSON body with the bad bytes replaced, never a 500 "cannot encode reply".
    for path, code in (("/api/enterprises?status=%ff", 400), ("/api/enterprises/%ff%c3", 404),
                       ("/api/no/such%ff%e4%b8", 404)):
        st, body = admin.get(path)
        t.check("invalid UTF-8 quoted in an error message: %s answers %d JSON" % (path, code),
                st == code and is_error_body(body) and "\ufffd" not in body["message"] and "?" in body["message"],
                (st, body))
    # A message longer than the error buffer (1023 bytes) is cut at a character boundary: for every
    # alignment of the 3-byte characters against the limit, the message is valid UTF-8, a prefix of
    # the full text, and ends with a whole 中.
    for pad in ("", "x", "xx"):
        path = "/api/" + pad + "%e4%b8%ad" * 400
        st, raw_body = admin.request("GET", path, headers={"Accept": "application/json"})
        full = "没有这个接口：/api/" + pad + "中" * 400
        ok = st == 404 and is_error_body(raw_body, "not_found")
        msg = raw_body.get("message", "") if isinstance(raw_body, dict) else ""
        t.check("long message with pad %r cut inside no UTF-8 character" % pad,
                ok and full.startswith(msg) and 1000 <= len(msg.encode()) <= 1023 and msg.endswith("中"),
                (st, len(msg.encode()), msg[-5:]))

    st, body = admin.get("/api/audit?limit=2&before=" + str(1 << 62))
    t.check("audit limit and before in range still list", st == 200 and len(body["records"]) == 2, (st, body))

    t.check("server still serving after all bad input", s.alive() and anon.get("/api/health")[0] == 200)
    log = s.logtext()
    t.check("passwords never in the log", "planner-pass-1" not in log and ADMIN_PASSWORD not in log)

# A chunked body (no Content-Length) that grows past a small cap is read, dropped and refused.
with Server(env={"SPOTCHECK_BODY_MAX": "4096"}) as s3:
    admin3 = s3.login()
    chunk = b"x" * 3000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    st, reply = raw_request(s3.port, "POST /api/users HTTP/1.1\r\nHost: x\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n"
                            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            % (admin3.cookie, admin3.csrf), body)
    t.check("chunked body over the cap 413", st == 413 and is_error_body(reply, "too_large"), (st, reply))
    t.check("server serves on after 413", admin3.get("/api/me")[0] == 200)

# Tamper with one audit row behind the server's back: the CLI names it.
s2 = Server()
r = s2.run("audit", "verify")
t.check("audit verify passes on a fresh database", r.returncode == 0 and "intact" in r.stdout, r.stdout + r.stderr)
rows = s2.sql("SELECT id FROM audit ORDER BY id")
victim = rows[len(rows) // 2][0]
s2.sql("DROP TRIGGER audit_no_update")
s2.sql("UPDATE audit SET actor = 'mallory' WHERE id = ?", victim)
r = s2.run("audit", "verify")
t.check("audit verify names the altered record", r.returncode != 0 and f"audit record {victim}" in r.stderr,
        r.stdout + r.stderr)

r = s2.run("init")
t.check("init refuses to overwrite", r.returncode != 0 and "refusing to overwrite" in r.stderr, r.stderr)
r = s2.run("--version")
t.check("--version shows the schema version", r.returncode == 0 and "schema version" in r.stdout, r.stdout)
r = s2.run("frobnicate")
t.check("unknown command: one clear line, non-zero", r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1)

t.finish()
