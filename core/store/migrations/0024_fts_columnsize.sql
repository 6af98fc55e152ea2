-- 0024: the directory's search index without per-row column sizes (columnsize=0): searches use it
-- only as a filter (MATCH, never bm25 or highlight, which need the sizes), so the 1,000,000-row
-- %_docsize table was written for nothing; a rebuild is about 10 % faster (issue 19). Same
-- columns, tokenizer and detail as 0016; rebuilt from the table, and nothing is pending after it.
DROP TABLE enterprises_fts;
CREATE VIRTUAL TABLE enterprises_fts USING fts5(name, uscc, content='enterprises', content_rowid='id',
                                                tokenize='trigram', detail='none', columnsize=0);
INSERT INTO enterprises_fts(enterprises_fts) VALUES ('rebuild');
DELETE FROM enterprises_fts_pending;
