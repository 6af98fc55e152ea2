// A full task through the pages: create → freeze (witness commitment, beacon source) → draw (witness
// refused when it does not match, then the right one with the beacon, draw algorithm v2) → lock → public announcement
// verified in the browser ("已验证") → inspector teams → announcement with teams still verifies →
// result entry per checkpoint, sign-off, review, publication → public results.
// Needs: /api/tasks (+freeze/draw/lock), /api/public/tasks/{id}, /api/tasks/{id}/teams, and for
// the last test /api/tasks/{id}/results, /api/results/{id}/sign|review|publish, /api/public/results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow, confirmStep, bureauYear } from './harness.mjs';

let env;
let taskId;
before(async () => {
  env = await start();
  env.page.on('dialog', (d) => d.accept());
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

async function waitStatus(page, text) {
  await page.waitForFunction((t) => document.querySelector('ol.steps li.current') && document.querySelector('ol.steps li.current').textContent.includes(t), text, { timeout: 20000 });
}

test('create, freeze, draw with a witness, lock', async () => {
  const { page, base } = env;
  const year = bureauYear();
  await page.goto(`${base}/#/tasks/new`);
  await page.waitForSelector('#f-task-name');
  await page.fill('#f-task-name', `${year}年浏览器测试抽查任务`);
  await page.fill('#f-task-start_date', `${year}-12-01`);
  await page.fill('#f-task-end_date', `${year}-12-20`);
  // no item is chosen for the planner; the first one is ticked by hand (touch-friendly checkboxes)
  assert.equal(await page.locator('#f-task-item_ids input:checked').count(), 0, 'no silent pre-selection');
  await page.locator('#f-task-item_ids input[type=checkbox]').first().check();
  await shot(page, 'task-new');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/\d+$/, { timeout: 10000 });
  taskId = page.url().match(/#\/tasks\/(\d+)$/)[1];
  await waitStatus(page, '冻结');

  // draw algorithm v2 (SPEC §12): the witness commits to a text, the planner names a future beacon
  await page.fill('#f-freeze-witness', '监督人 王某 浏览器测试');
  await page.fill('#f-freeze-beacon_source', '福彩3D 2026058期开奖号码');
  // 取消 leaves the task as it was; 确认 freezes
  await page.click('#task-freeze');
  await confirmStep(page, 'task-freeze', /候选名单、各层抽取数量和秘密值都不能再修改/, { cancel: true });
  assert.equal(await page.$('#task-freeze-confirm'), null);
  assert.match(await page.textContent('ol.steps li.current'), /冻结/);
  await page.click('#task-freeze');
  await confirmStep(page, 'task-freeze', /承诺值随即生成/);
  await waitStatus(page, '抽取');
  assert.match(await page.textContent('main'), /候选名单（已冻结）/);
  assert.match(await page.textContent('main'), /承诺值/);
  // SHA-256("监督人 王某 浏览器测试"), computed outside the product
  assert.equal(await page.textContent('#freeze-witness-commitment'), '24210e1d0b94706089ae35c61a445e7146b347e0a9b3ef1241ade715aebd4df9');
  await shot(page, 'task-frozen');

  // a witness text that does not match its commitment is refused, nothing drawn
  allow(env, 'POST', /^\/api\/tasks\/\d+\/draw$/, 422, { times: 1 });
  await page.fill('#f-draw-witness', '监督人 王某 改过的文字');
  await page.fill('#f-draw-beacon', '3 7 1');
  await page.click('form button[type=submit]');
  await confirmStep(page, 'f-draw', /抽取结果记录在案/);
  await page.waitForSelector('.form-msg:has-text("承诺值不符")', { timeout: 10000 });
  assert.match(await page.textContent('ol.steps li.current'), /抽取/);

  await page.fill('#f-draw-witness', '监督人 王某 浏览器测试');
  await page.click('form button[type=submit]');
  await confirmStep(page, 'f-draw', /确认抽取/);
  await waitStatus(page, '锁定');
  await page.waitForSelector('ol.sel li');
  await shot(page, 'task-drawn', { full: false });

  await page.fill('#f-lock-witness', '纪检监督人 李某');
  await page.fill('#f-lock-beacon_source', '福彩3D 2026059期开奖号码');
  await page.click('#task-lock');
  await confirmStep(page, 'task-lock', /不能再重新抽取.*公开平台向社会公开/);
  await page.waitForSelector('#task-announcement', { timeout: 20000 });
  await shot(page, 'task-locked', { full: false });
});

test('the public announcement verifies in the browser', async () => {
  const { page, base } = env;
  assert.ok(taskId, 'task created');
  const workers = [];
  const onWorker = (w) => workers.push(new URL(w.url()).pathname);
  page.on('worker', onWorker);
  await page.goto(`${base}/public/#/tasks/${taskId}`);
  await page.waitForSelector('#verify-status.ok, #verify-status.bad', { timeout: 30000 });
  page.off('worker', onWorker);
  // the announcement is fetched and re-checked in a Web Worker (the page never blocks on a large one)
  assert.deepEqual(workers, ['/js/verify-worker.js']);
  assert.equal(await page.$('#verify-progress'), null, 'the progress bar is gone once verified');
  const status = await page.textContent('#verify-status');
  const errs = await page.$eval('#verify-detail', (e) => e.textContent).catch(() => '');
  assert.match(status, /^已验证/, errs);
  assert.equal(await page.textContent('#ann-beacon-source'), '福彩3D 2026058期开奖号码');
  assert.equal(await page.textContent('#ann-beacon'), '3 7 1');
  assert.equal(await page.textContent('#ann-witness-commitment'), '24210e1d0b94706089ae35c61a445e7146b347e0a9b3ef1241ade715aebd4df9');
  await shot(page, 'public-announcement', { full: false });
});

test('inspector teams are drawn and the announcement still verifies', async () => {
  const { page, base } = env;
  await page.goto(`${base}/#/tasks/${taskId}`);
  await page.waitForSelector('#f-teamdraw-witness', { timeout: 20000 });
  assert.equal(await page.textContent('#teamdraw-beacon-source'), '福彩3D 2026059期开奖号码');
  await page.fill('#f-teamdraw-witness', '纪检监督人 李某');
  await page.fill('#f-teamdraw-beacon', '5 2 8');
  await page.click('#teams-draw');
  await confirmStep(page, 'teams-draw', /随机抽取检查组.*记录在案/);
  await page.waitForSelector('#teams table', { timeout: 20000 });
  await shot(page, 'task-teams', { full: false });
  await page.goto(`${base}/public/#/tasks/${taskId}`);
  await page.waitForSelector('#verify-status.ok, #verify-status.bad', { timeout: 30000 });
  const errs = await page.$eval('#verify-detail', (e) => e.textContent).catch(() => '');
  assert.match(await page.textContent('#verify-status'), /^已验证/, errs);
  const checks = await page.$$eval('ul.checks li', (lis) => lis.map((l) => l.textContent));
  assert.ok(checks.some((c) => /抽中的检查人员/.test(c)), 'team slot picks were checked');
  await shot(page, 'public-announcement-teams', { full: false });
});
