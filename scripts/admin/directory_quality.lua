-- directory_quality.lua: data quality of the two directories (3.3, 3.4): missing fields, industries
-- outside 3.2, expired or missing enforcement certificates, expertise tags that name no industry,
-- invalid codes.
-- usage: spotcheck run scripts/admin/directory_quality.lua [TODAY as YYYY-MM-DD] [--limit N]

local today = os.date("!%Y-%m-%d", os.time() + 8 * 3600)
local limit = 50
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "--limit" then limit = tonumber(arg[i + 1]) or error("--limit needs a number", 0); i = i + 1
  elseif a:match("^%d%d%d%d%-%d%d%-%d%d$") then today = a
  else error("unknown argument " .. a, 0) end
  i = i + 1
end

print("Directory quality as of " .. today)
print(string.rep("=", 34))
print("")

local function valid_code(list, code)
  for _, e in ipairs(list) do if e.code == code then return true end end
  return false
end
local industries = rules.categories.canonical_of

-- Enterprises -----------------------------------------------------------------------------------
local units = directory.enterprises{}
local wanted = { { "unit_type", "单位类型" }, { "legal_rep", "法定代表人" }, { "address", "住所" },
                 { "business_scope", "经营范围" }, { "supervision_type", "监管类型" }, { "region", "行政区划" } }
local problems, counts = {}, {}
local function add(kind, row)
  counts[kind] = (counts[kind] or 0) + 1
  if #problems < limit then row.problem = kind; problems[#problems + 1] = row end
end
for _, u in ipairs(units) do
  local missing = {}
  for _, f in ipairs(wanted) do
    if u[f[1]] == nil or u[f[1]] == "" then missing[#missing + 1] = f[2] end
  end
  if #missing > 0 then add("缺少字段", { uscc = u.uscc, name = u.name, detail = table.concat(missing, "、") }) end
  if industries[u.industry] == nil then
    add("行业不在3.2所列范围", { uscc = u.uscc, name = u.name, detail = tostring(u.industry) })
  end
  if not valid_code(rules.categories.risk_levels, u.risk_level) then
    add("风险等级无效", { uscc = u.uscc, name = u.name, detail = tostring(u.risk_level) })
  end
  if not valid_code(rules.categories.credit_levels, u.credit_level) then
    add("信用等级无效", { uscc = u.uscc, name = u.name, detail = tostring(u.credit_level) })
  end
  if not valid_code(rules.categories.unit_statuses, u.status) then
    add("状态无效", { uscc = u.uscc, name = u.name, detail = tostring(u.status) })
  end
  if type(u.uscc) ~= "string" or not u.uscc:match("^[0-9A-HJ-NPQRTUWXY]+$") or #u.uscc ~= 18 then
    add("统一社会信用代码格式错误", { uscc = tostring(u.uscc), name = u.name, detail = "" })
  end
end
local summary = {}
for kind, n in pairs(counts) do summary[#summary + 1] = { kind = kind, n = n } end
table.sort(summary, function(a, b) return a.n > b.n end)
report.table(summary, { { "kind", "问题" }, { "n", "户数" } },
             { title = string.format("Enterprise directory: %d units checked", #units) })
print("")
report.table(problems, { { "problem", "问题" }, { "uscc", "统一社会信用代码" }, { "name", "单位名称" },
                         { "detail", "说明" } },
             { title = string.format("Enterprise problems (first %d)", limit) })
print("")

-- Inspectors ------------------------------------------------------------------------------------
local people = directory.inspectors{}
local soon = rules.calendar.add_days(today, 90)
problems, counts = {}, {}
for _, p in ipairs(people) do
  local active = p.status == "active"
  if active and (p.cert_valid_until == nil or p.cert_valid_until == "") then
    add("执法证有效期缺失", { cert_no = p.cert_no, name = p.name, detail = "" })
  elseif active and p.cert_valid_until < today then
    add("执法证已过期", { cert_no = p.cert_no, name = p.name, detail = p.cert_valid_until })
  elseif active and p.cert_valid_until <= soon then
    add("执法证90日内到期", { cert_no = p.cert_no, name = p.name, detail = p.cert_valid_until })
  end
  if p.phone == nil or p.phone == "" then add("缺少联系方式", { cert_no = p.cert_no, name = p.name, detail = "" }) end
  if p.unit == nil or p.unit == "" then add("缺少所在单位", { cert_no = p.cert_no, name = p.name, detail = "" }) end
  if #p.expertise == 0 then add("未登记业务专长", { cert_no = p.cert_no, name = p.name, detail = "" }) end
  local bad = {}
  for _, tag in ipairs(p.expertise) do
    if industries[tag] == nil then bad[#bad + 1] = tag end
  end
  if #bad > 0 then add("业务专长不是3.2行业", { cert_no = p.cert_no, name = p.name, detail = table.concat(bad, "、") }) end
  if p.level ~= "county" and p.level ~= "township" then
    add("层级无效", { cert_no = p.cert_no, name = p.name, detail = tostring(p.level) })
  end
end
summary = {}
for kind, n in pairs(counts) do summary[#summary + 1] = { kind = kind, n = n } end
table.sort(summary, function(a, b) return a.n > b.n end)
report.table(summary, { { "kind", "问题" }, { "n", "人数" } },
             { title = string.format("Inspector directory: %d inspectors checked", #people) })
print("")
report.table(problems, { { "problem", "问题" }, { "cert_no", "执法证号" }, { "name", "姓名" }, { "detail", "说明" } },
             { title = string.format("Inspector problems (first %d)", limit) })
