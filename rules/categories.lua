-- categories.lua: industry categories (clauses 3.2, 5.1.2), result categories (8.4) and the
-- code lists of SPEC §8 (risk level, credit level, unit status).
--
-- Decision on 化工 and 医药: clause 3.2 lists them as targets but 5.1.2 classifies neither.
-- Both are treated as "key": 化工(含石油化工) is where 危险化学品 are produced, stored and used,
-- and 医药 manufacturing (原料药、中间体) handles hazardous chemicals in the same way, so they
-- are placed with 危险化学品 under 5.1.2's key items. To change it, edit `category` below.
--
-- Pure data plus two lookups; no other rule is used.

local M = {}

-- The 3.2 list, in the order of the guideline. `clause` is where the category comes from.
M.industries = {
  { name = "非煤矿山", category = "key",     clause = "5.1.2" },
  { name = "化工",     category = "key",     clause = "3.2"   },
  { name = "医药",     category = "key",     clause = "3.2"   },
  { name = "危险化学品", category = "key",   clause = "5.1.2" },
  { name = "烟花爆竹", category = "key",     clause = "5.1.2" },
  { name = "冶金",     category = "key",     clause = "5.1.2" },
  { name = "有色",     category = "key",     clause = "5.1.2" },
  { name = "建材",     category = "general", clause = "5.1.2" },
  { name = "机械",     category = "general", clause = "5.1.2" },
  { name = "轻工",     category = "general", clause = "5.1.2" },
  { name = "纺织",     category = "general", clause = "5.1.2" },
  { name = "烟草",     category = "general", clause = "5.1.2" },
  { name = "商贸",     category = "general", clause = "5.1.2" },
}

-- Other spellings accepted for an industry (as written in 3.2, or common short forms).
M.aliases = {
  ["非煤矿山(含地质勘探)"] = "非煤矿山",
  ["非煤矿山（含地质勘探）"] = "非煤矿山",
  ["地质勘探"] = "非煤矿山",
  ["化工(含石油化工)"] = "化工",
  ["化工（含石油化工）"] = "化工",
  ["石油化工"] = "化工",
  ["危化品"] = "危险化学品",
  ["有色金属"] = "有色",
}

M.category_labels = { key = "重点", general = "一般" }

-- Why each category applies (reason strings for bureau staff).
local REASONS = {
  ["5.1.2"] = {
    key = "属于第5.1.2条所列重点抽查事项行业（危险化学品、非煤矿山、烟花爆竹、冶金、有色），抽查比例不设上限",
    general = "属于第5.1.2条所列一般抽查事项行业（建材、机械、轻工、纺织、烟草、商贸），抽查比例不低于规定下限",
  },
  ["3.2"] = {
    key = "第3.2条将其列为检查对象但第5.1.2条未作分类；因其生产、储存、使用危险化学品，参照危险化学品按重点行业管理",
    general = "第3.2条将其列为检查对象但第5.1.2条未作分类，按一般行业管理",
  },
}

-- Lookup tables built once at load time: name (or alias) -> canonical name / category.
local canonical, category_of, entry_of = {}, {}, {}
for _, e in ipairs(M.industries) do
  canonical[e.name] = e.name
  category_of[e.name] = e.category
  entry_of[e.name] = e
end
for alias, name in pairs(M.aliases) do
  canonical[alias] = name
  category_of[alias] = category_of[name]
end

-- Fast maps for other rules (read them field by field; do not iterate them with pairs).
M.category_of = category_of    -- industry name or alias -> "key" | "general"
M.canonical_of = canonical     -- industry name or alias -> name in `industries`

-- canonical(name) -> the 3.2 industry name for a listed name or an accepted alias, or nil.
-- The core asks this (never the reason text of category) to store an industry as one spelling.
function M.canonical(name)
  if type(name) ~= "string" then return nil end
  return canonical[name]
end

-- category_code(industry) -> "key" | "general" | nil: the bare lookup, for per-unit hot paths
-- (eligibility.check and sampling.stratum run once per unit of a million-unit directory).
function M.category_code(industry)
  return category_of[industry]
end

-- category(industry) -> "key" | "general", reason, clause; unknown industry -> nil, reason, "3.2".
function M.category(industry)
  local name = canonical[industry]
  if not name then
    return nil, "未知行业“" .. tostring(industry) .. "”：不在第3.2条所列工矿商贸行业范围内", "3.2"
  end
  local e = entry_of[name]
  return e.category, name .. "：" .. REASONS[e.clause][e.category], e.clause
end

-- 8.4 result categories. follow_up = the result needs follow-up handling (9.2) before the case
-- is closed: every problem found (b–g) does; (a) no problem and (h) no such business activity do not
-- ((h) only triggers a directory update under 3.3).
M.result_categories = {
  { code = "a", label = "未发现问题", follow_up = false },
  { code = "b", label = "未按规定公示应当公示的信息", follow_up = true },
  { code = "c", label = "公示信息隐瞒真实情况、弄虚作假", follow_up = true },
  { code = "d", label = "通过登记的住所(经营场所)无法联系", follow_up = true },
  { code = "e", label = "发现问题已责令改正", follow_up = true },
  { code = "f", label = "不予配合情节严重", follow_up = true },
  { code = "g", label = "发现问题待后续处理", follow_up = true },
  { code = "h", label = "未发现开展本次抽查涉及的经营活动", follow_up = false },
}

local result_by_code = {}
for _, r in ipairs(M.result_categories) do result_by_code[r.code] = r end

-- result_category(code) -> the entry of result_categories, or nil.
function M.result_category(code)
  return result_by_code[code]
end

-- SPEC §8 code lists (JSON/CSV codes with their Chinese labels), ordered from high to low.
M.risk_levels = {
  { code = "red",    label = "重大" },
  { code = "orange", label = "较大" },
  { code = "yellow", label = "一般" },
  { code = "blue",   label = "低" },
}

M.credit_levels = {
  { code = "good",      label = "守信" },
  { code = "normal",    label = "一般" },
  { code = "dishonest", label = "失信" },
}

M.unit_statuses = {
  { code = "active", label = "正常" },
  { code = "closed", label = "注销" },
}

-- SPEC §10: the kinds and levels of organisations (orgs). The codes are the schema's
-- (migration 0013); the labels are what pages, lists and messages show.
M.org_kinds = {
  { code = "bureau",     label = "本局" },
  { code = "division",   label = "内设股室" },
  { code = "township",   label = "乡镇（街道）" },
  { code = "department", label = "其他部门" },
}

M.org_levels = {
  { code = "county",   label = "县级" },
  { code = "township", label = "乡镇级" },
}

-- 8.1 检查方式: "采取查阅资料、检查现场等方式" -- how a task's units are checked (a task without a
-- choice uses every method listed here) -- and, for a joint task (部门联合), "采取综合联查、风险分类
-- 联查、专项整治联查等方式" -- the kind of joint check.
M.check_methods = {
  { code = "documents", label = "查阅资料" },
  { code = "site",      label = "检查现场" },
}
M.joint_check_types = {
  { code = "comprehensive", label = "综合联查" },
  { code = "risk",          label = "风险分类联查" },
  { code = "special",       label = "专项整治联查" },
}

return M
