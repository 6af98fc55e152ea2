-- 10.1 (五) 其他: a situation no rule can see from the data (for example an inspector who did not
-- recuse, or a record falsified) is recorded by an auditor, a head or an administrator with its
-- reason, listed with the situations accountability.lua flags, and closed with a reason. Kept for
-- good: a closed record stays with who closed it, when and why.
CREATE TABLE accountability_records (
  id            INTEGER PRIMARY KEY,
  object        TEXT NOT NULL DEFAULT '',     -- what it concerns ("task:N", "result:N", … or '')
  reason        TEXT NOT NULL,
  actor         TEXT NOT NULL,
  at            TEXT NOT NULL,
  closed_at     TEXT,
  closed_by     TEXT,
  close_reason  TEXT
);
