// 责任追究 (clauses 10.1, 10.2): open situations flagged by accountability.lua with their reasons,
// and the recorded exemptions.
import { api, h, table, section, listOf, form, details, reasonAction, fmtTime } from '../ui.js';
import { ACCOUNTABILITY_KINDS as KIND, EXEMPTION_REASONS, OBJECT_KIND_OPTIONS, options, objectText, objectLink, label } from '../labels.js';

// What a recorded situation may concern (its object is kind:编号).
const RECORD_KINDS = ['task', 'result', 'objection', 'enterprise', 'inspector'];
const OBJECT_KIND_LABELS = Object.fromEntries(OBJECT_KIND_OPTIONS);


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
  // 10.1（五）其他：规则看不出、由工作人员登记的情形
  const records = (r && r.records) || [];
  const mayRecord = ['admin', 'head', 'auditor'].includes(ctx.me.role);
  const mayClose = ['admin', 'head'].includes(ctx.me.role);
  const recordForm = form([
    { name: 'kind', label: '涉及（可选）', type: 'select', options: [['', '不指定'], ...RECORD_KINDS.map((k) => [k, OBJECT_KIND_LABELS[k]])] },
    { name: 'ref', label: '编号', type: 'number' },
    { name: 'reason', label: '情形说明', type: 'textarea', required: true, wide: true },
  ], async (v) => {
    const object = v.kind && v.ref ? `${v.kind}:${v.ref}` : '';
    await api('POST', '/api/accountability/situations', { object, reason: v.reason.trim() });
    setTimeout(() => ctx.rerender(), 800);
    return '已登记';
  }, { idPrefix: 'acc-record', submitLabel: '登记情形', draft: 'accountability-record',
    confirm: (v) => `将登记一项责任追究情形（第10.1条第五项“其他”），在办结之前一直列为待处理情形，并记入操作留痕：${v.reason}` });
  const recordsSection = records.length ? section('登记的其他情形（第10.1条第五项）', table([
    { key: 'id', label: '编号' },
    { key: 'object', label: '涉及', render: (x) => (x.object ? objectLink(x.object) : '') },
    { key: 'reason', label: '情形说明' },
    { key: 'actor', label: '登记人、时间', render: (x) => `${x.actor || ''} ${fmtTime(x.at)}` },
    {
      key: 'closed', label: '办结', render: (x) => (x.closed_at ? `${x.closed_by || ''} ${fmtTime(x.closed_at)}：${x.close_reason || ''}`
        : (mayClose ? reasonAction('办结', '处理结果', async (reason) => {
          await api('POST', `/api/accountability/situations/${x.id}/close`, { reason });
          setTimeout(() => ctx.rerender(), 800);
          return '已办结';
        }, { id: `record-close-${x.id}`, class: 'small' }) : '未办结')),
    },
  ], records, { rowClass: (x) => (x.closed_at ? null : 'warn-red') })) : null;
  return h('div', null,
    h('h1', null, '责任追究'),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: '/api/accountability?format=xlsx', download: '', id: 'accountability-export-xlsx' }, '导出 Excel')),
    h('p', { class: 'notice' }, '由责任追究规则根据当前数据标出 10.1 所列情形：未按要求检查、未及时公示、涉嫌犯罪未移送、拖延任务等。'),
    section(`待处理情形（${open.length}）`, table([
      { key: 'kind', label: '情形', render: (x) => KIND[x.kind] || x.kind },
      { key: 'object', label: '对象', render: (x) => objectLink(x.object, x) },
      { key: 'reason', label: '规则理由' },
      { key: 'clause', label: '条款' },
      { key: 'level', label: '等级', render: (x) => h('span', { class: `badge ${x.level}` }, x.kind === 'other' ? '待处理' : x.level === 'red' ? '已逾期' : '临近期限') },
      { key: 'exempted', label: '免责', render: (x) => (x.exempted ? `已免责（${x.exemption.code}）` : '') },
    ], open, { empty: '没有待处理的情形', rowClass: (x) => (x.exempted ? null : x.level === 'red' ? 'warn-red' : 'warn-yellow') })),
    exemptions.length ? section('已记录的免责', table([{ key: 'kind', label: '情形', render: (x) => KIND[x.kind] || x.kind }, { key: 'object', label: '对象', render: (x) => objectLink(x.object) }, { key: 'code', label: '免责情形', render: (x) => label(EXEMPTION_REASONS, x.code) }, { key: 'rule_reason', label: '规则理由' }, { key: 'reason', label: '说明' }, { key: 'actor', label: '记录人' }], exemptions)) : null,
    recordsSection,
    mayRecord ? details('登记其他情形（第10.1条第五项）', recordForm.el) : null,
    canRecord && open.length ? details('记录免责情形（10.2）', f.el) : null);
}
