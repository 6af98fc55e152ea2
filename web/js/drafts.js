// drafts.js: what a user typed, kept in this browser until the server has it. Drafts of long forms
// (localStorage, one per user and form) so that nothing is lost when a session expires or the page
// is closed; a draft is restored when the same user opens the same form again and removed once the
// form is saved. Uses only window.localStorage (no server); a browser without it keeps no drafts.

let user = null;

// Sets whose drafts are read and written (the signed-in username, or null: no drafts).
export function setDraftUser(name) {
  user = name || null;
}

export function draftUser() {
  return user;
}

function storageKey(k) {
  return `spot:draft:${user}:${k}`;
}

// The draft saved under form key k for the current user, or null.
export function loadDraft(k) {
  if (!user || !k) return null;
  try {
    const s = localStorage.getItem(storageKey(k));
    const d = s ? JSON.parse(s) : null;
    return d && typeof d === 'object' ? d : null;
  } catch (e) {
    return null;
  }
}

// Saves obj (plain JSON) as the draft of form key k, with the time it was saved.
export function saveDraft(k, obj) {
  if (!user || !k) return;
  try {
    localStorage.setItem(storageKey(k), JSON.stringify({ ...obj, _saved: new Date().toISOString() }));
  } catch (e) {
    /* storage full or disabled: the form still works, only without a draft */
  }
}

export function clearDraft(k) {
  if (!user || !k) return;
  try {
    localStorage.removeItem(storageKey(k));
  } catch (e) {
    /* nothing to remove */
  }
}

// The values of a form's controls by name, as a draft keeps them: text as typed, a checkbox as
// true/false, a multiple select as the list of its chosen values.
export function controlValues(els) {
  const out = {};
  for (const [name, el] of Object.entries(els)) {
    if (!el) continue;
    if (el.type === 'checkbox') out[name] = el.checked;
    else if (el.classList && el.classList.contains('checks')) out[name] = Array.from(el.querySelectorAll('input:checked')).map((c) => c.value);
    else if (el.tagName === 'SELECT' && el.multiple) out[name] = Array.from(el.selectedOptions).map((o) => o.value);
    else out[name] = el.value;
  }
  return out;
}

// Puts a draft's values back into the controls (the reverse of controlValues). Returns the number
// of controls that received a non-empty value.
export function restoreControls(els, draft) {
  let n = 0;
  for (const [name, el] of Object.entries(els)) {
    if (!el || !draft || !(name in draft)) continue;
    const v = draft[name];
    if (el.type === 'checkbox') el.checked = !!v;
    else if (el.classList && el.classList.contains('checks')) {
      const want = new Set([].concat(v ?? []).map(String));
      for (const c of el.querySelectorAll('input[type=checkbox]')) c.checked = want.has(c.value);
    } else if (el.tagName === 'SELECT' && el.multiple) {
      const want = new Set([].concat(v).map(String));
      for (const o of el.options) o.selected = want.has(o.value);
    } else el.value = v ?? '';
    if (v !== '' && v !== false && v !== null && !(Array.isArray(v) && !v.length)) n++;
  }
  return n;
}
