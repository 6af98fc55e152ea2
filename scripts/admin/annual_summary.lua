-- annual_summary.lua: the year at a glance — units drawn per industry and stratum, the sampling
-- floor check (5.1.2: general industries at least 5%, as rules.sampling says) per plan and stratum,
-- and results by category (8.4).
-- usage: spotcheck run scripts/admin/annual_summary.lua [YEAR]
-- Reads only the tables this database has (tasks and results come with later schema versions).

local year = tonumber(arg[1]) or tonumber(os.date("!%Y", os.time() + 8 * 3600))

local have = {}
for _, t in ipairs(db.tables()) do have[t] = true end

local function columns_of(table_name)
  local set = {}
  if have[table_name] then
    for _, c in ipairs(db.query("PRAGMA table_info(" .. table_name .. ")")) do set[c.name] = true end
  end
  return set
end

print(string.format("Annual summary %d", year))
print(string.rep("=", 20))
print("")

-- Directory: active units per industry and stratum (what a 5% floor is measured against).
local units = directory.enterprises{ status = "active" }
local task_for_strata = { year = year, directed = false, mode = "untargeted" }
local population = {}        -- [industry][stratum] = n
local stratum_size = {}      -- [stratum] = n
for _, u in ipairs(units) do
  local s = rules.sampling.stratum(u, task_for_strata) or "(not in 3.2)"
  population[u.industry] = population[u.industry] or {}
  population[u.industry][s] = (population[u.industry][s] or 0) + 1
  stratum_size[s] = (stratum_size[s] or 0) + 1
end

-- Units drawn this year: dispatched units of the year's tasks (task_units), else nothing yet.
local drawn = {}             -- [industry][stratum] = n
local drawn_stratum = {}     -- [stratum] = n
local drawn_total = 0
if have.task_units and have.tasks then
  local rows = db.query([[
    SELECT e.industry AS industry, tu.stratum AS stratum, count(DISTINCT tu.enterprise_id) AS n
    FROM task_units tu JOIN tasks t ON t.id = tu.task_id JOIN enterprises e ON e.id = tu.enterprise_id
    WHERE t.year = ? GROUP BY e.industry, tu.stratum]], year)
  for _, r in ipairs(rows) do
    drawn[r.industry] = drawn[r.industry] or {}
    drawn[r.industry][r.stratum] = r.n
    drawn_stratum[r.stratum] = (drawn_stratum[r.stratum] or 0) + r.n
    drawn_total = drawn_total + r.n
  end
end

local strata = {}
for _, s in ipairs(rules.sampling.strata) do strata[#strata + 1] = s end

local rows = {}
for _, ind in ipairs(rules.categories.industries) do
  local p, d = population[ind.name] or {}, drawn[ind.name] or {}
  for _, s in ipairs(strata) do
    if (p[s.name] or 0) > 0 or (d[s.name] or 0) > 0 then
      local n, size = d[s.name] or 0, p[s.name] or 0
      rows[#rows + 1] = {
        industry = ind.name, category = rules.categories.category_labels[ind.category],
        stratum = s.label or s.name, units = size, drawn = n,
        ratio = size > 0 and string.format("%.1f%%", 100 * n / size) or "-",
      }
    end
  end
end
report.table(rows, { { "industry", "行业" }, { "category", "类别" }, { "stratum", "层" },
                     { "units", "在册单位" }, { "drawn", "本年已抽" }, { "ratio", "比例" } },
             { title = "Units drawn per industry and stratum (" .. year .. ")" })
print("")

-- Floor check per plan: each stratum's drawn share against rules.sampling.floor and the plan's ratio.
local plans = {}
if have.plans then
  plans = db.query("SELECT id, name, status, ratios FROM plans WHERE year = ? ORDER BY id", year)
end
if #plans == 0 then plans = { { id = "-", name = "(no plan recorded for " .. year .. ")" } } end
local check = {}
for _, plan in ipairs(plans) do
  for _, s in ipairs(strata) do
    local size, n = stratum_size[s.name] or 0, drawn_stratum[s.name] or 0
    local floor = rules.sampling.floor(s.name)
    local need = math.ceil(size * floor - 1e-9)
    local planned = plan.ratios and string.match(plan.ratios, '"' .. s.name .. '"%s*:%s*([0-9.]+)')
    check[#check + 1] = {
      plan = plan.name, stratum = s.label or s.name, units = size, drawn = n,
      floor = string.format("%g%%", floor * 100), plan_ratio = planned and string.format("%g%%", tonumber(planned) * 100) or "-",
      needed = need, status = (n >= need) and "OK" or ("below floor by " .. (need - n)),
    }
  end
end
report.table(check, { { "plan", "计划" }, { "stratum", "层" }, { "units", "在册" }, { "drawn", "已抽" },
                      { "floor", "下限" }, { "plan_ratio", "计划比例" }, { "needed", "至少" }, { "status", "结论" } },
             { title = "Sampling floor check per plan (5.1.2, 6.2)" })
print("")

-- Results by category (8.4): if the results table is there.
local rc = columns_of("results")
local by_code = {}
if rc.category then
  local where, params = "", {}
  if rc.task_id and have.tasks then
    where = " WHERE task_id IN (SELECT id FROM tasks WHERE year = ?)"
    params = { year }
  end
  for _, r in ipairs(db.query("SELECT category, count(*) AS n FROM results" .. where .. " GROUP BY category",
                              table.unpack(params))) do
    by_code[r.category or ""] = r.n
  end
end
local res = {}
for _, c in ipairs(rules.categories.result_categories) do
  res[#res + 1] = { code = c.code, label = c.label, n = by_code[c.code] or 0,
                    follow_up = c.follow_up and "需后续处理" or "" }
end
report.table(res, { { "code", "类别" }, { "label", "检查结果" }, { "n", "户数" }, { "follow_up", "后续" } },
             { title = "Results by category (8.4)" })
if not rc.category then print("(this database has no results table yet: counts are zero)") end
print("")
print(string.format("Total: %d active units in the directory, %d units drawn in %d.", #units, drawn_total, year))
