// The same checks as the server's intake (server/cases Input.Validate), so
// the worker hears of a mistake on the spot, not after the sync. The server
// still checks everything again.

const len = (s) => [...(s || '')].length;

// normalize mirrors cases.Input.Normalize.
export function normalize(r) {
  const t = (s) => (s || '').trim();
  const out = { ...r, identity: { ...(r.identity || {}) } };
  for (const k of ['kind', 'category', 'about', 'municipality', 'happened_on', 'setting', 'wish', 'reporter', 'language', 'card']) {
    out[k] = t(out[k]);
  }
  out.description = t((r.description || '').replace(/\r\n/g, '\n'));
  out.identity.mode = t(out.identity.mode);
  out.identity.name = t(out.identity.name);
  out.identity.contact = t(out.identity.contact);
  out.card = out.card.toUpperCase();
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
  if (r.municipality && r.municipality !== 'unknown' && r.municipality !== 'online' &&
    !cfg.municipalities.some((m) => m.code === r.municipality)) add('municipality', 'error.field.municipality');
  if (r.happened_on) {
    const d = /^\d{4}-\d{2}-\d{2}$/.test(r.happened_on) ? new Date(r.happened_on + 'T00:00:00Z') : null;
    if (!d || isNaN(d)) add('happened_on', 'error.field.date');
    else if (d.getTime() > now.getTime() + 24 * 3600 * 1000) add('happened_on', 'error.field.date_future');
  }
  if (r.setting && !has(cfg.settings, r.setting)) add('setting', 'error.field.setting');
  if (!has(cfg.wishes, r.wish)) add('wish', 'error.field.wish');
  const mode = r.identity && r.identity.mode;
  if (!has(cfg.identity_modes, mode)) add('identity.mode', 'error.field.identity_mode');
  const name = (r.identity && r.identity.name) || '';
  if (mode === 'work_name' && !name) add('identity.name', 'error.field.work_name_required');
  if (mode === 'named' && !name) add('identity.name', 'error.field.name_required');
  if (len(name) > cfg.max.short) add('identity.name', 'error.field.too_long');
  if (len(r.identity && r.identity.contact) > cfg.max.short) add('identity.contact', 'error.field.too_long');
  if (!has(cfg.languages.map((l) => l.code), r.language)) add('language', 'error.field.language');
  return errs;
}
