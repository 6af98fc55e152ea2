// A draft task edited and cancelled on the task page (issue 18): the new-task form preselects no
// item; 修改任务 opens the form filled with the task, the change is saved; 取消任务 asks for the reason
// in place, and the cancelled task shows the reason and leaves the task list and the to-do list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot } from './harness.mjs';

let env;
const T = { timeout: 30000 };
before(async () => { env = await start(); });
after(async () => { await stop(env); });

test('a draft task is edited and then cancelled with a reason', async () => {
  const { page, base } = env;
  await login(page, base);
  await page.goto(`${base}/#/tasks/new`);
  await page.waitForSelector('#f-task-name', T);
  const checked = await page.$$eval('#f-task-item_ids input[type=checkbox]', (cs) => cs.filter((c) => c.checked).length);
  assert.equal(checked, 0, 'no item is preselected');
  await page.fill('#f-task-name', '待修改的草稿任务');
  await page.fill('#f-task-start_date', '2026-05-04');
  await page.fill('#f-task-end_date', '2026-05-29');
  await page.locator('#f-task-item_ids input[type=checkbox]').first().check();
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/\d+$/, T);
  const id = page.url().match(/#\/tasks\/(\d+)$/)[1];

  await page.waitForSelector('#task-edit', T);
  await page.click('#task-edit');
  await page.waitForSelector('#f-task-name', T);
  assert.equal(await page.inputValue('#f-task-name'), '待修改的草稿任务', 'the form holds the task');
  assert.equal(await page.inputValue('#f-task-start_date'), '2026-05-04');
  await page.fill('#f-task-name', '修改后的草稿任务');
  await page.click('form button[type=submit]');
  await page.waitForURL(new RegExp(`#/tasks/${id}$`), T);
  await page.waitForFunction(() => /修改后的草稿任务/.test((document.querySelector('main h1') || {}).textContent || ''), null, T);

  // the draft is on the to-do list until it is cancelled
  const nextSteps = async () => {
    await page.goto(`${base}/#/dashboard`);
    await page.waitForSelector('#next-steps', T);
    return page.textContent('#next-steps');
  };
  assert.match(await nextSteps(), /冻结候选名单：修改后的草稿任务/);
  await page.goto(`${base}/#/tasks/${id}`);
  await page.waitForSelector('#task-cancel', T);

  await page.click('#task-cancel');
  await page.waitForSelector('#f-task-cancel-reason', T);
  await page.fill('#f-task-cancel-reason', '与联合抽查任务重复');
  await shot(page, 'task-cancel-reason');
  await page.click('#task-cancel-form button[type=submit]');
  await page.waitForFunction(() => /本任务已于 .* 取消：与联合抽查任务重复/.test((document.querySelector('main') || {}).textContent || ''), null, T);
  assert.equal(await page.$('#task-freeze'), null, 'a cancelled task offers no freeze');
  await page.goto(`${base}/#/tasks`);
  await page.waitForSelector('#tasks-cancelled', T);
  assert.ok(!(await page.textContent('main')).includes('修改后的草稿任务'), 'not in the task list');
  await page.click('#tasks-cancelled');
  await page.waitForFunction(() => /修改后的草稿任务/.test((document.querySelector('main') || {}).textContent || ''), null, T);
  assert.doesNotMatch(await nextSteps(), /修改后的草稿任务/, 'a cancelled task leaves the to-do list');
});
