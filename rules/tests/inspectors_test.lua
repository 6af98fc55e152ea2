-- Rule tests for inspectors.lua (clause 7.3; directory 3.4).
local I = rules.inspectors

local function insp(over)
  local i = { cert_no = "37030001", name = "张三", gender = "男", unit = "高青县应急管理局",
              title = "科长", cert_valid_until = "2027-12-31", expertise = { "危险化学品" },
              level = "county", is_expert = false, status = "active" }
  for k, v in pairs(over or {}) do i[k] = v end
  return i
end
local UNIT = { uscc = "91370322MA3C000001", name = "高青某化工有限公司", industry = "危险化学品",
               risk_level = "red" }
local TASK = { year = 2026, start_date = "2026-06-01", end_date = "2026-06-30" }

return {
  { "a caller modifying a returned decision changes no later decision", function()
    local a = I.eligible(insp(), TASK)
    a.ok = false
    eq(I.eligible(insp(), TASK).ok, true)
    local b = I.eligible(insp({ status = "inactive" }), TASK)
    b.ok = true
    eq(I.eligible(insp({ status = "inactive" }), TASK).ok, false)
    local c = I.conflict(insp(), UNIT)
    c.conflict = true
    eq(I.conflict(insp(), UNIT).conflict, false)
  end },

  { "7.3 team minimum pinned: 2 inspectors (one with the unit's expertise, one general)", function()
    eq(I.min_team_size, 2)
    local n, reason, clause = I.team_size(UNIT, TASK)
    eq(n, 2); eq(clause, "7.3")
    eq(I.team_size(UNIT, { start_date = "2026-06-01", end_date = "2026-06-30", team_size = 1 }), 2)
    eq(I.team_size(UNIT, { start_date = "2026-06-01", end_date = "2026-06-30", team_size = 3 }), 3)
    local s = I.slots(UNIT, TASK)
    eq({ #s, s[1].name, s[1].count, s[2].name, s[2].count }, { 2, "expertise", 1, "general", 1 })
    assert(reason:find("2", 1, true), reason)
  end },

  { "active inspector with a valid certificate is eligible", function()
    local r = I.eligible(insp(), TASK)
    eq(r.ok, true); eq(r.clause, "7.3")
    eq(I.eligible(insp({ cert_valid_until = "2026-06-30" }), TASK).ok, true)   -- valid through the end
  end },

  { "expired certificate (before the task ends) is refused", function()
    local r = I.eligible(insp({ cert_valid_until = "2026-06-15" }), TASK)
    eq(r.ok, false); eq(r.clause, "7.3")
    assert(r.reason:find("2026-06-15", 1, true) and r.reason:find("2026-06-30", 1, true), r.reason)
    eq(I.eligible(insp({ cert_valid_until = "2025-12-31" }), TASK).ok, false)
  end },

  { "no certificate, no expiry date, inactive: refused", function()
    eq(I.eligible(insp({ cert_no = "" }), TASK).ok, false)
    eq(I.eligible(insp({ cert_valid_until = false }), TASK).ok, false)
    local r = I.eligible(insp({ status = "inactive" }), TASK)
    eq(r.ok, false); eq(r.clause, "3.4")
  end },

  { "required level", function()
    local t = { start_date = "2026-06-01", end_date = "2026-06-30", required_level = "township" }
    eq(I.eligible(insp({ level = "county" }), t).ok, false)
    eq(I.eligible(insp({ level = "township" }), t).ok, true)
  end },

  { "team size is at least the 7.3 minimum, which is at least 2", function()
    assert(I.min_team_size >= 2)
    local n, reason, clause = I.team_size(UNIT, TASK)
    eq(n, I.min_team_size); eq(clause, "7.3"); assert(reason:find(tostring(n), 1, true))
    eq(I.team_size(UNIT, { team_size = 1 }), I.min_team_size)
    eq(I.team_size(UNIT, { team_size = I.min_team_size + 2 }), I.min_team_size + 2)
  end },

  { "slots: one expertise, the rest general; expert added on request", function()
    local n = I.team_size(UNIT, TASK)
    local s = I.slots(UNIT, TASK)
    eq(#s, 2)
    eq({ s[1].name, s[1].count, s[2].name, s[2].count }, { "expertise", 1, "general", n - 1 })
    local t = { start_date = "2026-06-01", end_date = "2026-06-30", require_expert = true }
    local s2 = I.slots(UNIT, t)
    eq(#s2, 3); eq(s2[3].name, "expert"); eq(s2[3].count, 1); eq(s2[3].required, true)
    local total = 0
    for _, slot in ipairs(s2) do total = total + slot.count; assert(#slot.label > 0) end
    eq(total, n + 1)
  end },

  { "expertise slot requires the unit's industry in the inspector's expertise", function()
    eq(I.in_pool("expertise", insp(), UNIT, TASK, {}), true)
    eq(I.in_pool("expertise", insp({ expertise = { "机械", "商贸" } }), UNIT, TASK, {}), false)
    eq(I.in_pool("expertise", insp({ expertise = {} }), UNIT, TASK, {}), false)
    -- 3.2 spelling of the same industry matches
    local chem = { name = "某石化", industry = "化工" }
    eq(I.in_pool("expertise", insp({ expertise = { "化工(含石油化工)" } }), chem, TASK, {}), true)
    eq(I.in_pool("general", insp({ expertise = { "机械" } }), UNIT, TASK, {}), true)
  end },

  { "expert slot takes experts only", function()
    eq(I.in_pool("expert", insp({ is_expert = true }), UNIT, TASK, {}), true)
    eq(I.in_pool("expert", insp(), UNIT, TASK, {}), false)
  end },

  { "rotation: not the same inspector as on the last team at this unit", function()
    local ctx = { last_team = { "37030009", "37030001" }, load = 0, cap = 10 }
    eq(I.in_pool("general", insp(), UNIT, TASK, ctx), false)
    eq(I.in_pool("expertise", insp(), UNIT, TASK, ctx), false)
    eq(I.in_pool("general", insp({ cert_no = "37030002" }), UNIT, TASK, ctx), true)
  end },

  { "workload cap: even share plus slack, and the pool respects it", function()
    local size = I.team_size(nil, TASK)
    local cap, reason, clause = I.workload_cap(TASK, 100, 30)
    eq(cap, (100 * size + 29) // 30 + I.workload_slack); eq(clause, "7.3")
    assert(reason:find(tostring(cap), 1, true))
    assert(cap * 30 >= 100 * size, "the cap must leave enough capacity for every team")
    eq(I.in_pool("general", insp(), UNIT, TASK, { load = cap, cap = cap }), false)
    eq(I.in_pool("general", insp(), UNIT, TASK, { load = cap - 1, cap = cap }), true)
    eq(I.workload_cap({ workload_cap = 4 }, 100, 30), 4)
  end },

  { "conflict of interest: recusal", function()
    local r = I.conflict(insp({ unit = UNIT.name }), UNIT)
    eq(r.ok, false); eq(r.conflict, true); eq(r.clause, "7.3"); assert(r.reason:find("回避", 1, true))
    local u2 = { uscc = "X", name = "某厂", industry = "机械", conflicts = { "37030001" } }
    eq(I.conflict(insp(), u2).conflict, true)
    eq(I.conflict(insp({ conflicts = { "X" } }), u2).ok, false)
    local ok = I.conflict(insp(), UNIT)
    eq(ok.ok, true); eq(ok.conflict, false)
  end },

  { "leader: expertise match first, then county level, then draw order; deterministic", function()
    local a = insp({ cert_no = "A", level = "township", expertise = { "机械" } })
    local b = insp({ cert_no = "B", level = "township", expertise = { "危险化学品" } })
    local c = insp({ cert_no = "C", level = "county", expertise = { "危险化学品" } })
    local cert, reason, clause = I.leader({ a, b }, UNIT, TASK)
    eq(cert, "B"); eq(clause, "7.3"); assert(reason:find("B", 1, true))
    eq(I.leader({ a, b, c }, UNIT, TASK), "C")
    eq(I.leader({ c, b, a }, UNIT, TASK), "C")
    local d = insp({ cert_no = "D", level = "county", expertise = {} })
    local e = insp({ cert_no = "E", level = "county", expertise = {} })
    eq(I.leader({ d, e }, UNIT, TASK), "D")
    eq(I.leader({ e, d }, UNIT, TASK), "E")
  end },

  { "fallback: direct appointment when the pool is too small (recorded)", function()
    local f = I.fallback("expertise", 0, 1)
    eq(f.method, "appointed"); eq(f.clause, "7.3")
    eq(f.reason, "符合条件的检查人员仅0名，少于所需1名，由执行单位负责人直接委派并记录在案")
    eq(I.fallback("expert", 0, 1).reason, "符合条件的专家仅0名，少于所需1名，由执行单位负责人直接委派并记录在案")
    eq(I.fallback("general", 1, 2).method, "appointed")
    eq(I.fallback("general", 5, 2).method, "random")
  end },

  { "appointable: who the executing unit's head may appoint to an open position (7.3)", function()
    local plain = insp({ cert_no = "P", org_id = 1, expertise = { "机械" } })
    local chem = insp({ cert_no = "C", org_id = 1, expertise = { "危险化学品" } })
    local expert = insp({ cert_no = "X", org_id = 2, is_expert = true })
    local unit = { industry = "危险化学品" }
    eq(I.appointable("general", plain, unit, TASK), { ok = true, reason = "委派持证检查人员", clause = "7.3" })
    eq(I.appointable("expertise", chem, unit, TASK),
       { ok = true, reason = "委派业务专长与企业行业相符的检查人员", clause = "7.3" })
    eq(I.appointable("expertise", plain, unit, TASK),
       { ok = true, reason = "名录中没有可抽取的相符业务专长人员，委派其他持证检查人员", clause = "7.3" })
    eq(I.appointable("expert", plain, unit, TASK),
       { ok = false, reason = "专家名额只能委派名录库中的专家", clause = "7.3" })
    eq(I.appointable("expert", expert, unit, TASK).ok, true)
    eq(I.appointable("org:2", plain, unit, TASK),
       { ok = false, reason = "联合检查部门的名额只能委派该部门的检查人员", clause = "7.3" })
    eq(I.appointable("org:2", expert, unit, TASK).ok, true)
  end },

  { "replacement only for job change, conflict, health", function()
    local R = I.replacement_reasons
    eq({ R.job_change, R.conflict, R.health }, { "工作岗位调整", "工作冲突", "身体健康原因" })
    eq(I.replacement("job_change").ok, true)
    eq(I.replacement("conflict").ok, true)
    eq(I.replacement("health").ok, true)
    eq(I.replacement("vacation").ok, false)
    eq(I.replacement("vacation").reason, "已抽取的检查人员仅因工作岗位调整、工作冲突、身体健康等原因方可更换，其他原因须选“其他原因”并由执行单位负责人书面批准（利益冲突应申请回避）")
    eq(I.replacement("job_change").head_reason_required, nil)
  end },

  { "7.3 \"等原因\": other reasons only as 'other', approved with the head's written reason", function()
    eq(I.other_reason, { code = "other", label = "其他原因（须由执行单位负责人书面说明批准理由）" })
    local r = I.replacement("other")
    eq(r.ok, true); eq(r.head_reason_required, true); eq(r.clause, "7.3")
    eq(r.reason, "因其他原因更换检查人员，须由执行单位负责人书面说明理由后批准，从其他持证人员中重新抽取")
  end },

  { "joint task (SPEC §10): one required slot per joint org whose items apply; the other slots and the leader are the lead org's", function()
    local task = { year = 2026, start_date = "2026-06-01", end_date = "2026-06-30", lead_org_id = 1, orgs = {
      { id = 1, name = "高青县应急管理局", lead = true, items = 1, items_any_industry = 1, industries = {} },
      { id = 2, name = "高青县市场监督管理局", lead = false, items = 1, items_any_industry = 0, industries = { "危险化学品" } },
      { id = 3, name = "淄博市生态环境局高青分局", lead = false, items = 1, items_any_industry = 0, industries = { "烟花爆竹" } },
      { id = 4, name = "高青县交通运输局", lead = false, items = 0, items_any_industry = 0, industries = {} },
    } }
    local s = I.slots(UNIT, task)
    eq(#s, 3)
    eq(s[1].name, "expertise"); eq(s[1].label, "高青县应急管理局：业务专长与企业行业（危险化学品）相符的检查人员")
    eq(s[2].name, "general"); eq(s[2].count, 1)
    eq(s[3], { name = "org:2", count = 1, required = true, label = "高青县市场监督管理局检查人员（联合检查，检查本部门事项）" })
    local a = insp({ org_id = 1, expertise = { "危险化学品" } })
    local b = insp({ cert_no = "B1", org_id = 2, expertise = { "危险化学品" } })
    eq(I.in_pool("org:2", b, UNIT, task, {}), true)
    eq(I.in_pool("org:2", a, UNIT, task, {}), false)
    eq(I.in_pool("expertise", a, UNIT, task, {}), true)
    eq(I.in_pool("expertise", b, UNIT, task, {}), false)   -- the lead org's slot
    local leader, why = I.leader({ b, a }, UNIT, task)
    eq(leader, a.cert_no); assert(why:find("牵头单位检查人员", 1, true), why)
    -- a unit no joint org's item applies to: the usual slots, any org
    local other = { uscc = "91370322MA3C000002", name = "某机械厂", industry = "机械" }
    eq(#I.slots(other, task), 2)
    eq(I.in_pool("general", b, other, task, {}), true)
  end },

  { "7.2 executing org: the lead org, or the township office of the unit's region for a township-level task", function()
    local orgs = { { id = 1, name = "高青县应急管理局", kind = "bureau" }, { id = 7, name = "青城镇应急管理办公室", kind = "township" } }
    eq(I.executing_org({ region = "青城镇" }, { lead_org_id = 1 }, orgs), { 1, "由牵头单位高青县应急管理局执行", "7.2" })
    eq(I.executing_org({ region = "青城镇" }, { lead_org_id = 1, required_level = "township" }, orgs),
       { 7, "乡镇级检查，按属地（行政区划：青城镇）由青城镇应急管理办公室执行", "7.2" })
    eq(I.executing_org({ region = "花沟镇" }, { lead_org_id = 1, required_level = "township" }, orgs),
       { 1, "由牵头单位高青县应急管理局执行", "7.2" })
  end },
  { "in_pool with the core's context flags: rotation and the workload cap exclude", function()
    eq(I.in_pool("general", insp(), UNIT, TASK, { on_last_team = true, at_cap = false }), false)
    eq(I.in_pool("general", insp(), UNIT, TASK, { on_last_team = false, at_cap = true }), false)
    eq(I.in_pool("general", insp(), UNIT, TASK, { on_last_team = false, at_cap = false }), true)
  end },
  { "declared unit fields of the team draw", function()
    eq(I.slot_unit_fields, { "industry" })
    eq(I.pool_unit_fields, { "industry" })
    eq(I.leader_unit_fields, { "industry" })
  end },
  { "conflict_keys lists the inspector's own unit and declared units", function()
    eq(I.conflict_keys(insp()), { names = { "高青县应急管理局" }, usccs = {} })
    eq(I.conflict_keys(insp({ unit = "", conflicts = { "X1" } })), { names = {}, usccs = { "X1" } })
  end },
}
