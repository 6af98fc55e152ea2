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

function summary(ann) {
  const draw = ann && typeof ann === 'object' ? ann.draw : null;
  if (!draw || !Array.isArray(draw.strata)) return ann;
  const strata = draw.strata.map((s) => {
    if (!s || typeof s !== 'object' || !Array.isArray(s.candidates)) return s;
    return { ...s, candidates: s.candidates.slice(0, SUMMARY_CANDIDATES), candidates_total: s.candidates.length };
  });
  return { ...ann, draw: { ...draw, strata } };
}

self.onmessage = async (ev) => {
  const { url } = ev.data || {};
  try {
    self.postMessage({ type: 'progress', phase: 'download', done: 0, total: 0 });
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const text = await r.text();
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
    self.postMessage({ type: 'done', rep });
  } catch (e) {
    self.postMessage({ type: 'error', message: `核验出错：${e && e.message ? e.message : e}` });
  }
};
