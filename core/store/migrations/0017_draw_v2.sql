-- Draw algorithm v2 (SPEC §12, issue 16): the witness commits to a text at freeze (only its SHA-256 is
-- stored) and the planner names a future public beacon; the draw reveals the witness text and enters
-- the beacon's published value. Tasks frozen before this version keep algorithm v1.
ALTER TABLE tasks ADD COLUMN draw_algorithm TEXT NOT NULL DEFAULT 'spotcheck-draw-v1';
ALTER TABLE tasks ADD COLUMN witness_commitment TEXT;       -- v2: SHA-256(witness), hex, set at freeze
ALTER TABLE tasks ADD COLUMN beacon_source TEXT;            -- v2: names the future public value and its date
-- The team draw (SPEC §4 with §12's seed): committed at lock, revealed at the team draw.
ALTER TABLE tasks ADD COLUMN team_draw_algorithm TEXT NOT NULL DEFAULT 'spotcheck-draw-v1';
ALTER TABLE tasks ADD COLUMN team_witness_commitment TEXT;
ALTER TABLE tasks ADD COLUMN team_beacon_source TEXT;
ALTER TABLE tasks ADD COLUMN team_beacon TEXT;

-- Each freeze publishes its own witness commitment and beacon source (v2), each draw its beacon.
ALTER TABLE task_freezes ADD COLUMN witness_commitment TEXT;
ALTER TABLE task_freezes ADD COLUMN beacon_source TEXT;
ALTER TABLE task_draws ADD COLUMN beacon TEXT;              -- v2 only
