// 异议处理 (clause 9.2): objections are reviewed within 20 working days of receipt and the feedback
// is given within 15 working days of the decision (deadlines from deadlines.lua, with warnings).
// The list links each objection to its page (#/objections/{id}), where a head records the decision
// (异议成立/不成立, reason, decision date) and staff record the feedback date, in inline forms that
// show the server's message next to the field it concerns and keep what was typed.
import { api, h, table, section, form, listOf, details, kv, msg, qs, pager, bureauToday } from '../ui.js';
import { OBJ_STATUS, RESULT_CATEGORIES, label } from '../labels.js';

const DECISION = { upheld: '异议成立', rejected: '异议不成立' };
const today = bureauToday;

// Names the form field a server error concerns (error code -> field), so that form() shows the
// message next to it.
function onField(e, byCode) {
  if (e && e.body && !e.body.field && byCode[e.code]) e.body.field = byCode[e.code];
  return e;
}

export async function render(ctx) {
  if (ctx.parts[1]) return objectionPage(ctx, ctx.parts[1]);
  // One page of the list, filtered on the server (#/objections?status=&q=&page=)
  const PER = 50;
  const q = { status: ctx.query.status || '', q: ctx.query.q || '', page: Number(ctx.query.page) || 1 };
  const reply = await api('GET', `/api/objections${qs({ ...q, per_page: PER })}`);
  const list = listOf(reply, 'objections');
  const go = (page) => { location.hash = `#/objections${qs({ ...q, page })}`; };
  const filter = form([
    { name: 'status', label: '状态', type: 'select', value: q.status, options: [['', '全部'], ...['received', 'decided', 'closed'].map((k) => [k, OBJ_STATUS[k]])] },
    { name: 'q', label: '单位名称、信用代码或异议人', value: q.q },
  ], async (v) => { location.hash = `#/objections${qs({ ...v, page: 1 })}`; },
  { submitLabel: '查询', idPrefix: 'obj-filter', extraButtons: h('a', { class: 'button', href: '#/objections' }, '清空条件') });
  const create = form([
    { name: 'result_id', label: '针对的检查结果编号', type: 'number', required: true },
    { name: 'applicant', label: '异议人', required: true },
    { name: 'received', label: '收到日期', type: 'date', required: true },
    { name: 'text', label: '异议内容', type: 'textarea', required: true },
  ], async (v) => {
    try {
      await api('POST', '/api/objections', v);
    } catch (e) {
      throw onField(e, { bad_date: 'received', unknown_result: 'result_id', not_published: 'result_id' });
    }
    setTimeout(() => ctx.rerender(), 800);
    return '已登记';
  }, { idPrefix: 'obj', submitLabel: '登记异议', draft: 'objection-new' });
  const isHead = ctx.me.role === 'head';
  const mayFeedback = ['admin', 'planner', 'head'].includes(ctx.me.role);
  return h('div', null,
    h('h1', null, '异议处理'),
    section('筛选', filter.el),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: `/api/objections${qs({ status: q.status, q: q.q, format: 'xlsx' })}`, download: '', id: 'objections-export-xlsx' }, '按当前条件导出 Excel')),
    section(null, table([
      { key: 'id', label: '编号', render: (o) => h('a', { href: `#/objections/${o.id}` }, String(o.id)) },
      { key: 'result_id', label: '检查结果', render: (o) => (o.task_id && o.uscc ? h('a', { href: `#/results/${o.task_id}/${encodeURIComponent(o.uscc)}` }, `${o.result_id}（${o.uscc}）`) : o.result_id) },
      { key: 'applicant', label: '异议人', render: (o) => `${o.applicant || ''}${o.source === 'online' ? '（网上）' : ''}` },
      { key: 'received', label: '收到日期' },
      { key: 'review_due', label: '复核期限', render: (o) => h('span', { class: `badge ${o.review_warning || ''}`, title: (o.deadlines && o.deadlines.review && o.deadlines.review.reason) || '' }, o.review_due || '') },
      { key: 'feedback_due', label: '反馈期限', render: (o) => (o.feedback_due ? h('span', { class: `badge ${o.feedback_warning || ''}`, title: (o.deadlines && o.deadlines.feedback && o.deadlines.feedback.reason) || '' }, o.feedback_due) : '') },
      { key: 'status', label: '状态', render: (o) => label(OBJ_STATUS, o.status) },
      {
        key: 'op', label: '决定', render: (o) => {
          if (o.status === 'received' && isHead) return h('a', { class: 'button small primary', href: `#/objections/${o.id}`, 'data-decide': o.id }, '作出复核决定');
          const d = o.decision ? `${DECISION[o.decision] || o.decision}${o.decision_reason ? `：${o.decision_reason}` : ''}` : '';
          if (o.status === 'decided' && mayFeedback) return h('span', null, d, ' ', h('a', { class: 'button small', href: `#/objections/${o.id}`, 'data-feedback': o.id }, '登记反馈'));
          return d + (o.feedback_sent ? `（${o.feedback_sent} 已反馈）` : '');
        },
      },
    ], list, { empty: q.status || q.q ? '没有符合条件的异议' : '没有异议', onRow: (o) => { location.hash = `#/objections/${o.id}`; }, rowClass: (o) => { const w = o.status === 'decided' ? o.feedback_warning : o.review_warning; return w === 'red' ? 'warn-red' : w === 'yellow' ? 'warn-yellow' : null; } }),
    reply.total > PER ? pager(q.page, PER, reply.total, go) : null),
    details('登记新的异议', create.el));
}

async function objectionPage(ctx, id) {
  const o = await api('GET', `/api/objections/${encodeURIComponent(id)}`);
  const isHead = ctx.me.role === 'head';
  const mayFeedback = ['admin', 'planner', 'head'].includes(ctx.me.role);
  const dl = o.deadlines || {};
  const info = kv({
    编号: o.id,
    检查结果: o.task_id && o.uscc ? h('a', { href: `#/results/${o.task_id}/${encodeURIComponent(o.uscc)}`, id: 'objection-result' }, `${o.result_id}（${o.uscc}）`) : o.result_id,
    异议人: o.applicant, 提出方式: o.source === 'online' ? '被检查单位网上提出（凭异议查询码）' : '书面提出（工作人员登记）',
    联系电话: o.contact || '', 收到日期: o.received, 异议内容: o.text,
    附件: (o.attachments || []).length ? h('ul', { id: 'objection-files' }, o.attachments.map((a) => h('li', null,
      h('a', { href: `/api/attachments/${a.id}` }, a.name), h('span', { class: 'muted' }, `　SHA-256 ${String(a.sha256).slice(0, 16)}…`)))) : '无',
    状态: label(OBJ_STATUS, o.status),
    复核期限: o.review_due ? `${o.review_due}${dl.review && dl.review.reason ? `（${dl.review.reason}）` : ''}` : '',
    复核决定: o.decision ? `${DECISION[o.decision] || o.decision}：${o.decision_reason || ''}（${o.decided_by || ''}，${o.decided || ''}）` : '尚未决定',
    反馈期限: o.feedback_due ? `${o.feedback_due}${dl.feedback && dl.feedback.reason ? `（${dl.feedback.reason}）` : ''}` : '',
    反馈: o.feedback_sent ? `${o.feedback_sent} 已反馈（${o.feedback_by || ''}）` : '',
  });
  const parts = [
    h('h1', null, `异议 ${o.id}：${o.applicant || ''}`),
    h('p', null, h('a', { href: '#/objections' }, '← 返回异议列表')),
    section('异议', info),
  ];

  if (o.status === 'received') {
    if (!isHead) {
      parts.push(msg('info', '等待执行单位负责人作出复核决定。'));
    } else {
      const decide = form([
        { name: 'decision', label: '复核决定', type: 'select', required: true, options: [['', '请选择'], ['upheld', '异议成立（更正检查结果）'], ['rejected', '异议不成立（维持原结果）']] },
        { name: 'reason', label: '决定理由', type: 'textarea', required: true, wide: true },
        { name: 'decided', label: '决定日期', type: 'date', required: true, value: today(), help: `不早于收到日期 ${o.received}，不晚于今天` },
        { name: 'category', label: '更正后的结果类别（异议成立时，可不填）', type: 'select', options: [['', '（不改变类别）'], ...Object.entries(RESULT_CATEGORIES).map(([k, v]) => [k, `${k}. ${v}`])] },
        { name: 'summary', label: '更正后的检查结论（异议成立时，可不填）', type: 'textarea', wide: true },
      ], async (v) => {
        const body = { decision: v.decision, reason: v.reason, decided: v.decided };
        if (v.decision === 'upheld') {
          const changes = {};
          if (v.category) changes.category = v.category;
          if (v.summary.trim()) changes.summary = v.summary.trim();
          if (Object.keys(changes).length) body.changes = changes;
        }
        try {
          await api('POST', `/api/objections/${encodeURIComponent(id)}/decide`, body);
        } catch (e) {
          throw onField(e, { bad_decision: 'decision', reason_required: 'reason', bad_date: 'decided', unknown_category: 'category' });
        }
        setTimeout(() => ctx.rerender(), 1000);
        return v.decision === 'upheld' ? '已决定：异议成立，已生成待负责人批准的更正申请' : '已决定：异议不成立';
      }, { idPrefix: 'objdec', submitLabel: '提交复核决定', draft: `objection-decide-${id}`,
        confirm: (v) => (v.decision === 'upheld' ? '异议成立：将生成一项更正申请，须执行单位负责人批准后更正生效并公示；决定记录在案，须在反馈期限内告知异议人。确认提交？'
          : v.decision === 'rejected' ? '异议不成立：原检查结果维持不变；决定记录在案，须在反馈期限内告知异议人。确认提交？' : null) });
      decide.el.id = 'objection-decide';
      parts.push(section(`复核决定（9.2，期限 ${o.review_due || ''}）`, decide.el));
    }
  }
  if (o.status === 'decided' && !o.feedback_sent && mayFeedback) {
    const fb = form([
      { name: 'sent', label: '反馈日期（已将复核结果告知异议人的日期）', type: 'date', required: true, value: today(), help: `不早于决定日期 ${o.decided || ''}，不晚于今天` },
    ], async (v) => {
      try {
        await api('POST', `/api/objections/${encodeURIComponent(id)}/feedback`, { sent: v.sent });
      } catch (e) {
        throw onField(e, { bad_date: 'sent' });
      }
      setTimeout(() => ctx.rerender(), 1000);
      return '已登记反馈';
    }, { idPrefix: 'objfb', submitLabel: '登记反馈' });
    fb.el.id = 'objection-feedback';
    parts.push(section(`登记反馈（9.2，期限 ${o.feedback_due || ''}）`, fb.el));
  }
  if (o.decision === 'upheld' && o.task_id && o.uscc) {
    parts.push(msg('info', '异议成立后生成的更正申请须由执行单位负责人在检查记录页批准后生效。'));
  }
  return h('div', null, parts);
}
