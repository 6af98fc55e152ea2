"""Own password change and the initial password an administrator sets (POST /api/me/password,
must_change_password on POST/PUT /api/users), against the real server.

An account created with must_change_password can log in but reaches nothing except /api/me, the
password change and logout until its owner has changed the password; the change needs the current
password (a wrong one counts toward the login throttle), ends the user's other sessions, keeps the
current one, clears the flag and is audited without either password. Bad input changes nothing."""
import json
from spot import Server, Suite, is_error_body

t = Suite()

with Server() as s:
    admin = s.login()
    st, u = admin.post("/api/users", {"username": "insp7", "password": "initial-pw-7", "role": "planner",
                                      "must_change_password": True})
    t.check("account created with a password to change", st == 201 and u["must_change_password"] == 1, (st, u))
    uid = u["id"]
    st, b = admin.post("/api/users", {"username": "x9", "password": "initial-pw-9", "role": "planner",
                                      "must_change_password": "yes"})
    t.check("must_change_password must be a boolean", st == 400 and is_error_body(b), (st, b))
    t.check("refused creation left no account", s.sql("SELECT count(*) FROM users WHERE username = 'x9'")[0][0] == 0)

    # logging in works, but only /api/me, the change and logout are open
    first = s.client()
    st, b = first.post("/api/login", {"username": "insp7", "password": "initial-pw-7"})
    first.csrf = b.get("csrf")
    t.check("login tells the page a change is required", st == 200 and b["must_change_password"] is True, (st, b))
    st, me = first.get("/api/me")
    t.check("GET /api/me is open and says so", st == 200 and me["must_change_password"] is True, (st, me))
    for method, path, body in [("GET", "/api/enterprises", None), ("GET", "/api/plans", None),
                               ("POST", "/api/plans", {"year": 2026}), ("GET", "/api/tasks", None)]:
        st, b = first.request(method, path, body)
        t.check(f"{method} {path} refused until the password is changed", st == 403 and
                is_error_body(b, "password_change_required"), (st, b))
    second = s.client().login("insp7", "initial-pw-7")

    # bad input: nothing changes
    hash0 = s.sql("SELECT password_hash FROM users WHERE id = ?", uid)[0][0]
    for name, body, code, err in [
        ("no body fields", {}, 400, "bad_request"),
        ("unknown field", {"current": "initial-pw-7", "new": "brand-new-pw-7", "confirm": "x"}, 400, "unknown_field"),
        ("new too short", {"current": "initial-pw-7", "new": "short"}, 422, "invalid"),
        ("new same as current", {"current": "initial-pw-7", "new": "initial-pw-7"}, 422, "invalid"),
        ("new same as user name", {"current": "initial-pw-7", "new": "insp7"}, 422, "invalid"),
        ("wrong current password", {"current": "guess-guess", "new": "brand-new-pw-7"}, 422, "wrong_password"),
    ]:
        st, b = first.post("/api/me/password", body)
        t.check(f"password change refused: {name}", st == code and is_error_body(b, err), (st, b))
    st, b = first.request("POST", "/api/me/password", None, raw=b"{not json", content_type="application/json")
    t.check("password change refused: broken JSON", st == 400 and is_error_body(b), (st, b))
    nocsrf = s.client()
    nocsrf.cookie = first.cookie
    st, b = nocsrf.post("/api/me/password", {"current": "initial-pw-7", "new": "brand-new-pw-7"})
    t.check("password change refused without the CSRF token", st == 403 and is_error_body(b, "csrf"), (st, b))
    st, b = s.client().post("/api/me/password", {"current": "initial-pw-7", "new": "brand-new-pw-7"})
    t.check("password change refused without a session", st == 401, (st, b))
    t.check("refused changes left the password as it was",
            s.sql("SELECT password_hash, must_change_password FROM users WHERE id = ?", uid)[0] == (hash0, 1))
    t.check("a wrong current password counts as a failed login",
            s.sql("SELECT count(*) FROM login_failures WHERE username = 'insp7'")[0][0] == 1)

    # the change
    st, b = first.post("/api/me/password", {"current": "initial-pw-7", "new": "brand-new-pw-7"})
    t.check("password changed", st == 200 and b["ok"] is True, (st, b))
    st, me = first.get("/api/me")
    t.check("this session continues, no change required any more", st == 200 and me["must_change_password"] is False,
            (st, me))
    st, b = first.get("/api/plans")
    t.check("the rest of the API is open again", st == 200, (st, b))
    st, b = second.get("/api/me")
    t.check("the user's other session ended", st == 401, (st, b))
    st, b = s.client().post("/api/login", {"username": "insp7", "password": "initial-pw-7"})
    t.check("the old password no longer logs in", st == 401, (st, b))
    st, b = s.client().post("/api/login", {"username": "insp7", "password": "brand-new-pw-7"})
    t.check("the new password logs in", st == 200 and b["must_change_password"] is False, (st, b))
    row = s.sql("SELECT must_change_password, password_changed_at FROM users WHERE id = ?", uid)[0]
    t.check("flag cleared and change time kept", row[0] == 0 and row[1], row)
    t.check("failed attempts cleared by the change",
            s.sql("SELECT count(*) FROM login_failures WHERE username = 'insp7'")[0][0] == 0)
    aud = s.sql("SELECT actor, details FROM audit WHERE action = 'user.password'")
    t.check("the change is audited by its owner", len(aud) == 1 and aud[0][0] == "insp7", aud)
    log = s.logtext()
    t.check("neither password in the audit trail or the log",
            all("initial-pw-7" not in (r[1] or "") and "brand-new-pw-7" not in (r[1] or "")
                for r in s.sql("SELECT action, details FROM audit")) and
            "initial-pw-7" not in log and "brand-new-pw-7" not in log)
    st, users = admin.get("/api/users")
    t.check("the user list shows no password hash", st == 200 and all("password_hash" not in x for x in users) and
            "$argon2" not in json.dumps(users), users)

    # an administrator's reset can require a change again; nobody may require it of themselves
    st, b = admin.put(f"/api/users/{uid}", {"password": "reset-pw-777", "must_change_password": True})
    t.check("admin reset marks the password to change", st == 200 and b["must_change_password"] == 1, (st, b))
    again = s.client().login("insp7", "reset-pw-777")
    st, b = again.get("/api/plans")
    t.check("after a reset the API is closed again until the change", st == 403 and
            is_error_body(b, "password_change_required"), (st, b))
    st, b = admin.put("/api/users/1", {"must_change_password": True})
    t.check("an admin cannot require a change of themselves", st == 422 and is_error_body(b), (st, b))
    st, b = admin.put(f"/api/users/{uid}", {"must_change_password": 1})
    t.check("must_change_password on PUT must be a boolean", st == 422 and is_error_body(b), (st, b))

    # throttle: five wrong current passwords close the change for a while
    for _ in range(5):
        again.post("/api/me/password", {"current": "wrong-pw-000", "new": "brand-new-pw-8"})
    st, b = again.post("/api/me/password", {"current": "reset-pw-777", "new": "brand-new-pw-8"})
    t.check("too many wrong current passwords: 429 even with the right one", st == 429 and
            is_error_body(b, "throttled"), (st, b))
    t.check("throttled change left the password", s.sql("SELECT must_change_password FROM users WHERE id = ?", uid)[0][0] == 1)

    # accounts without the flag (the default) are not affected
    st, b = admin.post("/api/users", {"username": "plain1", "password": "plain1-password", "role": "auditor"})
    plain = s.client().login("plain1", "plain1-password")
    st, b = plain.get("/api/accountability")
    t.check("an account created without the flag works at once", st == 200, (st, b))

    # Admin's own password change through PUT /api/users/{self}: every other session of theirs ends
    # (a stolen session cookie must not outlive the change), this one stays.
    other_admin = s.login()
    st, b = admin.put("/api/users/1", {"password": "admin-new-password-1"})
    t.check("admin changes own password through PUT /api/users/{self}", st == 200, (st, b))
    st, b = other_admin.get("/api/me")
    t.check("admin's own password change through PUT ends their other sessions", st == 401, (st, b))
    st, b = admin.get("/api/me")
    t.check("admin's own password change through PUT keeps the session that made it", st == 200, (st, b))

    # Weak passwords: '12345678' and other short, repeated or consecutive ones, everywhere a password
    # is set. Nothing changes.
    hash_admin = s.sql("SELECT password_hash FROM users WHERE id = 1")[0][0]
    for weak in ("12345678", "admin-pw-11", "123456789012", "aaaaaaaaaaaaaa", "abcdefghijklmn"):
        st, b = admin.post("/api/users", {"username": "weak1", "password": weak, "role": "admin"})
        t.check(f"weak password {weak!r} refused at user creation", st == 422 and is_error_body(b, "invalid"), (st, b))
        st, b = admin.put("/api/users/1", {"password": weak})
        t.check(f"weak password {weak!r} refused at an admin reset", st == 422 and is_error_body(b, "invalid"), (st, b))
        st, b = plain.post("/api/me/password", {"current": "plain1-password", "new": weak})
        t.check(f"weak password {weak!r} refused at an own change", st == 422 and is_error_body(b, "invalid"), (st, b))
    t.check("weak passwords changed nothing", s.sql("SELECT count(*) FROM users WHERE username = 'weak1'")[0][0] == 0
            and s.sql("SELECT password_hash FROM users WHERE id = 1")[0][0] == hash_admin)

for weak in ("12345678", "short-pw-1"):
    s = Server(init=False, env={"SPOTCHECK_ADMIN_PASSWORD": weak})
    r = s.run("init")
    t.check(f"init refuses SPOTCHECK_ADMIN_PASSWORD={weak}", r.returncode != 0 and "密码" in r.stderr, r.stderr)

# Login timing reveals real user names: a name without an account must cost as much as a wrong
# password for a real one (one Argon2id verification either way).
import time
with Server() as s:
    anon = s.client()

    def timed(username):
        t0 = time.perf_counter()
        st, b = anon.post("/api/login", {"username": username, "password": "not-the-password-1"})
        assert st == 401, (st, b)
        return time.perf_counter() - t0

    timed("warm-up-name")  # the first Argon2id verification of the process
    known, unknown = [], []
    for i in range(4):  # interleaved, under the throttle (5 per name, 30 per address)
        known.append(timed("admin"))
        unknown.append(timed(f"nobody{i}"))
    known.sort()
    unknown.sort()
    # Before the fix: 22-31 ms for a real name against under 1 ms for an unknown one.
    t.check("login timing does not reveal whether a user name exists",
            unknown[1] > 0.4 * known[1] and unknown[0] > 0.005, (known, unknown))

t.finish()
