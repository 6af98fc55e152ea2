// 异议处理 (clause 9.2): objections are reviewed within 20 working days of receipt and the feedback
// is given within 15 working days of the decision (deadlines from deadlines.lua, with warnings).
import { api, h, table, section, form, listOf, details, actionButton, fmtTime } from '../ui.js';
import { OBJ_STATUS, WARNING, label } from '../labels.js';

export async function render(ctx) {
  const list = listOf(await api('GET', '/api/objections'), 'objections');
  const create = form([
    { name: 'result_id', label: '针对的检查结果编号', type: 'number', required: true },
    { name: 'applicant', label: '异议人', required: true },
    { name: 'received_at', label: '收到日期', type: 'date', required: true },
    { name: 'content', label: '异议内容', type: 'textarea', required: true },
  ], async (v) => {
    await api('POST', '/api/objections', v);
    setTimeout(() => ctx.rerender(), 800);
    return '已登记';
  }, { idPrefix: 'obj', submitLabel: '登记异议' });
  return h('div', null,
    h('h1', null, '异议处理'),
    section(null, table([
      { key: 'id', label: '编号' },
      { key: 'result_id', label: '检查结果' },
      { key: 'applicant', label: '异议人' },
      { key: 'received_at', label: '收到日期' },
      { key: 'review_due', label: '复核期限', render: (o) => h('span', { class: `badge ${o.review_warning || o.warning || ''}` }, o.review_due || o.deadline || '') },
      { key: 'feedback_due', label: '反馈期限', render: (o) => (o.feedback_due ? h('span', { class: `badge ${o.feedback_warning || ''}` }, o.feedback_due) : '') },
      { key: 'status', label: '状态', render: (o) => label(OBJ_STATUS, o.status) },
      {
        key: 'op', label: '决定', render: (o) => (/received|open|pending/.test(o.status || 'open') && ['admin', 'head'].includes(ctx.me.role) ? h('span', null,
          actionButton('维持原结果', async () => decide(o, 'upheld')), actionButton('变更结果', async () => decide(o, 'changed'))) : (o.decision || '')),
      },
    ], list, { empty: '没有异议', rowClass: (o) => (/red/.test(o.review_warning || o.warning || '') ? 'warn-red' : /yellow/.test(o.review_warning || o.warning || '') ? 'warn-yellow' : null) })),
    details('登记新的异议', create.el));

  async function decide(o, decision) {
    const reason = window.prompt('决定理由');
    if (!reason) return null;
    await api('POST', `/api/objections/${o.id}/decide`, { decision, reason });
    setTimeout(() => ctx.rerender(), 800);
    return '已决定';
  }
}
