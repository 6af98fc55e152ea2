// 抽查任务 (clauses 6.2, 7.1–7.3): list and create; per task the flow
// freeze (candidates per stratum, exclusions with reasons, H_c, commitment) → draw (witness) →
// lock (dispatch + announcement) → inspector teams (recusal, replacement with approval).
import { api, h, mount, msg, errorText, table, section, form, kv, listOf, details, actionButton, reasonAction, fmtTime, qs, loading, bureauYear } from '../ui.js';
import { INDUSTRIES, RISK, CREDIT, MODE, TASK_STATUS, REPLACEMENT_REASONS, REPLACEMENT_OTHER, FIELD_LABELS, CHECK_METHODS, JOINT_CHECK_TYPES, label, options } from '../labels.js';

const STEPS = [
  ['draft', '1. 创建'], ['frozen', '2. 冻结候选名单'], ['drawn', '3. 抽取'], ['dispatched', '4. 锁定、派发并公告'],
];

TASK_STATUS.dispatched = '已锁定并派发';

export async function render(ctx) {
  const id = ctx.parts[1];
  if (id === 'new') return createPage(ctx);
  if (id && ctx.parts[2] === 'edit') return createPage(ctx, await api('GET', `/api/tasks/${encodeURIComponent(id)}`));
  if (id) return taskPage(ctx, id);
  const tasks = listOf(await api('GET', `/api/tasks${qs({ status: ctx.query.status, year: ctx.query.year })}`), 'tasks');
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  return h('div', null,
    h('h1', null, '抽查任务'),
    canEdit ? h('p', null, h('a', { class: 'button primary', href: '#/tasks/new', id: 'task-new' }, '新建抽查任务'), '　',
      ctx.query.status === 'cancelled' ? h('a', { href: '#/tasks' }, '返回全部任务') : h('a', { href: '#/tasks?status=cancelled', id: 'tasks-cancelled' }, '已取消的任务')) : null,
    section(null, table([
      { key: 'id', label: '编号' },
      { key: 'name', label: '任务名称', render: (t) => h('a', { href: `#/tasks/${t.id}` }, t.name) },
      { key: 'mode', label: '方式', render: (t) => label(MODE, t.mode) + (t.directed ? '（专项）' : '') },
      { key: 'dates', label: '起止日期', render: (t) => `${t.start_date || ''} 至 ${t.end_date || ''}` },
      { key: 'status', label: '状态', render: (t) => h('span', { class: `badge ${t.status === 'dispatched' ? 'ok' : ''}` }, label(TASK_STATUS, t.status)) },
      { key: 'pub', label: '公告', render: (t) => (t.status === 'dispatched' ? h('a', { href: `/public/#/tasks/${t.id}`, target: '_blank', rel: 'noopener' }, '公开公告') : '') },
    ], tasks, { onRow: (t) => { location.hash = `#/tasks/${t.id}`; }, empty: '尚无任务' })));
}

// The task form: a new task, or (t given) the edit of draft task t (PUT, issue 18).
async function createPage(ctx, t = null) {
  const me = ctx.me || {};
  const fl = (t && t.filters) || {};
  const val = (x) => (t ? x : undefined);
  const [items, plans, orgs] = await Promise.all([
    api('GET', '/api/items?active=1').then((r) => listOf(r, 'items')).catch(() => []),
    api('GET', '/api/plans').then((r) => listOf(r, 'plans')).catch(() => []),
    api('GET', '/api/orgs').then((r) => listOf(r, 'orgs')).catch(() => []),
  ]);
  // SPEC §10: the lead org is the planner's own (an admin chooses); other departments join
  const active = orgs.filter((o) => o.active !== 0 && o.active !== false);
  const leadOptions = (me.role === 'admin' ? active : active.filter((o) => o.id === me.org_id)).map((o) => [String(o.id), o.name]);
  const year = bureauYear();
  const f = form([
    { name: 'name', label: '任务名称', required: true, wide: true, placeholder: `${year}年第一批危险化学品企业双随机抽查`, value: val(t && t.name) },
    { name: 'plan_id', label: '所属年度计划', type: 'select', options: [['', '（无）'], ...plans.map((p) => [String(p.id), `${p.year} ${p.name}`])], value: val(t && t.plan_id ? String(t.plan_id) : '') },
    { name: 'mode', label: '抽查方式', type: 'select', options: Object.entries(MODE), required: true, value: val(t && t.mode) },
    { name: 'start_date', label: '开始日期', type: 'date', required: true, value: val(t && t.start_date) },
    { name: 'end_date', label: '结束日期', type: 'date', required: true, value: val(t && t.end_date) },
    { name: 'industry', label: '定向：行业（可多选，不选为不限）', type: 'checks', wide: true, options: INDUSTRIES.map((x) => [x, x]), value: val(fl.industry || []) },
    { name: 'region', label: '定向：行政区划（分号分隔）', value: val((fl.region || []).join('；')) },
    { name: 'unit_type', label: '定向：单位类型（分号分隔）', value: val((fl.unit_type || []).join('；')) },
    { name: 'risk_level', label: '定向：风险等级（可多选，不选为不限）', type: 'checks', options: Object.entries(RISK), value: val(fl.risk_level || []) },
    { name: 'credit_level', label: '定向：信用等级（可多选，不选为不限）', type: 'checks', options: Object.entries(CREDIT), value: val(fl.credit_level || []) },
    { name: 'lead_org_id', label: '牵头单位', type: 'select', options: leadOptions, value: t && t.lead_org_id ? String(t.lead_org_id) : me.org_id ? String(me.org_id) : '' },
    { name: 'joint_org_ids', label: '联合检查部门（可多选，不选为本单位单独检查）', type: 'checks', wide: true, options: active.filter((o) => o.kind === 'department' || o.kind === 'bureau').map((o) => [String(o.id), o.name]), value: val((t && t.joint_org_ids || []).map(String)) },
    { name: 'check_methods', label: '检查方式（第8.1条，可多选；不选则全部采用）', type: 'checks', options: Object.entries(CHECK_METHODS), value: val(t && t.check_methods || []) },
    { name: 'joint_check_type', label: '联查方式（联合抽查时选择）', type: 'select', options: [['', '（不适用）'], ...Object.entries(JOINT_CHECK_TYPES)], value: val(t && t.joint_check_type || '') },
    { name: 'directed', label: '专项整治/特殊事件/上级指令（不受每年一次限制）', type: 'checkbox', value: val(!!(t && t.directed)) },
    { name: 'directed_reason', label: '专项理由', wide: true, value: val(t && t.directed_reason || '') },
    { name: 'team_size', label: '每组检查人员数（空则按规则）', type: 'number', value: val(t && t.team_size ? String(t.team_size) : '') },
    { name: 'require_expert', label: '每组须有专家', type: 'checkbox', value: val(!!(t && t.require_expert)) },
    { name: 'item_ids', label: '抽查事项（可多选）', type: 'checks', required: true, wide: true, options: items.map((i) => [String(i.id), i.name]), value: val((t && t.item_ids || []).map(String)) },
  ], async (v) => {
    const split = (s) => (s || '').split(/[;；,，\n]/).map((x) => x.trim()).filter(Boolean);
    const body = { name: v.name, mode: v.mode, start_date: v.start_date, end_date: v.end_date, directed: v.directed };
    if (v.lead_org_id) body.lead_org_id = Number(v.lead_org_id);
    body.joint_org_ids = (v.joint_org_ids || []).map(Number).filter((id) => id !== body.lead_org_id);
    if (v.plan_id) body.plan_id = Number(v.plan_id);
    if ((v.check_methods || []).length) body.check_methods = v.check_methods;
    if (v.joint_check_type) body.joint_check_type = v.joint_check_type;
    if (v.directed) body.directed_reason = v.directed_reason;
    const filters = {};
    for (const k of ['region', 'unit_type']) if (split(v[k]).length) filters[k] = split(v[k]);
    for (const k of ['industry', 'risk_level', 'credit_level']) if (v[k].length) filters[k] = v[k];
    if (Object.keys(filters).length) body.filters = filters;
    if (v.team_size) body.team_size = v.team_size;
    if (v.require_expert) body.require_expert = true;
    body.item_ids = v.item_ids.map(Number);
    const saved = t ? await api('PUT', `/api/tasks/${t.id}`, body) : await api('POST', '/api/tasks', body);
    setTimeout(() => { location.hash = `#/tasks/${saved.id}`; }, 500);
    return t ? `已保存任务 ${saved.id} 的修改` : `已创建任务 ${saved.id}`;
  }, { idPrefix: 'task', submitLabel: t ? '保存修改' : '创建任务', draft: t ? `task-edit-${t.id}` : 'task-new' });
  return h('div', null, h('h1', null, t ? `修改抽查任务：${t.name}` : '新建抽查任务'),
    h('p', null, h('a', { href: t ? `#/tasks/${t.id}` : '#/tasks' }, t ? '← 返回任务' : '← 返回任务列表')), section(null, f.el));
}

// A task's filters in words: each condition by its label, codes by their labels (meta data).
function filtersText(filters) {
  const words = { risk_level: RISK, credit_level: CREDIT };
  return Object.entries(filters).map(([k, v]) => `${FIELD_LABELS[k] || k}：${[].concat(v).map((x) => label(words[k] || {}, x)).join('、')}`).join('；');
}

function steps(status) {
  const idx = STEPS.findIndex(([s]) => s === status);
  return h('ol', { class: 'steps' }, STEPS.map(([s, l], i) => h('li', { class: i <= idx ? 'done' : i === idx + 1 ? 'current' : '', 'aria-current': i === idx + 1 ? 'step' : null }, l)));
}

async function taskPage(ctx, id) {
  const t = await api('GET', `/api/tasks/${encodeURIComponent(id)}`);
  const itemNames = await Promise.all((t.item_ids || []).map((iid) => api('GET', `/api/items/${iid}`).then((it) => it.name || iid).catch(() => iid)));
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const st = t.status;
  const out = h('div', { id: 'task-step-output' });
  const refresh = () => setTimeout(() => ctx.rerender(), 1200);

  const parts = [
    h('h1', null, `抽查任务：${t.name}`),
    h('p', null, h('a', { href: '#/tasks' }, '← 返回任务列表')),
    steps(st),
    section('任务信息', kv({
      编号: t.id, 状态: label(TASK_STATUS, st), 方式: label(MODE, t.mode), 专项: t.directed ? `是（${t.directed_reason || ''}）` : '否',
      起止日期: `${t.start_date} 至 ${t.end_date}`, 定向条件: t.filters && Object.keys(t.filters).length ? filtersText(t.filters) : '（全部单位）',
      牵头单位: t.lead_unit, 联合单位: (t.joint_units || []).join('、'), 抽查事项: itemNames.join('、'),
      检查方式: (t.check_methods || []).map((m) => CHECK_METHODS[m] || m).join('、') + (t.joint_check_type ? `（${JOINT_CHECK_TYPES[t.joint_check_type] || ''}）` : ''),
    })),
  ];

  if (t.cancelled_at) {
    parts.push(msg('info', `本任务已于 ${fmtTime(t.cancelled_at)} 取消：${t.cancel_reason || ''}`));
    return h('div', null, parts);
  }
  // a draft can still be changed or cancelled (issue 18), until its candidates are frozen
  if (st === 'draft' && canEdit) {
    parts.push(section('修改或取消',
      h('p', null, '冻结候选名单之前，可以修改任务或取消任务；取消须说明理由，记录在案。'),
      h('div', { class: 'toolbar' },
        h('a', { class: 'button', href: `#/tasks/${encodeURIComponent(id)}/edit`, id: 'task-edit' }, '修改任务'),
        reasonAction('取消任务', '取消理由（记录在案）', async (reason) => {
          await api('POST', `/api/tasks/${encodeURIComponent(id)}/cancel`, { reason });
          refresh();
          return '任务已取消';
        }, { id: 'task-cancel' }))));
  }

  let redrawNode = null;
  // Step 2: freeze
  if (st === 'draft' && canEdit) {
    // Draw algorithm v2 (SPEC §12): the witness commits to a text now (only its SHA-256 is kept) and
    // the planner names a future public random value; both are revealed / entered at the draw.
    const fw = h('input', { id: 'f-freeze-witness', name: 'witness', type: 'text', autocomplete: 'off', placeholder: '例如：监督人 张某 自拟的一句话' });
    const fb = h('input', { id: 'f-freeze-beacon_source', name: 'beacon_source', type: 'text', placeholder: '例如：福彩3D 2026058期开奖号码' });
    parts.push(section('冻结候选名单',
      h('p', { class: 'notice' }, '按规则确定每个抽查层的候选单位和抽取数量，排除 4.3 所列情形和每年一次的限制；随后服务器生成秘密值并公布其承诺值（秘密值的 SHA-256 散列），此后名单和秘密值都不能再改。'),
      h('p', { class: 'notice' }, '抽取算法 v2：请在场监督人现在输入一段见证文字（系统只保存并公布它的哈希承诺值，抽取时监督人须输入同一原文），并指定一个冻结之后才公布的公开随机数（如彩票开奖号码）；抽取种子由秘密值、见证文字和该随机数共同决定，任何一方都无法单独操纵抽取结果。'),
      h('div', { class: 'fields' },
        h('div', { class: 'field wide' }, h('label', { for: 'f-freeze-witness' }, '监督人见证文字（抽取时须输入同一原文）'), fw),
        h('div', { class: 'field wide' }, h('label', { for: 'f-freeze-beacon_source' }, '公开随机数来源（将来公布的开奖号码及期号、日期）'), fb)),
      actionButton('冻结名单', async () => {
        const body = {};
        if (fw.value || fb.value) Object.assign(body, { witness: fw.value, beacon_source: fb.value });
        const r = await api('POST', `/api/tasks/${encodeURIComponent(id)}/freeze`, body);
        mount(out, freezeView(r));
        refresh();
        return '已冻结';
      }, { class: 'primary', id: 'task-freeze', progress: '正在确定候选名单并冻结…',
        confirm: '冻结后，候选名单、各层抽取数量和秘密值都不能再修改；承诺值随即生成，并将在抽取公告中公开。确认冻结？' })));
  }
  if (st !== 'draft') parts.push(loading(async () => freezeView(t.freeze || t, id)));

  // Step 3: draw
  if ((st === 'frozen' || st === 'drawn') && canEdit) {
    const redraw = st === 'drawn';
    const v2 = t.draw_algorithm === 'spotcheck-draw-v2';
    const f = form([
      v2 ? { name: 'witness', label: '监督人见证文字（冻结时输入的原文，须与公布的承诺值相符）', wide: true, required: true }
        : { name: 'witness', label: '监督人见证文字（由在场监督人现场输入，如姓名和时间）', wide: true, placeholder: '例如：监督人 张某 2025-03-01 09:30' },
      ...(v2 ? [{ name: 'beacon', label: `公开随机数的开奖值（来源：${t.beacon_source || ''}）`, wide: true, required: true, placeholder: '按公布的原样输入，例如：3 7 1' }] : []),
      ...(redraw ? [{ name: 'reason', label: '重新抽取的理由（必填，将在公告中公开）', required: true, wide: true }] : []),
    ], async (v) => {
      const body = { witness: v.witness };
      if (v2) body.beacon = v.beacon;
      if (redraw) body.reason = v.reason;
      const r = await api('POST', `/api/tasks/${encodeURIComponent(id)}/draw`, body);
      mount(out, section('抽取结果', selectionView(r.strata || r.selection || [])));
      refresh();
      return '已抽取';
    }, { idPrefix: 'draw', submitLabel: redraw ? '重新抽取' : '抽取', progress: '正在抽取…',
      confirm: (v) => (redraw ? `将作废上一次抽取结果并重新抽取；重抽理由“${v.reason}”和抽取次数将在公告中公开。确认重新抽取？`
        : '将按冻结的名单和见证文字抽取被检查单位，抽取结果记录在案，锁定后在公告中公开。确认抽取？') });
    // After a draw the next step is to lock; a redraw is the exception, folded away below it.
    if (redraw) redrawNode = details('重新抽取（需说明理由，理由和次数将在公告中公开）', f.el);
    else parts.push(section('抽取', f.el));
  }
  if (st === 'drawn' || st === 'dispatched') {
    const draws = Array.isArray(t.draws) ? t.draws : [];
    const last = draws[draws.length - 1];
    const sel = t.selection || (last && last.selection) || (t.draw && t.draw.strata);
    const labels = new Map((t.strata || []).map((x) => [x.name, x.label]));
    if (sel) {
      // the units show at once; their names follow when they arrive (one request, however many units)
      const names = unitNames(t, id, sel);
      const note = h('div');
      names.then((n) => { if (n.note) mount(note, h('p', { class: 'notice', id: 'sel-names-note' }, n.note)); });
      parts.push(section('抽中单位', note,
        st === 'dispatched' ? h('p', null, h('a', { class: 'button', href: `/api/tasks/${encodeURIComponent(id)}/units?format=xlsx`, download: '', id: 'units-export-xlsx' }, '导出抽中名单 Excel')) : null,
        selectionView(sel.map((x) => (x && typeof x === 'object' && !x.label && labels.get(x.name) ? { ...x, label: labels.get(x.name) } : x)),
          names.then((n) => n.map))));
    }
    if (draws.length) {
      parts.push(details(`抽取记录（共 ${draws.length} 次）`, table([
        { key: 'attempt', label: '次序' },
        { key: 'witness', label: '监督人见证' },
        { key: 'beacon', label: '公开随机数', render: (d) => d.beacon || '' },
        { key: 'reason', label: '重抽理由', render: (d) => d.reason || '' },
        { key: 'seed', label: '种子', render: (d) => h('code', { title: d.seed }, (d.seed || '').slice(0, 16)) },
        { key: 'actor', label: '操作人', render: (x) => h('span', { class: 'username' }, x.actor || '') },
        { key: 'at', label: '时间', render: (d) => fmtTime(d.at) },
      ], draws)));
    }
  }
  // Step 4: lock
  if (st === 'drawn' && ['admin', 'planner', 'head'].includes(ctx.me.role)) {
    // The team draw's v2 commitment is made now, as the candidates' was at the freeze.
    const lw = h('input', { id: 'f-lock-witness', name: 'witness', type: 'text', autocomplete: 'off', placeholder: '例如：纪检监督人 李某 自拟的一句话' });
    const lb = h('input', { id: 'f-lock-beacon_source', name: 'beacon_source', type: 'text', placeholder: '例如：福彩3D 2026059期开奖号码' });
    parts.push(section('确认、锁定并派发',
      h('p', { class: 'notice' }, '锁定后名单不可再改，任务派发给检查组，抽取公告自动公开发布。'),
      h('p', { class: 'notice' }, '检查组抽取同样使用抽取算法 v2：请监督人现在输入一段见证文字（只公布其哈希承诺值，抽取检查组时须输入同一原文），并指定一个锁定之后才公布的公开随机数。'),
      h('div', { class: 'fields' },
        h('div', { class: 'field wide' }, h('label', { for: 'f-lock-witness' }, '检查组抽取的监督人见证文字'), lw),
        h('div', { class: 'field wide' }, h('label', { for: 'f-lock-beacon_source' }, '检查组抽取的公开随机数来源'), lb)),
      actionButton('锁定并发布公告', async () => {
        const body = {};
        if (lw.value || lb.value) Object.assign(body, { witness: lw.value, beacon_source: lb.value });
        await api('POST', `/api/tasks/${encodeURIComponent(id)}/lock`, body);
        refresh();
        return '已锁定，公告已发布';
      }, { class: 'primary', id: 'task-lock', progress: '正在锁定并生成公告…',
        confirm: '锁定后不能再重新抽取；任务派发给检查组，抽取公告（抽中单位、承诺值、种子）立即在公开平台向社会公开。确认锁定并发布公告？' })));
  }
  if (redrawNode) parts.push(redrawNode);
  if (st === 'dispatched') {
    parts.push(section('公告', h('a', { class: 'button', href: `/public/#/tasks/${id}`, target: '_blank', rel: 'noopener', id: 'task-announcement' }, '查看公开公告并验证抽取')));
    parts.push(teamsSection(ctx, id, canEdit));
    if (t.teams_at) parts.push(section('检查结果', h('p', { class: 'notice' }, '检查组成员用本人账户登录后录入、签名；单位负责人审核并公示。'), h('a', { class: 'button', href: `#/results/${id}`, id: 'task-results' }, '查看本任务的检查结果')));
  }
  parts.push(out);
  return h('div', null, parts);
}

function freezeView(r, id) {
  const strata = r.strata || [];
  const excluded = r.excluded || [];
  const box = h('div', null,
    section('候选名单（已冻结）',
      kv({ '候选名单散列（H_c）': h('code', { class: 'hash' }, r.candidates_hash || ''), 承诺值: h('code', { class: 'hash' }, r.commitment || ''),
        ...(r.witness_commitment ? { 见证文字承诺值: h('code', { class: 'hash', id: 'freeze-witness-commitment' }, r.witness_commitment), 公开随机数来源: r.beacon_source || '' } : {}) }),
      table([
        { key: 'name', label: '抽查层', render: (s) => s.label || s.name },
        { key: 'size', label: '候选数' },
        { key: 'draw', label: '抽取数' },
        { key: 'reason', label: '抽取数依据', render: (s) => `${s.reason || ''}${s.clause ? `（第 ${s.clause} 条）` : ''}` },
      ], strata.filter((s) => typeof s === 'object'), { empty: '（无分层信息）' })),
    r.excluded_by_reason ? section(`排除的单位：共 ${r.excluded_total ?? excluded.length} 家`,
      table([{ key: 'reason', label: '排除理由' }, { key: 'clause', label: '条款' }, { key: 'count', label: '数量' }], r.excluded_by_reason),
      excluded.length ? details(`排除明细（前 ${excluded.length} 家）`, table([
        { key: 'uscc', label: '统一社会信用代码' }, { key: 'name', label: '单位名称' }, { key: 'reason', label: '理由' }, { key: 'clause', label: '条款' },
      ], excluded)) : null) : null,
    id && !r.excluded_by_reason ? details('排除的单位及理由', loading(async () => {
      const e = await api('GET', `/api/tasks/${encodeURIComponent(id)}/excluded`);
      return table([{ key: 'uscc', label: '统一社会信用代码' }, { key: 'name', label: '单位名称' }, { key: 'reason', label: '理由' }, { key: 'clause', label: '条款' }], listOf(e, 'excluded'), { empty: '没有被排除的单位' });
    })) : null);
  return box;
}

// Company names of the drawn units, with at most two requests whatever the number of units:
// once dispatched, the task's unit list (GET /api/tasks/{id}/results: units with names, one
// query on the server); before the lock, the directory page(s) matching the task's filters (the
// candidates the draw was made from), only if they fit in two pages of 500. Returns {map, note}.
const DIR_PAGE = 500;
async function unitNames(t, id, sel) {
  const map = new Map();
  const wanted = new Set(sel.flatMap((s) => (s && s.selected) || []).map((u) => (typeof u === 'string' ? u : u.uscc)));
  if (!wanted.size) return { map };
  try {
    if (t.status === 'dispatched') {
      const r = await api('GET', `/api/tasks/${encodeURIComponent(id)}/results`);
      for (const u of (r && r.units) || []) if (u.name) map.set(u.uscc, u.name);
    } else {
      const f = {};
      for (const [k, v] of Object.entries(t.filters || {})) f[k] = [].concat(v).join(',');
      for (let page = 1; page <= 2; page++) {
        const r = await api('GET', `/api/enterprises${qs({ ...f, page, per_page: DIR_PAGE })}`);
        for (const e of listOf(r, 'enterprises')) if (wanted.has(e.uscc)) map.set(e.uscc, e.name);
        const total = r && typeof r.total === 'number' ? r.total : 0;
        if (page === 1 && total > 2 * DIR_PAGE) return { map, note: '候选单位较多，单位名称将在锁定派发后显示。' };
        if (total <= page * DIR_PAGE || map.size === wanted.size) break;
      }
    }
  } catch (e) {
    return { map, note: `无法读取单位名称：${errorText(e)}` };
  }
  return { map };
}

// The drawn units of each stratum, 100 at a time with a filter (a task may draw 13,000 units).
// names: a Map uscc -> name, or a promise of one (the page is drawn again when it arrives).
const SEL_PAGE = 100;
function selectionView(strata, names = new Map()) {
  const known = names instanceof Map ? names : new Map();
  return h('div', { class: 'selection' }, strata.map((s, k) => {
    const all = (s.selected || []).map((u) => {
      const uscc = typeof u === 'string' ? u : u.uscc;
      return { uscc, name: (typeof u === 'object' && u.name) || known.get(uscc) || '' };
    });
    if (!(names instanceof Map) && names && names.then) {
      names.then((m) => { for (const u of all) if (!u.name) u.name = (m && m.get(u.uscc)) || ''; draw(); }).catch(() => {});
    }
    const list = h('ol', { class: 'sel' });
    const info = h('span', { class: 'muted' });
    const prev = h('button', { type: 'button', id: `sel-${k}-prev` }, '上一页');
    const next = h('button', { type: 'button', id: `sel-${k}-next` }, '下一页');
    const filter = h('input', { type: 'search', id: `sel-${k}-filter`, placeholder: '按信用代码或名称查找', 'aria-label': '在抽中名单中查找' });
    let shown = all, page = 0;
    const draw = () => {
      const pages = Math.max(1, Math.ceil(shown.length / SEL_PAGE));
      page = Math.min(page, pages - 1);
      list.setAttribute('start', String(page * SEL_PAGE + 1));
      mount(list, ...shown.slice(page * SEL_PAGE, (page + 1) * SEL_PAGE).map((u) => h('li', { 'data-uscc': u.uscc }, h('code', null, u.uscc),
        u.name ? h('span', { class: 'unit-name' }, ` ${u.name}`) : '')));
      info.textContent = shown.length > SEL_PAGE ? `第 ${page + 1} / ${pages} 页，共 ${shown.length} 家` : '';
      prev.hidden = page === 0;
      next.hidden = page >= pages - 1;
    };
    prev.onclick = () => { page -= 1; draw(); };
    next.onclick = () => { page += 1; draw(); };
    filter.oninput = () => { const q = filter.value.trim(); shown = q ? all.filter((u) => u.uscc.includes(q) || u.name.includes(q)) : all; page = 0; draw(); };
    draw();
    return h('div', null,
      h('h3', null, `${s.label || s.name}：抽中 ${all.length} 家`),
      all.length > SEL_PAGE ? h('div', { class: 'toolbar' }, filter) : null,
      list, all.length > SEL_PAGE ? h('div', { class: 'toolbar' }, prev, next, info) : null);
  }));
}

const TEAM_PAGE = 50;

function teamsSection(ctx, id, canEdit) {
  const box = h('div', { id: 'teams' });
  // one page of the teams at a time (a task may have 13,000 units), filtered on the server
  const view = { page: 1, q: '', mine: ctx.me.role === 'inspector', open: ctx.query && ctx.query.open === '1' };
  const load = async () => {
    let teams, reply;
    try {
      reply = await api('GET', `/api/tasks/${encodeURIComponent(id)}/teams${qs({ page: view.page, per_page: TEAM_PAGE, q: view.q, mine: view.mine ? 1 : '', open: view.open ? 1 : '' })}`);
      teams = listOf(reply, 'teams');
    } catch (e) {
      teams = [];
      if (e.status !== 404 || !/接口/.test(e.message)) throw e;
      return msg('warn', `检查组接口尚不可用：${errorText(e)}`);
    }
    // Names from the directory; accounts (admin only) so that each member can log in.
    const [insp, users] = teams.length ? await Promise.all([
      api('GET', '/api/inspectors?per_page=500').then((r) => listOf(r, 'inspectors')).catch(() => []),
      ctx.me.role === 'admin' ? api('GET', '/api/users').then((r) => listOf(r, 'users')).catch(() => null) : null,
    ]) : [[], null];
    const names = new Map(insp.map((i) => [i.cert_no, i.name]));
    const account = users ? new Map(users.filter((u) => u.cert_no && u.active).map((u) => [u.cert_no, u.username])) : null;
    const member = (c) => {
      const cert = typeof c === 'object' ? c.cert_no : c;
      const nm = (typeof c === 'object' && c.name) || names.get(cert) || '';
      let acc = null;
      if (account) {
        acc = account.has(cert) ? h('span', { class: 'badge ok', title: '登录账户' }, account.get(cert))
          : h('a', { class: 'button small', href: `#/users?role=inspector&cert_no=${encodeURIComponent(cert)}&task=${encodeURIComponent(id)}`, 'data-cert': cert }, '开通账户');
      }
      return h('div', { class: 'member' }, nm ? `${nm} ` : '', h('code', null, cert), acc ? ' ' : null, acc);
    };
    const missing = account ? [...new Set(teams.flatMap((t) => t.inspectors || []))].filter((c) => !account.has(c)) : [];
    const teamV2 = reply.team_draw_algorithm === 'spotcheck-draw-v2';
    const drawn = !!reply.team_seed || teams.length > 0;
    const total = typeof reply.total === 'number' ? reply.total : teams.length;
    const pages = Math.max(1, Math.ceil(total / TEAM_PAGE));
    const reload = () => mount(box, loading(load));
    const filter = h('input', { type: 'search', id: 'teams-q', value: view.q, placeholder: '按信用代码或单位名称查找', 'aria-label': '查找检查组' });
    const mineBox = h('input', { type: 'checkbox', id: 'teams-mine', checked: view.mine });
    const openBox = h('input', { type: 'checkbox', id: 'teams-open', checked: view.open });
    const finder = drawn ? h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); view.q = filter.value.trim(); view.mine = mineBox.checked; view.open = openBox.checked; view.page = 1; reload(); } },
      filter, h('label', { for: 'teams-mine' }, mineBox, ' 只看我的'), h('label', { for: 'teams-open' }, openBox, ' 只看待委派'), h('button', { type: 'submit' }, '查找'),
      h('span', { class: 'muted', id: 'teams-info' }, `共 ${total} 个检查组${pages > 1 ? `，第 ${view.page} / ${pages} 页` : ''}`),
      view.page > 1 ? h('button', { type: 'button', id: 'teams-prev', onclick: () => { view.page -= 1; reload(); } }, '上一页') : null,
      view.page < pages ? h('button', { type: 'button', id: 'teams-next', onclick: () => { view.page += 1; reload(); } }, '下一页') : null,
      h('a', { class: 'button', href: `/api/tasks/${encodeURIComponent(id)}/teams?format=xlsx`, download: '', id: 'teams-export-xlsx' }, '导出全部检查组 Excel')) : null;
    const drawBtn = canEdit && !drawn ? actionButton('抽取检查组', async () => {
      const f = document.getElementById('f-teamdraw-witness');
      const b = document.getElementById('f-teamdraw-beacon');
      const body = { witness: f ? f.value : '' };
      if (teamV2) body.beacon = b ? b.value : '';
      await api('POST', `/api/tasks/${encodeURIComponent(id)}/teams`, body);
      const target = `#/tasks/${id}?at=teams`;
      if (location.hash !== target) location.hash = target;
      else ctx.rerender();
      return '已抽取';
    }, { class: 'primary', id: 'teams-draw', progress: '正在为每个抽中单位抽取检查组（单位较多时需要一些时间）…',
      confirm: '将为每个抽中单位从检查人员名录中随机抽取检查组，结果记录在案，不能重抽（个别人员可申请回避或替换）。确认抽取检查组？' }) : null;
    return h('div', null,
      !drawn ? h('div', null,
        h('p', { class: 'notice' }, '为每个被抽中的单位随机抽取检查人员（按规则 7.3 的名额和人员池，利害关系人回避）。请监督人在场输入见证文字后点击“抽取检查组”。'),
        teamV2 ? h('p', { class: 'notice' }, '抽取算法 v2：见证文字须与锁定时公布的承诺值相符；公开随机数来源：', h('span', { id: 'teamdraw-beacon-source' }, reply.team_beacon_source || '')) : null,
        h('div', { class: 'field' }, h('label', { for: 'f-teamdraw-witness' }, teamV2 ? '监督人见证文字（锁定时输入的原文）' : '监督人见证文字（如姓名和时间）'), h('input', { id: 'f-teamdraw-witness', type: 'text', placeholder: teamV2 ? '' : '例如：监督人 张某 2025-03-01 10:00' })),
        teamV2 ? h('div', { class: 'field' }, h('label', { for: 'f-teamdraw-beacon' }, '公开随机数的开奖值（按公布的原样输入）'), h('input', { id: 'f-teamdraw-beacon', type: 'text', placeholder: '例如：5 2 8' })) : null,
        drawBtn) : null,
      missing.length ? msg('warn', `还有 ${missing.length} 名检查组成员没有登录账户。请点击表中的“开通账户”为其创建账户，检查人员才能登录录入结果。`) : null,
      finder,
      table([
        { key: 'uscc', label: '被检查单位', render: (t) => h('span', null, t.name || t.unit_name || '', ' ', h('code', null, t.uscc)) },
        { key: 'inspectors', label: '检查人员（执法证号）', render: (t) => h('div', { class: 'members' }, (t.inspectors || []).map(member)) },
        { key: 'leader', label: '组长', render: (t) => (typeof t.leader === 'object' ? `${t.leader.name || ''} ${t.leader.cert_no}` : `${names.get(t.leader) || ''} ${t.leader || ''}`) },
        { key: 'method', label: '方式', render: (t) => (t.method === 'appointed' ? `直接委派：${t.reason || ''}` : '随机抽取') },
        { key: 'open', label: '待委派', render: (t) => (t.open ? h('div', { class: 'open-positions' },
          h('span', { class: 'badge warn' }, `缺 ${t.open} 名，待执行单位负责人委派`),
          ctx.me.role === 'head' && (t.exec_org_id == null || t.exec_org_id === ctx.me.org_id) ? appointAction(id, t, reload) : null) : '') },
      ], teams, { empty: drawn ? '没有符合条件的检查组' : '尚未抽取检查组' }),
      reply.team_commitment ? h('p', { class: 'notice' }, '检查组抽取承诺值：', h('code', { class: 'hash' }, reply.team_commitment), reply.team_witness ? `；监督人见证：${reply.team_witness}` : '') : null,
      (reply.conflicts || []).length ? details(`回避记录（${reply.conflicts.length}）`, table([{ key: 'uscc', label: '单位' }, { key: 'cert_no', label: '回避人员' }, { key: 'reason', label: '理由' }, { key: 'actor', label: '申请人', render: (x) => h('span', { class: 'username' }, x.actor || '') }, { key: 'at', label: '时间', render: (x) => fmtTime(x.at) },
        { key: 'status', label: '状态', render: (x) => ({ pending: '待批准', approved: '已批准', rejected: '已驳回' }[x.status] || x.status) },
        { key: 'replacement', label: '替补人员' },
        { key: 'op', label: '审批', render: (x) => (x.status === 'pending' && ctx.me.role === 'head' ? h('span', null,
          actionButton('批准', async () => { await api('POST', `/api/conflicts/${x.id}/approve`, {}); mount(box, loading(load)); return '已批准'; }, { class: 'primary', id: `conflict-approve-${x.id}`, confirm: '批准后该人员回避，并按原随机流为该单位重抽一名检查人员，记录在案。确认批准回避？' }),
          actionButton('驳回', async () => { await api('POST', `/api/conflicts/${x.id}/reject`, {}); mount(box, loading(load)); return '已驳回'; })) : x.status === 'pending' ? '待执行单位负责人批准' : (x.decided_by ? h('span', null, h('span', { class: 'username' }, x.decided_by), ` ${fmtTime(x.decided_at)}`) : '')) }], reply.conflicts)) : null,
      drawn ? teamChanges(ctx, id, teams, reply.replacements || [], canEdit, () => mount(box, loading(load))) : null);
  };
  mount(box, loading(async () => {
    const node = await load();
    if (ctx.query && ctx.query.at === 'teams') setTimeout(() => sec.scrollIntoView({ block: 'start' }), 0);
    return node;
  }));
  const sec = section('检查组（7.3）', box);
  sec.id = 'teams-section';
  return sec;
}

// 7.3 "不足的，由执行单位直接委派": the head of the unit's executing org names who fills an open
// position, from the candidates the rule accepts; the appointment is recorded and published with the
// org's name.
function appointAction(id, team, reload) {
  const key = `appoint-${team.uscc}`;
  const box = h('div', { class: 'reason-form', id: `${key}-form` });
  box.hidden = true;
  const path = `/api/tasks/${encodeURIComponent(id)}/teams/${encodeURIComponent(team.uscc)}`;
  const open = async () => {
    box.hidden = !box.hidden;
    if (box.hidden) return;
    mount(box, loading(async () => {
      const c = await api('GET', `${path}/candidates`);
      const ok = (c.candidates || []).filter((x) => x.ok).sort((a, b) => a.load - b.load || a.cert_no.localeCompare(b.cert_no));
      if (!ok.length) return msg('warn', '没有可以委派的人员：锁定时确定的检查人员池中，其他人员都已在本组或须回避。');
      const who = (x) => `${x.name || ''} ${x.cert_no}（${x.org_name || ''}${(x.expertise || []).length ? `，专长：${x.expertise.join('、')}` : ''}，本任务已承担 ${x.load} 户）`;
      const f = form([
        { name: 'cert_no', label: `委派人员（${c.slot_label || '名额'}）`, type: 'select', options: ok.map((x) => [x.cert_no, who(x)]), required: true, wide: true },
        { name: 'reason', label: '委派说明（可选）', wide: true },
      ], async (v) => {
        await api('POST', `${path}/appoint`, { cert_no: v.cert_no, slot: c.slot, reason: v.reason || '' });
        reload();
        return '已委派';
      }, {
        idPrefix: key, submitLabel: '委派',
        confirm: (v) => {
          const x = ok.find((y) => y.cert_no === v.cert_no);
          return `委派 ${x ? `${x.name || ''} ${x.cert_no}` : v.cert_no} 参加 ${team.unit_name || team.name || team.uscc} 的检查组。${x ? x.reason : ''}。委派记录在案，并以本单位名义在公告中公开，不能撤回（如需更换请走替换审批）。确认委派？`;
        },
      });
      return h('div', null, c.slot_reason ? h('p', { class: 'muted' }, c.slot_reason) : null, f.el);
    }));
  };
  return h('span', { class: 'action' }, h('button', { type: 'button', class: 'primary small', id: `${key}-open`, onclick: open }, '委派人员'), box);
}

function teamChanges(ctx, id, teams, reps, canEdit, reload) {
  const unitOpts = teams.map((t) => [t.uscc, t.uscc + (t.name || t.unit_name ? ` ${t.name || t.unit_name}` : '')]);
  const recusal = form([
    { name: 'uscc', label: '被检查单位', type: 'select', options: unitOpts, required: true },
    { name: 'cert_no', label: '回避人员执法证号', required: true },
    { name: 'reason', label: '回避理由（利害关系）', required: true, wide: true },
  ], async (v) => {
    await api('POST', '/api/conflicts', { task_id: Number(id), ...v });
    reload();
    return '已提交回避申请，经执行单位负责人批准后按原随机流重抽该名额';
  }, { idPrefix: 'recusal', submitLabel: '登记回避' });
  const allReasons = { ...REPLACEMENT_REASONS, ...(REPLACEMENT_OTHER.code ? { [REPLACEMENT_OTHER.code]: REPLACEMENT_OTHER.label } : {}) };
  const replace = form([
    { name: 'uscc', label: '被检查单位', type: 'select', options: unitOpts, required: true },
    { name: 'cert_no', label: '需替换人员执法证号', required: true },
    { name: 'reason_code', label: '替换原因', type: 'select', options: options(allReasons), required: true },
    { name: 'reason', label: '说明', required: true, wide: true },
  ], async (v) => {
    await api('POST', `/api/tasks/${encodeURIComponent(id)}/teams/${encodeURIComponent(v.uscc)}/replace`, { cert_no: v.cert_no, reason_code: v.reason_code, reason: v.reason });
    reload();
    return '已提交替换申请，待执行单位负责人批准';
  }, { idPrefix: 'replace', submitLabel: '申请替换' });
  const rp = (r) => `/api/tasks/${encodeURIComponent(id)}/teams/${encodeURIComponent(r.uscc)}/replace/${r.id}`;
  const approvals = table([
    { key: 'uscc', label: '单位' }, { key: 'cert_no', label: '被替换人员' },
    { key: 'reason', label: '理由', render: (r) => `${label(allReasons, r.reason_code)}：${r.reason || ''}${r.rule_reason ? `（规则：${r.rule_reason}）` : ''}` },
    { key: 'status', label: '状态', render: (r) => ({ pending: '待批准', approved: '已批准', rejected: '已驳回' }[r.status] || r.status) },
    { key: 'replacement', label: '替补人员' },
    {
      key: 'op', label: '审批', render: (r) => (r.status === 'pending' && ctx.me.role === 'head' ? h('span', null,
        r.reason_code === REPLACEMENT_OTHER.code
          ? reasonAction('批准', '批准理由（其他原因须由负责人书面说明）', async (reason) => { await api('POST', `${rp(r)}/approve`, { reason }); reload(); return '已批准'; }, { class: 'primary', id: `replace-approve-${r.id}` })
          : actionButton('批准', async () => { await api('POST', `${rp(r)}/approve`, {}); reload(); return '已批准'; }, { class: 'primary', id: `replace-approve-${r.id}`, confirm: `批准后 ${r.cert_no || ''} 退出该单位的检查组，由随机抽取的人员替换，记录在案。确认批准替换？` }),
        actionButton('驳回', async () => { await api('POST', `${rp(r)}/reject`, {}); reload(); return '已驳回'; })) : r.status === 'pending' ? '待执行单位负责人批准' : (r.decided_by ? h('span', null, h('span', { class: 'username' }, r.decided_by), ` ${fmtTime(r.decided_at)}`) : '')),
    },
  ], reps, { empty: '没有替换申请' });
  // a head with replacements waiting for approval sees them without opening anything
  const waiting = ctx.me.role === 'head' && reps.some((r) => r.status === 'pending');
  const approvalsBox = details(waiting ? `替换申请与审批（待批准 ${reps.filter((r) => r.status === 'pending').length}）` : '替换申请与审批', approvals);
  approvalsBox.id = 'replace-approvals';
  approvalsBox.open = waiting;
  if (!canEdit) return approvalsBox;
  return h('div', null, details('回避（利害冲突）', recusal.el), details(`替换检查人员（${Object.values(REPLACEMENT_REASONS).join('、')}等，须批准）`, replace.el), approvalsBox);
}
