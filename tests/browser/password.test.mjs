// Accounts with an initial password (修改密码): the administrator creates a planner on the users page
// (首次登录须修改密码 is ticked by default); the planner's first login lands on 修改密码 with the
// reason, every other page leads back there, a wrong current password and a mistyped confirmation
// are shown next to their fields, and after the change the page the planner asked for opens. The
// new password logs in straight to the dashboard; the user box links to 修改密码 for everyone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow } from './harness.mjs';

let env;
const T = { timeout: 20000 };
before(async () => {
  env = await start();
  env.dialogs = [];
  env.page.on('dialog', (d) => { env.dialogs.push(d.message()); d.dismiss(); });
});
after(async () => { await stop(env); });

async function waitText(page, sel, re) {
  await page.waitForFunction(([s, src]) => { const el = document.querySelector(s); return el && new RegExp(src).test(el.textContent); },
    [sel, re.source], T);
}

test('an initial password is changed at the first login, then the asked-for page opens', async () => {
  const { page, base, context } = env;
  await login(page, base);
  await page.goto(`${base}/#/users?role=planner`);
  await page.waitForSelector('#f-newuser-username', T);
  assert.equal(await page.isChecked('#f-newuser-must_change_password'), true, 'ticked by default');
  await page.fill('#f-newuser-username', 'planner7');
  await page.fill('#f-newuser-password', 'initial-pw-7');
  await page.click('#user-create button[type=submit]');
  await waitText(page, '#user-create .form-msg', /已创建用户 planner7/);
  await waitText(page, '#user-list', /待改初始密码/);

  await context.clearCookies();
  await page.goto('about:blank');   // a fresh start of the app, not a session lost under an open page
  await page.goto(`${base}/#/login?next=${encodeURIComponent('plans')}`);
  await page.fill('#f-login-username', 'planner7');
  await page.fill('#f-login-password', 'initial-pw-7');
  await page.click('form button[type=submit]');
  await page.waitForSelector('#password-form', T);
  assert.match(await page.textContent('main'), /管理员为您设置了初始密码/);
  await shot(page, 'password-forced');

  // any other page leads back here, remembering it
  await page.goto(`${base}/#/tasks`);
  await page.waitForFunction(() => location.hash.startsWith('#/password'), null, T);
  await page.waitForSelector('#password-form', T);

  // a wrong current password: the server's message next to that field, inputs kept
  allow(env, 'POST', '/api/me/password', 422, { times: 1 });
  await page.fill('#f-pw-current', 'not-the-password');
  await page.fill('#f-pw-new', 'planner7-own-pw');
  await page.fill('#f-pw-confirm', 'planner7-own-pw');
  await page.click('#password-form button[type=submit]');
  await waitText(page, '#f-pw-current-err', /当前密码错误/);
  assert.equal(await page.inputValue('#f-pw-new'), 'planner7-own-pw');
  // a mistyped confirmation: refused in the page
  await page.fill('#f-pw-current', 'initial-pw-7');
  await page.fill('#f-pw-confirm', 'planner7-own-pX');
  await page.click('#password-form button[type=submit]');
  await waitText(page, '#f-pw-confirm-err', /两次输入的新密码不一致/);
  await page.fill('#f-pw-confirm', 'planner7-own-pw');
  await page.click('#password-form button[type=submit]');
  await waitText(page, '#password-form .form-msg', /密码已修改/);
  // the last page asked for (抽查任务, tried while the change was pending) opens
  await page.waitForFunction(() => location.hash === '#/tasks', null, T);
  await page.waitForSelector('h1:has-text("抽查任务")', T);

  // the new password logs in straight to the dashboard
  await page.click('#logout');
  await login(page, base, 'planner7', 'planner7-own-pw');
  await page.waitForSelector('h1:has-text("工作台")', T);
  await page.click('#change-password');
  await page.waitForSelector('#password-form', T);
  assert.doesNotMatch(await page.textContent('main'), /管理员为您设置了初始密码/);
  assert.deepEqual(env.dialogs, [], 'no browser dialogs');
  assert.deepEqual(env.pageErrors.filter((e) => !/status of 4\d\d/.test(e)), []);
});
