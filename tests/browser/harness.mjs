// harness.mjs: starts the real spotcheck binary (fresh demo database, free loopback port) and a
// headless Debian chromium through playwright-core (installed in web/node_modules; no browser
// download). Used by every tests/browser/*.test.mjs.
//
//   const env = await start();           // {base, page, browser, ...}
//   await login(env.page, env.base);
//   await shot(env.page, 'name');         // tests/out/screenshots/name.png
//   const { page } = await phone(env);    // a second browser sized as a phone
//   allow(env, 'POST', /^\/api\/tasks\/\d+\/draw$/, 409);   // a reply the test provokes on purpose
//   await stop(env);                      // throws if anything unexpected went wrong (see below)
//
// Strict by default: every HTTP reply with status >= 400, every failed request, every uncaught
// page error and every console error of every page of the test's browsers is recorded in
// env.problems, and stop(env) fails the test if any of them is not on the test's allow-list
// (allow(env, …)). The only replies allowed for every test are those of the app's own protocol:
// GET /api/me answers 401 when no one is signed in (how the app learns it must show the login
// page). A request aborted by a navigation (net::ERR_ABORTED) is not a failure.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
const require = createRequire(path.join(ROOT, 'web/package.json'));
const { chromium } = require('playwright-core');

export const BIN = process.env.SPOTCHECK_BIN || path.join(ROOT, 'build/spotcheck');
export const ADMIN_PASSWORD = 'admin-browser-test-pw';
export const SHOTS = path.join(ROOT, 'tests/out/screenshots');

// The server's "today" is the bureau's calendar day (China Standard Time, UTC+8), not this machine's:
// from 16:00 UTC on they differ, so a test's dates and years come from these.
export const bureauDay = (days = 0) => new Date(Date.now() + 8 * 3600 * 1000 + days * 86400000).toISOString().slice(0, 10);
export const bureauYear = () => Number(bureauDay().slice(0, 4));
const CHROMIUM = process.env.SPOTCHECK_CHROMIUM || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, proc, logs) {
  const t0 = Date.now();
  while (Date.now() - t0 < 20000) {
    if (proc.exitCode !== null) throw new Error(`spotcheck serve exited with ${proc.exitCode}:\n${logs.join('')}`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) return;
    } catch (e) {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become healthy:\n${logs.join('')}`);
}

// A fresh demo database is the same for every test file of one run (the same binary, rules and day):
// it is made once (`spotcheck init --demo`, about a second) in the temporary folder under a name
// that says so, and each test copies it; an older template is removed when a new one is made.
function demoTemplate(env) {
  const st = fs.statSync(BIN);
  const day = bureauDay();
  // the rules and document templates go into the database at init: a change to them is a new template
  const rules = crypto.createHash('sha256');
  const walk = (d) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else rules.update(`${p}\0`).update(fs.readFileSync(p));
    }
  };
  walk(path.join(ROOT, 'rules'));
  const key = crypto.createHash('sha256').update(`${BIN}|${st.size}|${st.mtimeMs}|${ROOT}|${ADMIN_PASSWORD}|${day}|${rules.digest('hex')}`).digest('hex').slice(0, 16);
  const tpl = path.join(os.tmpdir(), `spot-browser-demo-${key}.db`);
  if (!fs.existsSync(tpl)) {
    for (const f of fs.readdirSync(os.tmpdir())) if (/^spot-browser-demo-[0-9a-f]{16}\.db/.test(f)) fs.rmSync(path.join(os.tmpdir(), f), { force: true });
    const part = `${tpl}.${process.pid}.part`;
    execFileSync(BIN, ['--db', part, 'init', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // the last connection's close checkpoints the log into the file; a log left over would hold data
    if (fs.existsSync(`${part}-wal`) && fs.statSync(`${part}-wal`).size > 0) throw new Error('init --demo left a write-ahead log');
    fs.rmSync(`${part}-wal`, { force: true });
    fs.rmSync(`${part}-shm`, { force: true });
    fs.renameSync(part, tpl);
  }
  return tpl;
}

export async function start({ viewport = { width: 1366, height: 768 }, isMobile = false } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`spotcheck binary not found at ${BIN} (build it, or set SPOTCHECK_BIN)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-browser-'));
  const db = path.join(tmp, 'test.db');
  const env = {
    ...process.env,
    SPOTCHECK_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SPOTCHECK_WEB_DIR: path.join(ROOT, 'web'),
    SPOTCHECK_RULES_DIR: path.join(ROOT, 'rules'),
    SPOTCHECK_EXPORT_DIR: path.join(tmp, 'exports'),
  };
  fs.copyFileSync(demoTemplate(env), db);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs = [];
  const proc = spawn(BIN, ['--db', db, 'serve', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => logs.push(d.toString()));
  proc.stderr.on('data', (d) => logs.push(d.toString()));
  await waitHealthy(base, proc, logs);

  const pageErrors = [];
  const problems = [];
  const watch = { pageErrors, problems, base };
  const { context, page } = await launch(path.join(tmp, 'profile'), { viewport, isMobile }, watch);
  const browser = context;
  return { tmp, db, base, port, proc, logs, browser, context, page, pageErrors, problems, allowed: [...ALWAYS_ALLOWED],
    watch, env, extra: [] };
}

// Replies every test may see (the app's own protocol, see the header).
const ALWAYS_ALLOWED = [{ method: 'GET', path: /^\/api\/me$/, status: 401 }];

// Allows the test's browsers to receive `status` for method + path (a RegExp on the URL's path,
// or a string for an exact path) without failing the test: for replies the test provokes on
// purpose. status may be a number or an array of numbers; times (default: any number) bounds how
// often it may occur.
export function allow(env, method, p, status, { times = Infinity } = {}) {
  env.allowed.push({ method, path: p, status: [].concat(status), times, seen: 0 });
}

function allowedBy(rule, pr) {
  if (pr.kind !== 'response') return false;
  if (rule.method && rule.method !== pr.method) return false;
  if (!(typeof rule.path === 'string' ? rule.path === pr.path : rule.path.test(pr.path))) return false;
  return [].concat(rule.status).includes(pr.status);
}

// The recorded problems no allow-list entry covers, as lines of text.
export function unexpected(env) {
  const out = [];
  for (const pr of env.problems) {
    const rule = env.allowed.find((r) => allowedBy(r, pr));
    if (rule) {
      rule.seen = (rule.seen || 0) + 1;
      if (rule.times === undefined || rule.seen <= rule.times) continue;
    }
    out.push(pr.text);
  }
  for (const r of env.allowed) r.seen = 0;
  return out;
}

// Records what goes wrong on one page (see the header).
function watchPage(page, watch) {
  page.on('pageerror', (e) => {
    const text = String(e) + (process.env.SPOT_STACKS ? e.stack : '');
    watch.pageErrors.push(text);
    watch.problems.push({ kind: 'pageerror', text: `page error: ${text}` });
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    watch.pageErrors.push(`console: ${m.text()}`);
    // the browser's own "Failed to load resource: … status of 404" repeats a reply the response
    // listener has recorded (and the allow-list judges)
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    watch.problems.push({ kind: 'console', text: `console error: ${m.text()}` });
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const u = new URL(r.url());
    const method = r.request().method();
    watch.problems.push({ kind: 'response', method, path: u.pathname, status: r.status(),
      text: `unexpected reply: ${method} ${u.pathname}${u.search} -> ${r.status()}` });
  });
  page.on('requestfailed', (r) => {
    const why = (r.failure() && r.failure().errorText) || '';
    if (/ERR_ABORTED/.test(why)) return;
    watch.problems.push({ kind: 'requestfailed', text: `failed request: ${r.method()} ${r.url()}: ${why}` });
  });
}

// A browser with a fresh profile directory (playwright passes it as --user-data-dir), loopback only.
async function launch(profile, { viewport, isMobile }, watch) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport, isMobile, hasTouch: isMobile, locale: 'zh-CN',
  });
  // Loopback only: refuse every request that leaves 127.0.0.1.
  await context.route(/.*/, (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    return route.abort();
  });
  for (const p of context.pages()) watchPage(p, watch);
  context.on('page', (p) => watchPage(p, watch));
  const page = context.pages()[0] || await context.newPage();
  return { context, page };
}

// A second browser on the same server, e.g. an inspector's phone (390×844, touch). Its problems go
// to env.problems like the first one's; stop(env) closes it.
export async function phone(env, { viewport = { width: 390, height: 844 }, isMobile = true } = {}) {
  const b = await launch(path.join(env.tmp, `profile-${env.extra.length + 1}`), { viewport, isMobile }, env.watch);
  env.extra.push(b.context);
  return b;
}

// Closes the browsers, stops the server, removes the files; then throws if a browser saw anything
// unexpected (see the header), so that every test fails on it.
export async function stop(env) {
  if (!env) return;
  for (const c of env.extra || []) {
    try {
      await c.close();
    } catch (e) {
      /* already closed */
    }
  }
  try {
    await env.browser.close();
  } catch (e) {
    /* already closed */
  }
  const bad = unexpected(env);
  if (env.proc && env.proc.exitCode === null) {
    env.proc.kill('SIGTERM');
    await new Promise((r) => { env.proc.once('exit', r); setTimeout(r, 3000); });
  }
  fs.rmSync(env.tmp, { recursive: true, force: true });
  if (bad.length) throw new Error(`the browser saw ${bad.length} unexpected problem(s):\n  ${bad.join('\n  ')}`);
}

export async function login(page, base, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto(`${base}/#/login`);
  await page.fill('#f-login-username', username);
  await page.fill('#f-login-password', password);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#logout');
}

export async function shot(page, name, { full = true } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: full });
}

// A JSON API client signed in as username (node's fetch, outside the browser), for set-up made
// through the API. Each call returns {status, body} (body parsed when JSON); with strict, a status
// of 300 or more fails the test and the call returns the body alone.
export async function apiSession(base, username, password, { strict = false } = {}) {
  const r = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  const { csrf } = await r.json();
  const cookie = r.headers.get('set-cookie').split(';')[0];
  return async (method, p, body) => {
    const res = await fetch(base + p, { method, headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const ct = res.headers.get('content-type') || '';
    const out = { status: res.status, body: ct.startsWith('application/json') ? await res.json() : await res.text() };
    if (!strict) return out;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(out.body).slice(0, 300)}`);
    return out.body;
  };
}

// Scenario set-up after a team draw: positions a too-small pool left open (7.3; the random draw
// decides whether any are) are filled by name by a fixture head of the bureau, created on first
// need, so that every team can record its result. Returns the number filled.
export async function completeTeams(base, taskId) {
  const admin = await apiSession(base, 'admin', ADMIN_PASSWORD, { strict: true });
  const open = await admin('GET', `/api/tasks/${taskId}/teams?open=1&per_page=200`);
  if (!open.total) return 0;
  const users = await admin('GET', '/api/users');
  if (!(users.users || users).some((u) => u.username === 'fixture_head')) {
    await admin('POST', '/api/users', { username: 'fixture_head', password: 'fixture-head-pw-2026', role: 'head' });
  }
  const head = await apiSession(base, 'fixture_head', 'fixture-head-pw-2026', { strict: true });
  let n = 0;
  for (const t of open.teams) {
    for (let i = 0; i < t.open; i++) {
      const c = await head('GET', `/api/tasks/${taskId}/teams/${t.uscc}/candidates`);
      const ok = c.candidates.filter((x) => x.ok).sort((a, b) => a.load - b.load || a.cert_no.localeCompare(b.cert_no));
      if (!ok.length) throw new Error(`no one to appoint for ${t.uscc}`);
      await head('POST', `/api/tasks/${taskId}/teams/${t.uscc}/appoint`, { cert_no: ok[0].cert_no });
      n += 1;
    }
  }
  return n;
}

// A JSON API client with the browser's session (cookie + CSRF from /api/me).
export async function apiFromPage(page) {
  return async (method, p, body, contentType) => page.evaluate(async ([method, p, body, contentType]) => {
    const me = await (await fetch('/api/me')).json();
    const headers = { 'X-CSRF-Token': me.csrf };
    let data;
    if (body !== undefined && body !== null) {
      headers['Content-Type'] = contentType || 'application/json';
      data = contentType ? body : JSON.stringify(body);
    }
    const r = await fetch(p, { method, headers, body: data });
    const ct = r.headers.get('Content-Type') || '';
    return { status: r.status, body: ct.startsWith('application/json') ? await r.json() : await r.text() };
  }, [method, p, body, contentType]);
}

// Whether an API endpoint exists on this build (404 "not_found" for an unknown /api/ path).
export async function hasEndpoint(base, method, p) {
  const r = await fetch(base + p, { method });
  if (r.status !== 404) return true;
  try {
    const b = await r.json();
    return !/没有这个接口/.test(b.message || '');
  } catch (e) {
    return false;
  }
}

// An inline confirmation (ui.js confirmBox) that must appear after clicking the button or form
// with this id: checks that it states what will happen (re), then clicks 确认 (or 取消 with
// {cancel: true}). Returns the text.
export async function confirmStep(page, id, re, { cancel = false, timeout = 20000 } = {}) {
  await page.waitForSelector(`#${id}-confirm`, { timeout });
  const text = await page.textContent(`#${id}-confirm .confirm-text`);
  if (re && !re.test(text)) throw new Error(`the confirmation of ${id} says "${text}", not ${re}`);
  await page.click(`#${id}-${cancel ? 'no' : 'yes'}`);
  return text;
}
