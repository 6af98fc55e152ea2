// 本单位待办 (SPEC §10, 7.2): the units of locked tasks dispatched to the user's org, with the rule's
// reason and the state of each unit's result; a page at a time from the server.
import { api, h, table, section, pager, link } from '../ui.js';
import { RESULT_STATUS } from '../labels.js';

export async function render(ctx) {
  const page = Math.max(1, Number(ctx.query.page) || 1);
  const mine = ctx.query.mine === '1';
  const r = await api('GET', `/api/inbox?page=${page}${mine ? '&mine=1' : ''}`);
  const units = r.units || [];
  const go = (p) => { location.hash = `#/inbox?page=${p}${mine ? '&mine=1' : ''}`; };
  return h('div', null,
    h('h1', null, '本单位待办'),
    h('p', { class: 'notice' }, '任务锁定后，每个被抽中的单位按规则派发给执行单位（第7.2条）；这里列出本单位执行或参加联合检查的检查对象。'),
    h('p', null, mine ? link('#/inbox', '显示全部') : link('#/inbox?mine=1', '只看我参加检查的', { id: 'inbox-mine' })),
    section(`${mine ? '我参加检查的' : '本单位的'}检查对象（共 ${r.total || 0} 户）`,
      table([
        { key: 'task_name', label: '抽查任务', render: (x) => link(`#/tasks/${x.task_id}`, x.task_name) },
        { key: 'dates', label: '检查时间', render: (x) => `${x.start_date} 至 ${x.end_date}` },
        { key: 'name', label: '单位名称', render: (x) => link(`#/results/${x.task_id}/${encodeURIComponent(x.uscc)}`, x.name) },
        { key: 'uscc', label: '统一社会信用代码' },
        { key: 'region', label: '行政区划' },
        { key: 'address', label: '住所' },
        { key: 'org_name', label: '执行单位', render: (x) => (x.executing ? x.org_name : `${x.org_name}（本单位参加联合检查）`) },
        { key: 'reason', label: '派发理由' },
        { key: 'result_status', label: '检查结果', render: (x) => (x.result_status ? RESULT_STATUS[x.result_status] || '' : '未录入') },
      ], units, { empty: '暂无派发给本单位的检查对象' }),
      r.total > r.page_size ? pager(page, r.page_size, r.total, go) : null));
}
