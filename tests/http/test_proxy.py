"""Client address behind a reverse proxy: trusted_proxies and X-Forwarded-For.

Without trusted_proxies a forged X-Forwarded-For changes nothing (log, login throttling by address).
With trusted_proxies = 127.0.0.1 the right-most forwarded address that is not a trusted proxy is the
client: it appears as ip= in the request log and login throttling counts per forwarded address.
Malformed headers fall back to the peer; a bad trusted_proxies value stops start-up naming the key.
The per-address limit is THROTTLE_PER_IP in core/domain/auth.c (30 failures in 15 minutes); failed logins
here use a different unknown user name each, so the per-user limit (5) never applies."""
import os
import re
import socket
import time
from spot import Server, Suite, ADMIN_PASSWORD

THROTTLE_PER_IP = 30
t = Suite()
probe_no = 0


def logged_ip(s, path, timeout=10):
    """The ip= field of the request log line for path (written once the reply is sent)."""
    pat = re.compile(r"^request: \S+ " + re.escape(path) + r" \d+ \S+ user=\S+ ip=(\S*)$", re.M)
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = pat.search(s.logtext())
        if m:
            return m.group(1)
        time.sleep(0.05)
    return None


def probe(s, xff):
    """GET a unique path with the given X-Forwarded-For (None: no header; list: one line each)
    over a raw socket, and return the ip= the server logged for it."""
    global probe_no
    probe_no += 1
    path = f"/api/proxy-probe-{probe_no}"
    lines = [] if xff is None else ([xff] if isinstance(xff, str) else xff)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"X-Forwarded-For: {v}\r\n" for v in lines) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(head.encode())
    while sock.recv(65536):
        pass
    sock.close()
    return logged_ip(s, path)


def login(s, user, password, xff):
    return s.client().request("POST", "/api/login", {"username": user, "password": password},
                              headers={"X-Forwarded-For": xff})


def fail_logins(s, n, xff_of):
    """n failed logins, each with a different unknown user name; xff_of(i) gives the header."""
    codes = set()
    for i in range(n):
        st, _ = login(s, f"nobody-{i}", "wrong-password", xff_of(i))
        codes.add(st)
    return codes


# ---- 1. default (trust nobody): the header is ignored ---------------------------------------------
with Server() as s:
    t.check("no trusted_proxies: forged X-Forwarded-For not logged (ip=127.0.0.1)",
            probe(s, "203.0.113.7") == "127.0.0.1", s.logtext()[-500:])
    t.check("no trusted_proxies: no header logs the peer", probe(s, None) == "127.0.0.1")
    codes = fail_logins(s, THROTTLE_PER_IP, lambda i: f"198.51.100.{i + 1}")
    st, body = login(s, "admin", ADMIN_PASSWORD, "192.0.2.99")
    t.check("no trusted_proxies: failures with different forged addresses still throttle the peer (429)",
            codes == {401} and st == 429, (codes, st, body))
    ips = {r[0] for r in s.sql("SELECT DISTINCT ip FROM login_failures")}
    t.check("no trusted_proxies: failures recorded under the peer address", ips == {"127.0.0.1"}, ips)

# ---- 2. trusted_proxies = 127.0.0.1 (environment) -------------------------------------------------
with Server(env={"SPOTCHECK_TRUSTED_PROXIES": "127.0.0.1"}) as s:
    t.check("trusted proxy: X-Forwarded-For: 203.0.113.7 logs ip=203.0.113.7",
            probe(s, "203.0.113.7") == "203.0.113.7", s.logtext()[-500:])
    t.check("trusted proxy: right-most entry is the client (client-supplied entries on the left ignored)",
            probe(s, "198.51.100.1, 203.0.113.8") == "203.0.113.8")
    t.check("trusted proxy: trusted hops on the right are skipped",
            probe(s, "203.0.113.9,127.0.0.1 , 127.0.0.1") == "203.0.113.9")
    t.check("trusted proxy: only trusted hops -> the left-most of them", probe(s, "127.0.0.1") == "127.0.0.1")
    t.check("trusted proxy: several header lines, the last line's last entry wins",
            probe(s, ["198.51.100.1", "203.0.113.10"]) == "203.0.113.10")
    t.check("trusted proxy: IPv6 entry in canonical form", probe(s, "2001:DB8:0:0::1") == "2001:db8::1")
    t.check("trusted proxy: IPv4-mapped IPv6 entry shown as IPv4", probe(s, "::ffff:203.0.113.11") == "203.0.113.11")
    t.check("trusted proxy: no header -> peer", probe(s, None) == "127.0.0.1")
    for bad in ("not-an-address", "203.0.113.7, bogus", "203.0.113.7:8080", "203.0.113.7,", "",
                "fe80::1%eth0", "1.2.3.4.5", "203.0.113.7 198.51.100.1", "x" * 200):
        got = probe(s, bad)
        t.check(f"trusted proxy: malformed X-Forwarded-For {bad[:30]!r} -> peer address", got == "127.0.0.1", got)

    codes = fail_logins(s, THROTTLE_PER_IP, lambda i: "203.0.113.7")
    st_a, _ = login(s, "admin", ADMIN_PASSWORD, "203.0.113.7")
    t.check("trusted proxy: 30 failures from 203.0.113.7 throttle that address (429)",
            codes == {401} and st_a == 429, (codes, st_a))
    st_b, body = login(s, "admin", ADMIN_PASSWORD, "198.51.100.1, 203.0.113.8")
    t.check("trusted proxy: another forwarded address (another user) still logs in (200)", st_b == 200, (st_b, body))
    ips = {r[0] for r in s.sql("SELECT DISTINCT ip FROM login_failures")}
    t.check("trusted proxy: failures recorded under the forwarded address", ips == {"203.0.113.7"}, ips)
    log = s.logtext()
    t.check("trusted proxy: security line names the forwarded address",
            "security: login throttled: user=admin ip=203.0.113.7" in log, log[-800:])

# ---- 3. trusted_proxies lists a different proxy: loopback peers are not believed -------------------
with Server(env={"SPOTCHECK_TRUSTED_PROXIES": "192.0.2.1, ::1"}) as s:
    t.check("peer not in trusted_proxies: header ignored", probe(s, "203.0.113.7") == "127.0.0.1")

# ---- 4. bad values stop start-up with one line naming the key -------------------------------------
s = Server()
for bad in ("10.0.0.0/8", "localhost", "127.0.0.1,,::1", "127.0.0.1,", "127.0.0.1:80", ",".join(["10.0.0.1"] * 33)):
    s.env["SPOTCHECK_TRUSTED_PROXIES"] = bad
    r = s.run("serve", "--listen", f"127.0.0.1:{s.port}", timeout=30)
    lines = r.stderr.strip().splitlines()
    t.check(f"SPOTCHECK_TRUSTED_PROXIES={bad[:24]!r}: serve exits non-zero with one line naming the key",
            r.returncode != 0 and len(lines) == 1 and "trusted_proxies" in lines[0]
            and "SPOTCHECK_TRUSTED_PROXIES" in lines[0], r.stderr)
del s.env["SPOTCHECK_TRUSTED_PROXIES"]
conf = os.path.join(s.dir, "bad.conf")
with open(conf, "w") as f:
    f.write("# proxies\ntrusted_proxies = 127.0.0.1, proxy.example\n")
r = s.run("--config", conf, "serve", "--listen", f"127.0.0.1:{s.port}", timeout=30)
lines = r.stderr.strip().splitlines()
t.check("bad trusted_proxies in the file: one line with file:line and the key",
        r.returncode != 0 and len(lines) == 1 and f"{conf}:2:" in lines[0] and "'trusted_proxies'" in lines[0]
        and "proxy.example" in lines[0], r.stderr)
with open(conf, "w") as f:
    f.write("trusted_proxies = 127.0.0.1 , ::1,2001:db8::7\n")
r = s.run("--config", conf, "version", timeout=30)
t.check("valid list (spaces, IPv6) accepted", r.returncode == 0 and not r.stderr, r.stderr)
with open(conf, "w") as f:
    f.write("trusted_proxies =\n")
r = s.run("--config", conf, "version", timeout=30)
t.check("empty value accepted (trust nobody)", r.returncode == 0 and not r.stderr, r.stderr)

t.finish()
