"""Crash safety (SQLite's crash tests in spirit): the server is killed with SIGKILL at seeded random
moments, at least 100 times, during a stream of writes (user creations, item edits, enterprise
POSTs and CSV imports, task freeze/draw/lock); after each kill it restarts on the same database.
At the end every write that was acknowledged with a 2xx is there, PRAGMA integrity_check is ok and
`spotcheck audit verify` passes. SPOT_CRASH_KILLS overrides the number of kills (default 100)."""
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from spot import Server, Suite, V2_FREEZE, V2_DRAW, V2_LOCK  # noqa: E402
import gen_fixtures as fx  # noqa: E402

t = Suite()
KILLS = int(os.environ.get("SPOT_CRASH_KILLS", "100"))
rng = random.Random(20260707)  # the kill schedule and the write mix are deterministic
REGIONS = ["青城镇", "高城镇", "田镇街道", "芦湖街道"]

acked_users, acked_units = [], []
item_basis = {}          # item id -> list of (basis, acked) in the order sent
task_acks = []           # (task id, step) acknowledged
serial = [0]


def next_n():
    serial[0] += 1
    return serial[0]


def ok(st):
    return 200 <= st < 300


def write_user(admin, planner):
    n = next_n()
    name = f"crash{n}"
    st, _ = admin.post("/api/users", {"username": name, "password": f"{name}-password-x", "role": "auditor"})
    if ok(st):
        acked_users.append(name)


def write_unit(admin, planner):
    code = fx.uscc(700000 + next_n())
    st, _ = planner.post("/api/enterprises", {"uscc": code, "name": f"高青县崩溃测试{code[-6:]}有限公司",
                                              "region": rng.choice(REGIONS), "industry": "化工",
                                              "risk_level": "一般", "status": "active"})
    if ok(st):
        acked_units.append(code)


def write_import(admin, planner):
    codes = [fx.uscc(800000 + next_n()) for _ in range(rng.randint(1, 20))]
    csv = "uscc,name,region,industry\n" + "".join(
        f"{c},高青县导入测试{c[-6:]}有限公司,{rng.choice(REGIONS)},机械\n" for c in codes)
    st, body = planner.post("/api/enterprises/import", raw=csv, content_type="text/csv")
    if ok(st):
        assert not body.get("rejected_count"), body
        acked_units.extend(codes)


def write_item(admin, planner):
    iid = rng.choice(ITEMS)
    basis = f"《安全生产法》崩溃测试第{next_n()}版"
    hist = item_basis.setdefault(iid, [])
    hist.append([basis, False])
    st, _ = planner.put(f"/api/items/{iid}", {"basis": basis, "reason": "崩溃测试修订"})
    if ok(st):
        hist[-1][1] = True


current_task = [None]


def write_task(admin, planner):
    tid = current_task[0]
    status = None
    if tid is not None:
        st, body = planner.get(f"/api/tasks/{tid}")
        status = body.get("status") if ok(st) else None
    if tid is None or status == "dispatched":
        st, body = planner.post("/api/tasks", {"name": f"崩溃测试任务{next_n()}", "mode": "untargeted",
                                               "start_date": "2026-12-01", "end_date": "2026-12-20"})
        if ok(st):
            current_task[0] = body["id"]
            task_acks.append((body["id"], "create"))
        return
    step, body = {"draft": ("freeze", V2_FREEZE), "frozen": ("draw", V2_DRAW),
                  "drawn": ("lock", V2_LOCK)}.get(status, (None, None))
    if step is None:
        current_task[0] = None
        return
    st, _ = planner.post(f"/api/tasks/{tid}/{step}", body)
    if ok(st):
        task_acks.append((tid, step))


OPS = [(write_user, 3), (write_unit, 3), (write_import, 1), (write_item, 2), (write_task, 2)]
OP_LIST = [op for op, w in OPS for _ in range(w)]

srv = Server(demo=True)
srv.start()
admin0 = srv.login()
st, _ = admin0.post("/api/users", {"username": "crashplan", "password": "crashplan-password", "role": "planner"})
assert st == 201, st
ITEMS = [r[0] for r in srv.sql("SELECT id FROM items ORDER BY id LIMIT 3")]
assert ITEMS, "demo database without items"

t0 = time.time()
kills = 0
cycles_without_write = 0
while kills < KILLS:
    delay = rng.uniform(0.02, 0.4)
    proc = srv.proc
    writes_before = serial[0]
    try:
        admin = srv.login()
        planner = srv.login("crashplan", "crashplan-password")
    except Exception:
        admin = planner = None
    timer = threading.Timer(delay, lambda p=proc: p.send_signal(signal.SIGKILL))
    timer.start()
    if admin is not None:
        while proc.poll() is None:
            try:
                rng.choice(OP_LIST)(admin, planner)
            except (OSError, ConnectionError, AssertionError, ValueError) as e:
                if isinstance(e, AssertionError):
                    raise
                break  # the kill landed (connection refused/reset, truncated reply)
    timer.join()
    proc.wait()
    kills += 1
    srv.start()  # same database
t.check(f"{kills} SIGKILLs during writes in {time.time() - t0:.0f}s", kills >= KILLS)
srv.stop()

# ---- everything acknowledged is there -----------------------------------------------------------------
print(f"acknowledged: {len(acked_users)} users, {len(acked_units)} units, "
      f"{sum(1 for h in item_basis.values() for _, a in h if a)} item edits, {len(task_acks)} task steps")
users = {r[0] for r in srv.sql("SELECT username FROM users")}
missing = [u for u in acked_users if u not in users]
t.check("every acknowledged user creation survived", not missing and acked_users, missing[:5])
units = {r[0] for r in srv.sql("SELECT uscc FROM enterprises")}
missing = [u for u in acked_units if u not in units]
t.check("every acknowledged enterprise POST and import row survived", not missing and acked_units, missing[:5])
bad = []
for iid, hist in item_basis.items():
    final = srv.sql("SELECT basis FROM items WHERE id = ?", iid)[0][0]
    last_ack = max((i for i, (_, a) in enumerate(hist) if a), default=None)
    if last_ack is None:
        continue
    allowed = {b for b, _ in hist[last_ack:]}  # the last acked value or a later one that committed unacked
    if final not in allowed:
        bad.append((iid, final, hist[last_ack][0]))
t.check("every item keeps its last acknowledged edit (or a later one)", not bad, bad[:3])
order = {"create": 0, "freeze": 1, "draw": 2, "lock": 3}
rank = {"draft": 0, "frozen": 1, "drawn": 2, "dispatched": 3}
bad = []
for tid, step in task_acks:
    status = (srv.sql("SELECT status FROM tasks WHERE id = ?", tid) or [[None]])[0][0]
    if status is None or rank.get(status, -1) < order[step]:
        bad.append((tid, step, status))
t.check("every acknowledged task step (create/freeze/draw/lock) survived", not bad, bad[:5])
t.check("some tasks were drawn and locked", any(s == "lock" for _, s in task_acks), task_acks[-5:])
st = srv.sql("PRAGMA integrity_check")
t.check("PRAGMA integrity_check: ok", st == [("ok",)], st[:3])
p = srv.run("audit", "verify")
t.check("spotcheck audit verify passes", p.returncode == 0, p.stdout + p.stderr)
t.finish()
