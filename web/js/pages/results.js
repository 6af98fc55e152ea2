// 检查结果 (clauses 8.3, 8.4, 9.1, 9.2): per task and unit, a record per item checkpoint with a
// result category a–h; sign-off by every team member; review (approve / return); publication;
// corrections of published results (head approval); follow-up of problems; attachments.
import { api, h, mount, msg, errorText, table, section, form, kv, listOf, details, actionButton, reasonAction, fmtTime, loading, pager, qs, bureauToday } from '../ui.js';
import { RESULT_CATEGORIES, RESULT_STATUS, TASK_STATUS, label } from '../labels.js';
import { loadDraft, saveDraft, clearDraft, controlValues, restoreControls } from '../drafts.js';
import { entryFor, queueRecord, signQueued, discardQueued, overrideConflict, retryQueued, flush } from '../outbox.js';

const FOLLOWUP_KIND = { rectification: '责令改正', pending_case: '待后续处理', referral: '移送公安机关' };
const FOLLOWUP_STATE = { ordered: '已责令改正', rectified: '已整改', open: '待处理', in_progress: '处理中', found: '待移送', referred: '已移送', closed: '已办结' };
// Each kind's states in order (core/followups.c); a follow-up moves forward only, "closed" is final.
const FOLLOWUP_FLOW = { rectification: ['ordered', 'rectified', 'closed'], pending_case: ['open', 'in_progress', 'closed'], referral: ['found', 'referred', 'closed'] };
const catOpts = () => Object.entries(RESULT_CATEGORIES).map(([k, v]) => [k, `${k}. ${v}`]);

export async function render(ctx) {
  const taskId = ctx.parts[1];
  if (!taskId) {
    const tasks = listOf(await api('GET', '/api/tasks?status=dispatched'), 'tasks');
    const mayExchange = ['admin', 'planner', 'head', 'auditor'].includes(ctx.me.role);
    return h('div', null, h('h1', null, '检查结果'),
      mayExchange ? section('交换数据（报送省级平台 / 企业信用信息公示系统）',
        h('p', { class: 'notice' }, '已公示的检查结果（含已批准的更正），不含人员信息；字段说明见随软件提供的《交换数据格式说明》。'),
        h('div', { class: 'toolbar' },
          h('a', { class: 'button', href: '/api/exchange/results?format=xlsx', download: '', id: 'exchange-xlsx' }, '导出交换数据（Excel）'),
          h('a', { class: 'button', href: '/api/exchange/results?format=json', download: '', id: 'exchange-json' }, '导出交换数据（JSON）'))) : null,
      mayListCorrections(ctx.me) ? pendingCorrections(ctx) : null,
      h('p', { class: 'notice' }, '“谁检查、谁录入、谁公示”：检查结束后在规定期限内录入并公示（9.1）。选择已派发的任务：'),
      section(null, table([
        { key: 'id', label: '编号' },
        { key: 'name', label: '任务', render: (t) => h('a', { href: `#/results/${t.id}` }, t.name) },
        { key: 'end_date', label: '结束日期' },
        { key: 'status', label: '状态', render: (t) => label(TASK_STATUS, t.status) },
      ], tasks, { onRow: (t) => { location.hash = `#/results/${t.id}`; }, empty: '没有已派发的任务' })));
  }
  const uscc = ctx.parts[2];
  if (uscc) return unitPage(ctx, taskId, uscc);
  // One page of the task's units with their results, filtered on the server
  // (#/results/{task}?q=&status=&mine=1&page=)
  const PER = 50;
  const q = { q: ctx.query.q || '', status: ctx.query.status || '', mine: ctx.query.mine === '1' ? '1' : '', page: Number(ctx.query.page) || 1 };
  const [task, reply] = await Promise.all([
    api('GET', `/api/tasks/${encodeURIComponent(taskId)}`),
    api('GET', `/api/tasks/${encodeURIComponent(taskId)}/results${qs({ ...q, per_page: PER })}`).catch((e) => ({ error: e })),
  ]);
  const results = reply.error ? reply : listOf(reply, 'results');
  const units = (reply && Array.isArray(reply.units) && reply.units) || [];
  const byUnit = new Map((Array.isArray(results) ? results : []).map((r) => [r.uscc, r]));
  // Pending correction requests of this task's results (one request for every task's).
  const pendingBy = new Map();
  if (mayListCorrections(ctx.me)) {
    const c = await api('GET', '/api/corrections?status=pending&per_page=200').catch(() => null);
    for (const x of listOf(c, 'corrections')) if (String(x.task_id) === String(taskId)) pendingBy.set(x.uscc, (pendingBy.get(x.uscc) || 0) + 1);
  }
  const here = `#/results/${encodeURIComponent(taskId)}`;
  const go = (page) => { location.hash = `${here}${qs({ ...q, page })}`; };
  const filter = form([
    { name: 'q', label: '单位名称或信用代码', value: q.q },
    { name: 'status', label: '结果状态', type: 'select', value: q.status, options: [['', '全部'], ['none', '未录入'], ['signed', '已全部签名、待审核'], ...Object.entries(RESULT_STATUS)] },
    ctx.me.cert_no ? { name: 'mine', label: '只看我的检查组', type: 'checkbox', value: q.mine === '1' } : null,
  ].filter(Boolean), async (v) => { location.hash = `${here}${qs({ q: v.q, status: v.status, mine: v.mine ? '1' : '', page: 1 })}`; },
  { submitLabel: '查询', idPrefix: 'results-filter', extraButtons: h('a', { class: 'button', href: here }, '清空条件') });
  const filtered = q.q || q.status || q.mine;
  return h('div', null,
    h('h1', null, `检查结果：${task.name}`),
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: `/api/tasks/${encodeURIComponent(taskId)}/results?format=xlsx`, download: '', id: 'results-export-xlsx' }, '导出 Excel')),
    h('p', null, h('a', { href: '#/results' }, '← 返回'), ' ', h('a', { href: `#/tasks/${taskId}` }, '任务详情')),
    results.error ? msg('warn', `检查结果接口尚不可用：${errorText(results.error)}`) : null,
    section('筛选', filter.el),
    section('被检查单位', table([
      { key: 'uscc', label: '统一社会信用代码', render: (u) => h('a', { href: `#/results/${taskId}/${encodeURIComponent(u.uscc)}` }, u.uscc) },
      { key: 'name', label: '单位名称' },
      { key: 'team', label: '检查组', render: (u) => h('span', null, (u.inspectors || []).join('、'), ctx.me.cert_no && (u.inspectors || []).includes(ctx.me.cert_no) ? h('span', { class: 'badge ok' }, '我的') : null) },
      { key: 'status', label: '结果状态', render: (u) => { const r = byUnit.get(u.uscc); const n = pendingBy.get(u.uscc); return r ? h('span', null, h('span', { class: `badge ${r.status === 'published' ? 'ok' : ''}` }, label(RESULT_STATUS, r.status)), n ? h('span', { class: 'badge yellow', 'data-pending-corrections': n }, ` 待批准更正 ${n}`) : null) : '未录入'; } },
      { key: 'category', label: '结果类别', render: (u) => { const r = byUnit.get(u.uscc); return r && r.category ? `${r.category}. ${RESULT_CATEGORIES[r.category] || ''}` : ''; } },
      { key: 'deadline', label: '公示期限', render: (u) => { const r = byUnit.get(u.uscc); const w = r && r.warning; return r && r.deadline ? h('span', { class: `badge ${w || ''}` }, r.deadline) : ''; } },
    ], units, { onRow: (u) => { location.hash = `#/results/${taskId}/${encodeURIComponent(u.uscc)}`; }, empty: filtered ? '没有符合条件的单位' : '任务尚无派发的单位' }),
    reply.total > PER ? pager(q.page, PER, reply.total, go) : null));
}

async function unitPage(ctx, taskId, uscc) {
  const task = await api('GET', `/api/tasks/${encodeURIComponent(taskId)}`);
  let result = null;
  let unit = null;
  let baseVersion = 0;   // the version of the unit's result this page started from (0: none yet)
  try {
    const reply = await api('GET', `/api/tasks/${encodeURIComponent(taskId)}/results${qs({ uscc })}`);
    result = listOf(reply, 'results').find((r) => r.uscc === uscc) || null;
    baseVersion = (result && result.version) || 0;
    unit = ((reply && reply.units) || []).find((u) => u.uscc === uscc) || null;
    if (result && result.id) result = await api('GET', `/api/results/${result.id}`).catch(() => result);
  } catch (e) {
    result = null;
  }
  const insp = await api('GET', '/api/inspectors?per_page=500').then((r) => listOf(r, 'inspectors')).catch(() => []);
  const names = new Map(insp.map((i) => [i.cert_no, i.name]));
  const who = (c) => (names.get(c) ? `${names.get(c)}（${c}）` : c);
  const team = (unit && unit.inspectors) || (result && result.team && (result.team.inspectors || result.team)) || [];
  const me = ctx.me || {};
  const onTeam = me.role === 'inspector' && !!me.cert_no && Array.isArray(team) && team.includes(me.cert_no);
  const items = await Promise.all((task.item_ids || []).map((iid) => api('GET', `/api/items/${iid}`).catch(() => null)));
  // SPEC §10 "分别填写检查记录表": in a joint task an inspector records the items of their own org
  const ownOrg = task.joint && me.role === 'inspector' && me.org_id ? me.org_id : null;
  // 5.1.1: only the items that apply to the unit's industry
  const fits = (it) => !(it.industries || []).length || !unit || !unit.industry || it.industries.includes(unit.industry);
  const checkpoints = items.filter((it) => it && fits(it) && (!ownOrg || it.org_id === ownOrg))
    .flatMap((it) => (it.checkpoints || []).map((c) => ({ item: it.name, item_id: it.id, id: c.id, text: c.text || c })));
  const existing = new Map(((result && result.records) || []).map((r) => [r.checkpoint_id, r]));
  const status = result ? result.status : null;
  // "谁检查、谁录入": only a member of this unit's team enters or changes the record.
  const editable = onTeam && status !== 'published';
  const signedByMe = !!(result && (result.signatures || []).some((x) => (x.cert_no || x) === me.cert_no));

  // One row per checkpoint: finding + category.
  const rows = checkpoints.map((c) => {
    const rec = existing.get(c.id) || {};
    // No default: a checkpoint nobody answered must not read as "a. 未发现问题".
    const cat = h('select', { name: `cat-${c.id}`, 'aria-label': `结果类别：${c.text}`, disabled: !editable },
      [h('option', { value: '', selected: !rec.category }, '请选择'), ...catOpts().map(([v, l]) => h('option', { value: v, selected: rec.category === v }, l))]);
    const note = h('textarea', { name: `note-${c.id}`, rows: 2, 'aria-label': `检查情况：${c.text}`, disabled: !editable, placeholder: '检查情况、发现的问题' });
    note.value = rec.finding || rec.note || '';
    return { c, cat, note };
  });
  const overall = h('select', { id: 'result-category', disabled: !editable },
    [h('option', { value: '', selected: !(result && result.category) }, '请选择'), ...catOpts().map(([v, l]) => h('option', { value: v, selected: (result && result.category) === v }, l))]);
  // The unit's category follows the checkpoints until it is chosen by hand.
  let overallTouched = !!(result && result.category);
  overall.addEventListener('change', () => { overallTouched = true; });
  for (const { cat } of rows) {
    cat.addEventListener('change', () => {
      if (overallTouched) return;
      const values = rows.map((r) => r.cat.value);
      const worst = values.filter((v) => v && v !== 'a').pop();
      overall.value = worst || (values.every((v) => v === 'a') ? 'a' : '');
    });
  }
  const summary = h('textarea', { id: 'result-summary', rows: 3, disabled: !editable, placeholder: '例如：发现消防通道堵塞，已责令当场改正' });
  summary.value = (result && (result.summary || result.note)) || '';
  // 8.1: the day of the inspection (from the task's start to today; the server checks it)
  const checkDate = h('input', { type: 'date', id: 'result-check_date', disabled: !editable, min: task.start_date,
    max: bureauToday() });
  checkDate.value = (result && result.check_date) || bureauToday();
  // What is typed is kept in this browser (a lost session or connection loses nothing); a record
  // queued offline comes before a draft, a draft before the server's record.
  const controls = { category: overall, summary, check_date: checkDate };
  for (const { c, cat, note } of rows) { controls[`cat-${c.id}`] = cat; controls[`note-${c.id}`] = note; }
  const draftKey = `result:${taskId}:${uscc}`;
  const pending = onTeam ? entryFor(taskId, uscc) : null;
  let restored = null;
  if (editable && pending) {
    restoreControls(controls, bodyControls(pending.body));
  } else if (editable) {
    const d = loadDraft(draftKey);
    if (d && restoreControls(controls, d) > 0) {
      overallTouched = overallTouched || !!d.category;
      restored = h('div', { class: 'draft-note', id: 'result-draft-note' }, msg('info', `已恢复未保存的检查记录草稿（${fmtTime(d._saved)}），请核对后提交。`),
        h('button', { type: 'button', id: 'result-draft-drop', onclick: () => { clearDraft(draftKey); ctx.rerender(); } }, '放弃草稿'));
    }
  }
  if (editable) {
    const keep = () => saveDraft(draftKey, controlValues(controls));
    for (const el of Object.values(controls)) { el.addEventListener('input', keep); el.addEventListener('change', keep); }
  }
  const saveMsg = h('div', { class: 'form-msg', id: 'result-save-msg' });
  const save = h('button', { type: 'button', class: status ? null : 'primary', id: 'result-save', disabled: !editable }, !status ? '提交检查记录' : (result.signatures || []).length ? '保存修改（已有签名将被清除，需重新签名）' : '保存修改');
  save.addEventListener('click', async () => {
    mount(saveMsg);
    // Every checkpoint answered and the unit's category chosen before anything is sent.
    const missing = rows.findIndex(({ cat }) => !cat.value);
    for (const { cat } of rows) cat.setAttribute('aria-invalid', cat.value ? 'false' : 'true');
    if (missing >= 0) {
      mount(saveMsg, msg('error', `第 ${missing + 1} 个检查要点尚未选择结果类别：每个检查要点都须作答。`));
      rows[missing].cat.focus();
      return;
    }
    if (!overall.value) {
      mount(saveMsg, msg('error', '请选择该单位的检查结果类别。'));
      overall.focus();
      return;
    }
    save.disabled = true;
    const body = {
      uscc, category: overall.value, summary: summary.value, check_date: checkDate.value || undefined,
      records: rows.map(({ c, cat, note }) => ({ item_id: c.item_id, checkpoint_id: c.id, category: cat.value, finding: note.value })),
    };
    const keepOffline = () => {
      queueRecord(taskId, uscc, body, pending ? pending.base_version : baseVersion, (unit && unit.name) || '');
      clearDraft(draftKey);
      mount(saveMsg, msg('ok', '当前没有网络：记录已保存在本机，联网后自动提交。可在上方“离线记录”处签名。'));
      setTimeout(() => { ctx.rerender(); window.scrollTo(0, 0); }, 600);
    };
    try {
      if (navigator.onLine === false) {
        keepOffline();
        return;
      }
      await api('POST', `/api/tasks/${encodeURIComponent(taskId)}/results`, body);
      clearDraft(draftKey);
      if (pending) discardQueued(taskId, uscc);
      mount(saveMsg, msg('ok', '已保存。请在页面上方“状态”处点击“本人签名确认”，并通知检查组其他成员登录签名。'));
      setTimeout(() => { ctx.rerender(); window.scrollTo(0, 0); }, 900);
    } catch (e) {
      if (e && e.status === 0) keepOffline();
      else mount(saveMsg, msg('error', errorText(e)));
    } finally {
      save.disabled = false;
    }
  });

  const rid = result && result.id;
  const allSigned = !!(result && (result.all_signed || (result.pending_signatures && !result.pending_signatures.length && (result.signatures || []).length)));
  const isHead = me.role === 'head';
  // What happens next, in words, for whoever is looking.
  let next = '';
  if (!result) next = onTeam ? '请逐项填写下方的检查要点，选择结果类别，然后点击“提交检查记录”。' : `等待检查组成员录入：${team.map(who).join('、') || '（尚未抽取检查组）'}`;
  else if (status === 'draft' && !allSigned) next = onTeam && !signedByMe ? '请核对记录后点击“本人签名确认”。' : `等待签名：${(result.pending_signatures || []).map(who).join('、')}`;
  else if (status === 'draft') next = isHead ? '检查组已全部签名。请审核：“审核通过”或“退回修改”。' : '检查组已全部签名，等待单位负责人审核。';
  else if (status === 'approved') next = isHead || onTeam ? '已审核。请点击“公示结果”向社会公开。' : '已审核，等待公示。';
  else if (status === 'published') next = '已公示。';
  const flow = rid ? h('div', { class: 'toolbar' },
    onTeam && status === 'draft' && !signedByMe ? actionButton('本人签名确认', async () => { await api('POST', `/api/results/${rid}/sign`, {}); setTimeout(() => ctx.rerender(), 800); return '已签名'; }, { id: 'result-sign', class: 'primary' }) : null,
    isHead && status === 'draft' && allSigned ? actionButton('审核通过', async () => { await api('POST', `/api/results/${rid}/review`, { approve: true }); setTimeout(() => ctx.rerender(), 800); return '已审核'; }, { id: 'result-approve', class: 'primary', confirm: '审核通过后，检查组或负责人即可将该结果向社会公示；如需修改须退回。确认审核通过？' }) : null,
    isHead && status === 'draft' && allSigned ? reasonAction('退回修改', '退回理由（检查组将看到）', async (reason) => {
      await api('POST', `/api/results/${rid}/review`, { approve: false, reason });
      setTimeout(() => ctx.rerender(), 800);
      return '已退回';
    }, { id: 'result-return' }) : null,
    (isHead || onTeam) && status === 'approved' ? actionButton('公示结果', async () => { await api('POST', `/api/results/${rid}/publish`, {}); setTimeout(() => ctx.rerender(), 800); return '已公示'; }, { class: 'primary', id: 'result-publish', confirm: '检查结果将在公开平台向社会公示，并报送企业信用信息公示系统；公示后只能通过更正申请修改。确认公示？' }) : null,
    status === 'published' ? h('a', { class: 'button', href: `/public/#/results?task=${encodeURIComponent(taskId)}`, target: '_blank', rel: 'noopener', id: 'result-public' }, '在公开平台查看') : null) : null;
  const pendingCorr = ((result && result.correction_requests) || []).filter((c) => c.status === 'pending');
  const corrApprovals = pendingCorr.length ? section(`待批准的更正申请（${pendingCorr.length}）`, table([
    { key: 'reason', label: '理由' },
    { key: 'changes', label: '更正内容', render: (c) => corrText(c.changes) },
    { key: 'source', label: '来源', render: (c) => (c.source === 'objection' ? `异议 ${c.objection_id || ''}` : '申请') },
    { key: 'requested_by', label: '申请人', render: (c) => `${c.requested_by || ''} ${fmtTime(c.requested_at)}` },
    { key: 'op', label: '审批', render: (c) => (isHead ? h('span', null,
      actionButton('批准更正', async () => { await api('POST', `/api/results/${rid}/corrections/${c.id}/approve`, {}); setTimeout(() => ctx.rerender(), 800); return '已批准，更正已公示'; }, { class: 'primary', id: `corr-approve-${c.id}`, confirm: '批准后更正立即生效并在公开平台公示，原结果和更正理由一并保留。确认批准更正？' }),
      reasonAction('驳回', '驳回理由（申请人将看到）', async (note) => {
        await api('POST', `/api/results/${rid}/corrections/${c.id}/reject`, { note });
        setTimeout(() => ctx.rerender(), 800);
        return '已驳回';
      }, { id: `corr-reject-${c.id}` })) : '待执行单位负责人批准') },
  ], pendingCorr)) : null;

  const correction = rid && status === 'published' && (onTeam || ['admin', 'planner', 'head'].includes(me.role)) ? form([
    { name: 'reason', label: '更正理由', required: true, wide: true },
    { name: 'category', label: '更正后的结果类别', type: 'select', options: catOpts() },
    { name: 'summary', label: '更正内容', type: 'textarea' },
  ], async (v) => {
    const changes = { category: v.category };
    if (v.summary) changes.summary = v.summary;
    await api('POST', `/api/results/${rid}/corrections`, { reason: v.reason, changes });
    return '已提交更正申请，须执行单位负责人批准后生效';
  }, { idPrefix: 'corr', submitLabel: '申请更正' }) : null;

  // Follow-ups are recorded and moved on by staff except auditors; inspectors only on this team.
  const mayFollowUp = ['admin', 'planner', 'head'].includes(me.role) || onTeam;
  const followup = rid ? form([
    { name: 'kind', label: '类型', type: 'select', options: [['rectification', '责令改正'], ['pending_case', '待后续处理'], ['referral', '涉嫌犯罪移送公安机关']] },
    { name: 'note', label: '后续处理情况', type: 'textarea', required: true },
    { name: 'date', label: '整改期限（责令改正）或发现日期（移送）', type: 'date' },
  ], async (v) => {
    const body = { kind: v.kind, note: v.note };
    if (v.date) body[v.kind === 'rectification' ? 'due_date' : 'found_date'] = v.date;
    await api('POST', `/api/results/${rid}/followups`, body);
    setTimeout(() => ctx.rerender(), 800);
    return '已记录';
  }, { idPrefix: 'fu', submitLabel: '记录后续处理' }) : null;

  // the archive: filed by the unit's team, heads and admins; read by them and auditors (api_attachments.c)
  const mayFile = onTeam || ['admin', 'head'].includes(me.role);
  const attach = rid && (mayFile || me.role === 'auditor') ? attachments(rid, result, mayFile, ctx) : null;

  return h('div', null,
    h('h1', null, `检查记录：${(unit && unit.name) || (result && result.name) || uscc}`),
    h('p', { class: 'notice', id: 'unit-contact' }, [`统一社会信用代码 ${uscc}`,
      unit && unit.address ? `　住所：${unit.address}` : '', unit && unit.legal_rep ? `　法定代表人：${unit.legal_rep}` : ''].join('')),
    h('p', null, h('a', { href: `#/results/${taskId}` }, `← 返回 ${task.name}`)),
    pending ? queuedSection(ctx, taskId, uscc, pending) : null,
    section('下一步', h('p', { id: 'result-next' }, next), flow),
    result ? section('状态', kvShown({
      状态: status === 'draft' && allSigned ? '已全部签名，待审核' : status === 'draft' && result.review && result.review.approve === false ? '已退回，待修改' : label(RESULT_STATUS, status), 检查组: team.map(who).join('、'), 签名: (result.signatures || []).map((s) => `${who(s.cert_no || s.username || s)}${s.at ? `（${fmtTime(s.at)}）` : ''}`).join('、') || '尚无',
      待签名: (result.pending_signatures || []).length ? result.pending_signatures.map(who).join('、') : status === 'draft' && allSigned ? '无（已全部签名）' : '', 公示期限: result.deadline ? `${result.deadline}${result.due_reason ? `（${result.due_reason}）` : ''}` : '',
      审核: result.review ? `${result.review.approve ? '通过' : '退回'}${result.review.opinion ? `：${result.review.opinion}` : ''}（${result.review.actor}，${fmtTime(result.review.at)}）` : '',
      ...(result.current ? { 现行结果: `${result.current.category}. ${result.current.category_label || ''}${result.current.summary ? ` — ${result.current.summary}` : ''}` } : {}),
    })) : msg('info', '尚未录入检查记录'),
    corrApprovals,
    section('逐项检查要点', checkpoints.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid cards' },
      h('thead', null, h('tr', null, h('th', null, '抽查事项'), h('th', null, '检查要点'), h('th', null, '结果类别'), h('th', null, '检查情况'))),
      h('tbody', null, rows.map(({ c, cat, note }) => h('tr', null, h('td', { 'data-label': '抽查事项' }, c.item), h('td', { 'data-label': '检查要点' }, c.text), h('td', { 'data-label': '结果类别' }, cat), h('td', { 'data-label': '检查情况' }, note))))))
      : msg('warn', '任务的抽查事项没有检查要点'),
    h('div', { class: 'field' }, h('label', { for: 'result-category' }, '本单位检查结果类别（8.4）'), overall),
    h('div', { class: 'field' }, h('label', { for: 'result-check_date' }, '检查日期'), checkDate),
    h('div', { class: 'field' }, h('label', { for: 'result-summary' }, '检查结论'), summary),
    restored, editable ? save : null, saveMsg),
    followup ? followupsSection(ctx, result, followup, mayFollowUp) : null,
    attach,
    correction ? details('更正已公示的结果（9.1，须负责人批准）', correction.el) : null);
}

// A record body (as sent to the server) as the page's controls' values.
function bodyControls(body) {
  const out = { category: body.category || '', summary: body.summary || '' };
  if (body.check_date) out.check_date = body.check_date;
  for (const r of body.records || []) { out[`cat-${r.checkpoint_id}`] = r.category || ''; out[`note-${r.checkpoint_id}`] = r.finding || ''; }
  return out;
}

// The record of this unit waiting in this browser (entered offline): its state in words, the
// inspector's signature, and — when the server's record changed meanwhile — the choice between
// sending it over the server's version and dropping it.
function queuedSection(ctx, taskId, uscc, q) {
  const again = () => setTimeout(() => ctx.rerender(), 300);
  let state;
  if (q.conflict) state = `未提交：离线期间服务器上的检查记录已被修改（${q.conflict.status ? label(RESULT_STATUS, q.conflict.status) : '已删除'}），为避免覆盖他人的修改，本机记录没有发送。请核对后选择。`;
  else if (q.error) state = `未提交：服务器拒绝了这条记录：${q.error}`;
  else state = navigator.onLine === false ? '当前没有网络：记录保存在本机，联网后自动提交。' : '记录保存在本机，正在等待提交。';
  return h('section', { class: 'card queued', id: 'result-queued' },
    h('h2', null, '离线记录（待发送）'),
    h('p', { id: 'result-queued-state' }, state),
    h('p', null, `保存于 ${fmtTime(q.queued_at)}；`, q.sign ? `本人已签名确认（${fmtTime(q.signed_at)}），联网后随记录一并提交。` : '尚未签名。'),
    h('div', { class: 'toolbar' },
      !q.sign && !q.conflict ? h('button', { type: 'button', class: 'primary', id: 'result-queued-sign', onclick: () => { signQueued(taskId, uscc); again(); } }, '本人签名确认') : null,
      q.conflict ? h('button', { type: 'button', id: 'result-queued-override', onclick: async () => { overrideConflict(taskId, uscc); await flush().catch(() => null); again(); } }, '以本机记录覆盖服务器上的记录') : null,
      q.error ? h('button', { type: 'button', id: 'result-queued-retry', onclick: async () => { retryQueued(taskId, uscc); await flush().catch(() => null); again(); } }, '重新提交') : null,
      q.conflict || q.error ? h('button', { type: 'button', id: 'result-queued-drop', onclick: () => { discardQueued(taskId, uscc); again(); } }, '放弃本机记录') : null));
}

// kv() without the empty entries.
function kvShown(obj) {
  return kv(Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== '' && v !== null && v !== undefined)));
}

function corrText(ch) {
  if (!ch || typeof ch !== 'object') return String(ch || '');
  const out = [];
  if (ch.category) out.push(`结果类别改为 ${ch.category}. ${RESULT_CATEGORIES[ch.category] || ''}`);
  if (ch.summary) out.push(`结论：${ch.summary}`);
  if (ch.records) out.push(`检查记录 ${ch.records.length} 条`);
  return out.join('；');
}

// A file size in words (KB / MB).
function sizeText(n) {
  if (typeof n !== 'number') return '';
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function attachments(rid, result, mayFile, ctx) {
  const file = h('input', { type: 'file', id: 'attach-file', accept: 'image/*,video/*,audio/*,application/pdf', 'aria-label': '选择文件' });
  // on a phone: straight to the camera
  const camera = h('input', { type: 'file', id: 'attach-camera', accept: 'image/*', capture: 'environment', class: 'visually-hidden', 'aria-label': '拍照' });
  const cameraBtn = h('label', { for: 'attach-camera', class: 'button' }, '拍照上传');
  const out = h('div');
  const btn = h('button', { type: 'button' }, '上传');
  camera.addEventListener('change', () => { if (camera.files && camera.files[0]) btn.click(); });
  btn.addEventListener('click', async () => {
    const f = (camera.files && camera.files[0]) || (file.files && file.files[0]);
    if (!f) { mount(out, msg('error', '请选择文件')); return; }
    btn.disabled = true;
    try {
      await api('POST', `/api/results/${rid}/attachments?name=${encodeURIComponent(f.name)}`, await f.arrayBuffer(), { contentType: f.type || 'application/octet-stream' });
      mount(out, msg('ok', `已上传 ${f.name}（${sizeText(f.size)}）`));
      camera.value = '';
      if (ctx) setTimeout(() => ctx.rerender(), 800);
    } catch (e) {
      mount(out, msg('error', errorText(e)));
    } finally {
      btn.disabled = false;
    }
  });
  const box = details('附件（文书、照片、音视频记录，9.2 存档）',
    table([{ key: 'thumb', label: '预览', render: (a) => (a.id && /^image\//.test(a.mime || '') ? h('a', { href: `/api/attachments/${a.id}` }, h('img', { class: 'thumb', src: `/api/attachments/${a.id}`, alt: a.name || '照片', loading: 'lazy' })) : '') },
      { key: 'name', label: '文件' }, { key: 'size', label: '大小', render: (a) => sizeText(a.size) }, { key: 'sha256', label: 'SHA-256', render: (a) => h('code', null, (a.sha256 || '').slice(0, 12)) },
      { key: 'dl', label: '', render: (a) => (a.id ? h('a', { href: `/api/attachments/${a.id}` }, '下载') : '') }], (result && result.attachments) || [], { empty: '尚无附件' }),
    mayFile ? h('div', { class: 'toolbar' }, cameraBtn, camera, file, btn) : null, out);
  box.id = 'attachments';
  box.open = ((result && result.attachments) || []).length > 0;   // the photos in sight
  return box;
}

// 后续处理 (9.2): each follow-up with its history (every state change with its note, date and
// who recorded it) and, while not closed, a form moving it to its next state (PUT
// /api/followups/{id}); below, the form recording a new one.
function followupsSection(ctx, result, createForm, mayWrite) {
  const list = result.followups || [];
  return h('details', { class: 'card', id: 'followups', open: list.length > 0 || null },
    h('summary', null, `后续处理（9.2）${list.length ? `：${list.length} 项` : ''}`),
    list.map((f) => followupCard(ctx, f, mayWrite)),
    mayWrite ? h('div', { class: 'followup-new' }, h('h3', null, '记录新的后续处理'), createForm.el) : null);
}

function followupCard(ctx, f, mayWrite) {
  const flow = FOLLOWUP_FLOW[f.kind] || [];
  const at = flow.indexOf(f.state);
  const next = flow.filter((s, i) => i >= at && s !== undefined);
  const hist = (f.history || []).map((x) => {
    const d = x.data || {};
    const extra = [d.date ? `日期 ${d.date}` : '', d.due_date ? `期限 ${d.due_date}` : '', d.found_date ? `发现 ${d.found_date}` : '', d.receiving_unit ? `接收单位 ${d.receiving_unit}` : ''].filter(Boolean).join('，');
    return { ...x, extra };
  });
  const box = h('section', { class: 'followup', id: `followup-${f.id}`, 'data-state': f.state },
    h('h3', null, `${FOLLOWUP_KIND[f.kind] || f.kind}：`, h('span', { class: `badge ${f.state === 'closed' ? 'ok' : 'yellow'}`, id: `followup-${f.id}-state` }, FOLLOWUP_STATE[f.state] || f.state)),
    kv(Object.fromEntries(Object.entries({
      整改期限: f.due_date || '', 发现日期: f.found_date || '', 移送日期: f.referred_date || '', 接收单位: f.receiving_unit || '', 办结日期: f.closed_date || '',
    }).filter(([, v]) => v))),
    h('div', { class: 'followup-history', id: `followup-${f.id}-history` }, table([
      { key: 'state', label: '状态', render: (x) => FOLLOWUP_STATE[x.state] || x.state },
      { key: 'note', label: '情况说明' },
      { key: 'extra', label: '日期与接收单位' },
      { key: 'actor', label: '记录人' },
      { key: 'at', label: '记录时间', render: (x) => fmtTime(x.at) },
    ], hist, { empty: '尚无记录' })));
  if (!mayWrite || f.state === 'closed' || !next.length) return box;
  const referral = f.kind === 'referral';
  const fields = [
    { name: 'state', label: '下一状态', type: 'select', required: true, options: next.filter((s) => s !== f.state).concat(f.state).map((s) => [s, s === f.state ? `${FOLLOWUP_STATE[s] || s}（仅补充情况）` : FOLLOWUP_STATE[s] || s]) },
    { name: 'note', label: '处理情况', type: 'textarea', required: true, wide: true },
    { name: 'date', label: referral ? '日期（移送公安机关时为移送日期，必填）' : '日期（不填为今天）', type: 'date' },
  ];
  if (referral) fields.push({ name: 'receiving_unit', label: '接收单位（移送时必填，如 高青县公安局）' });
  if (f.kind === 'rectification') fields.push({ name: 'due_date', label: '新的整改期限（延期时填写）', type: 'date' });
  const fm = form(fields, async (v) => {
    const body = { state: v.state, note: v.note };
    if (v.date) body.date = v.date;
    if (v.receiving_unit) body.receiving_unit = v.receiving_unit;
    if (v.due_date) body.due_date = v.due_date;
    try {
      await api('PUT', `/api/followups/${f.id}`, body);
    } catch (e) {
      const field = { bad_state: 'state', bad_transition: 'state', closed: 'state', bad_date: 'date', referral_incomplete: v.date ? 'receiving_unit' : 'date' }[e.code];
      if (e.body && field && !e.body.field && fields.some((x) => x.name === field)) e.body.field = field;
      throw e;
    }
    setTimeout(() => ctx.rerender(), 900);
    return `已更新为“${FOLLOWUP_STATE[v.state] || v.state}”`;
  }, { idPrefix: `fu${f.id}`, submitLabel: '更新处理状态' });
  box.appendChild(h('div', { class: 'followup-update' }, h('h4', null, '更新处理状态'), fm.el));
  return box;
}

const mayListCorrections = (me) => ['admin', 'planner', 'head'].includes(me && me.role);

// Correction requests waiting for a head's approval, across every task (GET /api/corrections,
// newest first, paged), each linking to the result's page where it is approved or rejected.
function pendingCorrections(ctx) {
  const PER = 20;
  const box = h('section', { class: 'card', id: 'pending-corrections' });
  const show = (page) => mount(box, h('h2', null, '待批准的更正申请'), loading(async () => {
    const r = await api('GET', `/api/corrections?status=pending&page=${page}&per_page=${PER}`);
    const rows = listOf(r, 'corrections');
    return h('div', null,
      table([
        { key: 'name', label: '被检查单位', render: (c) => h('a', { href: `#/results/${c.task_id}/${encodeURIComponent(c.uscc)}` }, `${c.name || ''} `, h('code', null, c.uscc)) },
        { key: 'task_name', label: '任务', render: (c) => h('a', { href: `#/results/${c.task_id}` }, c.task_name || String(c.task_id)) },
        { key: 'result_id', label: '结果编号' },
        { key: 'reason', label: '理由' },
        { key: 'changes', label: '更正内容', render: (c) => corrText(c.changes) },
        { key: 'source', label: '来源', render: (c) => (c.source === 'objection' ? `异议 ${c.objection_id || ''}` : '申请') },
        { key: 'requested', label: '申请人、时间', render: (c) => `${c.requested_by || ''} ${fmtTime(c.requested_at)}` },
      ], rows, { empty: '没有待批准的更正申请', onRow: (c) => { location.hash = `#/results/${c.task_id}/${encodeURIComponent(c.uscc)}`; } }),
      r.total > PER ? pager(page, PER, r.total, show) : null,
      ctx.me.role === 'head' ? null : h('p', { class: 'notice' }, '更正须由执行单位负责人批准后生效。'));
  }));
  show(1);
  return box;
}
