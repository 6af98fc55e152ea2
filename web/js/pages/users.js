// Users (admin): list, create, change role / password / active / linked inspector.
import { api, h, mount, msg, table, section, form, fmtTime, listOf } from '../ui.js';
import { ROLES, options } from '../labels.js';

export async function render(ctx) {
  const users = listOf(await api('GET', '/api/users'), 'users');
  const editBox = h('div', { id: 'user-edit' });
  const create = form([
    { name: 'username', label: '用户名', required: true },
    { name: 'password', label: '初始密码（至少 8 位）', type: 'password', required: true, autocomplete: 'new-password' },
    { name: 'role', label: '角色', type: 'select', options: options(ROLES), required: true },
    { name: 'cert_no', label: '关联执法证号（检查人员）', help: '检查人员账户须关联其执法证号' },
  ], async (v) => {
    if (!v.cert_no) delete v.cert_no;
    const u = await api('POST', '/api/users', v);
    setTimeout(() => ctx.rerender(), 800);
    return `已创建用户 ${u.username}`;
  }, { submitLabel: '创建用户', idPrefix: 'newuser' });

  function edit(u) {
    const f = form([
      { name: 'role', label: '角色', type: 'select', options: options(ROLES), value: u.role },
      { name: 'cert_no', label: '关联执法证号', value: u.cert_no || '' },
      { name: 'active', label: '启用', type: 'checkbox', value: !!u.active },
      { name: 'password', label: '新密码（留空不改）', type: 'password', autocomplete: 'new-password' },
    ], async (v) => {
      const body = { role: v.role, cert_no: v.cert_no || null, active: v.active };
      if (v.password) body.password = v.password;
      await api('PUT', `/api/users/${u.id}`, body);
      setTimeout(() => ctx.rerender(), 800);
      return '已保存';
    }, { idPrefix: `user${u.id}` });
    mount(editBox, section(`修改用户 ${u.username}`, f.el));
    editBox.scrollIntoView({ behavior: 'smooth' });
  }

  return h('div', null,
    h('h1', null, '用户管理'),
    section('用户', table([
      { key: 'id', label: '编号' },
      { key: 'username', label: '用户名' },
      { key: 'role', label: '角色', render: (u) => ROLES[u.role] || u.role },
      { key: 'cert_no', label: '执法证号' },
      { key: 'active', label: '状态', render: (u) => h('span', { class: `badge ${u.active ? 'ok' : 'bad'}` }, u.active ? '启用' : '停用') },
      { key: 'updated_at', label: '更新时间', render: (u) => fmtTime(u.updated_at) },
      { key: 'op', label: '', render: (u) => h('button', { type: 'button', onclick: () => edit(u) }, '修改') },
    ], users)),
    editBox,
    section('新建用户', create.el));
}
