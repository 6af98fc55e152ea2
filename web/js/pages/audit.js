// Audit trail (全过程留痕): filters, paging by id, chain verification.
import { api, h, mount, msg, table, section, form, fmtTime, qs, actionButton, errorText } from '../ui.js';
import { AUDIT_ACTIONS, FIELD_LABELS, OBJECT_KIND_OPTIONS, ROLES, RULE_TITLES, objectLink } from '../labels.js';

// An actor in words: the system's own entries, an online filing by a unit, or a user's account name.
const actorText = (a) => (a === 'system' ? '系统' : a === 'anonymous' ? '匿名访问' : /^online:/.test(a || '') ? `网上提出（单位 ${a.slice(7)}）` : h('span', { class: 'username' }, a));

// An entry's details: each known field in words, the record itself (for auditors) as JSON.
function detailsView(d) {
  if (!d || typeof d !== 'object') return '';
  const known = Object.entries(d).filter(([k, v]) => FIELD_LABELS[k] && (typeof v !== 'object' || v === null));
  const word = (k, v) => (v === null || v === '' ? '无' : v === true ? '是' : v === false ? '否' : k === 'role' ? ROLES[v] || v
    : k === 'name' && RULE_TITLES[v] ? RULE_TITLES[v] : v);
  const part = ([k, v]) => (typeof v === 'string' && /^[0-9a-f]{32,}$/.test(v) ? [`${FIELD_LABELS[k]}：`, h('code', null, v.slice(0, 12))] : [`${FIELD_LABELS[k]}：${word(k, v)}`]);
  const shown = known.slice(0, 2).flatMap((x, i) => (i ? ['；', ...part(x)] : part(x)));
  return h('details', null, h('summary', null, ...(shown.length ? shown : ['详情'])),
    h('code', { class: 'json' }, JSON.stringify(d)));
}

export async function render(ctx) {
  const q = ctx.query;
  const list = h('div', { id: 'audit-list' });
  const verifyBox = h('div', { id: 'audit-verify' });
  const f = form([
    { name: 'action', label: '操作', type: 'select', options: [['', '（全部）'], ...Object.entries(AUDIT_ACTIONS)], value: q.action || '' },
    { name: 'object_kind', label: '对象类别', type: 'select', options: [['', '（全部）'], ...OBJECT_KIND_OPTIONS], value: (q.object || '').split(':')[0] || '' },
    { name: 'object_id', label: '对象编号', value: (q.object || '').split(':').slice(1).join(':') },
    { name: 'actor', label: '操作人', value: q.actor || '' },
    { name: 'from', label: '自（日期）', type: 'date', value: q.from || '' },
    { name: 'to', label: '至（日期）', type: 'date', value: q.to || '' },
    { name: 'limit', label: '每页条数', type: 'number', value: q.limit || 100 },
  ], async (v) => {
    const { object_kind: kind, object_id: oid, ...rest } = v;
    location.hash = `#/audit${qs({ ...rest, object: kind && oid ? `${kind}:${oid.trim()}` : '' })}`;
  }, { submitLabel: '查询', idPrefix: 'audit', class: 'toolbar-form' });

  async function load(before) {
    const params = { action: q.action, object: q.object, actor: q.actor, from: q.from, to: q.to, limit: q.limit || 100, before };
    const r = await api('GET', `/api/audit${qs(params)}`);
    const rows = r.records || [];
    mount(list, table([
      { key: 'id', label: '序号' },
      { key: 'at', label: '时间', render: (x) => fmtTime(x.at) },
      { key: 'actor', label: '操作人', render: (x) => actorText(x.actor) },
      { key: 'action', label: '操作', render: (x) => h('span', { title: x.action }, AUDIT_ACTIONS[x.action] || x.action) },
      { key: 'object', label: '对象', render: (x) => objectLink(x.object) },
      { key: 'details', label: '详情', render: (x) => detailsView(x.details) },
      { key: 'hash', label: '链散列', render: (x) => h('code', { title: x.hash }, (x.hash || '').slice(0, 10)) },
    ], rows, { empty: '没有符合条件的记录' }),
    h('div', { class: 'pager' },
      before ? h('a', { class: 'button', href: '#', onclick: (e) => { e.preventDefault(); load(undefined).catch(show); } }, '最新') : null,
      rows.length >= Number(params.limit) ? h('button', { type: 'button', onclick: () => load(rows[rows.length - 1].id).catch(show) }, '更早的记录') : null));
  }
  const show = (e) => mount(list, msg('error', errorText(e)));
  load().catch(show);

  return h('div', null,
    h('h1', null, '操作留痕'),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: `/api/audit${qs({ action: q.action, object: q.object, actor: q.actor, from: q.from, to: q.to, format: 'xlsx' })}`, download: '', id: 'audit-export-xlsx' }, '按当前条件导出 Excel（最多 50,000 条）')),
    section('哈希链校验',
      h('p', { class: 'notice' }, '每条记录包含前一条记录的散列；任何记录被改动或删除都会使校验失败，并指出第一条断开的记录。'),
      actionButton('校验全部记录', async () => {
        const r = await api('GET', '/api/audit/verify');
        mount(verifyBox, r.ok
          ? msg('ok', `校验通过：共 ${r.checked} 条记录，哈希链完整。`)
          : msg('error', `校验失败：第 ${r.first_broken} 条记录处链条断开。${r.message || ''}（已检查 ${r.checked} 条）`));
        return null;
      }, { id: 'audit-verify-btn' }), verifyBox),
    section('查询', f.el),
    section('记录', list));
}
