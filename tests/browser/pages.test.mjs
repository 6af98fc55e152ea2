// Every page on a 1366×768 office screen: it renders its heading, not an error message, with no
// failed API reply or script error (the harness fails the test on those), and is saved as a
// screenshot. (The phone, 390×844, is pagecheck.test.mjs: every page, error messages included.)
// Also the Lua console (history with ↑) and the audit chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot } from './harness.mjs';

const STAFF = ['dashboard', 'tasks', 'tasks/new', 'results', 'objections', 'enterprises', 'enterprises/1', 'inspectors',
  'inspectors/1', 'items', 'items/1', 'plans', 'accountability', 'audit', 'rules', 'rules/sampling', 'console', 'orgs', 'users', 'documents', 'stats'];
const PUBLIC = ['', 'items', 'plans', 'tasks', 'results', 'how-to-verify'];

for (const [kind, opts] of [['desktop', {}]]) {
  test(`every page renders (${kind})`, async () => {
    const env = await start(opts);
    try {
      const { page, base } = env;
      const errorPages = [];
      for (const p of PUBLIC) {
        await page.goto(`${base}/public/#/${p}`);
        await page.waitForSelector('main h1, main .msg-error');
        await page.waitForTimeout(300);
        const err = await page.evaluate(() => Array.from(document.querySelectorAll('main .msg-error')).map((e) => e.textContent));
        if (err.length) errorPages.push(`public ${p}: ${err.join(' | ')}`);
        await shot(page, `${kind}-public-${p || 'home'}`);
      }
      await login(page, base);
      for (const p of STAFF) {
        await page.goto(`${base}/#/${p}`);
        await page.waitForSelector('main h1, main > .msg-error', { timeout: 15000 });
        await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: 15000 }).catch(() => {});
        await shot(page, `${kind}-${p.replace(/\//g, '-')}`);
        const err = await page.evaluate(() => Array.from(document.querySelectorAll('main .msg-error')).map((e) => e.textContent));
        if (err.length) errorPages.push(`${p}: ${err.join(' | ')}`);
      }
      if (kind === 'phone') {
        await page.click('#nav-toggle');
        await page.waitForSelector('#nav.open');
        await shot(page, 'phone-menu-open', { full: false });
      }
      assert.deepEqual(errorPages, [], 'pages showing an error message');
    } finally {
      await stop(env);
    }
  });
}

test('Lua console runs code and keeps a history; audit chain verifies', async () => {
  const env = await start();
  try {
    const { page, base } = env;
    await login(page, base);
    await page.goto(`${base}/#/console`);
    await page.waitForSelector('#console-input');
    await page.fill('#console-input', 'return 6 * 7');
    await page.click('#console-run');
    await page.waitForFunction(() => /42/.test(document.querySelector('#console-out').textContent));
    await page.fill('#console-input', 'error("故意的错误")');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('#console-out .err');
    assert.match(await page.textContent('#console-out .err'), /故意的错误/);
    await page.focus('#console-input');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.inputValue('#console-input'), 'error("故意的错误")');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.inputValue('#console-input'), 'return 6 * 7');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.inputValue('#console-input'), '');
    await shot(page, 'console');
    await page.goto(`${base}/#/audit`);
    await page.click('#audit-verify-btn');
    await page.waitForSelector('#audit-verify .msg-ok');
    assert.match(await page.textContent('#audit-verify'), /校验通过/);
  } finally {
    await stop(env);
  }
});
