// The same checks as the server's intake (server/cases Input.Validate), so
// the worker hears of a mistake on the spot, not after the sync. The server
// still checks everything again.

const len = (s) => [...(s || '')].length;

// trim is Go's strings.TrimSpace: JavaScript's trim() also takes U+FEFF
// and leaves U+0085, and the two sides must agree on what is empty.
const space = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const spaceRe = new RegExp(`^${space}|${space}$`, 'g');
const trim = (s) => (s || '').replace(spaceRe, '');

// fold is the server's socialmap.Fold: how it compares municipality names.
const fold = (s) => (s || '').normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase().replace(/[^\p{L}\p{Nd}]+/gu, ' ').trim();

// municipalityKnown mirrors cases.ResolveMunicipality: a code or a name of
// the list in any case and spelling, the two special values, or nothing.
function municipalityKnown(v, list) {
  const f = fold(v);
  if (f === '' || f === 'unknown' || f === 'online') return true;
  return list.some((m) => m.code.toLowerCase() === f || fold(m.name) === f);
}

// dateOK is time.Parse("2006-01-02"): four, two and two digits naming a
// day that exists (no 30 February rolled over into March).
const dateOK = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(new Date(s + 'T00:00:00Z')) &&
  new Date(s + 'T00:00:00Z').toISOString().slice(0, 10) === s;

// normalize mirrors cases.Input.Normalize.
export function normalize(r) {
  const t = trim;
  const out = { ...r, identity: { ...(r.identity || {}) } };
  for (const k of ['kind', 'category', 'about', 'municipality', 'happened_on', 'setting', 'wish', 'reporter', 'language', 'card']) {
    out[k] = t(out[k]);
  }
  out.description = t((r.description || '').replace(/\r\n/g, '\n'));
  out.identity.mode = t(out.identity.mode);
  out.identity.name = t(out.identity.name);
  out.identity.contact = t(out.identity.contact);
  out.card = out.card.toUpperCase();
  if (!out.reporter) out.reporter = 'self';
  if (out.kind && out.kind !== 'complaint' && !out.category) out.category = 'other';
  if (out.identity.mode === 'anonymous') {
    out.identity.name = ''; out.identity.contact = ''; out.share_identity = false;
  }
  for (const k of ['about', 'municipality', 'happened_on', 'setting', 'card', 'category']) {
    if (!out[k]) delete out[k];
  }
  if (!out.identity.name) delete out.identity.name;
  if (!out.identity.contact) delete out.identity.contact;
  return out;
}

// validate returns [{ field, key }] for every invalid field.
// FORBIDDEN_SHORT: what a short field (about, name, contact) may not hold,
// as the server's forbiddenInShort (server/cases/input.go): control
// characters, bidi overrides and isolates, and what is not valid text.
const FORBIDDEN_SHORT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffd\ud800-\udfff]/u;

export function validate(r, cfg, now = new Date()) {
  const errs = [];
  const add = (field, key) => errs.push({ field, key });
  const has = (list, v) => list.includes(v);
  if (!has(cfg.kinds, r.kind)) add('kind', 'error.field.kind');
  const cats = cfg.categories.map((c) => c.id);
  if (!r.category && r.kind === 'complaint') add('category', 'error.field.category_required');
  else if (r.category && !has(cats, r.category)) add('category', 'error.field.category');
  const n = len(r.description);
  if (n === 0) add('description', 'error.field.description_required');
  else if (n > cfg.max.description) add('description', 'error.field.description_long');
  if (len(r.about) > cfg.max.short) add('about', 'error.field.too_long');
  else if (FORBIDDEN_SHORT.test(r.about || '')) add('about', 'error.field.control');
  if ((r.description || '').includes('\u0000')) add('description', 'error.field.control');
  if (!municipalityKnown(r.municipality, cfg.municipalities)) add('municipality', 'error.field.municipality');
  if (r.happened_on) {
    if (!dateOK(r.happened_on)) add('happened_on', 'error.field.date');
    else if (new Date(r.happened_on + 'T00:00:00Z').getTime() > now.getTime() + 24 * 3600 * 1000) add('happened_on', 'error.field.date_future');
  }
  if (r.setting && !has(cfg.settings, r.setting)) add('setting', 'error.field.setting');
  if (!has(cfg.wishes, r.wish)) add('wish', 'error.field.wish');
  const mode = r.identity && r.identity.mode;
  if (!has(cfg.identity_modes, mode)) add('identity.mode', 'error.field.identity_mode');
  const name = (r.identity && r.identity.name) || '';
  if (mode === 'work_name' && !name) add('identity.name', 'error.field.work_name_required');
  if (mode === 'named' && !name) add('identity.name', 'error.field.name_required');
  if (len(name) > cfg.max.short) add('identity.name', 'error.field.too_long');
  else if (FORBIDDEN_SHORT.test(name)) add('identity.name', 'error.field.control');
  const contact = (r.identity && r.identity.contact) || '';
  if (len(contact) > cfg.max.short) add('identity.contact', 'error.field.too_long');
  else if (FORBIDDEN_SHORT.test(contact)) add('identity.contact', 'error.field.control');
  // A config cached before it listed the reporters leaves this to the server.
  if (cfg.reporters && !has(cfg.reporters, r.reporter)) add('reporter', 'error.field.reporter');
  if (!has(cfg.languages.map((l) => l.code), r.language)) add('language', 'error.field.language');
  return errs;
}
