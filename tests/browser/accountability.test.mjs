// 责任追究 in Chromium: a situation of 10.1 (五) 其他 is recorded on the page after a confirmation
// that says what will happen, is listed among the open situations, and is closed with a reason typed
// on the page (no browser dialog); the closed record stays with who closed it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, confirmStep } from './harness.mjs';

let env;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

const T = { timeout: 20000 };

test('a 10.1 (5) situation is recorded with a confirmation and closed with a reason', async () => {
  const { page, base } = env;
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(`${base}/#/accountability`);
  await page.waitForSelector('main h1', T);
  await page.click('summary:has-text("登记其他情形")');
  await page.selectOption('#f-acc-record-kind', 'task');
  await page.fill('#f-acc-record-ref', '1');
  await page.fill('#f-acc-record-reason', '检查人员与被检查单位负责人系亲属，未申请回避');
  await page.click('form:has(#f-acc-record-reason) button[type=submit]');
  await confirmStep(page, 'f-acc-record', /将登记一项责任追究情形.*未申请回避/);
  await page.waitForFunction(() => /其他违反抽查工作规定的情形（admin登记）：检查人员与被检查单位负责人系亲属/.test(document.body.textContent), null, T);
  const id = await page.evaluate(() => {
    const b = document.querySelector('[id^="record-close-"]');
    return b ? b.id.replace('record-close-', '') : null;
  });
  assert.ok(id, 'the record has a close button');
  await shot(page, 'accountability-recorded');
  await page.click(`#record-close-${id}`);
  await page.fill(`#f-record-close-${id}-reason`, '已约谈并责令改正');
  await page.click(`form:has(#f-record-close-${id}-reason) button[type=submit]`);
  await page.waitForFunction(() => /admin .*：已约谈并责令改正/.test(document.body.textContent), null, T);
  const open = await page.evaluate(() => document.body.textContent.includes('（admin登记）'));
  assert.equal(open, false, 'no longer an open situation');
  assert.deepEqual(dialogs, [], 'no browser dialogs');
});
