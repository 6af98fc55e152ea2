// Rule management: list of rule files with versions; editor (CodeMirror 5, Lua mode, line numbers)
// with diff against the active version, save (compile + rule tests, errors marked at their line),
// dry run, activation and rollback (activating an older version).
import { api, h, mount, msg, errorText, table, section, kv, fmtTime, actionButton, loadScript } from '../ui.js';
import { diffLines, hunks } from '../diff.js';
import { RULE_TITLES } from '../labels.js';

export async function render(ctx) {
  const name = ctx.parts[1];
  if (name) return editorPage(ctx, name);
  const reply = await api('GET', '/api/rules');
  const rules = reply.rules || [];
  return h('div', null,
    h('h1', null, '规则管理'),
    h('p', { class: 'notice' }, '每个规则文件对应一项政策（抽样比例、排除条件、检查组组成、期限等）。新版本必须编译通过并通过规则测试后才能启用；启用与回滚都会留痕，并在所有工作线程中立即生效。'),
    section(null, table([
      { key: 'name', label: '规则', render: (r) => h('a', { href: `#/rules/${encodeURIComponent(r.name)}` }, RULE_TITLES[r.name] || '', ' ', h('code', null, `${r.name}.lua`)) },
      { key: 'active_version', label: '启用版本' },
      { key: 'latest_version', label: '最新版本', render: (r) => r.latest_version > r.active_version ? h('span', null, String(r.latest_version), ' ', h('span', { class: 'badge yellow' }, '有未启用的新版本')) : String(r.latest_version) },
      { key: 'sha256', label: 'SHA-256', render: (r) => h('code', { title: r.sha256 }, (r.sha256 || '').slice(0, 12)) },
      { key: 'author', label: '作者', render: (r) => (r.author === 'system' ? '系统（随软件安装）' : h('span', { class: 'username' }, r.author)) },
      { key: 'created_at', label: '时间', render: (r) => fmtTime(r.created_at) },
    ], rules, { onRow: (r) => { location.hash = `#/rules/${encodeURIComponent(r.name)}`; } })));
}

// ---- CodeMirror loading (classic scripts from Debian's libjs-codemirror) ----

let cmLoading = null;
export function loadCodeMirror() {
  if (window.CodeMirror && window.CodeMirror.modes && window.CodeMirror.modes.lua) return Promise.resolve(window.CodeMirror);
  if (!cmLoading) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/vendor/codemirror/lib/codemirror.css';
    document.head.appendChild(link);
    cmLoading = loadScript('/vendor/codemirror/lib/codemirror.js')
      .then(() => loadScript('/vendor/codemirror/mode/lua/lua.js'))
      .then(() => window.CodeMirror)
      .catch((e) => { cmLoading = null; throw e; });
  }
  return cmLoading;
}

// A minimal editor facade: CodeMirror when available, else a textarea (same methods).
function makeEditor(parent, text, CM) {
  if (CM) {
    const cm = CM(parent, {
      value: text, mode: 'lua', lineNumbers: true, indentUnit: 2, tabSize: 2, indentWithTabs: false,
      gutters: ['CodeMirror-linenumbers', 'errors'], lineWrapping: false, viewportMargin: 50,
      extraKeys: { Tab: (c) => c.replaceSelection('  ') },
    });
    // accessible names for the editor's own input and scroll area
    cm.getInputField().setAttribute('aria-label', '规则源代码');
    cm.getScrollerElement().setAttribute('tabindex', '0');
    cm.getScrollerElement().setAttribute('aria-label', '规则源代码（可滚动）');
    let marked = [];
    return {
      cm,
      get: () => cm.getValue(),
      set: (t) => cm.setValue(t),
      refresh: () => cm.refresh(),
      markLine(line, text) {
        if (!line || line < 1 || line > cm.lineCount()) return;
        const handle = cm.addLineClass(line - 1, 'background', 'line-error');
        cm.setGutterMarker(line - 1, 'errors', h('span', { class: 'gutter-error', title: text }, '●'));
        marked.push(handle);
        cm.scrollIntoView({ line: line - 1, ch: 0 }, 80);
        cm.setCursor({ line: line - 1, ch: 0 });
      },
      clearMarks() {
        for (const hd of marked) {
          cm.removeLineClass(hd, 'background', 'line-error');
          cm.setGutterMarker(hd, 'errors', null);
        }
        marked = [];
      },
      errorLines: () => marked.map((hd) => cm.getLineNumber(hd) + 1),
      goto(line) { cm.focus(); cm.setCursor({ line: line - 1, ch: 0 }); cm.scrollIntoView({ line: line - 1, ch: 0 }, 80); },
    };
  }
  const ta = h('textarea', { class: 'mono', rows: 24, spellcheck: 'false' });
  ta.value = text;
  parent.appendChild(ta);
  let lines = [];
  return {
    get: () => ta.value, set: (t) => { ta.value = t; }, refresh() {},
    markLine(line) { lines.push(line); },
    clearMarks() { lines = []; }, errorLines: () => lines.slice(), goto() { ta.focus(); },
  };
}

async function editorPage(ctx, name) {
  const vq = ctx.query.version;
  const [active, shown] = await Promise.all([
    api('GET', `/api/rules/${encodeURIComponent(name)}`),
    vq ? api('GET', `/api/rules/${encodeURIComponent(name)}?version=${encodeURIComponent(vq)}`) : null,
  ]);
  const cur = shown || active;
  let CM = null, cmError = null;
  try {
    CM = await loadCodeMirror();
  } catch (e) {
    cmError = e;
  }

  const edHost = h('div', { class: 'editor-wrap', id: 'rule-editor' });
  const errorsBox = h('div', { id: 'rule-errors', 'aria-live': 'polite' });
  const outBox = h('div', { id: 'rule-output' });
  const page = h('div', null,
    h('h1', null, `规则：${RULE_TITLES[name] || ''} `, h('code', null, `${name}.lua`)),
    h('p', null, h('a', { href: '#/rules' }, '← 返回规则列表')),
    cmError ? msg('warn', `代码编辑器未能加载（${errorText(cmError)}），改用纯文本框。`) : null,
    section(`正在编辑：基于版本 ${cur.version}${cur.active ? '（启用中）' : ''}`,
      h('div', { class: 'toolbar' },
        actionButton('保存为新版本', save, { class: 'primary', id: 'rule-save' }),
        actionButton('与启用版本比较', async () => showDiff(), { id: 'rule-diff' }),
        actionButton('试运行（对比当前数据）', async () => dryRun({ source: ed.get() }), { id: 'rule-dryrun' }),
        actionButton('恢复为版本内容', async () => { ed.set(cur.source); ed.clearMarks(); mount(errorsBox); })),
      h('div', { class: 'field' }, h('label', { for: 'rule-comment' }, '修改说明（可选）'), h('input', { id: 'rule-comment', type: 'text', placeholder: '例如：依据新发布的通知调整一般行业抽查比例' })),
      edHost, errorsBox),
    outBox,
    section('版本', versionsTable()));

  const ed = makeEditor(edHost, cur.source || '', CM);
  setTimeout(() => ed.refresh(), 0);

  function versionsTable() {
    const vs = (active.versions || []).slice().reverse();
    return table([
      { key: 'version', label: '版本', render: (v) => h('span', null, String(v.version), v.active ? h('span', { class: 'badge ok' }, ' 启用中') : null) },
      { key: 'sha256', label: 'SHA-256', render: (v) => h('code', { title: v.sha256 }, (v.sha256 || '').slice(0, 12)) },
      { key: 'author', label: '作者', render: (r) => (r.author === 'system' ? '系统（随软件安装）' : h('span', { class: 'username' }, r.author)) },
      { key: 'created_at', label: '时间', render: (v) => fmtTime(v.created_at) },
      {
        key: 'ops', label: '操作', render: (v) => h('span', { class: 'action' },
          h('a', { class: 'button', href: `#/rules/${encodeURIComponent(name)}?version=${v.version}` }, '打开'),
          v.active ? null : actionButton(v.version < active.version ? '回滚到此版本' : '启用', () => activate(v.version), {
            class: v.version < active.version ? 'danger' : 'primary', dataset: { version: v.version }, id: `rule-activate-${v.version}`,
            confirm: v.version < active.version ? `回滚后，所有工作线程立即改用 ${name}.lua 的版本 ${v.version}，此后的抽取、期限和判定都按该版本执行（可再启用其他版本）。`
              : `启用后，所有工作线程立即改用 ${name}.lua 的版本 ${v.version}，此后的抽取、期限和判定都按该版本执行（可再回滚）。`,
          }),
          actionButton('试运行', () => dryRun({ version: v.version }))),
      },
    ], vs);
  }

  async function activate(version) {
    const older = version < active.version;
    const r = await api('POST', `/api/rules/${encodeURIComponent(name)}/activate`, { version });
    setTimeout(() => ctx.rerender(), 1200);
    return `已${older ? '回滚' : '启用'}：版本 ${r.version}（此前为 ${r.previous}）${r.tests ? `，规则测试通过 ${r.tests.passed} 项` : ''}`;
  }

  async function save() {
    ed.clearMarks();
    mount(errorsBox);
    const body = { source: ed.get() };
    const comment = document.getElementById('rule-comment').value.trim();
    if (comment) body.comment = comment;
    try {
      const r = await api('PUT', `/api/rules/${encodeURIComponent(name)}`, body);
      mount(errorsBox, msg('ok', `已保存为版本 ${r.version}（尚未启用）。规则测试：通过 ${r.tests ? r.tests.passed : '?'} 项，未通过 ${r.tests ? r.tests.failed : '?'} 项。在下方版本列表中启用。`));
      setTimeout(() => { location.hash = `#/rules/${encodeURIComponent(name)}?version=${r.version}`; }, 1500);
      return null;
    } catch (e) {
      showRuleError(e);
      return null;
    }
  }

  function showRuleError(e) {
    const b = (e && e.body) || {};
    const items = [];
    const title = b.error === 'rule_tests_failed' ? '规则测试未通过' : b.error === 'rule_invalid' ? '规则无法编译或加载' : '保存失败';
    if (b.line && (!b.rule || b.rule === name)) {
      ed.markLine(b.line, b.message);
      items.push(h('li', { class: 'err-line', dataset: { line: b.line }, onclick: () => ed.goto(b.line) }, `第 ${b.line} 行：${b.message}`));
    } else {
      items.push(h('li', null, b.message || errorText(e)));
    }
    for (const f of b.failures || []) {
      const m = String(f.error || f.message || JSON.stringify(f));
      const lm = m.match(new RegExp(`rules/${name}\\.lua:(\\d+):`));
      const line = lm ? Number(lm[1]) : null;
      if (line && line !== b.line) ed.markLine(line, m);
      items.push(h('li', { onclick: line ? () => ed.goto(line) : null },
        `${f.file ? `测试 ${f.file}` : '测试'}${f.test || f.name ? ` · ${f.test || f.name}` : ''}${f.line ? `（第 ${f.line} 行）` : ''}：${m}`));
    }
    mount(errorsBox, h('div', { class: 'msg msg-error', role: 'alert' }, h('strong', null, title), h('ul', { class: 'rule-errors' }, items)));
  }

  function showDiff() {
    const d = diffLines(active.source || '', ed.get());
    const hs = hunks(d);
    if (hs.length === 0) {
      mount(outBox, section('与启用版本的差异', msg('info', `与启用版本（${active.version}）相同`)));
      return null;
    }
    let adds = 0, dels = 0;
    d.forEach((x) => { if (x.op === '+') adds++; if (x.op === '-') dels++; });
    const lines = [];
    for (const hk of hs) {
      const first = hk[0];
      lines.push(h('div', { class: 'hunk' }, `@@ 启用版本第 ${first.a ?? '-'} 行 / 编辑中第 ${first.b ?? '-'} 行 @@`));
      for (const x of hk) {
        lines.push(h('div', { class: x.op === '+' ? 'add' : x.op === '-' ? 'del' : '' },
          h('span', { class: 'ln' }, x.a ?? ''), h('span', { class: 'ln' }, x.b ?? ''), `${x.op} ${x.text}`));
      }
    }
    mount(outBox, section(`与启用版本（${active.version}）的差异：+${adds} −${dels} 行`, h('div', { class: 'diff', id: 'rule-diff-view' }, lines)));
    return null;
  }

  async function dryRun(body) {
    ed.clearMarks();
    mount(errorsBox);
    try {
      const r = await api('POST', `/api/rules/${encodeURIComponent(name)}/dry-run`, body);
      mount(outBox, section(`试运行报告${body.version ? `（版本 ${body.version}）` : '（编辑中的内容）'}`, dryRunReport(r)));
    } catch (e) {
      if (e.body && (e.body.error === 'rule_invalid' || e.body.line)) showRuleError(e);
      else throw e;
    }
    return null;
  }

  return page;
}

// The dry-run report: shown generically (lists as tables, counts as key/values).
function dryRunReport(r) {
  const parts = [];
  const scalars = {};
  for (const [k, v] of Object.entries(r || {})) {
    if (Array.isArray(v)) {
      parts.push(h('h3', null, `${DRY_LABELS[k] || k}（${v.length}）`));
      if (v.length && typeof v[0] === 'object') {
        const cols = Array.from(new Set(v.flatMap((x) => Object.keys(x)))).map((c) => ({ key: c, label: DRY_LABELS[c] || c }));
        parts.push(table(cols, v.slice(0, 500)));
        if (v.length > 500) parts.push(h('p', { class: 'notice' }, `仅显示前 500 条，共 ${v.length} 条`));
      } else {
        parts.push(h('p', null, v.length ? v.join('、') : '无变化'));
      }
    } else if (v && typeof v === 'object') {
      parts.push(h('h3', null, DRY_LABELS[k] || k), kv(v, DRY_LABELS));
    } else {
      scalars[k] = v;
    }
  }
  return h('div', { id: 'dry-run-report' }, kv(scalars, DRY_LABELS), parts);
}

const DRY_LABELS = {
  rule: '规则', changes: '变化', eligibility: '排除条件变化', strata: '分层变化', deadlines: '期限变化', units: '单位',
  uscc: '统一社会信用代码', name: '名称', before: '当前', after: '新版本', reason: '理由', clause: '条款', changed: '有变化的数量',
  checked: '检查数量', summary: '概要', stratum: '分层', size: '数量', draw: '抽取数',
};
