// 责任追究 (clauses 10.1, 10.2): open situations flagged by accountability.lua with their reasons,
// and the recorded exemptions.
import { api, h, table, section, listOf, form, details } from '../ui.js';
import { ACCOUNTABILITY_KINDS as KIND, EXEMPTION_REASONS, options, objectText, objectHref, label } from '../labels.js';

// The object in words, a link to its page where it has one.
const objectCell = (o, x) => { const href = objectHref(o, x); return href ? h('a', { href, class: 'object-link' }, objectText(o)) : objectText(o); };

export async function render(ctx) {
  const r = await api('GET', '/api/accountability');
  const open = listOf(r, 'situations', 'open', 'items');
  const exemptions = (r && r.exemptions) || [];
  const canRecord = ['admin', 'head'].includes(ctx.me.role);
  const f = form([
    { name: 'situation', label: '情形', type: 'select', options: open.map((x) => [`${x.kind}|${x.object}`, `${KIND[x.kind] || x.kind} ${objectText(x.object)}`]) },
    { name: 'code', label: '免责情形（10.2，由责任追究规则审核）', type: 'select', options: options(EXEMPTION_REASONS) },
    { name: 'reason', label: '说明', type: 'textarea', required: true },
  ], async (v) => {
    const [kind, object] = String(v.situation || '').split('|');
    await api('POST', '/api/accountability/exemptions', { kind, object, code: v.code, reason: v.reason });
    setTimeout(() => ctx.rerender(), 800);
    return '已记录';
  }, { idPrefix: 'exempt', submitLabel: '记录免责' });
  return h('div', null,
    h('h1', null, '责任追究'),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: '/api/accountability?format=xlsx', download: '', id: 'accountability-export-xlsx' }, '导出 Excel')),
    h('p', { class: 'notice' }, '由责任追究规则根据当前数据标出 10.1 所列情形：未按要求检查、未及时公示、涉嫌犯罪未移送、拖延任务等。'),
    section(`待处理情形（${open.length}）`, table([
      { key: 'kind', label: '情形', render: (x) => KIND[x.kind] || x.kind },
      { key: 'object', label: '对象', render: (x) => objectCell(x.object, x) },
      { key: 'reason', label: '规则理由' },
      { key: 'clause', label: '条款' },
      { key: 'level', label: '等级', render: (x) => h('span', { class: `badge ${x.level}` }, x.level === 'red' ? '已逾期' : '临近期限') },
      { key: 'exempted', label: '免责', render: (x) => (x.exempted ? `已免责（${x.exemption.code}）` : '') },
    ], open, { empty: '没有待处理的情形', rowClass: (x) => (x.exempted ? null : x.level === 'red' ? 'warn-red' : 'warn-yellow') })),
    exemptions.length ? section('已记录的免责', table([{ key: 'kind', label: '情形', render: (x) => KIND[x.kind] || x.kind }, { key: 'object', label: '对象', render: (x) => objectCell(x.object) }, { key: 'code', label: '免责情形', render: (x) => label(EXEMPTION_REASONS, x.code) }, { key: 'rule_reason', label: '规则理由' }, { key: 'reason', label: '说明' }, { key: 'actor', label: '记录人' }], exemptions)) : null,
    canRecord && open.length ? details('记录免责情形（10.2）', f.el) : null);
}
