// diff.js: a simple line diff (longest common subsequence) for the rule editor.
// diffLines(a, b) -> [{op:' '|'-'|'+', a: lineNoInA|null, b: lineNoInB|null, text}]

export function diffLines(oldText, newText) {
  const a = oldText.split('\n'), b = newText.split('\n');
  // Trim the common head and tail; the LCS table covers only the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail), B = b.slice(head, b.length - tail);
  const out = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', a: i + 1, b: i + 1, text: a[i] });
  const n = A.length, m = B.length;
  if (n * m > 4e6) {
    // Too big for the table: everything in the middle is replaced.
    A.forEach((t, i) => out.push({ op: '-', a: head + i + 1, b: null, text: t }));
    B.forEach((t, j) => out.push({ op: '+', a: null, b: head + j + 1, text: t }));
  } else {
    const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i][j] = A[i] === B[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && A[i] === B[j]) {
        out.push({ op: ' ', a: head + i + 1, b: head + j + 1, text: A[i] });
        i++; j++;
      } else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) {
        out.push({ op: '-', a: head + i + 1, b: null, text: A[i] });
        i++;
      } else {
        out.push({ op: '+', a: null, b: head + j + 1, text: B[j] });
        j++;
      }
    }
  }
  for (let k = tail; k > 0; k--) out.push({ op: ' ', a: a.length - k + 1, b: b.length - k + 1, text: a[a.length - k] });
  return out;
}

// Groups a diff into hunks with `context` unchanged lines around each change.
export function hunks(d, context = 3) {
  const keep = new Array(d.length).fill(false);
  d.forEach((x, i) => {
    if (x.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(d.length - 1, i + context); k++) keep[k] = true;
  });
  const out = [];
  let cur = null;
  d.forEach((x, i) => {
    if (!keep[i]) { cur = null; return; }
    if (!cur) { cur = []; out.push(cur); }
    cur.push(x);
  });
  return out;
}
