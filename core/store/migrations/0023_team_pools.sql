-- 0023: the team draw keeps each slot's pool out of the slots JSON (issue 19: building and writing a
-- JSON value per pool member was most of the draw's time). pools: [[cert_no…] per slot, in the
-- slots' order], written once by the draw and never changed; NULL for teams drawn before this
-- migration, whose slots still carry their "pool".
ALTER TABLE task_teams ADD COLUMN pools TEXT;
