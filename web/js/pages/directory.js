// directory.js: the two directories (检查对象名录库, 检查人员名录库) share one page engine:
// filters, paging, sorting, detail with edit form and history, CSV / Excel (.xlsx) import with the
// per-line rejection report, import templates, the rejected rows as a file, CSV and Excel export links.
import { api, h, mount, msg, errorText, table, section, form, kv, fmtTime, qs, pager, loading, details } from '../ui.js';
import { FIELD_LABELS } from '../labels.js';

// kind: {path, api, title, noun, columns, filters, fields, key, importHelp}
export async function renderDirectory(ctx, kind) {
  const id = ctx.parts[1];
  if (id === 'new') return editPage(ctx, kind, null);
  if (id) return editPage(ctx, kind, id);
  return listPage(ctx, kind);
}

async function listPage(ctx, kind) {
  const q = { per_page: 20, page: 1, ...ctx.query };
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const filterForm = form(kind.filters.map((f) => ({ ...f, value: q[f.name] ?? '' })), async (v) => {
    location.hash = `#/${kind.path}${qs({ ...v, per_page: q.per_page, sort: q.sort, order: q.order, page: 1 })}`;
  }, { submitLabel: '查询', idPrefix: `${kind.path}-filter`, extraButtons: h('a', { class: 'button', href: `#/${kind.path}` }, '清空条件') });

  const listBox = h('div', { id: `${kind.path}-list` });
  const params = {};
  for (const f of kind.filters) if (q[f.name]) params[f.name] = q[f.name];
  Object.assign(params, { page: q.page, per_page: q.per_page, sort: q.sort, order: q.order });
  const go = (page) => { location.hash = `#/${kind.path}${qs({ ...q, page })}`; };
  const sortBy = (col) => {
    const order = q.sort === col && q.order !== 'desc' ? 'desc' : 'asc';
    location.hash = `#/${kind.path}${qs({ ...q, sort: col, order, page: 1 })}`;
  };
  try {
    const r = await api('GET', `/api/${kind.api}${qs(params)}`);
    const rows = r.items || r[kind.api] || (Array.isArray(r) ? r : []);
    const cols = kind.columns.map((c) => ({
      ...c,
      label: c.sort ? h('button', { type: 'button', class: 'linklike', onclick: () => sortBy(c.key), title: '点击排序' }, c.label, q.sort === c.key ? (q.order === 'desc' ? ' ▼' : ' ▲') : '') : c.label,
    }));
    mount(listBox, table(cols, rows, { onRow: (row) => { location.hash = `#/${kind.path}/${row.id}`; }, empty: '没有符合条件的记录' }),
      pager(Number(r.page || q.page), Number(r.per_page || q.per_page), r.total, go));
  } catch (e) {
    mount(listBox, msg('error', errorText(e)));
  }
  const exportHref = `/api/${kind.api}/export${qs(params)}`;
  const xlsxHref = `/api/${kind.api}${qs({ ...params, page: undefined, per_page: undefined, format: 'xlsx' })}`;
  return h('div', null,
    h('h1', null, kind.title),
    section('筛选', filterForm.el),
    section(null,
      h('div', { class: 'toolbar' },
        canEdit ? h('a', { class: 'button primary', href: `#/${kind.path}/new` }, `新增${kind.noun}`) : null,
        h('a', { class: 'button', href: exportHref, download: '', id: `${kind.path}-export` }, '按当前条件导出 CSV'),
        h('a', { class: 'button', href: xlsxHref, download: '', id: `${kind.path}-export-xlsx` }, '按当前条件导出 Excel')),
      listBox),
    canEdit ? importSection(kind) : null);
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function isXlsx(f) {
  return /\.xlsx$/i.test(f.name) || f.type === XLSX_TYPE;
}

// Offers blob for download under the name the server gave it (Content-Disposition), else fallback.
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  h('a', { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// "3,4,5,9" -> "3-5,9": the rejected lines as ranges, so that the query stays short.
function lineRanges(lines) {
  const out = [];
  for (const n of [...lines].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else if (!last || n !== last[1]) out.push([n, n]);
  }
  return out.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

function importSection(kind) {
  const file = h('input', { type: 'file', accept: `.csv,.xlsx,text/csv,${XLSX_TYPE}`, id: `${kind.path}-import-file` });
  const report = h('div', { id: `${kind.path}-import-report`, 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'primary', id: `${kind.path}-import-btn` }, '导入');
  btn.addEventListener('click', async () => {
    mount(report);
    const f = file.files && file.files[0];
    if (!f) {
      mount(report, msg('error', '请先选择 CSV 或 Excel（.xlsx）文件'));
      return;
    }
    btn.disabled = true;
    mount(report, h('p', { class: 'loading' }, `正在导入 ${f.name}…`));
    const contentType = isXlsx(f) ? XLSX_TYPE : 'text/csv';
    try {
      const body = await f.arrayBuffer();
      const r = await api('POST', `/api/${kind.api}/import`, body, { contentType });
      mount(report, importReport(r, rejectedDownloads(kind, body, contentType, r)));
    } catch (e) {
      mount(report, msg('error', `导入失败：${errorText(e)}`), e.body && e.body.rejected ? importReport(e.body) : null);
    } finally {
      btn.disabled = false;
    }
  });
  const tpl = (format, label) => h('a', { class: 'button', href: `/api/${kind.api}/import/template?format=${format}`, download: '',
    id: `${kind.path}-template-${format}` }, label);
  return details(`从 CSV / Excel 导入${kind.noun}`,
    h('p', { class: 'notice' }, kind.importHelp, ' 也可上传 Excel 工作簿（读取第一个工作表，行号即工作表行号）。'),
    h('div', { class: 'toolbar' }, tpl('xlsx', '下载导入模板（Excel）'), tpl('csv', '下载导入模板（CSV）')),
    h('div', { class: 'toolbar' }, file, btn),
    report);
}

// Buttons that fetch the rejected rows of the uploaded file (body) as .xlsx or CSV, to fix and import again.
function rejectedDownloads(kind, body, contentType, r) {
  const lines = (r.rejected || []).map((x) => x.line);
  if (!lines.length) return null;
  const status = h('span', { class: 'notice' });
  const get = (format) => async () => {
    mount(status);
    try {
      const blob = await api('POST', `/api/${kind.api}/import/rejected?format=${format}&lines=${lineRanges(lines)}`, body,
        { contentType, blob: true });
      saveBlob(blob, `${kind.noun}导入被拒绝的行.${format}`);
    } catch (e) {
      mount(status, msg('error', errorText(e)));
    }
  };
  return h('div', { class: 'toolbar' },
    h('button', { type: 'button', id: `${kind.path}-rejected-xlsx`, onclick: get('xlsx') }, '下载被拒绝的行（Excel）'),
    h('button', { type: 'button', id: `${kind.path}-rejected-csv`, onclick: get('csv') }, '下载被拒绝的行（CSV）'),
    status);
}

export function importReport(r, extra = null) {
  const rejected = r.rejected || [];
  const nrej = r.rejected_count ?? r.nrejected ?? rejected.length;
  return h('div', null,
    msg(nrej ? 'warn' : 'ok', `新增 ${r.imported ?? 0} 条，更新 ${r.updated ?? 0} 条${r.unchanged !== undefined ? `，未变化 ${r.unchanged} 条` : ''}，拒绝 ${nrej} 条。`),
    rejected.length ? h('div', null, h('h3', null, '被拒绝的行（其余行已导入）'), extra,
      table([{ key: 'line', label: '行号' }, { key: 'error', label: '原因' }], rejected, { class: 'grid rejected' })) : null,
    nrej > rejected.length ? h('p', { class: 'notice' }, `仅列出前 ${rejected.length} 条被拒绝的行`) : null);
}

async function editPage(ctx, kind, id) {
  const canEdit = ['admin', 'planner'].includes(ctx.me.role);
  const row = id ? await api('GET', `/api/${kind.api}/${encodeURIComponent(id)}`) : {};
  const fields = kind.fields.map((f) => ({ ...f, value: row[f.name] }));
  const f = form(fields, async (v) => {
    for (const fd of kind.fields) {
      if (fd.type === 'number' && v[fd.name] === null) delete v[fd.name];
      if (fd.readonlyOnEdit && id) delete v[fd.name];
      // A masked id number that was not retyped is not sent back.
      if (fd.name === 'id_number' && id && /\*/.test(v[fd.name])) delete v[fd.name];
    }
    if (id) {
      await api('PUT', `/api/${kind.api}/${encodeURIComponent(id)}`, v);
      setTimeout(() => ctx.rerender(), 900);
      return '已保存，旧版本保留在历史中';
    }
    const created = await api('POST', `/api/${kind.api}`, v);
    setTimeout(() => { location.hash = `#/${kind.path}/${created.id}`; }, 700);
    return `已新增${kind.noun}`;
  }, { idPrefix: kind.path, submitLabel: id ? '保存修改' : '新增', draft: canEdit ? `${kind.path}-${id || 'new'}` : null });
  if (!canEdit) for (const i of Object.values(f.inputs)) i.disabled = true;
  return h('div', null,
    h('h1', null, id ? `${kind.noun}：${row.name || row[kind.key] || id}` : `新增${kind.noun}`),
    h('p', null, h('a', { href: `#/${kind.path}` }, `← 返回${kind.title}`)),
    id && row.category ? msg('info', `行业类别（规则判定）：${row.category === 'key' ? '重点' : row.category === 'general' ? '一般' : row.category}${row.category_reason ? `（${row.category_reason}）` : ''}`) : null,
    section(id ? `基本信息（版本 ${row.version ?? ''}，更新于 ${fmtTime(row.updated_at)}）` : '基本信息', canEdit ? f.el : kv(row, FIELD_LABELS)),
    id ? section('修改历史', loading(() => history(kind, id))) : null);
}

async function history(kind, id) {
  const r = await api('GET', `/api/${kind.api}/${encodeURIComponent(id)}/history`);
  const rows = r.history || r.items || (Array.isArray(r) ? r : []);
  return table([
    { key: 'version', label: '被替换的版本' },
    { key: 'at', label: '时间', render: (x) => fmtTime(x.at) },
    { key: 'actor', label: '操作人' },
    { key: 'source', label: '途径', render: (x) => ({ api: '页面/接口', import: 'CSV 导入' }[x.source] || x.source) },
    {
      key: 'changes', label: '变更内容', render: (x) => {
        const ch = typeof x.changes === 'string' ? safeJson(x.changes) : x.changes;
        if (!ch || typeof ch !== 'object') return String(x.changes ?? '');
        return h('ul', { class: 'changes' }, Object.entries(ch).map(([k, v]) =>
          h('li', null, `${FIELD_LABELS[k] || k}：`, Array.isArray(v) ? `${fmtVal(v[0])} → ${fmtVal(v[1])}` : fmtVal(v))));
      },
    },
  ], rows, { empty: '尚无修改记录' });
}

function safeJson(s) {
  try {
    return JSON.parse(s);
  } catch (e) {
    return null;
  }
}

function fmtVal(v) {
  if (v === null || v === undefined || v === '') return '（空）';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (Array.isArray(v)) return v.join('、');
  return String(v);
}
