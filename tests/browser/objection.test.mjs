// Online objection on the portal (9.2; SPEC §12; issue 16): a result is published through the API
// and the unit's 随机抽查通知书 issued (it carries the one-time code). A visitor with no account looks
// the unit up on the portal, follows 在线提出异议, types a wrong code first (refused on the form, the
// typed text kept), then the right one with a photo attached, confirms, and reads the deadline; the
// head finds it in the objection queue as a 网上 objection with the photo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow, confirmStep, ADMIN_PASSWORD, apiSession, completeTeams } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
  + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

const session = (base, username, password) => apiSession(base, username, password);

const ok = (r, what) => assert.ok(r.status === 200 || r.status === 201, `${what}: ${r.status} ${JSON.stringify(r.body)}`);

test('a unit files an objection online with the code of its notice; the head sees it in the queue', async () => {
  const { page, base } = env;
  const admin = await session(base, 'admin', ADMIN_PASSWORD);
  for (const [u, role] of [['objplanner', 'planner'], ['objhead', 'head']]) {
    ok(await admin('POST', '/api/users', { username: u, password: `${u}-pw-2026`, role }), `user ${u}`);
  }
  const planner = await session(base, 'objplanner', 'objplanner-pw-2026');
  const head = await session(base, 'objhead', 'objhead-pw-2026');
  const item = (await planner('GET', '/api/items')).body.items.find((i) => i.checkpoints && i.checkpoints.length);
  const day = 24 * 3600 * 1000;
  const iso = (d) => d.toISOString().slice(0, 10);
  const task = await planner('POST', '/api/tasks', { name: '网上异议演示任务', item_ids: [item.id], mode: 'targeted',
    filters: { industry: ['烟花爆竹'] }, directed: false, lead_unit: '高青县应急管理局', joint_units: [],
    start_date: iso(new Date(Date.now() - 20 * day)), end_date: iso(new Date(Date.now() - 2 * day)) });
  ok(task, 'task');
  const tid = task.body.id;
  for (const [p, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }],
    ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    ok(await planner('POST', `/api/tasks/${tid}/${p}`, body), p);
  }
  await completeTeams(base, tid);
  const team = (await planner('GET', `/api/tasks/${tid}/teams`)).body.teams[0];
  const members = [];
  for (const c of team.inspectors) {
    ok(await admin('POST', '/api/users', { username: `i${c.toLowerCase()}`, password: `i${c.toLowerCase()}-pw-2026`, role: 'inspector', cert_no: c }), `inspector ${c}`);
    members.push(await session(base, `i${c.toLowerCase()}`, `i${c.toLowerCase()}-pw-2026`));
  }
  const res = await members[0]('POST', `/api/tasks/${tid}/results`, { uscc: team.uscc, category: 'b', summary: '未按规定公示应当公示的信息' });
  ok(res, 'result');
  for (const m of members) ok(await m('POST', `/api/results/${res.body.id}/sign`), 'sign');
  ok(await head('POST', `/api/results/${res.body.id}/review`, { approve: true }), 'review');
  ok(await head('POST', `/api/results/${res.body.id}/publish`), 'publish');
  const notice = await planner('GET', `/api/documents/notice?task=${tid}&uscc=${team.uscc}`);
  assert.equal(notice.status, 200);
  const code = notice.body.match(/异议查询码：<strong>([0-9A-Z-]{14})<\/strong>/)[1];

  // ---- the visitor, no account ----
  await page.goto(`${base}/public/`);
  await page.fill('#unit-uscc', team.uscc);
  await page.click('#unit-search button[type=submit]');
  await page.waitForSelector('#unit-objection', T);
  await page.click('#unit-objection');
  await page.waitForSelector('#f-objection-code', T);
  assert.equal(await page.inputValue('#f-objection-uscc'), team.uscc, 'the USCC comes from the unit page');
  await page.fill('#f-objection-code', code.startsWith('0000') ? '1111-1111-1111' : '0000-0000-0000');
  await page.fill('#f-objection-applicant', '被检查单位 张经理');
  await page.fill('#f-objection-contact', '0533-1234567');
  await page.fill('#f-objection-text', '企业已于检查前在官网公示相关信息，请求复核');
  await page.setInputFiles('#f-objection-files', { name: '公示截图.png', mimeType: 'image/png', buffer: PNG });
  allow(env, 'POST', '/api/public/objections', 403, { times: 1 });
  await page.click('main form button[type=submit]');
  await confirmStep(page, 'f-objection', /提交后查询码即失效/);
  await page.waitForFunction(() => /统一社会信用代码或异议查询码不正确/.test(document.querySelector('main').textContent), null, T);
  assert.equal(await page.inputValue('#f-objection-text'), '企业已于检查前在官网公示相关信息，请求复核', 'what was typed is kept');

  await page.fill('#f-objection-code', code);
  await page.click('form button[type=submit]');
  await confirmStep(page, 'f-objection', /提交后查询码即失效/);
  await page.waitForSelector('#objection-done .msg-ok', T);
  const done = await page.textContent('#objection-done');
  assert.match(done, /异议已提交（编号 \d+）/);
  assert.match(done, /\d{4}-\d{2}-\d{2} 前作出复核决定/);
  await shot(page, 'portal-objection-filed');

  // ---- the head's queue ----
  const list = (await head('GET', '/api/objections?status=received')).body.objections;
  const o = list.find((x) => x.result_id === res.body.id);
  assert.ok(o && o.source === 'online', 'filed online, in the queue');
  await login(page, base, 'objhead', 'objhead-pw-2026');
  await page.goto(`${base}/#/objections/${o.id}`);
  await page.waitForSelector('#objection-files a', T);
  const text = await page.textContent('main');
  assert.match(text, /网上提出/);
  assert.match(text, /公示截图\.png/);
  assert.match(text, new RegExp(o.review_due));
  await shot(page, 'objection-online-head');
});
