// verify.js: draw algorithms v1 (SPEC §4) and v2 (SPEC §12) re-checked in the browser with WebCrypto.
// Mirrors core/verify.c: same announcement shape, same checks, same trust anchors (the selection
// is recomputed from SHA-256(secret || witness) and the announced candidates_hash; the announced
// seed and the recomputed H_c are compared separately). Messages are in Chinese for the page.
//
// Pure module: no DOM access. Works in any environment with globalThis.crypto.subtle (browsers
// on http://127.0.0.1 / https, Node >= 19).

export const ALGORITHM = 'spotcheck-draw-v1';
export const ALGORITHM_V2 = 'spotcheck-draw-v2';
const MAX_DIFF_MESSAGES = 10;
const TWO64 = 1n << 64n;
const enc = new TextEncoder();

// ---- bytes ----

export function utf8(s) {
  return enc.encode(s);
}

// concatBytes over an array of any length.
export function joinBytes(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function concatBytes(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesToHex(b) {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

// Exactly 2n hex digits (either case) -> Uint8Array, or null if malformed.
export function hexToBytes(hex, n = 32) {
  if (typeof hex !== 'string' || hex.length !== 2 * n || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function u32be(x) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x >>> 0, false);
  return b;
}

export function u64be(x) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(x), false);
  return b;
}

export async function sha256(bytes) {
  const d = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return new Uint8Array(d);
}

// ---- SHA-256 of short messages, synchronously (FIPS 180-4) ----
// The counter stream hashes one short block per four draws: WebCrypto's digest is asynchronous and,
// in a browser worker, costs a round trip to another thread per call (a 1,000,000-unit draw needs
// tens of thousands), so the stream uses this plain implementation; long inputs (the candidate
// lists) still go through WebCrypto (sha256 above). selfTest and selfTestV2 check both against the
// SPEC test vectors.
const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W256 = new Uint32Array(64);

// SHA-256 of bytes (a Uint8Array) as eight big-endian 32-bit words in out (a Uint32Array(8)).
export function sha256Words(bytes, out) {
  const n = bytes.length, blocks = Math.ceil((n + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(bytes);
  m[n] = 0x80;
  const bits = n * 8, end = blocks * 64;
  m[end - 5] = Math.floor(bits / 0x100000000) & 0xff;
  m[end - 4] = (bits >>> 24) & 0xff;
  m[end - 3] = (bits >>> 16) & 0xff;
  m[end - 2] = (bits >>> 8) & 0xff;
  m[end - 1] = bits & 0xff;
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  const w = W256;
  for (let b = 0; b < end; b += 64) {
    for (let i = 0; i < 16; i++) {
      const j = b + 4 * i;
      w[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K256[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  out[0] = h0; out[1] = h1; out[2] = h2; out[3] = h3; out[4] = h4; out[5] = h5; out[6] = h6; out[7] = h7;
  return out;
}

// sha256Words as 32 bytes.
export function sha256Sync(bytes) {
  const w = sha256Words(bytes, new Uint32Array(8)), out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = w[i] >>> 24; out[4 * i + 1] = (w[i] >>> 16) & 0xff; out[4 * i + 2] = (w[i] >>> 8) & 0xff; out[4 * i + 3] = w[i] & 0xff;
  }
  return out;
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Byte-order (UTF-8) comparison of two strings: <0, 0, >0.
export function compareBytes(a, b) {
  const x = utf8(a), y = utf8(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---- list hash (H_c, H_i) ----

// SHA-256 of "item\n" for each item. Also reports problems: empty/newline items and order breaks.
// tick (optional) is called with the number of items done every 65536 items (progress of a large list).
export async function listHash(items, tick) {
  const problems = [];
  // Every item is encoded once, straight into one growing buffer; the order check compares the
  // bytes already there (a stratum may hold 1,000,000 candidates).
  let buf = new Uint8Array(Math.max(64, items.length * 20));
  let o = 0, prevK = -1, prevStart = 0, prevEnd = 0;
  for (let k = 0; k < items.length; k++) {
    if (tick && k && (k & 0xffff) === 0) tick(k);
    const s = items[k];
    if (s === '' || s.includes('\n') || s.includes('\0')) {
      problems.push({ kind: 'bad_item', position: k, item: s });
      continue; // not hashed, as in draw_list_add
    }
    if (o + s.length * 3 + 1 > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, o + s.length * 3 + 1));
      bigger.set(buf.subarray(0, o));
      buf = bigger;
    }
    // ASCII (every USCC) is copied byte by byte here: a TextEncoder call per item costs more than
    // the copy in a browser; anything else goes through the encoder.
    const start = o;
    let end = o, n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) { end = -1; break; }
      buf[end++] = c;
    }
    if (end < 0) end = o + enc.encodeInto(s, buf.subarray(o)).written;
    if (k > 0) {
      const c = prevK === k - 1 ? compareRanges(buf, prevStart, prevEnd, start, end) : compareBytes(items[k - 1], s);
      if (c >= 0) problems.push({ kind: 'order', position: k, item: s, prev: items[k - 1] });
    }
    buf[end] = 10;
    o = end + 1;
    prevK = k;
    prevStart = start;
    prevEnd = end;
  }
  const bytes = buf.subarray(0, o);
  return { hash: await sha256(bytes), problems, bytes };
}

// compareBytes of two ranges of one buffer.
function compareRanges(b, a0, a1, b0, b1) {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) if (b[a0 + i] !== b[b0 + i]) return b[a0 + i] - b[b0 + i];
  return (a1 - a0) - (b1 - b0);
}

// ---- stream, uniform, partial Fisher-Yates ----

// The SHA-256 counter stream over prefix: block j = SHA-256(prefix || uint64_be(j)),
// four big-endian u64 per block. Synchronous (sha256Words); next() and uniform() return plain
// values (callers that await them still work).
export class Stream {
  constructor(prefix) {
    this.msg = new Uint8Array(prefix.length + 8);
    this.msg.set(prefix);
    this.ctr = new DataView(this.msg.buffer, prefix.length, 8);
    this.block = -1;
    this.words = new Uint32Array(8);
    this.pos = 4;
    this.consumed = 0;
  }
  // The next u64 as its two 32-bit halves in this.hi, this.lo.
  next32() {
    if (this.pos >= 4) {
      this.block += 1;
      this.ctr.setUint32(0, Math.floor(this.block / 0x100000000), false);
      this.ctr.setUint32(4, this.block >>> 0, false);
      sha256Words(this.msg, this.words);
      this.pos = 0;
    }
    this.consumed += 1;
    this.hi = this.words[2 * this.pos] >>> 0;
    this.lo = this.words[2 * this.pos + 1] >>> 0;
    this.pos += 1;
  }
  next() {
    this.next32();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
  // uniform(m), m >= 1: rejection sampling with limit = 2^64 - (2^64 mod m). For m <= 2^21 the
  // arithmetic is exact in doubles: t = 2^32 mod m, r = 2^64 mod m = t*t mod m, x >= 2^64 - r only
  // when hi = 2^32 - 1 and lo >= 2^32 - r, and x mod m = ((hi mod m) * t + lo) mod m.
  uniform(m) {
    if (m <= 0x200000) {
      const t = 0x100000000 % m, r = (t * t) % m;
      for (;;) {
        this.next32();
        if (r !== 0 && this.hi === 0xffffffff && this.lo >= 0x100000000 - r) continue;
        return ((this.hi % m) * t + this.lo) % m;
      }
    }
    const M = BigInt(m);
    const limit = TWO64 - (TWO64 % M);
    for (;;) {
      const x = this.next();
      if (x < limit) return Number(x % M);
    }
  }
}

// Partial Fisher-Yates of k steps over N indices: returns [a[0], …, a[k-1]] (indices into the
// pool) and the number of stream integers used.
export async function selectIndices(prefix, N, k) {
  if (k > N) throw new Error(`k (${k}) > N (${N})`);
  const st = new Stream(prefix);
  const out = new Array(k);
  // displaced entries as index + 1 in a typed array (0: not displaced): 4 bytes per candidate,
  // several times quicker than a Map of a stratum's hundreds of thousands of entries
  const a = new Int32Array(N);
  for (let i = 0; i < k; i++) {
    const j = i + st.uniform(N - i);
    const ai = a[i] ? a[i] - 1 : i, aj = a[j] ? a[j] - 1 : j;
    a[i] = aj + 1;
    a[j] = ai + 1;
    out[i] = aj;
  }
  return { indices: out, wordsUsed: st.consumed };
}

export function stratumPrefix(seed, hc, s) {
  return concatBytes(seed, hc, u32be(s));
}

export function slotPrefix(seedT, hi, uscc, slot) {
  return concatBytes(seedT, hi, utf8(uscc), u32be(slot));
}

export async function commitmentOf(secret) {
  return sha256(secret);
}

export async function seedOf(secret, witness) {
  return sha256(concatBytes(secret, utf8(witness)));
}

// v2: witness_commitment = SHA-256(witness).
export async function witnessCommitmentOf(witness) {
  return sha256(utf8(witness));
}

// v2: seed = SHA-256(secret ‖ SHA-256(witness) ‖ SHA-256(beacon)).
export async function seedV2Of(secret, witness, beacon) {
  return sha256(concatBytes(secret, await sha256(utf8(witness)), await sha256(utf8(beacon))));
}

// Convenience for the §9 test vector and for staff previews: draws n of the sorted candidates
// of one stratum. Returns hex values and the selection.
// With beacon set, the seed is v2's (SPEC §12) and witness_commitment is returned too.
export async function drawStratum({ secret, witness, beacon, strata, stratum = 0, n }) {
  const all = await listHash(strata.flat());
  const seed = beacon === undefined ? await seedOf(secret, witness) : await seedV2Of(secret, witness, beacon);
  const cands = strata[stratum];
  const { indices } = await selectIndices(stratumPrefix(seed, all.hash, stratum), cands.length, n);
  return {
    commitment: bytesToHex(await commitmentOf(secret)),
    seed: bytesToHex(seed),
    ...(beacon === undefined ? {} : { witness_commitment: bytesToHex(await witnessCommitmentOf(witness)) }),
    candidates_hash: bytesToHex(all.hash),
    selected: indices.map((i) => cands[i]),
  };
}

// ---- announcement verification ----

class Malformed extends Error {}

function isObj(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function field(obj, key, where, required) {
  if (!isObj(obj)) throw new Malformed(`${where} 不是对象`);
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new Malformed(`缺少字段 ${where}.${key}`);
    return undefined;
  }
  return v;
}

function getString(obj, key, where, required) {
  const v = field(obj, key, where, required);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Malformed(`${where}.${key} 应为字符串`);
  return v;
}

function getArray(obj, key, where, required) {
  const v = field(obj, key, where, required);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new Malformed(`${where}.${key} 应为数组`);
  return v;
}

function getStringArray(obj, key, where, required) {
  const v = getArray(obj, key, where, required);
  if (v === undefined) return undefined;
  v.forEach((e, k) => {
    if (typeof e !== 'string') throw new Malformed(`${where}.${key}[${k}] 应为字符串`);
  });
  return v;
}

function getInt(obj, key, where, required) {
  const v = field(obj, key, where, required);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) throw new Malformed(`${where}.${key} 应为整数`);
  return v;
}

function getHash(obj, key, where, required, n = 32) {
  const v = getString(obj, key, where, required);
  if (v === undefined) return undefined;
  const b = hexToBytes(v, n);
  if (!b) throw new Malformed(`${where}.${key} 应为 ${2 * n} 位十六进制数`);
  return b;
}

// Human labels of the checks (check names are those of core/verify.c).
export const CHECK_LABELS = {
  algorithm: '算法名称',
  commitment: '承诺值等于秘密值的 SHA-256 散列',
  seed: '种子',
  witness_commitment: '见证文字与事先公布的见证承诺值相符',
  beacon_source: '事先公布的公共随机数来源',
  attempts: '抽取次数与重抽理由',
  size: '候选数量',
  candidates_order: '候选名单按字节序排列且不重复',
  stratum_candidates_hash: '本层候选名单散列',
  selection: '抽中名单',
  candidates_hash: '全部候选名单散列 H_c',
  teams_algorithm: '检查组抽取算法名称',
  teams_commitment: '检查组承诺值',
  teams_seed: '检查组种子',
  teams_witness_commitment: '检查组见证承诺值',
  teams_beacon_source: '检查组公共随机数来源',
  team_unit: '检查组对应的被抽中单位',
  team_appointed: '直接委派的理由',
  team_members: '检查组成员与抽取结果一致',
  team_method: '检查组产生方式',
  team_distinct: '检查组成员不重复',
  team_leader: '组长是检查组成员',
  slot_unique: '名额编号不重复',
  slot_pool_order: '人员池按执法证号排序且不重复',
  slot_pool_hash: '人员池散列 H_i',
  slot_picks: '抽中的检查人员',
  slot_redraws: '回避/替换的重抽',
  teams_pool_order: '锁定时承诺的人员池按执法证号排序且不重复',
  teams_pool_hash: '锁定时承诺的人员池散列',
  team_committed_pool: '检查人员均来自锁定时承诺的人员池',
};

// Verifies an announcement (SPEC §8 / core/verify.h shape). Never throws for bad input:
// returns {ok, malformed?, checks:[{check, ok, stratum?, name?, uscc?, slot?, label}], errors:[…]}.
// opts.onProgress (optional): called with ({ done, total }) in candidates of the draw as they are
// hashed and drawn, so a page (or js/verify-worker.js) can show how far a large announcement is.
export async function verifyAnnouncement(ann, opts = {}) {
  const v = { checks: [], errors: [], progress: typeof opts.onProgress === 'function' ? opts.onProgress : null };
  const add = (c, ok) => {
    c.ok = !!ok;
    c.label = CHECK_LABELS[c.check] || c.check;
    v.checks.push(c);
  };
  const err = (m) => v.errors.push(m);
  try {
    if (!isObj(ann)) throw new Malformed('公告不是 JSON 对象');
    const draw = field(ann, 'draw', '公告', true);
    const selectedSet = new Set();
    await verifyDraw(v, add, err, draw, selectedSet);
    await verifyTeams(v, add, err, ann, selectedSet);
  } catch (e) {
    if (e instanceof Malformed) {
      return { ok: false, malformed: e.message, checks: v.checks, errors: v.errors.concat([`公告格式错误：${e.message}`]) };
    }
    return { ok: false, malformed: String(e && e.message ? e.message : e), checks: v.checks, errors: v.errors.concat([`校验出错：${e}`]) };
  }
  return { ok: v.errors.length === 0, checks: v.checks, errors: v.errors };
}

// v2 (SPEC §12) also checks witness_commitment = SHA-256(witness) and a named beacon_source, and
// takes the seed over SHA-256(witness) and SHA-256(beacon).
async function verifySeed(add, err, d, where, teams, v2) {
  const secret = getHash(d, 'secret', where, true);
  const witness = getString(d, 'witness', where, true);
  const seedAnn = getHash(d, 'seed', where, true);
  const commitAnn = getHash(d, 'commitment', where, true);
  const wcAnn = v2 ? getHash(d, 'witness_commitment', where, true) : null;
  const source = v2 ? getString(d, 'beacon_source', where, true) : null;
  const beacon = v2 ? getString(d, 'beacon', where, true) : null;
  const p = teams ? '检查组' : '';
  const q = teams ? 'teams_' : '';
  const commit = await commitmentOf(secret);
  let ok = bytesEqual(commit, commitAnn);
  if (!ok) err(`${p}承诺值不符：SHA-256(secret) = ${bytesToHex(commit)}，公告为 ${bytesToHex(commitAnn)}`);
  add({ check: `${q}commitment` }, ok);
  if (v2) {
    const wc = await witnessCommitmentOf(witness);
    ok = bytesEqual(wc, wcAnn);
    if (!ok) err(`${p}见证承诺值不符：SHA-256(witness) = ${bytesToHex(wc)}，冻结时公布的为 ${bytesToHex(wcAnn)}（揭示的见证文字与事先承诺的不同）`);
    add({ check: `${q}witness_commitment` }, ok);
    ok = source !== '';
    if (!ok) err(`${p}没有事先公布公共随机数来源（beacon_source 为空）`);
    add({ check: `${q}beacon_source` }, ok);
  }
  const seed = v2 ? await seedV2Of(secret, witness, beacon) : await seedOf(secret, witness);
  ok = bytesEqual(seed, seedAnn);
  const formula = v2 ? 'SHA-256(secret ‖ SHA-256(witness) ‖ SHA-256(beacon))' : 'SHA-256(secret ‖ witness)';
  if (!ok) err(`${p}种子不符：${formula} = ${bytesToHex(seed)}，公告为 ${bytesToHex(seedAnn)}`);
  add({ check: `${q}seed` }, ok);
  return seed;
}

function reportOrder(err, who, what, problems) {
  let shown = 0;
  for (const p of problems) {
    if (++shown > MAX_DIFF_MESSAGES) break;
    if (p.kind === 'bad_item') err(`${who}：${what}第 ${p.position} 项（"${p.item}"）为空或含换行`);
    else err(`${who}：${what}在第 ${p.position} 位未按字节序排列或有重复："${p.item}" 排在 "${p.prev}" 之后`);
  }
  if (problems.length > MAX_DIFF_MESSAGES) err(`${who}：另有 ${problems.length - MAX_DIFF_MESSAGES} 处${what}顺序问题`);
}

// Compares announced[k] with pool[idx[k]]; returns the number of differences.
function comparePicks(err, who, what, pool, idx, announced, n) {
  let diffs = 0;
  let poolSet = null;   // only to explain a difference: a stratum's pool may hold 1,000,000 units
  for (let k = 0; k < n; k++) {
    const want = pool[idx[k]], got = announced[k];
    if (want === got) continue;
    if (++diffs <= MAX_DIFF_MESSAGES) {
      if (!poolSet) poolSet = new Set(pool);
      err(`${who}：${what}第 ${k + 1} 位（位置 ${k}）不符：应为 ${want}，公告为 ${got}${poolSet.has(got) ? '' : '（不在候选名单中）'}`);
    }
  }
  if (diffs > MAX_DIFF_MESSAGES) err(`${who}：另有 ${diffs - MAX_DIFF_MESSAGES} 处${what}不符`);
  return diffs;
}

async function verifyDraw(v, add, err, d, selectedSet) {
  if (!isObj(d)) throw new Malformed('draw 不是对象');
  const alg = getString(d, 'algorithm', 'draw', true);
  const v2 = alg === ALGORITHM_V2;
  let ok = v2 || alg === ALGORITHM;
  if (!ok) err(`算法为 "${alg}"，应为 "${ALGORITHM}" 或 "${ALGORITHM_V2}"`);
  add({ check: 'algorithm' }, ok);

  const seed = await verifySeed(add, err, d, 'draw', false, v2);
  const hcAnn = getHash(d, 'candidates_hash', 'draw', true);
  const attempts = getInt(d, 'attempts', 'draw', true);
  const redraws = getArray(d, 'redraws', 'draw', false);
  const strata = getArray(d, 'strata', 'draw', true);

  ok = attempts >= 1;
  if (!ok) err(`抽取次数为 ${attempts}，至少应为 1`);
  if (ok && attempts > 1) {
    const nr = redraws ? redraws.length : 0;
    if (nr !== attempts - 1) {
      err(`抽取了 ${attempts} 次，但公布的重抽理由有 ${nr} 条（应为 ${attempts - 1} 条）`);
      ok = false;
    }
    for (let k = 0; k < nr; k++) {
      const reason = getString(redraws[k], 'reason', `draw.redraws[${k}]`, true);
      if (!reason) {
        err(`第 ${k + 1} 次重抽没有理由`);
        ok = false;
      }
    }
  }
  add({ check: 'attempts' }, ok);

  let stratumMismatch = false, hasStratumHashes = true;
  const allParts = [];
  const total = strata.reduce((a, st) => a + (isObj(st) && Array.isArray(st.candidates) ? st.candidates.length : 0), 0);
  let done = 0;
  const tell = (k) => { if (v.progress) v.progress({ done: done + k, total }); };
  tell(0);
  for (let s = 0; s < strata.length; s++) {
    const st = strata[s];
    const where = `draw.strata[${s}]`;
    if (!isObj(st)) throw new Malformed(`${where} 不是对象`);
    const name = getString(st, 'name', where, true);
    const cands = getStringArray(st, 'candidates', where, true);
    const sel = getStringArray(st, 'selected', where, true);
    const size = getInt(st, 'size', where, false);
    const annHash = getHash(st, 'candidates_hash', where, false);
    if (!annHash) hasStratumHashes = false;
    const who = `第 ${s} 层（"${name}"）`;
    const N = cands.length, n = sel.length;
    if (size !== undefined) {
      const sok = size === N;
      if (!sok) err(`${who}：公布的数量为 ${size}，但列出了 ${N} 个候选`);
      add({ check: 'size', stratum: s, name }, sok);
    }
    const lh = await listHash(cands, tell);
    allParts.push(lh.bytes);
    reportOrder(err, who, '候选名单', lh.problems);
    add({ check: 'candidates_order', stratum: s, name }, lh.problems.length === 0);
    if (annHash) {
      const hok = bytesEqual(lh.hash, annHash);
      if (!hok) {
        err(`${who}：本层候选名单散列不符：按列出的候选计算为 ${bytesToHex(lh.hash)}，公告为 ${bytesToHex(annHash)}`);
        stratumMismatch = true;
      }
      add({ check: 'stratum_candidates_hash', stratum: s, name }, hok);
    }
    if (n > N) {
      err(`${who}：抽中 ${n} 个，但只有 ${N} 个候选`);
      add({ check: 'selection', stratum: s, name }, false);
    } else {
      const { indices } = await selectIndices(stratumPrefix(seed, hcAnn, s), N, n);
      const diffs = comparePicks(err, who, '抽中名单', cands, indices, sel, n);
      add({ check: 'selection', stratum: s, name, expected: indices.map((i) => cands[i]) }, diffs === 0);
    }
    for (const u of sel) selectedSet.add(u);
    done += N;
    tell(0);
  }
  const hc = await sha256(joinBytes(allParts));
  const hok = bytesEqual(hc, hcAnn);
  if (!hok) {
    err(`全部候选名单散列 H_c 不符：按各层列出的候选计算为 ${bytesToHex(hc)}，公告为 ${bytesToHex(hcAnn)}`);
    if (!stratumMismatch) {
      err(hasStratumHashes
        ? 'H_c 不符但每层自己的散列都相符：有分层被增加、删除或调换顺序，或 H_c 被改动'
        : 'H_c 不符；各层未都公布自己的散列，被改动的分层只能由上面的排序和抽中名单检查指出');
    }
  }
  add({ check: 'candidates_hash' }, hok);
}

async function verifySlot(add, err, slot, where, uscc, seedT, slotNumbers, finalTeam) {
  if (!isObj(slot)) throw new Malformed(`${where} 不是对象`);
  const num = getInt(slot, 'slot', where, true);
  const label = getString(slot, 'name', where, false);
  const pool = getStringArray(slot, 'pool', where, true);
  const annHi = getHash(slot, 'pool_hash', where, false);
  const picks = getStringArray(slot, 'picks', where, true);
  const redraws = getArray(slot, 'redraws', where, false) || [];
  if (num < 0 || num > 0xffffffff) throw new Malformed(`${where}.slot 应在 0 到 4294967295 之间`);
  const who = label ? `检查组 ${uscc} 名额 ${num}（"${label}"）` : `检查组 ${uscc} 名额 ${num}`;
  if (slotNumbers.has(num)) {
    err(`${who}：名额编号在同一检查组中重复使用`);
    add({ check: 'slot_unique', uscc, slot: num }, false);
  }
  slotNumbers.add(num);

  const lh = await listHash(pool);
  reportOrder(err, who, '人员池', lh.problems);
  add({ check: 'slot_pool_order', uscc, slot: num }, lh.problems.length === 0);
  if (annHi) {
    const ok = bytesEqual(lh.hash, annHi);
    if (!ok) err(`${who}：人员池散列不符：计算为 ${bytesToHex(lh.hash)}，公告为 ${bytesToHex(annHi)}`);
    add({ check: 'slot_pool_hash', uscc, slot: num }, ok);
  }
  const N = pool.length, k = picks.length, R = redraws.length;
  const current = picks.slice();
  if (k + R > N) {
    err(`${who}：抽中 ${k} 人、重抽 ${R} 次，但人员池只有 ${N} 人`);
    add({ check: 'slot_picks', uscc, slot: num }, false);
  } else {
    const { indices } = await selectIndices(slotPrefix(seedT, lh.hash, uscc, num), N, k + R);
    const diffs = comparePicks(err, who, '抽中人员', pool, indices, picks, k);
    add({ check: 'slot_picks', uscc, slot: num }, diffs === 0);
    let rok = true;
    for (let j = 0; j < R; j++) {
      const rw = `${where}.redraws[${j}]`;
      const r = redraws[j];
      if (!isObj(r)) throw new Malformed(`${rw} 不是对象`);
      const pos = getInt(r, 'position', rw, true);
      const removed = getString(r, 'removed', rw, true);
      const repl = getString(r, 'replacement', rw, true);
      const reason = getString(r, 'reason', rw, true);
      const want = pool[indices[k + j]];
      if (!reason) {
        err(`${who}：第 ${j + 1} 次重抽没有理由`);
        rok = false;
      }
      if (pos < 0 || pos >= k) {
        err(`${who}：第 ${j + 1} 次重抽的位置 ${pos} 不是抽中位置（0..${k ? k - 1 : 0}）`);
        rok = false;
      } else {
        if (current[pos] !== removed) {
          err(`${who}：第 ${j + 1} 次重抽替换的是 ${removed}，但位置 ${pos} 上是 ${current[pos]}`);
          rok = false;
        }
        current[pos] = repl;
      }
      if (want !== repl) {
        err(`${who}：第 ${j + 1} 次重抽的替补不符：应为 ${want}（随机流第 ${k + j} 步），公告为 ${repl}`);
        rok = false;
      }
    }
    if (R > 0) add({ check: 'slot_redraws', uscc, slot: num }, rok);
  }
  finalTeam.push(...current);
}

async function verifyTeams(v, add, err, ann, selectedSet) {
  const teams = getArray(ann, 'teams', '公告', false);
  const td = field(ann, 'teams_draw', '公告', false);
  let seedT = null;
  if (td !== undefined) {
    if (!isObj(td)) throw new Malformed('teams_draw 不是对象');
    const alg = getString(td, 'algorithm', 'teams_draw', false);
    const v2 = alg === ALGORITHM_V2;
    if (alg !== undefined) {
      const ok = v2 || alg === ALGORITHM;
      if (!ok) err(`检查组抽取算法为 "${alg}"，应为 "${ALGORITHM}" 或 "${ALGORITHM_V2}"`);
      add({ check: 'teams_algorithm' }, ok);
    }
    seedT = await verifySeed(add, err, td, 'teams_draw', true, v2);
  }
  if (!teams) return;
  const seen = new Set();
  for (let t = 0; t < teams.length; t++) {
    const team = teams[t];
    const where = `teams[${t}]`;
    if (!isObj(team)) throw new Malformed(`${where} 不是对象`);
    const uscc = getString(team, 'uscc', where, true);
    const method = getString(team, 'method', where, true);
    const leader = getString(team, 'leader', where, true);
    const reason = getString(team, 'reason', where, false);
    const inspectors = getStringArray(team, 'inspectors', where, false);
    const slots = getArray(team, 'slots', where, false);
    let ok = selectedSet.has(uscc);
    if (!ok) err(`检查组 ${uscc}：该单位不在抽中名单中`);
    if (seen.has(uscc)) {
      err(`检查组 ${uscc}：该单位有不止一个检查组`);
      ok = false;
    }
    seen.add(uscc);
    add({ check: 'team_unit', uscc }, ok);
    let finalTeam;
    if (method === 'appointed') {
      ok = !!reason;
      if (!ok) err(`检查组 ${uscc}：直接委派但没有理由`);
      if (!inspectors) throw new Malformed(`${where}.inspectors 缺失（直接委派的检查组必须列出）`);
      add({ check: 'team_appointed', uscc }, ok);
      finalTeam = inspectors.slice();
    } else if (method === 'random') {
      if (!slots || slots.length === 0) throw new Malformed(`${where}.slots 缺失或为空（随机抽取的检查组必须列出）`);
      if (!seedT) throw new Malformed(`缺少 teams_draw，但检查组 ${uscc} 是随机抽取的`);
      finalTeam = [];
      const slotNumbers = new Set();
      for (let k = 0; k < slots.length; k++) {
        await verifySlot(add, err, slots[k], `${where}.slots[${k}]`, uscc, seedT, slotNumbers, finalTeam);
      }
      if (inspectors) {
        const a = finalTeam.slice().sort(), b = inspectors.slice().sort();
        ok = a.length === b.length && a.every((x, i) => x === b[i]);
        if (!ok) err(`检查组 ${uscc}：公布的成员与各名额（含重抽）的抽取结果不一致`);
        add({ check: 'team_members', uscc }, ok);
      }
    } else {
      err(`检查组 ${uscc}：未知的产生方式 "${method}"（应为 random 或 appointed）`);
      add({ check: 'team_method', uscc }, false);
      continue;
    }
    const sorted = finalTeam.slice().sort();
    ok = true;
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i - 1] === sorted[i]) {
        err(`检查组 ${uscc}：检查人员 ${sorted[i]} 出现两次`);
        ok = false;
      }
    }
    add({ check: 'team_distinct', uscc }, ok);
    // an appointed team whose every position awaits the executing unit's appointment (7.3) has no
    // leader yet: leader "" and no members
    ok = sorted.includes(leader) || (sorted.length === 0 && leader === '' && method === 'appointed');
    if (!ok) err(`检查组 ${uscc}：组长 ${leader} 不是检查组成员`);
    add({ check: 'team_leader', uscc }, ok);
  }
  // The pool committed at lock: its hash, and every slot pool, appointee and member comes from it.
  const tp = field(ann, 'teams_pool', '公告', false);
  if (tp === undefined) return;
  if (!isObj(tp)) throw new Malformed('teams_pool 不是对象');
  const committed = getStringArray(tp, 'inspectors', 'teams_pool', true);
  const annHash = getHash(tp, 'hash', 'teams_pool', true);
  const lh = await listHash(committed);
  reportOrder(err, '锁定时承诺的人员池', '人员', lh.problems);
  add({ check: 'teams_pool_order' }, lh.problems.length === 0);
  const hok = bytesEqual(lh.hash, annHash);
  if (!hok) err(`锁定时承诺的人员池散列不符：计算为 ${bytesToHex(lh.hash)}，公告为 ${bytesToHex(annHash)}`);
  add({ check: 'teams_pool_hash' }, hok);
  const set = new Set(committed);
  for (const team of teams) {
    const all = [...(team.inspectors || []), ...(team.slots || []).flatMap((sl) => [...(sl.pool || []), ...(sl.appointed || [])])];
    const missing = all.find((c) => typeof c === 'string' && !set.has(c));
    if (missing) err(`检查组 ${team.uscc}：检查人员 ${missing} 不在锁定时承诺的人员池中`);
    add({ check: 'team_committed_pool', uscc: team.uscc }, !missing);
  }
}

// The SPEC §12 v2 test vector (§9's secret and candidates), runnable from the page and the tests.
export const V2_BEACON = '福彩3D 2026058期 开奖号码 3 7 1';
export async function selfTestV2() {
  const secret = new Uint8Array(32).map((_, i) => i);
  const cands = Array.from({ length: 50 }, (_, i) => 'A' + String(i).padStart(3, '0'));
  const r = await drawStratum({ secret, witness: 'witness', beacon: V2_BEACON, strata: [cands], n: 5 });
  const expected = ['A041', 'A044', 'A024', 'A005', 'A047'];
  const expectedSeed = 'b02ab84d68073cfa7007b09c51d7ce22f0eeb09454e7f89851b239940273a220';
  const expectedWc = 'ba1c566a4bad288c22a0b7511458c92ca5822cd41632e51806e9ea75ed12d13d';
  return {
    ok: r.selected.join(',') === expected.join(',') && r.seed === expectedSeed && r.witness_commitment === expectedWc,
    expected, ...r,
  };
}

// The SPEC §9 test vector, runnable from the page and the tests.
export async function selfTest() {
  const secret = new Uint8Array(32).map((_, i) => i);
  const cands = Array.from({ length: 50 }, (_, i) => 'A' + String(i).padStart(3, '0'));
  const r = await drawStratum({ secret, witness: 'witness', strata: [cands], n: 5 });
  const expected = ['A031', 'A044', 'A028', 'A042', 'A043'];
  return { ok: r.selected.join(',') === expected.join(','), expected, ...r };
}
