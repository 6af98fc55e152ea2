// 检查人员名录库 (clauses 3.4, 5.2.2). 身份证号 is shown masked except to admin (server side).
import { h, bureauToday } from '../ui.js';
import { LEVEL, INSP_STATUS, GENDER, options, label } from '../labels.js';
import { renderDirectory } from './directory.js';

function certCell(r) {
  const today = bureauToday();
  const expired = r.cert_valid_until && r.cert_valid_until < today;
  return h('span', null, r.cert_valid_until || '', expired ? h('span', { class: 'badge red' }, ' 已过期') : null);
}

export const kind = {
  path: 'inspectors', api: 'inspectors', title: '检查人员名录', noun: '检查人员', key: 'cert_no',
  columns: [
    { key: 'name', label: '姓名', sort: true },
    { key: 'cert_no', label: '执法证号', sort: true, render: (r) => h('code', null, r.cert_no) },
    { key: 'cert_valid_until', label: '执法证有效期至', sort: true, render: certCell },
    { key: 'unit', label: '所在单位', sort: true },
    { key: 'title', label: '职务或职称' },
    { key: 'expertise', label: '业务专长', render: (r) => (Array.isArray(r.expertise) ? r.expertise.join('、') : r.expertise) },
    { key: 'level', label: '层级', sort: true, render: (r) => label(LEVEL, r.level) },
    { key: 'is_expert', label: '专家', render: (r) => (r.is_expert ? '是' : '') },
    { key: 'status', label: '状态', sort: true, render: (r) => label(INSP_STATUS, r.status) },
  ],
  filters: [
    { name: 'q', label: '姓名、证号或单位' },
    { name: 'level', label: '层级', type: 'select', options: options(LEVEL, '全部') },
    { name: 'status', label: '状态', type: 'select', options: options(INSP_STATUS, '全部') },
    { name: 'expertise', label: '业务专长' },
    { name: 'is_expert', label: '专家', type: 'select', options: [['', '全部'], ['true', '是'], ['false', '否']] },
    { name: 'cert_valid_on', label: '执法证在此日期有效', type: 'date' },
  ],
  fields: [
    { name: 'name', label: '姓名', required: true },
    { name: 'id_number', label: '身份证号', required: true, help: '个人信息：除管理员外只显示部分号码；修改时如不重新输入则保持不变' },
    { name: 'gender', label: '性别', type: 'select', options: [['', '未填写'], ...Object.entries(GENDER).filter(([k]) => k)] },
    { name: 'phone', label: '联系方式' },
    { name: 'unit', label: '所在单位' },
    { name: 'title', label: '职务或职称' },
    { name: 'cert_no', label: '执法证号', required: true },
    { name: 'cert_valid_until', label: '执法证有效期至', type: 'date' },
    { name: 'expertise', label: '业务专长（每行一项，或用分号分隔）', type: 'list' },
    { name: 'level', label: '层级', type: 'select', options: options(LEVEL) },
    { name: 'status', label: '状态', type: 'select', options: options(INSP_STATUS) },
    { name: 'is_expert', label: '专家库成员', type: 'checkbox' },
  ],
  importHelp: 'UTF-8（或 GB18030）CSV，首行为表头，列名用中文（与下载的导入模板一致）：身份证号、姓名、性别、联系方式、所在单位、职务或职称、执法证号、执法证有效期至（年-月-日）、业务专长（多项用分号分隔）、层级（县/乡）、专家、状态（在职/离岗）。身份证号校验位错误等问题行会被拒绝并列出行号，其余行照常导入。',
};

export function render(ctx) {
  return renderDirectory(ctx, kind);
}
