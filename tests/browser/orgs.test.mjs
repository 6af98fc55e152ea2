// Organisations (SPEC §10) in the browser: on a fresh demo the administrator adds an org on the
// 机构管理 page, puts an inspector in it, and opens the accounts of the org's inspectors in one action
// (开通账户): the printable list shows each name with a one-time password, and that password logs in
// and must be changed. The demo's 市场监管局 gets its six inspectors' accounts the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, apiFromPage } from './harness.mjs';

let env;
const T = { timeout: 20000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

async function waitText(page, sel, re) {
  await page.waitForFunction(([s, src]) => { const el = document.querySelector(s); return el && new RegExp(src).test(el.textContent); },
    [sel, re.source], T);
}

test('an admin creates an org and its inspectors\' accounts in one action', async () => {
  const { page, base } = env;
  await login(page, base);
  await page.goto(`${base}/#/orgs`);
  await page.waitForSelector('#org-list', T);
  await waitText(page, '#org-list', /高青县市场监督管理局/);
  await waitText(page, '#org-list', /其他部门/);           // the kind's label from the rules

  await page.fill('#f-neworg-name', '高青县交通运输局');
  await page.selectOption('#f-neworg-kind', 'department');
  await page.click('#f-neworg-name >> xpath=ancestor::form//button[@type="submit"]');
  await waitText(page, '#org-list', /高青县交通运输局/);
  const api = await apiFromPage(page);
  const orgs = (await api('GET', '/api/orgs')).body;
  const traffic = orgs.find((o) => o.name === '高青县交通运输局');
  assert.equal(traffic.kind, 'department');

  // an inspector of the new org (所在单位 is the org's name)
  const r = await api('POST', '/api/inspectors', { id_number: '37032219850615001X', name: '马骁', cert_no: '37032280001',
    unit: '高青县交通运输局' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.org_id, traffic.id);

  await page.goto(`${base}/#/orgs`);
  await page.waitForSelector(`#org-accounts-${traffic.id}`, T);
  await page.click(`#org-accounts-${traffic.id}`);
  await waitText(page, '#org-accounts', /已开通 1 个账户/);
  const row = await page.textContent('#org-accounts-created');
  assert.match(row, /马骁/);
  assert.match(row, /37032280001/);
  const pw = (await page.textContent('#org-accounts-created .one-time-password')).trim();
  assert.equal(pw.length, 14);
  await shot(page, 'orgs-accounts');

  // the demo department's six inspectors, in one action
  const market = orgs.find((o) => o.name === '高青县市场监督管理局');
  await page.click(`#org-accounts-${market.id}`);
  await waitText(page, '#org-accounts', /高青县市场监督管理局：已开通 6 个账户/);
  assert.equal(await page.locator('#org-accounts-created .one-time-password').count(), 6);

  // the one-time password logs in (a fresh client with no cookies: the admin's session would ask for
  // its CSRF token), and must be changed first
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: '37032280001', password: pw }) });
  const login2 = { status: res.status, body: await res.json() };
  assert.equal(login2.status, 200);
  assert.equal(login2.body.must_change_password, true);
});
