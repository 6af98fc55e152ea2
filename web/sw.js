// sw.js: the staff app's service worker, so that an inspector can open a record page without a
// connection. The app shell (pages, scripts, styles) and the data a record page reads (the user,
// the rules' labels, the task, its items and checklist, its results, the inspector directory) are
// answered from the network when it answers and from this browser's cache when it does not; every
// other request passes untouched. The page empties the data cache at logout (message 'clear-data').
const SHELL = 'spot-shell-v1';
const DATA = 'spot-data-v1';
const SHELL_FILES = [
  '/', '/index.html', '/css/app.css', '/js/app.js', '/js/ui.js', '/js/labels.js', '/js/drafts.js', '/js/outbox.js',
  '/js/pages/login.js', '/js/pages/dashboard.js', '/js/pages/results.js', '/js/pages/tasks.js',
];
// GET /api/... paths a record page needs offline (no query except on the directory list).
const DATA_PATHS = [
  /^\/api\/me$/, /^\/api\/public\/meta$/, /^\/api\/tasks\/\d+$/, /^\/api\/tasks\/\d+\/results$/, /^\/api\/results\/\d+$/,
  /^\/api\/items\/\d+$/, /^\/api\/inspectors$/, /^\/api\/tasks$/,
];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== DATA).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (ev) => {
  if (ev.data === 'clear-data') ev.waitUntil(caches.delete(DATA));
});

// Network first; a good reply refreshes the cache, a failed network falls back to the cache.
async function networkFirst(req, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const resp = await fetch(req);
    if (resp.ok) await cache.put(req, resp.clone());
    return resp;
  } catch (e) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const u = new URL(req.url);
  if (u.origin !== self.location.origin) return;
  if (u.pathname.startsWith('/api/')) {
    if (DATA_PATHS.some((re) => re.test(u.pathname))) ev.respondWith(networkFirst(req, DATA));
    return;
  }
  if (u.pathname === '/' || u.pathname === '/index.html' || u.pathname.startsWith('/js/') || u.pathname.startsWith('/css/')) {
    ev.respondWith(networkFirst(req, SHELL));
  }
});
