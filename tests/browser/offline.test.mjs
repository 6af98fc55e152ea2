// Nothing typed is lost (issue 18, item 1), on an inspector's phone (390×844, touch): a session that
// ends while the 检查记录 is being typed loses nothing (every field is back after logging in again),
// and a record entered and signed without a connection is sent once the connection is back —
// exactly once, as the server's counts show. The task is set up through the API, as in
// results.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, phone, allow, apiFromPage, completeTeams, bureauYear } from './harness.mjs';

let env;
let taskId;
let team;
let admin;
before(async () => {
  env = await start();
  await login(env.page, env.base);
  admin = await apiFromPage(env.page);
});
after(async () => { await stop(env); });

test('set up: a dispatched task with teams and an account for a team member', async () => {
  const items = await admin('GET', '/api/items');
  const item = items.body.items.find((i) => i.checkpoints && i.checkpoints.length >= 2);
  assert.ok(item, 'an item with two checkpoints or more');
  const year = bureauYear();
  const created = await admin('POST', '/api/tasks', {
    name: `${year}年离线录入浏览器测试`, item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-01-05`, end_date: `${year}-01-20`,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  taskId = created.body.id;
  for (const [p, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }], ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    const r = await admin('POST', `/api/tasks/${taskId}/${p}`, body);
    assert.ok(r.status === 200 || r.status === 201, `${p}: ${JSON.stringify(r.body)}`);
  }
  await completeTeams(env.base, taskId);
  team = (await admin('GET', `/api/tasks/${taskId}/teams`)).body.teams[0];
  const c = team.inspectors[0];
  const r = await admin('POST', '/api/users', { username: `i${c}`, password: `i${c}-offline-pw`, role: 'inspector', cert_no: c });
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

async function fieldValues(page) {
  return page.$$eval('main select[name^="cat-"], main textarea[name^="note-"], #result-category, #result-summary',
    (els) => els.map((e) => `${e.name || e.id}=${e.value}`));
}

test('a session that ends while a record is typed loses nothing: every field is back after logging in again', async () => {
  assert.ok(team, 'set up done');
  const { page, context } = await phone(env);
  const c = team.inspectors[0];
  await login(page, env.base, `i${c}`, `i${c}-offline-pw`);
  // an inspector's menu offers no page an inspector cannot use
  const menu = await page.textContent('#nav');
  for (const x of ['规则管理', 'Lua 控制台', '用户管理', '操作留痕', '统计分析', '责任追究']) assert.ok(!menu.includes(x), `no ${x} for an inspector`);
  const url = `${env.base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`;
  await page.goto(url);
  await page.waitForSelector('#result-save');
  const cats = await page.$$('main select[name^="cat-"]');
  const notes = await page.$$('main textarea[name^="note-"]');
  await cats[0].selectOption('e');
  for (const s of cats.slice(1)) await s.selectOption('a');
  await notes[0].fill('消防通道堆放杂物，已责令当场改正');
  for (const [i, n] of notes.slice(1).entries()) await n.fill(`第${i + 2}项符合要求`);
  await page.selectOption('#result-category', 'e');
  // the session ends (idle timeout): the cookie is gone, the inspector types on and saves
  await context.clearCookies();
  await page.fill('#result-summary', '发现问题已责令改正，复查期限七日');
  const typed = await fieldValues(page);
  allow(env, 'POST', `/api/tasks/${taskId}/results`, 401, { times: 1 });   // the save after the session ended
  await page.click('#result-save');
  await page.waitForSelector('#f-login-username', { timeout: 20000 });
  await page.fill('#f-login-username', `i${c}`);
  await page.fill('#f-login-password', `i${c}-offline-pw`);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#result-draft-note', { timeout: 20000 });
  assert.deepEqual(await fieldValues(page), typed);
  assert.equal(typed.filter((x) => /=$/.test(x)).length, 0, 'every field had been filled');
  assert.match(await page.textContent('#result-draft-note'), /已恢复未保存的检查记录草稿/);
  await shot(page, 'offline-draft-restored');
  // nothing reached the server
  const res = await admin('GET', `/api/tasks/${taskId}/results`);
  assert.equal(res.body.results.filter((r) => r.uscc === team.uscc).length, 0);
});

test('a record entered and signed offline is sent once when the connection is back', async () => {
  const { page, context } = await phone(env);
  const c = team.inspectors[0];
  await login(page, env.base, `i${c}`, `i${c}-offline-pw`);
  // the app's offline copy: the service worker controls the page, the record page was opened online
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 20000 });
  const url = `${env.base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`;
  await page.goto(url);
  await page.reload();                      // every request of the page now passes the service worker
  await page.waitForSelector('#result-save');

  await context.setOffline(true);
  await page.reload();                      // the page itself comes from this phone's copy
  await page.waitForSelector('#result-save', { timeout: 20000 });
  assert.match(await page.textContent('#net-status'), /离线/);
  // this phone's earlier draft (previous test) is back; it is answered again
  const cats = await page.$$('main select[name^="cat-"]');
  await cats[0].selectOption('d');
  for (const s of cats.slice(1)) await s.selectOption('a');
  await page.fill('main textarea[name^="note-"]', '灭火器压力不足，已当场更换');
  await page.selectOption('#result-category', 'd');
  await page.fill('#result-summary', '离线录入：发现问题已当场改正');
  await page.click('#result-save');
  await page.waitForSelector('#result-queued-sign', { timeout: 20000 });
  assert.match(await page.textContent('#result-queued-state'), /没有网络/);
  await page.click('#result-queued-sign');
  await page.waitForFunction(() => /本人已签名确认/.test((document.querySelector('#result-queued') || {}).textContent), null, { timeout: 20000 });
  assert.match(await page.textContent('#net-status'), /1 条记录待发送/);
  await shot(page, 'offline-record-queued');
  let res = await admin('GET', `/api/tasks/${taskId}/results`);
  assert.equal(res.body.results.filter((r) => r.uscc === team.uscc).length, 0, 'nothing sent while offline');

  await context.setOffline(false);
  await page.waitForFunction(() => !document.querySelector('#result-queued') && document.querySelector('#result-next'), null, { timeout: 20000 });
  res = await admin('GET', `/api/tasks/${taskId}/results`);
  const mine = res.body.results.filter((r) => r.uscc === team.uscc);
  assert.equal(mine.length, 1, 'one result for the unit');
  assert.equal(mine[0].version, 1, 'entered once (a second entry would be version 2)');
  assert.equal(mine[0].category, 'd');
  assert.equal(mine[0].signed, 1, 'signed once, by the inspector');
  const audit = await admin('GET', `/api/audit?object=result:${mine[0].id}`);
  const actions = audit.body.records.map((a) => a.action).sort();
  assert.deepEqual(actions, ['result.create', 'result.sign']);
  // the page reloads itself (a second flush finds nothing left to send)
  await page.reload();
  await page.waitForSelector('#result-next');
  assert.equal(await page.$('#result-queued'), null);
  assert.equal(await page.$('#net-status'), null);
  assert.equal((await admin('GET', `/api/audit?object=result:${mine[0].id}`)).body.records.length, 2);
  await shot(page, 'offline-record-sent');
});

test('the task form keeps its draft across a new login, and 放弃草稿 forgets it', async () => {
  const { page, context } = await phone(env);
  await login(page, env.base);
  await page.goto(`${env.base}/#/tasks/new`);
  await page.waitForSelector('#f-task-name');
  await page.fill('#f-task-name', '草稿测试：第三批烟花爆竹企业抽查');
  await page.fill('#f-task-start_date', '2026-03-01');
  await page.fill('#f-task-region', '高城镇');
  await context.clearCookies();            // the session is gone; a fresh start of the app
  await page.goto('about:blank');
  await login(page, env.base);
  await page.goto(`${env.base}/#/tasks/new`);
  await page.waitForSelector('#f-task-name');
  assert.equal(await page.inputValue('#f-task-name'), '草稿测试：第三批烟花爆竹企业抽查');
  assert.equal(await page.inputValue('#f-task-start_date'), '2026-03-01');
  assert.equal(await page.inputValue('#f-task-region'), '高城镇');
  assert.match(await page.textContent('.draft-note'), /已恢复未保存的草稿/);
  // 放弃草稿 empties the form and forgets the draft
  await page.click('.draft-note .draft-drop');
  assert.equal(await page.inputValue('#f-task-name'), '');
  const me = await page.evaluate(async () => (await fetch('/api/me')).json());
  assert.equal(await page.inputValue('#f-task-lead_org_id'), String(me.org_id), 'the default (the user\'s own org) comes back');
  await page.reload();
  await page.waitForSelector('#f-task-name');
  assert.equal(await page.inputValue('#f-task-name'), '');
  assert.equal(await page.textContent('.draft-note'), '');
});
