-- Rule tests for eligibility.lua (clauses 3.2, 3.3, 4.3, 6.2).
local E = rules.eligibility

local function unit(over)
  local u = {
    uscc = "91370322MA3C000001", name = "高青某化工有限公司", unit_type = "有限责任公司",
    region = "高青县", industry = "危险化学品", supervision_type = "日常监管",
    risk_level = "blue", credit_level = "normal", complaints = 0,
    watchlist = false, dishonest = false, serious_violation = false, major_hazard = false,
    status = "active",
  }
  for k, v in pairs(over or {}) do u[k] = v end
  return u
end
local TASK = { year = 2026, directed = false, mode = "untargeted",
               start_date = "2026-06-01", end_date = "2026-06-30" }
local function task(over)
  local t = {}
  for k, v in pairs(TASK) do t[k] = v end
  for k, v in pairs(over or {}) do t[k] = v end
  return t
end
local FRESH = { drawn_this_year = 0 }
local DRAWN = { drawn_this_year = 1, last_drawn = "2026-03-15" }
local REPEATED = rules.eligibility.repeated_complaints

-- A view of t that raises when check reads a field not in `declared` (rules/README.md "Declared
-- inputs": a freeze gives check only the declared fields).
local function strict(t, declared, what)
  if t == nil then return nil end
  local ok = {}
  for _, k in ipairs(declared) do ok[k] = true end
  return setmetatable({}, { __index = function(_, k)
    if not ok[k] then error("check read the undeclared " .. what .. " field '" .. tostring(k) .. "'", 2) end
    return t[k]
  end })
end

return {
  { "active unit not drawn this year is eligible (6.2)", function()
    local r = E.check(unit(), TASK, FRESH)
    eq(r.ok, true); eq(r.clause, "6.2")
    eq(E.check(unit(), TASK, nil).ok, true)
    eq(E.check(unit({ industry = "商贸" }), TASK, { drawn_this_year = 0, last_drawn = "2025-05-01" }).ok, true)
  end },

  { "closed unit is excluded (3.3 dynamic directory)", function()
    local r = E.check(unit({ status = "closed" }), TASK, FRESH)
    eq(r.ok, false); eq(r.clause, "3.3"); assert(r.reason:find("注销", 1, true))
    -- closed even when a 6.2 exception would apply
    eq(E.check(unit({ status = "closed", watchlist = true }), task({ directed = true }), DRAWN).ok, false)
  end },

  { "industry outside the 3.2 list is excluded", function()
    local r = E.check(unit({ industry = "房地产" }), TASK, FRESH)
    eq(r.ok, false); eq(r.clause, "3.2")
  end },

  { "each open 4.3 case (a-e) on the inspection record is excluded from random draws", function()
    for _, c in ipairs(E.special_cases) do
      local r = E.check(unit(), TASK, { drawn_this_year = 0, open_case = c.code })
      eq(r.ok, false, c.code); eq(r.clause, "4.3", c.code)
      assert(r.reason:find(c.label, 1, true), r.reason)
    end
    local codes = {}
    for i, c in ipairs(E.special_cases) do codes[i] = c.code end
    eq(codes, { "a", "b", "c", "d", "e" })
  end },

  { "an invalid 4.3 code is refused, not ignored", function()
    local r = E.check(unit(), TASK, { drawn_this_year = 0, open_case = "z" })
    eq(r.ok, false); eq(r.clause, "4.3")
  end },

  { "a unit selected by a dispatched task with overlapping dates is not drawn again (8.2)", function()
    local r = E.check(unit(), TASK, { drawn_this_year = 1, overlapping_task = "任务编号 7“三季度危化抽查”" })
    eq(r.ok, false); eq(r.clause, "8.2")
    eq(r.reason, "已在检查时间重叠的任务编号 7“三季度危化抽查”中被抽中，同一单位不重复检查；如需检查本任务事项，可申请加入该任务")
    -- even where 6.2 would allow a second draw (a directed task, a key-industry watchlist unit)
    eq(E.check(unit({ watchlist = true }), task({ directed = true, directed_reason = "专项整治" }),
               { drawn_this_year = 1, overlapping_task = "任务编号 7“x”" }).clause, "8.2")
  end },

  { "once a year: a unit already drawn this year is excluded (6.2)", function()
    local r = E.check(unit(), TASK, DRAWN)
    eq(r.ok, false); eq(r.clause, "6.2"); assert(r.reason:find("每年", 1, true))
    eq(E.check(unit({ industry = "机械" }), TASK, { drawn_this_year = 2 }).ok, false)
  end },

  { "once a year from last_drawn alone (same year counts, last year does not)", function()
    eq(E.check(unit(), TASK, { last_drawn = "2026-02-01" }).ok, false)
    eq(E.check(unit(), TASK, { last_drawn = "2025-12-31" }).ok, true)
  end },

  { "exception: key-industry unit with repeated complaints", function()
    local r = E.check(unit({ complaints = REPEATED }), TASK, DRAWN)
    eq(r.ok, true); eq(r.clause, "6.2"); assert(r.reason:find("投诉举报", 1, true))
    -- one complaint fewer is not "repeated"
    eq(E.check(unit({ complaints = REPEATED - 1 }), TASK, DRAWN).ok, false)
  end },

  { "complaints exception is for key industries only", function()
    local general = unit({ industry = "机械", complaints = REPEATED + 3 })
    eq(E.check(general, TASK, DRAWN).ok, false)
  end },

  { "exception: key-attention list (watchlist), key industries only", function()
    local r = E.check(unit({ industry = "烟花爆竹", watchlist = true }), TASK, DRAWN)
    eq(r.ok, true); eq(r.clause, "6.2"); assert(r.reason:find("重点关注", 1, true))
    local g = E.check(unit({ industry = "纺织", watchlist = true }), TASK, DRAWN)
    eq(g.ok, false); eq(g.clause, "6.2")
    eq(g.reason, "本年度已被抽查，同一企业每年抽查原则上不超过一次，且不属于第6.2条规定的例外情形")
  end },

  { "exception: dishonesty record (flag or credit level)", function()
    eq(E.check(unit({ dishonest = true }), TASK, DRAWN).ok, true)
    local r = E.check(unit({ industry = "商贸", credit_level = "dishonest" }), TASK, DRAWN)
    eq(r.ok, true); assert(r.reason:find("失信", 1, true))
  end },

  { "exception: serious violation record, key industries only", function()
    local r = E.check(unit({ industry = "冶金", serious_violation = true }), TASK, DRAWN)
    eq(r.ok, true); assert(r.reason:find("严重违法", 1, true))
    eq(E.check(unit({ industry = "建材", serious_violation = true }), TASK, DRAWN).ok, false)
  end },

  { "exception: dishonesty applies to general industries too (preceding sentence of 6.2)", function()
    local r = E.check(unit({ industry = "纺织", dishonest = true }), TASK, DRAWN)
    eq(r.ok, true); eq(r.reason, "本年度已被抽查，但属失信市场主体，可提高抽查频次")
  end },

  { "exception: directed checks (专项整治/特殊事件/上级指令)", function()
    for _, why in ipairs({ "专项整治", "特殊事件", "上级指令" }) do
      local r = E.check(unit({ industry = "轻工" }), task({ directed = true, directed_reason = why }), DRAWN)
      eq(r.ok, true, why); eq(r.clause, "6.2"); assert(r.reason:find(why, 1, true), r.reason)
    end
    eq(E.check(unit(), task({ directed = true }), DRAWN).ok, true)
  end },

  { "a 4.3 case is excluded even in a directed task", function()
    eq(E.check(unit(), task({ directed = true }), { drawn_this_year = 0, open_case = "b" }).ok, false)
  end },

  { "check reads only its declared fields (unit_fields, history_fields)", function()
    local names = {}
    for _, f in ipairs(E.unit_fields) do
      assert(type(f) == "string", "unit_fields holds field names"); names[#names + 1] = f
    end
    for _, f in ipairs(E.history_fields) do assert(type(f) == "string", "history_fields holds field names") end
    eq(#names > 0, true)
    -- every outcome above, reached through views that refuse undeclared fields, gives the same
    -- decision as the full record
    local units = { unit(), unit({ status = "closed" }), unit({ status = "suspended" }), unit({ status = false }),
                    unit({ industry = "房地产" }),
                    unit({ complaints = REPEATED }), unit({ industry = "机械", complaints = REPEATED + 3 }),
                    unit({ industry = "纺织", watchlist = true }), unit({ dishonest = true }),
                    unit({ industry = "商贸", credit_level = "dishonest" }),
                    unit({ industry = "建材", serious_violation = true }) }
    local histories = { FRESH, DRAWN, { last_drawn = "2026-02-01" }, { last_drawn = "2025-12-31" },
                        { drawn_this_year = 2 }, { drawn_this_year = 0, open_case = "c" },
                        { drawn_this_year = 0, open_case = "z" }, { drawn_this_year = 1, overlapping_task = "任务编号 3“x”" },
                        nil }
    local tasks = { TASK, task({ directed = true, directed_reason = "专项整治" }), task({ directed = true }) }
    for ui, u in ipairs(units) do
      for hi = 1, #histories + 1 do
        local h = histories[hi]
        for ti, t in ipairs(tasks) do
          local full = E.check(u, t, h)
          local seen = E.check(strict(u, E.unit_fields, "unit"), t, strict(h, E.history_fields, "history"))
          eq(seen, full, "unit " .. ui .. ", history " .. hi .. ", task " .. ti)
        end
      end
    end
  end },

  { "6.2 lower frequency: a low-risk, good-credit unit drawn last year is not a candidate this year", function()
    eq(E.low_risk_levels, { blue = true }); eq(E.good_credit_levels, { good = true })
    local good = unit({ risk_level = "blue", credit_level = "good" })
    local r = E.check(good, TASK, { drawn_this_year = 0, drawn_last_year = 1 })
    eq(r.ok, false); eq(r.clause, "6.2")
    eq(r.reason, "风险低、信用好，上一年度已被抽查，按第6.2条降低抽查频次，本年度不列为候选")
    -- not drawn last year: a candidate
    eq(E.check(good, TASK, { drawn_this_year = 0, drawn_last_year = 0 }).ok, true)
    eq(E.check(good, TASK, FRESH).ok, true)
    -- normal credit, or a higher risk level: the usual once a year
    eq(E.check(unit({ risk_level = "blue", credit_level = "normal" }), TASK, { drawn_this_year = 0, drawn_last_year = 1 }).ok, true)
    eq(E.check(unit({ risk_level = "yellow", credit_level = "good" }), TASK, { drawn_this_year = 0, drawn_last_year = 1 }).ok, true)
    -- a directed task and a 6.2 exception (key industry on the watchlist) are not limited
    eq(E.check(good, task({ directed = true, directed_reason = "专项整治" }), { drawn_this_year = 0, drawn_last_year = 1 }).ok, true)
    eq(E.check(unit({ risk_level = "blue", credit_level = "good", watchlist = true }), TASK,
               { drawn_this_year = 0, drawn_last_year = 1 }).ok, true)
  end },

  { "at most 2 inspections a year: random draws and 4.3 cases begun in the year count", function()
    eq(E.max_inspections_per_year, 2)
    local r = E.check(unit({ industry = "商贸" }), TASK, { drawn_this_year = 0, cases_this_year = 2 })
    eq(r.ok, false); eq(r.clause, "6.2")
    eq(r.reason, "本年度已接受检查2次（含第4.3条情形检查2次），达到每年2次的上限，不再列入随机抽查")
    eq(E.check(unit({ industry = "商贸" }), TASK, { drawn_this_year = 0, cases_this_year = 1 }).ok, true)
    -- a directed task is not limited; nor a key-industry unit with repeated complaints (6.2)
    eq(E.check(unit({ industry = "商贸" }), task({ directed = true, directed_reason = "上级指令" }),
               { drawn_this_year = 0, cases_this_year = 2 }).ok, true)
    eq(E.check(unit({ complaints = REPEATED }), TASK, { drawn_this_year = 0, cases_this_year = 3 }).ok, true)
  end },

  { "a caller modifying a returned decision changes no later decision", function()
    local a = E.check(unit(), TASK, FRESH)
    a.ok, a.reason, a.clause = false, "tampered", "0"
    local b = E.check(unit({ uscc = "other" }), TASK, FRESH)
    eq(b.ok, true); eq(b.clause, "6.2")
    eq(b.reason, "符合随机抽查条件：本年度未被抽查过，且不属于第4.3条规定的情形")
    local c = E.check(unit({ status = "closed" }), TASK, FRESH)
    c.ok = true
    eq(E.check(unit({ status = "closed" }), TASK, FRESH).ok, false)
    local x = E.check(unit(), TASK, DRAWN)
    x.ok = true
    eq(E.check(unit(), TASK, DRAWN).ok, false)
    eq(E.OK.ok, true)
  end },
}
