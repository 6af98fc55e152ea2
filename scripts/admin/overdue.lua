-- overdue.lua: deadlines that are overdue (red) or due soon (yellow) by rules.deadlines: result
-- publication 20 working days after a task ends (9.1), objection review and feedback (9.2).
-- usage: spotcheck run scripts/admin/overdue.lua [TODAY as YYYY-MM-DD] [--all]
-- --all also lists the deadlines that are still green.

local today = os.date("!%Y-%m-%d", os.time() + 8 * 3600)
local show_all = false
for _, a in ipairs(arg) do
  if a == "--all" then show_all = true
  elseif a:match("^%d%d%d%d%-%d%d%-%d%d$") then today = a
  else error("unknown argument " .. a .. " (expected YYYY-MM-DD or --all)", 0) end
end

local have = {}
for _, t in ipairs(db.tables()) do have[t] = true end
local function columns_of(name)
  local set = {}
  if have[name] then
    for _, c in ipairs(db.query("PRAGMA table_info(" .. name .. ")")) do set[c.name] = true end
  end
  return set
end

print("Overdue and due-soon deadlines as of " .. today)
print(string.rep("=", 46))
print("")

local levels = { red = 1, yellow = 2, green = 3 }
local labels = { red = "逾期", yellow = "临近", green = "正常" }
local rows = {}

-- 9.1: results of every dispatched task, due 20 working days after its end.
if have.tasks then
  local rc = columns_of("results")
  local tasks = db.query([[SELECT id, name, end_date, status FROM tasks
                           WHERE status = 'dispatched' AND end_date IS NOT NULL ORDER BY end_date, id]])
  for _, t in ipairs(tasks) do
    local units = have.task_units and db.query("SELECT count(*) AS n FROM task_units WHERE task_id = ?", t.id)[1].n or 0
    local published = 0
    if rc.task_id and rc.status then
      published = db.query("SELECT count(*) AS n FROM results WHERE task_id = ? AND status = 'published'", t.id)[1].n
    end
    if published < units or units == 0 then
      local due = rules.deadlines.publication_due(t.end_date)
      local level, reason = rules.deadlines.warning_level(due.date, today)
      if show_all or level ~= "green" then
        rows[#rows + 1] = { level = level, what = "结果公示 9.1", object = "task:" .. t.id .. " " .. t.name,
                            event = t.end_date, due = due.date,
                            open = string.format("%d/%d 未公示", units - published, units), reason = reason }
      end
    end
  end
end

-- 9.2: objections, if the table exists (received, decided, feedback columns as named by SPEC).
local oc = columns_of("objections")
if oc.received then
  for _, o in ipairs(db.query("SELECT * FROM objections ORDER BY id")) do
    local undecided = not (o.decided or o.decided_at or o.decision)
    if undecided then
      local due = rules.deadlines.objection_review_due(o.received)
      local level, reason = rules.deadlines.warning_level(due.date, today)
      if show_all or level ~= "green" then
        rows[#rows + 1] = { level = level, what = "异议复核 9.2", object = "objection:" .. o.id,
                            event = o.received, due = due.date, open = "未复核", reason = reason }
      end
    end
  end
end

table.sort(rows, function(a, b)
  if levels[a.level] ~= levels[b.level] then return levels[a.level] < levels[b.level] end
  return a.due < b.due
end)
for _, r in ipairs(rows) do r.level = labels[r.level] .. " " .. r.level end
report.table(rows, { { "level", "状态" }, { "what", "事项" }, { "object", "对象" }, { "event", "起算日" },
                     { "due", "期限" }, { "open", "未完成" }, { "reason", "理由" } },
             { title = "Deadlines (rules.deadlines)", max_width = 60 })
local red, yellow = 0, 0
for _, r in ipairs(rows) do
  if r.level:find("red") then red = red + 1 elseif r.level:find("yellow") then yellow = yellow + 1 end
end
print("")
print(string.format("%d overdue, %d due within %d working days.", red, yellow, rules.deadlines.warning_days))
if not have.tasks then print("(this database has no tasks table yet)") end
