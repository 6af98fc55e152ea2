// 检查对象名录库 (clauses 3.3, 5.2.1).
import { h } from '../ui.js';
import { INDUSTRIES, RISK, CREDIT, ENT_STATUS, options, label } from '../labels.js';
import { renderDirectory } from './directory.js';

const riskBadge = (r) => h('span', { class: `badge ${r.risk_level}` }, label(RISK, r.risk_level));
const flags = (r) => [r.watchlist && '重点关注', r.dishonest && '失信', r.serious_violation && '严重违法', r.major_hazard && '重大危险源', r.complaints > 0 && `投诉 ${r.complaints}`].filter(Boolean).join('、');

export const kind = {
  path: 'enterprises', api: 'enterprises', title: '检查对象名录', noun: '检查对象', key: 'uscc',
  columns: [
    { key: 'uscc', label: '统一社会信用代码', sort: true, render: (r) => h('code', null, r.uscc) },
    { key: 'name', label: '单位名称', sort: true },
    { key: 'region', label: '行政区划', sort: true },
    { key: 'industry', label: '行业类别', sort: true },
    { key: 'risk_level', label: '风险等级', sort: true, render: riskBadge },
    { key: 'credit_level', label: '信用等级', sort: true, render: (r) => label(CREDIT, r.credit_level) },
    { key: 'flags', label: '标记', render: flags },
    { key: 'status', label: '状态', sort: true, render: (r) => label(ENT_STATUS, r.status) },
  ],
  filters: [
    { name: 'q', label: '名称或信用代码' },
    { name: 'industry', label: '行业类别', type: 'select', options: [['', '全部'], ...INDUSTRIES.map((i) => [i, i])] },
    { name: 'region', label: '行政区划' },
    { name: 'risk_level', label: '风险等级', type: 'select', options: options(RISK, '全部') },
    { name: 'credit_level', label: '信用等级', type: 'select', options: options(CREDIT, '全部') },
    { name: 'status', label: '状态', type: 'select', options: options(ENT_STATUS, '全部') },
  ],
  fields: [
    { name: 'uscc', label: '统一社会信用代码', required: true, readonlyOnEdit: false },
    { name: 'name', label: '单位名称', required: true },
    { name: 'unit_type', label: '单位类型' },
    { name: 'legal_rep', label: '法定代表人' },
    { name: 'address', label: '住所', wide: true },
    { name: 'business_scope', label: '经营范围', type: 'textarea' },
    { name: 'region', label: '行政区划', required: true },
    { name: 'industry', label: '行业类别', type: 'select', required: true, options: [['', '请选择'], ...INDUSTRIES.map((i) => [i, i])] },
    { name: 'supervision_type', label: '监管类型' },
    { name: 'risk_level', label: '风险等级', type: 'select', options: options(RISK) },
    { name: 'credit_level', label: '信用等级', type: 'select', options: options(CREDIT) },
    { name: 'complaints', label: '投诉举报次数', type: 'number' },
    { name: 'status', label: '状态', type: 'select', options: options(ENT_STATUS) },
    { name: 'watchlist', label: '重点关注', type: 'checkbox' },
    { name: 'dishonest', label: '失信记录', type: 'checkbox' },
    { name: 'serious_violation', label: '严重违法记录', type: 'checkbox' },
    { name: 'major_hazard', label: '重大危险源', type: 'checkbox' },
  ],
  importHelp: 'UTF-8（或 GB18030）CSV，首行为表头，列名用中文（与下载的导入模板一致），顺序不限：统一社会信用代码、单位名称、单位类型、法定代表人、住所、经营范围、行政区划、行业类别、监管类型、风险等级（重大/较大/一般/低）、信用等级（守信/一般/失信）、投诉举报次数、重点关注、失信记录、严重违法记录、重大危险源（是/否）、状态（正常/注销）。信用代码校验位错误等问题行会被拒绝并列出行号，其余行照常导入；已有的信用代码会更新并保留旧版本。',
};

export function render(ctx) {
  return renderDirectory(ctx, kind);
}
