// portal.js: the public disclosure portal (no login): item list with adjustments, plans, task
// announcements (each re-checks its own draw in the browser, js/verify.js), results, and how
// anyone can re-check a draw.
import { api, h, mount, msg, errorText, table, section, kv, listOf, fmtTime, details, parseHash, pager, qs, form } from '/js/ui.js';
import { verifyAnnouncement, selfTest, selfTestV2, CHECK_LABELS } from '/js/verify.js';
import { RESULT_CATEGORIES, MODE, STRATA, INDUSTRIES, label, loadMeta } from '/js/labels.js';
import { changesText } from '/js/pages/items.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

const PAGES = {
  '': home, items, plans, tasks, results, units, objection, 'how-to-verify': howTo,
};

async function route() {
  const { parts, query } = parseHash(location.hash);
  const key = parts[0] || '';
  for (const a of nav.querySelectorAll('a')) {
    const on = a.getAttribute('href') === `#/${key}`;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  nav.classList.remove('open');
  const page = PAGES[key];
  if (!page) {
    mount(main, msg('error', '没有这个页面'));
    return;
  }
  mount(main, h('p', { class: 'loading' }, '加载中…'));
  try {
    mount(main, await page(parts, query));
  } catch (e) {
    mount(main, msg('error', errorText(e)));
  }
}

// The USCC search box of the home page and the unit page: opens #/units/{uscc}.
function unitSearch(value = '') {
  const input = h('input', { type: 'search', id: 'unit-uscc', maxlength: 18, placeholder: '18 位统一社会信用代码', value, 'aria-label': '统一社会信用代码' });
  return h('form', { class: 'toolbar', id: 'unit-search', onsubmit: (e) => {
    e.preventDefault();
    const v = input.value.trim().toUpperCase();
    if (v) location.hash = `#/units/${encodeURIComponent(v)}`;
  } }, input, h('button', { type: 'submit', class: 'primary' }, '查询'));
}

async function home() {
  const r = await api('GET', '/api/public/tasks?page=1');
  const latest = listOf(r, 'tasks').slice(0, 5);
  return h('div', null,
    h('h1', null, '安全生产“双随机、一公开”信息公开'),
    section(null,
      h('p', null, '本平台公开县应急管理局安全生产监管执法的抽查事项清单、年度抽查计划、每次抽查任务的抽取公告和检查结果。'),
      h('p', null, '“双随机”：随机抽取检查对象，随机选派执法检查人员；“一公开”：抽查情况和查处结果及时向社会公开。'),
      h('p', null, '每次抽取都可以由任何人独立核验：抽取公告页面会在您的浏览器中按公开的算法重新计算一遍，并显示“已验证”或具体哪一项不符。',
        h('a', { href: '#/how-to-verify' }, '了解核验方法'), '。')),
    h('div', { class: 'stats' },
      h('a', { class: 'stat', href: '#/items' }, h('div', { class: 'n' }, '清单'), '抽查事项及调整'),
      h('a', { class: 'stat', href: '#/plans' }, h('div', { class: 'n' }, '计划'), '年度抽查计划'),
      h('a', { class: 'stat', href: '#/tasks' }, h('div', { class: 'n' }, '公告'), '抽取公告与核验'),
      h('a', { class: 'stat', href: '#/results' }, h('div', { class: 'n' }, '结果'), '检查结果')),
    section('最新抽取公告', latest.length ? h('ul', { class: 'latest', id: 'latest-tasks' }, latest.map((t) => h('li', null,
      h('a', { href: `#/tasks/${t.id}` }, t.name || `任务 ${t.id}`),
      h('span', { class: 'muted' }, `　${t.lead_unit || ''}　${fmtTime(t.locked_at)}　抽中 ${(t.counts || {}).units ?? 0} 家`))))
      : h('p', { class: 'empty' }, '尚无抽取公告'), h('p', null, h('a', { href: '#/tasks' }, '全部抽取公告'))),
    section('我单位是否被抽中',
      h('p', null, '输入单位的统一社会信用代码，查看该单位在哪些抽查任务中是候选对象、被抽中或被排除（及排除理由），以及已公示的检查结果。'),
      unitSearch()));
}

const UNIT_STATUS = { selected: '被抽中', candidate: '候选（未抽中）', excluded: '被排除' };

async function units(parts) {
  const uscc = parts[1] || '';
  const head = [h('h1', null, '我单位是否被抽中'), section(null, unitSearch(uscc))];
  if (!uscc) return h('div', null, ...head);
  const u = await api('GET', `/api/public/units/${encodeURIComponent(uscc)}`);
  const tasksOf = u.tasks || [];
  return h('div', null, ...head,
    section(`${u.name || '（名录中无此单位）'}　${u.uscc}`,
      h('p', { id: 'unit-summary' }, tasksOf.length
        ? `共 ${tasksOf.length} 个已公告的抽查任务涉及本单位，其中被抽中 ${tasksOf.filter((x) => x.status === 'selected').length} 次。`
        : '本单位未出现在任何已公告的抽查任务中。'),
      table([
        { key: 'task_name', label: '抽查任务', render: (x) => h('a', { href: `#/tasks/${x.task_id}` }, x.task_name || `任务 ${x.task_id}`) },
        { key: 'lead_unit', label: '牵头单位' },
        { key: 'dates', label: '起止日期', render: (x) => `${x.start_date || ''} 至 ${x.end_date || ''}` },
        { key: 'status', label: '本单位情况', render: (x) => UNIT_STATUS[x.status] || x.status },
        { key: 'stratum', label: '抽查层', render: (x) => (x.stratum ? STRATA[x.stratum] || x.stratum : '') },
        { key: 'reason', label: '排除理由', render: (x) => (x.reason ? `${x.reason}${x.clause ? `（${x.clause}）` : ''}` : '') },
        { key: 'locked_at', label: '公告时间', render: (x) => fmtTime(x.locked_at) },
      ], tasksOf, { empty: '无' })),
    section('已公示的检查结果', resultTable(u.results || [], '尚无公示的检查结果'),
      (u.results || []).length ? h('p', null, '对检查结果有异议？', h('a', { href: `#/objection?uscc=${encodeURIComponent(u.uscc)}`, id: 'unit-objection' }, '在线提出异议')) : null));
}

// A file as base64 (without the data: prefix), for the JSON body of an online objection.
function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const rd = new FileReader();
    rd.onload = () => resolve(String(rd.result).replace(/^data:[^,]*,/, ''));
    rd.onerror = () => reject(new Error('无法读取文件'));
    rd.readAsDataURL(file);
  });
}

const FILES_MAX = 5;

// 9.2: an inspected unit files an objection to its published result with the one-time code
// printed on its 随机抽查通知书 (POST /api/public/objections).
async function objection(parts, query) {
  const done = h('div', { id: 'objection-done' });
  const files = h('input', { type: 'file', id: 'f-objection-files', multiple: true,
    accept: 'application/pdf,image/jpeg,image/png,image/gif,image/webp,.doc,.docx,.xls,.xlsx,.ofd,text/plain' });
  const f = form([
    { name: 'uscc', label: '统一社会信用代码', required: true, value: query.uscc || '', placeholder: '18 位统一社会信用代码' },
    { name: 'code', label: '异议查询码', required: true, placeholder: '见随机抽查通知书，如 AB12-CD34-EF56',
      help: '每个查询码只能提交一次异议；连续输错 10 次将锁定 1 小时。' },
    { name: 'applicant', label: '提出人（单位或姓名）', required: true },
    { name: 'contact', label: '联系电话', help: '仅供执法部门联系反馈，不会公开。' },
    { name: 'text', label: '异议内容和理由', type: 'textarea', required: true, wide: true },
  ], async (v) => {
    const list = Array.from(files.files || []);
    if (list.length > FILES_MAX) throw new Error(`最多上传 ${FILES_MAX} 个附件`);
    const attachments = [];
    for (const file of list) {
      attachments.push({ name: file.name, content_type: file.type || 'application/octet-stream', data: await fileBase64(file) });
    }
    const body = { uscc: v.uscc.trim().toUpperCase(), code: v.code.trim(), applicant: v.applicant.trim(), text: v.text };
    if (v.contact.trim()) body.contact = v.contact.trim();
    if (attachments.length) body.attachments = attachments;
    const r = await api('POST', '/api/public/objections', body);
    mount(done, msg('ok', `异议已提交（编号 ${r.id}），收到日期 ${r.received}。执法部门将于 ${r.review_due} 前作出复核决定（第 9.2 条），并向您反馈。`));
    f.el.hidden = true;
    return null;
  }, {
    idPrefix: 'objection', submitLabel: '提交异议',
    confirm: (v) => `将以“${v.applicant}”的名义对统一社会信用代码为 ${v.uscc.trim().toUpperCase()} 的单位已公示的检查结果提出异议；提交后查询码即失效，不能撤回或修改。`,
    progress: '正在提交异议，请稍候…',
  });
  const fileRow = h('div', { class: 'field wide' }, h('label', { for: 'f-objection-files' }, `附件（可选，最多 ${FILES_MAX} 个：PDF、图片、Office 文档）`), files);
  f.el.querySelector('.fields').appendChild(fileRow);
  return h('div', null,
    h('h1', null, '异议申请'),
    section(null,
      h('p', null, '被检查单位对本平台公示的检查结果有异议的，可在结果公示之日起规定期限内，凭统一社会信用代码和随机抽查通知书上的异议查询码在此提出。'),
      h('p', null, '也可以先', h('a', { href: '#/units' }, '查询本单位的抽查情况和检查结果'), '。')),
    section('填写异议', f.el, done));
}

async function items() {
  const r = await api('GET', '/api/public/items');
  const list = listOf(r, 'items');
  return h('div', null,
    h('h1', null, '抽查事项清单'),
    section(null, table([
      { key: 'name', label: '抽查事项' }, { key: 'target', label: '检查对象' }, { key: 'category', label: '事项类别' },
      { key: 'method', label: '检查方式' }, { key: 'department', label: '检查部门' }, { key: 'level', label: '实施层级' },
      { key: 'basis', label: '检查依据' },
      { key: 'checkpoints', label: '检查要点', render: (i) => h('ol', null, (i.checkpoints || []).map((c) => h('li', null, c.text || c))) },
    ], list)),
    section('清单调整记录', table([
      { key: 'date', label: '日期' }, { key: 'item_name', label: '事项' },
      { key: 'kind', label: '类型', render: (a) => ({ create: '新增', update: '调整', deactivate: '停用' }[a.kind] || a.kind) },
      { key: 'reason', label: '调整理由' }, { key: 'changes', label: '调整内容', render: (a) => changesText(a.changes) },
    ], r.adjustments || [], { empty: '尚无调整' })));
}

async function plans() {
  const list = listOf(await api('GET', '/api/public/plans'), 'plans');
  return h('div', null, h('h1', null, '年度抽查计划'),
    list.length ? list.map((p) => section(`${p.year ?? ''} 年度：${p.name ?? ''}`, kv({
      抽查范围: p.scope, 抽查比例: p.ratios ? Object.entries(p.ratios).map(([k, v]) => `${label(STRATA, k)}：${Math.round(v * 1000) / 10}%`).join('；') : '',
      时间安排: Array.isArray(p.schedule) ? p.schedule.join('；') : p.schedule, 预计抽查户数: p.estimated_count, 联合抽查次数: p.joint_checks,
      计划任务: Array.isArray(p.tasks) && p.tasks.length ? table([
        { key: 'name', label: '任务' }, { key: 'joint', label: '部门联合', render: (t) => (t.joint ? '是' : '否') },
        { key: 'start_date', label: '开始日期' }, { key: 'end_date', label: '结束日期' }], p.tasks) : '',
      备案: p.filed_at ? `${p.filed_at} ${p.filed_with || ''}` : '', 公布时间: fmtTime(p.published_at),
    }), p.adjustments && p.adjustments.length ? details('计划调整', table([{ key: 'at', label: '时间', render: (a) => fmtTime(a.at) }, { key: 'reason', label: '理由' }, { key: 'changes', label: '内容', render: (a) => changesText(a.changes) }], p.adjustments)) : null))
      : msg('info', '尚无公开的计划'));
}

async function tasks(parts, query) {
  if (parts[1]) return announcement(parts[1]);
  const q = query || {};
  const page = /^\d+$/.test(q.page || '') ? Number(q.page) : 1;
  const params = new URLSearchParams();
  if (/^\d{4}$/.test(q.year || '')) params.set('year', q.year);
  if (q.q) params.set('q', q.q);
  params.set('page', String(page));
  const r = await api('GET', `/api/public/tasks?${params}`);
  const list = listOf(r, 'tasks');
  const total = r.total || 0;
  const pages = Math.max(1, Math.ceil(total / (r.page_size || 20)));
  const go = (p) => {
    const o = new URLSearchParams();
    if (yearInput.value) o.set('year', yearInput.value);
    if (qInput.value.trim()) o.set('q', qInput.value.trim());
    if (p > 1) o.set('page', String(p));
    location.hash = `#/tasks${o.toString() ? `?${o}` : ''}`;
  };
  const yearInput = h('input', { type: 'number', id: 'tasks-year', min: 2000, max: 2100, placeholder: '年度', value: q.year || '' });
  const qInput = h('input', { type: 'search', id: 'tasks-q', placeholder: '任务名称、单位名称或统一社会信用代码', value: q.q || '' });
  const search = h('form', { class: 'toolbar', id: 'tasks-search', onsubmit: (e) => { e.preventDefault(); go(1); } },
    h('label', null, '年度 ', yearInput), h('label', null, '检索 ', qInput), h('button', { type: 'submit', class: 'primary' }, '查询'));
  const idInput = h('input', { type: 'number', id: 'task-id', min: 1, placeholder: '任务编号' });
  const open = h('button', { type: 'button', onclick: () => { if (idInput.value) location.hash = `#/tasks/${idInput.value}`; } }, '查看公告');
  const counts = (t) => {
    const c = t.counts || {};
    return `候选 ${c.candidates ?? 0} 家，抽中 ${c.units ?? 0} 家${c.teams ? `，检查组 ${c.teams} 个` : ''}`;
  };
  return h('div', null, h('h1', null, '抽取公告'),
    section(null, search,
      h('p', { class: 'muted', id: 'tasks-total' }, `共 ${total} 个已锁定的抽查任务${pages > 1 ? `，第 ${page}/${pages} 页` : ''}`),
      table([
        { key: 'id', label: '编号' },
        { key: 'name', label: '任务', render: (t) => h('a', { href: `#/tasks/${t.id}` }, t.name || `任务 ${t.id}`) },
        { key: 'units', label: '牵头/联合单位', render: (t) => [t.lead_unit, ...(t.joint_units || [])].filter(Boolean).join('、') },
        { key: 'dates', label: '起止日期', render: (t) => `${t.start_date || ''} 至 ${t.end_date || ''}` },
        { key: 'items', label: '抽查事项', render: (t) => (t.items || []).join('、') },
        { key: 'counts', label: '抽取情况', render: counts },
        { key: 'locked_at', label: '公告时间', render: (t) => fmtTime(t.locked_at) },
      ], list, { empty: '没有符合条件的抽取公告', onRow: (t) => { location.hash = `#/tasks/${t.id}`; } }),
      pages > 1 ? h('div', { class: 'toolbar' },
        page > 1 ? h('button', { type: 'button', id: 'tasks-prev', onclick: () => go(page - 1) }, '上一页') : null,
        page < pages ? h('button', { type: 'button', id: 'tasks-next', onclick: () => go(page + 1) }, '下一页') : null) : null),
    section('按编号查看', h('div', { class: 'toolbar' }, idInput, open)));
}

// Fetches, parses and re-checks an announcement in a Web Worker (js/verify-worker.js) so that the
// page stays responsive however large it is; where workers are unavailable, on this thread.
// Returns { summary, done, lines }: promises of the announcement for display and of the report, and
// lines(key): a promise of a list, a line per entry (key: a stratum's index, its selected units as
// "USCC\tname"; 'teams', each team as JSON with unit_name), which the worker sends after the
// summary, each in its own message, as UTF-8 bytes (here, without a worker, as a text).
function verifyRemote(url, onProgress) {
  let okS, badS, okD, badD;
  const summary = new Promise((a, b) => { okS = a; badS = b; });
  const done = new Promise((a, b) => { okD = a; badD = b; });
  const waiting = new Map();   // key -> { promise, ok, bad }
  const slot = (key) => {
    let x = waiting.get(String(key));
    if (!x) {
      x = {};
      x.promise = new Promise((a, b) => { x.ok = a; x.bad = b; });
      x.promise.catch(() => {});
      waiting.set(String(key), x);
    }
    return x;
  };
  const lines = (key) => slot(key).promise;
  let w = null;
  try { w = new Worker('/js/verify-worker.js', { type: 'module' }); } catch (e) { w = null; }
  if (!w) {
    api('GET', url).then((ann) => {
      okS(ann);
      ((ann.draw || {}).strata || []).forEach((s, i) => slot(i).ok((s.selected || []).map((u) => `${u}\t${unitName(ann, u).trim()}`).join('\n')));
      slot('teams').ok((ann.teams || []).map((x) => JSON.stringify({ ...x, unit_name: unitName(ann, x.uscc).trim() })).join('\n'));
      verifyAnnouncement(ann, { onProgress: (p) => onProgress({ ...p, phase: 'verify' }) }).then(okD, badD);
    }, (e) => { badS(e); badD(e); });
    return { summary, done, lines };
  }
  const fail = (e) => {
    badS(e); badD(e);
    for (const x of waiting.values()) x.bad(e);
    w.terminate();
  };
  w.onmessage = (ev) => {
    const m = ev.data || {};
    if (m.type === 'summary') okS(m.ann);
    else if (m.type === 'lines') slot(m.key).ok(m.bytes);
    else if (m.type === 'progress') onProgress(m);
    else if (m.type === 'done') { okD(m.rep); w.terminate(); } else if (m.type === 'error') fail(Object.assign(new Error(m.message), { status: m.status }));
  };
  w.onerror = (ev) => { ev.preventDefault(); fail(new Error(`核验出错：${ev.message || '无法启动核验'}`)); };
  w.postMessage({ url });
  return { summary, done, lines };
}

// A box that shows a list the worker sends after the summary (job.lines(key)), built by
// build(rows) when it comes: rows is an array of lines, or for the worker's bytes a byteLines.
function laterList(job, key, build) {
  const box = h('div', { class: 'muted' }, '正在整理名单……');
  job.lines(key).then((x) => {
    box.className = '';
    mount(box, build(typeof x === 'string' ? (x ? x.split('\n') : []) : byteLines(x)));
  }, () => mount(box, ''));
  return box;
}

// The lines of a UTF-8 text (Uint8Array), decoded only as they are asked for: { length,
// slice(a, b) (an array of lines), all() (every line, decoded once) }. A drawn stratum's list of
// a hundred thousand units is found in a few milliseconds; only its shown page is decoded.
function byteLines(bytes) {
  const starts = [];
  if (bytes.length) {
    starts.push(0);
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) starts.push(i + 1);
  }
  const dec = new TextDecoder();
  const end = (i) => (i + 1 < starts.length ? starts[i + 1] - 1 : bytes.length);
  let every = null;
  return {
    length: starts.length,
    slice(a, b) {
      const out = [];
      for (let i = Math.max(0, a); i < Math.min(b, starts.length); i++) out.push(dec.decode(bytes.subarray(starts[i], end(i))));
      return out;
    },
    all() {
      if (!every) every = starts.length ? dec.decode(bytes).split('\n') : [];
      return every;
    },
  };
}

async function announcement(id) {
  const bar = h('progress', { id: 'verify-progress', max: 1, value: 0 });
  const status = h('div', { class: 'verify-status pending', id: 'verify-status', role: 'status', 'aria-live': 'polite' }, '正在浏览器中核验抽取……');
  const phaseText = { download: '正在下载公告……', parse: '正在读取公告……' };
  const job = verifyRemote(`/api/public/tasks/${encodeURIComponent(id)}`, (p) => {
    if (!status.classList.contains('pending')) return;
    if (p.phase === 'verify' && p.total) {
      bar.max = p.total;
      bar.value = p.done;
      status.textContent = `正在浏览器中核验抽取……已核对候选 ${p.done.toLocaleString('zh-CN')} / ${p.total.toLocaleString('zh-CN')}`;
    } else if (p.phase === 'download' && p.done) {
      status.textContent = `正在下载公告……已下载 ${(p.done / 1048576).toFixed(1)} MB`;
    } else if (phaseText[p.phase]) status.textContent = phaseText[p.phase];
  });
  job.done.catch(() => {});
  const ann = await job.summary;
  const t = ann.task || {};
  const d = ann.draw || {};
  const detail = h('div', { id: 'verify-detail' });
  const nTeams = ann.teams_total ?? (ann.teams || []).length;
  const page = h('div', null,
    h('h1', null, `抽取公告：${t.name || `任务 ${id}`}`),
    section('核验结果', status, bar, detail,
      h('p', { class: 'notice' }, '核验完全在您的浏览器中进行（WebCrypto SHA-256），不依赖服务器的说法。也可以下载本公告，用 ', h('code', null, `spotcheck verify ${location.origin}/api/public/tasks/${id}`), ' 核验。'),
      h('a', { class: 'button', href: `/api/public/tasks/${encodeURIComponent(id)}`, download: `task-${id}-announcement.json` }, '下载公告 JSON')),
    section('任务', kv({
      任务编号: t.id ?? id, 任务名称: t.name, 抽查方式: label(MODE, t.mode), 起止日期: t.start_date ? `${t.start_date} 至 ${t.end_date}` : '',
      牵头单位: t.lead_unit, 联合单位: Array.isArray(t.joint_units) ? t.joint_units.join('、') : t.joint_units,
      抽查事项: Array.isArray(t.items) ? t.items.map((i) => i.name || i).join('、') : Array.isArray(t.item_ids) ? t.item_ids.join('、') : '',
      锁定时间: fmtTime(t.locked_at),
    })),
    section('抽取参数', kv({
      算法: h('code', null, d.algorithm || ''), 承诺值: h('code', { class: 'hash' }, d.commitment || ''), 秘密值: h('code', { class: 'hash' }, d.secret || ''),
      监督人见证文字: d.witness === '' ? '（空）' : d.witness,
      ...(d.witness_commitment ? {
        见证文字承诺值: h('code', { class: 'hash', id: 'ann-witness-commitment' }, d.witness_commitment),
        公开随机数来源: h('span', { id: 'ann-beacon-source' }, d.beacon_source || ''),
        公开随机数: h('span', { id: 'ann-beacon' }, d.beacon ?? '（抽取后公布）'),
      } : {}),
      种子: h('code', { class: 'hash' }, d.seed || ''),
      '候选名单散列 H_c': h('code', { class: 'hash' }, d.candidates_hash || ''), 抽取次数: d.attempts,
      重抽理由: Array.isArray(d.redraws) && d.redraws.length ? d.redraws.map((r, i) => `第 ${i + 1} 次：${r.reason}`).join('；') : '无',
    })),
    section('各层抽取结果', (d.strata || []).map((s, i) => h('div', null,
      h('h3', null, `第 ${i} 层 ${s.label || s.name}：候选 ${s.candidates_total ?? (s.candidates || []).length} 家，抽中 ${s.selected_total ?? (s.selected || []).length} 家`),
      laterList(job, i, (rows) => pagedList(`sel-${i}`, rows, (line) => {
        const [u, name] = line.split('\t');
        return h('li', null, h('code', null, u), name ? ` ${name}` : '');
      }, (line) => line, { cls: 'sel', label: '在抽中名单中查找（信用代码或名称）' })),
      details(`候选名单（${s.candidates_total ?? (s.candidates || []).length}，按信用代码字节序排列）`,
        (s.candidates_total ?? 0) > (s.candidates || []).length ? h('p', { class: 'notice' }, `此处只列出前 ${(s.candidates || []).length} 家；完整名单见下载的公告 JSON（核验使用完整名单）。`) : null,
        h('pre', { class: 'block' }, (s.candidates || []).join('\n')))))),
    nTeams ? details(`检查组（${nTeams} 个，${ann.teams_random ?? (ann.teams || []).filter((x) => x.method === 'random').length} 个随机抽取）`, laterList(job, 'teams', (rows) => pagedTable('teams', [
      { key: 'uscc', label: '被检查单位' },
      { key: 'unit', label: '单位名称', render: (x) => x.unit_name ?? '' },
      { key: 'inspectors', label: '检查人员（姓名 执法证号）', render: (x) => (x.members || (x.inspectors || []).map((c) => ({ cert_no: c }))).map((m) => `${m.name || ''} ${m.cert_no}`.trim()).join('、') },
      { key: 'leader', label: '组长', render: (x) => `${x.leader_name || ''} ${x.leader || ''}`.trim() },
      { key: 'method', label: '产生方式', render: (x) => (x.method === 'appointed' ? `直接委派：${x.reason || ''}` : '随机抽取') },
      { key: 'slots', label: '各名额（人员池 → 抽中）', render: (x) => (x.slots || []).map((s) => `名额${s.slot}${s.label ? `（${s.label}）` : ''}：池 ${(s.pool || []).length} 人 → ${(s.picks || []).join('、')}${(s.redraws || []).length ? `；重抽 ${s.redraws.map((r) => `${r.removed}→${r.replacement}（${r.reason}）`).join('；')}` : ''}`).join('\n') },
    ], rows, (line) => line))) : null);

  job.done.then((rep) => { bar.remove(); showReport(status, detail, rep); }).catch((e) => {
    bar.remove();
    status.className = 'verify-status bad';
    mount(status, `核验出错：${errorText(e)}`);
  });
  return page;
}

// A long list (tens of thousands of drawn units) shown a page at a time, with a filter: only one
// page is ever in the document, so the page stays quick however large the draw. items: an array
// of lines, or a byteLines (decoded a page at a time, wholly only to filter).
const LIST_PAGE = 100;
function pagedList(id, items, renderItem, textOf, { cls = '', label = '查找' } = {}) {
  const list = h('ol', { class: cls, id: `${id}-list` });
  const info = h('span', { class: 'muted', id: `${id}-info` });
  const prev = h('button', { type: 'button', id: `${id}-prev` }, '上一页');
  const next = h('button', { type: 'button', id: `${id}-next` }, '下一页');
  const filter = h('input', { type: 'search', id: `${id}-filter`, placeholder: label, 'aria-label': label });
  let shown = items, page = 0;
  const draw = () => {
    const pages = Math.max(1, Math.ceil(shown.length / LIST_PAGE));
    page = Math.min(page, pages - 1);
    list.setAttribute('start', String(page * LIST_PAGE + 1));
    mount(list, ...shown.slice(page * LIST_PAGE, (page + 1) * LIST_PAGE).map(renderItem));
    info.textContent = shown.length > LIST_PAGE ? `第 ${page + 1} / ${pages} 页，共 ${shown.length} 项` : `共 ${shown.length} 项`;
    prev.hidden = page === 0;
    next.hidden = page >= pages - 1;
  };
  prev.onclick = () => { page -= 1; draw(); };
  next.onclick = () => { page += 1; draw(); };
  filter.oninput = () => {
    const q = filter.value.trim();
    shown = q ? (items.all ? items.all() : items).filter((x) => textOf(x).includes(q)) : items;
    page = 0;
    draw();
  };
  draw();
  return h('div', { class: 'paged-list', id },
    items.length > LIST_PAGE ? h('div', { class: 'toolbar' }, filter) : null, list,
    h('div', { class: 'toolbar' }, prev, next, info));
}

// table() a page at a time with a filter, for the announcement's teams: rows are JSON texts, one per
// team (the worker's lines), parsed only when their page is shown.
function pagedTable(id, columns, rows, textOf) {
  const box = h('div');
  const info = h('span', { class: 'muted', id: `${id}-info` });
  const prev = h('button', { type: 'button', id: `${id}-prev` }, '上一页');
  const next = h('button', { type: 'button', id: `${id}-next` }, '下一页');
  const filter = h('input', { type: 'search', id: `${id}-filter`, placeholder: '查找（信用代码或名称）', 'aria-label': '查找检查组' });
  let shown = rows, page = 0;
  const draw = () => {
    const pages = Math.max(1, Math.ceil(shown.length / LIST_PAGE));
    page = Math.min(page, pages - 1);
    mount(box, table(columns, shown.slice(page * LIST_PAGE, (page + 1) * LIST_PAGE).map((line) => JSON.parse(line))));
    info.textContent = shown.length > LIST_PAGE ? `第 ${page + 1} / ${pages} 页，共 ${shown.length} 个` : `共 ${shown.length} 个`;
    prev.hidden = page === 0;
    next.hidden = page >= pages - 1;
  };
  prev.onclick = () => { page -= 1; draw(); };
  next.onclick = () => { page += 1; draw(); };
  filter.oninput = () => {
    const q = filter.value.trim();
    shown = q ? (rows.all ? rows.all() : rows).filter((x) => textOf(x).includes(q)) : rows;
    page = 0;
    draw();
  };
  draw();
  return h('div', { class: 'paged-list', id }, rows.length > LIST_PAGE ? h('div', { class: 'toolbar' }, filter) : null, box,
    h('div', { class: 'toolbar' }, prev, next, info));
}

// The unit's name from the announcement's "units", through a map built once per announcement (a
// large draw has tens of thousands of selected units).
const unitMaps = new WeakMap();
function unitName(ann, uscc) {
  let m = unitMaps.get(ann);
  if (!m) {
    m = new Map((ann.units || []).map((x) => [x.uscc, x.name]));
    unitMaps.set(ann, m);
  }
  const name = m.get(uscc);
  return name ? ` ${name}` : '';
}

export function showReport(status, detail, rep) {
  if (rep.ok) {
    status.className = 'verify-status ok';
    mount(status, '已验证');
    status.appendChild(h('span', { style: { fontWeight: 'normal', fontSize: '.95rem' } }, `　共 ${rep.checks.length} 项检查全部通过：承诺值、种子、候选名单散列和每一层的抽中名单${rep.checks.some((c) => c.check === 'slot_picks') ? '、检查组抽取' : ''}都与公开的数据一致。`));
  } else {
    status.className = 'verify-status bad';
    mount(status, rep.malformed ? '无法核验：公告格式不完整' : '核验未通过');
  }
  const where = (c) => [c.stratum !== undefined ? `第 ${c.stratum} 层${c.name ? `（${STRATA[c.name] || c.name}）` : ''}` : '', c.uscc ? `检查组 ${c.uscc}` : '', c.slot !== undefined ? `名额 ${c.slot}` : ''].filter(Boolean).join(' ');
  mount(detail,
    rep.errors.length ? h('div', { class: 'msg msg-error', role: 'alert', id: 'verify-errors' }, h('strong', null, '不符之处：'), h('ul', null, rep.errors.map((e) => h('li', null, e)))) : null,
    details(`检查明细（${rep.checks.filter((c) => c.ok).length}/${rep.checks.length} 通过）`,
      h('ul', { class: 'checks' }, rep.checks.map((c) => h('li', { class: c.ok ? 'ok' : 'bad' }, `${c.label || CHECK_LABELS[c.check] || c.check}${where(c) ? ` — ${where(c)}` : ''}`)))));
}

function correctionText(c) {
  const show = (k, v) => (k === 'category' ? `${v}. ${RESULT_CATEGORIES[v] || ''}` : k === 'records' ? '检查记录' : String(v ?? ''));
  const names = { category: '结果类别', summary: '说明', records: '检查记录' };
  const parts = Object.keys(c.changes || {}).filter((k) => names[k]).map((k) => `${names[k]}：${show(k, (c.before || {})[k])} → ${show(k, c.changes[k])}`);
  return `${c.date || fmtTime(c.at)} ${parts.join('；')}（理由：${c.reason}）`;
}

function resultTable(list, empty) {
  return table([
    { key: 'task', label: '任务', render: (x) => (x.task_id ? h('a', { href: `#/tasks/${x.task_id}` }, x.task_name || `任务 ${x.task_id}`) : x.task_name || '') },
    { key: 'uscc', label: '统一社会信用代码', render: (x) => h('a', { href: `#/units/${x.uscc}` }, x.uscc) },
    { key: 'name', label: '单位名称', render: (x) => x.name || x.enterprise_name || '' },
    { key: 'industry', label: '行业', render: (x) => x.industry || '' },
    { key: 'region', label: '乡镇（街道）', render: (x) => x.region || '' },
    { key: 'category', label: '检查结果', render: (x) => (x.category ? `${x.category}. ${RESULT_CATEGORIES[x.category] || ''}` : '') },
    { key: 'summary', label: '说明', render: (x) => x.summary || '' },
    { key: 'published_at', label: '公示时间', render: (x) => fmtTime(x.published_at) },
    { key: 'corrections', label: '更正（原值 → 更正值）', render: (x) => (x.corrections && x.corrections.length ? h('ul', { class: 'corrections' }, x.corrections.map((c) => h('li', null, correctionText(c)))) : '') },
  ], list, { empty });
}

async function results(parts, query) {
  const q = query || {};
  const page = /^\d+$/.test(q.page || '') ? Number(q.page) : 1;
  const f = {
    task: /^\d+$/.test(q.task || '') ? q.task : '', year: /^\d{4}$/.test(q.year || '') ? q.year : '',
    township: q.township || '', industry: q.industry || '', category: q.category || '', q: q.q || '',
  };
  const r = await api('GET', `/api/public/results${qs({ ...f, page })}`);
  const list = listOf(r, 'results');
  const inputs = {
    year: h('input', { type: 'number', id: 'results-year', min: 2000, max: 2100, placeholder: '年度', value: f.year }),
    task: h('input', { type: 'number', id: 'results-task', min: 1, placeholder: '任务编号', value: f.task }),
    township: h('input', { type: 'text', id: 'results-township', placeholder: '乡镇（街道）', value: f.township }),
    industry: h('select', { id: 'results-industry' }, h('option', { value: '' }, '全部行业'),
      INDUSTRIES.map((n) => h('option', { value: n, selected: n === f.industry }, n))),
    category: h('select', { id: 'results-category' }, h('option', { value: '' }, '全部结果'),
      Object.entries(RESULT_CATEGORIES).map(([k, v]) => h('option', { value: k, selected: k === f.category }, `${k}. ${v}`))),
    q: h('input', { type: 'search', id: 'results-q', placeholder: '单位名称、统一社会信用代码或任务名称', value: f.q }),
  };
  const go = (p) => {
    const o = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    location.hash = `#/results${qs({ ...o, page: p > 1 ? p : '' })}`;
  };
  return h('div', null, h('h1', null, '检查结果'),
    h('p', { class: 'notice' }, '结果类别依据指引第 8.4 条。已公示的结果不再更改，确需更正的，经执行单位负责人签批后公示更正记录（原值、更正值、日期和理由）。点击任务名称可查看该任务的抽取公告并在浏览器中核验抽取。'),
    f.task ? h('p', null, `仅显示任务 ${f.task} 的结果。`, h('a', { href: `#/tasks/${f.task}`, id: 'results-task-announcement' }, '查看该任务的抽取公告'), '　', h('a', { href: '#/results' }, '显示全部')) : null,
    section(null,
      h('form', { class: 'toolbar', id: 'results-filter', onsubmit: (e) => { e.preventDefault(); go(1); } },
        h('label', null, '年度 ', inputs.year), h('label', null, '任务 ', inputs.task), h('label', null, '乡镇 ', inputs.township),
        h('label', null, '行业 ', inputs.industry), h('label', null, '结果 ', inputs.category), h('label', null, '检索 ', inputs.q),
        h('button', { type: 'submit', class: 'primary' }, '查询')),
      h('p', { class: 'muted', id: 'results-total' }, `共 ${r.total || 0} 条`),
      resultTable(list, '没有符合条件的检查结果'),
      (r.total || 0) > (r.page_size || 50) ? pager(page, r.page_size || 50, r.total, go) : null));
}

function howTo() {
  const selfBox = h('div', { id: 'selftest-result' });
  const pasteBox = h('textarea', { id: 'verify-json', rows: 6, placeholder: '把抽取公告的 JSON 粘贴到这里，或输入本站公告地址 /api/public/tasks/编号' });
  const pasteStatus = h('div', { class: 'verify-status pending', id: 'paste-status' }, '尚未核验');
  const pasteDetail = h('div');
  const runSelf = async () => {
    mount(selfBox, '计算中……');
    const r = await selfTest();
    mount(selfBox, h('div', { class: `verify-status ${r.ok ? 'ok' : 'bad'}` }, r.ok ? '测试向量通过' : '测试向量未通过'),
      kv({ 承诺值: h('code', { class: 'hash' }, r.commitment), 种子: h('code', { class: 'hash' }, r.seed), 'H_c': h('code', { class: 'hash' }, r.candidates_hash), 计算结果: r.selected.join(', '), 应为: r.expected.join(', ') }));
  };
  const selfBoxV2 = h('div', { id: 'selftest-v2-result' });
  const runSelfV2 = async () => {
    mount(selfBoxV2, '计算中……');
    const r = await selfTestV2();
    mount(selfBoxV2, h('div', { class: `verify-status ${r.ok ? 'ok' : 'bad'}` }, r.ok ? '测试向量通过' : '测试向量未通过'),
      kv({ 见证承诺值: h('code', { class: 'hash' }, r.witness_commitment), 种子: h('code', { class: 'hash' }, r.seed), 计算结果: r.selected.join(', '), 应为: r.expected.join(', ') }));
  };
  const runPaste = async () => {
    let text = pasteBox.value.trim();
    try {
      if (text.startsWith('/') || text.startsWith(location.origin)) {
        const resp = await fetch(text);
        text = await resp.text();
      }
      const rep = await verifyAnnouncement(JSON.parse(text));
      showReport(pasteStatus, pasteDetail, rep);
    } catch (e) {
      pasteStatus.className = 'verify-status bad';
      mount(pasteStatus, `无法读取公告：${errorText(e)}`);
    }
  };
  return h('div', { class: 'howto' },
    h('h1', null, '如何核验一次抽取'),
    section('为什么可以核验',
      h('p', null, '每次抽取之前，系统先把候选名单固定下来，并公布一个“承诺值”。承诺值是一个随机秘密值的 SHA-256 散列：它锁定了秘密值，却不泄露秘密值。抽取时，在场的监督人输入一段见证文字（例如姓名和时间），系统用“秘密值 + 见证文字”产生随机种子，再按固定算法抽出单位。'),
      h('p', null, '抽取后，公告会公开秘密值、见证文字、种子、全部候选名单和抽取结果。任何人都可以重新计算：秘密值是否与事先公布的承诺值相符、种子是否由秘密值和见证文字得出、抽中名单是否正是算法给出的结果。事先不知道见证文字，系统无法预先挑选结果；事先公布了承诺值，系统也无法事后换一个秘密值重抽而不被发现。如确需重抽，重抽次数和理由都会在公告中公开。')),
    section(h('span', null, '算法（', h('code', null, 'spotcheck-draw-v1'), '）'),
      h('p', null, '所有散列均为 SHA-256，以小写十六进制公布。', h('code', null, 'uint32_be(x)'), '、', h('code', null, 'uint64_be(x)'), ' 表示把 x 写成 4 或 8 个字节、高位在前。'),
      h('ol', null,
        h('li', null, '候选名单：每个抽查层的候选单位按统一社会信用代码的字节顺序排列，不重复。H_c = SHA-256(把所有层的所有信用代码依次写成“信用代码+换行符”后连接起来)，各层按公告中的顺序。公告还给出每一层自己的名单散列，便于指出是哪一层被改动。'),
        h('li', null, '承诺值 ', h('code', null, 'commitment = SHA-256(secret)'), '，', h('code', null, 'secret'), ' 为 32 字节随机数；冻结名单时与 H_c 一同公布。'),
        h('li', null, '种子 ', h('code', null, 'seed = SHA-256(secret ‖ witness)'), '，', h('code', null, 'witness'), ' 为监督人见证文字的 UTF-8 字节（可以为空）。'),
        h('li', null, '随机数流：第 s 层（从 0 起数）使用前缀 ', h('code', null, 'P = seed ‖ H_c ‖ uint32_be(s)'), '；第 j 块（j = 0, 1, 2, …）为 ', h('code', null, 'SHA-256(P ‖ uint64_be(j))'), '，每块按顺序读出 4 个高位在前的 64 位无符号整数。'),
        h('li', null, h('code', null, 'uniform(m)'), '：从流中取下一个整数 x；若 ', h('code', null, 'x ≥ 2^64 − (2^64 mod m)'), ' 则舍弃再取；返回 ', h('code', null, 'x mod m'), '。这样每个结果的概率完全相等。'),
        h('li', null, '部分 Fisher–Yates 洗牌：该层有 N 个候选、要抽 n 个时，令 a = (候选 0, …, 候选 N−1)，对 i = 0 … n−1：', h('code', null, 'r = uniform(N − i)'), '，交换 a[i] 与 a[i + r]。抽中名单就是 a[0 … n−1]，按此顺序公布。'),
        h('li', null, '检查组：锁定后用另一个秘密值（其承诺值随锁定公告公布）和见证文字得到 ', h('code', null, 'seed_t'), '。每个被抽中单位的每个名额有自己的人员池（执法证号，按字节序），H_i = 人员池的名单散列，前缀为 ', h('code', null, 'seed_t ‖ H_i ‖ 信用代码 ‖ uint32_be(名额编号)'), '，同样用部分 Fisher–Yates 抽取。回避或经批准的替换继续同一个洗牌的下一步，并在公告中注明。'))),
    section(h('span', null, '算法第 2 版（', h('code', null, 'spotcheck-draw-v2'), '）'),
      h('p', null, '第 1 版中，知道秘密值的操作人员如果与监督人串通，可以反复尝试不同的见证文字，直到得到想要的结果。第 2 版堵住了这个漏洞：'),
      h('ol', null,
        h('li', null, '冻结名单时，监督人就输入见证文字，但只公布它的散列 ', h('code', null, 'witness_commitment = SHA-256(witness)'), '；同时由计划编制人员指定一个将来才公布的公共随机数来源 ', h('code', null, 'beacon_source'), '（例如“福彩3D 某期开奖号码”）。'),
        h('li', null, '抽取时揭示见证文字（其散列必须与事先公布的 ', h('code', null, 'witness_commitment'), ' 相同），并录入该期公开的随机数 ', h('code', null, 'beacon'), '（UTF-8 文字）。'),
        h('li', null, '种子 ', h('code', null, 'seed = SHA-256(secret ‖ SHA-256(witness) ‖ SHA-256(beacon))'), '；其余步骤与第 1 版相同。')),
      h('p', null, '冻结时谁也不知道将来的公共随机数，因此操作人员和监督人都无法预先挑选结果。公告中的 ', h('code', null, 'algorithm'), ' 字段写明所用版本，第 1 版的公告仍可核验。')),
    section('用命令行核验',
      h('p', null, '安装本系统后，可以对下载的公告文件或公告地址运行：'),
      h('pre', { class: 'block' }, 'spotcheck verify task-12-announcement.json\nspotcheck verify http://服务器地址/api/public/tasks/12'),
      h('p', null, '全部相符时命令以状态 0 退出；否则逐项列出不符之处（哪一项检查、哪一层、第几位）并以非零状态退出。算法很短，也可以用任何编程语言按上面的步骤独立实现。')),
    section('测试向量',
      h('p', null, h('code', null, 'secret = 0x00 0x01 … 0x1f'), '（32 字节），', h('code', null, 'witness = "witness"'), '，一个抽查层，候选为 "A000" … "A049"（50 个），抽 5 个，结果依次为 A031、A044、A028、A042、A043。'),
      h('button', { type: 'button', id: 'selftest', onclick: runSelf }, '在本浏览器中计算测试向量'), selfBox,
      h('p', null, '第 2 版：同样的秘密值和候选，', h('code', null, 'witness = "witness"'), '，', h('code', null, 'beacon = "福彩3D 2026058期 开奖号码 3 7 1"'), '，抽 5 个，结果依次为 A041、A044、A024、A005、A047。'),
      h('button', { type: 'button', id: 'selftest-v2', onclick: runSelfV2 }, '在本浏览器中计算第 2 版测试向量'), selfBoxV2),
    section('核验任意公告',
      pasteBox, h('p', null, h('button', { type: 'button', class: 'primary', id: 'verify-paste', onclick: runPaste }, '核验')), pasteStatus, pasteDetail));
}

document.getElementById('nav-toggle').addEventListener('click', (ev) => {
  const open = nav.classList.toggle('open');
  ev.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', route);
// the rules' policy data (result categories, …) first, then the page
loadMeta().then(route, (e) => mount(main, msg('error', errorText(e))));
