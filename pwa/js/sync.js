// Sync: sends the queue to POST /api/v1/outreach/sync in batches and acts on
// each item's result. created and duplicate both mean the server has it, so
// the item is deleted here; rejected stays, with its errors, until the
// worker fixes it. Nothing is ever dropped because it failed too often.
import * as store from './store.js';
import * as api from './api.js';
import * as vault from './vault.js';

export const MAX_ITEMS = 100; // per request; the server takes up to 500
export const MAX_BYTES = 512 * 1024;
export const BASE_DELAY = 2000;
export const MAX_DELAY = 5 * 60 * 1000;
export const TAG = 'gehoord-sync';

export const status = {
  running: false, lastSync: null, lastError: null, unauthorized: false, failures: 0, nextTry: null,
  lastResult: {}, // how many items of the last sync were created, duplicate, rejected
};

const subs = new Set();
export function subscribe(fn) { subs.add(fn); return () => subs.delete(fn); }
function emit() { for (const fn of subs) fn(status); }

let running = null;
let timer = null;

// loadStatus restores the last successful sync time after unlocking.
export async function loadStatus() {
  const s = await store.getMeta('sync');
  if (s) { status.lastSync = s.lastSync || null; status.unauthorized = !!s.unauthorized; }
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

const ORDER = { round: 0, report: 1, cards: 2 };
const FIELD = { round: 'rounds', report: 'reports', cards: 'cards' };
const RESULTS = { round: 'rounds', report: 'results', cards: 'cards' };

function take(items) {
  items.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.created - b.created);
  const batch = [];
  let bytes = 0;
  for (const it of items) {
    const size = JSON.stringify(it.body).length;
    if (batch.length && (batch.length >= MAX_ITEMS || bytes + size > MAX_BYTES)) break;
    batch.push(it);
    bytes += size;
  }
  return batch;
}

async function apply(batch, resp) {
  let progress = 0;
  const tally = status.lastResult;
  for (const kind of Object.keys(FIELD)) {
    const sent = batch.filter((it) => it.kind === kind);
    const results = (resp && resp[RESULTS[kind]]) || [];
    for (let i = 0; i < sent.length; i++) {
      const it = sent[i];
      const r = results[i];
      if (!r || r.id !== it.id) continue; // keep it; the next sync sends it again
      tally[r.result] = (tally[r.result] || 0) + 1;
      if (r.result === 'created' || r.result === 'duplicate') {
        await store.deleteItem(it.id);
        progress++;
      } else if (r.result === 'rejected') {
        await store.putItem({ ...it, state: 'rejected', errors: r.errors || [], reference: undefined });
        progress++;
      }
    }
  }
  return progress;
}

async function run() {
  if (!vault.unlocked()) return { skipped: 'locked' };
  const device = await store.getMeta('device');
  if (!device || !device.token) {
    status.unauthorized = true;
    emit();
    return { skipped: 'no device' };
  }
  status.running = true;
  status.lastResult = {};
  emit();
  let sent = 0;
  try {
    for (;;) {
      const waiting = (await store.items()).filter((it) => it.state !== 'rejected');
      if (!waiting.length) break;
      const batch = take(waiting);
      const body = { reports: [], cards: [], rounds: [] };
      for (const it of batch) body[FIELD[it.kind]].push(it.body);
      const resp = await api.sync(device.token, body);
      const progress = await apply(batch, resp);
      sent += batch.length;
      if (!progress) throw new Error('the server answered without results');
    }
    status.lastSync = Date.now();
    status.lastError = null;
    status.failures = 0;
    status.unauthorized = false;
    await store.setMeta('sync', { lastSync: status.lastSync });
    return { sent };
  } catch (err) {
    if (err && err.status === 401) {
      // The device was revoked (or never known): keep every item, stop
      // retrying, and let a signed-in worker register the tablet again.
      status.unauthorized = true;
      status.lastError = 'unauthorized';
      await store.setMeta('sync', { lastSync: status.lastSync, unauthorized: true }).catch(() => {});
      return { error: 'unauthorized' };
    }
    status.failures++;
    status.lastError = err && err.status ? `http ${err.status}` : 'offline';
    if (vault.unlocked()) schedule();
    return { error: status.lastError };
  }
}

// stop cancels a planned retry (when the app locks).
export function stop() {
  clearTimeout(timer);
  timer = null;
  status.nextTry = null;
}

// requestBackground asks the browser to wake the service worker when the
// network is back (Background Sync, where the browser has it).
export async function requestBackground() {
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register(TAG);
  } catch { /* not supported or not allowed: the online event still works */ }
}

// reset clears the retry state after a fresh registration.
export function resetAuth() {
  status.unauthorized = false;
  status.lastError = null;
  status.failures = 0;
  emit();
}
