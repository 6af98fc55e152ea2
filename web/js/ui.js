// ui.js: small DOM and API helpers shared by every page (staff app and public portal).
// No inline handlers anywhere (CSP script-src 'self'): events are attached with addEventListener.
import { loadDraft, saveDraft, clearDraft, controlValues, restoreControls } from './drafts.js';

// ---- API ----

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `请求失败（HTTP ${status}）`);
    this.status = status;
    this.code = body && body.error;
    this.body = body || {};
  }
}

let csrfToken = null;
export function setCsrf(t) {
  csrfToken = t || null;
}

// api('GET', '/api/me'); api('POST', path, obj); api('POST', path, text, {contentType:'text/csv'})
// Requests sent and not yet answered: signing out waits for them (settled), so a page's own requests
// are answered under the session they were sent in, not refused after it ends.
const inflight = new Set();
let closing = false;   // signing out: the page's further requests are not sent

// Begins (true) or ends (false) signing out; while it lasts api() sends only requests with opts.closing.
export function setClosing(on) { closing = on; }

// Resolves when every request sent so far is answered or failed, or after ms milliseconds.
export function settled(ms = 5000) {
  return Promise.race([Promise.allSettled([...inflight]), new Promise((res) => setTimeout(res, ms))]);
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let data;
  if (body !== undefined && body !== null) {
    if (opts.contentType) {
      headers['Content-Type'] = opts.contentType;
      data = body;
    } else {
      headers['Content-Type'] = 'application/json';
      data = JSON.stringify(body);
    }
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (closing && !opts.closing) throw new ApiError(0, { error: 'signed_out', message: '已退出登录' });
  let resp;
  const sent = fetch(path, { method, headers, body: data, credentials: 'same-origin' });
  inflight.add(sent);
  try {
    resp = await sent;
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: '无法连接服务器，请检查网络后重试' });
  } finally {
    inflight.delete(sent);
  }
  const ct = resp.headers.get('Content-Type') || '';
  let payload = null;
  if (opts.blob && resp.ok) {
    payload = await resp.blob();   // a file to save (opts.blob): the caller offers it for download
  } else if (ct.startsWith('application/json')) {
    try {
      payload = await resp.json();
    } catch (e) {
      payload = null;
    }
  } else {
    payload = await resp.text();
  }
  if (!resp.ok) {
    if (resp.status === 401 && opts.on401 !== false && typeof window !== 'undefined') {
      window.dispatchEvent(new CustomEvent('spot:unauthorized'));
    }
    throw new ApiError(resp.status, typeof payload === 'object' ? payload : { error: 'http', message: `请求失败（HTTP ${resp.status}）${payload ? '：' + String(payload).slice(0, 200) : ''}` });
  }
  return payload;
}

// Lists come back in several shapes while the API is being built: accept all of them.
export function listOf(reply, ...keys) {
  if (Array.isArray(reply)) return reply;
  if (!reply || typeof reply !== 'object') return [];
  for (const k of [...keys, 'items', 'records', 'rows', 'data', 'results']) {
    if (Array.isArray(reply[k])) return reply[k];
  }
  return [];
}

// ---- DOM ----

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'class') el.className = v;
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// A message box: kind = 'error' | 'ok' | 'info' | 'warn'.
export function msg(kind, text) {
  return h('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// The message a user reads: the server's Chinese message alone (the error code stays on the
// ApiError for code that branches on it, never appended to what a user sees).
export function errorText(e) {
  if (e instanceof ApiError) return e.message;
  return String(e && e.message ? e.message : e);
}

// An async block: shows "加载中…", then the result of render(), or the error.
export function loading(fn) {
  const box = h('div', { class: 'loading' }, '加载中…');
  Promise.resolve()
    .then(fn)
    .then((node) => {
      box.className = '';
      mount(box, node);
    })
    .catch((e) => {
      box.className = '';
      mount(box, msg('error', errorText(e)));
    });
  return box;
}

// An inline confirmation (no browser dialog): what will happen, in words, with 确认 and 取消.
// id names its parts: #{id}-confirm (the box), #{id}-yes, #{id}-no.
export function confirmBox(id, text, yes, no, yesLabel = '确认') {
  return h('div', { class: 'confirm', id: `${id}-confirm`, role: 'group', 'aria-label': '请确认' },
    h('p', { class: 'confirm-text' }, text),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'primary', id: `${id}-yes`, onclick: yes }, yesLabel),
      h('button', { type: 'button', id: `${id}-no`, onclick: no }, '取消')));
}

// Runs fn(); if it takes longer than a second, out shows a progress bar with `text` and the seconds
// spent, until it ends. Resolves or rejects as fn does.
export function withProgress(out, text, fn) {
  const t0 = Date.now();
  let bar = null;
  const timer = setInterval(() => {
    const sec = Math.floor((Date.now() - t0) / 1000);
    if (sec < 1) return;
    if (!bar) { bar = h('div', { class: 'progress', role: 'status' }, h('progress', { 'aria-label': text }), h('span')); mount(out, bar); }
    bar.lastChild.textContent = ` ${text}（已用 ${sec} 秒）`;
  }, 250);
  return Promise.resolve().then(fn).finally(() => {
    clearInterval(timer);
    if (bar && bar.parentNode === out) mount(out);
  });
}

// Button that runs an async action, disables itself meanwhile and reports errors next to itself.
// attrs.confirm (text, or a function returning it): the action is irreversible or public; the
// first click shows the text with 确认 / 取消 (confirmBox, id from attrs.id) and only 确认 runs it.
// attrs.progress: what the progress bar says while the action runs longer than a second.
export function actionButton(label, fn, attrs = {}) {
  const { confirm, progress, ...rest } = attrs;
  const out = h('span', { class: 'action-msg' });
  const ask = h('div', { class: 'confirm-host' });
  const run = async () => {
    mount(ask);
    b.disabled = true;
    mount(out);
    try {
      const r = await withProgress(out, progress || `正在${label}，请稍候…`, fn);
      if (typeof r === 'string') mount(out, msg('ok', r));
    } catch (e) {
      mount(out, msg('error', errorText(e)));
    } finally {
      b.disabled = false;
    }
  };
  const b = h('button', {
    type: 'button',
    ...rest,
    onclick: () => {
      if (!confirm) return run();
      const text = typeof confirm === 'function' ? confirm() : confirm;
      mount(ask, confirmBox(rest.id || 'action', text, run, () => { mount(ask); b.focus(); }, `确认${label}`));
      const yes = ask.querySelector('button.primary');
      if (yes) yes.focus();
      return null;
    },
  }, label);
  return h('span', { class: 'action' }, b, ask, out);
}

// Button that opens an inline form asking for a reason before it runs fn(reason) — instead of
// window.prompt: the reason is typed where the user looks, may be long, an empty one is refused
// on the spot, and the server's refusal stays next to the text typed. fn's string is shown.
export function reasonAction(label, fieldLabel, fn, attrs = {}) {
  const prefix = attrs.id || 'reason';
  const box = h('div', { class: 'reason-form', id: `${prefix}-form` });
  box.hidden = true;
  const cancel = h('button', { type: 'button', onclick: () => { box.hidden = true; } }, '取消');
  const f = form([{ name: 'reason', label: fieldLabel, type: 'textarea', required: true, wide: true }],
    async (v) => {
      const r = await fn(v.reason.trim());
      if (typeof r === 'string') { open.disabled = true; cancel.hidden = true; }
      return r;
    }, { idPrefix: prefix, submitLabel: `确认${label}`, extraButtons: cancel });
  mount(box, f.el);
  const open = h('button', { type: 'button', ...attrs, onclick: () => { box.hidden = !box.hidden; if (!box.hidden) f.inputs.reason.focus(); } }, label);
  return h('span', { class: 'action' }, open, box);
}

// ---- forms ----

// fields: [{name, label, type: text|number|date|select|textarea|checkbox|password|list,
//           options: [[value,label],…], required, placeholder, help, value}]
// Returns {el, values(), setValues(obj), showError(err), clearErrors(), fieldEl(name)}.
// onSubmit(values) may throw an ApiError; its message is shown next to the field it names (or
// at the form), and every input is kept.
// opts.confirm(values) -> text or null: an irreversible or public step; the text (what will happen)
// is shown with 确认 / 取消 (confirmBox, id f-{idPrefix}) before onSubmit runs. opts.progress: what
// the progress bar says while onSubmit takes longer than a second.
// opts.draft: a key naming the form (e.g. 'task-new'): what is typed is kept in this browser as
// it is typed (drafts.js), put back when the same user opens the form again (after a lost session
// too) with a notice and a button to drop it, and removed when onSubmit succeeds. A caller that
// fills the form itself (setValues) after a draft was restored should leave the draft alone.
export function form(fields, onSubmit, opts = {}) {
  const inputs = {};
  const errs = {};
  const formMsg = h('div', { class: 'form-msg' });
  const rows = fields.map((f) => {
    const id = `f-${opts.idPrefix || 'x'}-${f.name}`;
    let input;
    if (f.type === 'checks') {
      // a touch-friendly multiple choice: one checkbox per option, none chosen unless f.value says
      input = h('div', { class: 'checks', id, role: 'group', 'aria-labelledby': `${id}-label` },
        (f.options || []).map(([v, l]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: f.name, value: v }), h('span', null, l))));
    } else if (f.type === 'select') {
      input = h('select', { id, name: f.name, required: f.required },
        (f.options || []).map(([v, l]) => h('option', { value: v }, l)));
    } else if (f.type === 'textarea' || f.type === 'list') {
      input = h('textarea', { id, name: f.name, rows: f.rows || 3, placeholder: f.placeholder, required: f.required });
    } else if (f.type === 'checkbox') {
      input = h('input', { id, name: f.name, type: 'checkbox' });
    } else {
      input = h('input', { id, name: f.name, type: f.type || 'text', placeholder: f.placeholder, required: f.required, autocomplete: f.autocomplete, step: f.step });
    }
    inputs[f.name] = input;
    errs[f.name] = h('div', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' });
    if (f.value !== undefined) setInput(f, input, f.value);
    return h('div', { class: `field field-${f.type || 'text'}${f.wide ? ' wide' : ''}` },
      h(f.type === 'checks' ? 'span' : 'label', f.type === 'checks' ? { id: `${id}-label`, class: 'label' } : { for: id }, f.label, f.required ? h('span', { class: 'req' }, ' *') : null),
      input, f.help ? h('div', { class: 'help' }, f.help) : null, errs[f.name]);
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, opts.submitLabel || '保存');
  const el = h('form', { class: `form ${opts.class || ''}`, novalidate: true },
    h('div', { class: 'fields' }, rows), h('div', { class: 'form-actions' }, submit, opts.extraButtons || null), formMsg);

  function setInput(f, input, v) {
    if (f.type === 'checks') {
      const want = new Set([].concat(v ?? []).map(String));
      for (const c of input.querySelectorAll('input[type=checkbox]')) c.checked = want.has(c.value);
    } else if (f.type === 'checkbox') input.checked = !!v && v !== '0' && v !== 'false';
    else if (f.type === 'list') input.value = Array.isArray(v) ? v.join('\n') : (v ?? '');
    else input.value = v ?? '';
  }
  function values() {
    const out = {};
    for (const f of fields) {
      const i = inputs[f.name];
      if (f.type === 'checkbox') out[f.name] = i.checked;
      else if (f.type === 'checks') out[f.name] = Array.from(i.querySelectorAll('input:checked')).map((c) => c.value);
      else if (f.type === 'number') out[f.name] = i.value === '' ? null : Number(i.value);
      else if (f.type === 'list') out[f.name] = i.value.split(/[\n;；,，]/).map((s) => s.trim()).filter(Boolean);
      else out[f.name] = i.value;
    }
    return out;
  }
  function clearErrors() {
    for (const k of Object.keys(errs)) {
      mount(errs[k]);
      inputs[k].removeAttribute('aria-invalid');
    }
    mount(formMsg);
  }
  function showError(e) {
    const text = errorText(e);
    const body = (e && e.body) || {};
    let name = body.field || body.param;
    if (!name) {
      // Match a field name the message mentions (e.g. "uscc 校验位错误", "未知字段：region").
      const m = fields.find((f) => new RegExp(`(^|[^a-z_])${f.name}([^a-z_]|$)`).test(e && e.message ? e.message : ''));
      if (m) name = m.name;
    }
    if (name && errs[name]) {
      mount(errs[name], text);
      inputs[name].setAttribute('aria-invalid', 'true');
      inputs[name].focus();
    }
    mount(formMsg, msg('error', text));
  }
  let draftBox = null;
  if (opts.draft) {
    draftBox = h('div', { class: 'draft-note' });
    el.insertBefore(draftBox, el.firstChild);
    const d = loadDraft(opts.draft);
    if (d && restoreControls(inputs, d) > 0) {
      mount(draftBox, msg('info', `已恢复未保存的草稿（${fmtTime(d._saved)}）。`),
        h('button', { type: 'button', class: 'draft-drop', onclick: () => { clearDraft(opts.draft); el.reset(); for (const f of fields) if (f.value !== undefined) setInput(f, inputs[f.name], f.value); mount(draftBox); } }, '放弃草稿'));
    }
    const keep = () => saveDraft(opts.draft, controlValues(inputs));
    el.addEventListener('input', keep);
    el.addEventListener('change', keep);
  }
  const confirmHost = h('div', { class: 'confirm-host' });
  el.insertBefore(confirmHost, el.querySelector('.form-actions'));
  const run = async (vals) => {
    mount(confirmHost);
    submit.disabled = true;
    try {
      const r = await withProgress(formMsg, opts.progress || '正在提交，请稍候…', () => onSubmit(vals));
      if (opts.draft) { clearDraft(opts.draft); mount(draftBox); }
      if (typeof r === 'string') mount(formMsg, msg('ok', r));
      else if (r instanceof Node) mount(formMsg, r);
    } catch (e) {
      showError(e);
    } finally {
      submit.disabled = false;
    }
  };
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    for (const f of fields) {
      const empty = f.type === 'checks' ? !inputs[f.name].querySelector('input:checked') : f.type !== 'checkbox' && !inputs[f.name].value.trim();
      if (f.required && empty) {
        mount(errs[f.name], f.type === 'checks' ? `请选择${f.label}` : `请填写${f.label}`);
        inputs[f.name].setAttribute('aria-invalid', 'true');
        inputs[f.name].focus();
        return;
      }
    }
    const vals = values();
    // An irreversible or public step: say what will happen and wait for 确认.
    const text = opts.confirm ? opts.confirm(vals) : null;
    if (!text) { await run(vals); return; }
    mount(confirmHost, confirmBox(`f-${opts.idPrefix || 'x'}`, text, () => run(vals), () => { mount(confirmHost); submit.focus(); }, `确认${submit.textContent}`));
    confirmHost.querySelector('button.primary').focus();
  });
  return {
    el,
    values,
    inputs,
    clearErrors,
    showError,
    setValues(obj) {
      for (const f of fields) if (obj && obj[f.name] !== undefined) setInput(f, inputs[f.name], obj[f.name]);
    },
  };
}

// ---- tables ----

// columns: [{key, label, render(row) -> node|string, class}]
export function table(columns, rows, opts = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, opts.empty || '暂无数据');
  return h('div', { class: 'table-wrap' },
    h('table', { class: opts.class || 'grid cards' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.class }, c.label)))),
      h('tbody', null, rows.map((r) => {
        const tr = h('tr', { class: opts.rowClass ? opts.rowClass(r) : null },
          columns.map((c) => h('td', { class: c.class, 'data-label': typeof c.label === 'string' ? c.label : (c.label && c.label.textContent) || '' }, cell(c.render ? c.render(r) : r[c.key]))));
        if (opts.onRow) {
          tr.classList.add('clickable');
          tr.tabIndex = 0;
          tr.addEventListener('click', (ev) => {
            if (ev.target.closest('a,button,input,select,textarea')) return;
            opts.onRow(r);
          });
          tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') opts.onRow(r); });
        }
        return tr;
      }))));
}

function cell(v) {
  if (v === undefined || v === null) return '';
  if (v instanceof Node) return v;
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)).join('、');
  if (typeof v === 'object') return h('code', { class: 'json' }, JSON.stringify(v));
  return String(v);
}

// Key/value view of an object, with optional labels; unknown keys are shown too.
export function kv(obj, labels = {}, opts = {}) {
  if (!obj || typeof obj !== 'object') return h('p', { class: 'empty' }, '无');
  const keys = Object.keys(obj).filter((k) => !(opts.hide || []).includes(k));
  return h('dl', { class: 'kv' }, keys.map((k) => [h('dt', null, labels[k] || k), h('dd', null, cell(opts.render && opts.render[k] ? opts.render[k](obj[k], obj) : obj[k]))]));
}

// A classic script (a Debian libjs-* file under /vendor/), once loaded.
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`无法加载 ${src}`));
    document.head.appendChild(s);
  });
}

export function pager(page, perPage, total, go) {
  const pages = total ? Math.max(1, Math.ceil(total / perPage)) : null;
  return h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '上一页'),
    h('span', null, pages ? ` 第 ${page} / ${pages} 页，共 ${total} 条 ` : ` 第 ${page} 页 `),
    h('button', { type: 'button', disabled: pages ? page >= pages : false, onclick: () => go(page + 1) }, '下一页'));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', null, title) : null, children);
}

export function details(summary, ...children) {
  return h('details', { class: 'card' }, h('summary', null, summary), children);
}

// Today and this year as the server counts them: the bureau's calendar day (China Standard Time,
// UTC+8), whatever the device's own time zone.
export const bureauToday = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
export const bureauYear = () => Number(bureauToday().slice(0, 4));

export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// Query string from an object, skipping empty values.
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj || {})) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

// Hash route parameters: "#/tasks/12?x=1" -> {parts:['tasks','12'], query:{x:'1'}}
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(q || ''));
  return { parts, query };
}

export function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}
