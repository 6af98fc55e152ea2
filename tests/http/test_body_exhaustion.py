"""Anonymous memory exhaustion and the request-body limits, against the real server.

Before the fix the whole body was buffered before the session was looked at, and any URL containing
"/attachments" had the 64 MiB upload cap: five anonymous 59 MiB POSTs grew the server by 295 MiB.
Now the session, the route's roles and the CSRF token are checked from the headers before a byte of
the body is accepted; the body cap is the route's (only the upload routes have the upload cap);
all connections together hold at most a fixed budget of body bytes (503 beyond it); and a request
with two Content-Length headers is refused (400)."""
import socket
import threading
import time
from spot import Server, Suite, is_error_body
import json

MIB = 1 << 20


def peak_rss_kib(pid):
    """The server's resident-set high-water mark (VmHWM) in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def parse_reply(data):
    hdr, _, rest = data.partition(b"\r\n\r\n")
    if not hdr:
        return 0, None
    status = int(hdr.split(b" ")[1])
    try:
        return status, json.loads(rest.decode())
    except ValueError:
        return status, rest


def read_reply(sock, timeout):
    """Reads one reply (or what arrives before timeout seconds of silence). Returns bytes."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
        hdr, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = [int(l.split(b":")[1]) for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if length and len(rest) >= length[0]:
                break
    return data


def big_request(port, head, body_len, results, key):
    """Sends head, waits a moment for an early refusal; if none came, sends body_len bytes of body
    (as the old server wanted) and then reads the reply. Stores (status, body, sent) in results[key]."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(head.encode())
    data = read_reply(sock, 1.5)
    sent = 0
    if not data:
        block = b"x" * MIB
        try:
            while sent < body_len:
                n = min(len(block), body_len - sent)
                sock.sendall(block[:n])
                sent += n
        except OSError:
            pass
        data = read_reply(sock, 30)
    sock.close()
    st, body = parse_reply(data)
    results[key] = (st, body, sent)


t = Suite()

with Server() as s:
    admin = s.login()
    port = s.port
    # warm up: a worker on each thread, the rules loaded, a request of each kind
    for _ in range(4):
        admin.get("/api/health")
        s.client().post("/api/login", {"username": "nobody", "password": "warm-up-password"})
    size = 59 * MIB
    attacks = {
        "POST /api/tasks/1/attachments": "POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Type: image/png\r\nContent-Length: %d\r\n\r\n" % size,
        "POST /api/results/1/attachments": "POST /api/results/1/attachments HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Type: image/png\r\nContent-Length: %d\r\n\r\n" % size,
        "POST /api/plans": "POST /api/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: %d\r\n\r\n" % size,
        "POST /api/login": "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: %d\r\n\r\n" % size,
        "PUT /index.html": "PUT /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size,
        "POST /api/x/attachments (chunked)": "POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n"
                                             "Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n",
    }
    expect = {"POST /api/tasks/1/attachments": 401, "POST /api/results/1/attachments": 401,
              "POST /api/plans": 401, "POST /api/login": 413, "PUT /index.html": 405,
              "POST /api/x/attachments (chunked)": 401}
    before = peak_rss_kib(s.proc.pid)
    results = {}
    threads = [threading.Thread(target=big_request, args=(port, head, size, results, name))
               for name, head in attacks.items()]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    grown = peak_rss_kib(s.proc.pid) - before
    for name, code in expect.items():
        st, body, sent = results.get(name, (0, None, 0))
        t.check(f"anonymous 59 MiB {name} refused ({code}) before the body is read",
                st == code and is_error_body(body) and sent == 0, (st, body, sent))
    t.check("anonymous memory exhaustion: peak RSS grew under 1 MiB per connection",
            grown < len(attacks) * 1024, f"grew {grown} KiB")
    t.check("server serves on", admin.get("/api/me")[0] == 200)

    # Two Content-Length headers: refused whether they agree or not (request smuggling, and a
    # server that trusts the first while a proxy trusts the last).
    for name, lines in (("duplicate", "Content-Length: 2\r\nContent-Length: 2\r\n"),
                        ("conflicting", "Content-Length: 2\r\nContent-Length: 40\r\n")):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n{}"
                      % lines).encode())
        st, body = parse_reply(read_reply(sock, 10))
        sock.close()
        t.check(f"{name} Content-Length headers refused 400", st == 400, (st, body))

# The body cap is the route's, not the URL's: a GET on /api/tasks/{id}/attachments (a list) has
# the ordinary cap although its path contains "/attachments"; the upload route has the upload cap.
with Server(env={"SPOTCHECK_BODY_MAX": "4096", "SPOTCHECK_UPLOAD_MAX": str(MIB)}, threads=2) as s:
    admin = s.login()
    port = s.port
    cookie = "Cookie: %s\r\nX-CSRF-Token: %s\r\n" % (admin.cookie, admin.csrf)
    st, body = admin.request("GET", "/api/tasks/1/attachments", raw=b"x" * 5000, content_type="text/plain")
    t.check("a list route whose path contains /attachments keeps the ordinary body cap (413)",
            st == 413 and is_error_body(body, "too_large"), (st, body))
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(("POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n%sContent-Type: image/png\r\n"
                  "Content-Length: %d\r\n\r\n" % (cookie, MIB + 1)).encode())
    st, body = parse_reply(read_reply(sock, 10))
    sock.close()
    t.check("an upload over the upload cap 413 before its body", st == 413 and is_error_body(body, "too_large"),
            (st, body))

    # The budget over all connections: 2 x upload cap + threads x body cap = 2 MiB + 8 KiB here.
    # Two signed-in uploads that declared 1 MiB each and are still sending hold it; a third is
    # refused at once with 503; once they are gone, an upload is admitted again.
    held = []
    for i in range(2):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(("POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n%sContent-Type: image/png\r\n"
                      "Content-Length: %d\r\n\r\n" % (cookie, MIB)).encode())
        held.append(sock)
    time.sleep(0.5)
    t.check("uploads within the budget are admitted (no early reply)",
            all(read_reply(h, 0.5) == b"" for h in held))
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(("POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n%sContent-Type: image/png\r\n"
                  "Content-Length: %d\r\n\r\n" % (cookie, MIB)).encode())
    st, body = parse_reply(read_reply(sock, 10))
    sock.close()
    t.check("an upload beyond the body budget of all connections refused 503", st == 503 and is_error_body(body, "busy"),
            (st, body))
    st, body = admin.get("/api/me")
    t.check("requests without a body are served meanwhile", st == 200, (st, body))
    for h in held:
        h.close()
    time.sleep(0.5)
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(("POST /api/tasks/1/attachments HTTP/1.1\r\nHost: x\r\n%sContent-Type: image/png\r\n"
                  "Content-Length: %d\r\n\r\n" % (cookie, MIB)).encode())
    t.check("the budget is given back when a connection ends", read_reply(sock, 1.0) == b"")
    sock.close()

t.finish()
