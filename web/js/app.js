// app.js: the staff single-page app: session, navigation by role, hash routing to one module per page.
import { api, setCsrf, setClosing, settled, h, mount, msg, errorText, parseHash } from './ui.js';
import { ROLES, loadMeta } from './labels.js';
import { setDraftUser } from './drafts.js';
import { flush, queued } from './outbox.js';

// Each route: hash path -> module (lazy), menu group, roles allowed (undefined = every staff role).
const ROUTES = [
  { path: 'dashboard', label: '工作台', group: '日常', mod: './pages/dashboard.js' },
  { path: 'tasks', label: '抽查任务', group: '日常', mod: './pages/tasks.js' },
  { path: 'inbox', label: '本单位待办', group: '日常', mod: './pages/inbox.js' },
  { path: 'results', label: '检查结果', group: '日常', mod: './pages/results.js' },
  { path: 'objections', label: '异议处理', group: '日常', mod: './pages/objections.js' },
  { path: 'documents', label: '文书打印', group: '日常', mod: './pages/documents.js' },
  { path: 'enterprises', label: '检查对象名录', group: '名录与清单', mod: './pages/enterprises.js' },
  { path: 'inspectors', label: '检查人员名录', group: '名录与清单', mod: './pages/inspectors.js' },
  { path: 'items', label: '抽查事项清单', group: '名录与清单', mod: './pages/items.js' },
  { path: 'plans', label: '年度计划', group: '名录与清单', mod: './pages/plans.js' },
  { path: 'accountability', label: '责任追究', group: '监督', mod: './pages/accountability.js', roles: ['admin', 'auditor', 'head'] },
  { path: 'stats', label: '统计分析', group: '监督', mod: './pages/stats.js', roles: ['admin', 'auditor', 'head'] },
  { path: 'audit', label: '操作留痕', group: '监督', mod: './pages/audit.js', roles: ['admin', 'auditor', 'head'] },
  // read by those who plan, approve or supervise (edited by admins); not an inspector's page
  { path: 'rules', label: '规则管理', group: '系统', mod: './pages/rules.js', roles: ['admin', 'planner', 'head', 'auditor'] },
  { path: 'console', label: 'Lua 控制台', group: '系统', mod: './pages/console.js', roles: ['admin'] },
  { path: 'orgs', label: '机构管理', group: '系统', mod: './pages/orgs.js', roles: ['admin', 'auditor', 'head', 'planner'] },
  { path: 'users', label: '用户管理', group: '系统', mod: './pages/users.js', roles: ['admin'] },
  { path: 'password', label: '修改密码', mod: './pages/password.js', hidden: true },
];

const state = { me: null };
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const userBox = document.getElementById('user');

function allowed(r) {
  return !r.roles || (state.me && r.roles.includes(state.me.role));
}

function renderNav(current) {
  if (!state.me) {
    mount(nav, h('a', { href: '/public/' }, '公开平台'));
    return;
  }
  const items = [];
  let group = null;
  for (const r of ROUTES) {
    if (!allowed(r) || r.hidden) continue;
    if (r.group !== group) {
      group = r.group;
      items.push(h('div', { class: 'group' }, group));
    }
    items.push(h('a', { href: `#/${r.path}`, class: r.path === current ? 'active' : null, 'aria-current': r.path === current ? 'page' : null }, r.label));
  }
  items.push(h('div', { class: 'group' }, '公开'));
  items.push(h('a', { href: '/public/', target: '_blank', rel: 'noopener' }, '公开平台'));
  mount(nav, items);
}

// The connection and the records waiting in this browser, in words (beside the user's name).
function netStatus() {
  const n = state.me ? queued().length : 0;
  const off = navigator.onLine === false;
  if (!off && !n) return null;
  return h('span', { class: `net-status${off ? ' offline' : ''}`, id: 'net-status', role: 'status' },
    off ? '离线' : '', off && n ? '，' : '', n ? `${n} 条记录待发送` : '');
}

function renderUser() {
  setDraftUser(state.me ? state.me.username : null);
  if (!state.me) {
    mount(userBox);
    return;
  }
  mount(userBox, netStatus(),
    h('span', { class: 'name' }, h('span', { class: 'username' }, state.me.username), `（${ROLES[state.me.role] || state.me.role}）`),
    h('a', { href: '#/password', id: 'change-password' }, '修改密码'),
    h('button', { type: 'button', id: 'logout', onclick: logout }, '退出'));
}

async function logout() {
  setClosing(true);
  await settled();
  try {
    await api('POST', '/api/logout', {}, { closing: true });
  } catch (e) {
    /* session may already be gone */
  }
  state.me = null;
  setCsrf(null);
  // the offline copies of this user's data leave with the user (drafts and queued records stay:
  // they are the user's unsaved work, shown again at the next login)
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage('clear-data');
  location.hash = '#/login';
  route();
  setClosing(false);
}

// Sends the records queued offline; when something was sent or found in conflict, the page is
// drawn again (the record page shows the outcome).
async function sendQueued() {
  if (!state.me) return;
  const r = await flush().catch(() => null);
  renderUser();
  if (r && (r.sent || r.conflicts || r.failed) && /^#\/results\//.test(location.hash)) route();
}

async function loadMe() {
  try {
    const me = await api('GET', '/api/me', undefined, { on401: false });
    state.me = me;
    setCsrf(me.csrf);
  } catch (e) {
    state.me = null;
    if (e.status !== 401) throw e;
  }
}

export async function onLogin(reply) {
  setCsrf(reply.csrf);
  // id and cert_no (an inspector's link to the directory) come from /api/me; pages need them, so
  // no page is shown as logged in before it has answered.
  await loadMe().catch(() => {});
  if (!state.me) state.me = { username: reply.username, role: reply.role, csrf: reply.csrf };
  setCsrf(state.me.csrf || reply.csrf);
  // Back to the page the user was trying to open (#/login?next=…), else the dashboard; an initial
  // password set by an administrator is changed first (the server refuses everything else).
  const next = safeNext(parseHash(location.hash).query.next);
  const target = state.me.must_change_password ? `#/password${next ? `?next=${encodeURIComponent(next)}` : ''}` : `#/${next || 'dashboard'}`;
  if (location.hash === target) route();
  else location.hash = target;
  setTimeout(sendQueued, 300);
}

// A hash route to return to after login: an in-app path (never the login page itself), or null.
function safeNext(next) {
  if (!next || typeof next !== 'string') return null;
  const p = next.replace(/^#?\/?/, '');
  const first = p.split(/[/?]/)[0];
  if (first === 'login' || !ROUTES.some((r) => r.path === first)) return null;
  return p;
}

// The login page's hash, remembering the route asked for (raw: the hash without "#/").
function loginHash(raw) {
  const next = safeNext(raw);
  return next && next !== 'dashboard' ? `#/login?next=${encodeURIComponent(next)}` : '#/login';
}

let routeSeq = 0;
async function route() {
  const seq = ++routeSeq;
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(q || ''));
  nav.classList.remove('open');
  document.getElementById('nav-toggle').setAttribute('aria-expanded', 'false');

  if (!state.me && parts[0] !== 'login') {
    location.replace(loginHash(raw));
    return route();
  }
  renderUser();
  if (state.me && state.me.must_change_password && parts[0] !== 'password' && parts[0] !== 'login') {
    location.replace(`#/password?next=${encodeURIComponent(raw)}`);
    return route();
  }
  if (parts[0] === 'login') {
    if (state.me) {
      location.replace(`#/${safeNext(query.next) || 'dashboard'}`);
      return route();
    }
    renderNav('login');
    const m = await import('./pages/login.js');
    mount(main, m.render({ onLogin }));
    document.title = '登录 - 抽查系统';
    return;
  }
  const r = ROUTES.find((x) => x.path === (parts[0] || 'dashboard'));
  renderNav(r ? r.path : '');
  if (!r) {
    mount(main, msg('error', `没有这个页面：${raw}`));
    return;
  }
  if (!allowed(r)) {
    mount(main, msg('error', '当前账户的角色无权使用此页面'));
    return;
  }
  document.title = `${r.label} - 抽查系统`;
  mount(main, h('p', { class: 'loading' }, '加载中…'));
  try {
    const m = await import(r.mod);
    if (seq !== routeSeq) return; // a newer navigation won
    // The session may have ended while the module loaded (a 401 elsewhere): no page without a user.
    if (!state.me) {
      location.replace(loginHash(raw));
      return route();
    }
    // A page's delayed refresh (after an action) is dropped once the user has moved on.
    const here = location.hash;
    const ctx = {
      me: state.me, parts, query, rerender: () => (location.hash === here && state.me ? route() : undefined),
      // the password page: the change is done, go on to where the user was going
      passwordChanged: () => { state.me.must_change_password = false; location.hash = `#/${safeNext(query.next) || 'dashboard'}`; },
    };
    const node = await m.render(ctx);
    if (seq !== routeSeq) return; // a newer navigation won
    mount(main, node);
    main.focus({ preventScroll: true });
  } catch (e) {
    if (seq !== routeSeq) return;
    mount(main, msg('error', `页面加载失败：${errorText(e)}`));
  }
}

window.addEventListener('spot:unauthorized', () => {
  if (!state.me) return;
  state.me = null;
  setCsrf(null);
  mount(main, msg('warn', '登录已过期，请重新登录'));
  const raw = location.hash.replace(/^#\/?/, '');
  setTimeout(() => { if (!state.me) location.hash = loginHash(raw); }, 800);
});

document.getElementById('nav-toggle').addEventListener('click', (ev) => {
  const open = nav.classList.toggle('open');
  ev.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', route);
window.addEventListener('online', sendQueued);
window.addEventListener('offline', renderUser);
window.addEventListener('spot:outbox', renderUser);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => { /* no offline copy */ });

(async () => {
  try {
    // the rules' policy data (industries, result categories, …) before any page module loads
    await Promise.all([loadMe(), loadMeta()]);
  } catch (e) {
    mount(main, msg('error', `无法连接服务器：${errorText(e)}`));
    return;
  }
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.replace(state.me ? '#/dashboard' : '#/login');
  route();
  if (state.me) sendQueued();
})();
