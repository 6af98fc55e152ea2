-- workload.lua: inspectors' workload — units, tasks and team-leader roles per inspector in a year,
-- from the drawn teams (task_teams), with the even-workload cap of rules.inspectors for comparison.
-- usage: spotcheck run scripts/admin/workload.lua [YEAR]

local year = tonumber(arg[1]) or tonumber(os.date("!%Y", os.time() + 8 * 3600))
local have = {}
for _, t in ipairs(db.tables()) do have[t] = true end

print(string.format("Inspector workload %d", year))
print(string.rep("=", 23))
print("")

local load = {}   -- cert_no -> { units, tasks = set, leader }
if have.task_teams and have.tasks then
  local rows = db.query([[
    SELECT tt.task_id AS task_id, j.value AS cert_no, tt.leader AS leader
    FROM task_teams tt JOIN tasks t ON t.id = tt.task_id, json_each(tt.inspectors) j
    WHERE t.year = ? AND json_valid(tt.inspectors)]], year)
  for _, r in ipairs(rows) do
    local l = load[r.cert_no] or { units = 0, tasks = {}, ntasks = 0, leader = 0 }
    load[r.cert_no] = l
    l.units = l.units + 1
    if not l.tasks[r.task_id] then l.tasks[r.task_id] = true; l.ntasks = l.ntasks + 1 end
    if r.leader == r.cert_no then l.leader = l.leader + 1 end
  end
end

local inspectors = directory.inspectors{}
local rows, total, busy = {}, 0, 0
for _, p in ipairs(inspectors) do
  local l = load[p.cert_no] or { units = 0, ntasks = 0, leader = 0 }
  total = total + l.units
  if l.units > 0 then busy = busy + 1 end
  rows[#rows + 1] = { cert_no = p.cert_no, name = p.name, unit = p.unit, level = p.level,
                      status = p.status, units = l.units, tasks = l.ntasks, leader = l.leader,
                      expert = p.is_expert and "专家" or "" }
end
table.sort(rows, function(a, b)
  if a.units ~= b.units then return a.units > b.units end
  return a.cert_no < b.cert_no
end)
report.table(rows, { { "cert_no", "执法证号" }, { "name", "姓名" }, { "unit", "所在单位" }, { "level", "层级" },
                     { "status", "状态" }, { "expert", "专家" }, { "units", "检查户数" }, { "tasks", "任务数" },
                     { "leader", "任组长" } },
             { title = "Units per inspector (" .. year .. ")" })
print("")

-- Per-level summary and the rule's even-workload cap for the year's units as one task.
local by_level = {}
for _, r in ipairs(rows) do
  local b = by_level[r.level] or { level = r.level, inspectors = 0, active = 0, units = 0, max = 0 }
  by_level[r.level] = b
  b.inspectors = b.inspectors + 1
  if r.status == "active" then b.active = b.active + 1 end
  b.units = b.units + r.units
  if r.units > b.max then b.max = r.units end
end
local summary = {}
for _, lv in ipairs({ "county", "township" }) do
  if by_level[lv] then summary[#summary + 1] = by_level[lv] end
end
report.table(summary, { { "level", "层级" }, { "inspectors", "人数" }, { "active", "在职" },
                        { "units", "检查户次" }, { "max", "最多" } }, { title = "By level" })
print("")
local team_units = 0
if have.task_teams and have.tasks then
  team_units = db.query("SELECT count(*) AS n FROM task_teams tt JOIN tasks t ON t.id = tt.task_id WHERE t.year = ?", year)[1].n
end
local active = 0
for _, p in ipairs(inspectors) do if p.status == "active" then active = active + 1 end end
if team_units > 0 and active > 0 then
  local cap, reason = rules.inspectors.workload_cap({}, team_units, active)
  print(string.format("Even-workload cap for %d units over %d active inspectors: %d (%s)", team_units, active, cap, reason))
end
print(string.format("%d inspectors, %d with assignments, %d unit assignments in %d.", #inspectors, busy, total, year))
if not have.task_teams then print("(this database has no task_teams table yet)") end
