-- Rule tests for categories.lua (clauses 3.2, 5.1.2, 8.4, SPEC §8 code lists).
local C = rules.categories

return {
  { "3.2 / 5.1.2 pinned: each of the thirteen industries with its category and clause", function()
    local got = {}
    for i, e in ipairs(C.industries) do got[i] = e.name .. "=" .. e.category .. "@" .. e.clause end
    eq(got, { "非煤矿山=key@5.1.2", "化工=key@3.2", "医药=key@3.2", "危险化学品=key@5.1.2",
              "烟花爆竹=key@5.1.2", "冶金=key@5.1.2", "有色=key@5.1.2", "建材=general@5.1.2",
              "机械=general@5.1.2", "轻工=general@5.1.2", "纺织=general@5.1.2", "烟草=general@5.1.2",
              "商贸=general@5.1.2" })
    for _, e in ipairs(C.industries) do eq(C.category_code(e.name), e.category, e.name) end
  end },

  { "3.2 list: thirteen industries in the guideline's order", function()
    local names = {}
    for i, e in ipairs(C.industries) do names[i] = e.name end
    eq(names, { "非煤矿山", "化工", "医药", "危险化学品", "烟花爆竹", "冶金", "有色",
                "建材", "机械", "轻工", "纺织", "烟草", "商贸" })
  end },

  { "5.1.2 key industries are key", function()
    for _, name in ipairs({ "危险化学品", "非煤矿山", "烟花爆竹", "冶金", "有色" }) do
      local cat, reason, clause = C.category(name)
      eq(cat, "key", name)
      eq(clause, "5.1.2", name)
      assert(type(reason) == "string" and reason:find("重点", 1, true), name)
    end
  end },

  { "5.1.2 general industries are general", function()
    for _, name in ipairs({ "建材", "机械", "轻工", "纺织", "烟草", "商贸" }) do
      local cat, reason, clause = C.category(name)
      eq(cat, "general", name)
      eq(clause, "5.1.2", name)
      assert(reason:find("一般", 1, true), name)
    end
  end },

  { "化工 and 医药 (3.2, not classified by 5.1.2) are key, with the decision explained", function()
    for _, name in ipairs({ "化工", "医药" }) do
      local cat, reason, clause = C.category(name)
      eq(cat, "key", name)
      eq(clause, "3.2", name)
      assert(reason:find("5.1.2", 1, true) and reason:find("危险化学品", 1, true), reason)
    end
  end },

  { "3.2 spellings with the parenthesis are accepted", function()
    eq(C.category("化工(含石油化工)"), "key")
    eq(C.category("非煤矿山（含地质勘探）"), "key")
    eq(C.canonical_of["石油化工"], "化工")
  end },

  { "canonical: listed names as is, aliases to their 3.2 name, anything else nil", function()
    eq(C.canonical("化工"), "化工")
    eq(C.canonical("商贸"), "商贸")
    eq(C.canonical("化工(含石油化工)"), "化工")
    eq(C.canonical("化工（含石油化工）"), "化工")
    eq(C.canonical("石油化工"), "化工")
    eq(C.canonical("地质勘探"), "非煤矿山")
    eq(C.canonical("危化品"), "危险化学品")
    eq(C.canonical("有色金属"), "有色")
    eq(C.canonical("房地产"), nil)
    eq(C.canonical("化工 "), nil)
    eq(C.canonical(""), nil)
    eq(C.canonical(nil), nil)
    eq(C.canonical(42), nil)
  end },

  { "unknown industry: nil with a reason", function()
    local cat, reason, clause = C.category("房地产")
    eq(cat, nil)
    assert(reason:find("未知行业", 1, true), reason)
    eq(clause, "3.2")
    eq(C.category(nil), nil)
  end },

  { "8.4 result categories a-h with labels", function()
    local codes = {}
    for i, r in ipairs(C.result_categories) do codes[i] = r.code end
    eq(codes, { "a", "b", "c", "d", "e", "f", "g", "h" })
    eq(C.result_category("a").label, "未发现问题")
    eq(C.result_category("e").label, "发现问题已责令改正")
    eq(C.result_category("g").label, "发现问题待后续处理")
    eq(C.result_category("h").label, "未发现开展本次抽查涉及的经营活动")
  end },

  { "8.4 follow-up: problems need it, no problem does not", function()
    eq(C.result_category("a").follow_up, false)
    eq(C.result_category("h").follow_up, false)
    for _, code in ipairs({ "b", "c", "d", "e", "f", "g" }) do
      eq(C.result_category(code).follow_up, true, code)
    end
  end },

  { "unknown result category is nil", function()
    eq(C.result_category("z"), nil)
    eq(C.result_category(nil), nil)
  end },

  { "SPEC §8 risk and credit codes with Chinese labels", function()
    local risk, credit = {}, {}
    for i, r in ipairs(C.risk_levels) do risk[i] = r.code .. "=" .. r.label end
    for i, r in ipairs(C.credit_levels) do credit[i] = r.code .. "=" .. r.label end
    eq(risk, { "red=重大", "orange=较大", "yellow=一般", "blue=低" })
    eq(credit, { "good=守信", "normal=一般", "dishonest=失信" })
  end },

  { "SPEC §10 org kinds and levels: the schema's codes with Chinese labels", function()
    local kinds, levels = {}, {}
    for i, r in ipairs(C.org_kinds) do kinds[i] = r.code .. "=" .. r.label end
    for i, r in ipairs(C.org_levels) do levels[i] = r.code .. "=" .. r.label end
    eq(kinds, { "bureau=本局", "division=内设股室", "township=乡镇（街道）", "department=其他部门" })
    eq(levels, { "county=县级", "township=乡镇级" })
  end },
}
