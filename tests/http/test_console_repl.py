"""The Lua console on a terminal and `spotcheck run` (the admin scripts), on the demo database.

The REPL is driven through a pseudo-terminal (python's pty module), as a person would use it:
multi-line function definition then call, expression echo, an error with its line, Ctrl-C on a
runaway loop returns to the prompt and the next command works, Ctrl-C at the prompt clears the line,
Ctrl-D leaves, also when typed the moment the prompt shows. Then the sandbox seen from the console: writes through db.query, ATTACH, io.open,
os.execute and report.csv outside the export directory are refused. Then each scripts/admin/*.lua
runs on the demo data with exit status 0 and its headings. Wired into ctest by tests/tests.cmake's
tests/http/test_*.py glob (this file lives here for that reason)."""
import os
import pty
import re
import select
import signal
import sqlite3
import time
import unicodedata
from spot import Server, Suite, BIN, SRC

t = Suite()
PROMPT = b"> "


class Repl:
    """`spotcheck console` on a pty."""

    def __init__(self, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN, "console"], env)
        self.buf = b""

    def read_until(self, pattern, timeout=20):
        """Reads until the bytes read since the last call match pattern; returns them."""
        end = time.time() + timeout
        start = len(self.buf)
        while time.time() < end:
            if re.search(pattern, self.buf[start:]):
                return self.buf[start:].decode(errors="replace")
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(self.fd, 65536)
                except OSError:
                    break
                if not d:
                    break
                self.buf += d
        return self.buf[start:].decode(errors="replace")

    def send(self, data):
        os.write(self.fd, data if isinstance(data, bytes) else data.encode())

    def line(self, text, expect=rb"\n> $", timeout=20):
        self.send(text + "\r")
        return self.read_until(expect, timeout)

    def wait_exit(self, timeout):
        """The exit code once the console exits by itself within timeout; None (after a kill) if not."""
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            self.read_until(rb"(?!x)x", 0.1)   # just drain
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return None

    def close(self):
        try:
            self.send(b"\x04")
            end = time.time() + 10
            while time.time() < end:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return os.waitstatus_to_exitcode(status)
                self.read_until(rb"(?!x)x", 0.1)   # just drain
            print("console did not exit; last output: %r" % self.buf[-300:])
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return None
        finally:
            os.close(self.fd)


s = Server(demo=True)
env = dict(s.env, HOME=s.dir, SPOTCHECK_EXPORT_DIR=os.path.join(s.dir, "exports"), TERM="dumb")
s.env = env
demo_units = s.sql("SELECT count(*) FROM enterprises")[0][0]
t.check("demo database has units", demo_units > 0, demo_units)

# ---- the REPL on a terminal ----
r = Repl(env)
banner = r.read_until(rb"> $")
t.check("console starts with a banner and a prompt", "help()" in banner and banner.endswith("> "), banner)

out = r.line("function twice(x)", rb">> $")
t.check("incomplete chunk gets the continuation prompt", out.endswith(">> "), out)
out = r.line("  return x * 2", rb">> $")
out = r.line("end")
out = r.line("twice(21)")
t.check("multi-line function defined then called", "42" in out, out)

out = r.line("1 + 2, 'x'")
t.check("expression results echoed", re.search(r"3\tx", out) is not None, out)

out = r.line("print('hello', 7)")
t.check("print output shown", "hello\t7" in out, out)

out = r.line("x = nil + 1")
t.check("a runtime error names console and its line", "console:1:" in out and "arithmetic" in out, out)
r.line("if true then")
out = r.line("  error('second line')", rb">> $")
out = r.line("end")
t.check("an error inside a multi-line chunk names its line", "console:2: second line" in out, out)

out = r.line("db.query('SELECT count(*) AS n FROM enterprises')[1].n")
t.check("db.query works in the REPL", str(demo_units) in out, out)

r.send("while true do end\r")
time.sleep(0.8)
r.send(b"\x03")
out = r.read_until(rb"interrupted[\s\S]*\n> $", 20)
t.check("Ctrl-C stops a runaway loop and returns to the prompt", "interrupted" in out and out.endswith("> "), out)
out = r.line("6 * 7")
t.check("the next command works after Ctrl-C", "42" in out, out)

r.send("this is half a line")
time.sleep(0.3)
r.send(b"\x03")
r.read_until(rb"\n> $", 10)
out = r.line("'after'")
t.check("Ctrl-C at the prompt clears the line", "after" in out and "syntax error" not in out, out)

out = r.line("rules.eval('categories', 'category', '机械')")
t.check("rules.eval calls the active rule", "general" in out and "5.1.2" in out, out)

code = r.close()
t.check("Ctrl-D leaves with status 0", code == 0, code)
# libedit prints the prompt before it switches the terminal to raw mode; a Ctrl-D that arrives in that
# gap reached the kernel's canonical mode, came out as a NUL and was lost (CI saw it once at the final
# Ctrl-D above; unfixed, about 1 start in 30 loses it here, so this check catches a regression most
# of the time, not always). Fresh consoles get Ctrl-D the moment their first prompt shows.
lost = 0
for _ in range(30):
    q = Repl(env)
    q.read_until(rb"> $")
    q.send(b"\x04")
    if q.wait_exit(10) != 0:
        lost += 1
t.check("Ctrl-D typed the moment the prompt shows is not lost (30 fresh consoles)", lost == 0, lost)
hist = os.path.join(s.dir, ".spotcheck_history")
t.check("history saved to ~/.spotcheck_history", os.path.exists(hist) and "twice" in open(hist, errors="replace").read())
t.check("history file is private (0600)", os.path.exists(hist) and (os.stat(hist).st_mode & 0o077) == 0,
        oct(os.stat(hist).st_mode) if os.path.exists(hist) else None)

# ---- piped input (no terminal) ----
p = s.run("console", input="function f(a)\n  return a + 1\nend\nf(1)\nprint('piped')\n")
t.check("piped console runs multi-line input", p.returncode == 0 and "2\n" in p.stdout and "piped" in p.stdout,
        (p.returncode, p.stdout, p.stderr))
p = s.run("console", input="error('bad')\n")
t.check("piped console exits 1 after an error, message on stderr", p.returncode == 1 and "console:1: bad" in p.stderr,
        (p.returncode, p.stderr))

# ---- the sandbox, seen from the console ----
def console(code):
    return s.run("console", input=code + "\n")


before = s.sql("SELECT count(*) FROM enterprises")[0][0]
for name, sql in [("INSERT", "INSERT INTO meta(key, value) VALUES ('x', 'y')"),
                  ("DELETE", "DELETE FROM enterprises"),
                  ("UPDATE", "UPDATE enterprises SET name = 'x'"),
                  ("CREATE", "CREATE TABLE t(x)"),
                  ("a write after a SELECT", "SELECT 1; DELETE FROM enterprises"),
                  ("PRAGMA write", "PRAGMA journal_mode = DELETE"),
                  ("a write in a CTE", "WITH x AS (SELECT 1) DELETE FROM enterprises")]:
    p = console("db.query(%r)" % sql)
    t.check("Try write through db.query: %s refused" % name,
            p.returncode == 1 and "db.query is read-only" in p.stderr, p.stderr)
t.check("database unchanged after write attempts", s.sql("SELECT count(*) FROM enterprises")[0][0] == before and
        not s.sql("SELECT 1 FROM meta WHERE key = 'x'"))

p = console("db.query(\"ATTACH '/etc/passwd' AS p\")")
t.check("Try read /etc/passwd with ATTACH: refused", p.returncode == 1 and "ATTACH is not allowed" in p.stderr, p.stderr)
p = console("io.open('/etc/passwd')")
t.check("Try read /etc/passwd with io.open: blocked", p.returncode == 1 and "blocked Lua function: io.open" in p.stderr, p.stderr)
p = console("os.execute('id')")
t.check("Try run a process with os.execute: blocked", p.returncode == 1 and "blocked Lua function: os.execute" in p.stderr, p.stderr)
p = console("io.popen('id')")
t.check("Try run a process with io.popen: blocked", p.returncode == 1 and "blocked" in p.stderr, p.stderr)
p = console("load(string.dump(print))")
t.check("Try load bytecode: blocked", p.returncode == 1 and "blocked" in p.stderr, p.stderr)
p = console("report.csv('../../etc/x.csv', {{a = 1}})")
t.check("Try write outside the export dir with report.csv ../: refused",
        p.returncode == 1 and "invalid file name" in p.stderr and not os.path.exists("/etc/x.csv"), p.stderr)
p = console("report.csv('/tmp/x.csv', {{a = 1}})")
t.check("Try report.csv with an absolute path: refused", p.returncode == 1 and "invalid file name" in p.stderr, p.stderr)
p = console("db.query('SELECT id_number FROM inspectors LIMIT 1')[1].id_number == nil")
t.check("身份证号 reads as NULL through db.query", p.returncode == 0 and p.stdout.strip() == "true", p.stdout)
p = console("db.query('SELECT password_hash FROM users')[1].password_hash == nil")
t.check("password hashes read as NULL through db.query", p.returncode == 0 and p.stdout.strip() == "true", p.stdout)
p = console("directory.inspectors{limit = 1}[1].id_number == nil")
t.check("directory.inspectors has no 身份证号", p.returncode == 0 and p.stdout.strip() == "true", p.stdout)

path = os.path.join(env["SPOTCHECK_EXPORT_DIR"], "units.csv")
p = console("report.csv('units.csv', directory.enterprises{limit = 5}, {'uscc', {'name', '单位名称'}})")
t.check("report.csv writes into the export directory and returns the path",
        p.returncode == 0 and p.stdout.strip().startswith(os.path.realpath(env["SPOTCHECK_EXPORT_DIR"])) and
        os.path.exists(path), (p.stdout, p.stderr))
if os.path.exists(path):
    lines = open(path, encoding="utf-8-sig").read().splitlines()
    t.check("CSV has a header and 5 rows", len(lines) == 6 and lines[0] == "uscc,单位名称", lines[:2])
p = console("report.csv('units.csv', {})")
t.check("report.csv refuses to overwrite without {overwrite = true}", p.returncode == 1 and "exists" in p.stderr, p.stderr)

p = console("local d = draw.simulate{candidates = {'A3', 'A1', 'A2', 'A4'}, n = 2, witness = 'w'} "
            "return #d.selected, d.algorithm, #d.secret")
t.check("draw.simulate selects n with a fresh secret", p.returncode == 0 and p.stdout.strip() == "2\tspotcheck-draw-v1\t64",
        (p.stdout, p.stderr))
p = console("report.table({{name = '高青县化工厂', n = 12}, {name = 'ab', n = 3}}, {'name', 'n'})")


def width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


lines = p.stdout.splitlines()
t.check("report.table aligns CJK text by display width (wide characters count 2)",
        p.returncode == 0 and len(lines) >= 4 and width(lines[0]) == width(lines[2]) == width(lines[3]) and
        width(lines[1]) == width(lines[2]), p.stdout)

audit = s.sql("SELECT actor, details FROM audit WHERE action = 'console.run' ORDER BY id")
t.check("every console chunk audited as cli:<user> with its code",
        len(audit) > 10 and all(a.startswith("cli:") for a, _ in audit) and
        any("twice" in d for _, d in audit) and any("sha256" in d for _, d in audit), audit[:2])

# ---- administrator scripts on the demo data ----
scripts = {
    "annual_summary.lua": ["Annual summary", "Units drawn per industry and stratum", "Sampling floor check",
                           "Results by category"],
    "overdue.lua": ["Overdue and due-soon deadlines", "Deadlines (rules.deadlines)"],
    "workload.lua": ["Inspector workload", "Units per inspector", "By level"],
    "directory_quality.lua": ["Directory quality", "Enterprise directory", "Inspector directory",
                              "Inspector problems"],
}
for name, headings in scripts.items():
    p = s.run("run", os.path.join(SRC, "scripts/admin", name))
    t.check("script %s runs on the demo data (exit 0)" % name, p.returncode == 0, (p.returncode, p.stderr[-2000:]))
    missing = [h for h in headings if h not in p.stdout]
    t.check("script %s prints its headings" % name, not missing, (missing, p.stdout[:800]))
    t.check("script %s prints aligned tables" % name, re.search(r"^-+(  -+)+$", p.stdout, re.M) is not None)

p = s.run("run", os.path.join(SRC, "scripts/admin/overdue.lua"), "2030-01-01", "--all")
t.check("script arguments reach arg[]", p.returncode == 0 and "as of 2030-01-01" in p.stdout, p.stderr)
audit = s.sql("SELECT actor, object, details FROM audit WHERE action = 'script.run' ORDER BY id DESC LIMIT 1")
t.check("script run audited with its code and arguments",
        audit and audit[0][0].startswith("cli:") and audit[0][1] == "script:overdue.lua" and
        "warning_level" in audit[0][2] and "2030-01-01" in audit[0][2], audit)

bad = os.path.join(s.dir, "bad.lua")
with open(bad, "w") as f:
    f.write("local x = 1\nlocal y = 2\nerror('on line three')\n")
p = s.run("run", bad)
t.check("a failing script exits 1 naming file:line", p.returncode == 1 and "bad.lua:3: on line three" in p.stderr, p.stderr)
p = s.run("run", os.path.join(s.dir, "missing.lua"))
t.check("a missing script file is one clear error", p.returncode != 0 and "cannot read" in p.stderr, p.stderr)

t.finish()
