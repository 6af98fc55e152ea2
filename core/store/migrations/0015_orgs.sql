-- SPEC §10: organisations (the bureau, its divisions, the townships, other county departments).
-- Every user, inspector and item belongs to one org; a task has a lead org and joint orgs.
-- The free-text names of earlier versions (inspectors.unit 所在单位, items.department 检查部门,
-- tasks.lead_unit / joint_units) become orgs by name; the text columns stay (nothing is lost) and
-- inspectors.unit / items.department keep naming the org (renaming an org renames them, orgs.c).
-- kind and level are codes; their Chinese labels are in rules/categories.lua (org_kinds, org_levels).

CREATE TABLE orgs (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind = 'bureau' OR kind = 'division' OR kind = 'township' OR kind = 'department'),
  parent_id  INTEGER REFERENCES orgs(id),
  level      TEXT NOT NULL CHECK (level = 'county' OR level = 'township'),
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs(name);
CREATE UNIQUE INDEX orgs_one_bureau ON orgs(kind) WHERE kind = 'bureau';

-- The bureau: named after the unit the existing data names most often as 检查部门, lead unit or
-- county-level 所在单位; a database without any is named 本局 (`init --bureau NAME` names it).
INSERT INTO orgs(name, kind, parent_id, level, created_at, updated_at)
SELECT coalesce((SELECT n FROM (SELECT trim(department) AS n FROM items WHERE trim(department) != ''
                                UNION ALL SELECT trim(lead_unit) FROM tasks WHERE trim(lead_unit) != ''
                                UNION ALL SELECT trim(unit) FROM inspectors WHERE trim(unit) != '' AND level = 'county')
                  GROUP BY n ORDER BY count(*) DESC, n LIMIT 1), '本局'),
       'bureau', NULL, 'county', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now');

-- Every other name in the data: a township's org when township inspectors name it, else a department.
INSERT INTO orgs(name, kind, parent_id, level, created_at, updated_at)
SELECT n, CASE WHEN township THEN 'township' ELSE 'department' END, NULL,
       CASE WHEN township THEN 'township' ELSE 'county' END,
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM (SELECT n, max(township) AS township FROM (
          SELECT trim(unit) AS n, level = 'township' AS township FROM inspectors WHERE trim(unit) != ''
          UNION ALL SELECT trim(department), 0 FROM items WHERE trim(department) != ''
          UNION ALL SELECT trim(lead_unit), 0 FROM tasks WHERE trim(lead_unit) != ''
          UNION ALL SELECT trim(j.value), 0
                      FROM tasks t, json_each(CASE WHEN json_valid(t.joint_units) THEN t.joint_units ELSE '[]' END) j
                     WHERE j.type = 'text' AND trim(j.value) != '')
        GROUP BY n)
 WHERE n NOT IN (SELECT name FROM orgs)
 ORDER BY n;

-- Inspectors: the org their 所在单位 names; none named: the bureau.
ALTER TABLE inspectors ADD COLUMN org_id INTEGER REFERENCES orgs(id);
UPDATE inspectors SET org_id = coalesce((SELECT id FROM orgs WHERE name = trim(inspectors.unit)),
                                        (SELECT id FROM orgs WHERE kind = 'bureau'));
CREATE INDEX inspectors_org ON inspectors(org_id);
-- The directory engine writes unit (所在单位, checked against the orgs by name); org_id follows it.
CREATE TRIGGER inspectors_org_insert AFTER INSERT ON inspectors BEGIN
  UPDATE inspectors SET org_id = coalesce((SELECT id FROM orgs WHERE name = NEW.unit),
                                          (SELECT id FROM orgs WHERE kind = 'bureau')) WHERE id = NEW.id;
END;
CREATE TRIGGER inspectors_org_update AFTER UPDATE OF unit ON inspectors BEGIN
  UPDATE inspectors SET org_id = coalesce((SELECT id FROM orgs WHERE name = NEW.unit),
                                          (SELECT id FROM orgs WHERE kind = 'bureau')) WHERE id = NEW.id;
END;

-- Items (5.1.1): the org that checks them (检查部门).
ALTER TABLE items ADD COLUMN org_id INTEGER REFERENCES orgs(id);
UPDATE items SET org_id = coalesce((SELECT id FROM orgs WHERE name = trim(items.department)),
                                   (SELECT id FROM orgs WHERE kind = 'bureau'));
CREATE TRIGGER items_org_insert AFTER INSERT ON items BEGIN
  UPDATE items SET org_id = coalesce((SELECT id FROM orgs WHERE name = NEW.department),
                                     (SELECT id FROM orgs WHERE kind = 'bureau')) WHERE id = NEW.id;
END;
CREATE TRIGGER items_org_update AFTER UPDATE OF department ON items BEGIN
  UPDATE items SET org_id = coalesce((SELECT id FROM orgs WHERE name = NEW.department),
                                     (SELECT id FROM orgs WHERE kind = 'bureau')) WHERE id = NEW.id;
END;

-- Users: an org and a real name (姓名). A user linked to an inspector takes the inspector's org and
-- name; the others belong to the bureau, their name to be filled in by an administrator.
ALTER TABLE users ADD COLUMN org_id INTEGER REFERENCES orgs(id);
ALTER TABLE users ADD COLUMN real_name TEXT NOT NULL DEFAULT '';
UPDATE users SET org_id = coalesce((SELECT i.org_id FROM inspectors i WHERE i.cert_no = users.cert_no),
                                   (SELECT id FROM orgs WHERE kind = 'bureau')),
                 real_name = coalesce((SELECT i.name FROM inspectors i WHERE i.cert_no = users.cert_no), '');
CREATE INDEX users_org ON users(org_id);

-- Tasks: the lead org and the joint orgs by id (lead_unit / joint_units kept as they were).
ALTER TABLE tasks ADD COLUMN lead_org_id INTEGER REFERENCES orgs(id);
ALTER TABLE tasks ADD COLUMN joint_org_ids TEXT NOT NULL DEFAULT '[]';
UPDATE tasks SET lead_org_id = coalesce((SELECT id FROM orgs WHERE name = trim(tasks.lead_unit)),
                                        (SELECT id FROM orgs WHERE kind = 'bureau')),
                 joint_org_ids = coalesce((SELECT json_group_array(o.id) FROM (
                     SELECT DISTINCT o.id FROM json_each(CASE WHEN json_valid(tasks.joint_units) THEN tasks.joint_units
                                                         ELSE '[]' END) j JOIN orgs o ON o.name = trim(j.value)
                      WHERE j.type = 'text' ORDER BY o.id) o), '[]');
CREATE INDEX tasks_lead_org ON tasks(lead_org_id);
