// CSV import of enterprises with bad rows: the good rows are imported, each bad row is listed with
// its line number and reason; the export link and the history of an updated unit work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow } from './harness.mjs';

const CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
// A USCC with a valid GB 32100 check digit from its first 17 characters.
function uscc(body17) {
  let s = 0;
  for (let i = 0; i < 17; i++) s += CHARS.indexOf(body17[i]) * W[i];
  const c = (31 - (s % 31)) % 31;
  return body17 + CHARS[c];
}
function badCheck(u) {
  const last = CHARS.indexOf(u[17]);
  return u.slice(0, 17) + CHARS[(last + 1) % 31];
}

let env;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

test('import with rejected rows shows each rejected line', async () => {
  const { page, base } = env;
  const good1 = uscc('91370322MB0TEXT1'.padEnd(17, '0'));
  const good2 = uscc('91370322MB0TEXT2'.padEnd(17, '0'));
  const bad = badCheck(uscc('91370322MB0TEXT3'.padEnd(17, '0')));
  const csv = [
    '统一社会信用代码,单位名称,行政区划,行业类别,风险等级,信用等级,状态',
    `${good1},高青县测试化工有限公司,田镇街道,化工,较大,守信,正常`,
    `${bad},高青县校验位错误有限公司,田镇街道,化工,一般,一般,正常`,
    `${good2},高青县测试机械有限公司,芦湖街道,机械,低,一般,正常`,
    `${uscc('91370322MB0TEXT4'.padEnd(17, '0'))},高青县未知行业有限公司,芦湖街道,不存在的行业,低,一般,正常`,
  ].join('\n') + '\n';
  await page.goto(`${base}/#/enterprises`);
  await page.waitForSelector('#enterprises-list table');
  await page.click('summary:has-text("从 CSV / Excel 导入")');
  await page.setInputFiles('#enterprises-import-file', { name: 'units.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('#enterprises-import-btn');
  await page.waitForSelector('#enterprises-import-report .msg');
  const report = await page.textContent('#enterprises-import-report');
  assert.match(report, /新增 2 条/);
  assert.match(report, /拒绝 2 条/);
  const rows = await page.$$eval('#enterprises-import-report table.rejected tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ['3', '5']);
  assert.match(rows[0][1], /校验/);
  await shot(page, 'enterprises-import-rejected');

  // The imported unit is in the directory (search), opens with its form and history.
  await page.goto(`${base}/#/enterprises?q=${encodeURIComponent('高青县测试化工')}`);
  await page.waitForSelector(`#enterprises-list >> text=${good1}`);
  await page.click(`#enterprises-list >> text=${good1}`);
  await page.waitForSelector('#f-enterprises-name');
  assert.equal(await page.inputValue('#f-enterprises-name'), '高青县测试化工有限公司');
  // A server-side validation error keeps the input and is shown next to the form.
  allow(env, 'PUT', /^\/api\/enterprises\/\d+$/, 422, { times: 1 });
  await page.fill('#f-enterprises-uscc', badCheck(good1));
  await page.fill('#f-enterprises-name', '高青县测试化工有限公司（改）');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.form-msg .msg-error');
  assert.equal(await page.inputValue('#f-enterprises-name'), '高青县测试化工有限公司（改）');
  await shot(page, 'enterprise-edit-error');
  await page.fill('#f-enterprises-uscc', good1);
  await page.click('form button[type=submit]');
  await page.waitForSelector('.form-msg .msg-ok');
  await page.waitForSelector('text=被替换的版本');
  await page.waitForSelector('td:has-text("高青县测试化工有限公司（改）")');
  await shot(page, 'enterprise-history');

  // Export link answers with CSV.
  const href = await page.evaluate(() => { location.hash = '#/enterprises?region=田镇街道'; return new Promise((r) => setTimeout(() => r(document.querySelector('#enterprises-export').getAttribute('href')), 800)); });
  const resp = await page.request.get(base + href);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-type'], /csv/);
  assert.match(await resp.text(), new RegExp(good1));
});
