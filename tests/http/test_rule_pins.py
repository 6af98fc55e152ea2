"""Mutation check of the rule tests: the guideline's fixed values are pinned by literal expectations in
rules/tests, so changing any one of them in a scratch copy of rules/ must make `spotcheck rules test`
fail (and the same tests refuse such a version at PUT/activate, see test_rules.py). Values: the 5%
general floor (5.1.2), the 2-inspector team minimum (7.3), the 20 / 20 / 15 working days (9.1, 9.2),
the 5.1.2 key and general industry lists (and 3.2's list), every holiday and adjusted working day of
HOLIDAYS.md. No server: runs the binary's rule tests on each mutated copy."""
import datetime
import os
import re
import shutil
import subprocess
import tempfile
from spot import BIN, SRC, Suite

t = Suite()
RULES = os.path.join(SRC, "rules")


def run_tests(rules_dir):
    p = subprocess.run([BIN, "rules", "test", "--rules", rules_dir], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def mutated(fname, pattern, repl, count=1):
    """A scratch copy of rules/ with pattern replaced in rules/<fname>; None if the pattern is absent."""
    d = tempfile.mkdtemp(prefix="spot-pins-")
    shutil.copytree(RULES, os.path.join(d, "rules"))
    path = os.path.join(d, "rules", fname)
    with open(path, encoding="utf-8") as f:
        src = f.read()
    new, n = re.subn(pattern, repl, src, count=count, flags=re.M)
    if n == 0:
        shutil.rmtree(d)
        return None, None
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
    return d, os.path.join(d, "rules")


def expect_failure(name, fname, pattern, repl):
    d, rules_dir = mutated(fname, pattern, repl)
    if d is None:
        t.check(name + ": mutation applies", False, pattern)
        return
    try:
        rc, out = run_tests(rules_dir)
        t.check(name + ": rule tests fail", rc == 1 and re.search(r"\n[1-9][0-9]* failed|, [1-9][0-9]* failed", out)
                is not None, out[-400:])
    finally:
        shutil.rmtree(d)


rc, out = run_tests(RULES)
t.check("the shipped rules pass their tests", rc == 0 and ", 0 failed" in out, out[-400:])

# 5.1.2: the general floor.
for v in ("0.001", "0.04", "0.06", "0.10"):
    expect_failure("sampling.general_min_ratio 0.05 -> " + v, "sampling.lua",
                   r"^(M\.general_min_ratio\s*=\s*)0\.05\b", r"\g<1>" + v)
# 6.2: which once-a-year exceptions are scoped to key industries (the sentence names the industries for
# complaints, the key-attention list and serious violations; 失信 is open to all by the preceding sentence).
for field, now, other in (("complaints", "true", "false"), ("watchlist", "true", "false"),
                          ("serious_violation", "true", "false"), ("dishonest", "false", "true")):
    expect_failure(f"eligibility.key_industry_only.{field} {now} -> {other}", "eligibility.lua",
                   r"^(\s*" + field + r"\s*=\s*)" + now + r",", r"\g<1>" + other + ",")
# 9.2: the objection filing period (a county's choice, pinned like the guideline's periods).
for v in ("15", "19", "21", "30"):
    expect_failure("deadlines.objection_filing_days 20 -> " + v, "deadlines.lua",
                   r"^(M\.objection_filing_days\s*=\s*)20\b", r"\g<1>" + v)
# 7.3: the team minimum.
for v in ("1", "3"):
    expect_failure("inspectors.min_team_size 2 -> " + v, "inspectors.lua", r"^(M\.min_team_size\s*=\s*)2\b", r"\g<1>" + v)
# 9.1, 9.2: the periods.
for field, old, new in (("publication_days", "20", "60"), ("publication_days", "20", "21"),
                        ("publication_days", "20", "19"), ("objection_review_days", "20", "21"),
                        ("objection_review_days", "20", "15"), ("feedback_days", "15", "20"),
                        ("feedback_days", "15", "14")):
    expect_failure("deadlines.%s %s -> %s" % (field, old, new), "deadlines.lua",
                   r"^(M\.%s\s*=\s*)%s\b" % (field, old), r"\g<1>" + new)

# 3.2 / 5.1.2: every industry moved to the other category, or left out; a new one added.
with open(os.path.join(RULES, "categories.lua"), encoding="utf-8") as f:
    cats = f.read()
industries = re.findall(r'\{ name = "([^"]+)",\s*category = "(key|general)"', cats)
t.check("categories.lua lists 13 industries", len(industries) == 13, industries)
for name, cat in industries:
    other = "general" if cat == "key" else "key"
    expect_failure("categories: %s %s -> %s" % (name, cat, other), "categories.lua",
                   r'(\{ name = "%s",\s*category = )"%s"' % (re.escape(name), cat), r'\g<1>"%s"' % other)
    expect_failure("categories: %s left out" % name, "categories.lua",
                   r'^\s*\{ name = "%s",[^\n]*\n' % re.escape(name), "")
expect_failure("categories: an industry added to 3.2", "categories.lua",
               r'^(M\.industries = \{\n)', r'\g<1>  { name = "房地产", category = "general", clause = "5.1.2" },\n')

# HOLIDAYS.md: every recorded day off and adjusted working day, removed, and moved by a day.
with open(os.path.join(RULES, "calendar.lua"), encoding="utf-8") as f:
    cal = f.read()
dates = sorted(set(re.findall(r'"(20\d\d-\d\d-\d\d)"', cal)) - {"2024-11-12", "2025-11-04"})
t.check("calendar.lua records 72 holiday and 调休 dates", len(dates) == 33 + 28 + 11, len(dates))
for d in dates:
    expect_failure("calendar: %s removed" % d, "calendar.lua", r'"%s",? ?' % d, "")
    moved = (datetime.date.fromisoformat(d) + datetime.timedelta(days=1)).isoformat()
    if moved not in dates:
        expect_failure("calendar: %s moved to %s" % (d, moved), "calendar.lua", r'"%s"' % d, '"%s"' % moved)

t.finish()
