-- deadlines.lua：第9.1条（结果录入和公示）、第9.2条（异议复核、反馈）的工作日期限，以及期限的
-- 预警等级。调用时使用 rules.calendar。从事件发生的次日起算；结果为允许的最后一天。
-- 要改期限，改下面对应的一个常量。

local M = {}

M.publication_days = 20        -- 9.1：任务结束后 20 个工作日内录入并公示结果
M.objection_review_days = 20   -- 9.2：收到异议后 20 个工作日内复核
M.feedback_days = 15           -- 9.2：作出决定后 15 个工作日内反馈
M.warning_days = 5             -- 距期限不超过此工作日数时为黄色预警
-- 9.2“对抽查结果有异议的……”规定了复核和反馈期限，但没有规定提出异议的期限。
-- 本县的选择：自结果公示之日起，至其后此工作日数内（与复核期限等长），可以提出异议。
-- 修改此数即可改变。
M.objection_filing_days = 20

-- 不是指引规定的数值：add_working_days 接受的最大天数（约 14 年），使误输或恶意的天数（1e12）
-- 立即报错，而不是循环到调用预算耗尽。
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
-- `date` 之后的第 n 个工作日（n >= 1；n = 0 返回 date 本身）；n 超过 max_working_days 时报错。
function M.add_working_days(date, n)
  local cal = rules.calendar
  local count = type(n) == "number" and math.tointeger(n) or nil   -- 接受来自 JSON 的 20.0
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
-- 异议只能针对已公示的结果提出（9.2 承接 9.1 的公示），因此收到日期不能早于公示日期，也不能
-- 晚于上述提出期限。
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

-- warning_level(due_date, today) -> "green" | "yellow" | "red", 理由, 条款
-- red：今天已过期限；yellow：距期限不超过 warning_days 个工作日（不计今天，计期限当天）；
-- 其余为 green。
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

-- 9.2 归档：抽查文书和检查结果附件的保管期限（年），自形成之日起算。指引只要求“记录归档”，
-- 没有规定期限；本县的选择参照《机关档案管理规定》的保管期限（永久、定期30年、定期10年）：
-- 记载检查结果的文书（检查记录、整改指令、结果公示）和检查中形成的附件 30 年，通知书和任务
-- 公告 10 年。要改某一类的期限，改这里的数字。
M.archive_retention_years = {
  notice = 10,         -- 随机抽查通知书
  record = 30,         -- 检查记录表
  rectification = 30,  -- 责令限期整改指令书
  announcement = 10,   -- 抽查任务公告
  results = 30,        -- 抽查结果公示
  attachment = 30,     -- 照片、录音录像、其他附件
}

-- retention(kind, date) -> { years, until = "YYYY-MM-DD", reason, clause = "9.2" }
-- date：文书出具或附件上传的日期；until：保管到期的日期（同月同日；2月29日到期于2月28日）。
function M.retention(kind, date)
  local years = M.archive_retention_years[kind]
  if not years then error("未知的归档类别：" .. tostring(kind), 2) end
  rules.calendar.to_days(date)   -- 校验日期
  local y, m, d = date:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  local ty = y + years
  if m == 2 and d == 29 and not (ty % 4 == 0 and (ty % 100 ~= 0 or ty % 400 == 0)) then d = 28 end
  return { years = years, ["until"] = string.format("%04d-%02d-%02d", ty, m, d), clause = "9.2",
           reason = string.format("按第9.2条归档，保管%d年，至%04d-%02d-%02d", years, ty, m, d) }
end

return M
