-- 9.2 online objections (SPEC §12, issue 16): the 随机抽查通知书 issued to a unit carries a one-time
-- code; with its USCC and that code the unit files an objection to its published result on the
-- portal. Only the code's SHA-256 is kept here (the code itself is in the archived notice). Issuing
-- the notice again replaces the code. Ten wrong tries lock the unit's codes for an hour; a code
-- that filed an objection is used up.
CREATE TABLE objection_codes (
  task_id      INTEGER NOT NULL REFERENCES tasks(id),
  uscc         TEXT NOT NULL,
  code_sha256  TEXT NOT NULL,
  document_id  INTEGER,
  failures     INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  objection_id INTEGER REFERENCES objections(id),
  issued_at    TEXT NOT NULL,
  PRIMARY KEY (task_id, uscc)
);
CREATE INDEX objection_codes_uscc ON objection_codes(uscc);

-- Wrong tries by client address, for a per-address limit across units (kept a day).
CREATE TABLE objection_failures (
  ip TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX objection_failures_ip ON objection_failures(ip, at);

-- Where an objection came from: registered by staff (收到的书面异议) or filed online by the unit.
ALTER TABLE objections ADD COLUMN source TEXT NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'online'));
ALTER TABLE objections ADD COLUMN contact TEXT NOT NULL DEFAULT '';

-- Files the unit attached to its online objection: stored in the result's archive (attachments)
-- with the objection they came with.
ALTER TABLE attachments ADD COLUMN objection_id INTEGER REFERENCES objections(id);
