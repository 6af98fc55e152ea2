// 年度计划 (clause 6.1, 6.2): scope, ratios, schedule, estimated count, filing, publication,
// adjustments (with a reason once published). plans.lua validates (e.g. one joint check a year).
import { api, h, mount, msg, table, section, form, kv, listOf, details, actionButton, fmtTime, bureauYear } from '../ui.js';
import { FIELD_LABELS, PLAN_STATUS, STRATA, label } from '../labels.js';

function planFields(p = {}) {
  return [
    { name: 'year', label: '年度', type: 'number', required: true, value: p.year ?? bureauYear() },
    { name: 'name', label: '计划名称', required: true, value: p.name ?? '' , wide: true },
    { name: 'scope', label: '抽查范围', type: 'textarea', value: p.scope ?? '' },
    // one ratio per stratum, chosen by its label (the strata come from the rules' meta data), in %
    ...Object.entries(STRATA).map(([name, lbl]) => ({ name: `ratio__${name}`, label: `抽查比例（%）：${lbl}`, type: 'number', step: 'any',
      value: ratioOf(p.ratios, name) })),
    { name: 'schedule', label: '时间安排（每行一项）', type: 'list', value: Array.isArray(p.schedule) ? p.schedule : p.schedule ? [p.schedule] : [] },
    { name: 'estimated_count', label: '预计抽查户数', type: 'number', value: p.estimated_count },
    { name: 'joint_checks', label: '部门联合抽查次数', type: 'number', value: p.joint_checks },
    { name: 'tasks', label: '计划任务（每行“名称|联合(是/否)|开始日期|结束日期”）', type: 'textarea', rows: 4, value: tasksText(p.tasks) },
    { name: 'filed_at', label: '备案日期', type: 'date', value: p.filed_at ?? '' },
    { name: 'filed_with', label: '备案机关', value: p.filed_with ?? '市场监管部门' },
  ];
}

// A plan's ratios in words: each stratum by its label with its percentage.
function ratiosWords(r) {
  const o = typeof r === 'string' ? JSON.parse(r) : r || {};
  return h('ul', { class: 'plain', id: 'plan-ratios' }, Object.entries(o).map(([k, v]) => h('li', null, `${label(STRATA, k)}：${Math.round(v * 10000) / 100}%`)));
}

// A plan's tasks as a small table.
function planTasksTable(t) {
  return table([
    { key: 'name', label: '任务' }, { key: 'joint', label: '部门联合', render: (x) => (x.joint ? '是' : '否') },
    { key: 'start_date', label: '开始日期' }, { key: 'end_date', label: '结束日期' },
  ], Array.isArray(t) ? t : typeof t === 'string' ? JSON.parse(t || '[]') : [], { empty: '未安排' });
}

// A stratum's ratio of a plan as a percentage for the form ('' when the plan names none).
function ratioOf(r, name) {
  const o = typeof r === 'string' ? JSON.parse(r) : r || {};
  return typeof o[name] === 'number' ? Math.round(o[name] * 10000) / 100 : '';
}

function tasksText(t) {
  if (!Array.isArray(t)) return '';
  return t.map((x) => [x.name, x.joint ? '是' : '否', x.start_date || '', x.end_date || ''].join('|')).join('\n');
}

// Form values -> API body. Throws a field-named message for the form to show.
function toBody(v) {
  const body = { year: v.year, name: v.name, scope: v.scope, schedule: v.schedule, filed_with: v.filed_with };
  if (v.estimated_count !== null) body.estimated_count = v.estimated_count;
  if (v.joint_checks !== null) body.joint_checks = v.joint_checks;
  if (v.filed_at) body.filed_at = v.filed_at;
  const ratios = {};
  for (const name of Object.keys(STRATA)) {
    const x = v[`ratio__${name}`];
    if (x !== null && x !== undefined && !Number.isNaN(x)) ratios[name] = Math.round(x * 100) / 10000;
  }
  if (Object.keys(ratios).length) body.ratios = ratios;
  const tasks = [];
  for (const line of v.tasks.split('\n').map((s) => s.trim()).filter(Boolean)) {
    const [name, joint, s, e] = line.split(/[|｜]/).map((x) => (x || '').trim());
    const t = { name, joint: /^(是|true|1|联合)$/.test(joint) };
    if (s) t.start_date = s;
    if (e) t.end_date = e;
    tasks.push(t);
  }
  body.tasks = tasks;
  return body;
}

export async function render(ctx) {
  const id = ctx.parts[1];
  if (id) return planPage(ctx, id);
  const plans = listOf(await api('GET', '/api/plans'), 'plans');
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const create = form(planFields(), async (v) => {
    const p = await api('POST', '/api/plans', toBody(v));
    setTimeout(() => { location.hash = `#/plans/${p.id}`; }, 600);
    return '已新建计划';
  }, { idPrefix: 'newplan', submitLabel: '新建计划', draft: canEdit ? 'plan-new' : null });
  return h('div', null,
    h('h1', null, '年度计划'),
    section(null, table([
      { key: 'year', label: '年度' },
      { key: 'name', label: '计划名称', render: (p) => h('a', { href: `#/plans/${p.id}` }, p.name || `计划 ${p.id}`) },
      { key: 'estimated_count', label: '预计户数' },
      { key: 'joint_checks', label: '联合抽查' },
      { key: 'filed_at', label: '备案' },
      { key: 'published_at', label: '公示', render: (p) => (p.published_at ? h('span', { class: 'badge ok' }, `已公示 ${fmtTime(p.published_at)}`) : h('span', { class: 'badge' }, label(PLAN_STATUS, p.status) || '未公示')) },
    ], plans, { onRow: (p) => { location.hash = `#/plans/${p.id}`; }, empty: '尚无计划' })),
    canEdit ? details('新建年度计划', create.el) : null);
}

async function planPage(ctx, id) {
  const p = await api('GET', `/api/plans/${encodeURIComponent(id)}`);
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const published = !!p.published_at;
  const fields = planFields(p);
  if (published) fields.push({ name: 'reason', label: '调整理由（计划已公示，调整须说明理由并公开）', required: true, wide: true });
  const f = form(fields, async (v) => {
    const body = toBody(v);
    if (published) body.reason = v.reason;
    await api('PUT', `/api/plans/${encodeURIComponent(id)}`, body);
    setTimeout(() => ctx.rerender(), 900);
    return '已保存';
  }, { idPrefix: 'plan', submitLabel: published ? '保存调整' : '保存', draft: canEdit ? `plan-${id}` : null });
  return h('div', null,
    h('h1', null, `${p.year ?? ''} 年度计划：${p.name ?? ''}`),
    h('p', null, h('a', { href: '#/plans' }, '← 返回计划列表')),
    section('状态',
      published ? msg('ok', `已于 ${fmtTime(p.published_at)} 公示`) : msg('info', '尚未公示'),
      p.validation || p.warnings ? kv({ 校验: p.validation || p.warnings }) : null,
      !published && ['admin', 'planner', 'head'].includes(ctx.me.role)
        ? actionButton('公示计划', async () => {
          await api('POST', `/api/plans/${encodeURIComponent(id)}/publish`, {});
          setTimeout(() => ctx.rerender(), 900);
          return '已公示';
        }, { class: 'primary', id: 'plan-publish', confirm: '年度计划将在公开平台向社会公示；公示后的调整须说明理由，调整记录同样公开。确认公示计划？' }) : null,
      h('a', { class: 'button', href: `#/tasks?plan_id=${encodeURIComponent(id)}` }, '查看本计划的任务')),
    canEdit ? section('编辑', f.el) : section('内容', kv(p, FIELD_LABELS, {
      hide: ['id', 'adjustments', 'validation', 'warnings', 'rule_sha'],
      render: { ratios: (r) => ratiosWords(r), tasks: (t) => planTasksTable(t), status: (x) => label(PLAN_STATUS, x), schedule: (x) => [].concat(x || []).join('、') },
    })),
    p.adjustments ? section('调整记录', table([{ key: 'at', label: '时间', render: (a) => fmtTime(a.at) }, { key: 'reason', label: '理由' }, { key: 'changes', label: '变更' }], p.adjustments)) : null);
}
