"""TLS through nginx, with the site configuration shipped in packaging/nginx/spotcheck.conf (the one
docs/OPERATIONS.md shows): only ports, addresses and certificate paths are substituted. nginx runs
from a temporary prefix on loopback ports (never the system configuration) with a self-signed
certificate made by openssl; spotcheck runs with secure_cookie = 1 and trusted_proxies = 127.0.0.1.
Logs in over https and checks the Secure cookie, the CSRF header passing through, security headers,
HSTS, the body size limit, the http -> https redirect and the client address from X-Forwarded-For;
then draws a task and re-checks its announcement with `spotcheck verify --cacert CA https://…`.

Environment: SPOTCHECK_BIN (binary), SPOT_SOURCE_DIR (tree). Exit status 77 (skipped) without
nginx or openssl."""
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploylib import BIN, PKG, SRC, Client, Server, Suite, free_port, run, tempdir, write_config

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
if not NGINX or not shutil.which("openssl"):
    print("skipped: nginx (Debian nginx-light) and openssl are needed")
    sys.exit(77)

PW = "tls-test-admin-pw"
t = Suite()
work = tempdir("tls")
db = os.path.join(work, "spotcheck.db")
spot_port, https_port, http_port = free_port(), free_port(), free_port()
conf = write_config(os.path.join(work, "spotcheck.conf"), db_path=db, rules_dir=os.path.join(SRC, "rules"),
                    web_dir=os.path.join(SRC, "web"), listen=f"127.0.0.1:{spot_port}", threads=2,
                    secure_cookie=1, per_ip_limit=1000, trusted_proxies="127.0.0.1")
env = {"PATH": os.environ["PATH"], "SPOTCHECK_CONFIG": conf, "SPOTCHECK_ADMIN_PASSWORD": PW}
p = run([BIN, "init", "--demo"], env=env)   # demo data: a task can be drawn and its announcement verified
t.check("init", p.returncode == 0, p.stderr)

# Self-signed certificate.
crt, key = os.path.join(work, "spotcheck.pem"), os.path.join(work, "spotcheck.key")
p = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
         "/CN=spotcheck.example.gov.cn", "-addext", "subjectAltName=DNS:spotcheck.example.gov.cn,IP:127.0.0.1",
         "-keyout", key, "-out", crt])
t.check("openssl makes a self-signed certificate", p.returncode == 0, p.stderr)

# The shipped site file, with its ports, addresses and certificate paths substituted.
site = open(os.path.join(PKG, "nginx/spotcheck.conf")).read()
subs = [
    (r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{spot_port};"),
    (r"^\s*listen \[::\]:\d+.*;\n", ""),
    (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
    (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
    (r"ssl_certificate\s+\S+;", f"ssl_certificate {crt};"),
    (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};"),
]
for pattern, repl in subs:
    site, n = re.subn(pattern, repl, site, flags=re.M)
    t.check(f"site file has the line to substitute: {pattern}", n >= 1)
prefix = os.path.join(work, "nginx")
os.makedirs(os.path.join(prefix, "tmp"))
open(os.path.join(prefix, "site.conf"), "w").write(site)
open(os.path.join(prefix, "nginx.conf"), "w").write(f"""
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    default_type application/octet-stream;
    include {prefix}/site.conf;
}}
""")
if os.geteuid() == 0:
    # Worker processes run as nobody: let them reach the temporary folders.
    os.chmod(work, 0o755)
    os.chmod(prefix, 0o777)
    os.chmod(os.path.join(prefix, "tmp"), 0o777)
nginx_argv = [NGINX, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"), "-e", os.path.join(prefix, "error.log")]
p = run(nginx_argv + ["-t"])
t.check("nginx -t accepts the shipped site file", p.returncode == 0, p.stderr)

nginx = subprocess.Popen(nginx_argv + ["-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    with Server([BIN, "serve"], env, spot_port, work) as srv:
        srv.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                break
            except OSError:
                if nginx.poll() is not None:
                    break
                time.sleep(0.05)
        t.check("nginx listens", nginx.poll() is None, nginx.stderr.read().decode() if nginx.poll() is not None else "")

        c = Client(https_port, tls=True)
        st, health = c.request("GET", "/api/health")
        t.check("GET https://.../api/health through nginx: 200 ok", st == 200 and health.get("status") == "ok",
                (st, health))
        t.check("HSTS header added by nginx", any("max-age=" in v for v in c.header("Strict-Transport-Security")))
        t.check("spotcheck's security headers pass through",
                "frame-ancestors 'none'" in " ".join(c.header("Content-Security-Policy")) and
                c.header("X-Content-Type-Options") == ["nosniff"], c.last_headers)

        st, body = c.login("admin", PW)
        cookie = [v for v in c.header("Set-Cookie") if v.startswith("sid=")]
        t.check("login over https: 200", st == 200, (st, body))
        t.check("session cookie has Secure, HttpOnly, SameSite=Strict (secure_cookie = 1)",
                cookie and all(a in [x.strip() for x in cookie[0].split(";")] for a in
                               ("Secure", "HttpOnly", "SameSite=Strict")), cookie)
        st, me = c.request("GET", "/api/me")
        t.check("cookie works through the proxy: GET /api/me", st == 200 and me.get("username") == "admin", (st, me))
        st, body = c.request("POST", "/api/users", {"username": "tls-user", "password": "tls-user-pass-1",
                                                    "role": "planner"})
        t.check("X-CSRF-Token passes through: POST /api/users 201", st == 201, (st, body))
        nocsrf = Client(https_port, tls=True)
        nocsrf.cookie = c.cookie
        st, body = nocsrf.request("POST", "/api/users", {"username": "tls-x", "password": "tls-user-pass-1",
                                                         "role": "planner"})
        t.check("without X-CSRF-Token: spotcheck's 403 csrf", st == 403 and isinstance(body, dict) and
                body.get("error") == "csrf", (st, body))

        # 2 MiB: above nginx's default 1 MiB, below upload_max: spotcheck answers, not nginx's HTML 413.
        big = b'{"username":"admin","password":"' + b"x" * (2 << 20) + b'"}'
        st, body = Client(https_port, tls=True).request("POST", "/api/login", raw=big)
        t.check("a 2 MiB body reaches spotcheck (client_max_body_size), JSON answer",
                isinstance(body, dict) and "error" in body, (st, body if isinstance(body, dict) else body[:200]))

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", https_port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="spotcheck.example.gov.cn") as s:
                version = s.version()
        t.check("TLS 1.2 or 1.3", version in ("TLSv1.2", "TLSv1.3"), version)

        # A client at 127.0.0.2 (still loopback) forging X-Forwarded-For: nginx appends the real
        # address, spotcheck (trusting 127.0.0.1, nginx) takes the right-most untrusted entry.
        with socket.create_connection(("127.0.0.1", https_port), source_address=("127.0.0.2", 0)) as raw:
            with ctx.wrap_socket(raw, server_hostname="spotcheck.example.gov.cn") as s:
                s.sendall(b"GET /api/health?via=127.0.0.2 HTTP/1.1\r\nHost: spotcheck.example.gov.cn\r\n"
                          b"X-Forwarded-For: 198.51.100.77\r\nConnection: close\r\n\r\n")
                while s.recv(65536):
                    pass

        # `spotcheck verify` over https through nginx (SPEC §12): a locked task's announcement, with
        # the test's self-signed certificate passed as the CA (--cacert); refused without it.
        st, items = c.request("GET", "/api/items")
        item = next(i for i in items["items"] if i["checkpoints"])
        st, task = c.request("POST", "/api/tasks", {
            "name": "TLS 核验测试任务", "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": ["烟花爆竹"]},
            "directed": False, "lead_unit": "高青县应急管理局", "start_date": "2026-03-02", "end_date": "2026-03-20"})
        t.check("a task is created over https", st == 201, (st, task))
        tid = task.get("id") if isinstance(task, dict) else None
        for step, body in (("freeze", {"witness": "监督人", "beacon_source": "福彩3D 2026058期开奖号码"}),
                           ("draw", {"witness": "监督人", "beacon": "3 7 1"}),
                           ("lock", {"witness": "纪检监督人", "beacon_source": "福彩3D 2026059期开奖号码"}),
                           ("teams", {"witness": "纪检监督人", "beacon": "5 2 8"})):
            st, b = c.request("POST", f"/api/tasks/{tid}/{step}", body)
            t.check(f"task {step} over https", st in (200, 201), (st, b))
        url = f"https://127.0.0.1:{https_port}/api/public/tasks/{tid}"
        p = run([BIN, "verify", "--cacert", crt, url])
        t.check("spotcheck verify --cacert CA https://… through nginx: a draw v2 announcement verified, exit 0",
                p.returncode == 0 and p.stdout.rstrip().endswith("verified") and "ok   selection" in p.stdout and
                "ok   witness_commitment" in p.stdout and "ok   beacon_source" in p.stdout,
                (p.returncode, p.stdout[-800:], p.stderr))
        p = run([BIN, "verify", url])
        t.check("without --cacert the self-signed certificate is refused (exit 1, names the certificate)",
                p.returncode == 1 and "certificate" in p.stderr.lower(), (p.returncode, p.stderr))
        p = run([BIN, "verify", "--cacert", crt, f"https://127.0.0.1:{https_port}/api/public/tasks/999999"])
        t.check("an unknown announcement: exit 1 with HTTP 404", p.returncode == 1 and "HTTP 404" in p.stderr,
                (p.returncode, p.stderr))

        plain = Client(http_port)
        st, _ = plain.request("GET", "/api/health")
        loc = plain.header("Location")
        t.check("plain http: 301 to https", st == 301 and loc and loc[0].startswith("https://"), (st, loc))

        time.sleep(0.3)
        log = srv.logtext()
        t.check("spotcheck logged the proxied requests (one line each)",
                re.search(r"^request: POST /api/users 201 .* user=admin ip=127\.0\.0\.1$", log, re.M), log[-1500:])
        t.check("client address through nginx: ip= is the real client, not the proxy or a forged entry",
                re.search(r"^request: GET /api/health 200 .* ip=127\.0\.0\.2$", log, re.M) and
                "198.51.100.77" not in log, log[-1500:])
        t.check("no password or token in the spotcheck log", PW not in log and (c.csrf or "?") not in log and
                (c.cookie or "sid=?").split("=", 1)[1] not in log)
finally:
    nginx.terminate()
    try:
        nginx.wait(10)
    except subprocess.TimeoutExpired:
        nginx.kill()
        nginx.wait()

shutil.rmtree(work, ignore_errors=True)
t.finish()
