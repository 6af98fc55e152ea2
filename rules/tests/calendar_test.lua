-- Rule tests for calendar.lua (data from HOLIDAYS.md).
local cal = rules.calendar

local function wd(date)
  local working, known = cal.is_working_day(date)
  return { working, known }
end

return {
  { "notices recorded for 2025 and 2026", function()
    eq(cal.years[2025].notice, "国办发明电〔2024〕12号")
    assert(cal.years[2026].notice:find("2026", 1, true))
    eq(cal.known_year(2025), true)
    eq(cal.known_year(2026), true)
    eq(cal.known_year(2027), false)
  end },

  { "ordinary weekdays and weekends", function()
    eq(wd("2026-03-10"), { true, true })    -- Tuesday
    eq(wd("2026-03-14"), { false, true })   -- Saturday
    eq(wd("2026-03-15"), { false, true })   -- Sunday
  end },

  { "2025 holidays off, 调休 weekends working", function()
    eq(wd("2025-01-01"), { false, true })
    eq(wd("2025-01-28"), { false, true })
    eq(wd("2025-02-04"), { false, true })
    eq(wd("2025-01-26"), { true, true })    -- Sunday, 调休
    eq(wd("2025-02-08"), { true, true })    -- Saturday, 调休
    eq(wd("2025-04-27"), { true, true })
    eq(wd("2025-06-02"), { false, true })   -- Monday, 端午节
    eq(wd("2025-10-08"), { false, true })   -- Wednesday, 国庆节
    eq(wd("2025-09-28"), { true, true })
    eq(wd("2025-10-11"), { true, true })
  end },

  { "2026 holidays off, 调休 weekends working", function()
    eq(wd("2026-01-02"), { false, true })
    eq(wd("2026-01-04"), { true, true })
    eq(wd("2026-02-23"), { false, true })
    eq(wd("2026-02-14"), { true, true })
    eq(wd("2026-02-28"), { true, true })
    eq(wd("2026-05-05"), { false, true })
    eq(wd("2026-05-09"), { true, true })
    eq(wd("2026-06-19"), { false, true })
    eq(wd("2026-09-25"), { false, true })
    eq(wd("2026-09-20"), { true, true })
    eq(wd("2026-10-07"), { false, true })
    eq(wd("2026-10-10"), { true, true })
  end },

  { "a year without data: weekends only, known = false", function()
    eq(wd("2027-01-01"), { true, false })   -- Friday; holiday not recorded
    eq(wd("2027-01-02"), { false, false })  -- Saturday
  end },

  { "every listed day is in its own year and off/working are disjoint", function()
    for _, y in ipairs({ 2025, 2026 }) do   -- `rules` is a read-only view: no pairs() over it
      local data = cal.years[y]
      local off = {}
      for _, d in ipairs(data.off) do
        eq(tonumber(d:sub(1, 4)), y, d)
        off[d] = true
        eq(wd(d)[1], false, d)
      end
      for _, d in ipairs(data.working) do
        eq(off[d], nil, d)
        assert(cal.weekday(d) >= 6, d .. " is a weekday; only weekends need listing as working")
      end
    end
  end },

  { "date arithmetic", function()
    eq(cal.weekday("2026-11-27"), 5)        -- Friday
    eq(cal.add_days("2024-02-28", 1), "2024-02-29")
    eq(cal.add_days("2025-12-31", 1), "2026-01-01")
    eq(cal.from_days(cal.to_days("2000-03-01")), "2000-03-01")
    eq(cal.to_days("1970-01-01"), 0)
  end },

  { "bad dates are refused", function()
    for _, bad in ipairs({ "2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", 20260101 }) do
      eq(pcall(cal.is_working_day, bad), false, tostring(bad))
    end
  end },
}
