// Service worker of the outreach app, scoped to /app/. The server fills in
// VERSION (a hash of every shell file) and SHELL (their URLs) when it serves
// this file, so any change to the app installs a fresh cache.
//
// Queued reports never live here: they are in IndexedDB, encrypted, and an
// update of the worker or its cache cannot touch them.
const VERSION = '%%VERSION%%';
const SHELL = [/*SHELL*/];
const PREFIX = 'gehoord-app-';
const CACHE = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  // addAll is all or nothing: a half-downloaded update never replaces a
  // working app, and the old cache stays until the new worker activates.
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((u) => new Request(u, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const fresh = await caches.open(CACHE);
    const have = await fresh.keys();
    // Only drop old caches when the new one is complete.
    if (have.length >= SHELL.length) {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skipWaiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/app/')) return;
  if (req.mode === 'navigate') {
    // One page: every navigation in the scope gets the shell.
    event.respondWith(fromCache('/app/', req));
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(fromCache(url.pathname, req));
});

async function fromCache(key, req) {
  const c = await caches.open(CACHE);
  const hit = await c.match(key);
  if (hit) return hit;
  // An older cache may still hold it during an update.
  const any = await caches.match(key);
  if (any) return any;
  return fetch(req);
}

// Background Sync: the queue is encrypted with a key that exists only in an
// unlocked page, so the worker cannot send it itself. It wakes the open
// pages, and an unlocked page syncs; a locked or closed app syncs when it is
// next opened and unlocked.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'gehoord-sync') return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const p of pages) p.postMessage({ type: 'sync' });
  })());
});
