// Organisations (SPEC §10, admin): the bureau, its divisions, the townships and other departments;
// create and change them, and 开通账户: accounts for every active inspector of an org without one,
// each with a one-time password shown once as a printable list. Kinds and levels come from the
// rules (meta), never from this file.
import { api, h, mount, msg, table, section, form, actionButton, listOf } from '../ui.js';
import { ORG_KINDS, ORG_LEVELS } from '../labels.js';

const pairs = (o) => Object.entries(o);

export async function render(ctx) {
  const orgs = listOf(await api('GET', '/api/orgs'), 'orgs');
  const isAdmin = ctx.me.role === 'admin';
  const editBox = h('div', { id: 'org-edit' });
  const accountsBox = h('div', { id: 'org-accounts' });
  const parentOptions = (except) => [['', '（无）'], ...orgs.filter((o) => o.id !== except).map((o) => [String(o.id), o.name])];

  function printable(res) {
    const rows = res.created.map((a) => ({ ...a }));
    return section(`${res.org_name}：已开通 ${res.created.length} 个账户`,
      msg('ok', '初始密码只显示这一次，请打印或抄送本人；首次登录须修改密码。'),
      rows.length ? h('div', { id: 'org-accounts-created' }, table([
        { key: 'real_name', label: '姓名' },
        { key: 'username', label: '用户名（执法证号）' },
        { key: 'password', label: '初始密码', render: (a) => h('code', { class: 'one-time-password' }, a.password) },
      ], rows)) : h('p', null, '没有需要开通账户的在职检查人员。'),
      res.skipped.length ? table([
        { key: 'real_name', label: '姓名' },
        { key: 'cert_no', label: '执法证号' },
        { key: 'reason', label: '未开通的原因' },
      ], res.skipped) : null,
      h('button', { type: 'button', id: 'org-accounts-print', onclick: () => window.print() }, '打印'));
  }

  function edit(o) {
    const f = form([
      { name: 'name', label: '机构名称', required: true, value: o.name },
      { name: 'kind', label: '机构类别', type: 'select', options: pairs(ORG_KINDS), value: o.kind },
      { name: 'level', label: '层级', type: 'select', options: pairs(ORG_LEVELS), value: o.level },
      { name: 'parent_id', label: '上级机构', type: 'select', options: parentOptions(o.id), value: o.parent_id ? String(o.parent_id) : '' },
      { name: 'active', label: '启用', type: 'checkbox', value: !!o.active },
    ], async (v) => {
      await api('PUT', `/api/orgs/${o.id}`, { ...v, parent_id: v.parent_id ? Number(v.parent_id) : null });
      setTimeout(() => ctx.rerender(), 800);
      return '已保存';
    }, { idPrefix: `org${o.id}` });
    mount(editBox, section(`修改机构 ${o.name}`, f.el));
    editBox.scrollIntoView({ behavior: 'smooth' });
  }

  const list = h('div', { id: 'org-list' }, table([
    { key: 'name', label: '机构名称' },
    { key: 'kind', label: '类别', render: (o) => ORG_KINDS[o.kind] || o.kind },
    { key: 'level', label: '层级', render: (o) => ORG_LEVELS[o.level] || o.level },
    { key: 'parent_name', label: '上级机构', render: (o) => o.parent_name || '' },
    { key: 'inspectors', label: '检查人员' },
    { key: 'inspectors_without_account', label: '未开通账户' },
    { key: 'users', label: '用户' },
    { key: 'active', label: '状态', render: (o) => h('span', { class: `badge ${o.active ? 'ok' : 'bad'}` }, o.active ? '启用' : '停用') },
    ...(isAdmin ? [{ key: 'op', label: '', render: (o) => h('span', null,
      h('button', { type: 'button', id: `org-edit-${o.id}`, onclick: () => edit(o) }, '修改'), ' ',
      actionButton('开通账户', async () => {
        const res = await api('POST', `/api/orgs/${o.id}/accounts`);
        mount(accountsBox, printable(res));
        accountsBox.scrollIntoView({ behavior: 'smooth' });
        return `已开通 ${res.created.length} 个`;
      }, { id: `org-accounts-${o.id}`, title: '为本机构每位在职、尚无账户的检查人员开通账户' })) }] : []),
  ], orgs));

  const create = isAdmin ? form([
    { name: 'name', label: '机构名称', required: true },
    { name: 'kind', label: '机构类别', type: 'select', options: pairs(ORG_KINDS), value: 'department', required: true },
    { name: 'level', label: '层级', type: 'select', options: pairs(ORG_LEVELS), value: 'county' },
    { name: 'parent_id', label: '上级机构', type: 'select', options: parentOptions(0), value: '' },
  ], async (v) => {
    const body = { name: v.name, kind: v.kind, level: v.level };
    if (v.parent_id) body.parent_id = Number(v.parent_id);
    const o = await api('POST', '/api/orgs', body);
    setTimeout(() => ctx.rerender(), 800);
    return `已添加机构 ${o.name}`;
  }, { submitLabel: '添加机构', idPrefix: 'neworg' }) : null;

  return h('div', null,
    h('h1', null, '机构管理'),
    h('p', { class: 'help' }, '本局、内设股室、乡镇（街道）和其他部门。检查人员名录的“所在单位”须为这里的机构名称。'),
    section('机构', list),
    accountsBox,
    editBox,
    create ? section('添加机构', create.el) : null);
}
