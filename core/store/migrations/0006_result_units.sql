-- 9.1 "谁检查、谁公示": the unit a published result is about, fixed at publication. The public results
-- read the unit's USCC, name, industry and region from here, never from the directory by USCC, so
-- that editing an enterprise (its USCC, or another unit taking that USCC) cannot move a published
-- finding to another company. Taken from the task's unit row (task_units.enterprise_id).
CREATE TABLE result_units (
  result_id     INTEGER PRIMARY KEY REFERENCES results(id),
  enterprise_id INTEGER,
  uscc          TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  industry      TEXT,
  region        TEXT,
  at            TEXT NOT NULL
);
CREATE INDEX result_units_industry ON result_units(industry);
CREATE INDEX result_units_region ON result_units(region);

-- Results published before this migration: the unit of their task row as it is now.
INSERT INTO result_units(result_id, enterprise_id, uscc, name, industry, region, at)
  SELECT r.id, u.enterprise_id, r.uscc, coalesce(e.name, ''), e.industry, e.region, coalesce(r.published_at, '')
  FROM results r
  LEFT JOIN task_units u ON u.task_id = r.task_id AND u.uscc = r.uscc
  LEFT JOIN enterprises e ON e.id = u.enterprise_id
  WHERE r.status = 'published';

CREATE TRIGGER result_units_no_update BEFORE UPDATE ON result_units
  BEGIN SELECT RAISE(ABORT, 'the unit of a published result cannot be changed'); END;
CREATE TRIGGER result_units_no_delete BEFORE DELETE ON result_units
  BEGIN SELECT RAISE(ABORT, 'the unit of a published result cannot be deleted'); END;
