"""Shared by tests/deploy/test_*.py: locating the tree and the binary, running the packaged helpers,
starting a server the way the systemd unit does, a tiny HTTP client, and the named-check Suite.
Standard library only.

Environment:
  SPOT_SOURCE_DIR   the source tree (default: two levels up from this file)
  SPOTCHECK_BIN     a built spotcheck binary (default: $SPOT_SOURCE_DIR/build/spotcheck)
"""
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.environ.get("SPOT_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.environ.get("SPOTCHECK_BIN") or os.path.join(SRC, "build/spotcheck")
PKG = os.path.join(SRC, "packaging")
HELPERS = os.path.join(PKG, "bin")


class Suite:
    """Named checks with a closing 'N passed, N failed' line; exit status 1 on any failure."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name} {str(detail)[:3000]}", flush=True)
        return cond

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=f"spotcheck-deploy-{prefix}-")


def write_config(path, **keys):
    """A configuration file with the given keys (values as text)."""
    with open(path, "w") as f:
        f.write("# written by tests/deploy\n")
        for k, v in keys.items():
            f.write(f"{k} = {v}\n")
    return path


def run(argv, env=None, timeout=120, input=None):
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, input=input)


def nonblank_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def unit_directives(path):
    """Parses a systemd unit file into {key: [values...]} (section names dropped, order kept)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def exec_argv(value):
    """argv of an Exec*= value (systemd's '-', '@', ':', '+', '!' prefixes removed)."""
    return shlex.split(value.lstrip("-@:+!"))


class Server:
    """`spotcheck serve` as a child process with stderr captured to a file.

    argv: the full command line; env: its environment; port: where it listens."""

    def __init__(self, argv, env, port, logdir):
        self.argv, self.env, self.port = argv, env, port
        self.logpath = os.path.join(logdir, f"serve-{port}.log")
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=self.log)
        if wait:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError("server exited: " + self.logtext())
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            raise AssertionError("server did not start: " + self.logtext())
        return self

    def logtext(self):
        try:
            with open(self.logpath) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None:
            sys.stderr.write("---- server log (tail) ----\n" + self.logtext()[-4000:] + "\n")


class Client:
    """HTTP(S) client keeping the sid cookie and the CSRF token."""

    def __init__(self, port, host="127.0.0.1", tls=False):
        self.port, self.host, self.tls = port, host, tls
        self.cookie = None
        self.csrf = None
        self.last_headers = []

    def _conn(self):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
            return http.client.HTTPSConnection(self.host, self.port, timeout=60, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = self._conn()
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
            h.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h.setdefault("Cookie", self.cookie)
        if self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        self.last_headers = resp.getheaders()
        for k, v in self.last_headers:
            if k.lower() == "set-cookie" and v.startswith("sid="):
                self.cookie = v.split(";")[0]
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        if ctype.startswith("application/json"):
            try:
                return resp.status, json.loads(payload.decode())
            except ValueError:
                pass
        return resp.status, payload

    def header(self, name):
        return [v for k, v in self.last_headers if k.lower() == name.lower()]

    def login(self, username, password):
        st, body = self.request("POST", "/api/login", {"username": username, "password": password})
        if st == 200 and isinstance(body, dict):
            self.csrf = body.get("csrf")
        return st, body


def schema_latest(binary=BIN):
    p = run([binary, "version"], env=dict(os.environ, SPOTCHECK_CONFIG=""))
    m = re.search(r"schema version (\d+)", p.stdout)
    assert m, p.stdout + p.stderr
    return int(m.group(1))


def sqlite_value(db, query):
    import sqlite3
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(query).fetchone()[0]
    finally:
        con.close()


def have(tool):
    return shutil.which(tool) is not None
