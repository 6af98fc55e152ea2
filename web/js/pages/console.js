// Lua console (admin): runs code in the server's sandbox (POST /api/console); history with ↑/↓.
import { api, h, msg, errorText } from '../ui.js';

const HISTORY_KEY = 'spotcheck.console.history';

export function render() {
  const out = h('div', { class: 'console-out', id: 'console-out', 'aria-live': 'polite' },
    h('div', { class: 'res' }, '-- Lua 控制台：代码在与规则相同的沙箱中运行（无 io、os.execute），有指令和内存上限。\n-- Ctrl+Enter 执行，↑/↓ 浏览历史（光标在首行/末行时）。'));
  const input = h('textarea', { id: 'console-input', rows: 4, spellcheck: 'false', placeholder: 'return 1 + 1', 'aria-label': 'Lua 代码' });
  let history = [];
  try {
    history = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || '[]');
  } catch (e) {
    history = [];
  }
  let pos = history.length;
  let draft = '';

  function print(cls, text) {
    out.appendChild(h('div', { class: cls }, text));
    out.scrollTop = out.scrollHeight;
  }

  async function run() {
    const code = input.value;
    if (!code.trim()) return;
    if (history[history.length - 1] !== code) history.push(code);
    if (history.length > 200) history = history.slice(-200);
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    pos = history.length;
    draft = '';
    print('in', code.split('\n').map((l, i) => (i ? '>> ' : '> ') + l).join('\n'));
    input.value = '';
    runBtn.disabled = true;
    try {
      const r = await api('POST', '/api/console', { code });
      if (r.output) print('', r.output.replace(/\n$/, ''));
      if (r.ok === false) print('err', `错误：${r.error || r.message || r.result || '执行失败'}`);
      else if (r.result !== undefined && r.result !== null && r.result !== '') print('res', `= ${typeof r.result === 'string' ? r.result : JSON.stringify(r.result)}`);
    } catch (e) {
      print('err', `错误：${errorText(e)}`);
      if (!input.value) input.value = code; // keep the input on a server error
    } finally {
      runBtn.disabled = false;
      input.focus();
    }
  }

  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      run();
      return;
    }
    const before = input.value.slice(0, input.selectionStart);
    const after = input.value.slice(input.selectionEnd);
    if (ev.key === 'ArrowUp' && !before.includes('\n') && pos > 0) {
      ev.preventDefault();
      if (pos === history.length) draft = input.value;
      pos -= 1;
      input.value = history[pos];
      input.setSelectionRange(0, 0);
    } else if (ev.key === 'ArrowDown' && !after.includes('\n') && pos < history.length) {
      ev.preventDefault();
      pos += 1;
      input.value = pos === history.length ? draft : history[pos];
      input.setSelectionRange(input.value.length, input.value.length);
    }
  });
  const runBtn = h('button', { type: 'button', class: 'primary', id: 'console-run', onclick: run }, '执行');
  return h('div', null,
    h('h1', null, 'Lua 控制台'),
    msg('warn', '仅限系统管理员。控制台的每次执行都会记入操作留痕。'),
    out,
    h('div', { class: 'console-in' }, input, h('div', null, runBtn, h('br'), h('button', { type: 'button', onclick: () => { out.textContent = ''; } }, '清屏'))));
}
