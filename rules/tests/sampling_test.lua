-- Rule tests for sampling.lua (clauses 5.1.2, 6.2). The guideline's 5% floor is pinned with literal
-- counts (first cases): changing general_min_ratio fails them, and so refuses the activation of such
-- a version. The other cases read the floor from the rule and test the formula around it.
local S = rules.sampling

local function unit(industry, risk, credit, dishonest)
  return { industry = industry, risk_level = risk or "blue", credit_level = credit or "normal",
           dishonest = dishonest or false, status = "active" }
end
local function ceil_ratio(size, ratio)
  local n = math.ceil(size * ratio - 1e-9)
  if n > size then n = size end
  return math.tointeger(n)
end
local FLOOR = S.general_min_ratio

return {
  { "5.1.2 floor pinned: at least 5% of a general stratum, rounded up", function()
    eq(S.general_min_ratio, 0.05)
    local plan0 = { ratios = { general_other = 0, general_high = 0, key_other = 0, key_high = 0, key_low = 0 } }
    local expect = { [1] = 1, [19] = 1, [20] = 1, [21] = 2, [40] = 2, [41] = 3, [99] = 5, [100] = 5,
                     [101] = 6, [1000] = 50, [12345] = 618 }
    for _, size in ipairs({ 1, 19, 20, 21, 40, 41, 99, 100, 101, 1000, 12345 }) do
      eq(S.count("general_other", size, plan0), expect[size], "general_other " .. size)
    end
    local n, reason, clause = S.count("general_other", 101, plan0)
    eq(n, 6); eq(clause, "5.1.2")
    eq(reason, "一般行业·其他：共101户，按最低比例5%抽取6户（向上取整）；一般行业抽查比例不低于5%")
    -- the same floor for every stratum (a key industry is never checked less than a general one)
    for _, name in ipairs({ "key_high", "key_other", "key_low", "general_high", "general_other" }) do
      eq(S.floor(name), 0.05, name)
      eq(S.count(name, 1000, plan0), 50, name)
    end
  end },

  { "strata: five, ordered, with Chinese labels", function()
    local names = {}
    for i, s in ipairs(S.strata) do
      names[i] = s.name
      assert(type(s.label) == "string" and #s.label > 0)
    end
    eq(names, { "key_high", "key_other", "key_low", "general_high", "general_other" })
    eq(S.strata[3].label, "重点行业·低风险且守信")
  end },

  { "6.2 lower ratio: key-industry units of low risk and good credit, 10% against 15%", function()
    eq(S.ratios.key_low, 0.10); eq(S.ratios.key_other, 0.15)
    local n, reason, clause = S.count("key_low", 200, {})
    eq(n, 20); eq(clause, "6.2")
    eq(reason, "重点行业·低风险且守信：共200户，按默认比例10%抽取20户（向上取整）；重点行业抽查比例不设上限，不低于5%")
    eq(S.count("key_other", 200, {}), 30)
    -- never below the 5.1.2 floor, whatever the plan says
    eq(S.count("key_low", 200, { ratios = { key_low = 0.01 } }), 10)
  end },

  { "stratum by category and risk/credit", function()
    eq(S.stratum(unit("危险化学品", "red"), {}), "key_high")
    eq(S.stratum(unit("冶金", "orange"), {}), "key_high")
    eq(S.stratum(unit("有色", "blue", "dishonest"), {}), "key_high")
    eq(S.stratum(unit("非煤矿山", "yellow"), {}), "key_other")
    eq(S.stratum(unit("化工", "blue"), {}), "key_other")                  -- low risk, normal credit
    eq(S.stratum(unit("化工", "blue", "good"), {}), "key_low")            -- 6.2: low risk and good credit
    eq(S.stratum(unit("化工", "yellow", "good"), {}), "key_other")
    eq(S.stratum(unit("化工", "red", "good"), {}), "key_high")
    eq(S.stratum(unit("纺织", "blue", "good"), {}), "general_other")      -- general: the floor binds
    eq(S.stratum(unit("机械", "red"), {}), "general_high")
    eq(S.stratum(unit("商贸", "blue", "normal", true), {}), "general_high")
    eq(S.stratum(unit("纺织", "yellow", "good"), {}), "general_other")
    eq(S.stratum(unit("房地产", "red"), {}), nil)
  end },

  { "general floor: at least general_min_ratio of the stratum, rounded up (5.1.2)", function()
    for _, size in ipairs({ 1, 7, 19, 20, 21, 99, 100, 101, 1000, 12345 }) do
      local n, reason, clause = S.count("general_other", size, { ratios = { general_other = 0 } })
      eq(n, ceil_ratio(size, FLOOR), "size " .. size)
      eq(clause, "5.1.2")
      assert(reason:find("向上取整", 1, true), reason)
    end
  end },

  { "floor rounding: 21 units at the floor is never rounded down", function()
    local n = S.count("general_other", 21, { ratios = { general_other = 0 } })
    assert(n >= 21 * FLOOR, "n = " .. n)
    assert(n - 1 < 21 * FLOOR, "not more than the ceiling")
  end },

  { "a plan ratio below the floor is raised to the floor, also for key strata", function()
    for _, s in ipairs(S.strata) do
      local n = S.count(s.name, 200, { ratios = { [s.name] = 0 } })
      assert(n >= ceil_ratio(200, FLOOR), s.name .. ": " .. n)
    end
  end },

  { "a plan ratio above the floor is used", function()
    local r = FLOOR + (1 - FLOOR) / 2
    local n, _, clause = S.count("general_other", 1000, { ratios = { general_other = r } })
    eq(n, ceil_ratio(1000, r))
    eq(clause, "6.2")
  end },

  { "default ratios: general strata never below the floor", function()
    for _, name in ipairs({ "general_high", "general_other" }) do
      local n = S.count(name, 1000, {})
      assert(n >= ceil_ratio(1000, FLOOR), name .. ": " .. n)
    end
  end },

  { "key strata have no upper ratio: a plan may draw all", function()
    eq(S.count("key_high", 37, { ratios = { key_high = 1 } }), 37)
    eq(S.count("key_other", 37, { ratios = { key_other = 1 } }), 37)
    local n, reason = S.count("key_other", 50, { ratios = { key_other = 0.9 } })
    eq(n, 45); assert(reason:find("不设上限", 1, true), reason)
  end },

  { "never more than the stratum, zero for an empty stratum", function()
    eq(S.count("general_other", 3, { ratios = { general_other = 1 } }), 3)
    eq(S.count("general_other", 1, {}), 1)
    eq(S.count("key_high", 0, {}), 0)
  end },

  { "6.2: high risk / dishonest strata get at least the ratio of the other stratum", function()
    for _, pair in ipairs({ { "key_high", "key_other" }, { "general_high", "general_other" } }) do
      local high = S.count(pair[1], 1000, {})
      local other = S.count(pair[2], 1000, {})
      assert(high >= other, pair[1] .. " " .. high .. " < " .. pair[2] .. " " .. other)
      -- even when the plan inverts them
      local t = { ratios = { [pair[1]] = FLOOR, [pair[2]] = 1 } }
      eq(S.count(pair[1], 100, t), 100, pair[1])
    end
  end },

  { "float noise does not add a unit", function()
    local r = 0.07
    if r < FLOOR then r = FLOOR end
    eq(S.count("general_other", 100, { ratios = { general_other = r } }), ceil_ratio(100, r))
  end },

  { "stratum reads only its declared unit_fields", function()
    local ok = {}
    for _, f in ipairs(S.unit_fields) do
      assert(type(f) == "string", "unit_fields holds field names"); ok[f] = true
    end
    local function strict(u)   -- raises when stratum reads an undeclared field
      return setmetatable({}, { __index = function(_, k)
        if not ok[k] then error("stratum read the undeclared field '" .. tostring(k) .. "'", 2) end
        return u[k]
      end })
    end
    for _, ind in ipairs({ "危险化学品", "机械", "商贸", "房地产" }) do
      for _, risk in ipairs({ "red", "orange", "yellow", "blue" }) do
        for _, credit in ipairs({ "good", "normal", "dishonest" }) do
          for _, d in ipairs({ true, false }) do
            local u = unit(ind, risk, credit, d)
            u.uscc, u.name, u.complaints, u.watchlist = "91370322MA3C000001", "某公司", 3, true
            eq(S.stratum(strict(u), {}), S.stratum(u, {}), ind .. risk .. credit .. tostring(d))
          end
        end
      end
    end
  end },

  { "bad input is refused", function()
    eq(pcall(S.count, "nope", 10, {}), false)
    eq(pcall(S.count, "general_other", -1, {}), false)
    eq(pcall(S.count, "general_other", 10, { ratios = { general_other = "x" } }), false)
  end },
}
