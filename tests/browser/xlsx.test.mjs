// Excel (.xlsx) on the directory pages: the export button downloads the filtered list as a workbook
// with the Chinese file name and the same rows as the page's list; the import template downloads;
// an .xlsx with a bad row is imported from the page, the report lists its spreadsheet row, and the
// rejected rows download as a workbook. Workbooks are opened with Debian's python3-openpyxl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { start, stop, login, shot } from './harness.mjs';

// The rows of the workbook at file as JSON (dates as ISO text), read by openpyxl.
function rows(file, extra = '') {
  const py = `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
${extra}
print(json.dumps([[c.isoformat() if hasattr(c, "isoformat") else c for c in r] for r in ws.iter_rows(values_only=True)],
                 ensure_ascii=False))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, file]).toString());
}

let env;
before(async () => {
  env = await start();
  await login(env.page, env.base);
});
after(async () => { await stop(env); });

test('the Excel export button downloads the filtered list as a workbook', async () => {
  const { page, base, tmp } = env;
  const region = '青城镇';
  await page.goto(`${base}/#/enterprises?region=${encodeURIComponent(region)}`);
  await page.waitForSelector('#enterprises-list table');
  const total = await page.evaluate(async (r) => (await (await fetch(`/api/enterprises?region=${encodeURIComponent(r)}`)).json()).total, region);
  assert.ok(total > 0);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#enterprises-export-xlsx')]);
  assert.equal(dl.suggestedFilename(), '检查对象名录.xlsx');
  const file = path.join(tmp, 'export.xlsx');
  await dl.saveAs(file);
  const got = rows(file);
  assert.deepEqual(got[0].slice(0, 3), ['统一社会信用代码', '单位名称', '单位类型']);
  assert.equal(got.length - 1, total);
  assert.ok(got.slice(1).every((r) => r[6] === region));
  await shot(page, 'enterprises-excel-export');
});

test('an .xlsx import from the page reports the spreadsheet row and the rejected rows download', async () => {
  const { page, base, tmp } = env;
  await page.goto(`${base}/#/inspectors`);
  await page.waitForSelector('#inspectors-list table');
  await page.click('summary:has-text("从 CSV / Excel 导入")');
  const [tpl] = await Promise.all([page.waitForEvent('download'), page.click('#inspectors-template-xlsx')]);
  assert.equal(tpl.suggestedFilename(), '检查人员导入模板.xlsx');
  const file = path.join(tmp, 'template.xlsx');
  await tpl.saveAs(file);
  // the template with a second, bad row (a 身份证号 with a wrong check digit) on spreadsheet row 4
  const got = rows(file, 'ws.cell(row=4, column=1, value="370322198001010012"); ws.cell(row=4, column=2, value="错号");' +
    'ws.cell(row=4, column=7, value="37032299999"); ws.parent.save(sys.argv[1])');
  assert.equal(got[0][0], '身份证号');
  await page.setInputFiles('#inspectors-import-file', { name: 'inspectors.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: fs.readFileSync(file) });
  await page.click('#inspectors-import-btn');
  await page.waitForSelector('#inspectors-import-report .msg');
  const report = await page.textContent('#inspectors-import-report');
  assert.match(report, /拒绝 1 条/);
  const lines = await page.$$eval('#inspectors-import-report table.rejected tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
  assert.deepEqual(lines, ['4']);
  await shot(page, 'inspectors-xlsx-import-rejected');
  const [rej] = await Promise.all([page.waitForEvent('download'), page.click('#inspectors-rejected-xlsx')]);
  const rfile = path.join(tmp, 'rejected.xlsx');
  await rej.saveAs(rfile);
  const back = rows(rfile);
  assert.equal(back.length, 2);
  assert.equal(back[0][0], '身份证号');
  assert.deepEqual([back[1][0], back[1][1]], ['370322198001010012', '错号']);
});
