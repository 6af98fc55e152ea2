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
  'console.eval': '控制台执行', 'console.run': '控制台执行',
  'session.login': '登录', 'session.logout': '退出', 'user.password': '修改密码', 'rule.install': '安装规则',
  'task.update': '修改任务', 'task.cancel': '取消任务', 'task.join': '加入联合检查', 'task.redraw': '重新抽取',
  'team.replace_request': '申请更换检查人员', 'team.replace_approve': '批准更换检查人员', 'team.replace_reject': '驳回更换申请',
  'team.replace': '更换检查人员', 'team.recusal': '回避后重抽', 'team.conflict_request': '申请回避',
  'team.conflict_approve': '批准回避', 'team.conflict_reject': '驳回回避',
  'result.create': '录入检查结果', 'result.update': '修改检查结果', 'result.sign': '签名', 'result.approve': '审核通过',
  'result.return': '退回修改', 'result.publish': '公示结果', 'result.correction_request': '申请更正',
  'result.correction_approve': '批准更正', 'result.correction_reject': '驳回更正',
  'objection.create': '登记异议', 'objection.file_online': '网上提出异议', 'objection.decide': '异议复核决定',
  'objection.feedback': '异议反馈', 'followup.create': '登记后续处理', 'followup.update': '更新后续处理',
  'inspection.create': '登记检查', 'inspection.close': '办结检查', 'incident.create': '登记事故或问题',
  'incident.claim': '申请免责', 'incident.decide': '免责决定', 'accountability.exempt': '免责', 'accountability.record': '登记责任追究情形', 'accountability.close': '办结登记的情形',
  'attachment.upload': '上传附件', 'document.issue': '出具文书', 'document_template.store': '保存文书模板',
  'document_template.activate': '启用文书模板', 'org.create': '新建机构', 'org.update': '修改机构', 'org.accounts': '生成机构账号',
  'plan.adjust': '调整计划', 'document_template.install': '安装文书模板', 'demo.populate': '生成演示数据',
};

// The rule scripts by what they decide (their file names are shown in code type beside these).
export const RULE_TITLES = {
  categories: '行业与分类', calendar: '工作日历', deadlines: '期限', eligibility: '抽查对象资格', sampling: '抽取比例',
  inspectors: '检查人员与检查组', plans: '年度计划', accountability: '责任追究',
};
export const DOC_KINDS = { notice: '随机抽查通知书', record: '检查记录表', rectification: '责令限期整改指令书', announcement: '抽查任务公告', results: '抽查结果公示' };
const OBJECT_KINDS = {
  task: '任务', result: '检查结果', objection: '异议', user: '用户', org: '机构', plan: '计划', item: '抽查事项',
  enterprise: '检查对象', inspector: '检查人员', document: '文书', attachment: '附件', incident: '事故或问题',
  inspection: '检查记录', followup: '后续处理', correction: '更正', session: '登录会话', conflict: '回避申请', record: '登记的情形',
};
// An audit or situation object ("task:12", "task:12:USCC", "year:2026", "document_template:results", a
// rule's name) in words.
export function objectText(o) {
  if (typeof o !== 'string' || !o) return o == null ? '' : String(o);
  if (RULE_TITLES[o]) return `规则：${RULE_TITLES[o]}`;
  const [kind, a, b] = o.split(':');
  if (kind === 'year' && a) return `${a}年度`;
  if (kind === 'demo') return `演示数据（${a || ''}）`;
  if (kind === 'document_template') return `文书模板：${DOC_KINDS[a] || a}`;
  if (kind === 'rule' && a) return `规则：${RULE_TITLES[a] || a}`;
  if (kind === 'org' && /^\d{4}$/.test(b || '')) return `${OBJECT_KINDS.org} ${a}（${b}年度）`;
  if (OBJECT_KINDS[kind]) return `${OBJECT_KINDS[kind]}${a ? ` ${a}` : ''}${b ? `（单位 ${b}）` : ''}`;
  return o;
}
export const OBJECT_KIND_OPTIONS = Object.entries(OBJECT_KINDS);
// The page of an audit or situation object, or null; x: the row, which may name the task and the
// unit (a referral's result). objectLink: the object in words, a link to that page where it has one.
export function objectHref(o, x) {
  if (typeof o !== 'string' || !o) return null;
  const [kind, a, b] = o.split(':');
  const id = /^\d+$/.test(a || '') ? a : null;
  if (x && x.task_id && x.uscc) return `#/results/${x.task_id}/${encodeURIComponent(x.uscc)}`;
  if (kind === 'task' && id) return b ? `#/results/${id}/${encodeURIComponent(b)}` : `#/tasks/${id}`;
  if (kind === 'objection' && id) return `#/objections/${id}`;
  if (kind === 'plan' && id) return `#/plans/${id}`;
  if (kind === 'item' && id) return `#/items/${id}`;
  if (kind === 'enterprise' && id) return `#/enterprises/${id}`;
  if (kind === 'inspector' && id) return `#/inspectors/${id}`;
  if (kind === 'year' && a) return `#/stats?year=${encodeURIComponent(a)}`;
  if (kind === 'org' && b) return `#/stats?year=${encodeURIComponent(b)}`;
  if (kind === 'org' && id) return '#/orgs';
  return null;
}
export function objectLink(o, x) {
  const href = objectHref(o, x);
  if (!href) return objectText(o);
  const a = document.createElement('a');
  a.href = href;
  a.className = 'object-link';
  a.textContent = objectText(o);
  return a;
}

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
