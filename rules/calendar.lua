-- calendar.lua：每年的法定节假日和调休上班日（数据），来自国务院办公厅的通知（国务院办公厅
-- 关于…年部分节假日安排的通知），以及其他规则使用的日期计算。由 deadlines.lua（9.1、9.2）和
-- accountability.lua 使用。
--
-- 增加一个年度：添加 `years[YYYY] = { notice = "…", published = "YYYY-MM-DD", off = {…},
-- working = {…} }`，列出每个放假日（"off"）和每个调休上班的周六、周日（"working"）。
-- 日期为 "YYYY-MM-DD" 字符串。不用 os.time：下面的计算是精确的，与时区无关。

local M = {}

M.years = {
  [2025] = {
    notice = "国办发明电〔2024〕12号",
    published = "2024-11-12",
    off = {
      "2025-01-01",                                                   -- 元旦
      "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",         -- 春节
      "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04",
      "2025-04-04", "2025-04-05", "2025-04-06",                       -- 清明节
      "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05", -- 劳动节
      "2025-05-31", "2025-06-01", "2025-06-02",                       -- 端午节
      "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04",         -- 国庆节、中秋节
      "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
    },
    working = {
      "2025-01-26", "2025-02-08",                                     -- 春节调休
      "2025-04-27",                                                   -- 劳动节调休
      "2025-09-28", "2025-10-11",                                     -- 国庆节、中秋节调休
    },
  },
  [2026] = {
    notice = "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
    published = "2025-11-04",
    off = {
      "2026-01-01", "2026-01-02", "2026-01-03",                       -- 元旦
      "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", -- 春节
      "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
      "2026-04-04", "2026-04-05", "2026-04-06",                       -- 清明节
      "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", -- 劳动节
      "2026-06-19", "2026-06-20", "2026-06-21",                       -- 端午节
      "2026-09-25", "2026-09-26", "2026-09-27",                       -- 中秋节
      "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",         -- 国庆节
      "2026-10-05", "2026-10-06", "2026-10-07",
    },
    working = {
      "2026-01-04",                                                   -- 元旦调休
      "2026-02-14", "2026-02-28",                                     -- 春节调休
      "2026-05-09",                                                   -- 劳动节调休
      "2026-09-20", "2026-10-10",                                     -- 国庆节调休
    },
  },
}

-- 载入时构造一次的集合：日期字符串 -> true。
local OFF, WORKING = {}, {}
for _, y in pairs(M.years) do
  for _, d in ipairs(y.off) do OFF[d] = true end
  for _, d in ipairs(y.working) do WORKING[d] = true end
end

local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

-- parse(date) -> y, m, d（整数）；不是真实的 YYYY-MM-DD 日期时报错“日期格式错误”。
local function parse(date)
  if type(date) == "string" and #date == 10 then
    local y, m, d = date:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
    if y then
      y, m, d = tonumber(y), tonumber(m), tonumber(d)
      if m >= 1 and m <= 12 and d >= 1 then
        local dim = DAYS_IN_MONTH[m]
        if m == 2 and is_leap(y) then dim = 29 end
        if d <= dim then return y, m, d end
      end
    end
  end
  error("日期格式错误（应为YYYY-MM-DD的有效日期）：" .. tostring(date), 3)
end

-- 公历日期距 1970-01-01 的天数（H. Hinnant 的 days_from_civil 算法）。
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- to_days(date) -> 整数天数（1970-01-01 = 0）。
function M.to_days(date)
  return days_from_civil(parse(date))
end

-- from_days(n) -> "YYYY-MM-DD"。
function M.from_days(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

-- add_days(date, n) -> "YYYY-MM-DD"，n 个自然日之后（n 可为负数）。
function M.add_days(date, n)
  return M.from_days(days_from_civil(parse(date)) + n)
end

-- weekday(date) -> 1（星期一）… 7（星期日）。
function M.weekday(date)
  local n = days_from_civil(parse(date))
  return (n + 3) % 7 + 1            -- 1970-01-01 是星期四
end

-- year_of(date) -> 整数年份（经校验）。
function M.year_of(date)
  local y = parse(date)
  return y
end

-- known_year(y) -> 已录入 y 年节假日安排时为 true。
function M.known_year(y)
  return M.years[y] ~= nil
end

-- is_working_day(date) -> 是否工作日（bool）, 是否已知（bool：该年度没有数据时为 false，此时只把
-- 周六、周日算作休息日）。
function M.is_working_day(date)
  local y, m, d = parse(date)
  local known = M.years[y] ~= nil
  if OFF[date] then return false, known end
  if WORKING[date] then return true, known end
  local wd = (days_from_civil(y, m, d) + 3) % 7 + 1
  return wd <= 5, known
end

return M
