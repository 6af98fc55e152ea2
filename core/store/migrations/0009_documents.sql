-- SPEC §13 / 9.2: printable documents. Their wording and fields come from templates an
-- administrator edits and versions like rules (rule_versions): one row per version with its
-- SHA-256, at most one active per kind. The shipped files (rules/documents/<kind>.html) are stored
-- as version 1 the first time a kind is issued. Every issued document is archived with the
-- SHA-256 of its bytes and the template version that produced it, and is reprinted from here.

CREATE TABLE document_templates (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL,                    -- notice, record, rectification, announcement, results
  version    INTEGER NOT NULL,
  body       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0,1)),
  note       TEXT NOT NULL DEFAULT '',
  author     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (kind, version)
);
CREATE UNIQUE INDEX document_templates_active ON document_templates(kind) WHERE active = 1;

CREATE TABLE documents (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,
  task_id          INTEGER NOT NULL REFERENCES tasks(id),
  uscc             TEXT,                       -- NULL for the task's announcement and results list
  template_id      INTEGER NOT NULL REFERENCES document_templates(id),
  template_version INTEGER NOT NULL,
  template_sha256  TEXT NOT NULL,
  html             TEXT NOT NULL,
  sha256           TEXT NOT NULL,              -- of html's bytes
  issued_by        TEXT NOT NULL,
  issued_at        TEXT NOT NULL
);
CREATE INDEX documents_task ON documents(task_id, uscc);

-- An issued document is the archive (9.2): it is never changed or removed.
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
  BEGIN SELECT RAISE(ABORT, 'an issued document cannot be changed'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
  BEGIN SELECT RAISE(ABORT, 'an issued document cannot be deleted'); END;
CREATE TRIGGER document_templates_no_update BEFORE UPDATE OF body, sha256, kind, version ON document_templates
  BEGIN SELECT RAISE(ABORT, 'a template version cannot be changed; store a new one'); END;
