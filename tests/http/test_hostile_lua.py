"""Hostile Lua against a two-thread server (issue "Security and trust"): while eight requests of each
kind keep trying to burn the Lua budget -- console code as admin, a PUT of a rule whose top level
loops, a planner's /api/rules/eval of a rule function whose cost its arguments choose -- GET /api/health
keeps answering
within 100 ms, every probe. The costly kinds are ROUTE_LUA routes: they run on the Lua lane
(core/http/lane.c, threads - 1 threads with a short queue), never on libmicrohttpd's request threads,
which stay free; a request that finds the lane's queue full gets 503 "busy" at once and retries here
(after 200-400 ms, as a client would). A planner's eval runs under a twentieth of
the configured budget. (The shipped add_working_days now refuses n above max_working_days, so the
costly function is installed here as a new version of rules/deadlines.lua: spin(n) loops n times.)
"""
import random
import subprocess
import threading
import time

from spot import BIN, Server, Suite, is_error_body

HEALTH_MAX = 0.100        # seconds
LUA_MILLIS = 500          # the server's per-call time limit in this test
TEST_DEADLINE = 90        # seconds for the whole hostile phase
# the sanitizer build runs Lua several times slower: the bound on a probe stuck behind one run grows
SLOW = 4 if b"libasan" in subprocess.run(["ldd", BIN], capture_output=True).stdout else 1

t = Suite()
with Server(env={"SPOTCHECK_LUA_MILLIS": str(LUA_MILLIS), "SPOTCHECK_LUA_INSTRUCTIONS": "2000000000"},
            threads=2) as s:
    admin = s.login()
    st, body = admin.post("/api/users", {"username": "planner1", "password": "planner1-password",
                                         "role": "planner"})
    assert st == 201, (st, body)
    planner = s.login("planner1", "planner1-password")
    st, rule = admin.get("/api/rules/deadlines")
    assert st == 200, (st, rule)
    src = rule["source"]
    cut = src.rindex("return M")
    spin = src[:cut] + "function M.spin(n) local s = 0 for i = 1, n do s = s + i end return s end\n\n" + src[cut:]
    st, body = admin.put("/api/rules/deadlines", {"source": spin, "comment": "costly function"})
    assert st == 201, (st, body)
    st, body = admin.post("/api/rules/deadlines/activate", {"version": body["version"]})
    assert st == 200, (st, body)
    COSTLY = {"rule": "deadlines", "fn": "spin", "args": [1e12]}

    # the planner's eval is capped: the call stops long before the admin's limit
    t0 = time.monotonic()
    st, body = planner.post("/api/rules/eval", COSTLY)
    planner_s = time.monotonic() - t0
    t.check("planner eval of spin(1e12) stopped by the budget",
            st == 422 and is_error_body(body, "rule_error") and
            ("time limit exceeded" in body["message"] or "instruction budget exceeded" in body["message"]),
            (st, body))
    t0 = time.monotonic()
    st, body = admin.post("/api/rules/eval", COSTLY)
    admin_s = time.monotonic() - t0
    t.check("the admin's eval runs under the full budget", st == 422 and admin_s >= LUA_MILLIS / 1000 * 0.8,
            (st, body, admin_s))
    t.check("the planner's cap is far below the admin's budget", planner_s < admin_s / 4, (planner_s, admin_s))
    st, body = planner.post("/api/rules/eval", {"rule": "deadlines", "fn": "add_working_days",
                                                "args": ["2026-01-05", 3]})
    t.check("ordinary planner evals still work", st == 200 and body["results"][0]["date"] == "2026-01-08",
            (st, body))

    kinds = {
        "console": lambda c: c.post("/api/console", {"code": "while true do end"}),
        "rule put": lambda c: c.put("/api/rules/deadlines",
                                    {"source": "while true do end\nreturn {}\n", "comment": "hostile"}),
        "planner eval": lambda c: c.post("/api/rules/eval", COSTLY),
    }
    outcomes = {k: [] for k in kinds}
    busy = {k: 0 for k in kinds}
    lock = threading.Lock()
    stop_at = time.monotonic() + TEST_DEADLINE

    def hostile(kind):
        client = planner if kind == "planner eval" else admin
        time.sleep(random.random() * 2.0)   # spread over both request threads, not one burst
        while time.monotonic() < stop_at:
            t0 = time.monotonic()
            st, body = kinds[kind](client)
            took = time.monotonic() - t0
            if st == 503 and is_error_body(body, "busy"):
                with lock:
                    busy[kind] += 1
                time.sleep(0.2 + random.random() * 0.2)   # a retrying client, not a flood
                continue
            with lock:
                outcomes[kind].append((st, body, took))
            return

    threads = [threading.Thread(target=hostile, args=(k,)) for k in kinds for _ in range(8)]
    for th in threads:
        th.start()
    time.sleep(0.05)
    lat = []
    while any(th.is_alive() for th in threads) and time.monotonic() < stop_at + 5:
        t0 = time.monotonic()
        st, _ = s.client().get("/api/health")
        lat.append((time.monotonic() - t0, st))
        time.sleep(0.02)
    for th in threads:
        th.join(10)
    t.check("every hostile request finished within the test's bound", not any(th.is_alive() for th in threads))

    lat.sort()
    worst = lat[-1][0] if lat else None
    print(f"{len(lat)} health probes during the hostile phase: median {lat[len(lat) // 2][0] * 1000:.1f} ms, "
          f"max {worst * 1000:.1f} ms; busy replies {busy}")
    t.check("health probes ran throughout", len(lat) >= 20, len(lat))
    fast = sum(1 for d, st in lat if st == 200 and d < HEALTH_MAX)
    t.check("GET /api/health answered 200 within 100 ms, every probe", fast == len(lat),
            (fast, len(lat), lat[-5:]))

    def stopped(kind, st, body):
        if kind == "console":
            return st == 200 and body.get("ok") is False and "time limit exceeded" in body.get("error", "")
        return st == 422 and isinstance(body, dict) and ("time limit exceeded" in body.get("message", "") or
                                                         "instruction budget exceeded" in body.get("message", ""))

    for kind in kinds:
        got = outcomes[kind]
        t.check(f"all eight {kind} requests ran and were stopped by the budget",
                len(got) == 8 and all(stopped(kind, st, body) for st, body, _ in got), got[:2])
    t.check("the hostile rule was not stored", s.sql(
        "SELECT count(*) FROM rule_versions WHERE name = 'deadlines' AND source LIKE 'while true%'")[0][0] == 0)
    t.check("the server is still alive", s.alive(), s.logtext()[-2000:])

# A one-thread server: console code that runs to its limit must not hold the only request thread
# (before the Lua lane it did, and GET /api/health waited for the whole run).
with Server(env={"SPOTCHECK_LUA_MILLIS": str(LUA_MILLIS), "SPOTCHECK_LUA_INSTRUCTIONS": "2000000000"},
            threads=1) as s:
    admin = s.login()
    done = []
    th = threading.Thread(target=lambda: done.append(admin.post("/api/console", {"code": "while true do end"})))
    th.start()
    time.sleep(0.1)   # the console request is running its loop now
    t0 = time.monotonic()
    st, _ = s.client().get("/api/health")
    took = time.monotonic() - t0
    th.join(10)
    print(f"one-thread server: health answered in {took * 1000:.1f} ms during a {LUA_MILLIS} ms console run")
    t.check("one request thread: GET /api/health answered within 100 ms while console code runs",
            st == 200 and took < HEALTH_MAX, (st, took))
    t.check("one request thread: the console run was still stopped by its budget",
            len(done) == 1 and done[0][0] == 200 and done[0][1].get("ok") is False, done)
t.finish()
