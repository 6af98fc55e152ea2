"""openpyxl for the .xlsx tests. It comes from Debian's python3-openpyxl (scripts/lib.sh, test-only),
which only Debian's /usr/bin/python3 sees: when the python3 running the test is another one (a
pyenv shim first on PATH), the test re-runs itself under /usr/bin/python3."""
import os
import sys

try:
    import openpyxl  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise
