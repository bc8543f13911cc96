// Case ids and receipts made on the tablet, so a receipt can be handed over
// on the spot with no signal.

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// receipt returns 15 uniformly random decimal digits and their check digit
// (see checkDigit). Bytes of 250 and more are thrown away, so "byte % 10"
// favours no digit (250 = 25 * 10). A weak one (about one in two million)
// is made again: the server refuses it.
export function receipt() {
  for (;;) {
    let out = '';
    while (out.length < 15) {
      for (const b of crypto.getRandomValues(new Uint8Array(24))) {
        if (b < 250 && out.length < 15) out += String(b % 10);
      }
    }
    out += checkDigit(out);
    if (strong(out)) return out;
  }
}

// Damm's quasigroup, the same as the server's (cases/receipt.go): the check
// digit catches every single wrong digit and every swap of two neighbours
// when the number is copied by hand. Both are tested against
// server/cases/testdata/receipt_vectors.json.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function interim(digits) {
  let d = 0;
  for (const c of digits) d = DAMM[d][c.charCodeAt(0) - 48];
  return d;
}

// checkDigit is the Damm check digit of a string of digits.
export function checkDigit(digits) {
  if (!/^[0-9]*$/.test(digits)) throw new Error('checkDigit: digits only');
  return String(interim(digits));
}

// normalizeReceipt strips what people type between groups, as the server
// does (cases.NormalizeReceipt).
export function normalizeReceipt(s) {
  return String(s).replace(/[\s\-.]/gu, '');
}

// checks says whether r (normalized) is 16 digits ending in its check digit.
export function checks(r) {
  return /^[0-9]{16}$/.test(r) && interim(r) === 0;
}

// strong is the server's check (cases.StrongReceipt): at least four
// different digits, no pattern repeating every 8 digits or fewer, and at
// most 13 of the 15 steps between neighbours a repeat or one up or down.
export function strong(r) {
  if (!/^[0-9]{16}$/.test(r)) return false;
  if (new Set(r).size < 4) return false;
  for (let p = 1; p <= 8; p++) {
    let periodic = true;
    for (let i = p; i < r.length && periodic; i++) periodic = r[i] === r[i - p];
    if (periodic) return false;
  }
  let predictable = 0;
  for (let i = 1; i < r.length; i++) {
    const step = (Number(r[i]) - Number(r[i - 1]) + 10) % 10;
    if (step === 0 || step === 1 || step === 9) predictable++;
  }
  return predictable <= 13;
}

// group shows a receipt as four groups of four digits.
export function group(r) {
  return r.replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
}

export function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
