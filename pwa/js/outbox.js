// The outbox: items sealed to the desk, and their sending. The page and the
// service worker both use it: sending needs no passphrase, only the
// device's send record ({ device, token, desk, lang }), which is kept
// outside the vault. That token can only send (and withdraw this tablet);
// nothing on the server answers it with a case, and revoking the tablet
// stops it (docs/outreach.md).
//
// Results: created or duplicate → the sealed item is dropped at once and a
// bare "sent" marker (id, kind, times) stays until the unlocked page has
// counted it; rejected → the item stays, with its errors, until a
// corrected version is saved. Nothing is dropped because it failed often.
import * as db from './db.js';
import { seal } from './sealed.js';

export const MAX_ITEMS = 100; // per request; the server takes up to 500
export const MAX_BYTES = 512 * 1024;
const ORDER = { round: 0, report: 1, cards: 2 };

export class HTTPError extends Error {
  constructor(status) { super(`HTTP ${status}`); this.status = status; }
}

export function sender() { return db.get('meta', 'sender'); }
export async function setSender(s) { await db.put('meta', { ...s, id: 'sender' }); }
export function state() { return db.get('meta', 'sendstate'); }

// ensureDesk fetches the desk's public key when the send record lacks it
// (a tablet registered before sealing existed).
export async function ensureDesk(s) {
  if (s.desk && s.desk.key) return s;
  const res = await fetch('/api/v1/outreach/desk-key', {
    headers: { Authorization: `Bearer ${s.token}`, Accept: 'application/json' }, cache: 'no-store', credentials: 'omit',
  });
  if (!res.ok) throw new HTTPError(res.status);
  const desk = await res.json();
  const n = { ...s, desk: { kid: desk.kid, key: desk.key } };
  await setSender(n);
  return n;
}

// forgetOldDesk drops the desk key from the send record when the desk now
// seals to another (its key was rotated): the next item fetches the new
// one. Items already sealed to the old key still open while the desk keeps
// that key; nothing sealed from now on needs it.
async function forgetOldDesk(kid) {
  const cur = await sender();
  if (cur && cur.desk && cur.desk.kid !== kid) await setSender({ ...cur, desk: null });
}

// add seals body and puts it in the outbox; it fails (and nothing is
// stored) when the desk's key is not known yet and cannot be fetched.
export async function add(kind, body, created = Date.now()) {
  let s = await sender();
  if (!s || !s.device) throw new Error('no device');
  s = await ensureDesk(s);
  const rec = await seal(s.desk, s.device, kind, body.id, body);
  await db.put('outbox', { ...rec, created, state: 'queued', errors: [] });
}

export function all() { return db.all('outbox'); }
export function get(id) { return db.get('outbox', id); }
export function drop(id) { return db.del('outbox', id); }

// waiting: how many items still have to reach the desk (queued or rejected).
export async function waiting() {
  return (await all()).filter((r) => r.state !== 'sent').length;
}

function take(items) {
  items.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.created - b.created);
  const batch = [];
  let bytes = 0;
  for (const it of items) {
    const size = it.ct.length + 200;
    if (batch.length && (batch.length >= MAX_ITEMS || bytes + size > MAX_BYTES)) break;
    batch.push(it);
    bytes += size;
  }
  return batch;
}

// send sends every queued item, batch by batch. One sender at a time per
// tablet (page or worker), through a Web Lock where the browser has it.
// Resolves { sent } or { error: 'unauthorized' } or { skipped }; throws
// when the network or the server fails (the caller retries).
export function send() {
  if (typeof navigator !== 'undefined' && navigator.locks) return navigator.locks.request('gehoord-send', run);
  return run();
}

async function run() {
  const s = await sender();
  if (!s || !s.token) return { skipped: 'no device' };
  if (s.unauthorized) return { error: 'unauthorized' };
  let sent = 0;
  for (;;) {
    const queued = (await all()).filter((r) => r.state === 'queued');
    if (!queued.length) break;
    const batch = take(queued);
    const res = await fetch('/api/v1/outreach/sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${s.token}` },
      body: JSON.stringify({
        sealed: batch.map(({ v, kid, kind, id, epk, iv, ct }) => ({ v, kid, kind, id, epk, iv, ct })),
        language: s.lang || 'nl',
      }),
      cache: 'no-store', credentials: 'omit',
    });
    if (res.status === 401) {
      // Revoked (or never known): keep everything until a new sign-in.
      await setSender({ ...s, unauthorized: true });
      return { error: 'unauthorized' };
    }
    if (!res.ok) throw new HTTPError(res.status);
    const data = await res.json();
    const results = (data && data.sealed) || [];
    let progress = 0;
    for (let i = 0; i < batch.length; i++) {
      const it = batch[i];
      const r = results[i];
      if (!r || r.id !== it.id) continue; // kept; sent again next time
      if (r.result === 'created' || r.result === 'duplicate') {
        await db.put('outbox', { id: it.id, kind: it.kind, created: it.created, state: 'sent', sentAt: Date.now() });
        progress++;
      } else if (r.result === 'rejected') {
        await db.put('outbox', { ...it, state: 'rejected', errors: r.errors || [] });
        progress++;
      }
    }
    sent += progress;
    if (data && data.desk_kid) await forgetOldDesk(data.desk_kid);
    if (!progress) throw new Error('the server answered without results');
  }
  await db.put('meta', { id: 'sendstate', lastSync: Date.now() });
  return { sent };
}
