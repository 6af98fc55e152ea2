-- eligibility.lua: whether a unit of the directory may be a candidate of a random draw.
-- Clauses: 3.2 (scope of industries), 3.3 (directory dynamically maintained: closed units leave the
-- pool), 4.3 (cases handled outside random draws), 6.2 (at most once a year, and its exceptions).
-- Uses rules.categories at call time. Runs once per unit per task (up to 1,000,000 units): every
-- outcome is a constant built at load time, and check returns a fresh copy of it, so a caller that
-- modifies a returned decision changes nothing else (the freeze calls Lua once per distinct tuple of
-- declared inputs, so the copy costs little).
--
-- check(unit, task, history) -> { ok, reason, clause }
--   history = { drawn_this_year = integer, last_drawn = "YYYY-MM-DD" | nil,
--               open_case = "a".."e" | nil,       -- 4.3: a case on the unit's inspection record
--                                                  -- (SPEC §11) that is still open
--               overlapping_task = text | nil }    -- 8.2: another dispatched task whose dates
--                                                  -- overlap this one's selected the unit
--   (history may be nil).
-- Order of the checks: closed (3.3) -> industry outside 3.2 -> open 4.3 case -> another task with
-- overlapping dates (8.2) -> once-a-year (6.2).

local M = {}

-- The fields check reads, and nothing else (rules/README.md "Declared inputs"): in a freeze the
-- unit and history tables hold only these, so check sees nil for any other field. Add a field
-- here before reading it.
M.unit_fields = { "status", "industry", "complaints", "watchlist", "dishonest",
                  "credit_level", "serious_violation" }
M.history_fields = { "drawn_this_year", "last_drawn", "open_case", "overlapping_task" }

-- 6.2: a unit is drawn at most this many times in a year (outside the exceptions below).
M.max_draws_per_year = 1
-- 6.2 "投诉举报多": this many complaints or more count as repeated complaints.
M.repeated_complaints = 2
-- 6.2 exceptions that apply only to key-industry units (true) or to units of any industry (false).
-- The sentence of 6.2 reads: "对危险化学品、非煤矿山、烟花爆竹、冶金、有色等重点行业领域投诉举报多、
-- 列入重点关注名单、存在失信行为或严重违法违规记录等情况的检查对象，可增加抽查频次" -- the industries
-- qualify every case it lists, so repeated complaints, the key-attention list and serious-violation
-- records lift the once-a-year limit for key-industry units only (a general-industry unit on the
-- watchlist is drawn at most once a year).
-- Choice for 失信: it also applies to units of any industry. The preceding sentence of 6.2 ("对失信
-- 市场主体……提高抽查比例和频次") raises ratio and frequency for dishonest market entities without
-- naming industries, so a dishonest unit of a general industry may be drawn again too.
M.key_industry_only = {
  complaints = true,
  watchlist = true,
  dishonest = false,
  serious_violation = true,
}

-- 4.3 cases not subject to random draws.
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

local max_draws = M.max_draws_per_year
local threshold = M.repeated_complaints
local key_only = M.key_industry_only

-- The 6.2 exception that applies, or nil. `is_key` is the unit's key-industry flag.
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

-- rules.categories.category_code, looked up at the first call. A rule set is always loaded (and
-- reloaded) as a whole, so this never outlives the categories rule it came from.
local category_code

local function decide(unit, task, history)
  local status = unit.status
  if status ~= "active" then
    if status == "closed" then return CLOSED end
    if status ~= nil then return NOT_ACTIVE end   -- a missing status counts as active
  end
  category_code = category_code or rules.categories.category_code
  local cat = category_code(unit.industry)
  if cat == nil then return OUT_OF_SCOPE end
  if history then
    local sc = history.open_case
    if sc ~= nil and sc ~= "" then return CASE[sc] or BAD_CASE end
    -- 8.2 "杜绝重复检查": one visit per unit; a department that also has items for it joins the
    -- other task (POST /api/tasks/{id}/join) instead of drawing it again.
    local other = history.overlapping_task
    if type(other) == "string" and other ~= "" then
      return { ok = false, clause = "8.2",
               reason = "已在检查时间重叠的" .. other .. "中被抽中，同一单位不重复检查；如需检查本任务事项，可申请加入该任务" }
    end
    local drawn = history.drawn_this_year or 0
    local last = history.last_drawn
    if drawn < max_draws and history.drawn_this_year == nil and type(last) == "string" and task.year then
      -- only the date of the last draw is known: count it if it falls in the task's year
      if tonumber(last:sub(1, 4)) == task.year then drawn = 1 end
    end
    if drawn >= max_draws then
      return exception(unit, task, cat == "key") or ALREADY
    end
  end
  return OK
end

-- check(unit, task, history) -> a new { ok, reason, clause } table (see the header).
function M.check(unit, task, history)
  local d = decide(unit, task, history)
  return { ok = d.ok, reason = d.reason, clause = d.clause }
end

return M
