"""Test harness for HTTP end-to-end tests: starts the real spotcheck binary on a free loopback port
with a fresh database, and gives a small client (cookies, CSRF header, JSON). Standard library only.

    with Server() as s:
        admin = s.login("admin")
        st, body = admin.post("/api/users", {...})
"""
import atexit
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import http.client
import urllib.parse

BIN = os.environ.get("SPOTCHECK_BIN") or os.path.join(os.path.dirname(__file__), "../../build/spotcheck")
SRC = os.environ.get("SPOT_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
ADMIN_PASSWORD = "admin-test-password"
# The server's "today" is the bureau's calendar day (China Standard Time), not this machine's: from
# 16:00 UTC on they differ, so a test's dates come from bureau_today().
BUREAU_TZ = datetime.timezone(datetime.timedelta(hours=8))


def bureau_today():
    """The bureau's calendar day as a datetime.date."""
    return datetime.datetime.now(BUREAU_TZ).date()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Client:
    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=None, content_type=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
            h.setdefault("Content-Type", content_type or "application/octet-stream")
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h.setdefault("Cookie", self.cookie)
        if self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        self.last_headers = resp.getheaders()
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("sid="):
                self.cookie = v.split(";")[0]
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        if ctype.startswith("application/json"):
            return resp.status, json.loads(payload.decode())
        return resp.status, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def login(self, username, password):
        st, body = self.post("/api/login", {"username": username, "password": password})
        assert st == 200, (st, body)
        self.csrf = body["csrf"]
        return self


# The servers' temporary folders: removed when the test exits after passing, kept (and named) when
# a check failed or an exception ended it, for inspection.
_made = []
_state = {"failed": False}
_hook = sys.excepthook


def _on_exception(*a):
    _state["failed"] = True
    _hook(*a)


def _cleanup():
    for d in _made:
        if _state["failed"]:
            sys.stderr.write("(kept for inspection: %s)\n" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)


sys.excepthook = _on_exception
atexit.register(_cleanup)


class Server:
    """A spotcheck process on a free loopback port with a fresh database in a temporary folder."""

    def __init__(self, demo=False, env=None, threads=2, init=True):
        self.dir = tempfile.mkdtemp(prefix="spotcheck-test-")
        _made.append(self.dir)
        self.db = os.path.join(self.dir, "test.db")
        self.port = free_port()
        self.env = dict(os.environ, SPOTCHECK_ADMIN_PASSWORD=ADMIN_PASSWORD, SPOTCHECK_DB=self.db)
        self.env.update(env or {})
        self.threads = threads
        self.proc = None
        if init:
            self.run("init", *(["--demo"] if demo else []), check=True)

    def run(self, *args, check=False, input=None, timeout=600):
        p = subprocess.run([BIN, *args], env=self.env, capture_output=True, text=True, input=input,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"spotcheck {' '.join(args)} failed: {p.stderr}")
        return p

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{self.port}",
                                      "--threads", str(self.threads)],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited: " + self.logtext())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not start: " + self.logtext())

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def logtext(self):
        try:
            return open(os.path.join(self.dir, "server.log"), errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # In the sanitizer build the server reports leaks and memory errors as it exits: fail on them.
        log = self.logtext()
        for marker in ("ERROR: LeakSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
            if marker in log:
                raise AssertionError("server reported '%s':\n%s" % (marker, log[log.index(marker):][:3000]))

    def client(self):
        return Client(self)

    def login(self, username="admin", password=ADMIN_PASSWORD):
        return Client(self).login(username, password)

    def sql(self, query, *params):
        import sqlite3
        con = sqlite3.connect(self.db, timeout=30)
        try:
            cur = con.execute(query, params)
            rows = cur.fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None:
            sys.stderr.write("---- server log (tail) ----\n" + self.logtext()[-4000:] + "\n")


class Suite:
    """Named checks with a closing 'N passed, N failed' line; exit status 1 on any failure."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            _state["failed"] = True
            print(f"FAIL {name} {detail}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        if self.failed or not self.passed:
            _state["failed"] = True
        sys.exit(1 if self.failed or not self.passed else 0)


def is_error_body(body, code=None):
    return isinstance(body, dict) and isinstance(body.get("error"), str) and \
        isinstance(body.get("message"), str) and (code is None or body["error"] == code)


# Shared set-up for the result, objection and accountability tests.

def fixture_orgs(admin):
    """Names the bureau 高青县应急管理局 and adds the two township offices the directory fixtures'
    所在单位 name (SPEC §10: an unknown 所在单位 is a rejected line). Returns the orgs' names."""
    st, orgs = admin.get("/api/orgs")
    bureau = next(o for o in orgs if o["kind"] == "bureau")
    admin.put(f"/api/orgs/{bureau['id']}", {"name": "高青县应急管理局"})
    for town in ("青城镇应急管理办公室", "高城镇应急管理办公室"):
        admin.post("/api/orgs", {"name": town, "kind": "township"})
    return [o["name"] for o in admin.get("/api/orgs")[1]]


def staff_clients(s, admin):
    """Creates planner1, head1 and auditor1 and returns their logged-in clients, in that order."""
    for u, role in (("planner1", "planner"), ("head1", "head"), ("auditor1", "auditor")):
        st, body = admin.post("/api/users", {"username": u, "password": u + "-password", "role": role})
        assert st == 201, (st, body)
    return tuple(s.login(u, u + "-password") for u in ("planner1", "head1", "auditor1"))


# Draw algorithm v2 (SPEC §12): the shipped rules require it (sampling.draw_v1_allowed = false), so a
# freeze carries the witness's text (only its SHA-256 is kept) and a named future beacon, and the draw
# reveals the same text and enters the beacon's value.
V2_WITNESS = "监督人：见证测试"
V2_FREEZE = {"witness": V2_WITNESS, "beacon_source": "福彩3D 2026058期开奖号码"}
V2_DRAW = {"witness": V2_WITNESS, "beacon": "3 7 1"}
# The team draw the same way: committed at lock, revealed at the team draw.
V2_TEAM_WITNESS = "纪检监督人：检查组见证"
V2_LOCK = {"witness": V2_TEAM_WITNESS, "beacon_source": "福彩3D 2026059期开奖号码"}
V2_TEAMS = {"witness": V2_TEAM_WITNESS, "beacon": "5 2 8"}


def allow_draw_v1(admin):
    """Activates a sampling rule version with draw_v1_allowed = true (a fixture for v1 draws)."""
    st, rule = admin.get("/api/rules/sampling")
    assert st == 200, (st, rule)
    src = rule["source"].replace("M.draw_v1_allowed = false", "M.draw_v1_allowed = true")
    assert src != rule["source"], "sampling.lua has no draw_v1_allowed = false"
    st, body = admin.put("/api/rules/sampling", {"source": src, "comment": "fixture: draw algorithm v1 allowed"})
    assert st in (200, 201), (st, body)
    st, act = admin.post("/api/rules/sampling/activate", {"version": body["version"]})
    assert st == 200, (st, act)


def dispatched_task(planner, name, start, end, industry):
    """A task through freeze, draw, lock and team draw; returns (task, item, teams)."""
    st, items = planner.get("/api/items")
    item = next(i for i in items["items"] if i["checkpoints"])
    st, task = planner.post("/api/tasks", {
        "name": name, "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": [industry]},
        "directed": False, "lead_unit": "高青县应急管理局", "joint_units": ["高青县市场监督管理局"],
        "start_date": start, "end_date": end})
    assert st == 201, (st, task)
    tid = task["id"]
    for path, body in (("freeze", V2_FREEZE), ("draw", V2_DRAW), ("lock", V2_LOCK), ("teams", V2_TEAMS)):
        st, b = planner.post(f"/api/tasks/{tid}/{path}", body)
        assert st in (200, 201), (path, st, b)
    complete_teams(planner.server, tid)
    st, teams = planner.get(f"/api/tasks/{tid}/teams")
    return task, item, teams["teams"]


def complete_teams(s, tid):
    """Scenario set-up after a team draw: positions a too-small pool left open (7.3: the random
    draw decides whether any are) are filled by name by a fixture head of the bureau (created on
    first need), so that every team can record its result. Returns the number filled."""
    admin = s.login()
    st, page = admin.get(f"/api/tasks/{tid}/teams?open=1&per_page=1")
    assert st == 200, (st, page)
    if not page["total"]:
        return 0
    st, b = admin.post("/api/users", {"username": "fixture_head", "password": "fixture-head-password", "role": "head"})
    assert st == 201 or is_error_body(b), (st, b)
    return appoint_open(s.login("fixture_head", "fixture-head-password"), tid)


def sign_review_publish(members, head, rid):
    """Every team member (members: their logged-in clients) signs result rid, head approves it and
    publishes it (scenario set-up: each step must succeed)."""
    for client in members:
        st, b = client.post(f"/api/results/{rid}/sign")
        assert st == 200, (st, b)
    for step, body in (("review", {"approve": True}), ("publish", None)):
        st, b = head.post(f"/api/results/{rid}/{step}", body)
        assert st == 200 and (step != "publish" or b["status"] == "published"), (step, st, b)


def inspector_clients(s, admin, certs):
    out = {}
    for c in certs:
        u = "i" + c.lower()
        st, b = admin.post("/api/users", {"username": u, "password": u + "-password", "role": "inspector", "cert_no": c})
        assert st == 201 or is_error_body(b), (st, b)
        out[c] = s.login(u, u + "-password")
    return out


def save_announcement(ann, d):
    """Writes ann to announcement.json in directory d; returns its path."""
    path = os.path.join(d, "announcement.json")
    with open(path, "w") as f:
        json.dump(ann, f, ensure_ascii=False)
    return path


def verify_cli(s, ann):
    """`spotcheck verify` on ann as a file: (exit status, output)."""
    with tempfile.TemporaryDirectory(prefix="ann-") as d:
        p = s.run("verify", save_announcement(ann, d))
    return p.returncode, p.stdout + p.stderr


def verify_js(ann):
    """web/js/verify.js, the browser's check, on ann under Node: {ok, errors, checks, failed}."""
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="ann-") as d:
        p = subprocess.run(["node", os.path.join(here, "verify_js.mjs"),
                            "file://" + os.path.join(here, "..", "..", "web", "js", "verify.js"),
                            save_announcement(ann, d)],
                           capture_output=True, text=True)
    if p.returncode != 0:
        return {"ok": False, "errors": [p.stderr[-500:]], "checks": [], "failed": []}
    return json.loads(p.stdout)


def announcement_checks(s, ann):
    """The three independent checks of an announcement: `spotcheck verify` on it as a file,
    web/js/verify.js under Node (the browser's check) and the SPEC §4 team-draw re-implementation
    (teamdraw_spec.py). Returns (verify ok, verify output, js ok, js errors, team differences)."""
    from teamdraw_spec import check_teams
    rc, out = verify_cli(s, ann)
    js = verify_js(ann)
    return rc == 0, out, js["ok"], js["errors"], check_teams(ann)


def appoint_open(head, tid):
    """7.3 direct appointment: head (the executing org's head) fills every open position of task
    tid's teams by name, each with the candidate the rule accepts that has the fewest units in the
    task (scenario set-up: each step must succeed). Returns the number of positions filled."""
    n = 0
    while True:
        st, page = head.get(f"/api/tasks/{tid}/teams?open=1&per_page=200")
        assert st == 200, (st, page)
        if not page["teams"]:
            return n
        for team in page["teams"]:
            for _ in range(team["open"]):
                st, c = head.get(f"/api/tasks/{tid}/teams/{team['uscc']}/candidates")
                assert st == 200, (st, c)
                ok = sorted((x for x in c["candidates"] if x["ok"]), key=lambda x: (x["load"], x["cert_no"]))
                assert ok, ("no one to appoint", team["uscc"], c)
                st, b = head.post(f"/api/tasks/{tid}/teams/{team['uscc']}/appoint",
                                  {"cert_no": ok[0]["cert_no"], "reason": "执行单位负责人委派"})
                assert st == 200, (st, b)
                n += 1
