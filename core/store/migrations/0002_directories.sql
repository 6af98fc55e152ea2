-- Directories (clauses 3.3, 3.4, 5.2): enterprises (检查对象名录库) and inspectors (检查人员名录库),
-- each with a history table keeping every previous version; the item list (抽查事项清单, 5.1.1) with
-- its checkpoints (检查要点) and published adjustments.
-- Codes are stored (risk_level red/orange/yellow/blue, ...); Chinese labels are accepted on input.
-- CHECKs of three or more values are spelled `col = a OR col = b OR …`, not `col IN (…)`: SQLite
-- checks an IN list of three or more constants through an ephemeral b-tree built again for every row
-- written, about a third of the cost of a row in a 1,000,000-row import.

CREATE TABLE enterprises (
  id                INTEGER PRIMARY KEY,
  uscc              TEXT NOT NULL,               -- 统一社会信用代码, GB 32100, upper case (unique index)
  name              TEXT NOT NULL,               -- 单位名称
  unit_type         TEXT NOT NULL DEFAULT '',    -- 单位类型
  legal_rep         TEXT NOT NULL DEFAULT '',    -- 法定代表人
  address           TEXT NOT NULL DEFAULT '',    -- 住所
  business_scope    TEXT NOT NULL DEFAULT '',    -- 经营范围
  region            TEXT NOT NULL,               -- 行政区划 (town / street / development zone)
  industry          TEXT NOT NULL,               -- 行业类别: a name of categories.lua's industries
  supervision_type  TEXT NOT NULL DEFAULT '',    -- 监管类型
  risk_level        TEXT NOT NULL DEFAULT 'yellow' CHECK (risk_level = 'red' OR risk_level = 'orange' OR risk_level = 'yellow' OR risk_level = 'blue'),
  credit_level      TEXT NOT NULL DEFAULT 'normal' CHECK (credit_level = 'good' OR credit_level = 'normal' OR credit_level = 'dishonest'),
  complaints        INTEGER NOT NULL DEFAULT 0 CHECK (complaints >= 0),
  watchlist         INTEGER NOT NULL DEFAULT 0 CHECK (watchlist IN (0,1)),
  dishonest         INTEGER NOT NULL DEFAULT 0 CHECK (dishonest IN (0,1)),
  serious_violation INTEGER NOT NULL DEFAULT 0 CHECK (serious_violation IN (0,1)),
  major_hazard      INTEGER NOT NULL DEFAULT 0 CHECK (major_hazard IN (0,1)),
  status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
  version           INTEGER NOT NULL DEFAULT 1,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
-- The key as a named unique index (not a column constraint) so that a bulk import into the empty
-- table can build it once after loading (csvimport.c). Each index costs a 1,000,000-row import a
-- scan of the table plus a sort of its entries (about 0.12 s + 0.25 s for a full-size one), so the
-- list's filters and sorts (enterprises.c) share as few as serve them all without a full scan:
-- * one plain index per filtered text column: rows are appended in id order, so (column, rowid)
--   keeps each filter's pages in id order for paging, and serves sort=column (then id);
-- * risk_level by its rank (the list's risk order), which serves both the filter and the sort;
-- * the rare flags share one partial index in id order that carries the flags (a filter walks it
--   and checks the flag in the index), and complaints > 0 one more (has_complaints, complaints_min).
-- The expression must stay identical to RISK_RANK in enterprises.c.
CREATE UNIQUE INDEX enterprises_uscc ON enterprises(uscc);
CREATE INDEX enterprises_region ON enterprises(region);
CREATE INDEX enterprises_industry ON enterprises(industry);
CREATE INDEX enterprises_unit_type ON enterprises(unit_type);
CREATE INDEX enterprises_supervision ON enterprises(supervision_type);
CREATE INDEX enterprises_risk ON enterprises(CASE risk_level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END);
CREATE INDEX enterprises_credit ON enterprises(credit_level);
CREATE INDEX enterprises_status ON enterprises(status);
CREATE INDEX enterprises_flags ON enterprises(id, watchlist, dishonest, serious_violation, major_hazard)
  WHERE watchlist = 1 OR dishonest = 1 OR serious_violation = 1 OR major_hazard = 1;
CREATE INDEX enterprises_complaints ON enterprises(id, complaints) WHERE complaints > 0;

-- One row per change: the version that was replaced (previous, a JSON object of every field),
-- what changed ({"field":[old,new]}), who and when, and through which channel (api / import).
CREATE TABLE enterprise_history (
  id            INTEGER PRIMARY KEY,
  enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
  version       INTEGER NOT NULL,            -- the version number of `previous`
  at            TEXT NOT NULL,
  actor         TEXT NOT NULL,
  source        TEXT NOT NULL,               -- 'api' | 'import'
  changes       TEXT NOT NULL,
  previous      TEXT NOT NULL
);
CREATE INDEX enterprise_history_unit ON enterprise_history(enterprise_id, version);

CREATE TABLE inspectors (
  id               INTEGER PRIMARY KEY,
  id_number        TEXT NOT NULL,                -- 身份证号, GB 11643 (unique index); personal data: masked on output
  name             TEXT NOT NULL,
  gender           TEXT NOT NULL DEFAULT '' CHECK (gender = '' OR gender = 'male' OR gender = 'female'),
  phone            TEXT NOT NULL DEFAULT '',
  unit             TEXT NOT NULL DEFAULT '',     -- 所在单位
  title            TEXT NOT NULL DEFAULT '',     -- 职务或职称
  cert_no          TEXT NOT NULL UNIQUE,         -- 执法证号
  cert_valid_until TEXT,                          -- YYYY-MM-DD
  expertise        TEXT NOT NULL DEFAULT '[]',   -- 业务专长: JSON array of tags, trimmed, unique
  level            TEXT NOT NULL DEFAULT 'county' CHECK (level IN ('county','township')),
  is_expert        INTEGER NOT NULL DEFAULT 0 CHECK (is_expert IN (0,1)),
  status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive')),
  version          INTEGER NOT NULL DEFAULT 1,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX inspectors_id_number ON inspectors(id_number);
CREATE INDEX inspectors_level ON inspectors(level);
CREATE INDEX inspectors_status ON inspectors(status);
CREATE INDEX inspectors_unit ON inspectors(unit);
CREATE INDEX inspectors_gender ON inspectors(gender);
CREATE INDEX inspectors_expert ON inspectors(id) WHERE is_expert = 1;
-- cert_valid_until: by date (sort, counts of cert_valid_on=) and in id order with the date (pages
-- of cert_valid_on=, which imply cert_valid_until IS NOT NULL).
CREATE INDEX inspectors_cert_valid ON inspectors(cert_valid_until);
CREATE INDEX inspectors_cert_valid_ids ON inspectors(id, cert_valid_until) WHERE cert_valid_until IS NOT NULL;

-- Same layout as enterprise_history; id numbers inside changes/previous are stored masked.
CREATE TABLE inspector_history (
  id           INTEGER PRIMARY KEY,
  inspector_id INTEGER NOT NULL REFERENCES inspectors(id),
  version      INTEGER NOT NULL,
  at           TEXT NOT NULL,
  actor        TEXT NOT NULL,
  source       TEXT NOT NULL,
  changes      TEXT NOT NULL,
  previous     TEXT NOT NULL
);
CREATE INDEX inspector_history_person ON inspector_history(inspector_id, version);

CREATE TABLE items (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,              -- 抽查事项
  target     TEXT NOT NULL DEFAULT '',   -- 检查对象
  category   TEXT NOT NULL DEFAULT '',   -- 事项类别
  method     TEXT NOT NULL DEFAULT '',   -- 检查方式
  department TEXT NOT NULL DEFAULT '',   -- 检查部门
  level      TEXT NOT NULL DEFAULT '',   -- 实施层级
  basis      TEXT NOT NULL DEFAULT '',   -- 检查依据
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
  version    INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- 检查要点: ordered per item; a removed checkpoint is kept (active = 0) so that recorded results
-- that point to it stay readable.
CREATE TABLE item_checkpoints (
  id      INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  pos     INTEGER NOT NULL,
  text    TEXT NOT NULL,
  active  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1))
);
CREATE INDEX item_checkpoints_item ON item_checkpoints(item_id, active, pos);

-- Adjustments of the list (5.1.1: adjusted as laws change, adjustments published).
CREATE TABLE item_adjustments (
  id      INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  date    TEXT NOT NULL,                 -- YYYY-MM-DD (China Standard Time)
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  kind    TEXT NOT NULL,                 -- 'create' | 'update'
  reason  TEXT NOT NULL,
  changes TEXT NOT NULL                  -- {"field":[old,new]}, checkpoints as lists of texts
);
CREATE INDEX item_adjustments_item ON item_adjustments(item_id, id);
