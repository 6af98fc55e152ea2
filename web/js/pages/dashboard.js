// Dashboard: deadlines due and overdue (warning colours from deadlines.lua via the API), counts by
// industry and by result category as plain SVG/CSS bar charts.
import { api, h, mount, msg, errorText, section, table, listOf, loading } from '../ui.js';
import { RESULT_CATEGORIES, TASK_STATUS, WARNING, label } from '../labels.js';

export async function render(ctx) {
  return h('div', null,
    h('h1', null, '工作台'),
    loading(() => deadlines()),
    h('div', { class: 'row' },
      section('检查对象：按行业', loading(() => byIndustry())),
      section('检查结果：按结果类别', loading(() => byCategory()))));
}

// A row/obj's warning level, whatever the API calls it.
function warnOf(x) {
  const w = x.warning || x.warning_level || x.level || (x.deadline && x.deadline.warning);
  if (w) return String(w);
  if (x.overdue) return 'red';
  return '';
}

async function deadlines() {
  let tasks;
  try {
    tasks = listOf(await api('GET', '/api/tasks'), 'tasks');
  } catch (e) {
    return section('期限提醒', msg('warn', `无法读取任务：${errorText(e)}`));
  }
  const due = [];
  for (const t of tasks) {
    const dl = Array.isArray(t.deadlines) ? t.deadlines : t.deadline ? [{ what: '结果公示', ...(typeof t.deadline === 'object' ? t.deadline : { date: t.deadline }) }] : [];
    for (const d of dl) due.push({ task: t, what: d.what || d.kind || d.name || '期限', date: d.date || d.due || d.deadline, warning: warnOf(d) || warnOf(t) });
    if (!dl.length && warnOf(t)) due.push({ task: t, what: '期限', date: t.end_date, warning: warnOf(t) });
  }
  const red = due.filter((d) => /red|overdue/.test(d.warning));
  const yellow = due.filter((d) => /yellow/.test(d.warning));
  const open = tasks.filter((t) => !/published|closed|done|finished|cancelled/.test(t.status || ''));
  return h('div', null,
    h('div', { class: 'stats' },
      h('a', { class: 'stat red', href: '#/tasks', id: 'stat-overdue' }, h('div', { class: 'n' }, String(red.length)), '已逾期'),
      h('a', { class: 'stat yellow', href: '#/tasks', id: 'stat-due' }, h('div', { class: 'n' }, String(yellow.length)), '临近期限'),
      h('a', { class: 'stat green', href: '#/tasks' }, h('div', { class: 'n' }, String(open.length)), '进行中的任务'),
      h('a', { class: 'stat', href: '#/tasks' }, h('div', { class: 'n' }, String(tasks.length)), '任务总数')),
    section('期限提醒', table([
      { key: 'task', label: '任务', render: (d) => h('a', { href: `#/tasks/${d.task.id}` }, d.task.name || `任务 ${d.task.id}`) },
      { key: 'what', label: '事项' },
      { key: 'date', label: '期限' },
      { key: 'warning', label: '预警', render: (d) => h('span', { class: `badge ${/red|overdue/.test(d.warning) ? 'red' : /yellow/.test(d.warning) ? 'yellow' : 'green'}` }, label(WARNING, d.warning) || '正常') },
      { key: 'status', label: '任务状态', render: (d) => label(TASK_STATUS, d.task.status) },
    ], due.sort((a, b) => rank(b.warning) - rank(a.warning)), {
      empty: '没有临近或超过期限的事项',
      rowClass: (d) => (/red|overdue/.test(d.warning) ? 'warn-red' : /yellow/.test(d.warning) ? 'warn-yellow' : null),
    })));
}

function rank(w) {
  return /red|overdue/.test(w) ? 2 : /yellow/.test(w) ? 1 : 0;
}

// Counts by industry: one request per industry with per_page=1 (reads "total").
async function byIndustry() {
  const { INDUSTRIES } = await import('../labels.js');
  const counts = [];
  for (const ind of INDUSTRIES) {
    const r = await api('GET', `/api/enterprises?industry=${encodeURIComponent(ind)}&per_page=1`);
    const n = typeof r.total === 'number' ? r.total : listOf(r, 'enterprises').length;
    counts.push([ind, n]);
  }
  return barChart(counts.filter(([, n]) => n > 0), 'chart-industry');
}

async function byCategory() {
  let rows;
  try {
    rows = listOf(await api('GET', '/api/public/results'), 'results');
  } catch (e) {
    return msg('info', `暂无结果数据（${errorText(e)}）`);
  }
  const counts = {};
  for (const r of rows) {
    const c = r.category || r.result || (r.result_category) || '?';
    counts[c] = (counts[c] || 0) + 1;
  }
  const data = Object.keys(RESULT_CATEGORIES).map((c) => [`${c}. ${RESULT_CATEGORIES[c]}`, counts[c] || 0]);
  if (!rows.length) return h('div', null, msg('info', '尚无已公示的检查结果'), barChart(data, 'chart-category'));
  return barChart(data, 'chart-category');
}

// Horizontal bar chart in SVG (scales with the container; no chart library).
export function barChart(data, id) {
  if (!data.length) return h('p', { class: 'empty' }, '暂无数据');
  const max = Math.max(1, ...data.map(([, n]) => n));
  const rowH = 24, labelW = 210, w = 620, barW = w - labelW - 50;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${data.length * rowH + 4}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('id', id);
  svg.setAttribute('role', 'img');
  svg.setAttribute('width', '100%');
  const title = document.createElementNS(ns, 'title');
  title.textContent = data.map(([l, n]) => `${l}：${n}`).join('；');
  svg.appendChild(title);
  data.forEach(([l, n], i) => {
    const y = i * rowH + 2;
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', labelW - 6);
    t.setAttribute('y', y + 16);
    t.setAttribute('text-anchor', 'end');
    t.textContent = l.length > 16 ? `${l.slice(0, 15)}…` : l;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', labelW);
    r.setAttribute('y', y + 3);
    r.setAttribute('height', rowH - 8);
    r.setAttribute('width', Math.max(n ? 2 : 0, (n / max) * barW));
    r.setAttribute('fill', '#0b4f8a');
    r.setAttribute('rx', 2);
    const v = document.createElementNS(ns, 'text');
    v.setAttribute('x', labelW + (n / max) * barW + 6);
    v.setAttribute('y', y + 16);
    v.textContent = String(n);
    svg.append(t, r, v);
  });
  return svg;
}
