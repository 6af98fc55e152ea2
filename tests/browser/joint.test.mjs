// Joint checks in the browser (SPEC §10, issue 14): on a fresh demo a planner of the bureau creates a
// joint task with 市场监管局 on the task page (an item of each org), runs it to teams; an inspector of
// 市场监管局 on a phone finds the unit in 本单位待办 and the record form offers only 市场监管局's item
// (分别填写检查记录表); what is saved holds only that item's checkpoints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, apiFromPage, phone, confirmStep } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

// Signs in; an account an administrator made changes its initial password first.
async function signIn(page, base, username, password) {
  await page.goto(`${base}/#/login`);
  await page.waitForSelector('#f-login-username', T);
  await page.fill('#f-login-username', username);
  await page.fill('#f-login-password', password);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#logout', T);
  await page.waitForSelector('#next-steps, #password-form', T);
  if (await page.$('#password-form')) {
    await page.fill('#f-pw-current', password);
    await page.fill('#f-pw-new', `${password}-own`);
    await page.fill('#f-pw-confirm', `${password}-own`);
    await page.click('#password-form button[type=submit]');
    await page.waitForSelector('#next-steps', T);
  }
}

const iso = (d) => d.toISOString().slice(0, 10);

test('a joint task: the lead planner runs it on the pages; the joint department\'s inspector records only its own items', async () => {
  const { page, base } = env;
  page.on('dialog', (d) => d.accept());
  await login(page, base);
  const admin = await apiFromPage(page);
  const orgs = (await admin('GET', '/api/orgs')).body;
  const A = orgs.find((o) => o.kind === 'bureau');
  const B = orgs.find((o) => o.name === '高青县市场监督管理局');
  let r = await admin('POST', '/api/users', { username: 'lianhe', password: 'lianhe-pw-2026', role: 'planner', org_id: A.id,
    real_name: '联合计划员' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const items = (await admin('GET', '/api/items')).body.items;
  const itemA = items.find((i) => i.name === '烟花爆竹经营单位安全检查');
  const itemB = items.find((i) => i.org_id === B.id);
  assert.ok(itemA && itemB, 'the demo has a fireworks item of each org');

  // ---- the bureau's planner: a joint task with 市场监管局, through to teams ----
  await page.waitForLoadState('networkidle');   // the dashboard's requests answered before signing out
  await page.click('#logout');
  await signIn(page, base, 'lianhe', 'lianhe-pw-2026');
  await page.goto(`${base}/#/tasks/new`);
  await page.waitForSelector('#f-task-name', T);
  const day = 24 * 3600 * 1000;
  await page.fill('#f-task-name', '烟花爆竹经营单位部门联合抽查（演练）');
  await page.selectOption('#f-task-mode', { label: '定向抽查' });
  await page.fill('#f-task-start_date', iso(new Date(Date.now() - 30 * day)));
  await page.fill('#f-task-end_date', iso(new Date(Date.now() - 24 * day)));
  await page.locator('#f-task-industry').getByLabel('烟花爆竹', { exact: true }).check();
  assert.equal(await page.inputValue('#f-task-lead_org_id'), String(A.id), 'the lead org is the planner\'s own');
  await page.locator('#f-task-joint_org_ids').getByLabel(B.name, { exact: true }).check();
  await page.locator('#f-task-item_ids').getByLabel(itemA.name, { exact: true }).check();
  await page.locator('#f-task-item_ids').getByLabel(itemB.name, { exact: true }).check();
  await shot(page, 'joint-new-task');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/\d+$/, T);
  const taskId = Number(page.url().match(/#\/tasks\/(\d+)$/)[1]);
  await page.waitForSelector('#task-freeze', T);
  await page.fill('#f-freeze-witness', '监督人 王某 现场见证');
  await page.fill('#f-freeze-beacon_source', '福彩3D 2026058期开奖号码');
  await page.click('#task-freeze');
  await confirmStep(page, 'task-freeze', /确认冻结/);
  await page.waitForSelector('#f-draw-witness', T);
  await page.fill('#f-draw-witness', '监督人 王某 现场见证');
  await page.fill('#f-draw-beacon', '3 7 1');
  await page.click('form button[type=submit]');
  await confirmStep(page, 'f-draw', /确认抽取/);
  await page.waitForSelector('#task-lock', T);
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
  await shot(page, 'joint-teams', { full: false });

  const planner = await apiFromPage(page);
  const task = (await planner('GET', `/api/tasks/${taskId}`)).body;
  assert.equal(task.lead_org_id, A.id);
  assert.deepEqual(task.joint_org_ids, [B.id]);
  const teams = (await planner('GET', `/api/tasks/${taskId}/teams`)).body.teams;
  const orgOf = new Map((await planner('GET', '/api/inspectors?per_page=500')).body.items.map((i) => [i.cert_no, i.org_id]));
  for (const t of teams) {
    assert.ok(t.inspectors.some((c) => orgOf.get(c) === A.id), `unit ${t.uscc}: an inspector of the lead org`);
    assert.ok(t.inspectors.some((c) => orgOf.get(c) === B.id), `unit ${t.uscc}: an inspector of 市场监管局`);
    assert.equal(orgOf.get(t.leader), A.id, `unit ${t.uscc}: the leader is the lead org's`);
  }
  const team = teams[0];
  const certB = team.inspectors.find((c) => orgOf.get(c) === B.id);

  // ---- an account for 市场监管局's inspector ----
  await page.waitForLoadState('networkidle');
  await page.click('#logout');
  await login(page, base);
  r = await admin('POST', '/api/users', { username: `i${certB}`, password: `i${certB}-pw-2026`, role: 'inspector',
    cert_no: certB, org_id: B.id });
  assert.equal(r.status, 201, JSON.stringify(r.body));

  // ---- 市场监管局's inspector on a phone: the inbox, then the record form with only B's item ----
  const ph = await phone(env);
  ph.page.on('dialog', (d) => d.accept());
  await signIn(ph.page, base, `i${certB}`, `i${certB}-pw-2026`);
  await ph.page.goto(`${base}/#/inbox`);
  await ph.page.waitForSelector('#inbox-mine', T);
  await ph.page.click('#inbox-mine');
  await ph.page.waitForFunction((u) => document.querySelector('main') && document.querySelector('main').textContent.includes(u),
    team.uscc, T);
  await shot(ph.page, 'joint-phone-inbox');
  await ph.page.goto(`${base}/#/results/${taskId}/${encodeURIComponent(team.uscc)}`);
  await ph.page.waitForSelector('#result-save', T);
  const cats = await ph.page.$$('main select[name^="cat-"]');
  assert.equal(cats.length, itemB.checkpoints.length, 'one row per checkpoint of 市场监管局\'s item, none of the bureau\'s');
  const text = await ph.page.textContent('main');
  assert.ok(text.includes(itemB.checkpoints[0].text), 'B\'s checkpoint is on the form');
  assert.ok(!text.includes(itemA.checkpoints[0].text), 'the bureau\'s checkpoints are not');
  for (const c of cats) await c.selectOption('a');
  for (const n of await ph.page.$$('main textarea[name^="note-"]')) await n.fill('符合要求');
  await ph.page.selectOption('#result-category', 'a');
  await ph.page.fill('#result-summary', '未发现问题');
  await shot(ph.page, 'joint-phone-record');
  await ph.page.click('#result-save');
  await ph.page.waitForSelector('#result-sign', T);
  const insp = await apiFromPage(ph.page);
  const results = (await insp('GET', `/api/tasks/${taskId}/results`)).body.results;
  const mine = results.find((x) => x.uscc === team.uscc);
  const full = (await insp('GET', `/api/results/${mine.id}`)).body;
  assert.deepEqual([...new Set(full.records.map((x) => x.item_id))], [itemB.id], 'saved: only 市场监管局\'s item');
});
