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

test('SPEC §12 v2 test vector in the browser; a changed beacon or witness fails naming the check', async () => {
  const { page, base } = env;
  await page.goto(`${base}/public/#/how-to-verify`);
  const out = await page.evaluate(async () => {
    const v = await import('/js/verify.js');
    const r = await v.selfTestV2();
    const cands = Array.from({ length: 50 }, (_, i) => 'A' + String(i).padStart(3, '0'));
    const ann = { draw: { algorithm: 'spotcheck-draw-v2', secret: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      commitment: '630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd', witness: 'witness',
      witness_commitment: 'ba1c566a4bad288c22a0b7511458c92ca5822cd41632e51806e9ea75ed12d13d',
      beacon_source: '福彩3D 2026058期开奖号码', beacon: '福彩3D 2026058期 开奖号码 3 7 1',
      seed: 'b02ab84d68073cfa7007b09c51d7ce22f0eeb09454e7f89851b239940273a220', candidates_hash: r.candidates_hash,
      attempts: 1, strata: [{ name: 'general', candidates: cands, selected: ['A041', 'A044', 'A024', 'A005', 'A047'] }] } };
    const good = await v.verifyAnnouncement(ann);
    const b = structuredClone(ann);
    b.draw.beacon = '福彩3D 2026058期 开奖号码 3 7 2';
    const badBeacon = await v.verifyAnnouncement(b);
    const w = structuredClone(ann);
    w.draw.witness = 'witness2';
    const badWitness = await v.verifyAnnouncement(w);
    const failed = (rep) => rep.checks.filter((c) => !c.ok).map((c) => c.check);
    return { r, good: good.ok, beacon: [badBeacon.ok, failed(badBeacon), badBeacon.errors.join('\n')],
      witness: [badWitness.ok, failed(badWitness), badWitness.errors.join('\n')] };
  });
  assert.deepEqual(out.r.selected, ['A041', 'A044', 'A024', 'A005', 'A047']);
  assert.equal(out.r.seed, 'b02ab84d68073cfa7007b09c51d7ce22f0eeb09454e7f89851b239940273a220');
  assert.equal(out.r.witness_commitment, 'ba1c566a4bad288c22a0b7511458c92ca5822cd41632e51806e9ea75ed12d13d');
  assert.equal(out.good, true);
  assert.equal(out.beacon[0], false);
  assert.deepEqual(out.beacon[1], ['seed', 'selection']);
  assert.match(out.beacon[2], /种子不符：SHA-256\(secret ‖ SHA-256\(witness\) ‖ SHA-256\(beacon\)\)/);
  assert.equal(out.witness[0], false);
  assert.deepEqual(out.witness[1], ['witness_commitment', 'seed', 'selection']);
  assert.match(out.witness[2], /见证承诺值不符/);
  await page.click('#selftest-v2');
  await page.waitForSelector('#selftest-v2-result .verify-status');
  assert.match(await page.textContent('#selftest-v2-result'), /测试向量通过/);
  assert.match(await page.textContent('#selftest-v2-result'), /A041, A044, A024, A005, A047/);
});
