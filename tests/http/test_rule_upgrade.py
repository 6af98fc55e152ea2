"""Shipped rules after an upgrade (spotcheck serve): a rule whose active version is the one the system
installed, and whose shipped file is new, becomes the shipped file as a new version, audited as
rule.upgrade (here inspectors.lua from before direct appointment by name, without appointable: after
the upgrade the appointment candidates work); a rule an administrator stored stays, and the log says
a new shipped version exists; a start with nothing new changes nothing."""
import hashlib
import os
from spot import SRC, Server, Suite

t = Suite()
RULES = os.path.join(SRC, "rules")


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


s = Server()
shipped_insp = open(os.path.join(RULES, "inspectors.lua"), encoding="utf-8").read()
shipped_samp = open(os.path.join(RULES, "sampling.lua"), encoding="utf-8").read()
# an installation from before: its system-installed inspectors.lua had no appointable
start = shipped_insp.index("-- 7.3“……不足的，由执行单位直接委派”")
end = shipped_insp.index("-- replacement(code)")
old_insp = shipped_insp[:start] + shipped_insp[end:]
assert "appointable" not in old_insp.split("function M.replacement")[0].split("M.fallback")[1]
s.sql("UPDATE rule_versions SET source = ?, sha256 = ? WHERE name = 'inspectors' AND active = 1", old_insp, sha(old_insp))
# and, over an older shipped sampling.lua, an administrator's own (another default ratio)
old_samp = shipped_samp.replace("key_low = 0.10,", "key_low = 0.12,")
admin_samp = shipped_samp.replace("key_other = 0.15,", "key_other = 0.20,")
assert old_samp != shipped_samp and admin_samp != shipped_samp
s.sql("UPDATE rule_versions SET active = 0, source = ?, sha256 = ? WHERE name = 'sampling'", old_samp, sha(old_samp))
s.sql("INSERT INTO rule_versions(name, version, source, sha256, author, created_at, active) "
      "VALUES ('sampling', 2, ?, ?, 'admin', '2026-01-01T00:00:00Z', 1)", admin_samp, sha(admin_samp))

with s:
    rows = s.sql("SELECT version, sha256, author, active FROM rule_versions WHERE name = 'inspectors' ORDER BY version")
    t.check("the system-installed inspectors.lua becomes the shipped file as version 2, active, by system",
            rows == [(1, sha(old_insp), "system", 0), (2, sha(shipped_insp), "system", 1)], rows)
    audit = s.sql("SELECT actor, object FROM audit WHERE action = 'rule.upgrade'")
    t.check("the upgrade is in the audit trail", audit == [("system", "inspectors")], audit)
    t.check("the administrator's sampling.lua stays active",
            s.sql("SELECT version, author FROM rule_versions WHERE name = 'sampling' AND active = 1") == [(2, "admin")])
    t.check("the log names the new shipped sampling.lua and the version that stays",
            "sampling: a new shipped version" in s.logtext() and "stored by admin, stays" in s.logtext(), s.logtext()[-600:])
    admin = s.login()
    st, b = admin.post("/api/rules/eval", {"rule": "inspectors", "fn": "appointable",
                                           "args": ["general", {"cert_no": "1"}, {"industry": "机械"}, {}]})
    t.check("the loaded inspectors rule has appointable", st == 200 and b["results"][0]["ok"] is True, (st, b))

with s:   # a second start: nothing new
    t.check("a start with nothing new adds no version and no audit record",
            s.sql("SELECT count(*) FROM rule_versions WHERE name = 'inspectors'")[0][0] == 2 and
            s.sql("SELECT count(*) FROM audit WHERE action = 'rule.upgrade'")[0][0] == 1)

t.finish()
