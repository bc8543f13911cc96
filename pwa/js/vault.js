// The vault: one random AES-GCM data key encrypts every record on the
// tablet. The data key is stored only wrapped (AES-GCM) under a key derived
// from the worker's passphrase with PBKDF2-SHA-256; unwrapped it lives in
// memory only, as a non-extractable CryptoKey, until the app locks.
import * as db from './db.js';

export const ITERATIONS = 600000;
export const IDLE_MS = 5 * 60 * 1000;

const enc = new TextEncoder();
const dec = new TextDecoder();

let key = null; // CryptoKey while unlocked
const listeners = new Set();
const before = new Set();

// onBeforeLock runs (awaited) while the key is still there, e.g. to save
// the draft of the open form; onLock runs after the key is gone.
export function onBeforeLock(fn) { before.add(fn); }
export function onLock(fn) { listeners.add(fn); }
export function unlocked() { return key !== null; }

export async function exists() {
  return !!(await db.get('meta', 'vault'));
}

async function kek(passphrase, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', enc.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

function importData(raw) {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

// create makes a new data key, wraps it under the passphrase and unlocks.
export async function create(passphrase) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const k = await kek(passphrase, salt, ITERATIONS);
  const wrapped = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode('vault') }, k, raw);
  const dataKey = await importData(raw);
  raw.fill(0);
  await db.put('meta', { id: 'vault', v: 1, salt, iterations: ITERATIONS, iv, wrapped });
  key = dataKey;
}

// unlock returns false for a wrong passphrase; nothing is opened then.
export async function unlock(passphrase) {
  const v = await db.get('meta', 'vault');
  if (!v) return false;
  const k = await kek(passphrase, v.salt, v.iterations);
  let raw;
  try {
    raw = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: v.iv, additionalData: enc.encode('vault') }, k, v.wrapped));
  } catch {
    return false;
  }
  key = await importData(raw);
  raw.fill(0);
  return true;
}

// change re-wraps the same data key under a new passphrase.
export async function change(oldPass, newPass) {
  const v = await db.get('meta', 'vault');
  const k = await kek(oldPass, v.salt, v.iterations);
  let raw;
  try {
    raw = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: v.iv, additionalData: enc.encode('vault') }, k, v.wrapped));
  } catch {
    return false;
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const nk = await kek(newPass, salt, ITERATIONS);
  const wrapped = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode('vault') }, nk, raw);
  raw.fill(0);
  await db.put('meta', { id: 'vault', v: 1, salt, iterations: ITERATIONS, iv, wrapped });
  return true;
}

export async function lock() {
  if (!key) return;
  for (const fn of before) {
    try { await fn(); } catch { /* locking must not fail */ }
  }
  key = null;
  for (const fn of listeners) fn();
}

function need() {
  if (!key) throw new Error('locked');
  return key;
}

// seal encrypts a JSON value; aad binds it to where it is stored, so a
// record cannot be moved to another id.
export async function seal(value, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(aad) }, need(), enc.encode(JSON.stringify(value)));
  return { iv, ct };
}

export async function open(rec, aad) {
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: enc.encode(aad) }, need(), rec.ct);
  return JSON.parse(dec.decode(pt));
}

// Idle lock: any input counts as activity; a timer (and coming back to the
// tab) checks the time, because timers sleep in background tabs.
let last = Date.now();
export function touch() { last = Date.now(); }
export function checkIdle() {
  if (key && Date.now() - last > IDLE_MS) lock();
}
export function startIdleWatch() {
  for (const ev of ['pointerdown', 'keydown', 'input', 'wheel', 'touchstart']) {
    addEventListener(ev, touch, { passive: true, capture: true });
  }
  document.addEventListener('visibilitychange', checkIdle);
  setInterval(checkIdle, 15000);
}
