// 异议处理 (clause 9.2): objections are reviewed within 20 working days of receipt and the feedback
// is given within 15 working days of the decision (deadlines from deadlines.lua, with warnings).
import { api, h, table, section, form, listOf, details, actionButton, fmtTime } from '../ui.js';
import { OBJ_STATUS, WARNING, label } from '../labels.js';

const DECISION = { upheld: '异议成立', rejected: '异议不成立' };

export async function render(ctx) {
  const list = listOf(await api('GET', '/api/objections'), 'objections');
  const create = form([
    { name: 'result_id', label: '针对的检查结果编号', type: 'number', required: true },
    { name: 'applicant', label: '异议人', required: true },
    { name: 'received', label: '收到日期', type: 'date', required: true },
    { name: 'text', label: '异议内容', type: 'textarea', required: true },
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
      { key: 'received', label: '收到日期' },
      { key: 'review_due', label: '复核期限', render: (o) => h('span', { class: `badge ${o.review_warning || ''}`, title: (o.deadlines && o.deadlines.review && o.deadlines.review.reason) || '' }, o.review_due || '') },
      { key: 'feedback_due', label: '反馈期限', render: (o) => (o.feedback_due ? h('span', { class: `badge ${o.feedback_warning || ''}`, title: (o.deadlines && o.deadlines.feedback && o.deadlines.feedback.reason) || '' }, o.feedback_due) : '') },
      { key: 'status', label: '状态', render: (o) => label(OBJ_STATUS, o.status) },
      {
        key: 'op', label: '决定', render: (o) => {
          if (o.status === 'received' && ctx.me.role === 'head') {
            return h('span', null, actionButton('异议成立（更正结果）', async () => decide(o, 'upheld')), actionButton('异议不成立（维持原结果）', async () => decide(o, 'rejected')));
          }
          const d = o.decision ? `${DECISION[o.decision] || o.decision}${o.decision_reason ? `：${o.decision_reason}` : ''}` : '';
          if (o.status === 'decided' && ['admin', 'planner', 'head'].includes(ctx.me.role)) return h('span', null, d, ' ', actionButton('登记已反馈', async () => feedback(o)));
          return d + (o.feedback_sent ? `（${o.feedback_sent} 已反馈）` : '');
        },
      },
    ], list, { empty: '没有异议', rowClass: (o) => { const w = o.status === 'decided' ? o.feedback_warning : o.review_warning; return w === 'red' ? 'warn-red' : w === 'yellow' ? 'warn-yellow' : null; } })),
    details('登记新的异议', create.el));

  async function decide(o, decision) {
    const reason = window.prompt('决定理由');
    if (!reason) return null;
    await api('POST', `/api/objections/${o.id}/decide`, { decision, reason });
    setTimeout(() => ctx.rerender(), 800);
    return decision === 'upheld' ? '已决定：已生成待负责人批准的更正' : '已决定';
  }

  async function feedback(o) {
    const sent = window.prompt('反馈日期（YYYY-MM-DD）', new Date().toISOString().slice(0, 10));
    if (!sent) return null;
    await api('POST', `/api/objections/${o.id}/feedback`, { sent });
    setTimeout(() => ctx.rerender(), 800);
    return '已登记反馈';
  }
}
