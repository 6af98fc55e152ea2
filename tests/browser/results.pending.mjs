// NOT RUN YET: the result-entry flow of issue 9. It needs GET/POST /api/tasks/{id}/results,
// GET /api/results/{id}, POST /api/results/{id}/sign|review|publish and GET /api/public/results, which do
// not exist yet. The file name does not match *.test.mjs, so `node --test` does not pick it up; rename it
// to results.test.mjs (and merge it after task.test.mjs's setup) when issue 9 lands.

// Moved from task.test.mjs, which sets up the task this continues from:
test('result entry per checkpoint, sign-off, review and publication', async () => {
  const { page, base } = env;
  await page.goto(`${base}/#/results/${taskId}`);
  await page.waitForSelector('main table a');
  const first = await page.$eval('main table a', (a) => a.getAttribute('href'));
  await page.goto(`${base}/${first}`);
  await page.waitForSelector('#result-save');
  const selects = await page.$$('main select[name^="cat-"]');
  assert.ok(selects.length > 0, 'one row per checkpoint');
  await selects[0].selectOption('e');
  await page.fill('main textarea[name^="note-"]', '消防通道堆放杂物，已责令当场改正');
  await page.selectOption('#result-category', 'e');
  await page.fill('#result-summary', '发现问题已责令改正');
  await page.click('#result-save');
  await page.waitForSelector('#result-sign', { timeout: 20000 });
  await page.click('#result-sign');
  await page.waitForSelector('.action-msg .msg-ok');
  await page.waitForSelector('#result-approve');
  await page.click('#result-approve');
  await page.waitForSelector('#result-publish');
  await page.click('#result-publish');
  await page.waitForFunction(() => /已公示/.test(document.querySelector('main').textContent), null, { timeout: 20000 });
  await shot(page, 'result-published');
  await page.goto(`${base}/public/#/results`);
  await page.waitForSelector('main table');
  assert.match(await page.textContent('main'), /发现问题已责令改正/);
  await shot(page, 'public-results');
});
