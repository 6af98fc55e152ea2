-- Results, review, publication, corrections, follow-up, objections, attachments and accountability
-- exemptions (clauses 8.1-8.4, 9.1, 9.2, 10.1, 10.2). Every stored decision keeps its reason, clause
-- and the SHA-256 of the rule version that made it.
--
-- Immutability (9.1: "published results are not changed"): once a result is published its row, its
-- records and its signatures cannot be updated or deleted — triggers below refuse it, whoever asks
-- (the API or a direct SQL statement). A correction never edits the result: it is a row of
-- result_corrections that, once a head approved it, overlays the published content (the public page
-- shows the original with every approved correction applied in approval order). Approved or
-- rejected corrections, reviews, signatures history, follow-up history and attachments are
-- append-only as well.

-- One combined record per task and unit (8.2 "进一次门、查多项事"), entered by the team led by the
-- task's lead unit. status: draft (editable, signatures collected) -> approved (录入审核 passed)
-- -> published. A review that returns the result sets it back to draft and clears the signatures.
CREATE TABLE results (
  id              INTEGER PRIMARY KEY,
  task_id         INTEGER NOT NULL REFERENCES tasks(id),
  uscc            TEXT NOT NULL,
  lead_unit       TEXT NOT NULL DEFAULT '',
  category        TEXT NOT NULL,                -- 8.4 code a-h (categories.result_category)
  category_label  TEXT NOT NULL,
  follow_up       INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0,1)),
  summary         TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','approved','published')),
  version         INTEGER NOT NULL DEFAULT 1,   -- bumped by every change of the content
  rule_sha        TEXT NOT NULL,                -- categories.lua version that accepted the category
  due_date        TEXT,                         -- 9.1 publication deadline (deadlines.publication_due)
  due_reason      TEXT,
  due_clause      TEXT,
  due_warning     TEXT,
  due_rule_sha    TEXT,
  entered_by      TEXT NOT NULL,
  entered_at      TEXT NOT NULL,
  updated_by      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  reviewed_by     TEXT,
  reviewed_at     TEXT,
  published_by    TEXT,
  published_at    TEXT,
  published_date  TEXT,                         -- YYYY-MM-DD (China Standard Time)
  published_late  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (task_id, uscc)
);
CREATE INDEX results_status ON results(status, task_id);

-- Per item checkpoint (检查要点), per team member (cert_no of the inspector who recorded it).
CREATE TABLE result_records (
  result_id     INTEGER NOT NULL REFERENCES results(id),
  pos           INTEGER NOT NULL,
  cert_no       TEXT,
  item_id       INTEGER NOT NULL REFERENCES items(id),
  checkpoint_id INTEGER REFERENCES item_checkpoints(id),
  checkpoint    TEXT NOT NULL DEFAULT '',       -- the checkpoint's text when recorded
  category      TEXT,
  finding       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (result_id, pos)
);

-- 8.4 "all team members sign": one row per inspector for the current version of the draft.
CREATE TABLE result_signatures (
  result_id INTEGER NOT NULL REFERENCES results(id),
  cert_no   TEXT NOT NULL,
  username  TEXT NOT NULL,
  version   INTEGER NOT NULL,
  at        TEXT NOT NULL,
  PRIMARY KEY (result_id, cert_no)
);

-- 录入审核 (5.3): every decision kept.
CREATE TABLE result_reviews (
  id        INTEGER PRIMARY KEY,
  result_id INTEGER NOT NULL REFERENCES results(id),
  version   INTEGER NOT NULL,
  approve   INTEGER NOT NULL CHECK (approve IN (0,1)),
  opinion   TEXT NOT NULL DEFAULT '',
  signers   TEXT NOT NULL DEFAULT '[]',         -- cert_nos that had signed the reviewed version
  actor     TEXT NOT NULL,
  at        TEXT NOT NULL
);
CREATE INDEX result_reviews_result ON result_reviews(result_id, id);

-- 9.1 corrections of a published result: effective only once the executing unit's head approved.
-- changes: {"category","category_label","summary","records"} (any subset).
CREATE TABLE result_corrections (
  id            INTEGER PRIMARY KEY,
  result_id     INTEGER NOT NULL REFERENCES results(id),
  reason        TEXT NOT NULL,
  changes       TEXT NOT NULL DEFAULT '{}',
  source        TEXT NOT NULL DEFAULT 'request' CHECK (source IN ('request','objection')),
  objection_id  INTEGER,
  rule_sha      TEXT NOT NULL DEFAULT '',       -- categories.lua version that accepted a new category
  status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
  requested_by  TEXT NOT NULL,
  requested_at  TEXT NOT NULL,
  decided_by    TEXT,
  decided_at    TEXT,
  decided_date  TEXT,
  note          TEXT,
  seq           INTEGER                         -- approval order (1, 2, …) among the result's corrections
);
CREATE INDEX result_corrections_result ON result_corrections(result_id, status, seq);

-- 9.2 follow-up: rectification orders (责令改正), pending cases (待后续处理), referrals of suspected
-- crimes to the police (移送公安机关). state changes are kept in followup_history.
CREATE TABLE followups (
  id             INTEGER PRIMARY KEY,
  result_id      INTEGER NOT NULL REFERENCES results(id),
  kind           TEXT NOT NULL CHECK (kind IN ('rectification','pending_case','referral')),
  state          TEXT NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  due_date       TEXT,                          -- rectification deadline set in the order
  found_date     TEXT,                          -- referral: date the suspected crime was found
  referred_date  TEXT,                          -- referral: date handed over
  receiving_unit TEXT,                          -- referral: the police unit that received it
  closed_date    TEXT,
  created_by     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX followups_result ON followups(result_id, id);
CREATE INDEX followups_open_referrals ON followups(id) WHERE kind = 'referral';

CREATE TABLE followup_history (
  id          INTEGER PRIMARY KEY,
  followup_id INTEGER NOT NULL REFERENCES followups(id),
  state       TEXT NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  data        TEXT NOT NULL DEFAULT '{}',
  actor       TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX followup_history_fu ON followup_history(followup_id, id);

-- 9.2 objections: review within 20 working days of receipt, feedback within 15 of the decision.
-- Each deadline is stored with the reason, clause, warning and deadlines.lua sha that computed it.
CREATE TABLE objections (
  id                INTEGER PRIMARY KEY,
  result_id         INTEGER NOT NULL REFERENCES results(id),
  applicant         TEXT NOT NULL DEFAULT '',
  received          TEXT NOT NULL,
  text              TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received','decided','closed')),
  review_due        TEXT NOT NULL,
  review_reason     TEXT NOT NULL,
  review_clause     TEXT NOT NULL,
  review_warning    TEXT,
  review_rule_sha   TEXT NOT NULL,
  decision          TEXT CHECK (decision IN ('upheld','rejected')),
  decision_reason   TEXT,
  decided           TEXT,
  decided_by        TEXT,
  feedback_due      TEXT,
  feedback_reason   TEXT,
  feedback_clause   TEXT,
  feedback_warning  TEXT,
  feedback_rule_sha TEXT,
  feedback_sent     TEXT,
  feedback_by       TEXT,
  correction_id     INTEGER REFERENCES result_corrections(id),
  created_by        TEXT NOT NULL,
  created_at        TEXT NOT NULL
);
CREATE INDEX objections_result ON objections(result_id);
CREATE INDEX objections_open ON objections(status);

-- 9.2 archive: documents, photos, audio and video of a task or one of its results. Content kept in
-- the database (transactional with its audit record), with its SHA-256; never changed or removed.
CREATE TABLE attachments (
  id          INTEGER PRIMARY KEY,
  task_id     INTEGER NOT NULL REFERENCES tasks(id),
  result_id   INTEGER REFERENCES results(id),
  name        TEXT NOT NULL,
  mime        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  content     BLOB NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at TEXT NOT NULL
);
CREATE INDEX attachments_task ON attachments(task_id, id);
CREATE INDEX attachments_result ON attachments(result_id, id);

-- 10.2 exemptions, validated by accountability.exempt(kind, code).
CREATE TABLE exemptions (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  object      TEXT NOT NULL,                  -- "task:12", "referral:3", "objection:5"
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  rule_reason TEXT NOT NULL,
  clause      TEXT NOT NULL,
  rule_sha    TEXT NOT NULL,
  actor       TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX exemptions_object ON exemptions(kind, object);

-- ---- immutability (enforced by the database, not only by the C core) ----

CREATE TRIGGER results_published_no_update BEFORE UPDATE ON results WHEN OLD.status = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed; use a correction'); END;
CREATE TRIGGER results_published_no_delete BEFORE DELETE ON results WHEN OLD.status = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be deleted'); END;
CREATE TRIGGER result_records_published_no_insert BEFORE INSERT ON result_records
  WHEN (SELECT status FROM results WHERE id = NEW.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed; use a correction'); END;
CREATE TRIGGER result_records_published_no_update BEFORE UPDATE ON result_records
  WHEN (SELECT status FROM results WHERE id = OLD.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed; use a correction'); END;
CREATE TRIGGER result_records_published_no_delete BEFORE DELETE ON result_records
  WHEN (SELECT status FROM results WHERE id = OLD.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed; use a correction'); END;
CREATE TRIGGER result_signatures_published_no_insert BEFORE INSERT ON result_signatures
  WHEN (SELECT status FROM results WHERE id = NEW.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed'); END;
CREATE TRIGGER result_signatures_published_no_update BEFORE UPDATE ON result_signatures
  WHEN (SELECT status FROM results WHERE id = OLD.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed'); END;
CREATE TRIGGER result_signatures_published_no_delete BEFORE DELETE ON result_signatures
  WHEN (SELECT status FROM results WHERE id = OLD.result_id) = 'published'
  BEGIN SELECT RAISE(ABORT, 'published result cannot be changed'); END;
CREATE TRIGGER result_reviews_no_update BEFORE UPDATE ON result_reviews
  BEGIN SELECT RAISE(ABORT, 'review records cannot be changed'); END;
CREATE TRIGGER result_reviews_no_delete BEFORE DELETE ON result_reviews
  BEGIN SELECT RAISE(ABORT, 'review records cannot be deleted'); END;
CREATE TRIGGER result_corrections_decided_no_update BEFORE UPDATE ON result_corrections
  WHEN OLD.status <> 'pending'
  BEGIN SELECT RAISE(ABORT, 'a decided correction cannot be changed'); END;
CREATE TRIGGER result_corrections_no_delete BEFORE DELETE ON result_corrections
  BEGIN SELECT RAISE(ABORT, 'corrections cannot be deleted'); END;
CREATE TRIGGER result_corrections_published_only BEFORE INSERT ON result_corrections
  WHEN (SELECT status FROM results WHERE id = NEW.result_id) IS NOT 'published'
  BEGIN SELECT RAISE(ABORT, 'only a published result can be corrected'); END;
CREATE TRIGGER followup_history_no_update BEFORE UPDATE ON followup_history
  BEGIN SELECT RAISE(ABORT, 'follow-up history cannot be changed'); END;
CREATE TRIGGER followup_history_no_delete BEFORE DELETE ON followup_history
  BEGIN SELECT RAISE(ABORT, 'follow-up history cannot be deleted'); END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
  BEGIN SELECT RAISE(ABORT, 'archived attachments cannot be changed'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
  BEGIN SELECT RAISE(ABORT, 'archived attachments cannot be deleted'); END;
CREATE TRIGGER exemptions_no_update BEFORE UPDATE ON exemptions
  BEGIN SELECT RAISE(ABORT, 'exemptions cannot be changed'); END;
CREATE TRIGGER exemptions_no_delete BEFORE DELETE ON exemptions
  BEGIN SELECT RAISE(ABORT, 'exemptions cannot be deleted'); END;
