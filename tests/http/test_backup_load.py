"""`spotcheck backup DEST` while the server is under write load (issue 7.5): wrk keeps 64 connections
busy with audited writes (enterprise PUTs, user creations) and reads while three backups are taken;
every backup is a consistent snapshot: PRAGMA integrity_check ok, `spotcheck audit verify` passes on
the copy, and a server restored on the copy starts, logs in and reports an intact audit chain."""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from spot import Server, Suite  # noqa: E402

t = Suite()

WRK_LUA = r"""
local n = 0
local nthreads = 0
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads) end
function init(args) math.randomseed(tid * 7919) end
function request()
  n = n + 1
  local hdr = { ["Cookie"] = COOKIE, ["X-CSRF-Token"] = CSRF, ["Content-Type"] = "application/json" }
  if n % 3 == 0 then
    return wrk.format("GET", "/api/enterprises?page=" .. math.random(1, 50), hdr)
  elseif n % 3 == 1 then
    return wrk.format("PUT", "/api/enterprises/" .. math.random(1, UNITS),
                      hdr, string.format('{"complaints":%d}', n % 9))
  end
  local name = string.format("bk%d_%d_%d", tid, n, os.time())
  return wrk.format("POST", "/api/users", hdr,
                    '{"username":"' .. name .. '","password":"backup-load-password","role":"auditor"}')
end
"""

if not shutil.which("wrk"):
    print("wrk is not installed (Debian package wrk)")
    sys.exit(1)

with Server(demo=True, threads=4) as s:
    admin = s.login()
    units = s.sql("SELECT max(id) FROM enterprises")[0][0]
    script = os.path.join(s.dir, "writes.lua")
    with open(script, "w") as f:
        f.write(f'COOKIE = "{admin.cookie}"\nCSRF = "{admin.csrf}"\nUNITS = {units}\n' + WRK_LUA)
    load = subprocess.Popen(["wrk", "-t2", "-c32", "-d12s", "--timeout", "10s", "-s", script,
                             f"http://127.0.0.1:{s.port}/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    copies = []
    users_before = []
    try:
        time.sleep(2)
        for i in range(3):
            dest = os.path.join(s.dir, f"backup{i}.db")
            users_before.append(s.sql("SELECT count(*) FROM users")[0][0])
            p = s.run("backup", dest, timeout=120)
            t.check(f"backup {i} under load: exit 0", p.returncode == 0, p.stderr)
            copies.append(dest)
            time.sleep(1.5)
    finally:
        out, _ = load.communicate(timeout=120)
    print(out)
    t.check("the load ran (writes happened during the backups)",
            s.sql("SELECT count(*) FROM users")[0][0] > users_before[0] and load.returncode == 0, out[-500:])
    t.check("server alive after backups under load", s.alive(), s.logtext()[-2000:])

for i, dest in enumerate(copies):
    con = sqlite3.connect(dest)
    ic = con.execute("PRAGMA integrity_check").fetchall()
    n_users = con.execute("SELECT count(*) FROM users").fetchone()[0]
    con.close()
    t.check(f"backup {i}: integrity_check ok", ic == [("ok",)], ic[:3])
    t.check(f"backup {i}: a snapshot taken during the load ({n_users} users, >= {users_before[i]})",
            n_users >= users_before[i])
    restored = Server(init=False)
    shutil.copy(dest, restored.db)
    p = restored.run("audit", "verify")
    t.check(f"backup {i}: spotcheck audit verify on the copy", p.returncode == 0, p.stdout + p.stderr)
    with restored:
        st, h = restored.client().get("/api/health")
        a = restored.login()
        st2, v = a.get("/api/audit/verify")
        t.check(f"backup {i}: restored server starts, admin logs in, audit chain intact",
                st == 200 and st2 == 200 and v["ok"] and v["checked"] > 0, (st, h, st2, v))
t.finish()
