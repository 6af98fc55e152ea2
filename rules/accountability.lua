-- accountability.lua：根据数据库的状态标出第10.1条所列情形，并判断第10.2条的免责。
-- 调用时使用 rules.deadlines（并经由它使用 rules.calendar）、rules.sampling、rules.categories 和
-- rules.plans（min_joint_checks）。
--
-- situations(state, today) -> { kind, object, reason, clause = "10.1", level } 的列表
-- 情形（kind）：
--   not_checked     任务已结束，已过公示期限（9.1），仍有结果未录入（红）
--   delayed         任务已结束，仍有结果未录入，尚未到公示期限（黄）
--   not_published   结果未全部公示：距 9.1 期限 warning_days 以内为黄，过期为红
--   not_referred    涉嫌犯罪未移送公安机关：发现后 referral_days 以内为黄，
--                   超过为红
--   objection_late  异议未作出复核决定：临近 9.2 复核期限为黄，过期为红
--   feedback_late   已作出决定但未反馈：临近 9.2 反馈期限为黄，过期为红
--   coverage_low    按年度计算的 5.1.2：该年度已派发任务抽取的一般行业单位，少于名录库中有效
--                   一般行业单位的 rules.sampling.general_min_ratio：自该年 coverage_warning_month
--                   起为黄，年度结束后为红
--   joint_missing   按年度计算的 6.2：joint_check_kinds 所列类别的机构当年没有牵头或参加任何联合
--                   任务（至少有一个联合部门、已冻结或之后阶段的任务）：自 coverage_warning_month
--                   起为黄，年度结束后为红
--   other           10.1（五）其他：工作人员登记的情形（state.records），办结之前一直为红
-- 只列出黄色和红色的情形。

local M = {}

-- 发现涉嫌犯罪后作出并办理移送的天数（自然日）
-- （参照《行政执法机关移送涉嫌犯罪案件的规定》：接到报告之日起3日内作出是否移送的决定）。
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
  { code = "other",          label = "其他违反抽查工作规定的情形" },
}

-- 6.2“每年至少发起或参与一次部门联合抽查”约束的是开展抽取的部门（本局和县里的其他部门），
-- 不是代表本局工作的各股室和乡镇应急管理办公室。
M.joint_check_kinds = { bureau = true, department = true }

-- 5.1.2“各级对管辖权限内的一般检查对象按不少于5%的比例抽查”是覆盖整个名录库的年度义务，
-- 不只是每个任务的下限：从该月起，当年的不足会显示出来。
M.coverage_warning_month = 10
local KIND = {}
for _, k in ipairs(M.kinds) do KIND[k.code] = k end

-- 10.2 免责情形。applies_to = nil：适用于所有情形；否则只适用于所列情形。
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

-- situations(state, today) -> 列表（依次为任务、移送、异议、覆盖率、联合检查、登记的其他情形，
-- 各自按输入顺序）
function M.situations(state, today)
  local dl, cal = rules.deadlines, rules.calendar
  cal.to_days(today)   -- 校验 today
  local list = {}
  for _, t in ipairs(state.tasks or {}) do task_situations(list, t, today, dl, cal) end
  for _, r in ipairs(state.referrals or {}) do referral_situations(list, r, today, cal) end
  for _, o in ipairs(state.objections or {}) do objection_situations(list, o, today, dl) end
  for _, cv in ipairs(state.coverage or {}) do coverage_situations(list, cv, today) end
  for _, jy in ipairs(state.joint or {}) do joint_situations(list, jy, today) end
  -- 10.1（五）其他：规则无法从数据中看出、由工作人员登记的情形，办结之前一直列出
  for _, r in ipairs(state.records or {}) do
    list[#list + 1] = { kind = "other", object = "record:" .. tostring(r.id), level = "red", clause = "10.1",
      reason = string.format("%s（%s登记）：%s", KIND.other.label, tostring(r.actor or ""), tostring(r.reason or "")) }
  end
  return list
end

-- ---- 10.2：被检查单位后来发生事故或发现问题（SPEC §11） ----
-- 10.2 保护此前检查过该单位的检查人员：符合下列情形之一的，免除其责任。工作人员选择情形并
-- 说明理由，由负责人决定。
M.incident_grounds = {
  { code = "a", label = "已按照抽查计划和工作细则依法履行检查职责", needs_inspection = true },
  { code = "b", label = "因现有检查手段或技术条件限制无法发现问题", needs_inspection = true },
  { code = "c", label = "发生的安全事故或问题与抽查事项、检查行为无直接关联", needs_inspection = false },
  { code = "d", label = "因第三方提供虚假材料、报告导致检查结论失实", needs_inspection = true },
  { code = "e", label = "法律法规规定的其他可以免责的情形", needs_inspection = false },
}
-- 事故之前多久以内的检查算作“事故之前的检查”（自然日）。不是指引规定的数值：一年，即 6.2
-- 每年抽查一次的周期。
M.incident_lookback_days = 365
local GROUND = {}
for _, g in ipairs(M.incident_grounds) do GROUND[g.code] = g end

-- incident_review(incident, inspections) -> { inspections, grounds, reason, clause = "10.2" }
-- incident = { date = "YYYY-MM-DD" }；inspections = 该单位的检查记录，每项为
-- { ref, origin, date, end_date?, name?, result? }。列出事故日期之前 incident_lookback_days 以内的
-- 检查（最新的在前），并对 a–e 每一项情形说明能否主张。
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

-- incident_ground(code, review) -> { ok, reason, clause = "10.2" }：对依此审查结果（incident_review）
-- 的事故，能否主张 `code` 情形。
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
