// verify-worker.js: a Web Worker (module) that fetches, parses and re-checks one announcement with
// js/verify.js, so that the portal page never blocks on a large one (a 1,000,000-unit announcement
// is tens of MB of JSON). Used by web/public/portal.js.
// In:  { url }                    the announcement's address (same origin)
// Out: { type: 'summary', ann }   the announcement for display, each stratum's candidate list cut to
//                                 the first SUMMARY_CANDIDATES with candidates_total added, and
//                                 selected_total / teams_total / teams_random instead of the lists
//      { type: 'lines', key, bytes }  then each list as one UTF-8 text (a Uint8Array, its buffer
//                                 transferred), a line per entry: key = the stratum's index
//                                 ("USCC\tname" per selected unit) or 'teams' (a team as JSON,
//                                 with unit_name, per line)
//      { type: 'progress', done, total, phase }   phase 'download' | 'parse' | 'verify'
//      { type: 'done', rep }       verify.js's report {ok, checks, errors}
//      { type: 'error', message, status }   HTTP status (if any) and a Chinese message
import { verifyAnnouncement } from './verify.js';

const SUMMARY_CANDIDATES = 2000;

// What the page shows, small enough to hand over without blocking it: the candidate lists cut to
// SUMMARY_CANDIDATES, and no "units", selected or teams lists. Those go after it as one UTF-8 text
// each (lines), each its own message, the bytes handed over rather than copied: the page decodes
// only the lines it shows, and each of its tasks stays short however long the list.
// Returns { out, lines: [[key, text]…] }.
function summary(ann) {
  if (!ann || typeof ann !== 'object') return { out: ann, lines: [] };
  const units = Array.isArray(ann.units) ? ann.units : [];
  // units come in the strata's order (and the teams in it too): the name at the same position,
  // through a map only when they do not
  let names = null;
  const nameAt = (uscc, i) => {
    const x = units[i];
    if (x && x.uscc === uscc) return x.name || '';
    if (!names) names = new Map(units.map((y) => [y && y.uscc, y && y.name]));
    return names.get(uscc) || '';
  };
  const out = { ...ann };
  delete out.units;
  const lines = [];
  const draw = ann.draw;
  if (draw && typeof draw === 'object' && Array.isArray(draw.strata)) {
    let at = 0;
    out.draw = { ...draw, strata: draw.strata.map((s, i) => {
      if (!s || typeof s !== 'object') return s;
      const t = { ...s };
      if (Array.isArray(s.candidates)) {
        t.candidates = s.candidates.slice(0, SUMMARY_CANDIDATES);
        t.candidates_total = s.candidates.length;
      }
      if (Array.isArray(s.selected)) {
        const rows = new Array(s.selected.length);
        for (let j = 0; j < rows.length; j++) rows[j] = `${s.selected[j]}\t${nameAt(s.selected[j], at + j)}`;
        at += rows.length;
        lines.push([i, rows.join('\n')]);
        t.selected_total = s.selected.length;
        delete t.selected;
      }
      return t;
    }) };
  }
  if (Array.isArray(ann.teams)) {
    lines.push(['teams', ann.teams.map((x, i) => JSON.stringify({ ...x, unit_name: nameAt(x && x.uscc, i) })).join('\n')]);
    out.teams_total = ann.teams.length;
    out.teams_random = ann.teams.filter((x) => x && x.method === 'random').length;
    delete out.teams;
  }
  return { out, lines };
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
    const { out, lines } = summary(ann);
    self.postMessage({ type: 'summary', ann: out });
    const enc = new TextEncoder();
    for (const [key, t] of lines) {
      const bytes = enc.encode(t);
      self.postMessage({ type: 'lines', key, bytes }, [bytes.buffer]);
    }
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
