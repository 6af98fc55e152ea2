// labels.js: Chinese labels of the codes used by the API (SPEC §1, §8).

export const ROLES = { admin: '系统管理员', planner: '计划编制人员', inspector: '检查人员', head: '单位负责人', auditor: '监督审计人员' };

// Policy data (industries of 3.2 with their 5.1.2 category, result categories of 8.4, code lists,
// stratum labels, reasons) is not written here: it comes from the rules through GET
// /api/public/meta. loadMeta() fills the objects below in place, once per page load; app.js and
// the portal call it before any page module is loaded, so pages may read them at load time.
export const INDUSTRIES = [];          // 3.2 industry names, in the guideline's order
export const INDUSTRY_CATEGORY = {};   // industry name -> label of its category (重点 / 一般)
export const RESULT_CATEGORIES = {};   // 8.4 code -> label
export const FOLLOW_UP = {};           // 8.4 code -> needs follow-up handling (9.2)
export const RISK = {};
export const CREDIT = {};
export const ENT_STATUS = {};
export const LEVEL = {};               // inspector level code -> label
export const STRATA = {};              // stratum name -> label
export const REPLACEMENT_REASONS = {}; // 7.3 reasons a drawn inspector may be replaced
export const REPLACEMENT_OTHER = {};   // 7.3 {code, label}: any other reason, approved with the head's written reason
export const ACCOUNTABILITY_KINDS = {}; // 10.1 situation code -> label
export const EXEMPTION_REASONS = {};  // 10.2 exemption code -> label
export const ORG_KINDS = {};          // SPEC §10 org kind code -> label
export const ORG_LEVELS = {};         // org level code -> label
export const CHECK_METHODS = {};      // 8.1 检查方式 code -> label
export const JOINT_CHECK_TYPES = {};  // 8.1 联查方式 code -> label

let metaPromise = null;

function fill(meta) {
  const pairs = (list, key = 'code') => Object.fromEntries((list || []).map((x) => [x[key], x.label]));
  INDUSTRIES.splice(0, INDUSTRIES.length, ...(meta.industries || []).map((i) => i.name));
  for (const i of meta.industries || []) INDUSTRY_CATEGORY[i.name] = (meta.category_labels || {})[i.category] || i.category;
  Object.assign(RESULT_CATEGORIES, pairs(meta.result_categories));
  for (const c of meta.result_categories || []) FOLLOW_UP[c.code] = c.follow_up;
  Object.assign(RISK, pairs(meta.risk_levels));
  Object.assign(CREDIT, pairs(meta.credit_levels));
  Object.assign(ENT_STATUS, pairs(meta.unit_statuses));
  Object.assign(LEVEL, meta.inspector_levels || {});
  Object.assign(STRATA, pairs(meta.strata, 'name'));
  Object.assign(REPLACEMENT_REASONS, meta.replacement_reasons || {});
  Object.assign(REPLACEMENT_OTHER, meta.replacement_other || {});
  Object.assign(ACCOUNTABILITY_KINDS, pairs(meta.accountability_kinds));
  Object.assign(EXEMPTION_REASONS, pairs(meta.exemption_reasons));
  Object.assign(ORG_KINDS, pairs(meta.org_kinds));
  Object.assign(CHECK_METHODS, pairs(meta.check_methods));
  Object.assign(JOINT_CHECK_TYPES, pairs(meta.joint_check_types));
  Object.assign(ORG_LEVELS, pairs(meta.org_levels));
  return meta;
}

// Loads the rules' policy data once (GET /api/public/meta) and fills the objects above. Resolves
// to the meta object; rejects (and may be retried) when the server does not answer it.
export function loadMeta() {
  if (!metaPromise) {
    metaPromise = fetch('/api/public/meta', { credentials: 'same-origin' })
      .then((r) => {
        if (!r.ok) throw new Error(`规则数据加载失败（HTTP ${r.status}）`);
        return r.json();
      })
      .then(fill)
      .catch((e) => {
        metaPromise = null;
        throw e;
      });
  }
  return metaPromise;
}

export const INSP_STATUS = { active: '在职', inactive: '离岗' };
export const GENDER = { male: '男', female: '女', '': '' };
export const MODE = { untargeted: '不定向抽查', targeted: '定向抽查' };

export const TASK_STATUS = {
  draft: '草稿', created: '已创建', frozen: '名单已冻结', drawn: '已抽取', locked: '已锁定并公告',
  teams: '检查组已抽取', teamed: '检查组已抽取', dispatched: '已派发', in_progress: '检查中', running: '检查中',
  done: '已完成', finished: '已完成', closed: '已结束', published: '结果已公示', cancelled: '已取消',
};

export const RESULT_STATUS = {
  draft: '草稿', entered: '已录入', signed: '已签名', submitted: '待审核', returned: '已退回',
  approved: '已审核', reviewed: '已审核', published: '已公示', corrected: '已更正',
};

export const PLAN_STATUS = { draft: '草稿', filed: '已备案', published: '已公布', adjusted: '已调整' };

export const WARNING = { green: '正常', none: '正常', ok: '正常', yellow: '临近期限', red: '已逾期', overdue: '已逾期' };

export const OBJ_STATUS = { received: '已受理', open: '待复核', pending: '待复核', decided: '已决定', upheld: '维持', changed: '变更', closed: '已反馈' };

export const AUDIT_ACTIONS = {
  'user.login': '登录', 'user.logout': '退出', 'user.create': '新建用户', 'user.update': '修改用户', 'user.login_failed': '登录失败',
  'rule.store': '保存规则版本', 'rule.activate': '启用规则版本', 'rule.rollback': '回滚规则版本',
  'enterprise.create': '新增检查对象', 'enterprise.update': '修改检查对象', 'enterprise.import': '导入检查对象',
  'inspector.create': '新增检查人员', 'inspector.update': '修改检查人员', 'inspector.import': '导入检查人员',
  'item.create': '新增抽查事项', 'item.update': '调整抽查事项', 'plan.create': '新建计划', 'plan.publish': '公布计划',
  'task.create': '新建任务', 'task.freeze': '冻结名单', 'task.draw': '抽取', 'task.lock': '锁定并公告', 'task.teams': '抽取检查组',
  'console.eval': '控制台执行',
};

export const FIELD_LABELS = {
  id: '编号', industries: '适用行业', lead_org_id: '牵头单位', joint_org_ids: '联合检查部门', uscc: '统一社会信用代码', name: '名称', unit_type: '单位类型', legal_rep: '法定代表人', address: '住所',
  business_scope: '经营范围', region: '行政区划', industry: '行业类别', supervision_type: '监管类型', risk_level: '风险等级',
  credit_level: '信用等级', complaints: '投诉举报次数', watchlist: '重点关注', dishonest: '失信记录', serious_violation: '严重违法记录',
  major_hazard: '重大危险源', status: '状态', version: '版本', created_at: '创建时间', updated_at: '更新时间',
  id_number: '身份证号', gender: '性别', phone: '联系方式', unit: '所在单位', title: '职务或职称', cert_no: '执法证号',
  cert_valid_until: '执法证有效期至', expertise: '业务专长', level: '层级', is_expert: '专家', category: '类别',
  target: '检查对象', method: '检查方式', department: '检查部门', basis: '检查依据', active: '有效', checkpoints: '检查要点',
  plan_id: '计划', item_ids: '抽查事项', mode: '抽查方式', filters: '筛选条件', directed: '专项/指令性', lead_unit: '牵头单位',
  joint_units: '联合单位', start_date: '开始日期', end_date: '结束日期', year: '年度', scope: '范围', ratio: '抽查比例',
  schedule: '时间安排', estimated_count: '预计抽查数', filed: '已备案', published_at: '公布时间', deadline: '期限', warning: '预警',
  reason: '理由', clause: '条款', at: '时间', actor: '操作人', action: '操作', object: '对象', details: '详情', hash: '散列',
  username: '用户名', role: '角色', leader: '组长', inspectors: '检查人员', witness: '监督人见证文字', commitment: '承诺值',
  candidates_hash: '候选名单散列', seed: '种子', secret: '秘密值', selected: '抽中', strata: '分层', excluded: '排除',
  joint_checks: '部门联合抽查次数', filed_at: '备案日期', filed_with: '备案机关', author: '编制人', tasks: '计划任务',
  task_id: '任务', result: '结果', comment: '说明', decision: '决定', received_at: '收到日期', note: '备注',
};

export function label(map, code) {
  if (code === undefined || code === null) return '';
  return map[code] ?? String(code);
}

export function options(map, withEmpty) {
  const o = Object.entries(map);
  return withEmpty ? [['', withEmpty], ...o] : o;
}
