-- sampling.lua: strata of a task and how many units to draw from each (clauses 5.1.2, 6.2).
-- Uses rules.categories at call time.
--
-- Strata: industry category (5.1.2 key / general) x risk (6.2: units with risk level red/orange
-- or a dishonesty record are "high" and get a higher ratio).
-- Ratios: task.ratios[stratum] (from the plan) if given, else `ratios` below; never below the
-- floor `general_min_ratio` (5.1.2: general items at least 5%; key strata get the same floor, as
-- a key industry must not be checked less than a general one); a "high" stratum never gets a lower
-- ratio than the "other" stratum of its category (6.2); key strata have no upper ratio (up to all).
-- n = ceil(size * ratio), at most size.
--
-- To change the 5% floor, edit general_min_ratio (one number). To change a default ratio, edit
-- `ratios`.

local M = {}

-- The unit fields stratum reads, and nothing else (rules/README.md "Declared inputs"): in a
-- freeze the unit table holds only these, so stratum sees nil for any other field. Add a field
-- here before reading it.
M.unit_fields = { "industry", "risk_level", "credit_level", "dishonest" }

M.general_min_ratio = 0.05   -- 5.1.2: general items, at least 5% of the targets

-- Draw algorithm (SPEC §12): false = every freeze must carry the witness's commitment and a named
-- public beacon (spotcheck-draw-v2); true also accepts a freeze without them (spotcheck-draw-v1,
-- which an operator and a colluding witness could grind). A local choice, not a guideline value.
M.draw_v1_allowed = false

-- Ordered: this is the order of strata in the draw (SPEC §4: strata in order).
M.strata = {
  { name = "key_high",      category = "key",     high = true,  label = "重点行业·高风险或失信" },
  { name = "key_other",     category = "key",     high = false, label = "重点行业·其他" },
  { name = "general_high",  category = "general", high = true,  label = "一般行业·高风险或失信" },
  { name = "general_other", category = "general", high = false, label = "一般行业·其他" },
}

-- Default ratios per stratum (6.2: higher for high risk and dishonest units).
M.ratios = {
  key_high = 0.30,
  key_other = 0.15,
  general_high = 0.15,
  general_other = 0.05,
}

-- Risk levels counted as "high" (SPEC §8 codes).
M.high_risk_levels = { red = true, orange = true }

local by_name = {}
for _, s in ipairs(M.strata) do by_name[s.name] = s end
local other_of = { key_high = "key_other", general_high = "general_other" }
local high_levels = M.high_risk_levels

-- stratum(unit, task) -> stratum name, or nil when the industry is not in 3.2 (eligibility
-- excludes such units before this is called).
-- rules.categories.category_code, looked up at the first call. A rule set is always loaded (and
-- reloaded) as a whole, so this never outlives the categories rule it came from.
local category_code

function M.stratum(unit, task)
  category_code = category_code or rules.categories.category_code
  local cat = category_code(unit.industry)
  if cat == nil then return nil end
  local high = high_levels[unit.risk_level] or unit.credit_level == "dishonest" or unit.dishonest
  if cat == "key" then
    return high and "key_high" or "key_other"
  end
  return high and "general_high" or "general_other"
end

-- floor(stratum_name) -> the minimum ratio of that stratum.
function M.floor(stratum_name)
  return M.general_min_ratio
end

-- effective_ratio(stratum_name, task) -> ratio, source text, clause
function M.effective_ratio(stratum_name, task)
  local s = by_name[stratum_name]
  if not s then error("未知抽查层：" .. tostring(stratum_name), 2) end
  local plan = task and task.ratios and task.ratios[stratum_name]
  local ratio, source, clause = M.ratios[stratum_name], "默认比例", "6.2"
  if plan ~= nil then
    if type(plan) ~= "number" or plan ~= plan or plan < 0 then
      error("计划抽查比例无效：" .. stratum_name .. " = " .. tostring(plan), 2)
    end
    ratio, source = plan, "计划比例"
  end
  local floor = M.floor(stratum_name)
  if ratio <= floor then
    ratio, source, clause = floor, "最低比例", "5.1.2"
  end
  local other = other_of[stratum_name]
  if other then
    local r_other = M.effective_ratio(other, task)
    if ratio < r_other then
      ratio, source, clause = r_other, "不低于同类别其他企业比例", "6.2"
    end
  end
  if ratio > 1 then ratio = 1 end
  return ratio, source, clause
end

local function pct(r)
  local s = string.format("%.2f", r * 100):gsub("0+$", ""):gsub("%.$", "")
  return s .. "%"
end

-- count(stratum_name, size, task) -> n, reason, clause
function M.count(stratum_name, size, task)
  size = type(size) == "number" and math.tointeger(size) or nil     -- 12.0 from JSON is accepted
  if size == nil or size < 0 then
    error("抽查层规模应为非负整数", 2)
  end
  local s = by_name[stratum_name]
  if not s then error("未知抽查层：" .. tostring(stratum_name), 2) end
  local ratio, source, clause = M.effective_ratio(stratum_name, task)
  if size == 0 then
    return 0, s.label .. "：本层无符合条件的企业", clause
  end
  -- the small epsilon keeps float noise (0.07 * 100 = 7.000000000000001) from adding one unit
  local n = math.ceil(size * ratio - 1e-9)
  if n > size then n = size end
  if n < 0 then n = 0 end
  n = math.tointeger(n)
  local rule
  if s.category == "key" then
    rule = "重点行业抽查比例不设上限，不低于" .. pct(M.floor(stratum_name))
  else
    rule = "一般行业抽查比例不低于" .. pct(M.general_min_ratio)
  end
  if s.high then rule = rule .. "；高风险或失信企业比例不低于同类别其他企业" end
  local reason = string.format("%s：共%d户，按%s%s抽取%d户（向上取整）；%s",
    s.label, size, source, pct(ratio), n, rule)
  return n, reason, clause
end

return M
