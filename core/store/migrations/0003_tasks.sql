-- Plans, tasks, draws and inspector teams (clauses 6.1, 6.2, 7.1-7.3; SPEC §4).
-- Every stored decision keeps its reason, clause and the SHA-256 of the rule version that made it.

-- 6.1 annual plan: scope, ratios per stratum, schedule, estimated count, planned tasks (joint flag),
-- 备案 with market supervision, publication. Adjustments are kept with their reason.
CREATE TABLE plans (
  id              INTEGER PRIMARY KEY,
  year            INTEGER NOT NULL,
  name            TEXT NOT NULL,
  scope           TEXT NOT NULL,
  ratios          TEXT NOT NULL DEFAULT '{}',   -- JSON {stratum: ratio}
  schedule        TEXT NOT NULL DEFAULT '[]',   -- JSON array of texts, or a JSON string
  estimated_count INTEGER NOT NULL DEFAULT 0,
  joint_checks    INTEGER NOT NULL DEFAULT 0,
  tasks           TEXT NOT NULL DEFAULT '[]',   -- JSON [{name, joint, start_date, end_date}]
  filed_at        TEXT,                         -- 备案 date, YYYY-MM-DD
  filed_with      TEXT,                         -- the market-supervision office it was filed with
  status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published')),
  published_at    TEXT,
  rule_sha        TEXT NOT NULL DEFAULT '',     -- plans.lua version that validated it
  version         INTEGER NOT NULL DEFAULT 1,
  author          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX plans_year ON plans(year);

CREATE TABLE plan_adjustments (
  id        INTEGER PRIMARY KEY,
  plan_id   INTEGER NOT NULL REFERENCES plans(id),
  version   INTEGER NOT NULL,                 -- version number of `previous`
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  reason    TEXT NOT NULL,
  published INTEGER NOT NULL DEFAULT 0,       -- made after publication (shown publicly)
  changes   TEXT NOT NULL,                    -- {"field":[old,new]}
  previous  TEXT NOT NULL
);
CREATE INDEX plan_adjustments_plan ON plan_adjustments(plan_id, id);

-- 7.1, 7.2 tasks. status: draft -> frozen -> drawn -> dispatched (locked).
-- secret/commitment: the committed, not yet used draw secret (hex); used secrets move to task_draws.
CREATE TABLE tasks (
  id              INTEGER PRIMARY KEY,
  plan_id         INTEGER REFERENCES plans(id),
  year            INTEGER NOT NULL,
  name            TEXT NOT NULL,
  item_ids        TEXT NOT NULL DEFAULT '[]',
  mode            TEXT NOT NULL CHECK (mode IN ('untargeted','targeted')),
  filters         TEXT NOT NULL DEFAULT '{}',
  directed        INTEGER NOT NULL DEFAULT 0 CHECK (directed IN (0,1)),
  directed_reason TEXT,
  lead_unit       TEXT NOT NULL DEFAULT '',
  joint_units     TEXT NOT NULL DEFAULT '[]',
  start_date      TEXT NOT NULL,
  end_date        TEXT NOT NULL,
  options         TEXT NOT NULL DEFAULT '{}',   -- rule options: team_size, require_expert, required_level, workload_cap
  status          TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft','frozen','drawn','dispatched')),
  candidates_hash TEXT,
  secret          TEXT,                         -- pending secret (hex), never published before use
  commitment      TEXT,                         -- its SHA-256 (published)
  rule_shas       TEXT,                         -- {"eligibility": sha, "sampling": sha} of the freeze
  excluded_count  INTEGER NOT NULL DEFAULT 0,
  attempts        INTEGER NOT NULL DEFAULT 0,
  frozen_at       TEXT,
  drawn_at        TEXT,
  locked_at       TEXT,
  team_secret     TEXT,                         -- 7.3 team draw secret (hex), created at lock
  team_commitment TEXT,
  team_witness    TEXT,
  team_seed       TEXT,
  teams_at        TEXT,
  author          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX tasks_year ON tasks(year, status);

-- Frozen candidates, one row per stratum: the sorted USCC list as one blob "USCC\n…" (exactly the
-- bytes hashed into candidates_hash), with the rule's count decision.
CREATE TABLE task_strata (
  task_id         INTEGER NOT NULL REFERENCES tasks(id),
  pos             INTEGER NOT NULL,
  name            TEXT NOT NULL,
  label           TEXT NOT NULL DEFAULT '',
  size            INTEGER NOT NULL,
  draw            INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  clause          TEXT NOT NULL,
  rule_sha        TEXT NOT NULL,
  candidates_hash TEXT NOT NULL,
  candidates      BLOB NOT NULL,
  PRIMARY KEY (task_id, pos)
);

CREATE TABLE task_exclusions (
  task_id       INTEGER NOT NULL REFERENCES tasks(id),
  pos           INTEGER NOT NULL,
  enterprise_id INTEGER NOT NULL,
  uscc          TEXT NOT NULL,
  reason        TEXT NOT NULL,
  clause        TEXT NOT NULL,
  rule_sha      TEXT NOT NULL,
  PRIMARY KEY (task_id, pos)
);

-- Every draw attempt (SPEC §4 step 6): the secret it used (committed before the witness was
-- entered), the witness, the seed and the selection. The last attempt counts; all are published.
CREATE TABLE task_draws (
  task_id    INTEGER NOT NULL REFERENCES tasks(id),
  attempt    INTEGER NOT NULL,
  secret     TEXT NOT NULL,
  commitment TEXT NOT NULL,
  witness    TEXT NOT NULL,
  seed       TEXT NOT NULL,
  reason     TEXT,                              -- required for attempt > 1
  selection  TEXT NOT NULL,                     -- JSON [{"name","selected":[uscc…]}]
  actor      TEXT NOT NULL,
  at         TEXT NOT NULL,
  PRIMARY KEY (task_id, attempt)
);

-- Dispatched units (written at lock).
CREATE TABLE task_units (
  task_id       INTEGER NOT NULL REFERENCES tasks(id),
  pos           INTEGER NOT NULL,               -- announcement order
  enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
  uscc          TEXT NOT NULL,
  stratum       TEXT NOT NULL,
  PRIMARY KEY (task_id, pos)
);
CREATE INDEX task_units_unit ON task_units(enterprise_id, task_id);
CREATE INDEX task_units_uscc ON task_units(uscc, task_id);

-- 7.3 teams: one row per unit; slots holds the proof (pools, picks, redraws) as JSON.
CREATE TABLE task_teams (
  task_id       INTEGER NOT NULL REFERENCES tasks(id),
  pos           INTEGER NOT NULL,
  uscc          TEXT NOT NULL,
  method        TEXT NOT NULL CHECK (method IN ('random','appointed')),
  reason        TEXT NOT NULL DEFAULT '',
  clause        TEXT NOT NULL DEFAULT '7.3',
  inspectors    TEXT NOT NULL,                  -- JSON [cert_no…], the current team
  leader        TEXT NOT NULL,
  leader_reason TEXT NOT NULL DEFAULT '',
  slots         TEXT NOT NULL,                  -- JSON, see teams.c
  rule_sha      TEXT NOT NULL,                  -- inspectors.lua version
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (task_id, pos),
  UNIQUE (task_id, uscc)
);

-- Recusals (7.3): declared per task and unit.
CREATE TABLE task_conflicts (
  id       INTEGER PRIMARY KEY,
  task_id  INTEGER NOT NULL REFERENCES tasks(id),
  uscc     TEXT NOT NULL,
  cert_no  TEXT NOT NULL,
  reason   TEXT NOT NULL,
  actor    TEXT NOT NULL,
  at       TEXT NOT NULL,
  UNIQUE (task_id, uscc, cert_no)
);

-- Replacements (7.3): requested by a planner, effective only when a head approves.
CREATE TABLE task_replacements (
  id           INTEGER PRIMARY KEY,
  task_id      INTEGER NOT NULL REFERENCES tasks(id),
  uscc         TEXT NOT NULL,
  cert_no      TEXT NOT NULL,
  reason_code  TEXT NOT NULL,
  reason       TEXT NOT NULL,
  rule_reason  TEXT NOT NULL,
  rule_sha     TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  decided_by   TEXT,
  decided_at   TEXT,
  replacement  TEXT
);
CREATE INDEX task_replacements_task ON task_replacements(task_id, status);
