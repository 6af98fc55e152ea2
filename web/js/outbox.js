// outbox.js: inspection records entered without a connection, kept in this browser (localStorage,
// per user) and sent once the connection is back: first the record (POST /api/tasks/{id}/results),
// then, if the inspector signed it offline, the signature (POST /api/results/{id}/sign). A record
// whose unit changed on the server meanwhile (another version than the one the inspector started
// from) is not sent: it stays here marked as a conflict until the inspector chooses. Uses ui.js's
// api() and drafts.js's current user.
import { api } from './ui.js';
import { draftUser } from './drafts.js';

function storageKey() {
  return `spot:outbox:${draftUser()}`;
}

function read() {
  if (!draftUser()) return [];
  try {
    const v = JSON.parse(localStorage.getItem(storageKey()) || '[]');
    return Array.isArray(v) ? v : [];
  } catch (e) {
    return [];
  }
}

function write(list) {
  if (!draftUser()) return;
  if (list.length) localStorage.setItem(storageKey(), JSON.stringify(list));
  else localStorage.removeItem(storageKey());
  window.dispatchEvent(new CustomEvent('spot:outbox', { detail: { count: list.length } }));
}

const same = (e, taskId, uscc) => String(e.task_id) === String(taskId) && e.uscc === uscc;

// Every queued record of the current user (a copy).
export function queued() {
  return read();
}

// The queued record of one unit of a task, or null.
export function entryFor(taskId, uscc) {
  return read().find((e) => same(e, taskId, uscc)) || null;
}

// Queues the record body for unit uscc of task taskId, replacing an earlier queued one of that
// unit (its offline signature too: a changed record is signed again). baseVersion: the version of
// the unit's result the inspector started from (0: none on the server yet).
export function queueRecord(taskId, uscc, body, baseVersion, name) {
  const list = read().filter((e) => !same(e, taskId, uscc));
  list.push({ task_id: String(taskId), uscc, name: name || '', body, base_version: baseVersion || 0, sign: false,
    queued_at: new Date().toISOString() });
  write(list);
}

// Marks the queued record of the unit as signed by the inspector (sent with it).
export function signQueued(taskId, uscc) {
  const list = read();
  const e = list.find((x) => same(x, taskId, uscc));
  if (e) { e.sign = true; e.signed_at = new Date().toISOString(); }
  write(list);
}

// Drops the queued record of the unit (the inspector keeps the server's version).
export function discardQueued(taskId, uscc) {
  write(read().filter((e) => !same(e, taskId, uscc)));
}

// After a conflict: the inspector chose to send the queued record over the server's version.
export function overrideConflict(taskId, uscc) {
  const list = read();
  const e = list.find((x) => same(x, taskId, uscc));
  if (e && e.conflict) { e.base_version = e.conflict.version; delete e.conflict; }
  write(list);
}

// After a refusal (shown on the record page): send the queued record again at the next flush.
export function retryQueued(taskId, uscc) {
  const list = read();
  const e = list.find((x) => same(x, taskId, uscc));
  if (e) delete e.error;
  write(list);
}

let running = null;

// Sends every queued record that is not in conflict, one at a time; only one flush runs at once.
// Resolves to {sent, conflicts, failed}; a lost connection stops it (the rest waits for the next).
export function flush() {
  if (!running) running = doFlush().finally(() => { running = null; });
  return running;
}

async function doFlush() {
  const out = { sent: 0, conflicts: 0, failed: 0 };
  if (!draftUser() || (typeof navigator !== 'undefined' && navigator.onLine === false)) return out;
  for (const start of read()) {
    if (start.conflict) { out.conflicts++; continue; }
    if (start.error) { out.failed++; continue; }   // refused before: waits for the inspector (retryQueued)
    const update = (fn) => { const list = read(); const e = list.find((x) => same(x, start.task_id, start.uscc)); if (e) fn(e); write(list); return e; };
    try {
      let rid = start.result_id;
      if (!start.entered) {
        // The unit's result as it is now: another version than the one started from is a conflict.
        const reply = await api('GET', `/api/tasks/${encodeURIComponent(start.task_id)}/results`);
        const cur = (reply.results || []).find((r) => r.uscc === start.uscc);
        const version = cur ? cur.version : 0;
        if (version !== start.base_version) {
          update((e) => { e.conflict = { version, status: cur ? cur.status : null, at: new Date().toISOString() }; });
          out.conflicts++;
          continue;
        }
        const r = await api('POST', `/api/tasks/${encodeURIComponent(start.task_id)}/results`, start.body);
        rid = r.id;
        // entered: never sent twice, even if the signature below fails
        update((e) => { e.entered = true; e.result_id = rid; delete e.error; });
      }
      const now = read().find((x) => same(x, start.task_id, start.uscc));
      if (now && now.sign) await api('POST', `/api/results/${rid}/sign`, {});
      write(read().filter((x) => !same(x, start.task_id, start.uscc)));
      out.sent++;
    } catch (e) {
      if (e && e.status === 0) break;          // offline again: the rest waits
      update((x) => { x.error = e && e.message ? e.message : String(e); });
      out.failed++;
    }
  }
  return out;
}
