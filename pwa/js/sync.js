// Sync from the page: sends the outbox (sealed items, see outbox.js) and,
// when the app is unlocked, brings the list up to date (store.reconcile).
// Sending needs no passphrase, so the page keeps trying while locked, and
// the service worker sends with the app closed (Background Sync).
import * as store from './store.js';
import * as outbox from './outbox.js';
import * as vault from './vault.js';

export const BASE_DELAY = 2000;
// Short enough that a tablet back on a working network sends within a
// minute even after a long time offline (the online event may not come).
export const MAX_DELAY = 30 * 1000;
export const TAG = 'gehoord-sync';

export const status = {
  running: false, lastSync: null, lastError: null, unauthorized: false, failures: 0, nextTry: null,
};

const subs = new Set();
export function subscribe(fn) { subs.add(fn); return () => subs.delete(fn); }
function emit() { for (const fn of subs) fn(status); }

let running = null;
let timer = null;
let keepHours = store.KEEP_SENT_HOURS;
export function setKeepHours(h) { if (Number.isFinite(h) && h >= 0) keepHours = h; }
// sentKeepHours: the keep time in use (the desk's, once config.json is read).
export function sentKeepHours() { return keepHours; }

// loadStatus restores the last sync time and whether the tablet was
// refused (both kept outside the vault, so the worker's sends count).
export async function loadStatus() {
  const [st, s] = await Promise.all([outbox.state(), outbox.sender()]);
  if (st && st.lastSync) status.lastSync = st.lastSync;
  status.unauthorized = !!(s && s.unauthorized);
  emit();
}

// syncNow runs a sync unless one is running (then it returns that one).
export function syncNow() {
  if (timer) { clearTimeout(timer); timer = null; status.nextTry = null; }
  if (!running) {
    running = run().finally(() => { running = null; status.running = false; emit(); });
  }
  return running;
}

function schedule() {
  const d = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(status.failures - 1, 20));
  const delay = Math.round(d * (0.75 + Math.random() * 0.25));
  status.nextTry = Date.now() + delay;
  clearTimeout(timer);
  timer = setTimeout(() => { timer = null; syncNow(); }, delay);
}

async function run() {
  status.running = true;
  emit();
  try {
    // What waited for the desk's key (saved before the tablet had it) is
    // sealed first, so it goes in this send.
    if (vault.unlocked()) await store.reconcile(keepHours).catch(() => {});
    const r = await outbox.send();
    if (r.error === 'unauthorized' || r.skipped === 'no device') {
      // Keep every item, stop retrying, and let a signed-in worker
      // register the tablet again.
      status.unauthorized = true;
      status.lastError = 'unauthorized';
      return { error: 'unauthorized' };
    }
    ok();
    if (vault.unlocked()) await store.reconcile(keepHours).catch(() => {});
    return { sent: r.sent || 0 };
  } catch (err) {
    status.failures++;
    status.lastError = err && err.status ? `http ${err.status}` : 'offline';
    schedule();
    requestBackground(); // should the app be closed before the next try
    return { error: status.lastError };
  }
}

function ok() {
  status.lastSync = Date.now();
  status.lastError = null;
  status.failures = 0;
  status.unauthorized = false;
  status.nextTry = null;
}

// fromWorker: the service worker sent (Background Sync). Its wake-ups are
// not the page's tries: a failure there does not lengthen the page's
// backoff, and a success clears it.
export async function fromWorker(result) {
  if (result && result.error === 'unauthorized') {
    status.unauthorized = true;
    status.lastError = 'unauthorized';
  } else if (result) {
    ok();
    if (timer) { clearTimeout(timer); timer = null; }
    if (vault.unlocked()) await store.reconcile(keepHours).catch(() => {});
  }
  emit();
}

// stop cancels a planned retry.
export function stop() {
  clearTimeout(timer);
  timer = null;
  status.nextTry = null;
}

// requestBackground asks the browser to wake the service worker when the
// network is back (Background Sync, where the browser has it), and every
// so often (periodic sync, where granted).
export async function requestBackground() {
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register(TAG);
    if (reg.periodicSync) await reg.periodicSync.register(TAG, { minInterval: 15 * 60 * 1000 }).catch(() => {});
  } catch { /* not supported or not allowed: the online event and retries still work */ }
}

// resetAuth clears the retry state after a fresh registration.
export function resetAuth() {
  status.unauthorized = false;
  status.lastError = null;
  status.failures = 0;
  emit();
}
