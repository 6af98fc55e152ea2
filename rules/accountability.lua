-- accountability.lua: flags the 10.1 situations from the database state and decides 10.2
-- exemptions. Uses rules.deadlines (and through it rules.calendar), rules.sampling, rules.categories and
-- rules.plans (min_joint_checks) at call time.
--
-- situations(state, today) -> list of { kind, object, reason, clause = "10.1", level }
-- kinds:
--   not_checked     task ended, its publication deadline (9.1) has passed and results are missing (red)
--   delayed         task ended, results still missing, publication deadline not yet passed (yellow)
--   not_published   results not all published: yellow within warning_days of the 9.1 deadline, red after
--   not_referred    suspected crime not referred to the police: yellow within referral_days of the
--                   finding, red after
--   objection_late  objection not decided: yellow near the 9.2 review deadline, red after
--   feedback_late   decision made, feedback not sent: yellow near the 9.2 feedback deadline, red after
--   coverage_low    5.1.2 over the year: the general-industry units drawn by the year's dispatched tasks
--                   are fewer than rules.sampling.general_min_ratio of the directory's active general
--                   units: yellow from coverage_warning_month of that year, red once the year is over
--   joint_missing   6.2 over the year: an org of a kind in joint_check_kinds led or joined no joint task
--                   (a task with at least one joint org, frozen or later) that year: yellow from
--                   coverage_warning_month, red once the year is over
-- Only yellow and red situations are listed.

local M = {}

-- Days (calendar) to decide and make a referral of a suspected crime, after the finding
-- (参照《行政执法机关移送涉嫌犯罪案件的规定》：接到报告之日起3日内作出是否移送的决定).
M.referral_days = 3

M.kinds = {
  { code = "not_checked",    label = "未按规定开展检查" },
  { code = "delayed",        label = "拖延执行抽查任务" },
  { code = "not_published",  label = "未按时公示抽查结果" },
  { code = "not_referred",   label = "涉嫌犯罪未移送公安机关" },
  { code = "objection_late", label = "异议未按时复核" },
  { code = "feedback_late",  label = "复核结果未按时反馈" },
  { code = "coverage_low",   label = "一般检查对象年度抽查比例不足" },
  { code = "joint_missing",  label = "未开展部门联合抽查" },
}

-- 6.2 "每年至少发起或参与一次部门联合抽查" binds the departments that draw (the bureau and the other
-- county departments), not the bureau's divisions or the township offices, which act for the bureau.
M.joint_check_kinds = { bureau = true, department = true }

-- 5.1.2 "各级对管辖权限内的一般检查对象按不少于5%的比例抽查" is a yearly obligation over the whole
-- directory, not a per-task floor only: from this month on, a shortfall of the current year shows.
M.coverage_warning_month = 10
local KIND = {}
for _, k in ipairs(M.kinds) do KIND[k.code] = k end

-- 10.2 exemptions. applies_to = nil: every kind; otherwise only the listed kinds.
M.exemption_reasons = {
  { code = "plan_followed", label = "已按照抽查计划和工作细则依法履行检查职责", clause = "10.2" },
  { code = "technical_limits", label = "因现有检查手段或技术条件限制无法发现问题", clause = "10.2" },
  { code = "unrelated_accident", label = "发生的安全事故与抽查事项、检查行为无直接关联", clause = "10.2",
    applies_to = { "not_checked", "delayed" } },
  { code = "false_report", label = "因第三方提供虚假材料、报告导致检查结论失实", clause = "10.2",
    applies_to = { "not_checked", "not_referred" } },
  { code = "other", label = "法律法规规定的其他可以免责的情形", clause = "10.2" },
}
local EXEMPTION = {}
for _, e in ipairs(M.exemption_reasons) do EXEMPTION[e.code] = e end

local SKIP_STATUS = { cancelled = true, canceled = true, draft = true }

local function push(list, kind, object, level, reason)
  list[#list + 1] = { kind = kind, object = object, level = level, clause = "10.1",
                      reason = KIND[kind].label .. "：" .. reason }
end

local function task_situations(list, t, today, dl, cal)
  if SKIP_STATUS[t.status] or not t.end_date then return end
  if cal.to_days(today) <= cal.to_days(t.end_date) then return end
  local object = "task:" .. tostring(t.id)
  local name = "任务“" .. tostring(t.name or t.id) .. "”"
  local due = t.publication_due or dl.publication_due(t.end_date).date
  local level = dl.warning_level(due, today)
  local units = t.units or 0
  local missing = units - (t.results_entered or 0)
  if missing > 0 then
    if level == "red" then
      push(list, "not_checked", object, "red", string.format(
        "%s已于%s结束，结果录入公示期限%s已过，仍有%d户未录入检查结果", name, t.end_date, due, missing))
    else
      push(list, "delayed", object, "yellow", string.format(
        "%s已于%s结束，仍有%d户未录入检查结果，应于%s前完成录入和公示", name, t.end_date, missing, due))
    end
  end
  local unpublished = units - (t.results_published or 0)
  if unpublished > 0 and level ~= "green" then
    if level == "red" then
      push(list, "not_published", object, "red", string.format(
        "%s的检查结果应于%s前公示（第9.1条，任务结束后%d个工作日内），已逾期，仍有%d户未公示",
        name, due, dl.publication_days, unpublished))
    else
      push(list, "not_published", object, "yellow", string.format(
        "%s的检查结果应于%s前公示，临近期限，仍有%d户未公示", name, due, unpublished))
    end
  end
end

local function referral_situations(list, r, today, cal)
  if not r.suspected_crime or r.referred then return end
  local object = "referral:" .. tostring(r.id)
  local what = "检查结果" .. tostring(r.result_id) .. "发现涉嫌犯罪"
  if not r.found_date then
    push(list, "not_referred", object, "red", what .. "，尚未移送公安机关（发现日期未录入）")
    return
  end
  local days = cal.to_days(today) - cal.to_days(r.found_date)
  if days > M.referral_days then
    push(list, "not_referred", object, "red", string.format(
      "%s（%s发现），已超过%d日仍未移送公安机关", what, r.found_date, M.referral_days))
  else
    push(list, "not_referred", object, "yellow", string.format(
      "%s（%s发现），应在%d日内决定并移送公安机关", what, r.found_date, M.referral_days))
  end
end

local function objection_situations(list, o, today, dl)
  local object = "objection:" .. tostring(o.id)
  if not o.decided then
    if not o.received and not o.review_due then return end
    local due = o.review_due or dl.objection_review_due(o.received).date
    local level = dl.warning_level(due, today)
    if level == "red" then
      push(list, "objection_late", object, "red", string.format(
        "异议（%s收到）应于%s前复核完毕（第9.2条），已逾期", tostring(o.received), due))
    elseif level == "yellow" then
      push(list, "objection_late", object, "yellow", string.format(
        "异议（%s收到）应于%s前复核完毕，临近期限", tostring(o.received), due))
    end
    return
  end
  if o.feedback_sent then return end
  local due = o.feedback_due
  if not due and type(o.decided) == "string" then due = dl.feedback_due(o.decided).date end
  if not due then return end
  local level = dl.warning_level(due, today)
  if level == "red" then
    push(list, "feedback_late", object, "red", string.format(
      "复核决定已作出，应于%s前反馈（第9.2条），已逾期", due))
  elseif level == "yellow" then
    push(list, "feedback_late", object, "yellow", string.format(
      "复核决定已作出，应于%s前反馈，临近期限", due))
  end
end

local function coverage_situations(list, cov, today)
  local floor = rules.sampling.general_min_ratio
  local category_code = rules.categories.category_code
  local units, drawn = 0, 0
  for _, x in ipairs(cov.industries or {}) do
    if category_code(x.industry) == "general" then
      units = units + (x.units or 0)
      drawn = drawn + (x.drawn or 0)
    end
  end
  if units == 0 then return end
  local need = math.tointeger(math.ceil(units * floor - 1e-9))
  if drawn >= need then return end
  local year, month = tonumber(today:sub(1, 4)), tonumber(today:sub(6, 7))
  local level
  if cov.year < year then level = "red"
  elseif cov.year == year and month >= M.coverage_warning_month then level = "yellow"
  else return end
  local pct = string.format("%.2f", floor * 100):gsub("0+$", ""):gsub("%.$", "")
  list[#list + 1] = {
    kind = "coverage_low", object = "year:" .. tostring(cov.year), level = level, clause = "5.1.2",
    reason = string.format("%s：%d年名录库一般行业检查对象%d户，应抽查不少于%s%%（%d户），已抽查%d户%s",
      KIND.coverage_low.label, cov.year, units, pct, need, drawn,
      level == "red" and "，年度已结束" or "，年底前应补足"),
  }
end

local function joint_situations(list, jy, today)
  local year, month = tonumber(today:sub(1, 4)), tonumber(today:sub(6, 7))
  local level
  if jy.year < year then level = "red"
  elseif jy.year == year and month >= M.coverage_warning_month then level = "yellow"
  else return end
  local need = rules.plans.min_joint_checks
  for _, o in ipairs(jy.orgs or {}) do
    if M.joint_check_kinds[o.kind] and (o.joint_tasks or 0) < need then
      list[#list + 1] = {
        kind = "joint_missing", object = "org:" .. tostring(o.id) .. ":" .. tostring(jy.year), level = level,
        clause = "6.2",
        reason = string.format("%s：%s%d年发起或参与的部门联合抽查%d次，每年至少%d次%s", KIND.joint_missing.label,
          o.name, jy.year, o.joint_tasks or 0, need, level == "red" and "，年度已结束" or "，年底前应安排"),
      }
    end
  end
end

-- situations(state, today) -> list (tasks, then referrals, then objections, then coverage, then
-- joint checks, each in input order)
function M.situations(state, today)
  local dl, cal = rules.deadlines, rules.calendar
  cal.to_days(today)   -- validates today
  local list = {}
  for _, t in ipairs(state.tasks or {}) do task_situations(list, t, today, dl, cal) end
  for _, r in ipairs(state.referrals or {}) do referral_situations(list, r, today, cal) end
  for _, o in ipairs(state.objections or {}) do objection_situations(list, o, today, dl) end
  for _, cv in ipairs(state.coverage or {}) do coverage_situations(list, cv, today) end
  for _, jy in ipairs(state.joint or {}) do joint_situations(list, jy, today) end
  return list
end

-- ---- 10.2: an inspected unit later has an accident or a problem is found (SPEC §11) ----
-- 10.2 protects the inspectors who checked the unit before: their responsibility is exempted when one
-- of these grounds holds. Staff choose a ground and explain it; a head decides.
M.incident_grounds = {
  { code = "a", label = "已按照抽查计划和工作细则依法履行检查职责", needs_inspection = true },
  { code = "b", label = "因现有检查手段或技术条件限制无法发现问题", needs_inspection = true },
  { code = "c", label = "发生的安全事故或问题与抽查事项、检查行为无直接关联", needs_inspection = false },
  { code = "d", label = "因第三方提供虚假材料、报告导致检查结论失实", needs_inspection = true },
  { code = "e", label = "法律法规规定的其他可以免责的情形", needs_inspection = false },
}
-- How far back an inspection counts as "before the incident" (calendar days). Not a guideline value:
-- one year, the period of 6.2's once-a-year draw.
M.incident_lookback_days = 365
local GROUND = {}
for _, g in ipairs(M.incident_grounds) do GROUND[g.code] = g end

-- incident_review(incident, inspections) -> { inspections, grounds, reason, clause = "10.2" }
-- incident = { date = "YYYY-MM-DD" }; inspections = the unit's inspection record, each
-- { ref, origin, date, end_date?, name?, result? }. Lists the inspections dated before the incident
-- within incident_lookback_days (newest first) and, for every ground a–e, whether it can be claimed.
function M.incident_review(incident, inspections)
  local cal = rules.calendar
  local day = cal.to_days(incident.date)
  local before = {}
  for _, i in ipairs(inspections or {}) do
    local d = cal.to_days(i.date)
    if d < day and day - d <= M.incident_lookback_days then before[#before + 1] = i end
  end
  table.sort(before, function(x, y) return x.date > y.date end)
  local grounds = {}
  for _, g in ipairs(M.incident_grounds) do
    local ok = (not g.needs_inspection) or #before > 0
    grounds[#grounds + 1] = {
      code = g.code, label = g.label, clause = "10.2", available = ok,
      reason = ok and ("可主张：" .. g.label .. "（须说明理由并经负责人决定）")
                  or "事发前" .. M.incident_lookback_days .. "日内无检查记录，不适用此情形",
    }
  end
  local reason
  if #before == 0 then
    reason = string.format("%s发生事故或发现问题；事发前%d日内该单位无检查记录，不涉及检查人员履职责任",
                           incident.date, M.incident_lookback_days)
  else
    reason = string.format("%s发生事故或发现问题；事发前%d日内该单位接受检查%d次（最近一次%s），"
                           .. "检查人员可按第10.2条主张免责情形", incident.date, M.incident_lookback_days,
                           #before, before[1].date)
  end
  return { inspections = json_array(before), grounds = grounds, reason = reason, clause = "10.2" }
end

-- incident_ground(code, review) -> { ok, reason, clause = "10.2" }: whether ground `code` may be
-- claimed for an incident with this review (from incident_review).
function M.incident_ground(code, review)
  local g = GROUND[code]
  if not g then
    return { ok = false, clause = "10.2", reason = "不属于第10.2条规定的免责情形：" .. tostring(code) }
  end
  for _, x in ipairs(review and review.grounds or {}) do
    if x.code == code and not x.available then
      return { ok = false, clause = "10.2", reason = "“" .. g.label .. "”：" .. x.reason }
    end
  end
  return { ok = true, clause = "10.2", reason = "主张第10.2条免责情形：" .. g.label }
end

-- exempt(kind, code) -> { ok, reason, clause = "10.2" }
function M.exempt(kind, code)
  local k = KIND[kind]
  if not k then
    return { ok = false, reason = "未知的问责情形：" .. tostring(kind), clause = "10.2" }
  end
  local e = EXEMPTION[code]
  if not e then
    return { ok = false, reason = "不属于第10.2条规定的免责情形：" .. tostring(code), clause = "10.2" }
  end
  if e.applies_to then
    local applies = false
    for _, a in ipairs(e.applies_to) do if a == kind then applies = true end end
    if not applies then
      return { ok = false, clause = "10.2",
               reason = "“" .. e.label .. "”不适用于“" .. k.label .. "”，不予免责" }
    end
  end
  local reason = "“" .. k.label .. "”符合第10.2条免责情形：" .. e.label .. "；须附证明材料并经负责人审核后记录"
  return { ok = true, reason = reason, clause = "10.2" }
end

return M
