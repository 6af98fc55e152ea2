-- sampling.lua：任务的抽查层，以及每层抽取多少个单位（第5.1.2、6.2条）。
-- 调用时使用 rules.categories。
--
-- 分层：行业类别（5.1.2 重点 / 一般）× 风险（6.2：风险等级为红、橙或有失信记录的单位为
-- “高”，适用更高的比例）。
-- 6.2“对风险等级低、信用好的检查对象，合理降低抽查比例和频次”：重点行业中风险等级为低（蓝）
-- 且信用等级为守信的单位单独成层（key_low），默认比例低于重点行业其他单位。一般行业不另设低
-- 比例层：一般行业的默认比例已是 5.1.2 的下限 5%，不能再低；对这些单位的“降低”通过频次实现
-- （eligibility.lua：上一年度已被抽取的，本年度不再列为候选）。
-- 比例：任务给出 task.ratios[层]（来自计划）时用它，否则用下面的 `ratios`；不低于下限
-- `general_min_ratio`（5.1.2：一般事项不少于 5%；重点层适用同一下限，因为重点行业的抽查
-- 不应少于一般行业）；“高”层的比例不低于同类别“其他”层（6.2）；重点层没有比例上限（可至
-- 全部）。
-- n = ceil(规模 × 比例)，不超过规模。
--
-- 要改 5% 下限，改 general_min_ratio（一个数字）。要改默认比例，改 `ratios`。

local M = {}

-- stratum 读取的单位字段（仅此而已，见 rules/README.md“声明输入”）：冻结时 unit 表只含
-- 这些字段，其他字段在 stratum 中都是 nil。读取新字段之前，先在这里添加。
M.unit_fields = { "industry", "risk_level", "credit_level", "dishonest" }

M.general_min_ratio = 0.05   -- 5.1.2：一般事项，抽查比例不少于检查对象的 5%

-- 抽取算法（SPEC §12）：false = 每次冻结都必须带有监督人见证文字的承诺值和指定的公开随机数
-- 来源（spotcheck-draw-v2）；true 时也接受不带它们的冻结（spotcheck-draw-v1，操作人员与串通的
-- 监督人有可能反复尝试以操纵结果）。这是本地选择，不是指引规定的数值。
M.draw_v1_allowed = false

-- 有序：这就是抽取时各层的顺序（SPEC §4：各层依次抽取）。
M.strata = {
  { name = "key_high",      category = "key",     high = true,  label = "重点行业·高风险或失信" },
  { name = "key_other",     category = "key",     high = false, label = "重点行业·其他" },
  { name = "key_low",       category = "key",     high = false, low = true, label = "重点行业·低风险且守信" },
  { name = "general_high",  category = "general", high = true,  label = "一般行业·高风险或失信" },
  { name = "general_other", category = "general", high = false, label = "一般行业·其他" },
}

-- 各层的默认比例（6.2：高风险和失信单位比例更高，低风险且守信的单位比例更低）。
M.ratios = {
  key_high = 0.30,
  key_other = 0.15,
  key_low = 0.10,
  general_high = 0.15,
  general_other = 0.05,
}

-- 计为“高”风险的风险等级（SPEC §8 代码）。
M.high_risk_levels = { red = true, orange = true }
-- key_low 层：风险等级为低、信用等级为守信（SPEC §8 代码；与 eligibility.lua 降低频次的条件相同）。
M.low_risk_levels = { blue = true }
M.good_credit_levels = { good = true }

local by_name = {}
for _, s in ipairs(M.strata) do by_name[s.name] = s end
local other_of = { key_high = "key_other", general_high = "general_other" }
local high_levels = M.high_risk_levels

-- stratum(unit, task) -> 层名；行业不在 3.2 范围内时为 nil（eligibility 在此之前已排除这些
-- 单位）。
-- rules.categories.category_code，首次调用时查找。规则总是整体载入（和重新载入），所以它
-- 不会比其来源的 categories 规则存活更久。
local category_code

function M.stratum(unit, task)
  category_code = category_code or rules.categories.category_code
  local cat = category_code(unit.industry)
  if cat == nil then return nil end
  local high = high_levels[unit.risk_level] or unit.credit_level == "dishonest" or unit.dishonest
  if cat == "key" then
    if high then return "key_high" end
    if M.low_risk_levels[unit.risk_level] and M.good_credit_levels[unit.credit_level] then return "key_low" end
    return "key_other"
  end
  return high and "general_high" or "general_other"
end

-- floor(层名) -> 该层的最低比例。
function M.floor(stratum_name)
  return M.general_min_ratio
end

-- effective_ratio(层名, task) -> 比例, 来源说明, 条款
function M.effective_ratio(stratum_name, task)
  local s = by_name[stratum_name]
  if not s then error("未知抽查层：" .. tostring(stratum_name), 2) end
  local plan = task and task.ratios and task.ratios[stratum_name]
  local ratio, source, clause = M.ratios[stratum_name], "默认比例", "6.2"
  if plan ~= nil then
    if type(plan) ~= "number" or plan ~= plan or plan < 0 then
      error("计划抽查比例无效：" .. stratum_name .. " = " .. tostring(plan), 2)
    end
    ratio, source = plan, "计划比例"
  end
  local floor = M.floor(stratum_name)
  if ratio <= floor then
    ratio, source, clause = floor, "最低比例", "5.1.2"
  end
  local other = other_of[stratum_name]
  if other then
    local r_other = M.effective_ratio(other, task)
    if ratio < r_other then
      ratio, source, clause = r_other, "不低于同类别其他企业比例", "6.2"
    end
  end
  if ratio > 1 then ratio = 1 end
  return ratio, source, clause
end

local function pct(r)
  local s = string.format("%.2f", r * 100):gsub("0+$", ""):gsub("%.$", "")
  return s .. "%"
end

-- count(层名, 规模, task) -> n, 理由, 条款
function M.count(stratum_name, size, task)
  size = type(size) == "number" and math.tointeger(size) or nil     -- 接受来自 JSON 的 12.0
  if size == nil or size < 0 then
    error("抽查层规模应为非负整数", 2)
  end
  local s = by_name[stratum_name]
  if not s then error("未知抽查层：" .. tostring(stratum_name), 2) end
  local ratio, source, clause = M.effective_ratio(stratum_name, task)
  if size == 0 then
    return 0, s.label .. "：本层无符合条件的企业", clause
  end
  -- 一个很小的 epsilon，避免浮点误差（0.07 * 100 = 7.000000000000001）多抽一个单位
  local n = math.ceil(size * ratio - 1e-9)
  if n > size then n = size end
  if n < 0 then n = 0 end
  n = math.tointeger(n)
  local rule
  if s.category == "key" then
    rule = "重点行业抽查比例不设上限，不低于" .. pct(M.floor(stratum_name))
  else
    rule = "一般行业抽查比例不低于" .. pct(M.general_min_ratio)
  end
  if s.high then rule = rule .. "；高风险或失信企业比例不低于同类别其他企业" end
  local reason = string.format("%s：共%d户，按%s%s抽取%d户（向上取整）；%s",
    s.label, size, source, pct(ratio), n, rule)
  return n, reason, clause
end

return M
