// The app's data on the tablet. Two places:
// - the outbox (outbox.js): every round, report and card count sealed to
//   the desk the moment it is saved; only the desk can open it, and the
//   service worker sends it without the passphrase;
// - the vault (under the passphrase): what the worker needs to see — a
//   list entry per item (time, her language, the receipt until it is
//   handed over; a card count's batch and number), the drafts, the round,
//   the sent history per round. Nothing of a report's content: once
//   sealed it is gone from the tablet, and a sent item's entry goes after
//   a set time (config sent_keep_hours).
import * as db from './db.js';
import * as vault from './vault.js';
import * as outbox from './outbox.js';

// Item kinds and what the sync request calls them.
export const KINDS = ['round', 'report', 'cards'];
export const KEEP_SENT_HOURS = 12; // unless /app/config.json says otherwise

const aadItem = (id, kind) => `item:${kind}:${id}`;
const aadMeta = (id) => `meta:${id}`;

// putItem stores a list entry ({ id, kind, created, state, entry }).
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

// items returns every list entry, oldest first.
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

// setDevice keeps the registration: in the vault, and as the send record
// outside it (device id, token, the desk's key, the worker's language).
export async function setDevice(dev, lang) {
  await setMeta('device', { id: dev.id, token: dev.token, label: dev.label });
  const old = await outbox.sender();
  await outbox.setSender({ device: dev.id, token: dev.token, desk: dev.desk_key || (old && old.device === dev.id ? old.desk : null), lang: lang || (old && old.lang) || 'nl' });
}

// entryOf is what the list keeps of an item: never a report's content.
function entryOf(kind, body, keep = {}) {
  if (kind === 'report') {
    const e = { language: body.language, round: body.round || '' };
    if (body.receipt && !keep.handedOver) e.receipt = body.receipt;
    if (body.batch) e.batch = body.batch;
    return e;
  }
  if (kind === 'cards') return { round: body.round, batch: body.batch, count: body.count, date: body.date, setting: body.setting, municipality: body.municipality };
  return { ...body };
}

// enqueue seals a new item for the desk and lists it. When the desk's key
// is not on the tablet yet (registered before sealing, and offline), the
// item waits in the vault and is sealed by reconcile.
export async function enqueue(kind, body) {
  const created = Date.now();
  const item = { id: body.id, kind, created, state: 'queued', entry: entryOf(kind, body) };
  try {
    await outbox.add(kind, body, created);
  } catch {
    item.body = body;
  }
  await putItem(item);
}

// remove drops an item everywhere (a rejected one, once corrected).
export async function remove(id) {
  await outbox.drop(id);
  await deleteItem(id);
}

// handedOver forgets the receipt once she has it.
export async function handedOver(id) {
  const it = await getItem(id);
  if (!it || !it.entry || !it.entry.receipt) return;
  const { receipt, ...entry } = it.entry;
  await putItem({ ...it, entry });
}

// queue: the list with each item's state from the outbox.
export async function queue() {
  const [list, recs] = await Promise.all([items(), outbox.all()]);
  const byId = new Map(recs.map((r) => [r.id, r]));
  return list.map((it) => {
    const r = byId.get(it.id);
    if (r && r.state === 'rejected') return { ...it, state: 'rejected', errors: r.errors || [] };
    if (r && r.state === 'sent') return { ...it, state: 'sent', sentAt: r.sentAt };
    return it;
  });
}

// waiting: items not yet at the desk (works locked: only the outbox).
export function waiting() { return outbox.waiting(); }

// reconcile (unlocked): counts what was sent into the round's history,
// shrinks sent entries, forgets them after keepHours, and seals what
// waited for the desk's key.
export async function reconcile(keepHours = KEEP_SENT_HOURS) {
  const recs = await outbox.all();
  const byId = new Map(recs.map((r) => [r.id, r]));
  const list = await items();
  const hist = (await getMeta('history')) || {};
  let histChanged = false;
  const now = Date.now();
  for (const it of list) {
    const r = byId.get(it.id);
    if (it.body && !r) {
      try {
        await outbox.add(it.kind, it.body, it.created);
        const { body, ...rest } = it;
        await putItem({ ...rest, entry: entryOf(it.kind, body, { handedOver: it.entry && !it.entry.receipt }) });
      } catch { /* still no key: later */ }
      continue;
    }
    if (r && r.state === 'sent') {
      if (it.kind !== 'round') {
        const round = (it.entry && it.entry.round) || '';
        const h = hist[round] || { reports: 0, cards: 0, times: [] };
        if (it.kind === 'report') h.reports++;
        else h.cards += Number(it.entry && it.entry.count) || 0;
        h.times = [...h.times, r.sentAt].slice(-50);
        hist[round] = h;
        histChanged = true;
        await putItem({ id: it.id, kind: it.kind, created: it.created, state: 'sent', sentAt: r.sentAt,
          entry: it.kind === 'report' ? { language: it.entry.language, round, ...(it.entry.receipt ? { receipt: it.entry.receipt } : {}) } : it.entry });
      } else {
        await deleteItem(it.id);
      }
      await outbox.drop(it.id);
    } else if (it.state === 'sent' && now - (it.sentAt || 0) > keepHours * 3600 * 1000) {
      await deleteItem(it.id);
    }
  }
  const known = new Set(list.map((it) => it.id));
  for (const r of recs) if (r.state === 'sent' && !known.has(r.id)) await outbox.drop(r.id);
  if (histChanged) await setMeta('history', hist);
  changed();
}

// Listeners hear of every change to the queue (to redraw counts).
const subs = new Set();
export function subscribe(fn) { subs.add(fn); return () => subs.delete(fn); }
export function changed() { for (const fn of subs) fn(); }

// counts: reports and card counts waiting and rejected (rounds are the
// app's own bookkeeping and not counted).
export async function counts() {
  const all = await queue();
  let reports = 0; let cards = 0; let rejected = 0;
  for (const it of all) {
    if (it.state === 'sent' || it.kind === 'round') continue;
    if (it.state === 'rejected') rejected++;
    if (it.kind === 'report') reports++; else cards++;
  }
  return { reports, cards, rejected };
}
