-- Rule tests for calendar.lua (data from HOLIDAYS.md).
local cal = rules.calendar

local function wd(date)
  local working, known = cal.is_working_day(date)
  return { working, known }
end


-- HOLIDAYS.md, written out: every day off and every adjusted working day (调休) of 2025 and 2026.
-- Literal on purpose: changing, adding or removing one date of calendar.lua fails these tests.
local OFF = {
  [2025] = {
    "2025-01-01",
    "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04",
    "2025-04-04", "2025-04-05", "2025-04-06",
    "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05",
    "2025-05-31", "2025-06-01", "2025-06-02",
    "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
  },
  [2026] = {
    "2026-01-01", "2026-01-02", "2026-01-03",
    "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21",
    "2026-02-22", "2026-02-23",
    "2026-04-04", "2026-04-05", "2026-04-06",
    "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
    "2026-06-19", "2026-06-20", "2026-06-21",
    "2026-09-25", "2026-09-26", "2026-09-27",
    "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
  },
}
local WORKING = {
  [2025] = { "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11" },
  [2026] = { "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10" },
}

-- A plain copy of a sequence read through the read-only `rules` view.
local function seq(t)
  local out = {}
  for i, v in ipairs(t) do out[i] = v end
  return out
end

return {
  { "HOLIDAYS.md: the recorded off and 调休 dates are exactly those of the notices", function()
    for _, y in ipairs({ 2025, 2026 }) do
      eq(seq(cal.years[y].off), OFF[y], "off " .. y)
      eq(seq(cal.years[y].working), WORKING[y], "working " .. y)
    end
  end },

  { "HOLIDAYS.md: every day of 2025 and 2026 is a working day or not exactly as the notices say", function()
    -- dates and weekdays generated here, independently of calendar.lua: 2025-01-01 was a Wednesday
    local off, working = {}, {}
    for _, y in ipairs({ 2025, 2026 }) do
      for _, d in ipairs(OFF[y]) do off[d] = true end
      for _, d in ipairs(WORKING[y]) do working[d] = true end
    end
    local dim = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }   -- neither year is a leap year
    local wday, n, n_working = 3, 0, 0                                  -- 1 = Monday
    for _, y in ipairs({ 2025, 2026 }) do
      for m = 1, 12 do
        for d = 1, dim[m] do
          local date = string.format("%04d-%02d-%02d", y, m, d)
          local expect = working[date] or (wday <= 5 and not off[date]) or false
          local got, known = cal.is_working_day(date)
          eq(got, expect, date)
          eq(known, true, date)
          if expect then n_working = n_working + 1 end
          n = n + 1
          wday = wday % 7 + 1
        end
      end
    end
    eq(n, 730)
    eq(n_working, 248 + 248)
  end },

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
