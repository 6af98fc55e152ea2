// Users (admin): list, create, change role / password / active / linked inspector.
// #/users?role=inspector&cert_no=X&task=N opens the form filled in (the task page links here for
// each team member without an account) and offers the way back to the task after creating it.
import { api, h, mount, msg, table, section, form, fmtTime, listOf } from '../ui.js';
import { ROLES, options } from '../labels.js';

export async function render(ctx) {
  const [users, inspectors, orgs] = await Promise.all([
    api('GET', '/api/users').then((r) => listOf(r, 'users')),
    api('GET', '/api/inspectors?per_page=500').then((r) => listOf(r, 'inspectors')).catch(() => []),
    api('GET', '/api/orgs').then((r) => listOf(r, 'orgs')),
  ]);
  const orgOptions = orgs.map((o) => [String(o.id), o.name]);
  const byCert = new Map(inspectors.map((i) => [i.cert_no, i]));
  const q = ctx.query || {};
  const editBox = h('div', { id: 'user-edit' });
  const certList = h('datalist', { id: 'cert-options' }, inspectors.map((i) => h('option', { value: i.cert_no }, `${i.name} ${i.unit || ''}`)));
  const back = (id) => (q.task ? h('a', { class: 'button', href: `#/tasks/${encodeURIComponent(q.task)}?at=teams`, id }, `← 返回任务 ${q.task} 的检查组`) : null);
  const create = form([
    { name: 'role', label: '角色', type: 'select', options: options(ROLES), required: true, value: q.role || 'inspector' },
    { name: 'cert_no', label: '关联执法证号（检查人员必填）', help: '输入姓名或证号的开头可从检查人员名录中选择', value: q.cert_no || '' },
    { name: 'username', label: '用户名（登录用，可用汉字、字母或数字）', required: true, autocomplete: 'off', value: q.username || (q.cert_no ? `i${q.cert_no}` : '') },
    { name: 'real_name', label: '姓名', autocomplete: 'off' },
    { name: 'org_id', label: '所属机构', type: 'select', options: orgOptions, value: orgOptions.length ? orgOptions[0][0] : '' },
    { name: 'password', label: '初始密码（至少 12 位，请告知本人）', type: 'password', required: true, autocomplete: 'new-password' },
    { name: 'must_change_password', label: '首次登录须修改密码', type: 'checkbox', value: true },
  ], async (v) => {
    if (v.role === 'inspector' && !v.cert_no) throw Object.assign(new Error('检查人员账户须关联其执法证号（cert_no）'), { body: { field: 'cert_no' } });
    if (v.cert_no && inspectors.length && !byCert.has(v.cert_no)) throw Object.assign(new Error(`检查人员名录中没有执法证号 ${v.cert_no}`), { body: { field: 'cert_no' } });
    if (v.role !== 'inspector') delete v.cert_no;
    v.org_id = Number(v.org_id);
    const u = await api('POST', '/api/users', v);
    const who = u.cert_no && byCert.get(u.cert_no) ? `（${byCert.get(u.cert_no).name}）` : '';
    const out = h('div', null, msg('ok', `已创建用户 ${u.username}${who}，角色：${ROLES[u.role] || u.role}`), back('user-back-task'));
    mount(list, userTable(await api('GET', '/api/users').then((r) => listOf(r, 'users'))));
    create.inputs.username.value = '';
    create.inputs.password.value = '';
    create.inputs.cert_no.value = '';
    create.inputs.must_change_password.checked = true;
    return out;
  }, { submitLabel: '创建用户', idPrefix: 'newuser' });
  create.inputs.cert_no.setAttribute('list', 'cert-options');
  const certName = h('div', { class: 'help', id: 'newuser-cert-name' });
  const showName = () => {
    const i = byCert.get(create.inputs.cert_no.value.trim());
    mount(certName, i ? `${i.name}，${i.unit || ''} ${i.title || ''}` : '');
    if (i && !create.inputs.username.value) create.inputs.username.value = `i${i.cert_no}`;
    if (i && !create.inputs.real_name.value) create.inputs.real_name.value = i.name;
    if (i && i.org_id) create.inputs.org_id.value = String(i.org_id);
  };
  create.inputs.cert_no.addEventListener('input', showName);
  create.inputs.cert_no.parentNode.appendChild(certName);
  const certRow = create.inputs.cert_no.parentNode;
  const showCert = () => { certRow.style.display = create.inputs.role.value === 'inspector' ? '' : 'none'; };
  create.inputs.role.addEventListener('change', showCert);
  showCert();
  showName();

  function edit(u) {
    const f = form([
      { name: 'role', label: '角色', type: 'select', options: options(ROLES), value: u.role },
      { name: 'cert_no', label: '关联执法证号', value: u.cert_no || '' },
      { name: 'real_name', label: '姓名', value: u.real_name || '' },
      { name: 'org_id', label: '所属机构', type: 'select', options: orgOptions, value: u.org_id ? String(u.org_id) : '' },
      { name: 'active', label: '启用', type: 'checkbox', value: !!u.active },
      { name: 'password', label: '新密码（留空不改）', type: 'password', autocomplete: 'new-password' },
      ...(u.id === ctx.me.id ? [] : [{ name: 'must_change_password', label: '下次登录须修改密码', type: 'checkbox', value: !!u.must_change_password }]),
    ], async (v) => {
      const body = { role: v.role, cert_no: v.cert_no || null, active: v.active, real_name: v.real_name || '' };
      if (v.org_id) body.org_id = Number(v.org_id);
      if (v.password) body.password = v.password;
      if (u.id !== ctx.me.id) body.must_change_password = v.must_change_password;
      await api('PUT', `/api/users/${u.id}`, body);
      setTimeout(() => ctx.rerender(), 800);
      return '已保存';
    }, { idPrefix: `user${u.id}` });
    f.inputs.cert_no.setAttribute('list', 'cert-options');
    mount(editBox, section(`修改用户 ${u.username}`, f.el));
    editBox.scrollIntoView({ behavior: 'smooth' });
  }

  function userTable(rows) {
    return table([
      { key: 'id', label: '编号' },
      { key: 'username', label: '用户名', render: (u) => h('span', { class: 'username' }, u.username) },
      { key: 'real_name', label: '姓名' },
      { key: 'org_name', label: '所属机构' },
      { key: 'role', label: '角色', render: (u) => ROLES[u.role] || u.role },
      { key: 'cert_no', label: '执法证号', render: (u) => (u.cert_no ? `${u.cert_no}${byCert.get(u.cert_no) ? ` ${byCert.get(u.cert_no).name}` : ''}` : '') },
      { key: 'active', label: '状态', render: (u) => h('span', null, h('span', { class: `badge ${u.active ? 'ok' : 'bad'}` }, u.active ? '启用' : '停用'),
        u.must_change_password ? h('span', { class: 'badge warn', title: '下次登录须先修改密码' }, ' 待改初始密码') : null) },
      { key: 'updated_at', label: '更新时间', render: (u) => fmtTime(u.updated_at) },
      { key: 'op', label: '', render: (u) => h('button', { type: 'button', onclick: () => edit(u) }, '修改') },
    ], rows);
  }
  const list = h('div', { id: 'user-list' }, userTable(users));
  const createSection = section(q.cert_no ? `为检查人员 ${byCert.get(q.cert_no) ? byCert.get(q.cert_no).name : q.cert_no} 开通账户` : '新建用户', certList, create.el);
  createSection.id = 'user-create';
  // Opened to create a particular account: the form comes first.
  const prefilled = q.cert_no || q.role;
  if (prefilled) setTimeout(() => create.inputs.password.focus(), 0);
  return h('div', null,
    h('h1', null, '用户管理'),
    q.task ? h('p', null, back(null)) : null,
    prefilled ? createSection : null,
    section('用户', list),
    editBox,
    prefilled ? null : createSection);
}
