-- Rule tests for plans.lua (clauses 6.1, 6.2, 5.1.2). Ratios are derived from rules.sampling so
-- that an administrator's change of the floor does not break them.
local P = rules.plans
local S = rules.sampling

local function ratios()
  local r = {}
  for _, s in ipairs(S.strata) do
    local floor = S.floor(s.name)
    r[s.name] = floor + (1 - floor) / 4
  end
  return r
end
local function plan(over)
  local p = {
    year = 2026, name = "高青县应急管理局2026年度双随机抽查计划", scope = "全县工矿商贸企业",
    ratios = ratios(), schedule = { "二季度", "四季度" }, estimated_count = 120,
    tasks = {
      { name = "危险化学品专项", joint = false, start_date = "2026-04-01", end_date = "2026-04-30" },
      { name = "联合抽查", joint = true, start_date = "2026-09-01", end_date = "2026-09-30" },
    },
    joint_checks = 1,
  }
  for k, v in pairs(over or {}) do p[k] = v end
  return p
end
local function has(result, clause, text)
  for _, pr in ipairs(result.problems) do
    if pr.clause == clause and (not text or pr.reason:find(text, 1, true)) then return true end
  end
  return false
end

return {
  { "a complete plan is valid", function()
    eq(P.validate(plan()), { ok = true, problems = {} })
  end },

  { "6.2 joint checks are computed from tasks: a typed joint_checks count or a planned joint task does not satisfy them", function()
    local p = plan({ joint_checks = 3 })
    p.tasks[2].joint = false
    eq(P.validate(p).ok, true)      -- not refused: a department may still join another's task
    eq(P.warnings({ year = 2026, tasks = p.tasks, joint_tasks = 0 }), {
      { reason = "本年度尚无部门联合抽查任务，计划中也未安排（每年至少发起或参与1次）", clause = "6.2" } })
    eq(P.warnings({ year = 2026, tasks = plan().tasks, joint_tasks = 0 }), {
      { reason = "计划安排了1次部门联合抽查，但本年度尚未创建联合抽查任务（每年至少发起或参与1次）", clause = "6.2" } })
    eq(P.min_joint_checks, 1)
  end },

  { "one joint task of the year clears the 6.2 warning", function()
    eq(P.warnings({ year = 2026, tasks = {}, joint_tasks = 1 }), {})
    eq(P.warnings({ year = 2026, tasks = plan().tasks, joint_tasks = 2 }), {})
  end },

  { "general ratio below the floor is refused (5.1.2)", function()
    local r = ratios(); r.general_other = S.general_min_ratio / 2
    local res = P.validate(plan({ ratios = r }))
    eq(res.ok, false); assert(has(res, "5.1.2"))
    r.general_other = S.general_min_ratio
    eq(P.validate(plan({ ratios = r })).ok, true)
  end },

  { "ratios outside [0, 1] or for unknown strata are refused", function()
    local r = ratios(); r.key_high = 1.5
    eq(P.validate(plan({ ratios = r })).ok, false)
    r = ratios(); r.key_high = -0.1
    eq(P.validate(plan({ ratios = r })).ok, false)
    r = ratios(); r.everyone = 0.5
    eq(P.validate(plan({ ratios = r })).ok, false)
    eq(P.validate(plan({ ratios = {} })).ok, false)
  end },

  { "task dates must be valid and inside the plan year", function()
    local p = plan(); p.tasks[1].end_date = "2027-01-10"
    local r = P.validate(p)
    eq(r.ok, false); assert(has(r, "6.1", "2027-01-10"))
    p = plan(); p.tasks[1].start_date = "2026-05-01"       -- after its end
    eq(P.validate(p).ok, false)
    p = plan(); p.tasks[1].start_date = "2026-02-30"
    eq(P.validate(p).ok, false)
  end },

  { "estimated count must be positive; name, scope, schedule required (6.1)", function()
    eq(P.validate(plan({ estimated_count = 0 })).ok, false)
    local p = plan(); p.estimated_count = nil
    eq(P.validate(p).ok, false)
    eq(P.validate(plan({ scope = "" })).ok, false)
    eq(P.validate(plan({ schedule = {} })).ok, false)
    p = plan(); p.name = nil
    eq(P.validate(p).ok, false)
  end },

  { "5.1.2 over the year: the general units drawn so far against ceil(5%) of the directory's", function()
    eq(P.warnings({ year = 2026, tasks = {}, joint_tasks = 1, coverage = { general_units = 41, drawn = 1 } }), {
      { reason = "本年度已抽查一般行业检查对象1户，名录库共41户，按不少于5%的比例应至少抽查3户，还差2户", clause = "5.1.2" } })
    eq(P.warnings({ year = 2026, tasks = {}, joint_tasks = 1, coverage = { general_units = 41, drawn = 3 } }), {})
    eq(P.warnings({ year = 2026, tasks = {}, joint_tasks = 1, coverage = { general_units = 0, drawn = 0 } }), {})
    eq(P.warnings({ year = 2026, tasks = {}, joint_tasks = 1, coverage = { general_units = 20, drawn = 0 } }), {
      { reason = "本年度已抽查一般行业检查对象0户，名录库共20户，按不少于5%的比例应至少抽查1户，还差1户", clause = "5.1.2" } })
  end },

  { "several problems are all reported", function()
    local r = P.validate(plan({ estimated_count = 0, name = "", tasks = { { name = "x", joint = false } } }))
    eq(r.ok, false)
    eq(#r.problems, 3)
  end },
}
