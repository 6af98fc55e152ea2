// verify-worker.js: a Web Worker (module) that fetches, parses and re-checks one announcement with
// js/verify.js, so that the portal page never blocks on a large one (a 1,000,000-unit announcement
// is hundreds of MB of JSON). Used by web/public/portal.js.
// In:  { url }                    the announcement's address (same origin)
// Out: { type: 'summary', ann }   the announcement for display, each stratum's candidate list cut to
//                                 the first SUMMARY_CANDIDATES with candidates_total added
//      { type: 'progress', done, total, phase }   phase 'download' | 'parse' | 'verify'
//      { type: 'done', rep }       verify.js's report {ok, checks, errors}
//      { type: 'error', message, status }   HTTP status (if any) and a Chinese message
import { verifyAnnouncement } from './verify.js';

const SUMMARY_CANDIDATES = 2000;

// What the page shows, small enough to hand over without blocking it: the candidate lists cut to
// SUMMARY_CANDIDATES, each stratum's selected units as one text "USCC\tname" per line
// (selected_lines), the teams as one JSON object per line (teams_lines, with unit_name), and no
// "units" list (the names are in those lines). One long string crosses to the page in a moment;
// tens of thousands of objects would not.
function summary(ann) {
  if (!ann || typeof ann !== 'object') return ann;
  const names = new Map((Array.isArray(ann.units) ? ann.units : []).map((x) => [x && x.uscc, x && x.name]));
  const out = { ...ann };
  delete out.units;
  const draw = ann.draw;
  if (draw && typeof draw === 'object' && Array.isArray(draw.strata)) {
    out.draw = { ...draw, strata: draw.strata.map((s) => {
      if (!s || typeof s !== 'object') return s;
      const t = { ...s };
      if (Array.isArray(s.candidates)) {
        t.candidates = s.candidates.slice(0, SUMMARY_CANDIDATES);
        t.candidates_total = s.candidates.length;
      }
      if (Array.isArray(s.selected)) {
        t.selected_lines = s.selected.map((u) => `${u}\t${names.get(u) || ''}`).join('\n');
        t.selected_total = s.selected.length;
        delete t.selected;
      }
      return t;
    }) };
  }
  if (Array.isArray(ann.teams)) {
    out.teams_lines = ann.teams.map((x) => JSON.stringify({ ...x, unit_name: names.get(x && x.uscc) || '' })).join('\n');
    out.teams_total = ann.teams.length;
    out.teams_random = ann.teams.filter((x) => x && x.method === 'random').length;
    delete out.teams;
  }
  return out;
}

// The body as text, read as a stream (progress: bytes so far) into one buffer and decoded once:
// in a browser this is several times quicker than Response.text() for tens of MB.
async function readText(r) {
  if (!r.body || !r.body.getReader) return r.text();
  const reader = r.body.getReader();
  let buf = new Uint8Array(1 << 20), n = 0, last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, n + value.length));
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
    buf.set(value, n);
    n += value.length;
    const now = Date.now();
    if (now - last >= 100) {
      last = now;
      self.postMessage({ type: 'progress', phase: 'download', done: n, total: 0 });
    }
  }
  return new TextDecoder().decode(buf.subarray(0, n));
}

self.onmessage = async (ev) => {
  const { url } = ev.data || {};
  try {
    self.postMessage({ type: 'progress', phase: 'download', done: 0, total: 0 });
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const text = await readText(r);
    if (!r.ok) {
      let message = `HTTP ${r.status}`;
      try { message = JSON.parse(text).message || message; } catch (e) { /* not JSON */ }
      self.postMessage({ type: 'error', status: r.status, message });
      return;
    }
    self.postMessage({ type: 'progress', phase: 'parse', done: 0, total: 0 });
    const ann = JSON.parse(text);
    self.postMessage({ type: 'summary', ann: summary(ann) });
    let last = 0;
    const rep = await verifyAnnouncement(ann, {
      onProgress: ({ done, total }) => {
        const now = Date.now();
        if (now - last < 100 && done < total) return;   // at most ten messages a second
        last = now;
        self.postMessage({ type: 'progress', phase: 'verify', done, total });
      },
    });
    // the page shows checks and errors; a stratum's recomputed selection (expected) of tens of
    // thousands of units is only sent when it is short enough to show
    rep.checks = rep.checks.map((c) => (Array.isArray(c.expected) && c.expected.length > 100 ? { ...c, expected: undefined } : c));
    self.postMessage({ type: 'done', rep });
  } catch (e) {
    self.postMessage({ type: 'error', message: `核验出错：${e && e.message ? e.message : e}` });
  }
};
