-- Cheaper CHECK constraints on the directories (the same constraints, spelled differently).
--
-- SQLite codes a CHECK of the form `col IN (three or more constants)` with an ephemeral b-tree that it
-- builds again for every row written (OpenEphemeral + one insert per constant, then a lookup): about
-- a third of the cost of a row of the 1,000,000-row enterprise import. `col = a OR col = b OR ...` is
-- the same condition on these NOT NULL text columns and is checked with a few comparisons.
--
-- Only the text of the constraints changes, not the data or its format on disk, so the table is not
-- rebuilt (that would need the foreign keys pointing at it switched off): the definition is edited in
-- sqlite_schema, the procedure of https://sqlite.org/lang_altertable.html#otheralter for changes that
-- leave the stored content valid. replace() leaves a definition it does not recognise untouched.
-- Connections opened before this migration keep the old, equivalent definition until they reload.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(replace(sql,
       'CHECK (risk_level IN (''red'',''orange'',''yellow'',''blue''))',
       'CHECK (risk_level = ''red'' OR risk_level = ''orange'' OR risk_level = ''yellow'' OR risk_level = ''blue'')'),
       'CHECK (credit_level IN (''good'',''normal'',''dishonest''))',
       'CHECK (credit_level = ''good'' OR credit_level = ''normal'' OR credit_level = ''dishonest'')')
 WHERE type = 'table' AND name = 'enterprises';
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (gender IN ('''',''male'',''female''))',
       'CHECK (gender = '''' OR gender = ''male'' OR gender = ''female'')')
 WHERE type = 'table' AND name = 'inspectors';
PRAGMA writable_schema = OFF;
