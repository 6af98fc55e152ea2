"""Rule versions over HTTP: store only what compiles and passes the rule tests (422 naming rule and
line otherwise), activate without restart, every worker sees the old or the new set and never a mix,
roll back, dry run, audit."""
import math
import re
import threading
import time
from spot import Server, Suite, dispatched_task, is_error_body, staff_clients

t = Suite()
TASK = {"year": 2026, "directed": False, "mode": "untargeted", "start_date": "2026-03-01", "end_date": "2026-06-30"}

with Server(threads=4) as s:
    admin = s.login()
    st, body = admin.get("/api/rules")
    names = [r["name"] for r in body.get("rules", [])]
    t.check("eight rules active at version 1", st == 200 and len(names) == 8 and
            all(r["active_version"] == 1 for r in body["rules"]), body)

    st, rule = admin.get("/api/rules/sampling")
    src = rule["source"]
    fm = re.search(r"^(M\.general_min_ratio\s*=\s*)([0-9.]+)", src, re.M)
    t.check("sampling exposes general_min_ratio in its source", fm is not None)
    # The value an administrator may tune: the default ratio of the general_other stratum (at the
    # 5% floor in the shipped rules). The floor itself is pinned by the rule tests (below).
    m = re.search(r"^(\s*general_other\s*=\s*)([0-9.]+)", src, re.M)
    t.check("sampling exposes its default general_other ratio in its source", m is not None)
    floor = max(float(m.group(2)), float(fm.group(2)))
    v1_sha = rule["sha256"]

    def count(client, size=1000):
        st, body = client.post("/api/rules/eval", {"rule": "sampling", "fn": "count",
                                                   "args": ["general_other", size, TASK]})
        assert st == 200, (st, body)
        return body["results"][0], body["versions"]["sampling"]["sha256"]

    n1, sha = count(admin)
    t.check("stratum count uses the shipped floor", n1 == math.ceil(1000 * floor - 1e-9) and sha == v1_sha, (n1, floor))

    # A syntax error: 422 naming the rule and its line; nothing stored.
    lines = src.split("\n")
    bad_line = 20
    broken = "\n".join(lines[:bad_line - 1] + ["local x = = 1"] + lines[bad_line - 1:])
    st, body = admin.put("/api/rules/sampling", {"source": broken})
    t.check("syntax error refused 422 with rule and line", st == 422 and body.get("rule") == "sampling" and
            body.get("line") == bad_line and "rules/sampling.lua:%d" % bad_line in body.get("message", ""), body)

    # A runtime error at load time.
    broken = "\n".join(lines[:bad_line - 1] + ["error('boom')"] + lines[bad_line - 1:])
    st, body = admin.put("/api/rules/sampling", {"source": broken})
    t.check("runtime error refused 422 with line", st == 422 and body.get("line") == bad_line, body)

    # A version whose decisions break the rule tests (draws more than the stratum holds).
    broken = src.replace("if n > size then n = size end", "n = n + size")
    st, body = admin.put("/api/rules/sampling", {"source": broken})
    t.check("failing rule test refused 422", st == 422 and body.get("error") == "rule_tests_failed" and
            len(body.get("failures", [])) > 0, body)
    t.check("nothing stored by refused versions", s.sql("SELECT count(*) FROM rule_versions WHERE name='sampling'")[0][0] == 1)

    planner_pw = "planner-pass-1"
    admin.post("/api/users", {"username": "pl", "password": planner_pw, "role": "planner"})
    planner = s.login("pl", planner_pw)
    st, body = planner.put("/api/rules/sampling", {"source": src})
    t.check("planner cannot store a rule (403)", st == 403 and is_error_body(body, "forbidden"), body)

    # The guideline's 5% floor is pinned by the rule tests: a version changing it is refused, and a
    # stored version changing it (stored before the tests pinned it) is not activated.
    for v in ("0.001", "0.1"):
        bad = src.replace(fm.group(0), fm.group(1) + v, 1)
        st, body = admin.put("/api/rules/sampling", {"source": bad, "comment": "floor " + v})
        t.check("a version changing the 5%% floor to %s is refused 422 by the pinned rule test" % v,
                st == 422 and body.get("error") == "rule_tests_failed" and
                any(f.get("file") == "sampling" and "5.1.2 floor pinned" in f.get("case", "")
                    for f in body.get("failures", [])), body)
    deadlines = admin.get("/api/rules/deadlines")[1]["source"]
    bad = re.sub(r"^(M\.publication_days\s*=\s*)20\b", r"\g<1>60", deadlines, count=1, flags=re.M)
    st, body = admin.put("/api/rules/deadlines", {"source": bad})
    t.check("a version changing the 9.1 period 20 -> 60 working days is refused 422", bad != deadlines and
            st == 422 and body.get("error") == "rule_tests_failed", body)
    t.check("nothing stored by versions breaking a pinned value",
            s.sql("SELECT count(*) FROM rule_versions WHERE name IN ('sampling', 'deadlines')")[0][0] == 2)
    bad = src.replace(fm.group(0), fm.group(1) + "0.001", 1)
    s.sql("INSERT INTO rule_versions(name, version, source, sha256, author, created_at, active) "
          "VALUES ('sampling', 99, ?, 'x', 'old-release', '2026-01-01T00:00:00Z', 0)", bad)
    gen_before = admin.get("/api/rules")[1]["generation"]
    audits_before = s.sql("SELECT count(*) FROM audit")[0][0]
    st, body = admin.post("/api/rules/sampling/activate", {"version": 99})
    t.check("activating a stored version that breaks the pinned floor is refused 422", st == 422 and
            body.get("error") == "rule_tests_failed", body)
    t.check("the refused activation changed nothing (version 1 active, same generation, no audit)",
            s.sql("SELECT version FROM rule_versions WHERE name='sampling' AND active=1") == [(1,)] and
            admin.get("/api/rules")[1]["generation"] == gen_before and
            s.sql("SELECT count(*) FROM audit")[0][0] == audits_before)
    s.sql("DELETE FROM rule_versions WHERE name = 'sampling' AND version = 99")

    # The default ratio doubled (5% -> 10% for the shipped rules), stored, then activated.
    new_floor = floor * 2
    newsrc = src.replace(m.group(0), m.group(1) + repr(new_floor), 1)
    st, body = admin.put("/api/rules/sampling", {"source": newsrc, "comment": "default ratio doubled"})
    t.check("valid version stored inactive (201)", st == 201 and body["version"] == 2 and body["tests"]["failed"] == 0, body)
    v2_sha = body.get("sha256")
    n, sha = count(admin)
    t.check("a stored version is not used before activation", n == n1 and sha == v1_sha, (n, sha))

    # Dry run: the general strata counts change on current data.
    for i in range(40):
        s.sql("INSERT INTO enterprises(uscc, name, region, industry, risk_level, credit_level, created_at, updated_at) "
              "VALUES (?, ?, '田镇街道', '机械', 'blue', 'good', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
              "TESTUSCC%010d" % i, "测试机械厂%d" % i)
    st, body = admin.post("/api/rules/sampling/dry-run", {"version": 2, "task": TASK})
    gen = [x for x in body.get("strata", []) if x["name"] == "general_other"] if st == 200 else []
    t.check("dry run reports the stratum count that changes", st == 200 and gen and gen[0]["changed"] and
            gen[0]["before"]["draw"] == math.ceil(40 * floor - 1e-9) and
            gen[0]["after"]["draw"] == math.ceil(40 * new_floor - 1e-9), body)
    t.check("dry run changed nothing", s.sql("SELECT count(*) FROM rule_versions WHERE active=1 AND name='sampling' AND version=1")[0][0] == 1)

    # Concurrent readers in other workers while the activation happens.
    stop = threading.Event()
    seen, mixed, errors = [], [], []

    def reader():
        c = s.client()
        c.cookie, c.csrf = admin.cookie, admin.csrf
        while not stop.is_set():
            try:
                n, sha = count(c)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
            seen.append(sha)
            expect = n1 if sha == v1_sha else math.ceil(1000 * new_floor - 1e-9) if sha == v2_sha else None
            if n != expect:
                mixed.append((n, sha))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    st, body = admin.post("/api/rules/sampling/activate", {"version": 2})
    t.check("activation succeeds", st == 200 and body["version"] == 2 and body["previous"] == 1, body)
    time.sleep(0.8)
    stop.set()
    for th in threads:
        th.join()
    t.check("concurrent requests saw old or new, never a mix", not mixed and not errors and v1_sha in seen and v2_sha in seen,
            (mixed[:3], errors[:3], len(seen)))
    n, sha = count(admin)
    t.check("the next computation uses the new floor without restart", n == math.ceil(1000 * new_floor - 1e-9) and sha == v2_sha, n)

    # Roll back to version 1.
    st, body = admin.post("/api/rules/sampling/activate", {"version": 1})
    n, sha = count(admin)
    t.check("rollback to version 1", st == 200 and n == n1 and sha == v1_sha, (st, n))
    st, body = admin.get("/api/audit?object=sampling")
    acts = [r["action"] for r in body.get("records", [])]
    t.check("store, activate and rollback are audited", "rule.store" in acts and "rule.activate" in acts and
            "rule.rollback" in acts, acts)
    st, body = admin.post("/api/rules/sampling/activate", {"version": 9})
    t.check("activating an unknown version 404", st == 404 and is_error_body(body), body)
    t0 = time.monotonic()
    st, body = admin.post("/api/rules/eval", {"rule": "deadlines", "fn": "add_working_days", "args": ["2026-01-05", 1e12]})
    t.check("add_working_days with a count of 1e12 is refused at once (422, not seconds of looping)",
            st == 422 and is_error_body(body, "rule_error") and "工作日数超出范围" in body["message"] and
            time.monotonic() - t0 < 1.0, (st, body, time.monotonic() - t0))
    st, body = admin.get("/api/rules/nosuchrule")
    t.check("unknown rule 404", st == 404 and is_error_body(body), body)
    t.check("server alive", s.alive())

# The dry run judges each unit with its real history of the task's year (the history the freeze
# gives eligibility), not a made-up "never drawn": units drawn by a dispatched task of 2025 are
# excluded by the active once-a-year rule and eligible under a version allowing two draws a year.
with Server(demo=True) as s:
    admin = s.login()
    planner, head, auditor = staff_clients(s, admin)
    task, item, teams = dispatched_task(planner, "2025年烟花爆竹专项抽查", "2025-11-03", "2025-11-14", "烟花爆竹")
    drawn = {r[0] for r in s.sql("SELECT uscc FROM task_units WHERE task_id = ?", task["id"])}
    t.check("a dispatched 2025 task drew some units", len(drawn) > 0, drawn)
    elig = admin.get("/api/rules/eligibility")[1]["source"]
    twice = re.sub(r"^(M\.max_draws_per_year\s*=\s*)1\b", r"\g<1>2", elig, count=1, flags=re.M)
    t.check("eligibility exposes max_draws_per_year = 1 in its source", twice != elig)
    task2025 = {"year": 2025, "directed": False, "mode": "untargeted", "start_date": "2025-12-01",
                "end_date": "2025-12-20"}
    st, body = admin.post("/api/rules/eligibility/dry-run", {"source": twice, "task": task2025})
    changed = {u["uscc"]: u for u in body.get("changed_units", [])} if st == 200 else {}
    t.check("dry run: the units drawn this year are decided differently under two draws a year",
            st == 200 and changed and set(changed) <= drawn and
            all(not u["before"]["eligible"] and u["before"]["decision"]["clause"] == "6.2" and
                u["after"]["eligible"] for u in changed.values()) and body["units_changed"] == len(changed), body)
    # every drawn unit without a 6.2 exception changes (the others were eligible before already)
    st, ev = admin.post("/api/rules/eval", {"rule": "eligibility", "fn": "check", "args": [
        {"status": "active", "industry": "烟花爆竹"}, task2025, {"drawn_this_year": 1}]})
    already = ev["results"][0]["reason"]
    excluded = {u for u in drawn
                if s.sql("SELECT complaints, watchlist, dishonest, serious_violation, credit_level FROM enterprises "
                         "WHERE uscc = ?", u)[0] in [(c, 0, 0, 0, cl) for c in (0, 1) for cl in ("good", "normal")]}
    t.check("dry run: every drawn unit without a 6.2 exception is among the changed, with the freeze's reason",
            excluded and excluded <= set(changed) and
            all(changed[u]["before"]["decision"]["reason"] == already for u in excluded), (excluded, list(changed)))
    st, body = admin.post("/api/rules/eligibility/dry-run", {"source": twice, "task": dict(task2025, year=2026)})
    t.check("dry run for 2026: the 2025 draws do not count, nothing changes", st == 200 and
            body["units_changed"] == 0, body.get("changed_units"))
    t.check("server alive (dry run)", s.alive())

    # GET /api/public/meta: the rules' policy data for the web, no login, one cached reply per rule
    # generation (a new activation shows at once).
    anon = s.client()
    st, meta = anon.get("/api/public/meta")
    st_ev, inds = admin.post("/api/rules/eval", {"rule": "categories", "fn": "industries", "args": []})
    t.check("meta: anonymous 200 with the 3.2 industries and their category, as the rules hold them",
            st == 200 and meta["industries"] == inds["results"][0] and
            [(i["name"], i["category"]) for i in meta["industries"]][:2] == [("非煤矿山", "key"), ("化工", "key")] and
            len(meta["industries"]) == 13, meta)
    t.check("meta: 8.4 result categories a-h with the follow-up flag",
            [(c["code"], c["follow_up"]) for c in meta.get("result_categories", [])] ==
            [("a", False), ("b", True), ("c", True), ("d", True), ("e", True), ("f", True), ("g", True), ("h", False)] and
            meta["result_categories"][0]["label"] == "未发现问题", meta.get("result_categories"))
    t.check("meta: stratum labels, code lists, replacement reasons, special cases, accountability kinds",
            [x["name"] for x in meta["strata"]] == ["key_high", "key_other", "key_low", "general_high", "general_other"] and
            meta["strata"][2]["label"] == "重点行业·低风险且守信" and meta["strata"][4]["label"] == "一般行业·其他" and
            [x["code"] for x in meta["risk_levels"]] == ["red", "orange", "yellow", "blue"] and
            meta["credit_levels"][2] == {"code": "dishonest", "label": "失信"} and
            meta["unit_statuses"][1] == {"code": "closed", "label": "注销"} and
            meta["replacement_reasons"] == {"job_change": "工作岗位调整", "conflict": "工作冲突", "health": "身体健康原因"} and
            meta["inspector_levels"] == {"county": "县级", "township": "乡镇级"} and
            meta["category_labels"] == {"key": "重点", "general": "一般"} and
            [x["code"] for x in meta["special_cases"]] == ["a", "b", "c", "d", "e"] and
            [x["code"] for x in meta["accountability_kinds"]] == ["not_checked", "delayed", "not_published", "not_referred",
                                                                  "objection_late", "feedback_late", "coverage_low", "joint_missing", "other"] and
            len(meta["exemption_reasons"]) == 5 and
            meta["generation"] == admin.get("/api/rules")[1]["generation"], meta)
    st2, meta2 = admin.get("/api/public/meta")
    t.check("meta: the same reply for staff, from the cache", st2 == 200 and meta2 == meta)
    cats = admin.get("/api/rules/categories")[1]["source"]
    more = cats.replace('M.aliases = {\n', 'M.aliases = {\n  ["五金机械"] = "机械",\n', 1)
    st, stored = admin.put("/api/rules/categories", {"source": more, "comment": "alias"})
    st_a, act = admin.post("/api/rules/categories/activate", {"version": stored.get("version")})
    st, meta3 = anon.get("/api/public/meta")
    t.check("meta: an activated version shows at once (new generation, new alias)", more != cats and
            st_a == 200 and st == 200 and meta3["generation"] > meta["generation"] and
            meta3["industry_aliases"].get("五金机械") == "机械" and "五金机械" not in meta["industry_aliases"],
            (st_a, act, meta3.get("generation"), meta3.get("industry_aliases")))

t.finish()
