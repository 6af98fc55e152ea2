// Every to-do item of the dashboard (下一步) appears for the role that must act, when it must act, and
// leaves once done (issue 18): a task through its steps for the planner, account set-up for the
// administrator, record, signature, a returned record and publication for the team and the head,
// recusal and objection decisions and feedback, accountability. The states are made through the API
// (sessions of each user in node); the dashboards are read in the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, ADMIN_PASSWORD, shot, confirmStep, apiSession, completeTeams, bureauDay, bureauYear } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

const session = (base, username, password) => apiSession(base, username, password, { strict: true });

const signedIn = { who: null };
// The to-do list of username as the dashboard shows it.
async function todos(username, password) {
  const { page, base } = env;
  if (signedIn.who !== username) {
    await page.goto('about:blank');          // the last page's requests end with it
    await env.context.clearCookies();
    await login(page, base, username, password);
    signedIn.who = username;
  }
  await page.goto(`${base}/#/tasks`);
  await page.waitForSelector('main h1', T);
  await page.goto(`${base}/#/dashboard`);
  await page.waitForSelector('#next-steps', T);
  return page.textContent('#next-steps');
}

test('each to-do item shows for the role that acts and leaves when done', async () => {
  const { base } = env;
  const admin = await session(base, 'admin', ADMIN_PASSWORD);
  const PW = { tdplanner: 'tdplanner-pw-2026', tdhead: 'tdhead-pw-2026', tdauditor: 'tdauditor-pw-2026' };
  const asAdmin = () => todos('admin', ADMIN_PASSWORD);

  // ---- administrator: accounts to create ----
  const users = await admin('GET', '/api/users');
  for (const u of (users.users || users)) if (u.role === 'planner' || u.role === 'head') await admin('PUT', `/api/users/${u.id}`, { active: false });
  let text = await asAdmin();
  assert.match(text, /创建计划编制人员的账户/);
  assert.match(text, /创建单位负责人的账户/);
  for (const [u, role] of [['tdplanner', 'planner'], ['tdhead', 'head'], ['tdauditor', 'auditor']]) await admin('POST', '/api/users', { username: u, password: PW[u], role });
  text = await asAdmin();
  assert.doesNotMatch(text, /创建计划编制人员的账户|创建单位负责人的账户/);
  const planner = await session(base, 'tdplanner', PW.tdplanner);
  const head = await session(base, 'tdhead', PW.tdhead);
  const asPlanner = () => todos('tdplanner', PW.tdplanner);
  const asHead = () => todos('tdhead', PW.tdhead);

  // ---- planner: no task yet, then each step of one ----
  for (const t of (await admin('GET', '/api/tasks')).tasks) if (t.status === 'draft') await admin('POST', `/api/tasks/${t.id}/cancel`, { reason: '测试：清空演示任务' });
  assert.match(await asPlanner(), /新建第一个抽查任务/);
  const year = bureauYear();
  const item = (await planner('GET', '/api/items')).items.find((i) => i.checkpoints && i.checkpoints.length);
  const task = await planner('POST', '/api/tasks', { name: '待办测试任务', item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-02-02`, end_date: `${year}-02-20` });
  const tid = task.id;
  const steps = [
    [null, null, /冻结候选名单：待办测试任务/],
    ['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }, /抽取检查对象（请监督人在场输入见证文字）：待办测试任务/],
    ['draw', { witness: '监督人', beacon: '3 7 1' }, /确认、锁定并发布抽取公告：待办测试任务/],
    ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }, /抽取检查组（请监督人在场）：待办测试任务/],
  ];
  let prev = null;
  for (const [step, body, re] of steps) {
    if (step) await planner('POST', `/api/tasks/${tid}/${step}`, body);
    text = await asPlanner();
    assert.match(text, re, `after ${step || 'create'}`);
    if (prev) assert.doesNotMatch(text, prev, `the earlier step left after ${step}`);
    prev = re;
  }
  await planner('POST', `/api/tasks/${tid}/teams`, { witness: '纪检监督人', beacon: '5 2 8' });
  await completeTeams(base, tid);
  text = await asPlanner();
  assert.doesNotMatch(text, /抽取检查组（请监督人在场）：待办测试任务/);
  assert.match(text, /等待检查组录入结果：待办测试任务（\d+\/\d+ 户未录入）/);
  const teams = (await planner('GET', `/api/tasks/${tid}/teams?page=1&per_page=200`)).teams;
  assert.match(await asAdmin(), /为“待办测试任务”检查组的 \d+ 名检查人员开通账户/);

  // ---- the team: record, signature, a returned record; the head: review, publication ----
  const team = teams[0];
  const [c1, c2] = team.inspectors;
  const ins = {};
  for (const c of [c1, c2]) {
    await admin('POST', '/api/users', { username: `td${c.toLowerCase()}`, password: `td${c.toLowerCase()}-pw`, role: 'inspector', cert_no: c });
    ins[c] = await session(base, `td${c.toLowerCase()}`, `td${c.toLowerCase()}-pw`);
  }
  const asIns = (c) => todos(`td${c.toLowerCase()}`, `td${c.toLowerCase()}-pw`);
  assert.match(await asIns(c1), /录入检查结果：/);
  const res = await ins[c1]('POST', `/api/tasks/${tid}/results`, { uscc: team.uscc, category: 'b', summary: '未按规定公示应当公示的信息' });
  text = await asIns(c1);
  assert.ok(!text.includes(`录入检查结果：${team.unit_name}`), `the record entered leaves the list: ${text}`);
  assert.match(text, /签名确认检查结果：/);
  await ins[c1]('POST', `/api/results/${res.id}/sign`);
  assert.match(await asIns(c2), /签名确认检查结果：/, 'the other member is asked to sign');
  await ins[c2]('POST', `/api/results/${res.id}/sign`);
  assert.match(await asHead(), /审核检查结果：/);
  await head('POST', `/api/results/${res.id}/review`, { approve: false, opinion: '请补充检查依据' });
  text = await asIns(c1);
  assert.match(text, /修改被退回的检查结果：/);
  assert.match(text, /请补充检查依据/);
  await ins[c1]('POST', `/api/tasks/${tid}/results`, { uscc: team.uscc, category: 'b', summary: '未按规定公示应当公示的信息（依据第十条）' });
  await ins[c1]('POST', `/api/results/${res.id}/sign`);
  await ins[c2]('POST', `/api/results/${res.id}/sign`);
  assert.doesNotMatch(await asIns(c1), /修改被退回的检查结果/);
  await head('POST', `/api/results/${res.id}/review`, { approve: true });
  assert.match(await asHead(), /公示检查结果：/);
  assert.match(await asIns(c1), /公示检查结果：/, 'the team may publish too');
  await head('POST', `/api/results/${res.id}/publish`);
  assert.doesNotMatch(await asHead(), /公示检查结果：/);

  // ---- recusal: the head decides ----
  const other = teams[1];
  const cf = await planner('POST', '/api/conflicts', { task_id: tid, uscc: other.uscc, cert_no: other.inspectors[0], reason: '与企业负责人系近亲属' });
  assert.match(await asHead(), /批准或驳回回避申请：/);
  // the head follows the to-do to the task's teams and approves, confirming first
  const page = env.page;
  await page.click('#next-steps a:has-text("批准或驳回回避申请")');
  await page.waitForSelector(`#conflict-approve-${cf.id}`, { ...T, state: 'attached' });
  await page.$eval(`#conflict-approve-${cf.id}`, (b) => { const d = b.closest('details'); if (d) d.open = true; });
  await page.click(`#conflict-approve-${cf.id}`);
  await confirmStep(page, `conflict-approve-${cf.id}`, /批准后该人员回避.*确认批准回避/);
  await page.waitForFunction(() => /已批准/.test((document.getElementById('teams') || {}).textContent || ''), null, T);
  assert.doesNotMatch(await asHead(), /批准或驳回回避申请：/);

  // ---- objection: review by the head, then feedback ----
  const ob = await planner('POST', '/api/objections', { result_id: res.id, received: bureauDay(), text: '请求复核', applicant: '被检查单位' });
  assert.match(await asHead(), new RegExp(`复核异议 ${ob.id}：被检查单位`));
  await head('POST', `/api/objections/${ob.id}/decide`, { decision: 'rejected', reason: '证据充分，维持原结果' });
  text = await asHead();
  assert.doesNotMatch(text, new RegExp(`复核异议 ${ob.id}`));
  assert.match(text, new RegExp(`登记异议 ${ob.id} 的反馈`));
  assert.match(await asPlanner(), new RegExp(`登记异议 ${ob.id} 的反馈`));
  await planner('POST', `/api/objections/${ob.id}/feedback`, { sent: bureauDay() });
  assert.doesNotMatch(await asPlanner(), new RegExp(`登记异议 ${ob.id} 的反馈`));
  // the task ended in February with most units unrecorded: accountability situations (10.1)
  assert.match(await todos('tdauditor', PW.tdauditor), /查看 \d+ 项责任追究情形/, 'the auditor sees the accountability situations');
  await shot(env.page, 'todo-auditor');
  // the situations link to their objects: the late task opens its page
  await page.click('#next-steps a:has-text("责任追究情形")');
  await page.waitForSelector(`a.object-link[href="#/tasks/${tid}"]`, T);
  await page.click(`a.object-link[href="#/tasks/${tid}"]`);
  await page.waitForFunction(() => /待办测试任务/.test((document.querySelector('main h1') || {}).textContent || ''), null, T);

  // ---- more pending corrections than the to-do list shows: a link to all of them ----
  for (let i = 1; i <= 51; i++) await planner('POST', `/api/results/${res.id}/corrections`, { reason: `更正申请 ${i}`, changes: { summary: `更正后的检查情况 ${i}` } });
  text = await asHead();
  assert.match(text, /批准或驳回更正申请（50）：/, 'the newest 50 under their result');
  assert.match(text, /查看全部 51 项待批准的更正申请/);
  await page.click('#next-steps a:has-text("查看全部 51 项待批准的更正申请")');
  await page.waitForFunction(() => /共 51 条/.test((document.getElementById('pending-corrections') || {}).textContent || ''), null, T);
  assert.equal(await page.locator('#pending-corrections tbody tr').count(), 20, 'the first page of 20');
});
