-- SPEC §11: every inspection a unit receives, and incidents (10.2).
-- Inspections outside the random regime (4.3 cases a-e) are entered in `inspections`; the draws of
-- dispatched random and directed tasks come from task_units. The view inspection_record lists both.

CREATE TABLE inspections (
  id            INTEGER PRIMARY KEY,
  enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
  uscc          TEXT NOT NULL,
  case_code     TEXT NOT NULL,                 -- 4.3 a..e (rules: eligibility.special_cases)
  basis         TEXT NOT NULL,                 -- 依据: 文件、交办单、举报编号…
  date          TEXT NOT NULL,                 -- YYYY-MM-DD the inspection (case) began
  closed        TEXT,                          -- YYYY-MM-DD the case ended; NULL while it is ongoing
  inspectors    TEXT NOT NULL DEFAULT '[]',    -- JSON [cert_no…]
  summary       TEXT NOT NULL DEFAULT '',
  created_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX inspections_unit ON inspections(enterprise_id, date);

CREATE VIEW inspection_record AS
  SELECT 'case:' || i.id AS ref, i.enterprise_id, i.uscc, 'case' AS origin, i.case_code, i.date,
         i.closed AS end_date, i.basis AS name, i.inspectors, i.summary, NULL AS task_id
    FROM inspections i
  UNION ALL
  SELECT 'task:' || t.id, u.enterprise_id, u.uscc, CASE t.directed WHEN 1 THEN 'directed' ELSE 'random' END,
         NULL, t.start_date, t.end_date, t.name,
         coalesce((SELECT tt.inspectors FROM task_teams tt WHERE tt.task_id = t.id AND tt.uscc = u.uscc), '[]'),
         '', t.id
    FROM task_units u JOIN tasks t ON t.id = u.task_id
   WHERE t.status = 'dispatched';

CREATE TABLE incidents (
  id               INTEGER PRIMARY KEY,
  enterprise_id    INTEGER NOT NULL REFERENCES enterprises(id),
  uscc             TEXT NOT NULL,
  date             TEXT NOT NULL,              -- YYYY-MM-DD of the accident or the problem found
  description      TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','claimed','decided')),
  ground           TEXT,                       -- 10.2 a..e (rules: accountability.incident_grounds)
  ground_reason    TEXT,                       -- the rule's reason for the ground
  explanation      TEXT,                       -- the staff member's written explanation
  claimed_by       TEXT,
  claimed_at       TEXT,
  decision         TEXT CHECK (decision IS NULL OR decision IN ('exempt','not_exempt')),
  decision_reason  TEXT,
  decided_by       TEXT,
  decided_at       TEXT,
  rule_sha         TEXT,                       -- accountability.lua version of the claim
  created_by       TEXT NOT NULL,
  created_at       TEXT NOT NULL
);
CREATE INDEX incidents_unit ON incidents(enterprise_id, date);
