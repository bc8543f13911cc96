// Sealing for the desk: each item is sealed, the moment it is saved, to the
// desk's public key, so that only the desk can open it — not the tablet,
// not a thief with the passphrase — and the service worker can send it
// without the passphrase. The scheme (HPKE-like, base mode; the server's
// side is server/seal/desk.go): an ephemeral P-256 key pair, z =
// ECDH(ephemeral, desk), key = HKDF-SHA256(z, salt = epk || desk key, info
// "gehoord sealed v1 <key id>"), AES-256-GCM with a random IV; the
// associated data binds the key id, this device, the kind and the id, so
// the desk refuses an item moved to another device or relabelled.
const enc = new TextEncoder();

export function b64u(buf) {
  let s = '';
  for (const x of new Uint8Array(buf)) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64u(s) {
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

export const aad = (kid, device, kind, id) => enc.encode(`gehoord/sealed/v1|${kid}|${device}|${kind}|${id}`);

// seal returns the sealed item as the sync sends it. desk: { kid, key }.
export async function seal(desk, device, kind, id, body) {
  const deskRaw = unb64u(desk.key);
  const deskPub = await crypto.subtle.importKey('raw', deskRaw, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  // The ephemeral private key cannot be exported and is dropped at once.
  const eph = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const epk = new Uint8Array(await crypto.subtle.exportKey('raw', eph.publicKey));
  const z = await crypto.subtle.deriveBits({ name: 'ECDH', public: deskPub }, eph.privateKey, 256);
  const base = await crypto.subtle.importKey('raw', z, 'HKDF', false, ['deriveKey']);
  const salt = new Uint8Array(epk.length + deskRaw.length);
  salt.set(epk);
  salt.set(deskRaw, epk.length);
  const key = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: enc.encode(`gehoord sealed v1 ${desk.kid}`) },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(desk.kid, device, kind, id) }, key, enc.encode(JSON.stringify(body)));
  return { v: 1, kid: desk.kid, kind, id, epk: b64u(epk), iv: b64u(iv), ct: b64u(ct) };
}
