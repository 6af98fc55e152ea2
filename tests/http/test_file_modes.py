"""World-readable database and backup files: outside systemd (no UMask=0077) the database, its -wal
and -shm files and `spotcheck backup` output were created 0644 under the usual umask 022, handing
password hashes, ID numbers (身份证号) and the pending draw secrets to every local user. They are
created 0600 whatever the umask."""
import os
import stat
from spot import Server, Suite

t = Suite()
old_umask = os.umask(0o022)  # the server and the CLI inherit it
try:
    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    with Server() as s:
        admin = s.login()
        st, b = admin.post("/api/users", {"username": "modes1", "password": "modes1-password", "role": "auditor"})
        assert st == 201, (st, b)
        t.check("database created 0600 under umask 022", mode(s.db) == 0o600, oct(mode(s.db)))
        for side in ("-wal", "-shm"):
            p = s.db + side
            t.check(f"database {side} file 0600 under umask 022", os.path.exists(p) and mode(p) == 0o600,
                    oct(mode(p)) if os.path.exists(p) else "missing")
        dest = os.path.join(s.dir, "copy.db")
        r = s.run("backup", dest)
        t.check("spotcheck backup output 0600 under umask 022", r.returncode == 0 and mode(dest) == 0o600,
                (r.stderr, oct(mode(dest)) if os.path.exists(dest) else "missing"))
        over = os.path.join(s.dir, "over.db")
        open(over, "w").close()
        os.chmod(over, 0o644)
        r = s.run("backup", over)
        t.check("spotcheck backup over an existing 0644 file leaves it 0600", r.returncode == 0 and mode(over) == 0o600,
                (r.stderr, oct(mode(over))))
finally:
    os.umask(old_umask)

t.finish()
