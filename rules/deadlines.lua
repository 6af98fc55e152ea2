-- deadlines.lua: working-day deadlines of clauses 9.1 (result entry and publication) and 9.2
-- (objection review, feedback), and the warning level of a deadline. Uses rules.calendar at call
-- time. Counting starts the day after the event; the result is the last day allowed.
-- To change a period, edit the one constant below.

local M = {}

M.publication_days = 20        -- 9.1: results entered and published within 20 working days of task end
M.objection_review_days = 20   -- 9.2: objection reviewed within 20 working days of receipt
M.feedback_days = 15           -- 9.2: feedback within 15 working days of the decision
M.warning_days = 5             -- yellow when the deadline is this many working days away or fewer
-- 9.2 "对抽查结果有异议的……" sets review and feedback periods but no period for filing an objection.
-- This county's choice: an objection is admissible from the day the result is published until
-- this many working days after it (the same length as the review period). Edit to change.
M.objection_filing_days = 20

-- Not a guideline value: the largest count add_working_days accepts (about 14 years), so that a
-- mistyped or hostile count (1e12) fails at once instead of looping until the call's budget ends.
M.max_working_days = 3660

local function unknown_years_warning(years)
  local list = {}
  for y in pairs(years) do list[#list + 1] = y end
  if #list == 0 then return nil end
  table.sort(list)
  for i, y in ipairs(list) do list[i] = tostring(y) end
  return table.concat(list, "、") .. "年节假日安排未录入，按周末计算"
end

-- add_working_days(date, n) -> { date = "YYYY-MM-DD", warning = nil | "2027年节假日安排未录入，按周末计算" }
-- The n-th working day after `date` (n >= 1; n = 0 returns date itself); n above
-- max_working_days raises.
function M.add_working_days(date, n)
  local cal = rules.calendar
  local count = type(n) == "number" and math.tointeger(n) or nil   -- 20.0 from JSON is accepted
  if count == nil or count < 0 then
    error("工作日数应为非负整数：" .. tostring(n), 2)
  end
  if count > M.max_working_days then
    error(string.format("工作日数超出范围（最多%d个工作日）：%s", M.max_working_days, tostring(n)), 2)
  end
  n = count
  local day = cal.to_days(date)
  local unknown = {}
  local counted = 0
  local current = date
  while counted < n do
    day = day + 1
    current = cal.from_days(day)
    local working, known = cal.is_working_day(current)
    if not known then unknown[tonumber(current:sub(1, 4))] = true end
    if working then counted = counted + 1 end
  end
  return { date = current, warning = unknown_years_warning(unknown) }
end

local function due(event, days, what, clause)
  local r = M.add_working_days(event, days)
  local reason = string.format("%s（%s）后%d个工作日内，最后期限为%s", what, event, days, r.date)
  if r.warning then reason = reason .. "；注意：" .. r.warning end
  return { date = r.date, days = days, reason = reason, clause = clause, warning = r.warning }
end

-- publication_due(task_end) -> { date, days, reason, clause = "9.1", warning }
function M.publication_due(task_end)
  return due(task_end, M.publication_days, "检查结果应于任务结束", "9.1")
end

-- objection_admissible(published, received) -> { ok, reason, clause = "9.2" }
-- An objection lies only against a published result (9.2 follows 9.1's publication), so it cannot
-- be received before the publication date, nor after the filing period above.
function M.objection_admissible(published, received)
  if type(published) ~= "string" or type(received) ~= "string" then
    error("需要公示日期和异议收到日期（YYYY-MM-DD）", 2)
  end
  if received < published then
    return { ok = false, clause = "9.2",
             reason = string.format("异议收到日期（%s）早于检查结果公示日期（%s）：结果公示后方可提出异议",
                                    received, published) }
  end
  local last = M.add_working_days(published, M.objection_filing_days)
  if received > last.date then
    return { ok = false, clause = "9.2",
             reason = string.format("异议收到日期（%s）已超过提出期限：应于结果公示（%s）后%d个工作日内（%s前）提出",
                                    received, published, M.objection_filing_days, last.date) }
  end
  return { ok = true, clause = "9.2",
           reason = string.format("于结果公示（%s）后%d个工作日内（%s前）提出", published, M.objection_filing_days,
                                  last.date) }
end

-- objection_review_due(received) -> { date, days, reason, clause = "9.2", warning }
function M.objection_review_due(received)
  return due(received, M.objection_review_days, "异议应于收到", "9.2")
end

-- feedback_due(decision) -> { date, days, reason, clause = "9.2", warning }
function M.feedback_due(decision)
  return due(decision, M.feedback_days, "复核结果应于作出复核决定", "9.2")
end

-- warning_level(due_date, today) -> "green" | "yellow" | "red", reason, clause
-- red: today is after the deadline; yellow: the deadline is at most warning_days working days
-- away (today itself is not counted; the deadline day is); green otherwise.
function M.warning_level(due_date, today)
  local cal = rules.calendar
  local d_due, d_today = cal.to_days(due_date), cal.to_days(today)
  if d_today > d_due then
    return "red", string.format("已逾期：期限为%s，已超过%d个自然日", due_date, d_today - d_due), "10.1"
  end
  local remaining, unknown = 0, {}
  local day = d_today
  while day < d_due and remaining <= M.warning_days do
    day = day + 1
    local s = cal.from_days(day)
    local working, known = cal.is_working_day(s)
    if not known then unknown[tonumber(s:sub(1, 4))] = true end
    if working then remaining = remaining + 1 end
  end
  local warn = unknown_years_warning(unknown)
  local suffix = warn and ("；注意：" .. warn) or ""
  if remaining <= M.warning_days then
    if remaining == 0 then
      return "yellow", string.format("今天（%s）为最后期限%s", today, suffix), "10.1"
    end
    return "yellow", string.format("临近期限：距%s仅剩%d个工作日%s", due_date, remaining, suffix), "10.1"
  end
  return "green", string.format("期限为%s，剩余超过%d个工作日%s", due_date, M.warning_days, suffix), "10.1"
end

return M
