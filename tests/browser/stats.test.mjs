// 统计分析 in Chromium: the charts are drawn by Chart.js from Debian's libjs-chart.js (served as
// /vendor/chart.js/), carry the same figures as GET /api/stats (which test_stats.py checks against
// plain SQL), and a click on a bar or on a month's point opens the units behind it; the figures and
// the drill-down rows download as Excel workbooks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, apiFromPage, bureauYear } from './harness.mjs';

let env;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

const T = { timeout: 20000 };

// Clicks the index-th bar (or point) of the first dataset of the chart in figure #id.
async function clickChart(page, id, index) {
  const at = await page.evaluate(([fid, i]) => {
    const box = document.getElementById(fid);
    const el = box.chart.getDatasetMeta(0).data[i];
    box.scrollIntoView({ block: 'center' });
    const r = box.querySelector('canvas').getBoundingClientRect();
    const p = el.tooltipPosition();
    // a horizontal bar: aim inside the bar, between its base and its end
    const x = el.horizontal ? (el.base + el.x) / 2 : p.x;
    return { x: r.left + x, y: r.top + p.y };
  }, [id, index]);
  await page.mouse.click(at.x, at.y);
}

test('charts show the API figures and open the rows behind them', async () => {
  const { page, base } = env;
  const call = await apiFromPage(page);
  const api = async (method, p, body) => {
    const r = await call(method, p, body);
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  // a dispatched task of this year (the demo's task is a draft): its drawn units are the year's checked units
  const year = bureauYear();
  const item = (await api('GET', '/api/items')).items.find((i) => i.checkpoints && i.checkpoints.length && /烟花爆竹/.test(i.name));
  const task = await api('POST', '/api/tasks', { name: '统计图表测试任务', item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-02-02`, end_date: `${year}-02-20` });
  for (const [step, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }],
    ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    await api('POST', `/api/tasks/${task.id}/${step}`, body);
  }
  const stats = await api('GET', `/api/stats?year=${year}`);
  assert.ok(stats.totals.units > 0 && stats.by_industry.length > 0, 'the year has checked units');
  const vendor = await page.evaluate(async () => { const r = await fetch('/vendor/chart.js/chart.min.js'); return [r.status, (await r.text()).length]; });
  assert.equal(vendor[0], 200, 'Chart.js is served from the Debian package');
  assert.ok(vendor[1] > 100000, 'the whole library');

  await page.goto(`${base}/#/stats?year=${year}`);
  for (const id of ['chart-industry', 'chart-township', 'chart-category', 'chart-org', 'chart-month']) {
    if (id !== 'chart-month' && !(stats[{ 'chart-industry': 'by_industry', 'chart-township': 'by_township', 'chart-category': 'by_category', 'chart-org': 'by_org' }[id]] || []).length) continue;
    await page.waitForSelector(`#${id}[data-ready="1"]`, T);
  }
  const drawn = await page.evaluate(() => {
    const c = document.getElementById('chart-industry').chart;
    return { labels: c.data.labels, units: c.data.datasets[0].data, problems: c.data.datasets[1].data };
  });
  assert.deepEqual(drawn.labels, stats.by_industry.map((x) => x.key || '（未填）'));
  assert.deepEqual(drawn.units, stats.by_industry.map((x) => x.units));
  assert.deepEqual(drawn.problems, stats.by_industry.map((x) => x.problems));
  const month = await page.evaluate(() => document.getElementById('chart-month').chart.data.datasets.map((d) => d.data));
  assert.deepEqual(month, [stats.monthly.map((x) => x.units), stats.monthly.map((x) => x.published), stats.monthly.map((x) => x.problems)]);
  // the canvas is painted (not blank)
  const painted = await page.evaluate(() => {
    const cv = document.getElementById('chart-industry-canvas');
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
  assert.ok(painted > 1000, `the chart is drawn (${painted} pixels)`);
  await shot(page, 'stats-charts');

  // a click on the first industry's bar: its units
  const first = stats.by_industry[0];
  await clickChart(page, 'chart-industry', 0);
  await page.waitForFunction((k) => (document.getElementById('stats-drill') || {}).textContent.includes(`明细：按行业 · ${k}`), first.key || '（未填）', T);
  await page.waitForFunction((n) => document.querySelectorAll('#stats-drill tbody tr').length === n, first.units, T);
  // a month with units, from the trend line
  const mi = stats.monthly.findIndex((x) => x.units > 0);
  await clickChart(page, 'chart-month', mi);
  await page.waitForFunction((m) => (document.getElementById('stats-drill') || {}).textContent.includes(`月份 · ${m}`), stats.monthly[mi].month, T);
  await page.waitForFunction((n) => document.querySelectorAll('#stats-drill tbody tr').length === n, stats.monthly[mi].units, T);
  await shot(page, 'stats-drill');

  // the Excel downloads
  for (const sel of ['#stats-xlsx', '#stats-drill-xlsx']) {
    const href = await page.getAttribute(sel, 'href');
    const got = await page.evaluate(async (u) => { const r = await fetch(u); const b = new Uint8Array(await r.arrayBuffer()); return [r.status, r.headers.get('content-type'), b[0], b[1]]; }, href);
    assert.equal(got[0], 200, `${sel} downloads`);
    assert.match(got[1], /spreadsheetml/);
    assert.deepEqual(got.slice(2), [0x50, 0x4b], `${sel} is a workbook (zip)`);
  }
});
