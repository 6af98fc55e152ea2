// Login: a wrong password shows the server's message and keeps the input; the right one opens the
// dashboard; logout returns to the login page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, login, shot, allow, ADMIN_PASSWORD } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await stop(env); });

test('login with a wrong password keeps the input and shows the message', async () => {
  const { page, base } = env;
  await page.goto(`${base}/`);
  await page.waitForSelector('#f-login-username');
  await shot(page, 'login');
  await page.fill('#f-login-username', 'admin');
  await page.fill('#f-login-password', 'wrong-password');
  allow(env, 'POST', '/api/login', 401, { times: 1 });
  await page.click('form button[type=submit]');
  await page.waitForSelector('.form-msg .msg-error');
  assert.match(await page.textContent('.form-msg'), /用户名或密码错误/);
  assert.equal(await page.inputValue('#f-login-username'), 'admin');
});

test('login opens the dashboard, logout returns to the login page', async () => {
  const { page, base } = env;
  await login(page, base, 'admin', ADMIN_PASSWORD);
  await page.waitForSelector('h1:has-text("工作台")');
  assert.match(await page.textContent('#user'), /admin/);
  await page.waitForTimeout(500);
  await shot(page, 'dashboard');
  await page.click('#logout');
  await page.waitForSelector('#f-login-username');
  assert.deepEqual(env.pageErrors.filter((e) => !/status of 40[14]/.test(e)), []);
});
