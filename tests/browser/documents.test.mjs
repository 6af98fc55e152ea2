// Printable documents (SPEC §13): from a demo task drawn, locked and given teams through the API,
// each document is opened from the 文书打印 page's links and printed to PDF by Chromium (page.pdf,
// A4). The PDF's text (pdftotext, poppler-utils) holds the unit's name and USCC, every checkpoint,
// every team member's 姓名 and 执法证号, and none of the app's buttons or menu entries. The PDFs
// and a PNG of each first page are saved to tests/out/documents/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { start, stop, login, shot, ROOT, ADMIN_PASSWORD, completeTeams, bureauYear } from './harness.mjs';

const OUT = path.join(ROOT, 'tests/out/documents');
const T = { timeout: 20000 };
let env;

before(async () => { env = await start(); });
after(async () => { await stop(env); });

async function client(username, password) {
  const r = await fetch(`${env.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(r.status, 200, `login ${username}`);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const { csrf } = await r.json();
  return async (method, p, body) => {
    const headers = { Cookie: cookie, 'X-CSRF-Token': csrf };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(env.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: resp.status, body: await resp.json().catch(() => null) };
  };
}
const must = (r, what) => { assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };
const squash = (s) => s.replace(/\s+/g, '');

// Words of the app's chrome that must never be printed.
const CHROME = ['退出', '修改密码', '工作台', '文书打印', '统计分析', '公开平台', '保存', '查看', '返回', '选择其他任务', '原样重印'];

test('every document prints to an A4 PDF with the unit, every checkpoint and every member', async () => {
  const { page, base } = env;
  const admin = await client('admin', ADMIN_PASSWORD);
  must(await admin('POST', '/api/users', { username: 'planner1', password: 'planner1-browser-pw', role: 'planner' }), 'planner');
  must(await admin('POST', '/api/users', { username: 'head1', password: 'head1-browser-pw', role: 'head' }), 'head');
  const planner = await client('planner1', 'planner1-browser-pw');
  const item = must(await planner('GET', '/api/items'), 'items').items.find((i) => i.checkpoints && i.checkpoints.length >= 2);
  const year = bureauYear();
  const task = must(await planner('POST', '/api/tasks', {
    name: `${year}年烟花爆竹文书测试`, item_ids: [item.id], mode: 'targeted', filters: { industry: ['烟花爆竹'] },
    directed: false, lead_unit: '高青县应急管理局', joint_units: ['高青县市场监督管理局'], start_date: `${year}-01-05`, end_date: `${year}-01-20`,
  }), 'task');
  for (const [step, body] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }], ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    must(await planner('POST', `/api/tasks/${task.id}/${step}`, body), step);
  }
  await completeTeams(env.base, task.id);
  const team = must(await planner('GET', `/api/tasks/${task.id}/teams`), 'teams').teams[0];
  const unit = must(await admin('GET', `/api/enterprises?q=${team.uscc}`), 'unit').items.find((x) => x.uscc === team.uscc);
  const members = [];
  for (const c of team.inspectors) {
    const p = must(await admin('GET', `/api/inspectors?q=${encodeURIComponent(c)}`), c).items.find((x) => x.cert_no === c);
    members.push({ name: p.name, cert_no: c });
    must(await admin('POST', '/api/users', { username: `i${c}`, password: `i${c}-browser-pw`, role: 'inspector', cert_no: c }), c);
  }
  // a result of category e, so that the rectification order applies
  const ins = await client(`i${team.inspectors[0]}`, `i${team.inspectors[0]}-browser-pw`);
  must(await ins('POST', `/api/tasks/${task.id}/results`, {
    uscc: team.uscc, category: 'e', summary: '消防通道堆放杂物，已责令改正',
    records: item.checkpoints.map((cp, i) => ({ item_id: item.id, checkpoint_id: cp.id, category: i ? 'a' : 'e', finding: i ? '符合要求' : '消防通道堆放杂物' })),
  }), 'result');

  await login(page, base);
  await page.goto(`${base}/#/documents/${task.id}`);
  await page.waitForSelector('a.doc-record', T);
  await shot(page, 'documents-page');

  fs.mkdirSync(OUT, { recursive: true });
  const kinds = ['notice', 'record', 'rectification', 'announcement', 'results'];
  for (const kind of kinds) {
    const href = await page.getAttribute(`a.doc-${kind}`, 'href');
    assert.ok(href && href.startsWith(`/api/documents/${kind}?task=${task.id}`), `${kind}: link ${href}`);
    const doc = await env.context.newPage();
    await doc.goto(base + href);
    await doc.waitForSelector('h1', T);
    const pdf = path.join(OUT, `${kind}.pdf`);
    await doc.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
    await doc.close();
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(OUT, kind)]);
    const text = execFileSync('pdftotext', ['-raw', pdf, '-'], { encoding: 'utf8' });
    const flat = squash(text);
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    assert.match(info, /Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)/, `${kind}: A4 pages\n${info}`);
    for (const w of CHROME) assert.ok(!flat.includes(w), `${kind}: the PDF shows app text "${w}"`);
    if (['notice', 'record', 'rectification'].includes(kind)) {
      assert.ok(flat.includes(squash(unit.name)), `${kind}: unit name ${unit.name}`);
      assert.ok(flat.includes(team.uscc), `${kind}: USCC ${team.uscc}`);
      for (const m of members) {
        assert.ok(flat.includes(squash(m.name)) && flat.includes(m.cert_no), `${kind}: member ${m.name} ${m.cert_no}`);
      }
    }
    if (['notice', 'record'].includes(kind)) {
      for (const cp of item.checkpoints) assert.ok(flat.includes(squash(cp.text)), `${kind}: checkpoint ${cp.text}`);
    }
    if (kind === 'rectification') assert.ok(flat.includes('消防通道堆放杂物'), 'rectification: the finding');
    if (kind === 'announcement') {
      assert.ok(flat.includes(team.uscc) && flat.includes(squash(unit.name)), 'announcement: the unit drawn');
      for (const m of members) assert.ok(flat.includes(m.cert_no), `announcement: member ${m.cert_no}`);
    }
  }
  // every document is in the archive, listed on the page with its SHA-256
  await page.goto(`${base}/#/documents`);
  await page.goto(`${base}/#/documents/${task.id}`);
  await page.waitForFunction((n) => document.querySelectorAll('main section code').length >= n, kinds.length, T);
  await shot(page, 'documents-archive');
});
