"""Backups while the server runs and serves writes, and a restore: `spotcheck backup` (and the
packaged spotcheck-backup helper of the timer) copy a live database that grows under a writer; each
copy passes PRAGMA integrity_check and `spotcheck --db COPY audit verify`, holds every change
acknowledged before the backup began, and a server started on the restored copy accepts logins.

Environment: SPOTCHECK_BIN (binary), SPOT_SOURCE_DIR (tree)."""
import os
import shutil
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploylib import (BIN, HELPERS, SRC, Client, Server, Suite, free_port, nonblank_lines, run, tempdir,
                       write_config)

PW = "backup-test-admin-pw"
t = Suite()
work = tempdir("backup")
live = os.path.join(work, "live.db")
conf = write_config(os.path.join(work, "spotcheck.conf"), db_path=live, rules_dir=os.path.join(SRC, "rules"),
                    web_dir=os.path.join(SRC, "web"), threads=4, per_ip_limit=1000)
env = {"PATH": os.environ["PATH"], "SPOTCHECK_CONFIG": conf, "SPOTCHECK_ADMIN_PASSWORD": PW, "SPOTCHECK_BIN": BIN}
p = run([BIN, "init"], env=env)
t.check("init", p.returncode == 0, p.stderr)

# Make the database some 20 MB so that a copy takes many backup steps while writes go on.
con = sqlite3.connect(live)
con.execute("CREATE TABLE deploy_test_filler(id INTEGER PRIMARY KEY, pad BLOB)")
con.executemany("INSERT INTO deploy_test_filler(pad) VALUES (randomblob(4000))", [()] * 5000)
con.commit()
con.close()

port = free_port()


class Writer(threading.Thread):
    """Creates users one after another (each an audited write) and notes when each was acknowledged."""

    def __init__(self, port, prefix):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.prefix = prefix
        self.acked = []  # (time acknowledged, username)
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        st, body = self.client.login("admin", PW)
        if st != 200:
            self.errors.append(("login", st, body))
            return
        i = 0
        while not self.stop.is_set():
            i += 1
            name = f"{self.prefix}{i:05d}"
            try:
                st, body = self.client.request("POST", "/api/users",
                                               {"username": name, "password": "writer-pass-123", "role": "planner"})
            except OSError as e:
                st, body = -1, str(e)
            if st == 201:
                self.acked.append((time.time(), name))
            else:
                self.errors.append((name, st, body))


def users_in(db):
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("SELECT username FROM users")}
    finally:
        con.close()


def check_copy(label, copy, began):
    """A copy is sound, its audit chain intact, and it holds every user acknowledged before `began`."""
    t.check(f"{label}: PRAGMA integrity_check = ok",
            sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    p = run([BIN, "--db", copy, "audit", "verify"], env={"PATH": os.environ["PATH"]})
    t.check(f"{label}: spotcheck --db COPY audit verify", p.returncode == 0 and "intact" in p.stdout,
            p.stdout + p.stderr)
    have = users_in(copy)
    before = [n for at, n in writers_acked() if at < began]
    t.check(f"{label}: holds all {len(before)} users acknowledged before the backup began",
            before and all(n in have for n in before), [n for n in before if n not in have][:5])


writers = []


def writers_acked():
    return [a for w in writers for a in w.acked]


with Server([BIN, "serve", "--listen", f"127.0.0.1:{port}"], env, port, work) as srv:
    srv.start()
    writers = [Writer(port, "wa"), Writer(port, "wb")]
    for w in writers:
        w.start()
    time.sleep(1.5)

    copies = []
    for n in range(3):
        dest = os.path.join(work, f"copy{n}.db")
        began = time.time()
        p = run([BIN, "backup", dest], env=env, timeout=120)
        ended = time.time()
        time.sleep(1)
        # Writes go on around the copy (a small copy may take less time than one write).
        during = sum(1 for at, _ in writers_acked() if began - 1 <= at <= ended + 1)
        t.check(f"backup {n} while serving writes: exit 0 in {ended - began:.2f}s, "
                f"{during} writes acknowledged within 1s of it",
                p.returncode == 0 and f"backup written to {dest}" in p.stdout and during > 0,
                p.stdout + p.stderr)
        copies.append((dest, began))
        time.sleep(0.3)

    # The timer's helper: writes a dated, checked copy into a folder and prunes old ones.
    bdir = os.path.join(work, "backups")
    os.makedirs(bdir)
    old = os.path.join(bdir, "spotcheck-20000101T000000Z.db")
    open(old, "w").close()
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    began = time.time()
    p = run([os.path.join(HELPERS, "spotcheck-backup"), bdir], env=dict(env, SPOTCHECK_BACKUP_KEEP_DAYS="14"),
            timeout=120)
    made = sorted(f for f in os.listdir(bdir) if f.startswith("spotcheck-") and f.endswith(".db"))
    t.check("spotcheck-backup helper: exit 0, one new checked copy, 30-day-old copy deleted",
            p.returncode == 0 and len(made) == 1 and not os.path.exists(old) and "audit chain intact" in p.stdout,
            (p.stdout + p.stderr, made))
    t.check("spotcheck-backup helper leaves no .partial, -wal or -shm files",
            sorted(os.listdir(bdir)) == made, os.listdir(bdir))
    if made:
        copies.append((os.path.join(bdir, made[0]), began))
        t.check("spotcheck-backup copy is private (0600)", os.stat(os.path.join(bdir, made[0])).st_mode & 0o077 == 0)

    time.sleep(1)
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(60)
    t.check(f"writers: {len(writers_acked())} users created, no write failed during backups",
            len(writers_acked()) > 10 and not any(w.errors for w in writers), [w.errors[:3] for w in writers])
    t.check("server log: no error lines", not [l for l in nonblank_lines(srv.logtext())
                                                if not l.startswith(("request: ", "security: ", "spotcheck: serving",
                                                                     "spotcheck: stopped"))],
            srv.logtext()[-2000:])

for i, (copy, began) in enumerate(copies):
    check_copy(f"copy {i}", copy, began)

# Restore, as docs/OPERATIONS.md says: service stopped; copy the backup over the database file
# (its -wal and -shm removed); audit verify; start.
restore_dir = os.path.join(work, "restored")
os.makedirs(restore_dir)
restored = os.path.join(restore_dir, "spotcheck.db")
shutil.copyfile(copies[0][0], restored)
p = run([BIN, "--db", restored, "audit", "verify"], env={"PATH": os.environ["PATH"]})
t.check("restored copy: audit verify", p.returncode == 0, p.stdout + p.stderr)
t.check("restored copy: integrity_check ok",
        sqlite3.connect(restored).execute("PRAGMA integrity_check").fetchone()[0] == "ok")
port2 = free_port()
renv = dict(env, SPOTCHECK_DB=restored)
with Server([BIN, "serve", "--listen", f"127.0.0.1:{port2}"], renv, port2, work) as srv:
    srv.start()
    c = Client(port2)
    st, health = c.request("GET", "/api/health")
    t.check("server on the restored copy: /api/health ok", st == 200 and health.get("status") == "ok", (st, health))
    st, _ = c.login("admin", PW)
    t.check("server on the restored copy: admin logs in", st == 200)
    # A user acknowledged before copy 0 began (the first ack of a writer may come after it).
    before0 = [n for at, n in writers_acked() if at < copies[0][1]]
    first = before0[0] if before0 else "?"
    t.check("some users were acknowledged before copy 0 began", bool(before0), len(writers_acked()))
    st, _ = Client(port2).login(first, "writer-pass-123")
    t.check("server on the restored copy: a user created before the backup logs in", st == 200, st)

shutil.rmtree(work, ignore_errors=True)
t.finish()
