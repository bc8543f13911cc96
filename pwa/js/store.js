// The app's data on the tablet, always encrypted: queued reports, card
// counts and rounds (items), the device token, the current round, the
// draft of the open form and sync information (meta).
import * as db from './db.js';
import * as vault from './vault.js';

// Item kinds and what the sync request calls them.
export const KINDS = ['round', 'report', 'cards'];

const aadItem = (id, kind) => `item:${kind}:${id}`;
const aadMeta = (id) => `meta:${id}`;

// putItem stores an item ({ id, kind, body, state, errors, created }).
export async function putItem(item) {
  const { iv, ct } = await vault.seal(item, aadItem(item.id, item.kind));
  await db.put('items', { id: item.id, kind: item.kind, iv, ct });
  changed();
}

export async function deleteItem(id) {
  await db.del('items', id);
  changed();
}

export async function getItem(id) {
  const rec = await db.get('items', id);
  return rec ? vault.open(rec, aadItem(rec.id, rec.kind)) : null;
}

// items returns every item, oldest first.
export async function items(kind) {
  const recs = await db.all('items', kind);
  const out = [];
  for (const r of recs) out.push(await vault.open(r, aadItem(r.id, r.kind)));
  out.sort((a, b) => (a.created || 0) - (b.created || 0));
  return out;
}

export async function setMeta(id, value) {
  if (value === null || value === undefined) {
    await db.del('meta', id);
    return;
  }
  const { iv, ct } = await vault.seal(value, aadMeta(id));
  await db.put('meta', { id, iv, ct });
}

export async function getMeta(id) {
  const rec = await db.get('meta', id);
  return rec ? vault.open(rec, aadMeta(id)) : null;
}

// enqueue adds a new item waiting to be sent.
export function enqueue(kind, body) {
  return putItem({ id: body.id, kind, body, state: 'queued', errors: [], created: Date.now() });
}

// Listeners hear of every change to the queue (to redraw counts).
const subs = new Set();
export function subscribe(fn) { subs.add(fn); return () => subs.delete(fn); }
function changed() { for (const fn of subs) fn(); }

// counts: how many items wait and how many were rejected.
export async function counts() {
  const all = await items();
  let waiting = 0; let rejected = 0;
  for (const it of all) {
    if (it.state === 'rejected') rejected++; else waiting++;
  }
  return { waiting, rejected, total: all.length };
}
