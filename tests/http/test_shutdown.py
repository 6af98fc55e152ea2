"""The server stops on SIGTERM and SIGINT, every time, whichever of its threads the kernel would hand
the signal to: it answers what it has, saves the sessions' last-seen times and exits 0.

The server once waited for the signal with pause() in its main thread and a handler setting a flag;
when the kernel delivered the signal to a request or Lua thread instead, the main thread slept on
and the server ran until killed (its systemd unit would wait 90 s, and lose the last-seen times).
Run also under libfaketime (tests/tests.cmake, dates.*), where that happened about once in ten
stops."""
import signal
import time
from spot import Server, Suite

t = Suite()
ROUNDS = 12

with Server() as s:
    s.stop()
    slow = []
    for i in range(ROUNDS):
        s.start()
        c = s.login()
        st, _ = c.get("/api/public/meta")   # the request threads and the Lua lane have run
        sig = signal.SIGINT if i % 3 == 2 else signal.SIGTERM
        t0 = time.monotonic()
        s.proc.send_signal(sig)
        try:
            rc = s.proc.wait(5)
        except Exception:
            s.proc.kill()
            s.proc.wait()
            rc = None
        took = time.monotonic() - t0
        if rc != 0 or st != 200:
            slow.append((i, sig.name, rc, round(took, 2), st))
        s.proc = None
    t.check(f"{ROUNDS} starts: each stops on its signal (SIGTERM, or SIGINT every third) within 5 s, exit code 0",
            not slow, slow)
    t.check("and the last stop saved the sessions' last-seen times",
            "sessions' last-seen times not saved" not in s.logtext(), s.logtext()[-800:])

t.finish()
