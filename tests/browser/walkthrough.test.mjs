// A newcomer's walk through spotcheck, done entirely through the pages (issue 5): from the admin's
// dashboard, following its "下一步" list and the links and buttons on each page —
//   admin creates the planner's and the head's accounts;
//   planner creates a task with an item, freezes, draws with a witness, locks, draws the teams;
//   admin opens accounts for the chosen unit's team members from the task's team table;
//   the first team member enters the result per checkpoint and signs (office screen);
//   the second signs on a phone;
//   the head approves and publishes;
//   the public portal shows the published result, and its task's announcement says "已验证".
// No API call is made except to read the final state. Screenshots: walkthrough-NN-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, shot, phone, confirmStep, ADMIN_PASSWORD, bureauYear } from './harness.mjs';

let env;
before(async () => {
  env = await start();
  env.page.on('dialog', (d) => d.accept());
});
after(async () => { await stop(env); });

let n = 0;
const snap = (page, name, opts) => shot(page, `walkthrough-${String(++n).padStart(2, '0')}-${name}`, opts);
const T = { timeout: 20000 };

// Accounts made on 用户管理 must change their initial password at the first login (the box is
// ticked by default): the newcomer does, and later sign-ins use the new password.
const ownPassword = new Map();
async function signIn(page, username, password) {
  if (await page.$('#logout')) {
    await page.click('#logout');
  }
  const pw = ownPassword.get(username) || password;
  await page.waitForSelector('#f-login-username', T);
  await page.fill('#f-login-username', username);
  await page.fill('#f-login-password', pw);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#next-steps, #password-form', T);
  if (await page.$('#password-form')) {
    const mine = `${pw}-own`;
    await page.fill('#f-pw-current', pw);
    await page.fill('#f-pw-new', mine);
    await page.fill('#f-pw-confirm', mine);
    await page.click('#password-form button[type=submit]');
    ownPassword.set(username, mine);
    await page.waitForSelector('#next-steps', T);
  }
}

// Clicks the first "下一步" entry whose text matches.
async function next(page, re) {
  const link = page.locator('#next-steps a', { hasText: re }).first();
  await link.waitFor(T);
  await link.click();
}

async function nav(page, label) {
  if (await page.isVisible('#nav-toggle')) {
    await page.click('#nav-toggle');
    await page.waitForSelector('#nav.open');
  }
  await page.click(`#nav a:text-is("${label}")`);
}

async function waitText(page, sel, re) {
  await page.waitForFunction(([s, src]) => {
    const el = document.querySelector(s);
    return el && new RegExp(src).test(el.textContent);
  }, [sel, re.source], T);
}

const iso = (d) => d.toISOString().slice(0, 10);

test('a newcomer runs a task through to a published, verified result using only the pages', async () => {
  const { page, base } = env;
  const day = 24 * 3600 * 1000;
  const taskName = `${bureauYear()}年烟花爆竹经营单位双随机抽查（演练）`;

  // ---- admin: the dashboard says what to do first ----
  await page.goto(`${base}/`);
  await page.waitForSelector('#f-login-username');
  await snap(page, 'login');
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await snap(page, 'admin-dashboard');

  // the demo has staff of its own orgs; the newcomer adds a planner and a head on 用户管理
  await nav(page, '用户管理');
  await page.waitForSelector('#f-newuser-username');
  await page.selectOption('#f-newuser-role', 'planner');
  await page.fill('#f-newuser-username', 'zhangjihua');
  await page.fill('#f-newuser-password', 'zhangjihua-pw-2025');
  await snap(page, 'admin-create-planner');
  await page.click('#user-create button[type=submit]');
  await waitText(page, '#user-create .form-msg', /已创建用户 zhangjihua/);

  await nav(page, '工作台');
  await nav(page, '用户管理');
  await page.waitForSelector('#f-newuser-username');
  await page.selectOption('#f-newuser-role', 'head');
  await page.fill('#f-newuser-username', 'lifuze');
  await page.fill('#f-newuser-password', 'lifuze-pw-2025');
  await page.click('#user-create button[type=submit]');
  await waitText(page, '#user-create .form-msg', /已创建用户 lifuze/);
  await waitText(page, '#user-list', /lifuze/);
  await snap(page, 'admin-users');

  // ---- planner: task, freeze, draw, lock, teams ----
  await signIn(page, 'zhangjihua', 'zhangjihua-pw-2025');
  await snap(page, 'planner-dashboard');
  // the demo has a joint task of its own (draft); the newcomer starts a new one from 抽查任务
  await nav(page, '抽查任务');
  await page.click('#task-new');
  await page.waitForSelector('#f-task-name');
  await page.fill('#f-task-name', taskName);
  await page.selectOption('#f-task-mode', { label: '定向抽查' });
  await page.fill('#f-task-start_date', iso(new Date(Date.now() - 30 * day)));
  await page.fill('#f-task-end_date', iso(new Date(Date.now() - 24 * day)));
  await page.locator('#f-task-industry').getByLabel('烟花爆竹', { exact: true }).check();
  await page.locator('#f-task-item_ids').getByLabel('烟花爆竹经营单位安全检查', { exact: true }).check();
  await snap(page, 'planner-new-task');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/\d+$/, T);
  const taskId = page.url().match(/#\/tasks\/(\d+)$/)[1];
  await page.waitForSelector('#task-freeze', T);
  await snap(page, 'planner-task-created', { full: false });
  // the task's conditions in words (labels from the rules' meta data), no codes
  assert.match(await page.textContent('main'), /行业类别：烟花爆竹/);
  assert.doesNotMatch(await page.textContent('main'), /industry|risk_level/);

  await page.fill('#f-freeze-witness', '监督人 王某 现场见证');
  await page.fill('#f-freeze-beacon_source', '福彩3D 2026058期开奖号码');
  await page.click('#task-freeze');
  await confirmStep(page, 'task-freeze', /确认冻结/);
  await page.waitForSelector('#f-draw-witness', T);
  await snap(page, 'planner-frozen', { full: false });
  await page.fill('#f-draw-witness', '监督人 王某 现场见证');
  await page.fill('#f-draw-beacon', '3 7 1');
  await page.click('form button[type=submit]');
  await confirmStep(page, 'f-draw', /确认抽取/);
  await page.waitForSelector('#task-lock', T);
  await snap(page, 'planner-drawn', { full: false });
  await page.fill('#f-lock-witness', '监督人 王某 检查组抽取见证');
  await page.fill('#f-lock-beacon_source', '福彩3D 2026059期开奖号码');
  await page.click('#task-lock');
  await confirmStep(page, 'task-lock', /确认锁定并发布公告/);
  await page.waitForSelector('#f-teamdraw-witness', T);
  await page.fill('#f-teamdraw-witness', '监督人 王某 检查组抽取见证');
  await page.fill('#f-teamdraw-beacon', '5 2 8');
  await page.click('#teams-draw');
  await confirmStep(page, 'teams-draw', /确认抽取检查组/);
  await page.waitForSelector('#teams table', T);
  await page.waitForSelector('#task-results', T);
  await snap(page, 'planner-teams', { full: false });

  // The unit we follow: the first row of the team table.
  const row = page.locator('#teams table tbody tr').first();
  const certs = await row.locator('.member code').allTextContents();
  const unitText = (await row.locator('td').first().textContent()).trim();
  const unitName = unitText.replace(/\s*\S+$/, '').trim();
  assert.ok(certs.length >= 2, `a team of at least two: ${certs}`);
  assert.ok(unitName.length > 0, unitText);

  // ---- admin: accounts for the team, from the task page ----
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await next(page, /开通账户/);
  await page.waitForSelector('#teams table', T);
  await snap(page, 'admin-team-accounts', { full: false });
  for (const c of certs) {
    await page.locator(`#teams a[data-cert="${c}"]`).first().click();
    await page.waitForSelector('#f-newuser-password');
    assert.equal(await page.inputValue('#f-newuser-cert_no'), c);
    assert.equal(await page.inputValue('#f-newuser-username'), `i${c}`);
    await page.fill('#f-newuser-password', `i${c}-pw-2025`);
    if (c === certs[0]) await snap(page, 'admin-create-inspector');
    await page.click('#user-create button[type=submit]');
    await page.waitForSelector('#user-back-task', T);
    await page.click('#user-back-task');
    await page.waitForSelector('#teams table', T);
  }
  await page.waitForFunction((cs) => cs.every((c) => !document.querySelector(`#teams a[data-cert="${c}"]`)), certs, T);

  // ---- first team member (office screen): enter per checkpoint and sign ----
  await signIn(page, `i${certs[0]}`, `i${certs[0]}-pw-2025`);
  await waitText(page, '#next-steps', /录入检查结果/);
  await snap(page, 'inspector-dashboard');
  await next(page, new RegExp(`录入检查结果：${unitName.replace(/[()（）]/g, '.')}`));
  await page.waitForSelector('#result-save', T);
  const cats = await page.$$('main select[name^="cat-"]');
  assert.ok(cats.length >= 2, 'one row per checkpoint');
  await cats[0].selectOption('e');
  for (const c of cats.slice(1)) await c.selectOption('a');
  const notes = await page.$$('main textarea[name^="note-"]');
  await notes[0].fill('消防通道堆放杂物，已责令当场改正');
  for (const t of notes.slice(1)) await t.fill('符合要求');
  assert.equal(await page.inputValue('#result-category'), 'e', 'the unit category follows the checkpoints');
  await page.fill('#result-summary', '发现消防通道堆放杂物，已责令当场改正');
  await snap(page, 'inspector-entry');
  await page.click('#result-save');
  await page.waitForSelector('#result-sign', T);
  await page.click('#result-sign');
  await page.waitForSelector('.action-msg .msg-ok', T);
  await waitText(page, '#result-next', /等待签名/);
  await snap(page, 'inspector-signed');

  // ---- the other members sign on a phone ----
  const ph = await phone(env);
  ph.page.on('dialog', (d) => d.accept());
  await ph.page.goto(`${base}/`);
  for (const c of certs.slice(1)) {
    await signIn(ph.page, `i${c}`, `i${c}-pw-2025`);
    await waitText(ph.page, '#next-steps', /签名确认检查结果/);
    if (c === certs[1]) await snap(ph.page, 'phone-inspector-dashboard');
    await next(ph.page, /签名确认检查结果/);
    await ph.page.waitForSelector('#result-sign', T);
    if (c === certs[1]) await snap(ph.page, 'phone-inspector-record');
    await ph.page.click('#result-sign');
    await ph.page.waitForSelector('.action-msg .msg-ok', T);
  }
  await waitText(ph.page, '#result-next', /等待单位负责人审核/);
  await snap(ph.page, 'phone-inspector-signed');

  // ---- head: review and publish ----
  await signIn(page, 'lifuze', 'lifuze-pw-2025');
  await waitText(page, '#next-steps', /审核检查结果/);
  await snap(page, 'head-dashboard');
  await next(page, /审核检查结果/);
  await page.waitForSelector('#result-approve', T);
  await snap(page, 'head-review');
  await page.click('#result-approve');
  await confirmStep(page, 'result-approve', /确认审核通过/);
  await page.waitForSelector('#result-publish', T);
  await page.click('#result-publish');
  await confirmStep(page, 'result-publish', /向社会公示.*确认公示/);
  await page.waitForSelector('#result-public', T);
  await waitText(page, 'main', /已公示/);
  await snap(page, 'head-published', { full: false });

  // ---- the public portal ----
  const [pub] = await Promise.all([env.context.waitForEvent('page'), page.click('#result-public')]);
  await pub.waitForSelector('main table', T);
  await waitText(pub, 'main', /发现消防通道堆放杂物/);
  await snap(pub, 'public-result');
  await pub.click('#results-task-announcement');
  await pub.waitForSelector('#verify-status.ok, #verify-status.bad', { timeout: 30000 });
  const errs = await pub.$eval('#verify-detail', (e) => e.textContent).catch(() => '');
  assert.match(await pub.textContent('#verify-status'), /^已验证/, errs);
  await snap(pub, 'public-announcement-verified', { full: false });

  // The head's dashboard now counts the published result.
  await nav(page, '工作台');
  await page.waitForSelector('#chart-category', T);
  await page.waitForSelector('#chart-industry', T);
  await snap(page, 'head-dashboard-after');

  // ---- final state, read through the public API ----
  const r = await (await fetch(`${base}/api/public/results?task=${taskId}`)).json();
  assert.equal(r.total, 1, JSON.stringify(r));
  assert.equal(r.results[0].category, 'e');
  assert.equal(r.results[0].name, unitName);
  assert.deepEqual(env.pageErrors.filter((e) => !/status of 4\d\d/.test(e)), []);
});
