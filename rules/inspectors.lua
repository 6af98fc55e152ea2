-- inspectors.lua：谁可以参加检查，以及检查组如何组成（第7.3条；名录库 3.4/5.2.2）。
-- 调用时使用 rules.categories（行业名称和别名）。
--
-- 检查组抽取（SPEC §4）：对每个抽中单位，核心程序调用 slots(unit, task)；对每个抽取位，用
-- eligible(...).ok 为真、conflict(...).conflict 为假、尚未在组内、且 in_pool(slot, ...) 为真的
-- 检查人员组成候选池；候选池人数少于该抽取位所需人数时调用 fallback(...)（由执行单位直接委派，记录在案）；
-- 抽取后调用 leader(team, unit, task) 确定组长。
--
-- 检查组人数只计持证执法检查人员（>= 2，7.3）。设置了 task.require_expert 时，另外抽取一名
-- 专家（名录库中标记 is_expert 的人员），不计入上述人数。
-- 此处读取的任务字段：start_date、end_date、team_size（可选，更大的检查组）、
-- required_level（"county" | "township"，可选）、require_expert（bool，可选）、
-- workload_cap（可选，固定的工作量上限）。

local M = {}

M.min_team_size = 2     -- 7.3：每个检查对象至少 2 名检查人员
M.workload_slack = 1    -- 上限 = ceil(单位数 × 组人数 / 检查人员数) + slack

-- 7.3：已抽中的检查人员可以更换的理由（仅限这些）。
-- 7.3“因工作岗位调整、工作冲突、身体健康等原因无法参加检查的……经执行单位批准后更换”：代码
-- `conflict` 指工作冲突（如同一时间另有任务），不是利益冲突——利益冲突属于回避
-- （POST /api/conflicts，rules.inspectors.conflict）。
M.replacement_reasons = {
  job_change = "工作岗位调整",
  conflict = "工作冲突",
  health = "身体健康原因",
}
-- 7.3 列举理由时用了“等”：三项以外的理由只能作为“other”（其他原因）提出，由申请人说明，
-- 执行单位负责人批准时须写明自己的理由。
M.other_reason = { code = "other", label = "其他原因（须由执行单位负责人书面说明批准理由）" }

M.level_labels = { county = "县级", township = "乡镇级" }

-- 检查组抽取的声明输入（issue 19：与冻结一样，同一次抽取中记住已得到的答案）。
-- 这些函数都是纯函数；slots、in_pool 和 leader 只看到这里列出的单位字段，核心程序把 in_pool 的
-- 上下文作为两个标志 { on_last_team, at_cap } 传入（该人员上次在该单位的检查组中；在本任务中已
-- 达到工作量上限）。conflict(inspector, unit) 只对 conflict_keys(inspector) 指向的组合（列出了
-- 单位名称或信用代码）或已登记回避所指的组合（unit.conflicts）调用。
M.slot_unit_fields = { "industry" }
M.pool_unit_fields = { "industry" }
M.leader_unit_fields = { "industry" }

local FROZEN_MT = {
  __newindex = function() error("inspectors: decision tables are shared and read-only", 2) end,
  __metatable = "frozen",
}
local function decision(ok, reason, clause, extra)
  local t = { ok = ok, reason = reason, clause = clause }
  if extra then for k, v in pairs(extra) do t[k] = v end end
  return setmetatable(t, FROZEN_MT)
end

local OK = decision(true, "在职且持有在任务期间有效的执法证，可参与随机抽取", "7.3")
local INACTIVE = decision(false, "检查人员不在职（离岗），不参与抽取", "3.4")
local NO_CERT = decision(false, "未持有行政执法证，不得参与执法检查", "7.3")
local NO_EXPIRY = decision(false, "执法证有效期未录入，无法确认证件有效", "7.3")
local NO_CONFLICT = decision(true, "未发现利益冲突", "7.3", { conflict = false })

-- eligible(inspector, task) -> { ok, reason, clause }
function M.eligible(inspector, task)
  if inspector.status ~= "active" then return INACTIVE end
  local cert = inspector.cert_no
  if cert == nil or cert == "" then return NO_CERT end
  local valid = inspector.cert_valid_until
  if type(valid) ~= "string" or #valid ~= 10 then return NO_EXPIRY end
  local last_day = task.end_date or task.start_date
  if last_day and valid < last_day then
    return decision(false, string.format("执法证有效期至%s，早于任务结束日期%s，不得参与本次任务",
      valid, last_day), "7.3")
  end
  local level = task.required_level
  if level and inspector.level ~= level then
    return decision(false, string.format("本次任务要求%s检查人员，该人员为%s", M.level_labels[level] or level,
      M.level_labels[inspector.level] or tostring(inspector.level)), "3.4")
  end
  return OK
end

-- team_size(unit, task) -> n, reason, clause
function M.team_size(unit, task)
  local min = M.min_team_size
  local want = task and task.team_size
  if type(want) == "number" and want > min then
    want = math.tointeger(math.ceil(want))
    return want, string.format("按任务要求每户派%d名检查人员（不少于%d名）", want, min), "7.3"
  end
  return min, string.format("每个检查对象至少派%d名执法检查人员", min), "7.3"
end

-- SPEC §10、8.2（部门联合，进一次门、查多项事）：任务中事项适用于该单位的联合部门。
-- task.orgs = { { id, name, lead, items, items_any_industry, industries }, … }（核心程序按机构统计的
-- 任务事项数）。某机构有一项事项适用于所有行业、或列明了该单位的行业时，该机构适用。
local function joint_orgs(unit, task)
  local out = {}
  for _, o in ipairs(task and task.orgs or {}) do
    if not o.lead and (o.items or 0) > 0 then
      local applies = (o.items_any_industry or 0) > 0
      for _, ind in ipairs(o.industries or {}) do
        if ind == unit.industry then applies = true end
      end
      if applies then out[#out + 1] = o end
    end
  end
  return out
end
M.joint_orgs = joint_orgs

-- slots(unit, task) -> 有序的 { name, count, label, required? } 列表
-- 联合任务对每个事项适用于该单位的联合部门增加一个抽取位（"org:<id>"，该部门一名检查人员，
-- required：不得由他人代替）；其余抽取位属于牵头单位。
function M.slots(unit, task)
  local n = M.team_size(unit, task)
  local list = {
    { name = "expertise", count = 1, label = "业务专长与企业行业（" .. tostring(unit.industry) .. "）相符的检查人员" },
    { name = "general", count = n - 1, label = "其他持证检查人员" },
  }
  if task and task.require_expert then
    -- 7.3“必要时可以邀请专家参加”：任务要求专家时，专家必须抽到（required），没有可抽取的专家则
    -- 不抽取检查组，由工作人员先在名录库中登记专家，而不是留一个空位。
    list[#list + 1] = { name = "expert", count = 1, label = "专家库专家", required = true }
  end
  local joint = joint_orgs(unit, task)
  if #joint > 0 then
    local lead
    for _, o in ipairs(task.orgs) do if o.lead then lead = o end end
    for _, s in ipairs(list) do
      if s.name ~= "expert" then s.label = tostring(lead and lead.name or "牵头单位") .. "：" .. s.label end
    end
    for _, o in ipairs(joint) do
      list[#list + 1] = { name = "org:" .. tostring(math.tointeger(o.id)), count = 1, required = true,
                          label = tostring(o.name) .. "检查人员（联合检查，检查本部门事项）" }
    end
  end
  return list
end

local function contains(list, value)
  if type(list) ~= "table" then return false end
  for _, v in ipairs(list) do
    if v == value then return true end
  end
  return false
end

-- has_expertise(inspector, industry) -> bool（行业名称与其别名视为同一）。
function M.has_expertise(inspector, industry)
  local tags = inspector.expertise
  if type(tags) ~= "table" then return false end
  local canon = rules.categories.canonical_of
  local want = canon[industry] or industry
  for _, tag in ipairs(tags) do
    if tag == industry or (canon[tag] or tag) == want then return true end
  end
  return false
end

-- in_pool(slot_name, inspector, unit, task, context) -> bool
-- context = { last_team = { cert_no, … }（上次该单位的检查组：轮换），
--             load = 本任务已分配给该人员的单位数, cap = 工作量上限 }
function M.in_pool(slot_name, inspector, unit, task, context)
  if context then
    if context.on_last_team or context.at_cap then return false end
    if context.last_team and contains(context.last_team, inspector.cert_no) then return false end
    if context.cap and (context.load or 0) >= context.cap then return false end
  end
  local org = type(slot_name) == "string" and slot_name:match("^org:(%d+)$")
  if org then return inspector.org_id == tonumber(org) end
  -- 联合任务中（该单位有联合部门的抽取位时），其余抽取位属于牵头单位
  if slot_name ~= "expert" and task and task.lead_org_id and #joint_orgs(unit, task) > 0
     and inspector.org_id ~= task.lead_org_id then
    return false
  end
  if slot_name == "expertise" then
    return M.has_expertise(inspector, unit.industry)
  elseif slot_name == "expert" then
    return inspector.is_expert == true
  elseif slot_name == "general" then
    return true
  end
  error("未知抽取位：" .. tostring(slot_name), 2)
end

-- workload_cap(task, n_units, n_inspectors) -> n, reason, clause
function M.workload_cap(task, n_units, n_inspectors)
  if task and type(task.workload_cap) == "number" and task.workload_cap >= 1 then
    local cap = math.tointeger(math.floor(task.workload_cap))
    return cap, string.format("按任务设定，每名检查人员本次任务最多承担%d户", cap), "7.3"
  end
  local size = M.team_size(nil, task)
  if (n_inspectors or 0) <= 0 then
    return n_units or 0, "无可用检查人员，无法均衡分配工作量", "7.3"
  end
  local cap = math.tointeger((n_units * size + n_inspectors - 1) // n_inspectors + M.workload_slack)
  return cap, string.format("%d户×每户%d人÷%d名检查人员，向上取整后加%d，每人本次任务最多承担%d户",
    n_units, size, n_inspectors, M.workload_slack, cap), "7.3"
end

-- conflict_keys(inspector) -> { names = { 单位名称, … }, usccs = { 信用代码, … } }：与该人员有关的
-- 单位；除已登记的回避外，只对这些单位调用 conflict。
function M.conflict_keys(inspector)
  local names, usccs = {}, {}
  if type(inspector.unit) == "string" and inspector.unit ~= "" then names[1] = inspector.unit end
  if type(inspector.conflicts) == "table" then
    for _, u in ipairs(inspector.conflicts) do usccs[#usccs + 1] = u end
  end
  return { names = names, usccs = usccs }
end

-- conflict(inspector, unit) -> { ok, conflict, reason, clause }
-- ok = true / conflict = false：可以检查该单位。ok = false / conflict = true：必须回避。
-- 检查：该人员在该单位工作（inspector.unit == unit.name）；单位上登记的回避
-- （unit.conflicts = { cert_no, … }）；或人员自己申报的回避（inspector.conflicts = { uscc, … }）。
function M.conflict(inspector, unit)
  if inspector.unit and unit.name and inspector.unit == unit.name then
    return decision(false, "检查人员所在单位即被检查企业，应当回避", "7.3", { conflict = true })
  end
  if contains(unit.conflicts, inspector.cert_no) then
    return decision(false, "已登记该检查人员与被检查企业存在利益冲突，应当回避", "7.3", { conflict = true })
  end
  if contains(inspector.conflicts, unit.uscc) then
    return decision(false, "检查人员已申报与被检查企业存在利益关系，应当回避", "7.3", { conflict = true })
  end
  return NO_CONFLICT
end

-- leader(team, unit, task) -> cert_no, reason, clause
-- team：按抽取顺序的人员记录。优先：业务专长与单位行业相符，其次县级，其次不是另加的专家
-- （此处不知道 is_expert 的人员是否在执法抽取位中，所以专家排在最后）；相同时保持抽取顺序。
-- 结果确定。联合任务的组长由牵头单位人员担任（8.2“由牵头单位检查人员任组长”）。
function M.leader(team, unit, task)
  local best, best_score, best_i
  local lead_only = task and task.lead_org_id and unit and #joint_orgs(unit, task) > 0
  for i, insp in ipairs(team) do
    if type(insp) == "string" then insp = { cert_no = insp } end
    local score = 0
    if lead_only and insp.org_id == task.lead_org_id then score = score + 8 end
    if unit and M.has_expertise(insp, unit.industry) then score = score + 4 end
    if insp.level == "county" then score = score + 2 end
    if not insp.is_expert then score = score + 1 end
    if best_score == nil or score > best_score then
      best, best_score, best_i = insp, score, i
    end
  end
  if not best then error("检查组为空，无法确定组长", 2) end
  local why = {}
  if lead_only and best_score >= 8 then why[#why + 1] = "牵头单位检查人员"; best_score = best_score - 8 end
  if best_score >= 4 then why[#why + 1] = "业务专长与企业行业相符" end
  if best_score % 4 >= 2 then why[#why + 1] = "县级执法人员" end
  local reason = string.format("%s（执法证号%s）任组长：%s同等条件下按抽取顺序（第%d位）确定",
    tostring(best.name or best.cert_no), tostring(best.cert_no),
    #why > 0 and ("优先考虑" .. table.concat(why, "、") .. "，") or "", best_i)
  return best.cert_no, reason, "7.3"
end

-- fallback(slot_name, pool_size, needed) -> { method = "random" | "appointed", reason, clause }
function M.fallback(slot_name, pool_size, needed)
  if pool_size >= needed then
    return { method = "random", reason = string.format("可抽取人员%d名，随机抽取%d名", pool_size, needed),
             clause = "7.3" }
  end
  local what = slot_name == "expert" and "专家" or "检查人员"
  return { method = "appointed",
           reason = string.format("符合条件的%s仅%d名，少于所需%d名，由执行单位负责人直接委派并记录在案",
             what, pool_size, needed),
           clause = "7.3" }
end

-- 7.3“……不足的，由执行单位直接委派”：委派是执行单位的决定，不由程序代选。抽取时候选池不足
-- 的名额留空（待委派），由该单位执行机构的负责人指名委派，记录委派人和被委派人；名额补足前
-- 不能录入或公示检查结果。核心程序只让锁定时承诺的人员池中、本单位无须回避、不在本组的人员
-- 成为候选，再由 appointable 决定。此处采用的理解：委派不受轮换和工作量上限的限制（池不足正是
-- 因为这些限制），但专家名额只能委派专家，联合部门的名额只能委派该部门的人员；业务专长名额可以
-- 委派没有该专长的人员，并在理由中写明。
-- appointable(slot_name, inspector, unit, task) -> { ok, reason, clause }
function M.appointable(slot_name, inspector, unit, task)
  local org = type(slot_name) == "string" and slot_name:match("^org:(%d+)$")
  if org then
    if inspector.org_id ~= tonumber(org) then
      return { ok = false, reason = "联合检查部门的名额只能委派该部门的检查人员", clause = "7.3" }
    end
    return { ok = true, reason = "委派联合检查部门的检查人员", clause = "7.3" }
  end
  if slot_name == "expert" then
    if inspector.is_expert ~= true then
      return { ok = false, reason = "专家名额只能委派名录库中的专家", clause = "7.3" }
    end
    return { ok = true, reason = "委派名录库中的专家", clause = "7.3" }
  end
  if slot_name == "expertise" then
    if unit and M.has_expertise(inspector, unit.industry) then
      return { ok = true, reason = "委派业务专长与企业行业相符的检查人员", clause = "7.3" }
    end
    return { ok = true, reason = "名录中没有可抽取的相符业务专长人员，委派其他持证检查人员", clause = "7.3" }
  end
  return { ok = true, reason = "委派持证检查人员", clause = "7.3" }
end

-- replacement(code) -> { ok, reason, clause, head_reason_required? }：已抽中的检查人员能否更换。
-- 该单位的结果一经签名或公示即不能更换（由核心程序检查）。
function M.replacement(code)
  local label = M.replacement_reasons[code]
  if label then
    return { ok = true, clause = "7.3",
             reason = "因" .. label .. "可更换检查人员，须经执行单位批准，从其他持证人员中重新抽取" }
  end
  if code == M.other_reason.code then
    return { ok = true, clause = "7.3", head_reason_required = true,
             reason = "因其他原因更换检查人员，须由执行单位负责人书面说明理由后批准，从其他持证人员中重新抽取" }
  end
  return { ok = false, clause = "7.3",
           reason = "已抽取的检查人员仅因工作岗位调整、工作冲突、身体健康等原因方可更换，其他原因须选“其他原因”并由执行单位负责人书面批准（利益冲突应申请回避）" }
end

-- 返回的决定是上面共享常量的新副本，调用方改动返回的决定不会影响之后的决定。
local function fresh(d)
  local t = {}
  for k, v in pairs(d) do t[k] = v end
  return t
end
for _, name in ipairs({ "eligible", "conflict" }) do
  local f = M[name]
  M[name] = function(...) return fresh(f(...)) end
end

-- 7.2 任务执行单位（SPEC §10）：负责检查某一抽中单位的机构，锁定时确定。
-- unit = { uscc, name, region, industry }；task = { lead_org_id, joint, required_level, … }；
-- orgs = { { id, name, kind, level }, … }（有效机构）。返回 { org_id, reason, clause }。
-- 此处采用的理解：7.2“抽查任务……由执行单位组织实施”把选择留给本局。检查组为乡镇级的任务
-- （required_level = "township"）由单位所在地实施（属地管理）：名称以单位行政区划开头的乡镇
-- 应急管理办公室；其他任务、以及联合任务（所有部门一次进门，8.2“由牵头单位检查人员任组长”），
-- 由牵头单位实施。
function M.executing_org(unit, task, orgs)
  local lead
  for _, o in ipairs(orgs) do
    if o.id == task.lead_org_id then lead = o end
  end
  if task.required_level == "township" and not task.joint and type(unit.region) == "string" and unit.region ~= "" then
    for _, o in ipairs(orgs) do
      if o.kind == "township" and o.name:sub(1, #unit.region) == unit.region then
        return { o.id, string.format("乡镇级检查，按属地（行政区划：%s）由%s执行", unit.region, o.name), "7.2" }
      end
    end
  end
  return { task.lead_org_id, string.format("由牵头单位%s执行", lead and lead.name or ""), "7.2" }
end

return M
