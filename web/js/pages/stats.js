// 统计分析 (SPEC §13): the year's figures for leaders -- units checked by org (lead unit), township,
// industry and result category, joint checks, overdue work, the problem-found rate, the monthly
// trend and 5.1.2 coverage of the general units against the floor of the rules -- each row opens
// the units behind it (drill-down), the groups and the trend are also charts (Chart.js, charts.js)
// whose bars and points open the same rows, and every figure downloads as Excel or JSON.
import { api, h, mount, table, section, qs, loading, bureauYear } from '../ui.js';
import { chartBox } from '../charts.js';

const pct = (x) => `${(Math.round((x || 0) * 1000) / 10).toFixed(1)}%`;
const GROUPS = [
  ['by_org', 'org', '按检查机关（牵头单位）'],
  ['by_township', 'township', '按乡镇（街道）'],
  ['by_industry', 'industry', '按行业'],
  ['by_category', 'category', '按检查结果类别'],
  ['joint', 'joint', '联合检查与单部门检查'],
];
const JOINT = { joint: '联合检查', single: '单部门检查' };

export async function render(ctx) {
  const year = Number(ctx.query.year) || bureauYear();
  const drill = h('div', { id: 'stats-drill' });
  const s = await api('GET', `/api/stats${qs({ year })}`);
  const t = s.totals;
  const cov = s.coverage;
  const open = (dim, key, title) => {
    const path = `/api/stats/rows${qs({ year, dim, key })}`;
    mount(drill, section(`明细：${title}`,
      h('p', { class: 'toolbar' }, h('a', { class: 'button', id: 'stats-drill-xlsx', href: `/api/stats/rows${qs({ year, dim, key, format: 'xlsx' })}`, download: '' }, '导出明细（Excel）'),
        ' ', h('a', { href: path, download: `统计明细-${year}-${dim}.json` }, '导出明细（JSON）')),
      loading(async () => rowsTable((await api('GET', path)).rows))));
    drill.scrollIntoView({ block: 'start' });
  };
  const figures = (dim, keyLabel) => [
    { key: 'key', label: keyLabel, render: (x) => (dim === 'category' ? x.label : dim === 'joint' ? JOINT[x.key] : x.key || '（未填）') },
    { key: 'units', label: '检查单位' },
    { key: 'results', label: '已录入结果' },
    { key: 'published', label: '已公示' },
    { key: 'problems', label: '发现问题' },
    { key: 'problem_rate', label: '问题发现率', render: (x) => pct(x.problem_rate) },
  ];
  const yearInput = h('input', { id: 'stats-year', type: 'number', min: 2000, max: 2100, value: year });
  const go = h('button', { type: 'button', id: 'stats-go', onclick: () => { location.hash = `#/stats${qs({ year: yearInput.value })}`; } }, '查看');
  return h('div', null,
    h('h1', null, `统计分析（${year}年）`),
    h('p', { class: 'toolbar' }, h('label', { for: 'stats-year' }, '年度 '), yearInput, ' ', go, ' ',
      h('a', { class: 'button', id: 'stats-xlsx', href: `/api/stats${qs({ year, format: 'xlsx' })}`, download: '' }, '导出全部数字（Excel）'), ' ',
      h('a', { href: `/api/stats${qs({ year })}`, download: `统计-${year}.json` }, '导出全部数字（JSON）')),
    section('总体',
      table([{ key: 'k', label: '指标' }, { key: 'v', label: '数值' }], [
        { k: '已派发任务', v: t.tasks }, { k: '检查单位（户次）', v: t.units }, { k: '已录入结果', v: t.results },
        { k: '已公示结果', v: t.published }, { k: '发现问题', v: t.problems }, { k: '问题发现率', v: pct(t.problem_rate) },
        { k: '联合检查任务', v: t.joint_tasks }, { k: '联合检查单位（户次）', v: t.joint_units },
      ], { class: 'grid' }),
      h('p', null, h('button', { type: 'button', id: 'stats-all', onclick: () => open('all', '', '全部检查单位') }, '查看全部检查单位'))),
    section('一般行业检查对象覆盖（第5.1.2条）',
      h('p', { id: 'stats-coverage', class: cov.met ? 'notice' : 'warn-red' },
        `名录库一般行业检查对象 ${cov.general_units} 户，年度应抽查不少于 ${pct(cov.floor)}（${cov.need} 户），` +
        `已抽查 ${cov.drawn} 户（${pct(cov.ratio)}），${cov.met ? '已达到' : '尚未达到'}下限。`),
      table([{ key: 'industry', label: '行业' }, { key: 'units', label: '名录户数' }, { key: 'drawn', label: '已抽查' }],
        cov.industries, { empty: '名录库中没有一般行业的检查对象' })),
    section('逾期工作',
      table([{ key: 'k', label: '情形' }, { key: 'v', label: '数量' }], [
        { k: '任务已结束但未录入结果的单位', v: s.overdue.no_result },
        { k: '已过公示期限仍未公示的结果', v: s.overdue.unpublished_past_due },
        { k: '逾期公示的结果', v: s.overdue.published_late },
      ], { class: 'grid' })),
    GROUPS.map(([key, dim, title]) => {
      const name = (x) => (dim === 'category' ? x.label : dim === 'joint' ? JOINT[x.key] : x.key || '（未填）');
      const pick = (x) => open(dim, x.key, `${title} · ${name(x)}`);
      const rows = s[key] || [];
      return section(title,
        rows.length ? chartBox(`chart-${dim}`, { type: 'bar', horizontal: true, title, labels: rows.map(name),
          series: [{ label: '检查单位', data: rows.map((x) => x.units) }, { label: '发现问题', data: rows.map((x) => x.problems) }],
          onPick: (i) => pick(rows[i]) }) : null,
        table(figures(dim, title.replace(/^按/, '')), rows, { onRow: pick }));
    }),
    section('月度趋势',
      chartBox('chart-month', { type: 'line', title: '月度趋势', labels: s.monthly.map((x) => x.month),
        series: [{ label: '检查单位', data: s.monthly.map((x) => x.units) }, { label: '公示结果', data: s.monthly.map((x) => x.published) },
          { label: '发现问题', data: s.monthly.map((x) => x.problems) }],
        onPick: (i) => open('month', s.monthly[i].month, `月份 · ${s.monthly[i].month}`) }),
      table([{ key: 'month', label: '月份' }, { key: 'units', label: '检查单位（按任务开始月份）' }, { key: 'published', label: '公示结果' },
        { key: 'problems', label: '发现问题' }], s.monthly, { onRow: (x) => open('month', x.month, `月份 · ${x.month}`) })),
    drill);
}

function rowsTable(rows) {
  return table([
    { key: 'task_name', label: '任务' }, { key: 'org', label: '牵头单位' }, { key: 'uscc', label: '统一社会信用代码' },
    { key: 'name', label: '单位名称' }, { key: 'township', label: '乡镇（街道）' }, { key: 'industry', label: '行业' },
    { key: 'category_label', label: '检查结果', render: (x) => x.category_label || '未录入' },
    { key: 'problem', label: '发现问题', render: (x) => (x.problem ? '是' : '否') },
  ], rows, { empty: '没有符合条件的单位' });
}
