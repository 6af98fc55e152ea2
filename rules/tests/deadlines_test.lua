-- Rule tests for deadlines.lua (clauses 9.1, 9.2). The worked examples are those of HOLIDAYS.md.
local D = rules.deadlines

return {
  -- The guideline's periods are pinned with literal dates (HOLIDAYS.md's worked examples and more,
  -- computed by hand from its tables): changing 20 / 20 / 15 working days or a holiday date fails
  -- here, and so refuses the activation of such a rule version.
  { "HOLIDAYS.md: objection received 2026-05-06, 20 working days -> 2026-06-02", function()
    eq(D.add_working_days("2026-05-06", 20), { date = "2026-06-02" })
    local due = D.objection_review_due("2026-05-06")
    eq(due.date, "2026-06-02")
    eq(due.days, 20)
    eq(due.clause, "9.2")
    eq(due.warning, nil)
    eq(due.reason, "异议应于收到（2026-05-06）后20个工作日内，最后期限为2026-06-02")
  end },

  { "HOLIDAYS.md: task ending 2025-09-26, 20 working days -> 2025-10-30", function()
    eq(D.add_working_days("2025-09-26", 20), { date = "2025-10-30" })
    local due = D.publication_due("2025-09-26")
    eq(due.date, "2025-10-30")
    eq(due.days, 20)
    eq(due.clause, "9.1")
    eq(due.reason, "检查结果应于任务结束（2025-09-26）后20个工作日内，最后期限为2025-10-30")
  end },

  { "HOLIDAYS.md: decision on 2026-02-10, 15 working days -> 2026-03-09", function()
    eq(D.add_working_days("2026-02-10", 15), { date = "2026-03-09" })
    local due = D.feedback_due("2026-02-10")
    eq(due.date, "2026-03-09")
    eq(due.days, 15)
    eq(due.clause, "9.2")
  end },

  { "9.1 publication: 20 working days, pinned across every holiday of 2025 and 2026", function()
    local cases = {
      { "2025-01-20", "2025-02-21" }, { "2025-04-30", "2025-06-03" }, { "2025-05-28", "2025-06-26" },
      { "2025-09-19", "2025-10-23" }, { "2025-12-25", "2026-01-23" }, { "2026-01-28", "2026-03-03" },
      { "2026-06-12", "2026-07-13" }, { "2026-09-18", "2026-10-22" }, { "2026-12-01", "2026-12-29" },
    }
    for _, c in ipairs(cases) do
      local due = D.publication_due(c[1])
      eq(due.date, c[2], "publication_due(" .. c[1] .. ")")
      eq(due.days, 20, c[1])
    end
  end },

  { "9.2 objection review: 20 working days, pinned", function()
    local cases = {
      { "2025-01-20", "2025-02-21" }, { "2025-04-30", "2025-06-03" }, { "2025-09-19", "2025-10-23" },
      { "2025-12-25", "2026-01-23" }, { "2026-01-28", "2026-03-03" }, { "2026-09-18", "2026-10-22" },
    }
    for _, c in ipairs(cases) do
      local due = D.objection_review_due(c[1])
      eq(due.date, c[2], "objection_review_due(" .. c[1] .. ")")
      eq(due.days, 20, c[1])
    end
  end },

  { "9.2 feedback: 15 working days, pinned", function()
    local cases = {
      { "2025-01-20", "2025-02-14" }, { "2025-04-30", "2025-05-26" }, { "2025-05-28", "2025-06-19" },
      { "2025-09-19", "2025-10-16" }, { "2025-12-25", "2026-01-16" }, { "2026-01-28", "2026-02-25" },
      { "2026-06-12", "2026-07-06" }, { "2026-09-18", "2026-10-15" }, { "2026-12-01", "2026-12-22" },
    }
    for _, c in ipairs(cases) do
      local due = D.feedback_due(c[1])
      eq(due.date, c[2], "feedback_due(" .. c[1] .. ")")
      eq(due.days, 15, c[1])
    end
  end },

  { "counting starts the day after; Friday + 1 = Monday", function()
    eq(D.add_working_days("2026-03-13", 1).date, "2026-03-16")
    eq(D.add_working_days("2026-03-16", 0).date, "2026-03-16")
  end },

  { "across National Day 2025", function()
    -- 2025-09-30 (Tue) + 1: 10-01..10-08 off, 10-09 (Thu) first working day; 10-11 (Sat) working
    eq(D.add_working_days("2025-09-30", 1).date, "2025-10-09")
    eq(D.add_working_days("2025-09-30", 3).date, "2025-10-11")
    eq(D.add_working_days("2025-09-27", 1).date, "2025-09-28")   -- Sunday 调休
  end },

  { "across Labour Day 2026", function()
    -- 2026-04-30 (Thu) + 1: 05-01..05-05 off -> 05-06 (Wed); 05-09 (Sat) is the 4th
    eq(D.add_working_days("2026-04-30", 1).date, "2026-05-06")
    eq(D.add_working_days("2026-04-30", 4).date, "2026-05-09")
    eq(D.add_working_days("2026-04-30", 5).date, "2026-05-11")
  end },

  { "across Spring Festival 2026", function()
    -- 2026-02-13 (Fri) + 1 -> 02-14 (Sat, 调休); + 2 -> 02-24 (Tue), 02-15..02-23 off
    eq(D.add_working_days("2026-02-13", 1).date, "2026-02-14")
    eq(D.add_working_days("2026-02-13", 2).date, "2026-02-24")
  end },

  { "a 2027 date gives a warning instead of silently counting weekends", function()
    local r = D.add_working_days("2026-12-20", 20)
    eq(r.date, "2027-01-15")
    assert(r.warning and r.warning:find("2027年节假日安排未录入", 1, true), tostring(r.warning))
    local due = D.publication_due("2027-03-01")
    assert(due.warning and due.reason:find("未录入", 1, true), due.reason)
    eq(D.add_working_days("2026-12-01", 5).warning, nil)
  end },

  { "warning level: green, yellow within the warning window, red when overdue", function()
    -- deadline 2026-06-02 (Tue); 5 working days before it: 05-27, 05-28, 05-29, 06-01, 06-02
    local n = D.warning_days
    eq(D.warning_level("2026-06-02", "2026-06-02"), "yellow")
    eq(D.warning_level("2026-06-02", "2026-06-03"), "red")
    eq(D.warning_level("2026-06-02", "2026-05-01"), "green")
    -- exactly warning_days working days left -> yellow; one more -> green
    local cal = rules.calendar
    local function back(due, k)   -- the day from which k working days remain until due
      local d = cal.to_days(due)
      local count = 0
      while count < k do
        local s = cal.from_days(d)
        if cal.is_working_day(s) then count = count + 1 end
        d = d - 1
      end
      return cal.from_days(d)
    end
    local level, reason = D.warning_level("2026-06-02", back("2026-06-02", n))
    eq(level, "yellow", reason)
    eq(D.warning_level("2026-06-02", back("2026-06-02", n + 1)), "green")
    local lvl, why, clause = D.warning_level("2026-06-02", "2026-06-10")
    eq(lvl, "red"); assert(why:find("逾期", 1, true)); eq(clause, "10.1")
  end },

  { "9.2: an objection is admissible from publication to 20 working days after it", function()
    -- published Wed 2026-05-06; 9 May 2026 is an adjusted working day; 20 working days end 2026-06-02
    local r = D.objection_admissible("2026-05-06", "2026-05-06")
    eq(r.ok, true); eq(r.clause, "9.2")
    eq(r.reason, "于结果公示（2026-05-06）后20个工作日内（2026-06-02前）提出")
    eq(D.objection_admissible("2026-05-06", "2026-06-02").ok, true)
    local late = D.objection_admissible("2026-05-06", "2026-06-03")
    eq(late.ok, false); eq(late.clause, "9.2")
    eq(late.reason, "异议收到日期（2026-06-03）已超过提出期限：应于结果公示（2026-05-06）后20个工作日内（2026-06-02前）提出")
    local early = D.objection_admissible("2026-05-06", "2026-05-05")
    eq(early.ok, false)
    eq(early.reason, "异议收到日期（2026-05-05）早于检查结果公示日期（2026-05-06）：结果公示后方可提出异议")
    eq(pcall(D.objection_admissible, nil, "2026-05-06"), false)
  end },

  { "bad input is refused", function()
    eq(pcall(D.add_working_days, "2026-02-30", 3), false)
    eq(pcall(D.add_working_days, "2026-02-03", -1), false)
  end },

  { "a huge count (1e12) is refused at once instead of looping", function()
    local ok, err = pcall(D.add_working_days, "2026-02-03", 1e12)
    eq(ok, false)
    assert(tostring(err):find("工作日数超出范围", 1, true), tostring(err))
    eq(pcall(D.add_working_days, "2026-02-03", 3661), false)
    eq(pcall(D.add_working_days, "2026-02-03", math.maxinteger), false)
    eq(D.add_working_days("2026-01-05", 3660).date, "2040-02-01")   -- the bound itself is allowed
  end },

  { "9.2 archive retention: years per kind, until the same day", function()
    local D = rules.deadlines
    eq(D.archive_retention_years, { notice = 10, record = 30, rectification = 30, announcement = 10, results = 30,
                                    attachment = 30 })
    eq(D.retention("record", "2026-12-05"), { years = 30, ["until"] = "2056-12-05", clause = "9.2",
                                             reason = "按第9.2条归档，保管30年，至2056-12-05" })
    eq(D.retention("notice", "2026-03-02")["until"], "2036-03-02")
    eq(D.retention("attachment", "2028-02-29")["until"], "2058-02-28")
    eq(D.retention("announcement", "2024-02-29")["until"], "2034-02-28")
    local ok = pcall(D.retention, "memo", "2026-01-01")
    eq(ok, false)
  end },
}
