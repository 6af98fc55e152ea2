-- Issue 19: the team draw looks up each unit's team in its previous task (rotation, 7.3); without
-- an index on the unit that was a scan of every team ever drawn, per unit.
CREATE INDEX task_teams_uscc ON task_teams(uscc);
