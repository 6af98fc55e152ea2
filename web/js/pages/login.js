// Login page.
import { api, h, form } from '../ui.js';

export function render({ onLogin }) {
  const f = form([
    { name: 'username', label: '用户名', required: true, autocomplete: 'username' },
    { name: 'password', label: '密码', type: 'password', required: true, autocomplete: 'current-password' },
  ], async (v) => {
    const reply = await api('POST', '/api/login', v, { on401: false });
    await onLogin(reply);
  }, { submitLabel: '登录', idPrefix: 'login' });
  return h('div', { class: 'login-box card' },
    h('h1', null, '登录'),
    f.el,
    h('p', { class: 'notice' }, '公众可直接访问 ', h('a', { href: '/public/' }, '公开平台'), ' 查看抽查事项、计划、抽取公告和检查结果。'));
}
