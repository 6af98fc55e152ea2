-- categories.lua：行业类别（第3.2、5.1.2条）、检查结果类别（8.4）以及 SPEC §8 的代码表
-- （风险等级、信用等级、单位状态）。
--
-- 关于化工和医药的取舍：第3.2条把它们列为检查对象，但第5.1.2条未对二者分类。
-- 二者都按“重点”处理：化工（含石油化工）是危险化学品生产、储存和使用的行业，医药制造
-- （原料药、中间体）同样涉及危险化学品，因此归入第5.1.2条的危险化学品重点事项。要改变
-- 这一取舍，修改下面的 `category`。
--
-- 只有数据和两个查找函数；不调用其他规则。

local M = {}

-- 第3.2条所列行业，按指引的顺序。`clause` 为该类别的依据条款。
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

-- 行业的其他写法（3.2 原文写法或常用简称）。
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

-- 各类别的适用理由（给工作人员看的理由文字）。
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

-- 载入时构造一次的查找表：名称（或别名）-> 规范名称 / 类别。
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

-- 供其他规则使用的快速映射（逐个字段读取；不要用 pairs 遍历）。
M.category_of = category_of    -- 行业名称或别名 -> "key" | "general"
M.canonical_of = canonical     -- 行业名称或别名 -> `industries` 中的名称

-- canonical(name) -> 所列名称或认可的别名对应的第3.2条行业名称，否则为 nil。
-- 核心程序用它（而不是 category 的理由文字）把行业统一存为一种写法。
function M.canonical(name)
  if type(name) ~= "string" then return nil end
  return canonical[name]
end

-- category_code(industry) -> "key" | "general" | nil：仅查表，用于逐单位的热点路径
-- （eligibility.check 和 sampling.stratum 对百万单位名录库的每个单位各运行一次）。
function M.category_code(industry)
  return category_of[industry]
end

-- category(industry) -> "key" | "general", 理由, 条款；未知行业 -> nil, 理由, "3.2"。
function M.category(industry)
  local name = canonical[industry]
  if not name then
    return nil, "未知行业“" .. tostring(industry) .. "”：不在第3.2条所列工矿商贸行业范围内", "3.2"
  end
  local e = entry_of[name]
  return e.category, name .. "：" .. REASONS[e.clause][e.category], e.clause
end

-- 8.4 检查结果类别。follow_up = 该结果在结案前需要后续处理（9.2）：凡发现问题（b–g）都需要；
-- (a) 未发现问题和 (h) 未发现该类生产经营活动不需要（(h) 只引起第3.3条的名录库更新）。
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

-- result_category(code) -> result_categories 中的条目，或 nil。
function M.result_category(code)
  return result_by_code[code]
end

-- SPEC §8 代码表（JSON/CSV 代码及其中文名称），由高到低排列。
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

-- SPEC §10：机构的类别和层级。代码为数据库结构所用（迁移 0013）；名称为页面、列表和提示
-- 所显示的文字。
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

-- 8.1 检查方式：“采取查阅资料、检查现场等方式”——任务中单位的检查方式（任务未选择时，
-- 适用此处所列的全部方式）——以及部门联合任务的“采取综合联查、风险分类联查、专项整治联查
-- 等方式”——联合检查的类型。
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
