// A page-wide check of every staff page (the administrator's menu, which holds every page) and every
// public page on a fresh demo, on a 390×844 phone (issue 18): no element reaches beyond the viewport
// (nothing scrolls sideways, except inside a box made to scroll), no visible text that looks like a
// raw code (/[a-z_]{4,}/) outside code, USCC and certificate numbers, and axe-core reports no
// serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, stop, login, apiFromPage, shot, ROOT } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start({ viewport: { width: 390, height: 844 }, isMobile: true }); });
after(async () => { await stop(env); });

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'web/node_modules/axe-core/axe.min.js'), 'utf8');

// Visible words the raw-code check lets through, each with its reason.
const ALLOWED_WORDS = [
  [/\bWebCrypto\b/g, 'the name of the browser interface the portal verifies with'],
  [/\bspotcheck\b/g, 'the name of the command-line tool the portal tells the public to verify with'],
  [/\bSHA-256\b/g, 'the hash function, named as in the standard'],
  [/\bLua\b/g, 'the language rule scripts are written in (administrators edit them)'],
  [/\bExcel\b/g, 'the product name the bureau uses for spreadsheets'],
  [/\bOffice\b/g, 'the product name of the documents a unit may attach'],
  [/Fisher–Yates/g, 'the name of the shuffle the published algorithm uses'],
  [/\bJavaScript\b/g, 'named where a page needs it enabled'],
  [/\bJSON\b/g, 'the file format of the downloadable announcement'],
  [/https?:\/\/\S+/g, 'an address shown for the public to use'],
];

// What the page shows, checked: { overflow: [...], raw: [...] }.
async function inspect(page) {
  return page.evaluate((allowed) => {
    const vw = document.documentElement.clientWidth;
    const overflow = [];
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
      }
      return false;
    };
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') continue;
      if (r.right > vw + 1 && !clipped(el)) overflow.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} right=${Math.round(r.right)}`);
    }
    if (document.documentElement.scrollWidth > vw + 1) overflow.unshift(`page scrollWidth ${document.documentElement.scrollWidth} > ${vw}`);
    const raw = [];
    // not checked: code and hashes (code, pre, .hash), USCC and certificate numbers, account names
    // (.username: what a user types to sign in), the Lua console's transcript (.console-out) and the
    // rule editor (.CodeMirror): code by nature
    const skip = (el) => el.closest('code, pre, .hash, .uscc, .cert, .username, .console-out, script, style, textarea, .CodeMirror, [hidden]');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || skip(el)) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden' || !el.getClientRects().length) continue;
      let text = n.textContent;
      for (const re of allowed) text = text.replace(new RegExp(re, 'g'), ' ');
      text = text.replace(/\b[0-9A-Z]{18}\b/g, ' ');   // USCC
      const m = text.match(/[a-z_]{4,}/);
      if (m) raw.push(`"${m[0]}" in "${n.textContent.trim().slice(0, 80)}"`);
    }
    return { overflow: overflow.slice(0, 5), raw: [...new Set(raw)].slice(0, 5) };
  }, ALLOWED_WORDS.map(([re]) => re.source));
}

async function axe(page) {
  // evaluated through the DevTools protocol: the pages' Content-Security-Policy forbids inline scripts
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const r = await page.evaluate(async () => {
    if (typeof window.axe.version !== 'string') throw new Error('axe-core did not load');
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return r;
}

async function settle(page) {
  await page.waitForFunction(() => {
    const m = document.querySelector('main');
    return m && !m.querySelector('.loading') && m.textContent.trim().length > 0;
  }, null, T);
  await page.waitForTimeout(200);
}

test('every staff and public page fits a 390 px phone, shows no raw codes and passes axe-core', async () => {
  const { page, base } = env;
  const problems = [];
  const check = async (where) => {
    await settle(page);
    const { overflow, raw } = await inspect(page);
    const ax = await axe(page);
    for (const x of await page.$$eval('main .msg-error', (es) => es.map((e) => e.textContent))) problems.push(`${where}: error message "${x}"`);
    for (const x of overflow) problems.push(`${where}: wider than the screen: ${x}`);
    for (const x of raw) problems.push(`${where}: raw text ${x}`);
    for (const x of ax) problems.push(`${where}: axe ${x}`);
  };

  // set-up: one task locked, so the portal has an announcement
  await login(page, base);
  const api = await apiFromPage(page);
  const item = (await api('GET', '/api/items')).body.items.find((i) => i.checkpoints && i.checkpoints.length);
  const created = await api('POST', '/api/tasks', { name: '页面检查用任务', item_ids: [item.id], mode: 'targeted',
    filters: { industry: ['烟花爆竹'] }, directed: false, lead_unit: '高青县应急管理局', joint_units: [],
    start_date: '2026-02-02', end_date: '2026-02-20' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const [p, b] of [['freeze', { witness: '监督人', beacon_source: '福彩3D 2026058期开奖号码' }], ['draw', { witness: '监督人', beacon: '3 7 1' }],
    ['lock', { witness: '纪检监督人', beacon_source: '福彩3D 2026059期开奖号码' }], ['teams', { witness: '纪检监督人', beacon: '5 2 8' }]]) {
    const r = await api('POST', `/api/tasks/${created.body.id}/${p}`, b);
    assert.ok(r.status === 200 || r.status === 201, `${p}: ${JSON.stringify(r.body)}`);
  }

  // ---- public pages ----
  await page.goto(`${base}/public/`);
  await settle(page);
  const publicLinks = await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('href')));
  for (const href of publicLinks) {
    await page.goto(`${base}/public/${href}`);
    await check(`public ${href}`);
  }
  // the pages behind them: an announcement and a unit's draw history
  await page.goto(`${base}/public/#/tasks`);
  await settle(page);
  const annLink = await page.$eval('main a[href^="#/tasks/"]', (a) => a.getAttribute('href')).catch(() => null);
  assert.ok(annLink, 'the demo has a published announcement');
  await page.goto(`${base}/public/${annLink}`);
  await page.waitForSelector('#verify-status.ok, #verify-status.bad', T);
  await check(`public ${annLink}`);
  const usccText = await page.$eval('ol.sel li code', (c) => c.textContent);
  await page.goto(`${base}/public/#/units/${usccText}`);
  await check('public #/units/…');

  // ---- staff pages: every page of the administrator's menu ----
  await page.goto(`${base}/#/dashboard`);
  await page.waitForSelector('#nav a[href="#/audit"]', { ...T, state: 'attached' });
  const staffLinks = await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('href')).filter((x) => x && x.startsWith('#/')));
  assert.ok(staffLinks.length >= 10, `the menu lists the pages (${staffLinks.length})`);
  for (const href of staffLinks) {
    await page.goto(`${base}/${href}`);
    await check(`staff ${href}`);
  }
  // detail pages: a task of each state the demo has, the new-task form
  await page.goto(`${base}/#/tasks`);
  await settle(page);
  const taskLinks = await page.$$eval('main a[href^="#/tasks/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
  for (const href of [...taskLinks.slice(0, 4), '#/tasks/new', '#/enterprises/1', '#/inspectors/1', '#/items/1', '#/rules/sampling']) {
    await page.goto(`${base}/${href}`);
    await check(`staff ${href}`);
  }
  // the menu opens on the phone
  await page.click('#nav-toggle');
  await page.waitForSelector('#nav.open', T);
  await shot(page, 'phone-menu-open', { full: false });
  assert.deepEqual(problems, [], problems.join('\n'));
});
