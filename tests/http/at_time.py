"""Runs an HTTP test as if it were a given moment: at_time.py LIBFAKETIME 2026-12-31T17:30:00Z test.py

libfaketime moves the clock of the test and of every process it starts (the server) by one offset
from the real clock, computed here, so their clocks agree with each other (its "@" start-at form
starts each process's clock anew and leaves the server seconds behind the test)."""
import calendar
import os
import subprocess
import sys
import time

lib, when, script = sys.argv[1:4]
offset = calendar.timegm(time.strptime(when, "%Y-%m-%dT%H:%M:%SZ")) - int(time.time())
env = dict(os.environ, LD_PRELOAD=lib, FAKETIME="%+d" % offset)
# the moved clock must be in effect, or the test would run at today's time and prove nothing
seen = subprocess.run([sys.executable, "-c", "import time; print(int(time.time()))"], env=env, capture_output=True,
                      text=True).stdout.strip()
target = offset + int(time.time())
if not seen.isdigit() or abs(int(seen) - target) > 60:
    sys.exit("at_time.py: the clock did not move to %s (saw %r): is %s libfaketime?" % (when, seen, lib))
os.execve(sys.executable, [sys.executable, script] + sys.argv[4:], env)
