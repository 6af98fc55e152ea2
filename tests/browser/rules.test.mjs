// Rule editor: a syntax error is reported at its line and the line is marked in CodeMirror; the
// diff against the active version shows the change; a good edit is saved as a new version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow } from './harness.mjs';

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
