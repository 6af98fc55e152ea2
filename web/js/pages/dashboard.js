// Dashboard: "下一步" (what the logged-in role should do now, each with a link that opens the page
// where it is done), deadlines due and overdue with warning colours (results' 9.1 deadlines,
// objections' 9.2 deadlines, accountability situations of 10.1), and counts of published results by
// industry and by result category as Chart.js bar charts (charts.js).
import { api, h, msg, errorText, section, table, listOf, loading } from '../ui.js';
import { chartBox } from '../charts.js';
import { INDUSTRIES, RESULT_CATEGORIES, ACCOUNTABILITY_KINDS, TASK_STATUS, WARNING, ROLES, label } from '../labels.js';

const MAX_TASKS = 20; // dispatched tasks looked at for the lists below (newest first)

export async function render(ctx) {
  const data = gather(ctx.me);
  return h('div', null,
    h('h1', null, '工作台'),
    h('p', { class: 'notice' }, h('span', { class: 'username' }, ctx.me.username), `（${ROLES[ctx.me.role] || ctx.me.role}）${ctx.me.cert_no ? `，执法证号 ${ctx.me.cert_no}` : ''}`),
    loading(async () => nextSteps(ctx.me, await data)),
    loading(async () => deadlines(await data)),
    h('div', { class: 'row' },
      section('已公示结果：按行业', loading(() => resultsBy('industry'))),
      section('已公示结果：按结果类别', loading(() => resultsBy('category')))));
}

// Everything the lists need, read once. Unreadable parts (403 for a role) are left empty.
async function gather(me) {
  const soft = (p) => api('GET', p).catch(() => null);
  const [tasksR, objR, objDecidedR, accR, usersR, corrR] = await Promise.all([
    // the objections someone still acts on: to review, and decided without feedback yet
    soft('/api/tasks'), soft('/api/objections?status=received&per_page=500'), soft('/api/objections?status=decided&per_page=500'),
    ['admin', 'head', 'auditor'].includes(me.role) ? soft('/api/accountability') : null,
    me.role === 'admin' ? soft('/api/users') : null,
    // Pending corrections in one request (heads approve them), not by loading every result.
    me.role === 'head' ? soft('/api/corrections?status=pending&per_page=50') : null,
  ]);
  const tasks = listOf(tasksR, 'tasks');
  const dispatched = tasks.filter((t) => t.status === 'dispatched').slice(0, MAX_TASKS);
  // Only the teams the role acts on, filtered on the server (a task may have 13,000 teams): a head
  // the ones awaiting appointment (the reply also lists the task's pending replacements and
  // recusals), an inspector their own, an administrator the ones with a member without an account
  // (the reply counts those members).
  const teamsQuery = { head: '?open=1&per_page=200', inspector: '?mine=1&per_page=200', admin: '?unlinked=1&per_page=1' }[me.role];
  const per = await Promise.all(dispatched.map(async (t) => {
    const teamsR = t.teams_at && teamsQuery !== undefined ? await soft(`/api/tasks/${t.id}/teams${teamsQuery}`) : null;
    const teams = me.role === 'admin' ? [] : listOf(teamsR, 'teams');
    // a page of 200 at most: how many there are in all
    const teamsTotal = teamsR && typeof teamsR.total === 'number' ? teamsR.total : teams.length;
    const unlinked = (teamsR && teamsR.unlinked_members) || 0;
    // replacement and recusal requests waiting for the head's approval (7.3)
    const waiting = (list) => (Array.isArray(list) ? list : []).filter((x) => x.status === 'pending');
    const replacements = waiting(teamsR && teamsR.replacements);
    const conflicts = waiting(teamsR && teamsR.conflicts);
    const mine = me.cert_no ? teams.filter((x) => (x.inspectors || []).includes(me.cert_no)) : [];
    // Results by status, a page of each, filtered on the server: an inspector their own units'; staff
    // the unpublished ones (their 9.1 deadlines), the ones awaiting review and publication, and how
    // many units have none yet.
    const page = (q) => soft(`/api/tasks/${t.id}/results?${q}`);
    const results = [];
    const seen = new Set();
    const take = (r) => { for (const x of listOf(r, 'results')) if (!seen.has(x.id)) { seen.add(x.id); results.push(x); } };
    let units = [], counts = null, more = {};
    if (me.role === 'inspector') {
      if (mine.length) {
        const r = await page('mine=1&per_page=200');
        take(r);
        units = (r && r.units) || [];
      }
    } else if (t.teams_at) {
      const [draft, signed, approved, none, all] = await Promise.all([page('status=draft&per_page=200'),
        me.role === 'head' ? page('status=signed&per_page=200') : null, page('status=approved&per_page=200'),
        page('status=none&per_page=1'), page('per_page=1')]);
      [draft, signed, approved].forEach(take);
      counts = { none: none ? none.total : 0, units: all ? all.total : 0 };
      more = { signed: signed ? signed.total : 0, approved: approved ? approved.total : 0 };
      units = [draft, signed, approved].flatMap((r) => (r && r.units) || []);
    }
    return { task: t, teams, teamsTotal, unlinked, mine, results, units, counts, more, replacements, conflicts };
  }));
  // Details (signatures, correction requests) only where the role acts on them.
  const detailIds = [];
  for (const p of per) {
    for (const r of p.results) {
      // a draft of the inspector's team: signed by them, or returned by the head (its signatures are gone)
      if (me.role === 'inspector' && r.status === 'draft' && p.mine.some((m) => m.uscc === r.uscc)) detailIds.push(r.id);
    }
  }
  const details = new Map((await Promise.all(detailIds.slice(0, 60).map((id) => soft(`/api/results/${id}`)))).filter(Boolean).map((d) => [d.id, d]));
  return { tasks, per, details, objections: [...listOf(objR, 'objections'), ...listOf(objDecidedR, 'objections')], acc: accR, users: Array.isArray(usersR) ? usersR : listOf(usersR, 'users'),
    corrections: listOf(corrR, 'corrections'), correctionsTotal: (corrR && corrR.total) || 0 };
}

const unitName = (p, uscc) => {
  const u = p.units.find((x) => x.uscc === uscc) || p.teams.find((x) => x.uscc === uscc) || {};
  return u.name || uscc;
};
const resultHref = (taskId, uscc) => `#/results/${taskId}/${encodeURIComponent(uscc)}`;

// The to-do list of the role: [{text, href, level, note}]
function todo(me, d) {
  const out = [];
  const add = (text, href, note, level) => out.push({ text, href, note, level });
  const plannerLike = ['admin', 'planner'].includes(me.role);
  if (me.role === 'admin') {
    const has = (role) => d.users.some((u) => u.role === role && u.active);
    if (!has('planner')) add('创建计划编制人员的账户（负责新建任务、冻结名单、抽取）', '#/users?role=planner', '系统 → 用户管理');
    if (!has('head')) add('创建单位负责人的账户（负责审核、公示结果，批准更正和替换）', '#/users?role=head', '系统 → 用户管理');
    for (const p of d.per) {
      if (p.unlinked) add(`为“${p.task.name}”检查组的 ${p.unlinked} 名检查人员开通账户`, `#/tasks/${p.task.id}?at=teams`, '在任务页的检查组表中点击“开通账户”');
    }
  }
  if (plannerLike || me.role === 'head') {
    for (const t of d.tasks) {
      if (plannerLike && t.status === 'draft') add(`冻结候选名单：${t.name}`, `#/tasks/${t.id}`, '第 2 步');
      if (plannerLike && t.status === 'frozen') add(`抽取检查对象（请监督人在场输入见证文字）：${t.name}`, `#/tasks/${t.id}`, '第 3 步');
      if (t.status === 'drawn') add(`确认、锁定并发布抽取公告：${t.name}`, `#/tasks/${t.id}`, '第 4 步');
      if (plannerLike && t.status === 'dispatched' && !t.teams_at) add(`抽取检查组（请监督人在场）：${t.name}`, `#/tasks/${t.id}?at=teams`, '第 5 步');
    }
    if (plannerLike && !d.tasks.length) add('新建第一个抽查任务', '#/tasks/new', '日常 → 抽查任务 → 新建');
  }
  for (const p of d.per) {
    const byUnit = new Map(p.results.map((r) => [r.uscc, r]));
    if (me.role === 'inspector') {
      for (const team of p.mine) {
        const r = byUnit.get(team.uscc);
        const name = `${unitName(p, team.uscc)}（${p.task.name}）`;
        if (!r) add(`录入检查结果：${name}`, resultHref(p.task.id, team.uscc), '逐项填写检查要点，提交后签名', r && r.warning);
        else if (r.status === 'draft') {
          const det = d.details.get(r.id);
          const signed = det ? (det.signatures || []).some((s) => (s.cert_no || s) === me.cert_no) : false;
          const returned = det && det.review && det.review.approve === false && !(det.signatures || []).length;
          if (returned) add(`修改被退回的检查结果：${name}`, resultHref(p.task.id, team.uscc), det.review.opinion || '', r.warning);
          else if (!signed) add(`签名确认检查结果：${name}`, resultHref(p.task.id, team.uscc), `已有 ${r.signed || 0}/${r.team_size || '?'} 人签名`, r.warning);
        } else if (r.status === 'approved') add(`公示检查结果：${name}`, resultHref(p.task.id, team.uscc), '已审核，可以公示', r.warning);
      }
    }
    if (me.role === 'head') {
      // 7.3: positions a too-small pool left open, for the head of the executing org to fill by name
      const open = p.teams.filter((x) => x.open > 0 && (x.exec_org_id == null || x.exec_org_id === me.org_id));
      if (open.length) {
        const what = p.teamsTotal > p.teams.length ? `${p.teamsTotal} 个检查组待委派` : `${open.length} 个检查组共缺 ${open.reduce((n, x) => n + x.open, 0)} 名`;
        add(`委派检查人员：${p.task.name}（${what}）`, `#/tasks/${p.task.id}?at=teams&open=1`, '符合条件的人员不足，由执行单位负责人直接委派（7.3）');
      }
      for (const x of p.replacements) add(`批准或驳回检查人员替换申请：${unitName(p, x.uscc)}（${p.task.name}）`, `#/tasks/${p.task.id}?at=teams`, `被替换人员 ${x.cert_no || ''}：${x.reason || ''}`);
      for (const x of p.conflicts) add(`批准或驳回回避申请：${unitName(p, x.uscc)}（${p.task.name}）`, `#/tasks/${p.task.id}?at=teams`, `回避人员 ${x.cert_no || ''}：${x.reason || ''}`);
      let review = 0, publish = 0;
      for (const r of p.results) {
        const name = `${r.name || unitName(p, r.uscc)}（${p.task.name}）`;
        if (r.status === 'draft' && r.team_size && r.signed >= r.team_size) {
          review++;
          add(`审核检查结果：${name}`, resultHref(p.task.id, r.uscc), '检查组已全部签名', r.warning);
        }
        if (r.status === 'approved') {
          publish++;
          add(`公示检查结果：${name}`, resultHref(p.task.id, r.uscc), '已审核', r.warning);
        }
      }
      // beyond the page of 200 each: one entry opening the filtered list
      if (p.more.signed > review) add(`查看全部 ${p.more.signed} 项待审核的检查结果：${p.task.name}`, `#/results/${p.task.id}?status=signed`, '检查组已全部签名');
      if (p.more.approved > publish) add(`查看全部 ${p.more.approved} 项待公示的检查结果：${p.task.name}`, `#/results/${p.task.id}?status=approved`, '已审核');
    }
    if ((plannerLike || me.role === 'head') && p.task.teams_at && p.counts && p.counts.none) {
      add(`等待检查组录入结果：${p.task.name}（${p.counts.none}/${p.counts.units} 户未录入）`, `#/results/${p.task.id}?status=none`, '由检查组成员本人录入');
    }
  }
  if (me.role === 'head') {
    // One entry per result with pending corrections (GET /api/corrections, newest first).
    const byResult = new Map();
    for (const c of d.corrections) {
      if (!byResult.has(c.result_id)) byResult.set(c.result_id, []);
      byResult.get(c.result_id).push(c);
    }
    for (const cs of byResult.values()) {
      const c = cs[0];
      add(`批准或驳回更正申请（${cs.length}）：${c.name || c.uscc}（${c.task_name || `任务 ${c.task_id}`}）`, resultHref(c.task_id, c.uscc), cs.map((x) => x.reason).join('；'));
    }
    if (d.correctionsTotal > d.corrections.length) add(`查看全部 ${d.correctionsTotal} 项待批准的更正申请`, '#/results', '日常 → 检查结果');
    for (const o of d.objections) {
      if (o.status === 'received') add(`复核异议 ${o.id}：${o.applicant || ''}`, `#/objections/${o.id}`, `复核期限 ${o.review_due || ''}`, o.review_warning);
    }
  }
  if (['admin', 'planner', 'head'].includes(me.role)) {
    for (const o of d.objections) if (o.status === 'decided' && !o.feedback_sent) add(`登记异议 ${o.id} 的反馈`, `#/objections/${o.id}`, `反馈期限 ${o.feedback_due || ''}`, o.feedback_warning);
  }
  if (me.role === 'auditor' && d.acc) {
    const open = listOf(d.acc, 'situations').filter((x) => !x.exempted);
    if (open.length) add(`查看 ${open.length} 项责任追究情形`, '#/accountability', '10.1');
  }
  return out.sort((a, b) => rank(b.level) - rank(a.level));
}

function nextSteps(me, d) {
  const items = todo(me, d);
  return section('下一步',
    items.length ? h('ol', { class: 'todo', id: 'next-steps' }, items.map((x) => h('li', { class: x.level ? `warn-${levelClass(x.level)}` : null },
      h('a', { href: x.href }, x.text),
      x.level && levelClass(x.level) !== 'green' ? h('span', { class: `badge ${levelClass(x.level)}` }, label(WARNING, x.level)) : null,
      x.note ? h('span', { class: 'todo-note' }, x.note) : null)))
      : h('p', { class: 'empty', id: 'next-steps' }, me.role === 'inspector' && !me.cert_no ? '您的账户尚未关联执法证号，请联系系统管理员。' : '目前没有需要您处理的事项。'));
}

function levelClass(w) {
  w = String(w || '');
  return /red|overdue/.test(w) ? 'red' : /yellow/.test(w) ? 'yellow' : 'green';
}
function rank(w) {
  const c = levelClass(w);
  return w ? (c === 'red' ? 2 : c === 'yellow' ? 1 : 0) : 0;
}

// Deadlines: unpublished results (9.1), objections (9.2), accountability situations (10.1).
function deadlines(d) {
  const rows = [];
  for (const p of d.per) {
    for (const r of p.results) {
      if (r.status === 'published' || !r.deadline) continue;
      rows.push({ what: `结果公示：${r.name || r.uscc}`, href: resultHref(p.task.id, r.uscc), task: p.task, date: r.deadline, level: r.warning || '' });
    }
  }
  for (const o of d.objections) {
    const dl = o.deadlines || {};
    if (o.status === 'received' && o.review_due) rows.push({ what: `异议复核：${o.applicant || o.id}`, href: '#/objections', date: o.review_due, level: (dl.review && dl.review.level) || o.review_warning || '' });
    if (o.status === 'decided' && !o.feedback_sent && o.feedback_due) rows.push({ what: `异议反馈：${o.applicant || o.id}`, href: '#/objections', date: o.feedback_due, level: (dl.feedback && dl.feedback.level) || o.feedback_warning || '' });
  }
  if (d.acc) {
    for (const x of listOf(d.acc, 'situations')) {
      if (x.exempted) continue;
      const m = /^task:(\d+)$/.exec(x.object || '');
      const t = m && d.tasks.find((tt) => String(tt.id) === m[1]);
      rows.push({ what: label(ACCOUNTABILITY_KINDS, x.kind), note: x.reason, href: '#/accountability', task: t, date: '', level: x.level || '' });
    }
  }
  rows.sort((a, b) => rank(b.level) - rank(a.level) || String(a.date).localeCompare(String(b.date)));
  const red = rows.filter((r) => levelClass(r.level) === 'red' && r.level);
  const yellow = rows.filter((r) => levelClass(r.level) === 'yellow');
  const open = d.tasks.filter((t) => !/published|closed|done|finished|cancelled/.test(t.status || ''));
  const shown = rows.filter((r) => r.level && levelClass(r.level) !== 'green');
  return h('div', null,
    h('div', { class: 'stats' },
      h('div', { class: 'stat red', id: 'stat-overdue' }, h('div', { class: 'n' }, String(red.length)), '已逾期'),
      h('div', { class: 'stat yellow', id: 'stat-due' }, h('div', { class: 'n' }, String(yellow.length)), '临近期限'),
      h('a', { class: 'stat green', href: '#/tasks' }, h('div', { class: 'n' }, String(open.length)), '进行中的任务'),
      h('a', { class: 'stat', href: '#/tasks' }, h('div', { class: 'n' }, String(d.tasks.length)), '任务总数')),
    h('section', { class: 'card', id: 'deadlines' }, h('h2', null, '期限提醒（临近和已逾期）'), table([
      { key: 'what', label: '事项', render: (r) => h('span', null, h('a', { href: r.href }, r.what), r.note ? h('div', { class: 'todo-note' }, r.note) : null) },
      { key: 'task', label: '任务', render: (r) => (r.task ? h('a', { href: `#/tasks/${r.task.id}` }, r.task.name) : '') },
      { key: 'date', label: '期限' },
      { key: 'level', label: '预警', render: (r) => h('span', { class: `badge ${levelClass(r.level)}` }, label(WARNING, r.level) || '正常') },
    ], shown, {
      empty: '没有临近或超过期限的事项',
      rowClass: (r) => `warn-${levelClass(r.level)}`,
    })));
}

// Published results counted by industry or by category (every page of /api/public/results, at
// most 20 pages of 50).
async function resultsBy(what) {
  let rows = [];
  let total = 0;
  try {
    for (let page = 1; page <= 20; page++) {
      const r = await api('GET', `/api/public/results?page=${page}`);
      const list = listOf(r, 'results');
      rows = rows.concat(list);
      total = typeof r.total === 'number' ? r.total : rows.length;
      if (!list.length || rows.length >= total) break;
    }
  } catch (e) {
    return msg('info', `暂无结果数据（${errorText(e)}）`);
  }
  const counts = {};
  for (const r of rows) {
    const k = what === 'industry' ? (r.industry || '（未填写）') : (r.category || '?');
    counts[k] = (counts[k] || 0) + 1;
  }
  const data = what === 'industry'
    ? [...INDUSTRIES.filter((i) => counts[i]).map((i) => [i, counts[i]]), ...Object.keys(counts).filter((k) => !INDUSTRIES.includes(k)).map((k) => [k, counts[k]])]
    : Object.keys(RESULT_CATEGORIES).map((c) => [`${c}. ${RESULT_CATEGORIES[c]}`, counts[c] || 0]);
  const id = what === 'industry' ? 'chart-industry' : 'chart-category';
  if (!rows.length) return h('div', null, msg('info', '尚无已公示的检查结果'), what === 'category' ? barChart(data, id) : null);
  return h('div', null, barChart(data, id), h('p', { class: 'notice' }, `共 ${total} 条已公示结果${rows.length < total ? `（按最近 ${rows.length} 条统计）` : ''}`));
}

// A horizontal bar chart of [label, count] pairs.
function barChart(data, id) {
  return chartBox(id, { type: 'bar', horizontal: true, title: id === 'chart-industry' ? '已公示结果（按行业）' : '已公示结果（按结果类别）',
    labels: data.map(([l]) => l), series: [{ label: '已公示结果', data: data.map(([, n]) => n) }] });
}
