"""The audit trail anchored outside the database.

A hash chain alone proves nothing against someone who can write the database file: before this, the
chain still verified after its newest 10 records were deleted, and after a record was changed and
every later hash recomputed. Now the head is published (GET /api/public/audit-head, one anchor
record a day; every locked task's announcement carries the lock's audit record id and hash), and
`spotcheck audit verify --anchor FILE|URL` proves the published heads are still in the chain, naming
the first missing or altered record otherwise."""
import hashlib
import json
import os
import shutil
import sqlite3
from spot import Server, Suite, bureau_today, dispatched_task, staff_clients

t = Suite()


def rewrite_from(db, victim, actor):
    """The rewrite attack: changes the actor of record victim and recomputes every hash from it on,
    as audit.c computes them (SHA-256 of the previous hash followed by the compact sorted JSON)."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_no_update")
    rows = con.execute("SELECT id, at, actor, action, object, details, prev_hash FROM audit WHERE id >= ? ORDER BY id",
                       (victim,)).fetchall()
    prev = rows[0][6]
    for rid, at, act, action, obj, details, _ in rows:
        if rid == victim:
            act = actor
        d = json.loads(details) if details else None
        canon = json.dumps({"id": rid, "at": at, "actor": act, "action": action, "object": obj, "details": d},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        h = hashlib.sha256((prev + canon).encode()).hexdigest()
        con.execute("UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?", (act, prev, h, rid))
        prev = h
    con.commit()
    con.close()


def truncate(db, n):
    """The truncation attack: deletes the newest n records."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_no_delete")
    con.execute("DELETE FROM audit WHERE id > (SELECT max(id) FROM audit) - ?", (n,))
    con.commit()
    con.close()


with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    anon = s.client()

    st, page = anon.get("/api/public/audit-head")
    t.check("the audit head is public", st == 200 and isinstance(page.get("id"), int) and len(page.get("hash", "")) == 64
            and page.get("time", "").endswith("Z") and page["anchors"][0]["id"] == page["id"], (st, page))
    rec = s.sql("SELECT action, actor, hash, json_extract(details, '$.date') FROM audit WHERE id = ?", page["id"])
    t.check("the published head is the day's anchor record in the chain, dated by the bureau's day (UTC+8)",
            rec == [("audit.anchor", "system", page["hash"], bureau_today().isoformat())], rec)
    st, again = anon.get("/api/public/audit-head")
    t.check("one anchor a day: the page stays the same", st == 200 and again["id"] == page["id"] and
            s.sql("SELECT count(*) FROM audit WHERE action = 'audit.anchor'")[0][0] == 1, again)
    anchor_file = os.path.join(s.dir, "anchor.json")
    with open(anchor_file, "w") as f:
        json.dump(page, f)
    url = f"http://127.0.0.1:{s.port}/api/public/audit-head"

    # A locked task's announcement carries the lock's audit record.
    task, item, teams = dispatched_task(planner, "2026年锚定测试抽查", "2026-11-03", "2026-11-14", "烟花爆竹")
    st, ann = anon.get(f"/api/public/tasks/{task['id']}")
    lock = s.sql("SELECT id, hash FROM audit WHERE action = 'task.lock' AND object = ?", f"task:{task['id']}")
    t.check("the announcement carries the audit head at its lock",
            st == 200 and ann.get("audit_head") == {"id": lock[0][0], "hash": lock[0][1]}, (st, ann.get("audit_head")))
    ann_file = os.path.join(s.dir, "announcement.json")
    with open(ann_file, "w") as f:
        json.dump(ann, f, ensure_ascii=False)
    for i in range(5):  # a few more records after the lock
        st, b = admin.post("/api/users", {"username": f"later{i}", "password": f"later-{i}-password", "role": "auditor"})
        assert st == 201, (st, b)

    r = s.run("audit", "verify", "--anchor", url)
    t.check("verify --anchor URL passes on the intact trail", r.returncode == 0 and "intact" in r.stdout,
            r.stdout + r.stderr)
s.stop()

r = s.run("audit", "verify", "--anchor", anchor_file, "--anchor", ann_file)
t.check("verify --anchor FILE (page and announcement) passes on the intact trail",
        r.returncode == 0 and "1 published head found" in r.stdout, r.stdout + r.stderr)

# Truncation: the newest 10 records deleted (the announcement's lock record among them).
last = s.sql("SELECT max(id) FROM audit")[0][0]
lock_id = ann["audit_head"]["id"]
t.check("setup: the lock record is among the newest 10", lock_id > last - 10, (lock_id, last))
cut = os.path.join(s.dir, "cut.db")
shutil.copy(s.db, cut)
truncate(cut, 10)
r = s.run("--db", cut, "audit", "verify")
t.check("setup: truncation passes the plain chain check (the attack)", r.returncode == 0, r.stdout + r.stderr)
r = s.run("--db", cut, "audit", "verify", "--anchor", ann_file)
t.check("truncation of the newest 10 records caught by the announcement's anchor, first missing record named",
        r.returncode != 0 and f"audit record {last - 9} is missing" in r.stderr, r.stdout + r.stderr)

# Rewrite: a record before the anchor changed and every later hash recomputed.
victim = s.sql("SELECT id FROM audit WHERE action = 'user.create' AND object = 'user:2'")[0][0]
rw = os.path.join(s.dir, "rewrite.db")
shutil.copy(s.db, rw)
rewrite_from(rw, victim, "mallory")
r = s.run("--db", rw, "audit", "verify")
t.check("setup: the rewrite with recomputed hashes passes the plain chain check (the attack)",
        r.returncode == 0, r.stdout + r.stderr)
r = s.run("--db", rw, "audit", "verify", "--anchor", anchor_file)
t.check("rewrite with recomputed hashes caught by the published head, altered record named",
        r.returncode != 0 and f"audit record {page['id']} was altered" in r.stderr and
        f"at or before record {page['id']}" in r.stderr, r.stdout + r.stderr)
r = s.run("--db", rw, "audit", "verify", "--anchor", ann_file)
t.check("rewrite caught by the announcement's anchor too", r.returncode != 0 and
        f"audit record {lock_id} was altered" in r.stderr, r.stdout + r.stderr)

bad = os.path.join(s.dir, "nothing.json")
with open(bad, "w") as f:
    f.write('{"task": {}}')
r = s.run("audit", "verify", "--anchor", bad)
t.check("a file without a published head is an error, not a pass", r.returncode != 0 and
        "no published audit head" in r.stderr, r.stdout + r.stderr)

t.finish()
