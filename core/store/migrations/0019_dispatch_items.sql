-- SPEC §10, 7.2: every unit of a locked task is assigned to its executing org (任务执行单位) by the
-- rule inspectors.executing_org, with the reason, clause and rule version. That org's staff see the
-- unit in their inbox; its head decides the unit's replacements (7.3) and corrections (9.1).
-- Tasks locked before this version have no rows: their lead org acts for every unit.
CREATE TABLE task_dispatch (
  task_id       INTEGER NOT NULL REFERENCES tasks(id),
  uscc          TEXT NOT NULL,
  enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
  org_id        INTEGER NOT NULL REFERENCES orgs(id),
  reason        TEXT NOT NULL,
  clause        TEXT NOT NULL,
  rule_sha      TEXT NOT NULL,
  at            TEXT NOT NULL,
  PRIMARY KEY (task_id, uscc)
);
CREATE INDEX task_dispatch_org ON task_dispatch(org_id, task_id);

-- Items match units (5.1.1, issue 15): the industries an item applies to (JSON array of the
-- industry names of rules/categories.lua; [] = every industry). A task draws only units of an
-- industry one of its items applies to, and a unit's record holds only the items that apply to it.
ALTER TABLE items ADD COLUMN industries TEXT NOT NULL DEFAULT '[]';

-- 8.1: the date of the inspection (检查日期) on each result; NULL for results entered before this
-- version (their entry date stands in: exchange.c).
ALTER TABLE results ADD COLUMN check_date TEXT;

-- 8.1 检查方式 of a task: codes of rules/categories.lua check_methods (JSON array), and for a joint
-- task the kind of joint check (joint_check_types code, or NULL).
ALTER TABLE tasks ADD COLUMN check_methods TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN joint_check_type TEXT;
