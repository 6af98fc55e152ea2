// The gaps found by the walkthrough, closed and checked through the pages (state set up through
// the API for speed):
//   the drawn-unit list on the task page shows company names, before the lock and after it;
//   a user sent to the login page comes back to the page asked for;
//   objection decision and feedback are inline forms (no browser dialogs): the server's message
//   next to the field, input kept, then recorded;
//   an upheld objection's pending correction appears in the head's 下一步 list and on the results
//   page (GET /api/corrections);
//   a follow-up is moved to its next state with a note and its history shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow, confirmStep, ADMIN_PASSWORD, completeTeams, bureauDay, bureauYear } from './harness.mjs';

let env;
const dialogs = [];
const T = { timeout: 20000 };
const S = {}; // shared state between the tests

before(async () => {
  env = await start();
  env.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
});
after(async () => { await stop(env); });

// A JSON client of its own (cookie + CSRF), used to set the state up.
async function client(username, password) {
  const r = await fetch(`${env.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(r.status, 200, `login ${username}`);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const { csrf } = await r.json();
  return async (method, p, body) => {
    const headers = { Cookie: cookie, 'X-CSRF-Token': csrf };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(env.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const b = await resp.json().catch(() => null);
    return { status: resp.status, body: b };
  };
}
const must = (r, what) => { assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };
const cst = bureauDay;

async function waitText(page, sel, re) {
  await page.waitForFunction(([s, src]) => {
    const el = document.querySelector(s);
    return el && new RegExp(src).test(el.textContent);
  }, [sel, re.source], T);
}

async function loginAs(username, password) {
  await env.context.clearCookies();
  await login(env.page, env.base, username, password);
}

// Every drawn unit on the task page has a name, and the first one is the directory's name.
async function checkNames(page, admin) {
  await page.waitForSelector('ol.sel li', T);
  // the units show at once, their names follow from one request
  await page.waitForFunction(() => [...document.querySelectorAll('ol.sel li')].every((li) => li.querySelector('.unit-name')), null, T)
    .catch(() => {});   // the assertion below names the units without one
  const lis = await page.$$eval('ol.sel li', (els) => els.map((e) => ({ uscc: e.dataset.uscc, name: (e.querySelector('.unit-name') || {}).textContent || '' })));
  assert.ok(lis.length >= 2, 'drawn units listed');
  assert.ok(lis.every((x) => x.name.trim().length > 0), `every unit has a name: ${JSON.stringify(lis.filter((x) => !x.name.trim()))}`);
  const e = must(await admin('GET', `/api/enterprises?q=${lis[0].uscc}`), 'directory');
  const ent = (e.items || []).find((x) => x.uscc === lis[0].uscc);
  assert.equal(lis[0].name.trim(), ent.name);
}

test('drawn units show company names before and after the lock', async () => {
  const { page, base } = env;
  const admin = await client('admin', ADMIN_PASSWORD);
  for (const [u, role] of [['head1', 'head'], ['planner1', 'planner']]) must(await admin('POST', '/api/users', { username: u, password: `${u}-browser-pw`, role }), u);
  const planner = await client('planner1', 'planner1-browser-pw');
  const items = must(await planner('GET', '/api/items'), 'items');
  const item = items.items.find((i) => i.checkpoints && i.checkpoints.length);
  const year = bureauYear();
  const task = must(await planner('POST', '/api/tasks', {
    name: `${year}年烟花爆竹跟进测试`, item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: [], start_date: `${year}-01-05`, end_date: `${year}-01-20`,
  }), 'task');
  S.task = task.id;
  S.item = item;
  must(await planner('POST', `/api/tasks/${task.id}/freeze`, { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }), 'freeze');
  must(await planner('POST', `/api/tasks/${task.id}/draw`, { witness: '监督人', beacon: '3 7 1' }), 'draw');

  await login(page, base);
  await page.goto(`${base}/#/tasks/${task.id}`);
  await page.waitForSelector('#task-lock', T);
  await checkNames(page, admin);
  await shot(page, 'followthrough-drawn-names', { full: false });

  must(await planner('POST', `/api/tasks/${task.id}/lock`, { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }), 'lock');
  must(await planner('POST', `/api/tasks/${task.id}/teams`, { witness: '纪检监督人', beacon: '5 2 8' }), 'teams');
  await page.goto(`${base}/#/tasks`);
  await page.goto(`${base}/#/tasks/${task.id}`);
  await page.waitForSelector('#task-announcement', T);
  await checkNames(page, admin);

  // A published result of the first unit, for the objection and the follow-up.
  await completeTeams(env.base, task.id);
  const team = must(await planner('GET', `/api/tasks/${task.id}/teams`), 'teams').teams[0];
  S.uscc = team.uscc;
  const ins = [];
  for (const c of team.inspectors) {
    must(await admin('POST', '/api/users', { username: `i${c}`, password: `i${c}-browser-pw`, role: 'inspector', cert_no: c }), c);
    ins.push(await client(`i${c}`, `i${c}-browser-pw`));
  }
  const res = must(await ins[0]('POST', `/api/tasks/${task.id}/results`, {
    uscc: team.uscc, category: 'e', summary: '消防通道堆放杂物，已责令改正',
    records: item.checkpoints.map((cp) => ({ item_id: item.id, checkpoint_id: cp.id, category: 'a', finding: '符合要求' })),
  }), 'entry');
  S.result = res.id;
  for (const c of ins) must(await c('POST', `/api/results/${res.id}/sign`), 'sign');
  const head = await client('head1', 'head1-browser-pw');
  must(await head('POST', `/api/results/${res.id}/review`, { approve: true }), 'review');
  must(await head('POST', `/api/results/${res.id}/publish`), 'publish');
  S.head = head;
  S.planner = planner;
  S.admin = admin;
});

test('after login the user lands on the page they asked for', async () => {
  const { page, base } = env;
  assert.ok(S.task, 'set up done');
  await env.context.clearCookies();
  await page.goto('about:blank');
  await page.goto(`${base}/#/results/${S.task}`);
  await page.waitForSelector('#f-login-username', T);
  assert.match(page.url(), /#\/login\?next=results%2F\d+$/);
  await page.fill('#f-login-username', 'head1');
  await page.fill('#f-login-password', 'head1-browser-pw');
  await page.click('form button[type=submit]');
  await page.waitForURL(new RegExp(`#/results/${S.task}$`), T);
  await waitText(page, 'main h1', /^检查结果：/);
  // The login page itself, or an unknown page, is never a destination.
  await page.click('#logout');
  await page.waitForSelector('#f-login-username', T);
  await page.goto('about:blank');
  await page.goto(`${base}/#/login?next=login`);
  await page.waitForSelector('#f-login-username', T);
  await page.fill('#f-login-username', 'head1');
  await page.fill('#f-login-password', 'head1-browser-pw');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/dashboard$/, T);
});

test('objection decision and feedback through inline forms, errors next to the fields', async () => {
  const { page, base } = env;
  assert.ok(S.result, 'set up done');
  const obj = must(await S.head('POST', '/api/objections', { result_id: S.result, applicant: '高青某烟花爆竹公司', received: cst(0), text: '消防通道已于检查前清理' }), 'objection');
  // head1 is logged in (previous test)
  await page.goto(`${base}/#/objections`);
  await page.click(`a[data-decide="${obj.id}"]`);
  await page.waitForSelector('#objection-decide', T);
  assert.equal(await page.inputValue('#f-objdec-decided'), cst(0), 'decision date defaults to today');

  // required fields checked in the page
  await page.click('#objection-decide button[type=submit]');
  await waitText(page, '#f-objdec-decision-err', /请填写/);
  // a date in the future: the server's message next to the date, the input kept
  allow(env, 'POST', `/api/objections/${obj.id}/decide`, 400, { times: 1 });
  await page.selectOption('#f-objdec-decision', 'upheld');
  await page.fill('#f-objdec-reason', '经复查，检查时消防通道确已清理');
  await page.fill('#f-objdec-decided', cst(3));
  await page.click('#objection-decide button[type=submit]');
  await confirmStep(page, 'f-objdec', /异议成立：将生成一项更正申请/);
  await waitText(page, '#f-objdec-decided-err', /decided 应为.*不晚于今天/);
  assert.equal(await page.getAttribute('#f-objdec-decided', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#f-objdec-reason'), '经复查，检查时消防通道确已清理', 'input kept');
  assert.equal(await page.inputValue('#f-objdec-decision'), 'upheld');
  await shot(page, 'followthrough-objection-error', { full: false });
  await page.fill('#f-objdec-decided', cst(0));
  await page.selectOption('#f-objdec-category', 'a');
  await page.click('#objection-decide button[type=submit]');
  await confirmStep(page, 'f-objdec', /须执行单位负责人批准后更正生效/);
  await waitText(page, '#objection-decide .form-msg', /已决定：异议成立/);

  // feedback: a date before the decision is refused next to the field
  allow(env, 'POST', `/api/objections/${obj.id}/feedback`, 400, { times: 1 });
  await page.waitForSelector('#objection-feedback', T);
  await page.fill('#f-objfb-sent', cst(-1));
  await page.click('#objection-feedback button[type=submit]');
  await waitText(page, '#f-objfb-sent-err', /反馈日期不能早于复核决定日期/);
  await page.fill('#f-objfb-sent', cst(0));
  await page.click('#objection-feedback button[type=submit]');
  await waitText(page, '#objection-feedback .form-msg', /已登记反馈/);
  await waitText(page, 'main', /已反馈（head1）/);
  const o = must(await S.head('GET', `/api/objections/${obj.id}`), 'objection');
  assert.equal(o.decision, 'upheld');
  assert.equal(o.decided, cst(0));
  assert.equal(o.feedback_sent, cst(0));
  assert.deepEqual(dialogs, [], 'no browser dialogs');
});

test('the pending correction is on the head\'s 下一步 list and the results page, and is rejected with a reason', async () => {
  const { page, base } = env;
  const pend = must(await S.head('GET', '/api/corrections?status=pending'), 'corrections');
  assert.equal(pend.total, 1);
  await page.goto(`${base}/#/dashboard`);
  const link = page.locator('#next-steps a', { hasText: /批准或驳回更正申请（1）/ });
  await link.waitFor(T);
  await shot(page, 'followthrough-head-dashboard', { full: false });
  await link.click();
  await page.waitForURL(new RegExp(`#/results/${S.task}/${S.uscc}$`), T);
  await waitText(page, 'main', /待批准的更正申请（1）/);

  await page.goto(`${base}/#/results`);
  await waitText(page, '#pending-corrections', new RegExp(S.uscc));
  await waitText(page, '#pending-corrections', /异议成立/);
  await page.goto(`${base}/#/results/${S.task}`);
  await page.waitForSelector('[data-pending-corrections="1"]', T);

  // 驳回 asks for its reason in an inline form: empty is refused in the page, then it is sent
  const cid = pend.corrections[0].id;
  await page.goto(`${base}/#/results/${S.task}/${S.uscc}`);
  await page.waitForSelector(`#corr-reject-${cid}`, T);
  await page.click(`#corr-reject-${cid}`);
  await page.click(`#corr-reject-${cid}-form button[type=submit]`);
  await waitText(page, `#f-corr-reject-${cid}-reason-err`, /请填写/);
  assert.equal(must(await S.head('GET', '/api/corrections?status=pending'), 'corrections').total, 1, 'nothing sent');
  await page.fill(`#f-corr-reject-${cid}-reason`, '复核决定所附材料不足，请补充现场照片后重新申请');
  await page.click(`#corr-reject-${cid}-form button[type=submit]`);
  await waitText(page, `#corr-reject-${cid}-form .form-msg`, /已驳回/);
  assert.equal(must(await S.head('GET', '/api/corrections?status=pending'), 'corrections').total, 0);
  const all = must(await S.head('GET', '/api/corrections'), 'corrections').corrections;
  const c = all.find((x) => x.id === cid);
  assert.equal(c.status, 'rejected');
  assert.match(JSON.stringify(c), /材料不足/);
  assert.deepEqual(dialogs, [], 'no browser dialogs');
});

test('approving a correction asks first and says it will be published at once', async () => {
  const { page, base } = env;
  const req = must(await S.planner('POST', `/api/results/${S.result}/corrections`, { reason: '录入时误选类别，现场照片可证', changes: { category: 'a' } }), 'correction');
  const cid = req.id;
  await page.goto(`${base}/#/results/${S.task}/${S.uscc}`);
  await page.waitForSelector(`#corr-approve-${cid}`, T);
  await page.click(`#corr-approve-${cid}`);
  await confirmStep(page, `corr-approve-${cid}`, /更正立即生效并在公开平台公示/, { cancel: true });
  assert.equal(must(await S.head('GET', '/api/corrections?status=pending'), 'corrections').total, 1, '取消 sends nothing');
  await page.click(`#corr-approve-${cid}`);
  await confirmStep(page, `corr-approve-${cid}`, /确认批准更正/);
  // the answer of the approval itself (the page shows 现行结果 before it, too)
  await waitText(page, 'main', /已批准，更正已公示/);
  assert.equal(must(await S.head('GET', '/api/corrections?status=pending'), 'corrections').total, 0);
  const c = must(await S.head('GET', '/api/corrections?status=approved'), 'corrections').corrections.find((x) => x.id === cid);
  assert.ok(c, 'approved');
});

test('approving a replacement of a drawn inspector asks first and names who leaves the team', async () => {
  const { page, base } = env;
  const teams = must(await S.head('GET', `/api/tasks/${S.task}/teams`), 'teams').teams;
  const t = teams[teams.length - 1];
  const cert = t.inspectors[t.inspectors.length - 1];
  const r = must(await S.planner('POST', `/api/tasks/${S.task}/teams/${encodeURIComponent(t.uscc)}/replace`, { cert_no: cert, reason_code: 'health', reason: '住院治疗' }), 'replace');
  // the head's to-do list names the waiting replacement and leads to it
  await page.goto(`${base}/#/dashboard`);
  const todo = page.locator('#next-steps a', { hasText: /批准或驳回检查人员替换申请/ });
  await todo.waitFor(T);
  assert.match(await page.textContent('#next-steps'), new RegExp(`被替换人员 ${cert}：住院治疗`));
  await todo.click();
  await page.waitForSelector(`#replace-approve-${r.id}`, T);
  await page.click(`#replace-approve-${r.id}`);
  const text = await confirmStep(page, `replace-approve-${r.id}`, /退出该单位的检查组.*确认批准替换/, { cancel: true });
  assert.ok(text.includes(cert), 'names the inspector');
  await page.click(`#replace-approve-${r.id}`);
  await confirmStep(page, `replace-approve-${r.id}`, /确认批准替换/);
  await waitText(page, 'main', /已批准/);
  const after = must(await S.head('GET', `/api/tasks/${S.task}/teams`), 'teams').teams.find((x) => x.uscc === t.uscc);
  assert.ok(!after.inspectors.includes(cert), 'replaced');
  await page.goto(`${base}/#/dashboard`);
  await page.waitForSelector('#next-steps', T);
  assert.doesNotMatch(await page.textContent('#next-steps'), /检查人员替换申请/, 'gone from the to-do list once decided');
});

test('publishing the annual plan asks first and says it becomes public', async () => {
  const { page, base } = env;
  const year = bureauYear();
  const plan = must(await S.planner('POST', '/api/plans', { year, name: `${year}年度确认测试计划`, scope: '全县工矿商贸企业',
    ratios: { key_high: 0.3, general_other: 0.05 }, schedule: ['二季度'], estimated_count: 20, joint_checks: 1,
    tasks: [{ name: '联合检查', joint: true, start_date: `${year}-05-01`, end_date: `${year}-05-31` }] }), 'plan');
  await page.goto(`${base}/#/plans/${plan.id}`);
  await page.waitForSelector('#plan-publish', T);
  // the ratios by the strata's labels, the plan's tasks as a table (no codes, no pipes)
  assert.match(await page.textContent('#plan-ratios'), /重点行业·高风险或失信：30%/);
  assert.match(await page.textContent('#plan-ratios'), /一般行业·其他：5%/);
  assert.doesNotMatch(await page.textContent('main'), /key_high|general_other|\|/);
  await page.click('#plan-publish');
  await confirmStep(page, 'plan-publish', /在公开平台向社会公示/, { cancel: true });
  assert.equal(must(await S.head('GET', `/api/plans/${plan.id}`), 'plan').published_at ?? null, null, '取消 publishes nothing');
  await page.click('#plan-publish');
  await confirmStep(page, 'plan-publish', /确认公示计划/);
  await waitText(page, 'main', /已于 .* 公示/);
  assert.ok(must(await S.head('GET', `/api/plans/${plan.id}`), 'plan').published_at);
});

test('a photo filed on the record page shows as a thumbnail with its size in words', async () => {
  const { page, base } = env;
  // a 1×1 PNG
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await page.goto(`${base}/#/results/${S.task}/${S.uscc}`);
  await page.waitForSelector('#attach-file', { state: 'attached', ...T });
  assert.equal(await page.getAttribute('#attach-camera', 'capture'), 'environment', 'the camera is offered on a phone');
  await page.click('summary:has-text("附件")');
  await page.setInputFiles('#attach-file', { name: '现场照片.png', mimeType: 'image/png', buffer: png });
  await page.click('#attach-file + button');
  await page.waitForSelector('#attachments[open] img.thumb', T);
  await page.waitForFunction(() => { const i = document.querySelector('img.thumb'); return i && i.complete && i.naturalWidth === 1; }, null, T);
  assert.match(await page.textContent('main'), /现场照片\.png/);
  assert.match(await page.textContent('main'), /1 KB/);
});

test('a follow-up moves to its next state with a note, and its history is shown', async () => {
  const { page, base } = env;
  // a fresh load: the previous test ends on this page with its re-render still pending
  await page.goto('about:blank');
  await page.goto(`${base}/#/results/${S.task}/${S.uscc}`);
  await page.waitForSelector('#followups', T);
  await page.click('#followups > summary');
  await page.selectOption('#f-fu-kind', 'rectification');
  await page.fill('#f-fu-note', '责令清理消防通道');
  await page.fill('#f-fu-date', cst(10));
  await page.click('#followups .followup-new button[type=submit]');
  await page.waitForSelector('#followups section.followup[data-state="ordered"]', T);
  const id = (await page.getAttribute('#followups section.followup', 'id')).replace('followup-', '');

  // the next state is offered first; a date in the future is refused next to the date
  allow(env, 'PUT', `/api/followups/${id}`, 400, { times: 1 });
  assert.equal(await page.inputValue(`#f-fu${id}-state`), 'rectified');
  await page.fill(`#f-fu${id}-note`, '复查：消防通道已清理');
  await page.fill(`#f-fu${id}-date`, cst(2));
  await page.click(`#followup-${id} .followup-update button[type=submit]`);
  await waitText(page, `#f-fu${id}-date-err`, /日期不能晚于今天/);
  assert.equal(await page.inputValue(`#f-fu${id}-note`), '复查：消防通道已清理', 'input kept');
  await page.fill(`#f-fu${id}-date`, '');
  await page.click(`#followup-${id} .followup-update button[type=submit]`);
  await page.waitForSelector(`#followup-${id}[data-state="rectified"]`, T);
  await waitText(page, `#followup-${id}-history`, /复查：消防通道已清理/);
  const rows = await page.$$eval(`#followup-${id}-history tbody tr`, (trs) => trs.map((tr) => tr.textContent));
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.match(rows[0], /已责令改正.*责令清理消防通道/);
  assert.match(rows[1], /已整改.*复查：消防通道已清理.*head1/);

  // closed is final: no form any more
  await page.selectOption(`#f-fu${id}-state`, 'closed');
  await page.fill(`#f-fu${id}-note`, '整改完成，办结');
  await page.click(`#followup-${id} .followup-update button[type=submit]`);
  await page.waitForSelector(`#followup-${id}[data-state="closed"]`, T);
  assert.equal(await page.$(`#followup-${id} .followup-update`), null);
  await shot(page, 'followthrough-followup-history');
  assert.deepEqual(dialogs, [], 'no browser dialogs');
  assert.deepEqual(env.pageErrors.filter((e) => !/status of 4\d\d/.test(e)), []);
});
