"""The Debian package end to end: builds the .deb with CPack, checks its contents, control data,
maintainer scripts, unit, configuration file and man page, extracts it into a throwaway root and
runs the unit's ExecStartPre / ExecStart / ExecStartPost command lines from there against a fresh
database, checks /api/health and the log lines, then the three start-up failures (bad
configuration, missing database directory, port in use): one clear line and a non-zero exit each.

Environment: SPOT_SOURCE_DIR (tree), SPOT_DEPLOY_DEB (use this .deb instead of building one),
SPOT_DEPLOY_KEEP=1 (keep the temporary folder)."""
import glob
import gzip
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploylib import (SRC, Client, Server, Suite, exec_argv, free_port, nonblank_lines, run, tempdir,
                       unit_directives, write_config)

t = Suite()
work = tempdir("package")
if not os.environ.get("SPOT_DEPLOY_KEEP"):
    import atexit
    atexit.register(shutil.rmtree, work, True)
started = time.time()

# ---- 1. build the package ------------------------------------------------------------------------
deb = os.environ.get("SPOT_DEPLOY_DEB")
if not deb:
    build = os.path.join(work, "build")
    p = run(["cmake", "-S", SRC, "-B", build, "-DCMAKE_INSTALL_PREFIX=/usr", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
            timeout=300)
    if not t.check("cmake configure with -DCMAKE_INSTALL_PREFIX=/usr", p.returncode == 0, p.stdout + p.stderr):
        t.finish()
    p = run(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", "package"], timeout=600)
    debs = glob.glob(os.path.join(build, "spotcheck_*.deb"))
    if not t.check("cmake --build --target package makes one .deb", p.returncode == 0 and len(debs) == 1,
                   (p.stdout + p.stderr)[-3000:]):
        t.finish()
    deb = debs[0]
    print(f"     built {os.path.basename(deb)} in {time.time() - started:.0f}s", flush=True)

# ---- 2. contents ------------------------------------------------------------------------------------
p = run(["dpkg-deb", "-c", deb])
listing = {}
for line in p.stdout.splitlines():
    f = line.split()
    path = f[5].lstrip(".")
    listing[path.rstrip("/") if len(path) > 1 else path] = (f[0], f[1])
expected = {
    "/usr/bin/spotcheck": "-rwxr-xr-x",
    "/lib/systemd/system/spotcheck.service": "-rw-r--r--",
    "/lib/systemd/system/spotcheck-backup.service": "-rw-r--r--",
    "/lib/systemd/system/spotcheck-backup.timer": "-rw-r--r--",
    "/etc/spotcheck/spotcheck.conf": "-rw-r--r--",
    "/usr/share/man/man1/spotcheck.1.gz": "-rw-r--r--",
    "/usr/lib/spotcheck/spotcheck-prestart": "-rwxr-xr-x",
    "/usr/lib/spotcheck/spotcheck-ready": "-rwxr-xr-x",
    "/usr/lib/spotcheck/spotcheck-backup": "-rwxr-xr-x",
    "/usr/lib/spotcheck/conf.sh": "-rw-r--r--",
    "/usr/share/doc/spotcheck/copyright": "-rw-r--r--",
    "/usr/share/doc/spotcheck/nginx-spotcheck.conf": "-rw-r--r--",
}
for path, mode in expected.items():
    t.check(f"package has {path} {mode}", listing.get(path, ("",))[0] == mode, listing.get(path))
t.check("every file owned by root:root", all(o == "root/root" for _, o in listing.values()))
for sub in ("rules", "web"):
    src_files = sorted(os.path.relpath(os.path.join(d, f), SRC) for d, _, fs in os.walk(os.path.join(SRC, sub))
                       for f in fs if "node_modules" not in d and not f.startswith("package")
                       and not f.startswith(".") and "/." not in d)
    missing = [f for f in src_files if "/usr/share/spotcheck/" + f not in listing]
    t.check(f"package has every file of {sub}/ under /usr/share/spotcheck/{sub}", src_files and not missing,
            missing or "empty source folder")
t.check("package has the rule tests (rules/tests/*_test.lua)",
        any(re.match(r"/usr/share/spotcheck/rules/tests/\w+_test\.lua$", f) for f in listing))
t.check("package has no node_modules or package*.json",
        not any("node_modules" in f or re.search(r"/package(-lock)?\.json$", f) for f in listing))
if os.path.isdir(os.path.join(SRC, "scripts/admin")):
    admin = [f for f in os.listdir(os.path.join(SRC, "scripts/admin")) if not f.startswith(".")]
    t.check("package has scripts/admin under /usr/share/spotcheck/scripts/admin",
            all(f"/usr/share/spotcheck/scripts/admin/{f}" in listing for f in admin), admin)
if os.path.exists(os.path.join(SRC, "docs/OPERATIONS.md")):
    t.check("package has OPERATIONS.md", "/usr/share/doc/spotcheck/OPERATIONS.md" in listing)

# ---- 3. control data and maintainer scripts ---------------------------------------------------------
ctl = os.path.join(work, "control")
run(["dpkg-deb", "-e", deb, ctl])
control = open(os.path.join(ctl, "control")).read()
depends = re.search(r"^Depends: (.*)$", control, re.M)
depends = depends.group(1) if depends else ""
dep_names = {d.strip().split()[0] for alt in depends.split(",") for d in alt.split("|") if d.strip()}
t.check("Package: spotcheck, Architecture set", re.search(r"^Package: spotcheck$", control, re.M) and
        re.search(r"^Architecture: \S+$", control, re.M), control)
t.check("Depends on adduser and sqlite3 (postinst, pre-upgrade copy)", {"adduser", "sqlite3"} <= dep_names, depends)
# Every shared library the binary needs is provided by a declared dependency.
root = os.path.join(work, "root")
run(["dpkg-deb", "-x", deb, root])
binary = os.path.join(root, "usr/bin/spotcheck")
needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", run(["readelf", "-d", binary]).stdout)
owners = {}
ldcache = run(["ldconfig", "-p"]).stdout
for lib in needed:
    m = re.search(r"^\s*" + re.escape(lib) + r" \(.*\) => (\S+)$", ldcache, re.M)
    owners[lib] = None
    if m:
        real = os.path.realpath(m.group(1))
        for cand in (m.group(1), real, re.sub(r"^/usr(?=/lib)", "", real)):
            q = run(["dpkg", "-S", cand])
            if q.returncode == 0:
                owners[lib] = q.stdout.split(":")[0].strip()
                break
undeclared = {lib: pkg for lib, pkg in owners.items() if not pkg or pkg not in dep_names}
t.check("every NEEDED library's Debian package is in Depends", needed and not undeclared,
        f"undeclared={undeclared} depends={depends}")
for lib in ("liblua5.4-0", "libsqlite3-0", "libmicrohttpd12", "libjansson4", "libsodium23"):
    t.check(f"Depends names {lib}", lib in dep_names, depends)
conffiles = open(os.path.join(ctl, "conffiles")).read().split()
t.check("conffiles = /etc/spotcheck/spotcheck.conf", conffiles == ["/etc/spotcheck/spotcheck.conf"], conffiles)
for script in ("postinst", "prerm", "postrm"):
    path = os.path.join(ctl, script)
    ok = os.path.exists(path) and os.stat(path).st_mode & 0o777 == 0o755
    ok = ok and run(["sh", "-n", path]).returncode == 0
    t.check(f"maintainer script {script}: present, 0755, valid sh", ok)

# postinst with stub commands (no real user or systemd touched): DPKG_ROOT is the throwaway root.
stubs = os.path.join(work, "stubs")
os.makedirs(stubs)
calls = os.path.join(work, "calls.log")
for cmd, rc in (("adduser", 0), ("getent", 2), ("chown", 0), ("systemctl", 0)):
    with open(os.path.join(stubs, cmd), "w") as f:
        f.write(f"#!/bin/sh\necho \"{cmd} $*\" >> {calls}\nexit {rc}\n")
    os.chmod(os.path.join(stubs, cmd), 0o755)
fake = os.path.join(work, "fakeroot-postinst")
os.makedirs(os.path.join(fake, "run/systemd/system"))
env = dict(os.environ, PATH=stubs + ":" + os.environ["PATH"], DPKG_ROOT=fake)
p = run([os.path.join(ctl, "postinst"), "configure", ""], env=env)
log = open(calls).read() if os.path.exists(calls) else ""
t.check("postinst configure (first install) exits 0", p.returncode == 0, p.stderr)
t.check("postinst creates the system user spotcheck with adduser --system",
        re.search(r"^adduser --system --group .*--home /var/lib/spotcheck .*spotcheck$", log, re.M), log)
t.check("postinst makes /var/lib/spotcheck 0750 owned by spotcheck",
        os.path.isdir(os.path.join(fake, "var/lib/spotcheck")) and
        stat.S_IMODE(os.stat(os.path.join(fake, "var/lib/spotcheck")).st_mode) == 0o750 and
        f"chown spotcheck:spotcheck {fake}/var/lib/spotcheck" in log, log)
t.check("postinst enables and starts spotcheck.service, not the backup timer",
        "systemctl enable spotcheck.service" in log and "systemctl start spotcheck.service" in log and
        "timer" not in log, log)
open(calls, "w").close()
p = run([os.path.join(ctl, "postinst"), "configure", "0.0.9"], env=env)
log = open(calls).read()
t.check("postinst configure after an upgrade: try-restart only",
        p.returncode == 0 and "systemctl try-restart spotcheck.service" in log and "enable" not in log, log)
open(calls, "w").close()
p = run([os.path.join(ctl, "prerm"), "remove"], env=env)
log = open(calls).read()
t.check("prerm remove stops the service and the timer",
        p.returncode == 0 and "stop spotcheck-backup.timer spotcheck.service" in log, log)
open(calls, "w").close()
p = run([os.path.join(ctl, "prerm"), "upgrade", "0.2.0"], env=env)
t.check("prerm upgrade leaves the service running", p.returncode == 0 and open(calls).read() == "")
p = run([os.path.join(ctl, "postrm"), "purge"], env=env)
t.check("postrm purge keeps the database directory",
        p.returncode == 0 and os.path.isdir(os.path.join(fake, "var/lib/spotcheck")), p.stderr)

# ---- 4. the systemd units ----------------------------------------------------------------------------
unit = unit_directives(os.path.join(root, "lib/systemd/system/spotcheck.service"))
want = {
    "User": "spotcheck", "Group": "spotcheck", "StateDirectory": "spotcheck", "NoNewPrivileges": "yes",
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "CapabilityBoundingSet": "", "ReadWritePaths": "/var/lib/spotcheck", "Restart": "on-failure",
    "WantedBy": "multi-user.target",
}
for k, v in want.items():
    t.check(f"spotcheck.service {k}={v}", unit.get(k) == [v], unit.get(k))
for k in ("ExecStartPre", "ExecStart", "ExecStartPost"):
    vals = unit.get(k, [])
    ok = len(vals) == 1 and os.access(os.path.join(root, exec_argv(vals[0])[0].lstrip("/")), os.X_OK)
    t.check(f"spotcheck.service {k} runs a packaged program", ok, vals)
t.check("ExecStart is /usr/bin/spotcheck serve", exec_argv(unit["ExecStart"][0]) == ["/usr/bin/spotcheck", "serve"])
t.check("unit sets SPOTCHECK_CONFIG=/etc/spotcheck/spotcheck.conf",
        "SPOTCHECK_CONFIG=/etc/spotcheck/spotcheck.conf" in unit.get("Environment", []))
bunit = unit_directives(os.path.join(root, "lib/systemd/system/spotcheck-backup.service"))
timer = unit_directives(os.path.join(root, "lib/systemd/system/spotcheck-backup.timer"))
t.check("spotcheck-backup.service: oneshot as spotcheck running the packaged helper",
        bunit.get("Type") == ["oneshot"] and bunit.get("User") == ["spotcheck"] and
        exec_argv(bunit["ExecStart"][0])[0] == "/usr/lib/spotcheck/spotcheck-backup", bunit)
t.check("spotcheck-backup.timer: daily, Persistent, timers.target",
        timer.get("OnCalendar") and timer.get("Persistent") == ["true"] and timer.get("WantedBy") == ["timers.target"],
        timer)
t.check("systemd-analyze is installed (scripts/lib.sh installs systemd)", shutil.which("systemd-analyze"))
if shutil.which("systemd-analyze"):
    # Offline check of the unit syntax; the programs are looked up in the extracted root.
    vdir = os.path.join(work, "verify")
    os.makedirs(vdir)
    for name in ("spotcheck.service", "spotcheck-backup.service", "spotcheck-backup.timer"):
        text = open(os.path.join(root, "lib/systemd/system", name)).read()
        text = re.sub(r"(Exec\w+=)(/usr/\S+)", lambda m: m.group(1) + root + m.group(2), text)
        open(os.path.join(vdir, name), "w").write(text)
    p = run(["systemd-analyze", "verify", "--man=no", *[os.path.join(vdir, n) for n in
                                                         ("spotcheck.service", "spotcheck-backup.service",
                                                          "spotcheck-backup.timer")]],
            env=dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
    problems = [l for l in (p.stdout + p.stderr).splitlines() if l.strip()]
    t.check("systemd-analyze verify: units are clean", p.returncode == 0 and not problems, p.stdout + p.stderr)
    p = run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", os.path.join(vdir, "spotcheck.service")])
    exposure = re.search(r"Overall exposure level for spotcheck.service: ([\d.]+)", p.stdout)
    t.check("systemd-analyze security: exposure at most 2.0 (\"OK\")", p.returncode == 0 and exposure,
            exposure.group(0) if exposure else p.stdout[-2000:] + p.stderr)
    if exposure:
        print(f"     {exposure.group(0)}", flush=True)

# ---- 5. man page --------------------------------------------------------------------------------------
man_src = gzip.open(os.path.join(root, "usr/share/man/man1/spotcheck.1.gz"), "rt").read()
mpath = os.path.join(work, "spotcheck.1")
open(mpath, "w").write(man_src)
p = run(["groff", "-man", "-ww", "-z", mpath])
t.check("man page: groff -man -ww finds nothing to warn about", p.returncode == 0 and not p.stderr.strip(), p.stderr)
p = run(["man", "-l", mpath], env=dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING=""))
rendered = re.sub(r".\x08", "", p.stdout)
commands_section = rendered.split("\nCOMMANDS\n", 1)[-1].split("\nCONFIGURATION\n", 1)[0]
documented = set(re.findall(r"^ {7}(\w+(?: test| verify)?)", commands_section, re.M))
helptext = run([binary, "help"], env=dict(os.environ, SPOTCHECK_CONFIG="")).stdout
in_help = set(re.findall(r"^  (\w+(?: test| verify)?)", helptext, re.M))
t.check("man page documents every command of `spotcheck help`", in_help and in_help <= documented,
        f"help={sorted(in_help)} man={sorted(documented)}")
issue_cmds = {"init", "serve", "import", "console", "run", "verify", "rules test", "backup", "audit verify", "version"}
t.check("man page documents init, serve, import, console, run, verify, rules test, backup, audit verify, version",
        issue_cmds <= documented, sorted(issue_cmds - documented))

# ---- 6. configuration file: every key of core/lib/config.c, defaults valid ----------------------------
csrc = open(os.path.join(SRC, "core/lib/config.c")).read()
keys = set(re.findall(r'!strcmp\(key, "(\w+)"\)', csrc)) | set(re.findall(r'\{"(\w+)", \d', csrc))
envs = set(re.findall(r'"(SPOTCHECK_\w+)"', csrc)) - {"SPOTCHECK_CONFIG"}
conf_text = open(os.path.join(root, "etc/spotcheck/spotcheck.conf")).read()
conf_keys = set(re.findall(r"^#?(\w+) = ", conf_text, re.M))
t.check("spotcheck.conf documents every key of core/lib/config.c", keys and keys <= conf_keys, sorted(keys - conf_keys))
t.check("spotcheck.conf names every SPOTCHECK_* variable of core/lib/config.c", all(e in conf_text for e in envs),
        sorted(e for e in envs if e not in conf_text))
active = dict(re.findall(r"^(\w+) = (.*)$", conf_text, re.M))
t.check("packaged conf sets db_path, rules_dir, web_dir, secure_cookie explicitly",
        active.get("db_path") == "/var/lib/spotcheck/spotcheck.db" and
        active.get("rules_dir") == "/usr/share/spotcheck/rules" and
        active.get("web_dir") == "/usr/share/spotcheck/web" and active.get("secure_cookie") == "1", active)
uncommented = os.path.join(work, "all-defaults.conf")
open(uncommented, "w").write(re.sub(r"^#(\w+ = )", r"\1", conf_text, flags=re.M))
p = run([binary, "--config", uncommented, "version"], env={"PATH": os.environ["PATH"]})
t.check("every documented default is a valid value", p.returncode == 0 and not p.stderr, p.stderr)

# ---- 7. start it as the unit does, from the extracted root -----------------------------------------
state = os.path.join(work, "state")
os.makedirs(state)
port = free_port()
conf = os.path.join(work, "spotcheck.conf")
text = conf_text.replace("/var/lib/spotcheck", state).replace("/usr/share/spotcheck", root + "/usr/share/spotcheck")
open(conf, "w").write(text + f"listen = 127.0.0.1:{port}\nsecure_cookie = 0\nthreads = 2\n")


def unit_env(config):
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "SPOTCHECK_BIN": binary}
    for e in unit.get("Environment", []):
        k, _, v = e.partition("=")
        env[k] = v
    env["SPOTCHECK_CONFIG"] = config
    return env


def unit_argv(key):
    argv = exec_argv(unit[key][0])
    return [root + argv[0]] + argv[1:]


env = unit_env(conf)
p = run(unit_argv("ExecStartPre"), env=env, timeout=120)
m = re.search(r"^admin password \(shown once\): (\S+)$", p.stdout, re.M)
t.check("ExecStartPre creates the database and prints the admin password once", p.returncode == 0 and m and
        os.path.exists(os.path.join(state, "spotcheck.db")), p.stdout + p.stderr)
admin_pw = m.group(1) if m else "?"
p2 = run(unit_argv("ExecStartPre"), env=env, timeout=120)
t.check("ExecStartPre again: database kept, no new password, no pre-upgrade copy",
        p2.returncode == 0 and "password" not in p2.stdout and not glob.glob(os.path.join(state, "pre-upgrade-*")),
        p2.stdout + p2.stderr)

secrets = {}
with Server(unit_argv("ExecStart"), env, port, work) as srv:
    srv.start(wait=False)
    t0 = time.time()
    p = run(unit_argv("ExecStartPost"), env=dict(env, MAINPID=str(srv.proc.pid)), timeout=90)
    t.check("ExecStartPost (readiness) succeeds once /api/health answers", p.returncode == 0,
            p.stdout + p.stderr + srv.logtext())
    print(f"     ready after {time.time() - t0:.1f}s", flush=True)
    c = Client(port)
    st, health = c.request("GET", "/api/health")
    t.check("GET /api/health 200 status ok, rules loaded, schema current",
            st == 200 and isinstance(health, dict) and health.get("status") == "ok" and health.get("rules_loaded")
            and health.get("schema_version") == health.get("schema_latest"), (st, health))
    st, page = c.request("GET", "/")
    t.check("GET / serves the packaged web/index.html", st == 200 and
            page == open(os.path.join(root, "usr/share/spotcheck/web/index.html"), "rb").read(), st)

    # Requests that carry secrets: none of them may reach the log.
    secrets = {
        "wrong password": "Wrong-Secret-Pw-4711",
        "admin password": admin_pw,
        "ID number in a password": "11010519491231002X",
        "ID number in a query": "110101199003077777",
        "token in a query": "qtok-5e1f9c0d2b",
    }
    made = []
    st, _ = c.request("POST", "/api/login", {"username": "admin", "password": secrets["wrong password"]})
    made.append(("POST", "/api/login", 401))
    st, _ = c.request("POST", "/api/login", {"username": "admin", "password": secrets["ID number in a password"]})
    made.append(("POST", "/api/login", 401))
    # An ID number typed into the user name field, and a user name that tries to forge a log line.
    secrets["ID number as a user name"] = "370322198807150018"
    c.request("POST", "/api/login", {"username": secrets["ID number as a user name"], "password": "x-pass-1234"})
    made.append(("POST", "/api/login", 401))
    forged = "request: GET /forged-line 200 0.1ms user=admin ip=10.9.8.7"
    c.request("POST", "/api/login", {"username": "x\n" + forged, "password": "x-pass-1234"})
    made.append(("POST", "/api/login", 401))
    st, body = c.login("admin", admin_pw)
    t.check("admin logs in with the password from ExecStartPre's output", st == 200, (st, body))
    made.append(("POST", "/api/login", 200))
    secrets["session cookie"] = (c.cookie or "sid=?").split("=", 1)[1]
    secrets["CSRF token"] = c.csrf or "?"
    c.request("GET", "/api/me")
    made.append(("GET", "/api/me", 200))
    c.request("GET", f"/api/health?token={secrets['token in a query']}&id_no={secrets['ID number in a query']}")
    made.append(("GET", "/api/health", 200))
    nocsrf = Client(port)
    nocsrf.cookie = c.cookie
    st, _ = nocsrf.request("POST", "/api/logout", {})
    made.append(("POST", "/api/logout", 403))
    time.sleep(0.3)
srvlog = srv.logtext()
lines = nonblank_lines(srvlog)
req_re = re.compile(r"^request: (GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (/\S*) (\d{3}) \d+\.\dms user=(\S+) ip=(\S+)$")
sec_re = re.compile(r"^security: [a-z][a-z ]*: .+$")
other = [l for l in lines if not (req_re.match(l) or sec_re.match(l) or l.startswith("spotcheck: "))]
t.check("every log line is 'request: ...', 'security: ...' or 'spotcheck: ...'", not other, other)
reqs = [req_re.match(l).groups() for l in lines if req_re.match(l)]
t.check("one request line per request, with method, path (no query), status",
        all(any(r[0] == m and r[1] == pth and int(r[2]) == s for r in reqs) for m, pth, s in made) and
        len(reqs) >= len(made) + 3, (made, reqs))
t.check("request line of the logged-in request names the user",
        any(r[1] == "/api/me" and r[3] == "user=admin" or (r[1] == "/api/me" and r[3] == "admin") for r in reqs),
        reqs)
t.check("security line for each failed login", sum("security: login failed" in l for l in lines) == 4, lines)
t.check("a user name cannot forge a log line (control characters escaped)",
        not any(l.startswith("request: GET /forged-line") for l in lines), [l for l in lines if "forged" in l])
t.check("security line for the refused CSRF token", any(l.startswith("security: csrf refused") for l in lines), lines)
leaked = [name for name, s in secrets.items() if s and s in srvlog]
t.check("no password, cookie, CSRF token, query token or ID number in the log", not leaked, leaked)

# ---- 8. start-up failures: one clear line, non-zero exit ------------------------------------------


def one_line_failure(name, argv, env, must):
    p = run(argv, env=env, timeout=60)
    errs = nonblank_lines(p.stderr)
    ok = p.returncode != 0 and len(errs) == 1 and all(s in errs[0] for s in must) and not p.stdout.strip()
    t.check(f"{name}: exit {p.returncode}, one line on stderr naming {must}", ok,
            f"rc={p.returncode} stderr={p.stderr!r} stdout={p.stdout!r}")


bad = os.path.join(work, "bad.conf")
open(bad, "w").write(text + f"listen = 127.0.0.1:{port}\nthreads = lots\n")
one_line_failure("bad configuration (ExecStart)", unit_argv("ExecStart"), unit_env(bad), ["threads", "lots"])
one_line_failure("bad configuration (ExecStartPre)", unit_argv("ExecStartPre"), unit_env(bad), ["threads"])
open(bad, "w").write(text + "listen_port = 80\n")
one_line_failure("unknown configuration key", unit_argv("ExecStart"), unit_env(bad), ["listen_port"])
one_line_failure("bad environment override", unit_argv("ExecStart"), dict(env, SPOTCHECK_LISTEN="localhost"),
                 ["SPOTCHECK_LISTEN", "listen"])

nodir = os.path.join(work, "no-such-dir")
missing = os.path.join(work, "missing.conf")
open(missing, "w").write(text.replace(os.path.join(state, "spotcheck.db"), os.path.join(nodir, "spotcheck.db")) +
                         f"listen = 127.0.0.1:{port}\n")
one_line_failure("missing database directory (ExecStartPre)", unit_argv("ExecStartPre"), unit_env(missing), [nodir])
one_line_failure("missing database directory (ExecStart)", unit_argv("ExecStart"), unit_env(missing), [nodir])
t.check("missing database directory: nothing created", not os.path.exists(nodir))

blocker = socket.socket()
blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
blocker.bind(("127.0.0.1", port))
blocker.listen(1)
one_line_failure("port in use (ExecStart)", unit_argv("ExecStart"), env, [str(port)])
# The readiness check notices a main process that died instead of waiting for its timeout.
dead = subprocess.Popen(["true"])
dead.wait()
blocker.close()
t0 = time.time()
p = run(unit_argv("ExecStartPost"), env=dict(env, MAINPID=str(dead.pid), SPOTCHECK_READY_TIMEOUT="30"), timeout=60)
t.check("ExecStartPost fails fast when the main process has exited",
        p.returncode != 0 and time.time() - t0 < 5 and len(nonblank_lines(p.stderr)) == 1, p.stderr)

print(f"     {time.time() - started:.0f}s in all", flush=True)
if os.environ.get("SPOT_DEPLOY_KEEP"):
    print(f"     kept {work}")
t.finish()
