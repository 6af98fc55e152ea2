// 7.3 "不足的，由执行单位直接委派" in the browser (issue 15): where no inspector qualifies for a
// slot, the team draw leaves the position open; the executing unit's head finds it on the dashboard,
// follows the link to the task's teams (only those awaiting appointment), picks a person from the
// candidates the rule accepts, confirms, and the position is filled. The scenario (no 烟草 expertise
// in the directory before the lock) is made through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, ADMIN_PASSWORD, shot, confirmStep, apiSession, completeTeams, bureauYear } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

const session = (base, username, password) => apiSession(base, username, password, { strict: true });

test('the executing unit head appoints by name to an open position', async () => {
  const { page, base } = env;
  const admin = await session(base, 'admin', ADMIN_PASSWORD);
  for (const [u, role] of [['applanner', 'planner'], ['aphead', 'head']]) await admin('POST', '/api/users', { username: u, password: `${u}-pw-2026`, role });
  const planner = await session(base, 'applanner', 'applanner-pw-2026');

  // scenario: nobody has the 烟草 expertise when the task is locked
  const insp = (await admin('GET', '/api/inspectors?per_page=200')).items;
  for (const i of insp.filter((x) => (x.expertise || []).includes('烟草'))) {
    await admin('PUT', `/api/inspectors/${i.id}`, { expertise: i.expertise.filter((e) => e !== '烟草') });
  }
  const year = bureauYear();
  const item = (await planner('GET', '/api/items')).items.find((i) => i.checkpoints && i.checkpoints.length && !(i.industries || []).length);
  const task = await planner('POST', '/api/tasks', { name: '委派测试任务', item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟草'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-03-02`, end_date: `${year}-03-20` });
  const tid = task.id;
  await planner('POST', `/api/tasks/${tid}/freeze`, { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' });
  await planner('POST', `/api/tasks/${tid}/draw`, { witness: '监督人', beacon: '3 7 1' });
  await planner('POST', `/api/tasks/${tid}/lock`, { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' });
  await planner('POST', `/api/tasks/${tid}/teams`, { witness: '纪检监督人', beacon: '5 2 8' });
  const all = await planner('GET', `/api/tasks/${tid}/teams?page=1&per_page=200`);
  const open = all.teams.filter((x) => x.open > 0);
  assert.ok(open.length > 0 && open.length === all.teams.length, `every team waits for an appointment: ${open.length}/${all.teams.length}`);

  // the head's dashboard names the task and how many are missing, and links to those teams
  await login(page, base, 'aphead', 'aphead-pw-2026');
  await page.goto(`${base}/#/dashboard`);
  await page.waitForSelector('#next-steps', T);
  const todo = await page.textContent('#next-steps');
  assert.match(todo, new RegExp(`委派检查人员：委派测试任务（${open.length} 个检查组共缺 ${open.length} 名）`));
  await page.click('#next-steps a:has-text("委派检查人员：委派测试任务")');
  await page.waitForSelector('#teams-info', T);
  assert.match(await page.textContent('#teams-info'), new RegExp(`共 ${open.length} 个检查组`));
  assert.ok(await page.isChecked('#teams-open'), 'the list shows only the teams awaiting appointment');

  // appoint for the first team: the candidates, a confirmation, then the position is filled
  const uscc = open[0].uscc;
  await page.click(`#appoint-${uscc}-open`);
  await page.waitForSelector(`#f-appoint-${uscc}-cert_no`, T);
  const choices = await page.$$eval(`#f-appoint-${uscc}-cert_no option`, (os) => os.map((o) => [o.value, o.textContent]).filter(([v]) => v));
  assert.ok(choices.length > 0 && choices.every(([, text]) => /本任务已承担 \d+ 户/.test(text)), JSON.stringify(choices.slice(0, 3)));
  const cert = choices[0][0];
  await page.selectOption(`#f-appoint-${uscc}-cert_no`, cert);
  await page.fill(`#f-appoint-${uscc}-reason`, '熟悉烟草行业安全管理');
  await page.click(`#f-appoint-${uscc} button[type=submit], #appoint-${uscc}-form button[type=submit]`);
  await confirmStep(page, `f-appoint-${uscc}`, new RegExp(`委派 .*${cert}.*确认委派`));
  await page.waitForFunction((n) => /共 (\d+) 个检查组/.test(document.getElementById('teams-info')?.textContent || '') &&
    Number(/共 (\d+) 个检查组/.exec(document.getElementById('teams-info').textContent)[1]) === n, open.length - 1, T);
  await shot(page, 'appoint-after');
  const now = (await planner('GET', `/api/tasks/${tid}/teams?page=1&per_page=200`)).teams.find((x) => x.uscc === uscc);
  assert.equal(now.open, 0);
  assert.ok(now.inspectors.includes(cert), 'the appointed inspector is on the team');
  const entry = now.slots.flatMap((s) => s.appointments || []).find((a) => a.replacement === cert);
  assert.equal(entry.by, 'aphead');
  assert.match(entry.reason, /负责人直接委派.*熟悉烟草行业安全管理/);
  // the other tests' set-up helper fills the rest the same way, through the API
  assert.equal(await completeTeams(base, tid), open.length - 1);
  assert.equal((await planner('GET', `/api/tasks/${tid}/teams?open=1`)).total, 0);
});
