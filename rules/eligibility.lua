-- eligibility.lua：名录库中的某个单位能否作为随机抽取的候选对象。
-- 条款：3.2（行业范围）、3.3（名录库动态维护：已注销的单位移出候选范围）、4.3（不适用随机
-- 抽查、另行处理的情形）、6.2（每年至多一次及其例外）。
-- 调用时使用 rules.categories。每次任务对每个单位运行一次（最多 1,000,000 个单位）：所有结果
-- 都是载入时构造好的常量，check 返回其副本，调用方改动返回的结果不会影响其他单位（冻结时对
-- 声明输入的每一种取值组合只调用一次 Lua，复制的开销很小）。
--
-- check(unit, task, history) -> { ok, reason, clause }
--   history = { drawn_this_year = integer, last_drawn = "YYYY-MM-DD" | nil,
--               open_case = "a".."e" | nil,       -- 4.3：单位检查记录（SPEC §11）中尚未
--                                                  -- 办结的情形
--               overlapping_task = text | nil,     -- 8.2：检查时间重叠的另一个已派发任务
--                                                  -- 已抽中该单位
--               drawn_last_year = integer,          -- 上一年度被已派发任务抽中的次数
--               cases_this_year = integer }         -- 本年度开始的第4.3条情形检查次数
--   （history 可为 nil。）
-- 检查顺序：已注销（3.3）-> 行业不在 3.2 范围内 -> 有未办结的 4.3 情形 -> 时间重叠的其他
-- 任务（8.2）-> 每年一次（6.2）-> 每年检查次数上限 -> 风险低、信用好的降低频次（6.2）。

local M = {}

-- check 读取的字段（仅此而已，见 rules/README.md“声明输入”）：冻结时 unit 和 history 表只含
-- 这些字段，其他字段在 check 中都是 nil。读取新字段之前，先在这里添加。
M.unit_fields = { "status", "industry", "complaints", "watchlist", "dishonest",
                  "credit_level", "serious_violation", "risk_level" }
M.history_fields = { "drawn_this_year", "last_drawn", "open_case", "overlapping_task",
                     "drawn_last_year", "cases_this_year" }

-- 6.2：除下列例外情形外，同一单位每年至多被抽取的次数。
M.max_draws_per_year = 1
-- 6.2“投诉举报多”：投诉举报达到此次数即视为投诉举报多。
M.repeated_complaints = 2
-- 6.2 的例外情形是只适用于重点行业单位（true），还是适用于所有行业的单位（false）。
-- 6.2 原文：“对危险化学品、非煤矿山、烟花爆竹、冶金、有色等重点行业领域投诉举报多、
-- 列入重点关注名单、存在失信行为或严重违法违规记录等情况的检查对象，可增加抽查频次”——
-- 行业限定修饰所列的每一种情形，因此投诉举报多、列入重点关注名单和严重违法违规记录只对
-- 重点行业单位解除每年一次的限制（一般行业单位即使列入重点关注名单，每年也至多抽取一次）。
-- 对“失信”的取舍：适用于所有行业。6.2 前一句（“对失信市场主体……提高抽查比例和频次”）
-- 对失信市场主体提高抽查比例和频次，未限定行业，因此一般行业的失信单位也可再次抽取。
M.key_industry_only = {
  complaints = true,
  watchlist = true,
  dishonest = false,
  serious_violation = true,
}

-- 6.2“对风险低、信用好的检查对象，合理降低抽查比例和频次”（降低频次的部分）。本县的选择：
-- 风险等级为“低”且信用等级为“守信”的单位，上一年度已被随机抽取的，本年度不再列为候选，
-- 即至多每两年抽取一次（定向检查和下面的 6.2 例外情形不受此限）。
M.low_risk_levels = { blue = true }
M.good_credit_levels = { good = true }

-- 每个单位每年接受检查的次数上限：本年度已被随机抽取的次数加上本年度开始的第4.3条情形检查
-- （单位检查记录，SPEC §11）达到此数的，不再列入随机抽查，避免重复检查、干扰企业正常生产经营。
-- 本县的选择，不是指引规定的数值；定向检查和 6.2 例外情形不受此限。
M.max_inspections_per_year = 2

-- 4.3：不纳入随机抽查的情形。
M.special_cases = {
  { code = "a", label = "上级部门专项部署的检查" },
  { code = "b", label = "投诉举报、大数据监测预警、履职中发现违法行为等引发的检查" },
  { code = "c", label = "上级交办、其他部门移送或督办的案件" },
  { code = "d", label = "突发安全事件引发的检查" },
  { code = "e", label = "其他不适用随机抽查的情形" },
}

local FROZEN_MT = {
  __newindex = function() error("eligibility: decision tables are shared and read-only", 2) end,
  __metatable = "frozen",
}
local function decision(ok, reason, clause)
  return setmetatable({ ok = ok, reason = reason, clause = clause }, FROZEN_MT)
end

M.OK = decision(true, "符合随机抽查条件：本年度未被抽查过，且不属于第4.3条规定的情形", "6.2")
local OK = M.OK
local CLOSED = decision(false, "企业已注销，按名录库动态维护要求不再列为检查对象", "3.3")
local NOT_ACTIVE = decision(false, "企业状态不是“正常”，暂不列为检查对象", "3.3")
local OUT_OF_SCOPE = decision(false, "行业不在第3.2条所列工矿商贸行业范围内，不列为检查对象", "3.2")
local ALREADY = decision(false,
  "本年度已被抽查，同一企业每年抽查原则上不超过一次，且不属于第6.2条规定的例外情形", "6.2")
local BAD_CASE = decision(false, "第4.3条情形代码无效（应为a至e），请核对后再抽取", "4.3")

local CASE = {}
for _, c in ipairs(M.special_cases) do
  CASE[c.code] = decision(false, "属于第4.3条（" .. c.code .. "）" .. c.label .. "，不纳入随机抽查", "4.3")
end

local EXC_DIRECTED = {
  ["专项整治"] = decision(true, "本年度已被抽查，但本次为专项整治定向检查，不受每年一次限制", "6.2"),
  ["特殊事件"] = decision(true, "本年度已被抽查，但本次为特殊事件定向检查，不受每年一次限制", "6.2"),
  ["上级指令"] = decision(true, "本年度已被抽查，但本次为上级指令定向检查，不受每年一次限制", "6.2"),
}
local EXC_DIRECTED_OTHER = decision(true, "本年度已被抽查，但本次为定向检查，不受每年一次限制", "6.2")
local EXC_COMPLAINTS = decision(true,
  "本年度已被抽查，但属重点行业且投诉举报多（不少于" .. M.repeated_complaints .. "次），可增加抽查频次", "6.2")
local EXC_WATCHLIST = decision(true, "本年度已被抽查，但属重点行业且已列入重点关注名单，可增加抽查频次", "6.2")
local EXC_DISHONEST = decision(true, "本年度已被抽查，但属失信市场主体，可提高抽查频次", "6.2")
local EXC_SERIOUS = decision(true, "本年度已被抽查，但属重点行业且有严重违法违规记录，可增加抽查频次", "6.2")

local LOW_RISK = decision(false,
  "风险低、信用好，上一年度已被抽查，按第6.2条降低抽查频次，本年度不列为候选", "6.2")

local max_draws = M.max_draws_per_year
local max_inspections = M.max_inspections_per_year
local low_risk, good_credit = M.low_risk_levels, M.good_credit_levels
local threshold = M.repeated_complaints
local key_only = M.key_industry_only

-- 适用的 6.2 例外情形，没有则为 nil。`is_key` 表示该单位是否属于重点行业。
local function exception(unit, task, is_key)
  if task.directed then
    return EXC_DIRECTED[task.directed_reason] or EXC_DIRECTED_OTHER
  end
  local c = unit.complaints
  if c and c >= threshold and (is_key or not key_only.complaints) then return EXC_COMPLAINTS end
  if unit.watchlist and (is_key or not key_only.watchlist) then return EXC_WATCHLIST end
  if (unit.dishonest or unit.credit_level == "dishonest") and (is_key or not key_only.dishonest) then
    return EXC_DISHONEST
  end
  if unit.serious_violation and (is_key or not key_only.serious_violation) then return EXC_SERIOUS end
  return nil
end

-- rules.categories.category_code，首次调用时查找。规则总是整体载入（和重新载入），
-- 所以它不会比其来源的 categories 规则存活更久。
local category_code

local function decide(unit, task, history)
  local status = unit.status
  if status ~= "active" then
    if status == "closed" then return CLOSED end
    if status ~= nil then return NOT_ACTIVE end   -- 缺少状态时视为正常
  end
  category_code = category_code or rules.categories.category_code
  local cat = category_code(unit.industry)
  if cat == nil then return OUT_OF_SCOPE end
  if history then
    local sc = history.open_case
    if sc ~= nil and sc ~= "" then return CASE[sc] or BAD_CASE end
    -- 8.2“杜绝重复检查”：每个单位只检查一次；另一部门也有该单位适用的事项时，加入对方的
    -- 任务（POST /api/tasks/{id}/join），而不是再抽取一次。
    local other = history.overlapping_task
    if type(other) == "string" and other ~= "" then
      return { ok = false, clause = "8.2",
               reason = "已在检查时间重叠的" .. other .. "中被抽中，同一单位不重复检查；如需检查本任务事项，可申请加入该任务" }
    end
    local drawn = history.drawn_this_year or 0
    local last = history.last_drawn
    if drawn < max_draws and history.drawn_this_year == nil and type(last) == "string" and task.year then
      -- 只知道上次抽取的日期：若在任务年度内，则计为一次
      if tonumber(last:sub(1, 4)) == task.year then drawn = 1 end
    end
    if drawn >= max_draws then
      return exception(unit, task, cat == "key") or ALREADY
    end
    local cases = history.cases_this_year
    if cases and drawn + cases >= max_inspections then
      return exception(unit, task, cat == "key") or { ok = false, clause = "6.2", reason = string.format(
        "本年度已接受检查%d次（含第4.3条情形检查%d次），达到每年%d次的上限，不再列入随机抽查",
        drawn + cases, cases, max_inspections) }
    end
    local last_year = history.drawn_last_year
    if last_year and last_year > 0 and low_risk[unit.risk_level] and good_credit[unit.credit_level]
       and not exception(unit, task, cat == "key") then
      return LOW_RISK
    end
  end
  return OK
end

-- check(unit, task, history) -> 新的 { ok, reason, clause } 表（见文件开头说明）。
function M.check(unit, task, history)
  local d = decide(unit, task, history)
  return { ok = d.ok, reason = d.reason, clause = d.clause }
end

return M
