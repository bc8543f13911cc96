// Catalog texts for the app, from /app/i18n/{lang}.json (the server's own
// catalogs, cut down to what the app uses; the service worker caches them).
// Two languages are in play: the outreach worker's controls (nl or en) and
// the language of the woman she is helping, for everything she reads.

const cats = new Map();

export async function load(lang) {
  if (cats.has(lang)) return cats.get(lang);
  const res = await fetch(`/app/i18n/${encodeURIComponent(lang)}.json`);
  if (!res.ok) throw new Error(`catalog ${lang}: ${res.status}`);
  const c = await res.json();
  cats.set(lang, c);
  return c;
}

function fill(s, args) {
  return s.replace(/\{(\w+)\}/g, (m, k) => (args && k in args ? String(args[k]) : m));
}

// t renders key in lang; a missing key shows the key (tests keep that from
// happening).
export function t(lang, key, args) {
  const c = cats.get(lang) || {};
  let v = c[key];
  if (v && typeof v === 'object') v = v.other;
  return typeof v === 'string' ? fill(v, args) : key;
}

// n renders the plural form of key for count.
export function n(lang, key, count, args = {}) {
  const c = cats.get(lang) || {};
  const v = c[key];
  const a = { ...args, count };
  if (!v || typeof v !== 'object') return t(lang, key, a);
  const form = new Intl.PluralRules(lang).select(count);
  return fill(v[form] || v.other, a);
}
