// 责任追究 (clauses 10.1, 10.2): open situations flagged by accountability.lua with their reasons,
// and the recorded exemptions.
import { api, h, table, section, listOf, form, details } from '../ui.js';

export async function render(ctx) {
  const r = await api('GET', '/api/accountability');
  const open = listOf(r, 'situations', 'open', 'items');
  const exemptions = (r && r.exemptions) || [];
  const canRecord = ['admin', 'head'].includes(ctx.me.role);
  const f = form([
    { name: 'situation_id', label: '情形编号', required: true },
    { name: 'exemption', label: '免责情形（10.2）', type: 'select', options: [['plan', '已按计划履职'], ['technical', '技术条件限制'], ['unrelated', '事故与检查无关'], ['false_report', '第三方虚假报告'], ['other', '其他']] },
    { name: 'reason', label: '说明', type: 'textarea', required: true },
  ], async (v) => {
    await api('POST', '/api/accountability/exemptions', v);
    setTimeout(() => ctx.rerender(), 800);
    return '已记录';
  }, { idPrefix: 'exempt', submitLabel: '记录免责' });
  return h('div', null,
    h('h1', null, '责任追究'),
    h('p', { class: 'notice' }, '由规则 accountability.lua 根据当前数据标出 10.1 所列情形：未按要求检查、未及时公示、涉嫌犯罪未移送、拖延任务等。'),
    section(`待处理情形（${open.length}）`, table([
      { key: 'kind', label: '情形', render: (x) => x.label || x.kind || x.type },
      { key: 'object', label: '对象', render: (x) => x.object || (x.task_id ? `任务 ${x.task_id}` : '') + (x.uscc ? ` ${x.uscc}` : '') },
      { key: 'reason', label: '规则理由' },
      { key: 'clause', label: '条款' },
      { key: 'since', label: '起始', render: (x) => x.since || x.due || '' },
    ], open, { empty: '没有待处理的情形', rowClass: () => 'warn-red' })),
    exemptions.length ? section('已记录的免责', table([{ key: 'situation_id', label: '情形' }, { key: 'exemption', label: '免责情形' }, { key: 'reason', label: '说明' }, { key: 'actor', label: '记录人' }], exemptions)) : null,
    canRecord ? details('记录免责情形（10.2）', f.el) : null);
}
