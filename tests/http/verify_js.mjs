// verify_js.mjs: runs web/js/verify.js (the browser check) on an announcement file under Node
// (WebCrypto from node:crypto); prints {ok, errors, checks, failed} as JSON. Usage: node verify_js.mjs VERIFY_JS_URL FILE
import { webcrypto } from 'node:crypto';
if (!globalThis.crypto) globalThis.crypto = webcrypto;
import fs from 'node:fs';
const { verifyAnnouncement } = await import(process.argv[2]);
const ann = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const r = await verifyAnnouncement(ann);
console.log(JSON.stringify({ ok: r.ok, errors: r.errors, checks: r.checks.map((c) => c.check),
  failed: r.checks.filter((c) => !c.ok).map((c) => c.check) }));
