// Service worker of the outreach app, scoped to /app/. The server fills in
// VERSION (a hash of every shell file) and SHELL (their URLs) when it serves
// this file, so any change to the app installs a fresh cache.
//
// Queued reports never live here: they are in IndexedDB, sealed to the
// desk, and an update of the worker or its cache cannot touch them. The
// worker is a module (registered with type: 'module') so it sends with the
// page's own code.
import * as outbox from './js/outbox.js';

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

// Background Sync (and periodic sync where the browser grants it): the
// items are sealed to the desk, so the worker sends them itself, with the
// app locked or closed. A failure rejects the event, and the browser tries
// again later; the open pages are told either way, to redraw.
async function sendAll() {
  let result;
  try {
    result = await outbox.send();
  } finally {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const p of pages) p.postMessage({ type: 'sent', result });
  }
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'gehoord-sync') return;
  event.waitUntil(sendAll());
});

self.addEventListener('periodicsync', (event) => {
  if (event.tag !== 'gehoord-sync') return;
  event.waitUntil(sendAll().catch(() => { /* the next period tries again */ }));
});
