// Result entry through the pages (clauses 8.3, 8.4, 9.1): a dispatched task with teams is set up
// through the API (as task.test.mjs does through the pages); then each team member logs in with
// their own inspector account — the first enters the record per checkpoint and signs, the second
// signs — a head first returns it (退回修改, reason in an inline form), the team signs again, the head
// approves (录入审核) and publishes, and the public results page shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, apiFromPage, confirmStep, completeTeams, bureauYear } from './harness.mjs';

let env;
let taskId;
let team;
before(async () => {
  env = await start();
  env.page.on('dialog', (d) => d.accept());
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

async function loginAs(username, password) {
  await env.context.clearCookies();
  await env.page.goto('about:blank');   // a fresh start of the app, not a session lost under an open page
  await login(env.page, env.base, username, password);
}

test('set up: task dispatched, teams drawn, accounts for the team and a head', async () => {
  const { page } = env;
  const api = await apiFromPage(page);
  const items = await api('GET', '/api/items');
  const item = items.body.items.find((i) => i.checkpoints && i.checkpoints.length);
  assert.ok(item, 'an item with checkpoints');
  const year = bureauYear();
  const created = await api('POST', '/api/tasks', {
    name: `${year}年结果录入浏览器测试`, item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-01-05`, end_date: `${year}-01-20`,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  taskId = created.body.id;
  for (const [p, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }], ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    const r = await api('POST', `/api/tasks/${taskId}/${p}`, body);
    assert.ok(r.status === 200 || r.status === 201, `${p}: ${JSON.stringify(r.body)}`);
  }
  await completeTeams(env.base, taskId);
  const teams = await api('GET', `/api/tasks/${taskId}/teams`);
  team = teams.body.teams[0];
  assert.ok(team.inspectors.length >= 2, 'a team of at least two');
  for (const c of team.inspectors) {
    const r = await api('POST', '/api/users', { username: `i${c}`, password: `i${c}-browser-pw`, role: 'inspector', cert_no: c });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const r = await api('POST', '/api/users', { username: 'head1', password: 'head1-browser-pw', role: 'head' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

test('result entry per checkpoint, sign-off, review and publication', async () => {
  const { page, base } = env;
  assert.ok(team, 'set up done');
  const [first, ...others] = team.inspectors;
  await loginAs(`i${first}`, `i${first}-browser-pw`);
  await page.goto(`${base}/#/results/${taskId}`);
  await page.waitForSelector('main table a');
  assert.match(await page.textContent('main'), new RegExp(team.uscc));
  await page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
  await page.waitForSelector('#result-save');
  assert.match(await page.textContent('#unit-contact'), /住所：.+法定代表人：/, "the unit's address and contact on the record page");
  const selects = await page.$$('main select[name^="cat-"]');
  assert.ok(selects.length > 0, 'one row per checkpoint');
  // no checkpoint is pre-answered, and saving with one unanswered is refused in the page
  for (const s of selects) assert.equal(await s.inputValue(), '', 'no default category');
  await page.click('#result-save');
  await page.waitForSelector('#result-save-msg .msg-error');
  assert.match(await page.textContent('#result-save-msg'), /第 1 个检查要点尚未选择结果类别/);
  await selects[0].selectOption('e');
  for (const s of selects.slice(1)) await s.selectOption('a');
  await page.fill('main textarea[name^="note-"]', '消防通道堆放杂物，已责令当场改正');
  await page.selectOption('#result-category', 'e');
  await page.fill('#result-summary', '发现问题已责令改正');
  await page.click('#result-save');
  await page.waitForSelector('#result-sign', { timeout: 20000 });
  await page.click('#result-sign');
  await page.waitForSelector('.action-msg .msg-ok');
  await shot(page, 'result-entered');

  async function othersSign() {
    for (const c of others) {
      await loginAs(`i${c}`, `i${c}-browser-pw`);
      await page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
      await page.waitForSelector('#result-sign', { timeout: 20000 });
      await page.click('#result-sign');
      await page.waitForSelector('.action-msg .msg-ok');
    }
  }
  await othersSign();

  // 退回修改 asks for its reason in an inline form (no browser dialog): empty is refused on the spot,
  // then the reason is sent, the signatures are cleared and the team sees why.
  await loginAs('head1', 'head1-browser-pw');
  await page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
  await page.waitForSelector('#result-return', { timeout: 20000 });
  assert.equal(await page.isVisible('#f-result-return-reason'), false, 'the reason form opens on demand');
  await page.click('#result-return');
  await page.click('#result-return-form button[type=submit]');
  await page.waitForFunction(() => /请填写/.test(document.querySelector('#f-result-return-reason-err').textContent));
  await page.fill('#f-result-return-reason', '第2项检查要点未写明整改期限，请补充后重新签名');
  await page.click('#result-return-form button[type=submit]');
  await page.waitForFunction(() => /已退回，待修改/.test(document.querySelector('main').textContent), null, { timeout: 20000 });
  assert.match(await page.textContent('main'), /退回：第2项检查要点未写明整改期限/);
  assert.equal(await page.isVisible('#result-approve'), false, 'no approval before the team signs again');

  await loginAs(`i${first}`, `i${first}-browser-pw`);
  await page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
  await page.waitForSelector('#result-sign', { timeout: 20000 });
  assert.match(await page.textContent('main'), /第2项检查要点未写明整改期限/);
  await page.click('#result-sign');
  await page.waitForSelector('.action-msg .msg-ok');
  await othersSign();

  await loginAs('head1', 'head1-browser-pw');
  await page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
  await page.waitForSelector('#result-approve', { timeout: 20000 });
  assert.match(await page.textContent('main'), /待签名/);
  await page.click('#result-approve');
  await confirmStep(page, 'result-approve', /审核通过后.*向社会公示/);
  await page.waitForFunction(() => /已审核/.test(document.querySelector('main').textContent), null, { timeout: 20000 });
  await page.click('#result-publish');
  await confirmStep(page, 'result-publish', /公开平台向社会公示.*只能通过更正申请修改/);
  await page.waitForFunction(() => /已公示/.test(document.querySelector('main').textContent), null, { timeout: 20000 });
  await shot(page, 'result-published');

  await page.goto(`${base}/public/#/results`);
  await page.waitForSelector('main table');
  await page.waitForFunction(() => /发现问题已责令改正/.test(document.querySelector('main').textContent), null, { timeout: 20000 });
  await shot(page, 'public-results');
  assert.deepEqual(env.pageErrors.filter((e) => !/401|403/.test(e)), []);
});
