// 抽查事项清单 (clause 5.1.1): items with checkpoints (检查要点); every change needs a reason and is
// published as an adjustment.
import { api, h, mount, msg, table, section, form, fmtTime, listOf, details } from '../ui.js';
import { FIELD_LABELS, INDUSTRIES } from '../labels.js';

// 5.1.1: the industries an item applies to (names from the rules; none chosen: every industry)
const industriesField = (value) => ({ name: 'industries', label: '适用行业（不选则适用于所有行业，可多选）', type: 'checks',
  wide: true, options: INDUSTRIES.map((n) => [n, n]), value });

const ITEM_FIELDS = [
  { name: 'name', label: '抽查事项', required: true, wide: true },
  { name: 'target', label: '检查对象' },
  { name: 'category', label: '事项类别' },
  { name: 'method', label: '检查方式' },
  { name: 'department', label: '检查部门' },
  { name: 'level', label: '实施层级' },
  { name: 'basis', label: '检查依据', type: 'textarea' },
];

export async function render(ctx) {
  const id = ctx.parts[1];
  if (id) return itemPage(ctx, id);
  const items = listOf(await api('GET', '/api/items'), 'items');
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const create = form([...ITEM_FIELDS, industriesField(), { name: 'checkpoints', label: '检查要点（每行一项）', type: 'list', rows: 5 },
    { name: 'reason', label: '新增理由（公开）', required: true, wide: true }], async (v) => {
    v.checkpoints = v.checkpoints.map((t) => t);
    const r = await api('POST', '/api/items', v);
    setTimeout(() => { location.hash = `#/items/${r.id}`; }, 600);
    return '已新增抽查事项';
  }, { idPrefix: 'newitem', submitLabel: '新增事项', draft: 'item-new' });
  return h('div', null,
    h('h1', null, '抽查事项清单'),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: '/api/items?format=xlsx', download: '', id: 'items-export-xlsx' }, '导出 Excel')),
    section(null, table([
      { key: 'id', label: '序号' },
      { key: 'name', label: '抽查事项', render: (i) => h('a', { href: `#/items/${i.id}` }, i.name) },
      { key: 'target', label: '检查对象' },
      { key: 'category', label: '事项类别' },
      { key: 'method', label: '检查方式' },
      { key: 'department', label: '检查部门' },
      { key: 'level', label: '实施层级' },
      { key: 'industries', label: '适用行业', render: (i) => ((i.industries || []).length ? i.industries.join('、') : '所有行业') },
      { key: 'checkpoints', label: '检查要点', render: (i) => `${(i.checkpoints || []).length} 项` },
      { key: 'active', label: '状态', render: (i) => h('span', { class: `badge ${i.active === false || i.active === 0 ? 'bad' : 'ok'}` }, i.active === false || i.active === 0 ? '已停用' : '有效') },
    ], items, { onRow: (i) => { location.hash = `#/items/${i.id}`; } })),
    canEdit ? details('新增抽查事项', create.el) : null);
}

async function itemPage(ctx, id) {
  const item = await api('GET', `/api/items/${encodeURIComponent(id)}`);
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const cps = item.checkpoints || [];
  const f = form([
    ...ITEM_FIELDS.map((x) => ({ ...x, value: item[x.name] })),
    industriesField(item.industries || []),
    { name: 'checkpoints', label: '检查要点（每行一项；保持行内容可保留原要点的记录）', type: 'list', rows: Math.max(4, cps.length + 1), value: cps.map((c) => (typeof c === 'string' ? c : c.text)) },
    { name: 'active', label: '有效', type: 'checkbox', value: item.active !== false && item.active !== 0 },
    { name: 'reason', label: '调整理由（必填，将随调整一并公开）', required: true, wide: true, placeholder: '例如：依据新修订的《危险化学品安全管理条例》增加检查要点' },
  ], async (v) => {
    // Keep the ids of unchanged checkpoint texts so that recorded results still point to them.
    const byText = new Map(cps.filter((c) => typeof c === 'object').map((c) => [c.text, c.id]));
    v.checkpoints = v.checkpoints.map((t) => (byText.has(t) ? { id: byText.get(t), text: t } : { text: t }));
    await api('PUT', `/api/items/${encodeURIComponent(id)}`, v);
    setTimeout(() => ctx.rerender(), 900);
    return '已保存调整，调整记录将在公开平台公布';
  }, { idPrefix: 'item', submitLabel: '保存调整' });
  const adj = item.adjustments || [];
  return h('div', null,
    h('h1', null, `抽查事项：${item.name}`),
    h('p', null, h('a', { href: '#/items' }, '← 返回事项清单')),
    section('检查要点', cps.length ? h('ol', { id: 'checkpoints' }, cps.map((c) => h('li', null, typeof c === 'string' ? c : c.text))) : h('p', { class: 'empty' }, '尚无检查要点')),
    canEdit ? section('调整事项', f.el) : null,
    section('调整记录（公开）', table([
      { key: 'date', label: '日期', render: (a) => a.date || fmtTime(a.at) },
      { key: 'kind', label: '类型', render: (a) => ({ create: '新增', update: '调整', deactivate: '停用' }[a.kind] || a.kind) },
      { key: 'reason', label: '理由' },
      { key: 'actor', label: '操作人', render: (x) => (x.actor === 'system' ? '系统' : h('span', { class: 'username' }, x.actor || '')) },
      { key: 'changes', label: '变更', render: (a) => changesText(a.changes) },
    ], adj, { empty: '尚无调整' })));
}

export function changesText(c) {
  let ch = c;
  if (typeof ch === 'string') {
    try { ch = JSON.parse(ch); } catch (e) { return ch; }
  }
  if (!ch || typeof ch !== 'object') return '';
  return h('ul', { class: 'changes' }, Object.entries(ch).map(([k, v]) => {
    const show = (x) => (Array.isArray(x) ? x.map((y) => (typeof y === 'object' && y ? y.text ?? JSON.stringify(y) : y)).join('；') : x === null || x === undefined || x === '' ? '（空）' : typeof x === 'boolean' ? (x ? '是' : '否') : String(x));
    return h('li', null, `${({ checkpoints: '检查要点' })[k] || FIELD_LABELS[k] || k}：`, Array.isArray(v) && v.length === 2 ? `${show(v[0])} → ${show(v[1])}` : show(v));
  }));
}
