// verify.js against the SPEC §9 test vector, inside the page (WebCrypto), and its failure report
// on a tampered announcement (which check, which stratum, which position).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop, shot } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await stop(env); });

test('SPEC §9 test vector in the browser', async () => {
  const { page, base } = env;
  await page.goto(`${base}/public/#/how-to-verify`);
  const r = await page.evaluate(async () => {
    const v = await import('/js/verify.js');
    return v.selfTest();
  });
  assert.deepEqual(r.selected, ['A031', 'A044', 'A028', 'A042', 'A043']);
  assert.equal(r.ok, true);
  // commitment is SHA-256 of bytes 0x00..0x1f (a well-known value).
  assert.equal(r.commitment, '630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd');
  // The page's button shows the same.
  await page.click('#selftest');
  await page.waitForSelector('#selftest-result .verify-status');
  assert.match(await page.textContent('#selftest-result'), /测试向量通过/);
  assert.match(await page.textContent('#selftest-result'), /A031, A044, A028, A042, A043/);
  await shot(page, 'public-how-to-verify');
});

test('an announcement built from the vector verifies; tampering is named precisely', async () => {
  const { page } = env;
  const out = await page.evaluate(async () => {
    const v = await import('/js/verify.js');
    const secret = new Uint8Array(32).map((_, i) => i);
    const cands = Array.from({ length: 50 }, (_, i) => 'A' + String(i).padStart(3, '0'));
    const r = await v.drawStratum({ secret, witness: 'witness', strata: [cands], n: 5 });
    const ann = { draw: { algorithm: 'spotcheck-draw-v1', secret: v.bytesToHex(secret), witness: 'witness', seed: r.seed,
      commitment: r.commitment, candidates_hash: r.candidates_hash, attempts: 1,
      strata: [{ name: 'general', size: 50, candidates: cands, selected: r.selected }] } };
    const good = await v.verifyAnnouncement(ann);
    const t1 = structuredClone(ann);
    t1.draw.strata[0].selected[3] = 'A000';
    const badSel = await v.verifyAnnouncement(t1);
    const t2 = structuredClone(ann);
    t2.draw.witness = 'witness2';
    const badSeed = await v.verifyAnnouncement(t2);
    const t3 = structuredClone(ann);
    t3.draw.strata[0].candidates[10] = 'A999';
    const badCand = await v.verifyAnnouncement(t3);
    const t4 = structuredClone(ann);
    delete t4.draw.secret;
    const malformed = await v.verifyAnnouncement(t4);
    // Paste the good announcement into the page's verifier.
    document.getElementById('verify-json').value = JSON.stringify(t1);
    return { good, badSel, badSeed, badCand, malformed };
  });
  assert.equal(out.good.ok, true, JSON.stringify(out.good.errors));
  assert.equal(out.badSel.ok, false);
  assert.match(out.badSel.errors.join('\n'), /第 0 层（"general"）：抽中名单第 4 位（位置 3）不符：应为 A042，公告为 A000/);
  assert.ok(out.badSel.checks.find((c) => c.check === 'selection' && c.stratum === 0 && !c.ok));
  assert.equal(out.badSeed.ok, false);
  assert.match(out.badSeed.errors.join('\n'), /种子不符/);
  assert.equal(out.badCand.ok, false);
  assert.match(out.badCand.errors.join('\n'), /候选名单在第 11 位未按字节序排列|H_c 不符/);
  assert.equal(out.malformed.ok, false);
  assert.match(out.malformed.malformed, /secret/);
  await env.page.click('#verify-paste');
  await env.page.waitForSelector('#paste-status.bad');
  assert.match(await env.page.textContent('#paste-status'), /核验未通过/);
  assert.match(await env.page.textContent('main'), /位置 3/);
  await shot(env.page, 'public-verify-tampered');
});
