// IndexedDB access for the outreach app, from the page and the service
// worker. Every record the app keeps is encrypted before it gets here:
// under the passphrase (vault.js) or sealed to the desk (sealed.js); this
// module never sees plaintext. The few plain records (the send-only device
// record, the revoke-only token, send times) hold no case content.
//
// All writes go through one promise chain, one transaction per change, so two
// writes can never interleave. The connection is reopened when the browser
// closes it (storage pressure, "clear site data") or another tab upgrades the
// schema.

const NAME = 'gehoord';
const VERSION = 2;

let conn = null; // Promise<IDBDatabase> | null
let chain = Promise.resolve();

// Schema migrations by version: never change an old step, add a new one.
const MIGRATIONS = [
  (db) => {
    db.createObjectStore('meta', { keyPath: 'id' });
    const items = db.createObjectStore('items', { keyPath: 'id' });
    items.createIndex('kind', 'kind');
  },
  // The outbox: items sealed to the desk's public key (see sealed.js). Not
  // under the passphrase: the service worker sends them while the app is
  // locked or closed, and nobody but the desk can open them.
  (db) => {
    db.createObjectStore('outbox', { keyPath: 'id' });
  },
];

function open() {
  if (conn) return conn;
  conn = new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = (e) => {
      const db = req.result;
      for (let v = e.oldVersion; v < VERSION; v++) MIGRATIONS[v](db, req.transaction);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab (or a newer app version) wants to upgrade: step aside;
      // the next operation reopens.
      db.onversionchange = () => { db.close(); conn = null; };
      // The browser closed the connection under us.
      db.onclose = () => { conn = null; };
      resolve(db);
    };
    req.onerror = () => { conn = null; reject(req.error); };
    req.onblocked = () => { /* waits for the other tab to close its connection */ };
  });
  return conn;
}

// run opens a transaction and runs fn(stores) in it; it resolves with fn's
// result once the transaction has committed. A closed connection is
// reopened once.
async function run(names, mode, fn, retried = false) {
  let db;
  try {
    db = await open();
  } catch (err) {
    conn = null;
    throw err;
  }
  let tx;
  try {
    tx = db.transaction(names, mode, { durability: 'strict' });
  } catch (err) {
    if (!retried && err && err.name === 'InvalidStateError') {
      conn = null;
      return run(names, mode, fn, true);
    }
    throw err;
  }
  return new Promise((resolve, reject) => {
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onabort = tx.onerror = () => reject(tx.error || new Error('transaction aborted'));
    const stores = {};
    for (const n of [].concat(names)) stores[n] = tx.objectStore(n);
    Promise.resolve(fn(stores)).then((r) => { result = r; }, (err) => {
      try { tx.abort(); } catch { /* already finished */ }
      reject(err);
    });
  });
}

function req2p(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// write queues fn after every earlier write; a failed write does not stop
// the ones after it.
function write(names, fn) {
  const p = chain.then(() => run(names, 'readwrite', fn));
  chain = p.catch(() => {});
  return p;
}

export function get(store, id) {
  return run(store, 'readonly', (s) => req2p(s[store].get(id)));
}

export function all(store, kind) {
  return run(store, 'readonly', (s) => {
    const src = kind ? s[store].index('kind').getAll(kind) : s[store].getAll();
    return req2p(src);
  });
}

export function put(store, value) {
  return write(store, (s) => req2p(s[store].put(value)));
}

export function del(store, id) {
  return write(store, (s) => req2p(s[store].delete(id)));
}

// clearAll empties every store (used by "reset this tablet").
export function clearAll() {
  return write(['meta', 'items', 'outbox'], (s) => Promise.all([req2p(s.meta.clear()), req2p(s.items.clear()), req2p(s.outbox.clear())]));
}

// settled resolves when every queued write has finished.
export function settled() {
  return chain;
}
