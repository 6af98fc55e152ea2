"""Draw algorithm v2 through the API (SPEC §12, issue 16): the shipped rules require v2, so a freeze
without a witness commitment and beacon source is refused (422, nothing changed); the freeze stores
only SHA-256(witness); the draw refuses a witness text that does not match (422, nothing changed) or
a missing beacon; the announcement carries witness_commitment, beacon_source and beacon under
spotcheck-draw-v2 and verifies with `spotcheck verify` and web/js/verify.js, both failing by name when
the beacon or the witness is changed; the team draw the same way (committed at lock, revealed at the
team draw); with rules that allow v1, a freeze without them is a v1 draw
that still verifies."""
import hashlib
import json
from spot import (Server, Suite, is_error_body, allow_draw_v1, V2_FREEZE, V2_DRAW, V2_WITNESS, V2_LOCK, V2_TEAMS,
                  V2_TEAM_WITNESS, verify_cli as verify_c, verify_js)

# SHA-256("监督人：见证测试"), computed outside the product (python3 hashlib, once).
WITNESS_COMMITMENT = "50cad1e1951ff2930b6346c3ec36baa96be147167ee9b5f7ee8714401a333444"
# SHA-256("纪检监督人：检查组见证"), likewise.
TEAM_WITNESS_COMMITMENT = "70b5cda44679aeb8fb0489600b60e8fb49862a51f981a5985b4a0443f907a9fb"

t = Suite()


def new_task(planner, name, item):
    st, task = planner.post("/api/tasks", {
        "name": name, "item_ids": [item["id"]], "mode": "targeted", "filters": {"industry": ["烟花爆竹"]},
        "directed": False, "lead_unit": "高青县应急管理局", "start_date": "2026-03-02", "end_date": "2026-03-20"})
    assert st == 201, (st, task)
    return task["id"]


def counts(s, tid):
    return (s.sql("SELECT status, attempts, freezes FROM tasks WHERE id = ?", tid)[0],
            s.sql("SELECT count(*) FROM task_draws WHERE task_id = ?", tid)[0][0],
            s.sql("SELECT count(*) FROM task_freezes WHERE task_id = ?", tid)[0][0],
            s.sql("SELECT count(*) FROM audit")[0][0])


with Server(demo=True) as s:
    admin = s.login()
    st, body = admin.post("/api/users", {"username": "planner1", "password": "planner1-password", "role": "planner"})
    assert st == 201, (st, body)
    planner = s.login("planner1", "planner1-password")
    anon = s.client()
    st, items = planner.get("/api/items")
    item = next(i for i in items["items"] if i["checkpoints"])
    tid = new_task(planner, "v2 抽取测试任务", item)

    # ---- freeze: v2 required by the shipped rules ----
    before = counts(s, tid)
    for what, body, code in [
        ("no body", None, "v2_required"),
        ("empty object", {}, "v2_required"),
        ("witness without beacon_source", {"witness": V2_WITNESS}, "beacon_source_required"),
        ("beacon_source without witness", {"beacon_source": V2_FREEZE["beacon_source"]}, "witness_required"),
        ("empty witness", dict(V2_FREEZE, witness=""), "witness_required"),
        ("witness not a text", dict(V2_FREEZE, witness=7), "witness_required"),
        ("empty beacon_source", dict(V2_FREEZE, beacon_source=""), "beacon_source_required"),
    ]:
        st, b = planner.post(f"/api/tasks/{tid}/freeze", body)
        t.check(f"freeze refused without v2 parameters: {what} (422 {code}, Chinese reason)",
                st == 422 and is_error_body(b, code) and any("\u4e00" <= ch <= "\u9fff" for ch in b["message"]),
                (st, b))
    t.check("refused freezes changed nothing (status, freezes, audit)", counts(s, tid) == before,
            (counts(s, tid), before))

    st, fr = planner.post(f"/api/tasks/{tid}/freeze", V2_FREEZE)
    t.check("v2 freeze: algorithm, SHA-256(witness) and beacon source in the reply",
            st == 200 and fr["algorithm"] == "spotcheck-draw-v2" and fr["witness_commitment"] == WITNESS_COMMITMENT and
            fr["beacon_source"] == "福彩3D 2026058期开奖号码", (st, fr))
    t.check("the freeze stores only the witness commitment, never the witness text",
            s.sql("SELECT witness_commitment, beacon_source, draw_algorithm FROM tasks WHERE id = ?", tid)[0] ==
            (WITNESS_COMMITMENT, "福彩3D 2026058期开奖号码", "spotcheck-draw-v2") and
            s.sql("SELECT count(*) FROM audit WHERE details LIKE ?", f"%{V2_WITNESS}%")[0][0] == 0 and
            s.sql("SELECT count(*) FROM task_freezes WHERE task_id = ? AND witness_commitment = ?", tid,
                  WITNESS_COMMITMENT)[0][0] == 1)
    st, pub = anon.get(f"/api/public/tasks/{tid}")
    t.check("before the draw the public announcement carries the witness commitment and beacon source",
            st == 200 and pub["draw"]["algorithm"] == "spotcheck-draw-v2" and
            pub["draw"]["witness_commitment"] == WITNESS_COMMITMENT and
            pub["draw"]["beacon_source"] == "福彩3D 2026058期开奖号码" and "beacon" not in pub["draw"] and
            pub["draw"]["freezes"][0]["witness_commitment"] == WITNESS_COMMITMENT, pub.get("draw"))

    # ---- draw: the witness must match its commitment, the beacon is required ----
    before = counts(s, tid)
    for what, body, code in [
        ("another witness text", dict(V2_DRAW, witness="监督人：见证测试 "), "witness_mismatch"),
        ("no witness", {"beacon": "3 7 1"}, "witness_mismatch"),
        ("no beacon", {"witness": V2_WITNESS}, "beacon_required"),
        ("empty beacon", dict(V2_DRAW, beacon=""), "beacon_required"),
    ]:
        st, b = planner.post(f"/api/tasks/{tid}/draw", body)
        t.check(f"v2 draw refused: {what} (422 {code})", st == 422 and is_error_body(b, code), (st, b))
    t.check("refused draws changed nothing (status, attempts, task_draws, audit)", counts(s, tid) == before,
            (counts(s, tid), before))
    st, d = planner.post(f"/api/tasks/{tid}/draw", V2_DRAW)
    t.check("v2 draw", st == 200 and d["algorithm"] == "spotcheck-draw-v2" and d["beacon"] == "3 7 1" and
            d["attempt"] == 1, (st, d))
    before = counts(s, tid)
    st, b = planner.post(f"/api/tasks/{tid}/lock")
    t.check("lock without the team draw's v2 parameters refused (422 v2_required), nothing changed",
            st == 422 and is_error_body(b, "v2_required") and "锁定" in b["message"] and counts(s, tid) == before, (st, b))
    st, locked = planner.post(f"/api/tasks/{tid}/lock", V2_LOCK)
    t.check("lock with the team witness commitment and beacon source", st == 200 and
            locked["teams_witness_commitment"] == TEAM_WITNESS_COMMITMENT and
            locked["teams_beacon_source"] == "福彩3D 2026059期开奖号码", (st, {k: locked.get(k) for k in locked
                                                                              if k.startswith("teams")}))
    t.check("the lock stores only the team witness commitment",
            s.sql("SELECT team_draw_algorithm, team_witness_commitment FROM tasks WHERE id = ?", tid)[0] ==
            ("spotcheck-draw-v2", TEAM_WITNESS_COMMITMENT) and
            s.sql("SELECT count(*) FROM audit WHERE details LIKE ?", f"%{V2_TEAM_WITNESS}%")[0][0] == 0)
    audit_n = s.sql("SELECT count(*) FROM audit")[0][0]
    for what, body, code in [
        ("another witness text", dict(V2_TEAMS, witness="纪检监督人"), "witness_mismatch"),
        ("no beacon", {"witness": V2_TEAM_WITNESS}, "beacon_required"),
    ]:
        st, b = planner.post(f"/api/tasks/{tid}/teams", body)
        t.check(f"v2 team draw refused: {what} (422 {code})", st == 422 and is_error_body(b, code), (st, b))
    t.check("refused team draws changed nothing",
            s.sql("SELECT team_seed FROM tasks WHERE id = ?", tid)[0][0] is None and
            s.sql("SELECT count(*) FROM task_teams WHERE task_id = ?", tid)[0][0] == 0 and
            s.sql("SELECT count(*) FROM audit")[0][0] == audit_n)
    st, tb = planner.post(f"/api/tasks/{tid}/teams", V2_TEAMS)
    t.check("v2 team draw", st == 201 and tb["algorithm"] == "spotcheck-draw-v2" and tb["beacon"] == "5 2 8", (st, tb))

    st, ann = anon.get(f"/api/public/tasks/{tid}")
    dr = ann["draw"]
    t.check("the announcement names spotcheck-draw-v2 with witness, witness_commitment, beacon_source, beacon",
            dr["algorithm"] == "spotcheck-draw-v2" and dr["witness"] == V2_WITNESS and
            dr["witness_commitment"] == WITNESS_COMMITMENT and dr["beacon_source"] == "福彩3D 2026058期开奖号码" and
            dr["beacon"] == "3 7 1", {k: dr.get(k) for k in ("algorithm", "witness", "beacon")})
    # independent re-computation of SPEC §12's seed from the published secret
    mine = hashlib.sha256(bytes.fromhex(dr["secret"]) + hashlib.sha256(V2_WITNESS.encode()).digest() +
                          hashlib.sha256("3 7 1".encode()).digest()).hexdigest()
    t.check("seed = SHA-256(secret || SHA-256(witness) || SHA-256(beacon)), recomputed in Python",
            dr["seed"] == mine == d["seed"], (dr["seed"], mine))
    td = ann["teams_draw"]
    t.check("teams_draw names spotcheck-draw-v2 with the team witness, its commitment, beacon source and beacon",
            td["algorithm"] == "spotcheck-draw-v2" and td["witness"] == V2_TEAM_WITNESS and
            td["witness_commitment"] == TEAM_WITNESS_COMMITMENT and td["beacon"] == "5 2 8" and
            td["beacon_source"] == "福彩3D 2026059期开奖号码", td)
    mine_t = hashlib.sha256(bytes.fromhex(td["secret"]) + hashlib.sha256(V2_TEAM_WITNESS.encode()).digest() +
                            hashlib.sha256("5 2 8".encode()).digest()).hexdigest()
    t.check("team seed = SHA-256(team_secret || SHA-256(witness) || SHA-256(beacon)), recomputed in Python",
            td["seed"] == mine_t == tb["seed"], (td["seed"], mine_t))
    rc, out = verify_c(s, ann)
    t.check("spotcheck verify: the v2 announcement verifies", rc == 0 and "ok   witness_commitment" in out and
            "ok   seed" in out and "ok   teams_witness_commitment" in out and "ok   teams_seed" in out and
            out.rstrip().endswith("verified"), out[-1200:])
    r = verify_js(ann)
    t.check("web/js/verify.js: the v2 announcement verifies", r["ok"] and "witness_commitment" in r["checks"],
            r["errors"][:5])

    bad = json.loads(json.dumps(ann))
    bad["draw"]["beacon"] = "3 7 2"
    rc, out = verify_c(s, bad)
    t.check("a changed beacon fails spotcheck verify naming the seed check",
            rc == 1 and "FAIL seed" in out and "ok   witness_commitment" in out, out[-1200:])
    r = verify_js(bad)
    t.check("a changed beacon fails verify.js naming the seed check", not r["ok"] and "seed" in r["failed"] and
            "witness_commitment" not in r["failed"], r["failed"])
    bad = json.loads(json.dumps(ann))
    bad["draw"]["witness"] = "监督人：另一段文字"
    rc, out = verify_c(s, bad)
    t.check("a changed revealed witness fails spotcheck verify naming witness_commitment",
            rc == 1 and "FAIL witness_commitment" in out, out[-1200:])
    r = verify_js(bad)
    t.check("a changed revealed witness fails verify.js naming witness_commitment",
            not r["ok"] and "witness_commitment" in r["failed"], r["failed"])

    bad = json.loads(json.dumps(ann))
    bad["teams_draw"]["beacon"] = "5 2 9"
    rc, out = verify_c(s, bad)
    t.check("a changed team beacon fails spotcheck verify naming teams_seed", rc == 1 and "FAIL teams_seed" in out,
            out[-1200:])
    r = verify_js(bad)
    t.check("a changed team beacon fails verify.js naming teams_seed", not r["ok"] and "teams_seed" in r["failed"],
            r["failed"])

    # ---- rules that allow v1: a freeze without the v2 parameters is a v1 draw, still verifiable ----
    tid1 = new_task(planner, "v1 抽取测试任务", item)
    allow_draw_v1(admin)
    st, fr1 = planner.post(f"/api/tasks/{tid1}/freeze")
    t.check("with draw_v1_allowed a freeze without witness and beacon source is v1",
            st == 200 and fr1["algorithm"] == "spotcheck-draw-v1" and "witness_commitment" not in fr1, (st, fr1))
    st, b = planner.post(f"/api/tasks/{tid1}/draw", {"witness": "监督人", "beacon": "3 7 1"})
    t.check("a v1 task refuses a beacon (422 v1_task)", st == 422 and is_error_body(b, "v1_task"), (st, b))
    st, d1 = planner.post(f"/api/tasks/{tid1}/draw", {"witness": "监督人"})
    st2, _ = planner.post(f"/api/tasks/{tid1}/lock")
    st, ann1 = anon.get(f"/api/public/tasks/{tid1}")
    t.check("the v1 announcement names spotcheck-draw-v1 without v2 fields",
            ann1["draw"]["algorithm"] == "spotcheck-draw-v1" and "beacon" not in ann1["draw"] and
            "witness_commitment" not in ann1["draw"], ann1["draw"].get("algorithm"))
    rc, out = verify_c(s, ann1)
    t.check("spotcheck verify: a v1 announcement still verifies", rc == 0 and out.rstrip().endswith("verified"),
            out[-800:])
    r = verify_js(ann1)
    t.check("web/js/verify.js: a v1 announcement still verifies", r["ok"], r["errors"][:5])

t.finish()
