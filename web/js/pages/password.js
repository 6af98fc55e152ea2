// 修改密码: the owner changes their own password (POST /api/me/password). Shown first, and alone,
// after a login with an initial password an administrator set (must_change_password): the server
// answers nothing else for that session until the change is done.
import { api, h, form, msg } from '../ui.js';

export function render(ctx) {
  const forced = !!ctx.me.must_change_password;
  const f = form([
    { name: 'current', label: forced ? '当前密码（管理员告知的初始密码）' : '当前密码', type: 'password', required: true, autocomplete: 'current-password' },
    { name: 'new', label: '新密码（至少 12 位，不能与用户名相同）', type: 'password', required: true, autocomplete: 'new-password' },
    { name: 'confirm', label: '再次输入新密码', type: 'password', required: true, autocomplete: 'new-password' },
  ], async (v) => {
    if (v.new !== v.confirm) throw Object.assign(new Error('两次输入的新密码不一致'), { body: { field: 'confirm' } });
    try {
      await api('POST', '/api/me/password', { current: v.current, new: v.new });
    } catch (e) {
      if (e.body && e.body.error === 'wrong_password') e.body.field = 'current';
      else if (e.body && e.body.error === 'invalid') e.body.field = 'new';
      throw e;
    }
    for (const k of ['current', 'new', 'confirm']) f.inputs[k].value = '';
    setTimeout(() => ctx.passwordChanged(), 900);
    return '密码已修改。您在其他设备上的登录已失效。';
  }, { submitLabel: '修改密码', idPrefix: 'pw' });
  f.el.id = 'password-form';
  return h('div', null,
    h('h1', null, '修改密码'),
    forced ? msg('warn', '管理员为您设置了初始密码。为保障账户安全，请先修改密码，然后才能使用系统。') : null,
    h('div', { class: 'card narrow' }, f.el));
}
