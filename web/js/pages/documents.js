// 文书打印 (SPEC §13, 9.2): the printable documents of a task -- 抽查任务公告 and 抽查结果公示 for the
// task, 随机抽查通知书, 现场检查记录 and 责令限期整改指令书 for each unit drawn -- each opening as its own
// A4 page (no app chrome) that the browser prints; the archive of issued documents with their
// SHA-256 for reprinting; and for administrators the versioned templates.
import { api, h, mount, table, section, details, form, listOf, loading, actionButton, qs } from '../ui.js';
import { DOC_KINDS } from '../labels.js';

const KINDS = {
  notice: '随机抽查通知书', record: '现场检查记录', rectification: '责令限期整改指令书',
  announcement: '抽查任务公告', results: '抽查结果公示',
};
const docLink = (kind, task, uscc) => h('a', { href: `/api/documents/${kind}${qs({ task, uscc })}`, target: '_blank', rel: 'noopener', class: `doc-${kind}` }, KINDS[kind]);

export async function render(ctx) {
  const taskId = ctx.parts[1];
  if (!taskId) return chooser(ctx);
  const t = await api('GET', `/api/tasks/${encodeURIComponent(taskId)}`);
  const teams = listOf(await api('GET', `/api/tasks/${encodeURIComponent(taskId)}/teams`).catch(() => null), 'teams');
  return h('div', null,
    h('h1', null, `文书打印：${t.name}`),
    h('p', null, h('a', { href: '#/documents' }, '选择其他任务')),
    h('p', { class: 'notice' }, '每次打开文书都会按当前模板生成并存档（记录 SHA-256 和模板版本）；在打开的页面中使用浏览器的“打印”即可按 A4 打印。'),
    section('任务文书', h('p', null, docLink('announcement', t.id), '　', docLink('results', t.id))),
    section('检查对象文书', table([
      { key: 'uscc', label: '统一社会信用代码' },
      { key: 'name', label: '单位名称', render: (x) => x.name || '' },
      { key: 'docs', label: '文书', render: (x) => h('span', null, ['notice', 'record', 'rectification'].map((k) => [docLink(k, t.id, x.uscc), ' '])) },
    ], teams, { empty: '该任务尚未抽取检查对象或检查组' })),
    section('已出具的文书', loading(async () => archive(t.id))),
    ['admin', 'planner', 'head', 'auditor'].includes(ctx.me.role) ? section('档案目录（第9.2条）', loading(async () => catalogue(t.id))) : null,
    ctx.me.role === 'admin' ? details('文书模板（管理员）', loading(() => templates(ctx))) : null);
}

async function chooser(ctx) {
  const tasks = listOf(await api('GET', '/api/tasks'), 'tasks').filter((x) => x.status === 'drawn' || x.status === 'dispatched');
  return h('div', null,
    h('h1', null, '文书打印'),
    section('选择抽查任务', table([
      { key: 'name', label: '任务', render: (x) => h('a', { href: `#/documents/${x.id}` }, x.name) },
      { key: 'year', label: '年度' }, { key: 'start_date', label: '开始' }, { key: 'end_date', label: '结束' },
    ], tasks, { empty: '没有已抽取检查对象的任务' })),
    ctx.me.role === 'admin' ? details('文书模板（管理员）', loading(() => templates(ctx))) : null);
}

async function archive(task) {
  const r = await api('GET', `/api/documents${qs({ task })}`);
  return table([
    { key: 'id', label: '编号' },
    { key: 'kind', label: '文书', render: (x) => KINDS[x.kind] || x.kind },
    { key: 'uscc', label: '单位', render: (x) => x.uscc || '（任务）' },
    { key: 'template_version', label: '模板版本' },
    { key: 'sha256', label: 'SHA-256', render: (x) => h('code', null, x.sha256) },
    { key: 'issued_by', label: '出具人' }, { key: 'issued_at', label: '时间' },
    { key: 'reprint', label: '', render: (x) => h('a', { href: `/api/documents/archive/${x.id}`, target: '_blank', rel: 'noopener' }, '原样重印') },
  ], listOf(r, 'documents'), { empty: '尚未出具文书' });
}

// The task's archive catalogue (9.2): every issued document and attachment with its retention.
const ARCHIVE_KINDS = { ...DOC_KINDS, attachment: '附件' };
async function catalogue(task) {
  const r = await api('GET', `/api/tasks/${encodeURIComponent(task)}/archive`);
  const items = listOf(r, 'items');
  return h('div', { id: 'archive-catalogue' },
    h('div', { class: 'toolbar' }, h('a', { class: 'button', href: `/api/tasks/${encodeURIComponent(task)}/archive?format=xlsx`, download: '', id: 'archive-xlsx' }, '导出档案目录（Excel）')),
    table([
      { key: 'kind', label: '类别', render: (x) => ARCHIVE_KINDS[x.kind] || x.kind },
      { key: 'name', label: '文件', render: (x) => x.name || (x.template_version ? `模板第 ${x.template_version} 版` : '') },
      { key: 'unit', label: '单位', render: (x) => (x.uscc ? `${x.unit_name || ''} ${x.uscc}` : '（任务）') },
      { key: 'date', label: '形成日期' },
      { key: 'by', label: '经办人' },
      { key: 'sha256', label: 'SHA-256', render: (x) => h('code', { title: x.sha256 }, `${String(x.sha256).slice(0, 16)}…`) },
      { key: 'keep', label: '保管期限', render: (x) => h('span', { title: x.retention_reason || '' }, `${x.retention_years} 年，至 ${x.keep_until}`) },
    ], items, { empty: '尚无归档的文书和附件' }));
}

async function templates(ctx) {
  const r = await api('GET', '/api/document-templates');
  const editor = h('div', { id: 'template-editor' });
  const edit = async (kind) => {
    const tpl = await api('GET', `/api/document-templates/${kind}`);
    const f = form([
      { name: 'body', label: `${KINDS[kind]}模板（第 ${tpl.version} 版，说明见 rules/documents/README.md）`, type: 'textarea', rows: 24, wide: true },
      { name: 'note', label: '修改说明' },
    ], async (v) => {
      const saved = await api('POST', `/api/document-templates/${kind}`, { body: v.body, note: v.note || '' });
      setTimeout(() => ctx.rerender(), 800);
      return `已保存为第 ${saved.version} 版并启用`;
    }, { idPrefix: `tpl-${kind}`, submitLabel: '保存为新版本' });
    f.setValues({ body: tpl.body, note: '' });
    mount(editor, section(`编辑：${KINDS[kind]}`, f.el,
      table([
        { key: 'version', label: '版本' }, { key: 'sha256', label: 'SHA-256', render: (x) => h('code', null, x.sha256) },
        { key: 'note', label: '说明' }, { key: 'author', label: '修改人' }, { key: 'created_at', label: '时间' },
        { key: 'active', label: '', render: (x) => (x.active ? '当前启用' : actionButton('启用此版本', async () => {
          await api('POST', `/api/document-templates/${kind}/activate`, { version: x.version });
          setTimeout(() => ctx.rerender(), 800);
          return '已启用';
        })) },
      ], tpl.versions)));
  };
  return h('div', null, table([
    { key: 'kind', label: '文书', render: (x) => KINDS[x.kind] || x.kind },
    { key: 'active', label: '启用版本' },
    { key: 'count', label: '版本数', render: (x) => x.versions.length },
    { key: 'edit', label: '', render: (x) => h('button', { type: 'button', class: `edit-${x.kind}`, onclick: () => edit(x.kind) }, '编辑') },
  ], listOf(r, 'templates')), editor);
}
