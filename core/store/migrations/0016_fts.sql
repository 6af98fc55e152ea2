-- Directory search (q=, a substring of the name or the USCC) through an FTS5 trigram index
-- (issue 19): at 1,000,000 units a substring scan takes 1.5 s.
-- enterprises_fts indexes the searched columns (external content: the text is not copied;
-- detail=none: row lists only, queried as an AND of the text's trigrams). Queries use it only as a
-- filter before the substring test itself (directory.c), so results are exactly those of the scan;
-- texts shorter than three characters cannot use a trigram index and scan as before.
-- Connections run with trusted_schema = OFF, under which a trigger may not write a virtual table.
-- So the triggers below record each changed row, with the values the index holds for it, in
-- enterprises_fts_pending, in the same transaction as the write; searches treat pending rows as
-- candidates too (exact at every moment, whoever wrote), and directory writes and imports move
-- them into the index before they commit (dir_fts_flush, directory.c).
CREATE VIRTUAL TABLE enterprises_fts USING fts5(name, uscc, content='enterprises', content_rowid='id',
                                                tokenize='trigram', detail='none');
INSERT INTO enterprises_fts(enterprises_fts) VALUES ('rebuild');

-- indexed = 1: the index holds this row with name and uscc (to be deleted from it); 0: not indexed.
CREATE TABLE enterprises_fts_pending (
  id      INTEGER PRIMARY KEY,
  indexed INTEGER NOT NULL,
  name    TEXT,
  uscc    TEXT
);

CREATE TRIGGER enterprises_fts_ai AFTER INSERT ON enterprises BEGIN
  INSERT OR IGNORE INTO enterprises_fts_pending(id, indexed) VALUES (new.id, 0);
END;
CREATE TRIGGER enterprises_fts_ad AFTER DELETE ON enterprises BEGIN
  INSERT OR IGNORE INTO enterprises_fts_pending(id, indexed, name, uscc) VALUES (old.id, 1, old.name, old.uscc);
END;
CREATE TRIGGER enterprises_fts_au AFTER UPDATE OF id, name, uscc ON enterprises BEGIN
  INSERT OR IGNORE INTO enterprises_fts_pending(id, indexed, name, uscc) VALUES (old.id, 1, old.name, old.uscc);
  INSERT OR IGNORE INTO enterprises_fts_pending(id, indexed) VALUES (new.id, 0);
END;
