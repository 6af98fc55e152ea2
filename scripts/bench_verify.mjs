// bench_verify.mjs: time to a verified announcement on the portal page in headless Chromium, and
// the longest main-thread task meanwhile (PerformanceObserver "longtask"). Used by scripts/bench
// (section announce). Prints one JSON line {ms, longest_ms, longtasks, status}.
// usage: node scripts/bench_verify.mjs BASE_URL TASK_ID
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(root, 'web/package.json'));
const { chromium } = require('playwright-core');
const [base, tid] = process.argv.slice(2);

const browser = await chromium.launch({ executablePath: process.env.SPOTCHECK_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const page = await (await browser.newContext()).newPage();
  // Every main-thread task of 50 ms or more, from the first script on.
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([Math.round(e.startTime), Math.round(e.duration)]); })
      .observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`${base}/public/#/tasks/${tid}`);
  await page.waitForSelector('#verify-status.ok, #verify-status.bad', { timeout: 600000 });
  const ms = Date.now() - t0;
  const status = await page.textContent('#verify-status');
  await page.waitForTimeout(300);   // let the observer deliver the last entries
  const all = await page.evaluate(() => window.__longtasks);
  const lt = all.map((x) => x[1]);
  console.log(JSON.stringify({ ms, longest_ms: Math.round(Math.max(0, ...lt)), longtasks: lt.length,
    status: status.trim().slice(0, 40), tasks: all }));
} finally {
  await browser.close();
}
