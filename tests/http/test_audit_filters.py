"""The audit trail filtered by date (issue 18: audit with a date range): from/to are days in China
time; records of today are in from=today&to=today and in none of the days around it; a malformed date
is 400 bad_date."""
import datetime

from spot import Server, Suite, is_error_body

t = Suite()

with Server() as s:
    admin = s.login()
    st, b = admin.post("/api/users", {"username": "auditfilter", "password": "auditfilter-pw", "role": "planner"})
    assert st == 201, (st, b)
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    d = lambda n: (today + datetime.timedelta(days=n)).isoformat()
    st, all_rows = admin.get("/api/audit?limit=1000")
    st, rows = admin.get(f"/api/audit?from={d(0)}&to={d(0)}&limit=1000")
    t.check("from=today&to=today: today's records, the user's creation among them",
            st == 200 and any(r["action"] == "user.create" and r["object"] for r in rows["records"]) and
            len(rows["records"]) == len(all_rows["records"]), (st, len(rows.get("records", [])), len(all_rows["records"])))
    st, rows = admin.get(f"/api/audit?from={d(1)}")
    t.check("from=tomorrow: none", st == 200 and rows["records"] == [], (st, rows))
    st, rows = admin.get(f"/api/audit?to={d(-1)}")
    t.check("to=yesterday: none", st == 200 and rows["records"] == [], (st, rows))
    st, rows = admin.get(f"/api/audit?action=user.create&from={d(-3)}&to={d(3)}")
    t.check("a range around today with an action filter: that action only",
            st == 200 and rows["records"] and all(r["action"] == "user.create" for r in rows["records"]), (st, rows))
    for bad in ("2026-13-01", "yesterday", "2026-1-1"):
        st, b = admin.get(f"/api/audit?from={bad}")
        t.check(f"from={bad}: 400 bad_date", st == 400 and is_error_body(b, "bad_date"), (st, b))

t.finish()
