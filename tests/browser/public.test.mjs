// The public portal a visitor can use (SPEC §12, issue 16): two tasks are locked through the API;
// then a visitor with no account opens the portal home, reaches the latest announcement in two
// clicks at most, sees the drawn units by name and 已验证, searches one drawn unit's USCC from the
// home page and sees its draw history; the results page pages and filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, apiFromPage, bureauYear } from './harness.mjs';

let env;
let latest;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

test('set up: two tasks locked (the later one is the latest announcement)', async () => {
  const api = await apiFromPage(env.page);
  const items = await api('GET', '/api/items');
  const item = items.body.items.find((i) => i.checkpoints && i.checkpoints.length);
  const year = bureauYear();
  for (const [name, industry] of [['较早的公开测试任务', '烟花爆竹'], ['最新的公开测试任务', '烟花爆竹']]) {
    const created = await api('POST', '/api/tasks', {
      name, item_ids: [item.id], mode: 'targeted', filters: { industry: [industry] },
      directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-02-02`, end_date: `${year}-02-20`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const [p, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }], ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
      const r = await api('POST', `/api/tasks/${created.body.id}/${p}`, body);
      assert.ok(r.status === 200 || r.status === 201, `${p}: ${JSON.stringify(r.body)}`);
    }
    latest = created.body.id;
  }
  const ann = await api('GET', `/api/public/tasks/${latest}`);
  latest = { id: latest, units: ann.body.units };
  assert.ok(latest.units.length >= 2, 'units drawn');
  await env.context.clearCookies();
  await env.page.goto('about:blank');
});

test('a visitor finds the latest announcement from the home page in two clicks, with names and 已验证', async () => {
  const { page, base } = env;
  await page.goto(`${base}/public/`);
  await page.waitForSelector('#latest-tasks a');
  let clicks = 0;
  await page.click('#latest-tasks li:first-child a'); clicks++;
  await page.waitForSelector('#verify-status.ok', { timeout: 20000 });
  assert.ok(clicks <= 2);
  assert.match(page.url(), new RegExp(`#/tasks/${latest.id}$`));
  assert.match(await page.textContent('h1'), /最新的公开测试任务/);
  assert.match(await page.textContent('#verify-status'), /已验证/);
  const sel = (await page.$$eval('ol.sel', (ols) => ols.map((o) => o.textContent))).join('\n');
  for (const u of latest.units) {
    assert.ok(sel.includes(u.uscc) && sel.includes(u.name), `${u.uscc} ${u.name} shown`);
  }
  await shot(page, 'public-latest-announcement');
});

test('a visitor searches a drawn unit\'s USCC from the home page and sees its draw history', async () => {
  const { page, base } = env;
  const u = latest.units[0];
  await page.goto(`${base}/public/#/`);
  await page.waitForSelector('#unit-uscc');
  await page.fill('#unit-uscc', u.uscc.toLowerCase());
  await page.click('#unit-search button[type=submit]');
  await page.waitForSelector('#unit-summary');
  assert.match(await page.textContent('main h2'), new RegExp(u.name.replace(/[()（）]/g, '.')));
  const rows = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.ok(rows.some((r) => r.includes('最新的公开测试任务') && r.includes('被抽中')), rows.join('\n'));
  await shot(page, 'public-unit-history');
  // the task link leads to the announcement
  await page.click('main table tbody tr a');
  await page.waitForSelector('#verify-status.ok', { timeout: 20000 });
});

test('the results page offers filters and searches', async () => {
  const { page, base } = env;
  await page.goto(`${base}/public/#/results`);
  await page.waitForSelector('#results-filter');
  await page.fill('#results-q', '没有这样的单位');
  await page.click('#results-filter button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('q='));
  await page.waitForSelector('#results-total');
  assert.match(await page.textContent('#results-total'), /共 0 条/);
  await shot(page, 'public-results-filter');
});
