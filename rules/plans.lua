-- plans.lua: validation of the annual spot-check plan (clauses 6.1, 6.2, 5.1.2).
-- Uses rules.sampling (strata, floors) and rules.calendar (dates) at call time.
--
-- validate(plan) -> { ok, problems = { { reason, clause }, … } }
-- plan = { year, name, scope, ratios = { [stratum] = ratio }, schedule = { … } | "…",
--          estimated_count, tasks = { { name, joint, start_date, end_date }, … }, joint_checks }
-- warnings(plan) -> { { reason, clause }, … }: what the plan does not refuse but still lacks.
-- plan = { year, tasks (as above), joint_tasks = the number of tasks of the year with at least one
-- joint org, counted by the core from the tasks }.
-- 6.2 "每年至少发起或参与一次部门联合抽查" is a fact about the year's tasks, not a number typed into
-- the plan: joint_checks (kept for old plans) counts for nothing; a joint task planned in
-- plan.tasks is an intention, so until a joint task exists the plan carries a warning, and
-- accountability.lua flags an org with none by the end of the year.

local M = {}

M.min_joint_checks = 1   -- 6.2: at least one joint (部门联合) check a year

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

  -- ratios: every stratum named, each within [0, 1], none below its floor
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

  -- tasks: valid dates inside the plan year (joint checks: warnings below)
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
  return out
end

return M
