"""A 10.2 exemption decision must name its clause: when the active accountability.lua decides an
exemption without a clause, the exemption is refused as a rule error naming the rule (422
rule_error) and nothing is recorded; the server never fills in "10.2" itself (policy lives in the
rules)."""
import os
import shutil
import tempfile
from spot import Server, Suite, SRC, dispatched_task, staff_clients, is_error_body

t = Suite()

rules = os.path.join(tempfile.mkdtemp(prefix="spotcheck-rules-"), "rules")
shutil.copytree(os.path.join(SRC, "rules"), rules)
path = os.path.join(rules, "accountability.lua")
src = open(path, encoding="utf-8").read()
ok_line = 'return { ok = true, reason = reason, clause = "10.2" }'
assert ok_line in src, "accountability.exempt's accepting return changed: update this test"
open(path, "w", encoding="utf-8").write(src.replace(ok_line, "return { ok = true, reason = reason }"))

with Server(demo=True, env={"SPOTCHECK_RULES_DIR": rules}) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "条款缺失测试任务", "2025-11-03", "2025-11-14", "烟花爆竹")
    before = [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("exemptions", "audit")]
    st, b = head.post("/api/accountability/exemptions", {"kind": "not_checked", "object": f"task:{task['id']}",
                                                         "code": "plan_followed", "reason": "已按计划履行检查职责"})
    t.check("an exemption decision without a clause is a rule error naming the rule (422 rule_error)",
            st == 422 and is_error_body(b, "rule_error") and "accountability.lua" in b["message"], (st, b))
    t.check("nothing recorded", [s.sql(f"SELECT count(*) FROM {x}")[0][0] for x in ("exemptions", "audit")] == before)
    t.check("no exemption with a clause the rule did not give",
            s.sql("SELECT count(*) FROM exemptions WHERE clause = '10.2'")[0][0] == 0)
    t.check("server still alive", s.alive())

t.finish()
