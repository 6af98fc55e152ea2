// Rule editor: a syntax error is reported at its line and the line is marked in CodeMirror; the
// diff against the active version shows the change; a good edit is saved as a new version; enabling
// it and rolling back each ask first on the page (no browser dialog) and say what will happen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow, confirmStep } from './harness.mjs';

let env;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

test('rule list and editor with Lua mode and line numbers', async () => {
  const { page, base } = env;
  await page.goto(`${base}/#/rules`);
  await page.waitForSelector('text=sampling.lua');
  await shot(page, 'rules');
  await page.goto(`${base}/#/rules/sampling`);
  await page.waitForSelector('#rule-editor .CodeMirror');
  assert.ok(await page.$('#rule-editor .CodeMirror-linenumber'), 'line numbers shown');
  assert.ok(await page.$('#rule-editor .cm-keyword'), 'Lua keywords highlighted');
});

test('a syntax error is shown and marked at its line', async () => {
  const { page } = env;
  const line = await page.evaluate(() => {
    const cm = document.querySelector('#rule-editor .CodeMirror').CodeMirror;
    const n = 20;
    cm.replaceRange('local = = broken\n', { line: n - 1, ch: 0 });
    return n;
  });
  await page.click('#rule-diff');
  await page.waitForSelector('#rule-diff-view .add');
  assert.match(await page.textContent('#rule-diff-view'), /local = = broken/);
  allow(env, 'PUT', '/api/rules/sampling', 422, { times: 1 });
  await page.click('#rule-save');
  await page.waitForSelector('#rule-errors .msg-error');
  const text = await page.textContent('#rule-errors');
  assert.match(text, new RegExp(`第 ${line} 行`));
  const marked = await page.evaluate(() => {
    const cm = document.querySelector('#rule-editor .CodeMirror').CodeMirror;
    const out = [];
    cm.eachLine((lh) => { if ((lh.bgClass || '').includes('line-error')) out.push(cm.getLineNumber(lh) + 1); });
    return out;
  });
  assert.deepEqual(marked, [line]);
  await shot(page, 'rules-syntax-error');
  // The input is kept after the server error.
  assert.match(await page.evaluate(() => document.querySelector('#rule-editor .CodeMirror').CodeMirror.getValue()), /local = = broken/);
});

test('a valid edit is saved as a new version', async () => {
  const { page, base } = env;
  await page.goto(`${base}/#/rules/calendar`);
  await page.waitForSelector('#rule-editor .CodeMirror');
  await page.evaluate(() => {
    const cm = document.querySelector('#rule-editor .CodeMirror').CodeMirror;
    cm.setValue(cm.getValue() + '\n-- browser test comment\n');
  });
  await page.fill('#rule-comment', '浏览器测试');
  await page.click('#rule-save');
  await page.waitForSelector('#rule-errors .msg-ok', { timeout: 20000 });
  assert.match(await page.textContent('#rule-errors'), /已保存为版本 2/);
});

test('enabling a version and rolling back ask first, on the page', async () => {
  const { page, base } = env;
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(`${base}/#/rules/calendar`);
  await page.waitForSelector('#rule-activate-2', { timeout: 20000 });
  // cancelled: nothing changes
  await page.click('#rule-activate-2');
  await confirmStep(page, 'rule-activate-2', /启用后.*calendar\.lua 的版本 2/, { cancel: true });
  let r = await page.evaluate(async () => (await fetch('/api/rules/calendar')).json());
  assert.equal(r.versions.find((v) => v.active).version, 1, 'cancelled: version 1 still active');
  await page.click('#rule-activate-2');
  await confirmStep(page, 'rule-activate-2', /启用后/);
  await page.waitForFunction(() => /已启用：版本 2/.test(document.body.textContent), null, { timeout: 20000 });
  await page.waitForSelector('#rule-activate-1', { timeout: 20000 });
  await page.click('#rule-activate-1');
  await confirmStep(page, 'rule-activate-1', /回滚后.*calendar\.lua 的版本 1/);
  await page.waitForFunction(() => /已回滚：版本 1/.test(document.body.textContent), null, { timeout: 20000 });
  assert.deepEqual(dialogs, [], 'no browser dialogs');
});
