-- Rule tests for deadlines.lua (clauses 9.1, 9.2). The worked examples are those of HOLIDAYS.md.
local D = rules.deadlines

return {
  { "HOLIDAYS.md: objection received 2026-05-06, 20 working days -> 2026-06-02", function()
    local r = D.add_working_days("2026-05-06", 20)
    eq(r, { date = "2026-06-02" })
    local due = D.objection_review_due("2026-05-06")
    eq(due.date, D.add_working_days("2026-05-06", D.objection_review_days).date)
    if D.objection_review_days == 20 then eq(due.date, "2026-06-02") end
    eq(due.days, D.objection_review_days)
    eq(due.clause, "9.2")
    eq(due.warning, nil)
  end },

  { "HOLIDAYS.md: task ending 2025-09-26, 20 working days -> 2025-10-30", function()
    eq(D.add_working_days("2025-09-26", 20), { date = "2025-10-30" })
    local due = D.publication_due("2025-09-26")
    eq(due.date, D.add_working_days("2025-09-26", D.publication_days).date)
    if D.publication_days == 20 then eq(due.date, "2025-10-30") end
    eq(due.days, D.publication_days)
    eq(due.clause, "9.1")
    assert(due.reason:find(due.date, 1, true), due.reason)
  end },

  { "HOLIDAYS.md: decision on 2026-02-10, 15 working days -> 2026-03-09", function()
    eq(D.add_working_days("2026-02-10", 15), { date = "2026-03-09" })
    local due = D.feedback_due("2026-02-10")
    eq(due.date, D.add_working_days("2026-02-10", D.feedback_days).date)
    if D.feedback_days == 15 then eq(due.date, "2026-03-09") end
    eq(due.days, D.feedback_days)
    eq(due.clause, "9.2")
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

  { "bad input is refused", function()
    eq(pcall(D.add_working_days, "2026-02-30", 3), false)
    eq(pcall(D.add_working_days, "2026-02-03", -1), false)
  end },
}
