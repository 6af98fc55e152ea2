-- Team draws nobody can steer (issue "Security and trust"; SPEC §4, clause 7.3). Written as a new
-- migration so that databases already at version 3 and later get it too.

-- The inspector pool committed at lock, its hash, and the number of freeze attempts.
ALTER TABLE tasks ADD COLUMN team_pool TEXT;        -- JSON: inspector records committed at lock (eligible
                                                    -- then, sorted by cert_no, without names)
ALTER TABLE tasks ADD COLUMN team_pool_hash TEXT;   -- SHA-256 of "cert_no\n"… of team_pool (published)
ALTER TABLE tasks ADD COLUMN freezes INTEGER NOT NULL DEFAULT 0;  -- freeze attempts (each in task_freezes)

-- Every freeze (SPEC §4 step 1): its commitment is published at once; a re-freeze before the draw
-- is a further attempt with a reason. The secret of a superseded freeze is published with the lock.
CREATE TABLE task_freezes (
  task_id         INTEGER NOT NULL REFERENCES tasks(id),
  attempt         INTEGER NOT NULL,
  commitment      TEXT NOT NULL,
  secret          TEXT NOT NULL,
  candidates_hash TEXT NOT NULL,
  reason          TEXT,                         -- required for attempt > 1
  actor           TEXT NOT NULL,
  at              TEXT NOT NULL,
  PRIMARY KEY (task_id, attempt)
);

-- Recusals (7.3) become requests, effective (for the pools, and a redraw when the inspector is on
-- the team) only when a head approves. Recusals recorded before this version took effect at once:
-- they are kept as approved.
CREATE TABLE task_conflicts_v7 (
  id          INTEGER PRIMARY KEY,
  task_id     INTEGER NOT NULL REFERENCES tasks(id),
  uscc        TEXT NOT NULL,
  cert_no     TEXT NOT NULL,
  reason      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  at          TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
  decided_by  TEXT,
  decided_at  TEXT,
  replacement TEXT
);
INSERT INTO task_conflicts_v7 (id, task_id, uscc, cert_no, reason, actor, at, status, decided_by, decided_at)
  SELECT id, task_id, uscc, cert_no, reason, actor, at, 'approved', actor, at FROM task_conflicts;
DROP TABLE task_conflicts;
ALTER TABLE task_conflicts_v7 RENAME TO task_conflicts;
CREATE INDEX task_conflicts_task ON task_conflicts(task_id, uscc, status);
