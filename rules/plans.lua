-- plans.lua：年度抽查计划的校验（第6.1、6.2、5.1.2条）。
-- 调用时使用 rules.sampling（分层、下限）和 rules.calendar（日期）。
--
-- validate(plan) -> { ok, problems = { { reason, clause }, … } }
-- plan = { year, name, scope, ratios = { [层] = 比例 }, schedule = { … } | "…",
--          estimated_count, tasks = { { name, joint, start_date, end_date }, … }, joint_checks }
-- warnings(plan) -> { { reason, clause }, … }：计划中不致被拒绝、但仍有欠缺的地方。
-- plan = { year, tasks（同上）, joint_tasks = 该年度至少有一个联合部门的任务数，由核心程序根据
-- 任务统计, coverage = { general_units = 名录库有效一般行业单位数, drawn = 本年度已派发任务抽取
-- 的其中户数 } }。
-- 6.2“每年至少发起或参与一次部门联合抽查”是该年度任务的事实，而不是计划里填写的数字：
-- joint_checks（为旧计划保留）不起作用；plan.tasks 中计划的联合任务只是打算，因此在联合任务
-- 实际存在之前，计划带有一条提醒，到年底仍没有联合任务的机构由 accountability.lua 标出。

local M = {}

M.min_joint_checks = 1   -- 6.2：每年至少一次部门联合抽查

local function blank(v)
  return v == nil or v == "" or (type(v) == "table" and next(v) == nil)
end

local function valid_date(cal, s)
  if type(s) ~= "string" then return false end
  return (pcall(cal.to_days, s))
end

function M.validate(plan)
  local cal, sampling = rules.calendar, rules.sampling
  local problems = {}
  local function problem(reason, clause)
    problems[#problems + 1] = { reason = reason, clause = clause }
  end

  local year = plan.year
  if math.type(year) ~= "integer" and not (type(year) == "number" and year == math.floor(year)) then
    problem("计划年度缺失或无效", "6.1")
    year = nil
  end
  if blank(plan.name) then problem("计划名称不能为空", "6.1") end
  if blank(plan.scope) then problem("计划应写明抽查范围", "6.1") end
  if blank(plan.schedule) then problem("计划应写明时间安排", "6.1") end
  local est = plan.estimated_count
  if type(est) ~= "number" or est <= 0 then
    problem("计划应写明预计抽查数量（大于0）", "6.1")
  end

  -- ratios：每一层都要列出，比例在 [0, 1] 之内，不低于该层下限
  local ratios = plan.ratios
  if type(ratios) ~= "table" or next(ratios) == nil then
    problem("计划应写明抽查比例", "6.1")
  else
    local known = {}
    for _, s in ipairs(sampling.strata) do
      known[s.name] = true
      local r = ratios[s.name]
      if r ~= nil then
        if type(r) ~= "number" or r ~= r or r < 0 or r > 1 then
          problem(string.format("“%s”的抽查比例应在0到1之间：%s", s.label, tostring(r)), "6.1")
        elseif r < sampling.floor(s.name) then
          local min = sampling.floor(s.name)
          problem(string.format("“%s”的抽查比例%.4g低于下限%.4g（%s行业不低于%g%%）",
            s.label, r, min, s.category == "key" and "重点" or "一般", min * 100), "5.1.2")
        end
      end
    end
    for k in pairs(ratios) do
      if not known[k] then problem("未知的抽查层：" .. tostring(k), "6.1") end
    end
  end

  -- tasks：日期有效且在计划年度内（联合检查：见下面的提醒）
  for i, t in ipairs(plan.tasks or {}) do
    local label = "任务" .. i .. "“" .. tostring(t.name) .. "”"
    local ok_s, ok_e = valid_date(cal, t.start_date), valid_date(cal, t.end_date)
    if not ok_s or not ok_e then
      problem(label .. "的起止日期缺失或无效", "6.1")
    else
      if t.start_date > t.end_date then problem(label .. "的开始日期晚于结束日期", "6.1") end
      if year and (tonumber(t.start_date:sub(1, 4)) ~= year or tonumber(t.end_date:sub(1, 4)) ~= year) then
        problem(string.format("%s的日期（%s至%s）不在计划年度%d年内", label, t.start_date, t.end_date, year),
          "6.1")
      end
    end
  end
  return { ok = #problems == 0, problems = problems }
end

function M.warnings(plan)
  local out = {}
  local created = type(plan.joint_tasks) == "number" and plan.joint_tasks or 0
  if created < M.min_joint_checks then
    local planned = 0
    for _, t in ipairs(plan.tasks or {}) do
      if t.joint then planned = planned + 1 end
    end
    if planned > 0 then
      out[#out + 1] = { reason = string.format("计划安排了%d次部门联合抽查，但本年度尚未创建联合抽查任务（每年至少发起或参与%d次）",
        planned, M.min_joint_checks), clause = "6.2" }
    else
      out[#out + 1] = { reason = string.format("本年度尚无部门联合抽查任务，计划中也未安排（每年至少发起或参与%d次）",
        M.min_joint_checks), clause = "6.2" }
    end
  end
  -- 5.1.2“各级对管辖权限内的一般检查对象按不少于5%的比例抽查”：按本年度已派发任务实际抽取的
  -- 一般行业单位计算，不足时提前提醒（年底仍不足的，由 accountability.lua 列为责任追究情形）。
  local cov = plan.coverage
  if type(cov) == "table" and type(cov.general_units) == "number" and cov.general_units > 0 then
    local floor = rules.sampling.general_min_ratio
    local need = math.ceil(cov.general_units * floor - 1e-9)
    local drawn = cov.drawn or 0
    if drawn < need then
      out[#out + 1] = { reason = string.format(
        "本年度已抽查一般行业检查对象%d户，名录库共%d户，按不少于%s的比例应至少抽查%d户，还差%d户",
        drawn, cov.general_units, string.format("%g%%", floor * 100), need, need - drawn), clause = "5.1.2" }
    end
  end
  return out
end

return M
