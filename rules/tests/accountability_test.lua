-- Rule tests for accountability.lua (clauses 10.1, 10.2).
local A = rules.accountability
local D = rules.deadlines

local function find(list, kind, object)
  for _, s in ipairs(list) do
    if s.kind == kind and s.object == object then return s end
  end
  return nil
end
local function task(over)
  local t = { id = 12, name = "2025年危险化学品专项抽查", end_date = "2025-09-26", status = "locked",
              units = 10, results_entered = 10, results_published = 10 }
  for k, v in pairs(over or {}) do t[k] = v end
  return t
end
-- task ending 2025-09-26: 9.1 deadline 2025-10-30 with the shipped 20 days (HOLIDAYS.md); the
-- dates below are derived from rules.deadlines so that a changed period keeps the tests valid
local DUE = D.publication_due("2025-09-26").date
local function after(date) return rules.calendar.add_days(date, 1) end

return {
  { "nothing to flag for a completed, published task", function()
    eq(A.situations({ tasks = { task() } }, "2025-11-20"), {})
    eq(A.situations({}, "2025-11-20"), {})
  end },

  { "not published after the 9.1 deadline: red", function()
    local list = A.situations({ tasks = { task({ results_published = 4 }) } }, after(DUE))
    local s = find(list, "not_published", "task:12")
    assert(s, "expected not_published")
    eq(s.level, "red"); eq(s.clause, "10.1")
    assert(s.reason:find(DUE, 1, true) and s.reason:find("6户", 1, true), s.reason)
  end },

  { "not published, deadline near: yellow; far: nothing", function()
    local s = find(A.situations({ tasks = { task({ results_published = 4 }) } }, DUE),
      "not_published", "task:12")
    eq(s.level, "yellow")
    eq(A.situations({ tasks = { task({ results_published = 4 }) } }, "2025-09-29"), {})
  end },

  { "publication_due given by the core is used", function()
    local t = task({ results_published = 0, publication_due = "2025-10-01" })
    eq(find(A.situations({ tasks = { t } }, "2025-10-09"), "not_published", "task:12").level, "red")
  end },

  { "results missing after the deadline: not_checked (red); before it: delayed (yellow)", function()
    local t = task({ results_entered = 7, results_published = 7 })
    local late = A.situations({ tasks = { t } }, after(DUE))
    eq(find(late, "not_checked", "task:12").level, "red")
    eq(find(late, "delayed", "task:12"), nil)
    local early = A.situations({ tasks = { t } }, "2025-09-29")
    eq(find(early, "delayed", "task:12").level, "yellow")
    eq(find(early, "not_checked", "task:12"), nil)
  end },

  { "a task still running or cancelled is not flagged", function()
    eq(A.situations({ tasks = { task({ results_entered = 0, results_published = 0 }) } }, "2025-09-26"), {})
    eq(A.situations({ tasks = { task({ status = "cancelled", results_entered = 0 }) } }, "2026-01-05"), {})
  end },

  { "suspected crime not referred: yellow, then red after referral_days", function()
    local ref = { id = 3, result_id = 99, suspected_crime = true, referred = false, found_date = "2026-03-02" }
    local s = find(A.situations({ referrals = { ref } }, "2026-03-03"), "not_referred", "referral:3")
    eq(s.level, "yellow"); eq(s.clause, "10.1")
    local later = rules.calendar.add_days("2026-03-02", A.referral_days + 1)
    eq(find(A.situations({ referrals = { ref } }, later), "not_referred", "referral:3").level, "red")
  end },

  { "referred, or no suspected crime: not flagged", function()
    local refs = {
      { id = 4, result_id = 1, suspected_crime = true, referred = true, found_date = "2026-01-02" },
      { id = 5, result_id = 2, suspected_crime = false, referred = false, found_date = "2026-01-02" },
    }
    eq(A.situations({ referrals = refs }, "2026-06-01"), {})
  end },

  { "objection not reviewed by the 9.2 deadline: red", function()
    local o = { id = 7, received = "2026-05-06", decided = nil }
    local due = D.objection_review_due("2026-05-06").date    -- 2026-06-02 with 20 days
    eq(find(A.situations({ objections = { o } }, due), "objection_late", "objection:7").level, "yellow")
    eq(find(A.situations({ objections = { o } }, after(due)), "objection_late", "objection:7").level, "red")
    eq(A.situations({ objections = { o } }, "2026-05-07"), {})
  end },

  { "feedback not sent by the 9.2 deadline: red; sent: nothing", function()
    local o = { id = 8, received = "2026-01-20", decided = "2026-02-10", feedback_sent = false }
    -- 15 working days after 2026-02-10: 2026-03-09 (HOLIDAYS.md)
    local late = after(D.feedback_due("2026-02-10").date)
    eq(find(A.situations({ objections = { o } }, late), "feedback_late", "objection:8").level, "red")
    eq(find(A.situations({ objections = { o } }, "2026-02-11"), "feedback_late", "objection:8"), nil)
    o.feedback_sent = true
    eq(A.situations({ objections = { o } }, late), {})
  end },

  { "10.2 exemption reasons", function()
    local codes = {}
    for i, e in ipairs(A.exemption_reasons) do
      codes[i] = e.code; eq(e.clause, "10.2"); assert(#e.label > 0)
    end
    eq(codes, { "plan_followed", "technical_limits", "unrelated_accident", "false_report", "other" })
  end },

  { "exempt: a listed reason is accepted, others refused", function()
    local r = A.exempt("not_published", "technical_limits")
    eq(r.ok, true); eq(r.clause, "10.2")
    eq(A.exempt("not_checked", "unrelated_accident").ok, true)
    eq(A.exempt("not_published", "unrelated_accident").ok, false)
    eq(A.exempt("not_published", "too_busy").ok, false)
    eq(A.exempt("no_such_kind", "other").ok, false)
  end },

  { "10.2 incident: inspections before it within a year, newest first, and the grounds a–e", function()
    local recs = {
      { ref = "task:1", origin = "random", date = "2026-03-02" },
      { ref = "case:4", origin = "case", date = "2026-05-10" },
      { ref = "task:9", origin = "random", date = "2026-07-01" },   -- after the incident
      { ref = "task:0", origin = "random", date = "2025-06-01" },   -- more than 365 days before
    }
    local r = A.incident_review({ date = "2026-06-15" }, recs)
    eq(#r.inspections, 2); eq(r.inspections[1].ref, "case:4"); eq(r.inspections[2].ref, "task:1")
    eq(r.clause, "10.2")
    eq(r.reason, "2026-06-15发生事故或发现问题；事发前365日内该单位接受检查2次（最近一次2026-05-10），检查人员可按第10.2条主张免责情形")
    eq(#r.grounds, 5)
    local codes = {}
    for _, g in ipairs(r.grounds) do codes[#codes + 1] = g.code; eq(g.available, true) end
    eq(table.concat(codes, ","), "a,b,c,d,e")
    eq(A.incident_ground("a", r).ok, true)
    eq(A.incident_ground("z", r).ok, false)
  end },

  { "10.2 incident without an earlier inspection: grounds that need one are not available", function()
    local r = A.incident_review({ date = "2026-06-15" }, { { ref = "task:9", origin = "random", date = "2026-07-01" } })
    eq(#r.inspections, 0)
    eq(r.reason, "2026-06-15发生事故或发现问题；事发前365日内该单位无检查记录，不涉及检查人员履职责任")
    local avail = {}
    for _, g in ipairs(r.grounds) do avail[g.code] = g.available end
    eq(avail.a, false); eq(avail.b, false); eq(avail.c, true); eq(avail.d, false); eq(avail.e, true)
    local no = A.incident_ground("a", r)
    eq(no.ok, false); eq(no.clause, "10.2")
  end },

  { "5.1.2 over the year: general coverage below 5% is red once the year is over, yellow from October", function()
    local function cov(year, drawn)
      return { year = year, industries = { { industry = "机械", units = 57, drawn = drawn },
                                          { industry = "危险化学品", units = 20, drawn = 0 } } }
    end
    local l = A.situations({ coverage = { cov(2025, 1) } }, "2026-01-10")
    eq(#l, 1)
    eq(l[1].kind, "coverage_low"); eq(l[1].object, "year:2025"); eq(l[1].level, "red"); eq(l[1].clause, "5.1.2")
    eq(l[1].reason, "一般检查对象年度抽查比例不足：2025年名录库一般行业检查对象57户，应抽查不少于5%（3户），已抽查1户，年度已结束")
    eq(#A.situations({ coverage = { cov(2026, 1) } }, "2026-06-01"), 0)
    local y = A.situations({ coverage = { cov(2026, 2) } }, "2026-10-08")
    eq(#y, 1); eq(y[1].level, "yellow")
    eq(y[1].reason, "一般检查对象年度抽查比例不足：2026年名录库一般行业检查对象57户，应抽查不少于5%（3户），已抽查2户，年底前应补足")
    eq(#A.situations({ coverage = { cov(2025, 3) } }, "2026-01-10"), 0)   -- 3 of 57 meets the floor
  end },

  { "6.2: a department or the bureau with no joint task in a year is flagged; divisions and townships are not", function()
    local orgs = {
      { id = 1, name = "高青县应急管理局", kind = "bureau", joint_tasks = 0 },
      { id = 2, name = "安全生产监督管理股", kind = "division", joint_tasks = 0 },
      { id = 3, name = "青城镇应急管理办公室", kind = "township", joint_tasks = 0 },
      { id = 4, name = "高青县市场监督管理局", kind = "department", joint_tasks = 1 },
      { id = 5, name = "高青县生态环境分局", kind = "department", joint_tasks = 0 },
    }
    local l = A.situations({ joint = { { year = 2025, orgs = orgs } } }, "2026-01-10")
    eq(#l, 2)
    eq(l[1].kind, "joint_missing"); eq(l[1].object, "org:1:2025"); eq(l[1].level, "red"); eq(l[1].clause, "6.2")
    eq(l[1].reason, "未开展部门联合抽查：高青县应急管理局2025年发起或参与的部门联合抽查0次，每年至少1次，年度已结束")
    eq(l[2].object, "org:5:2025")
    eq(#A.situations({ joint = { { year = 2026, orgs = orgs } } }, "2026-06-01"), 0)
    local y = A.situations({ joint = { { year = 2026, orgs = orgs } } }, "2026-10-08")
    eq(#y, 2); eq(y[1].level, "yellow")
    eq(y[2].reason, "未开展部门联合抽查：高青县生态环境分局2026年发起或参与的部门联合抽查0次，每年至少1次，年底前应安排")
  end },

  { "10.1 (5) other: each recorded situation is listed, red, until closed", function()
    local l = A.situations({ records = {
      { id = 3, object = "task:12", reason = "检查人员与被检查单位负责人系亲属，未申请回避", actor = "auditor1" },
      { id = 4, object = "", reason = "现场检查记录补签", actor = "head1" } } }, "2026-06-01")
    eq(#l, 2)
    eq(l[1].kind, "other"); eq(l[1].object, "record:3"); eq(l[1].level, "red"); eq(l[1].clause, "10.1")
    eq(l[1].reason, "其他违反抽查工作规定的情形（auditor1登记）：检查人员与被检查单位负责人系亲属，未申请回避")
    eq(l[2].reason, "其他违反抽查工作规定的情形（head1登记）：现场检查记录补签")
    eq(A.kinds[#A.kinds], { code = "other", label = "其他违反抽查工作规定的情形" })
  end },
}
