// Tiny DOM helpers: elements are built with h(), never from HTML strings,
// so nothing typed by a person can become markup.

let seq = 0;
export const uid = (p = 'f') => `${p}${++seq}`;

export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// PRIVATE keeps what is typed out of the browser's and the keyboard's
// memories: no autofill history (Chromium keeps every value typed into a
// field without autocomplete=off in its profile, even from a form never
// sent), no form state for session restore, no spelling or correction
// suggestions learnt from it. A field may override a token (attrs).
export const PRIVATE = { autocomplete: 'off', spellcheck: 'false', autocorrect: 'off', autocapitalize: 'off' };

// SECRET marks a password or passphrase field. Chromium's password manager
// ignores autocomplete=off and offers to save current-password and
// new-password fields; a field marked one-time-code it leaves alone, so no
// tap on a lost tablet's prompt keeps the staff password or the passphrase.
export const SECRET = { ...PRIVATE, autocomplete: 'one-time-code' };

// field builds a labelled input with an optional hint and error slot.
export function field({ label, name, type = 'text', value = '', hint, error, attrs = {}, multiline = false }) {
  const id = uid(name.replace(/\W/g, '_'));
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-err` : null;
  const describedby = [hintId, errId].filter(Boolean).join(' ') || null;
  const common = { id, name, 'aria-describedby': describedby, 'aria-invalid': error ? 'true' : null, ...PRIVATE, ...attrs };
  const input = multiline
    ? h('textarea', common, value)
    : h('input', { type, value, ...common });
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error ? h('p', { class: 'field-error', id: errId }, error) : null,
    input);
}

// choices builds a fieldset of radio buttons (or checkboxes).
export function choices({ legend, name, options, value, error, hint, type = 'radio', cls = '' }) {
  const errId = error ? uid('err') : null;
  const hintId = hint ? uid('hint') : null;
  return h('fieldset', { 'data-field': name, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') || null, class: cls },
    h('legend', null, legend),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error ? h('p', { class: 'field-error', id: errId }, error) : null,
    options.map((o) => {
      if (o.group) return h('p', { class: 'group' }, o.group);
      const id = uid(name);
      return h('label', { class: 'choice', for: id },
        h('input', { type, id, name, value: o.value, checked: o.value === value }), o.label);
    }));
}

export function select({ label, name, options, value, error, hint }) {
  const id = uid(name);
  const errId = error ? `${id}-err` : null;
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error ? h('p', { class: 'field-error', id: errId }, error) : null,
    h('select', { id, name, autocomplete: 'off', 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') || null, 'aria-invalid': error ? 'true' : null },
      options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label))));
}

export function button(label, onclick, cls = '', attrs = {}) {
  return h('button', { type: 'button', class: cls, onclick, ...attrs }, label);
}

// show replaces the main area and moves focus to its heading, so screen
// readers announce the new screen.
export function show(...kids) {
  const main = document.getElementById('main');
  main.replaceChildren(...kids.flat());
  const h1 = main.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus(); }
  window.scrollTo(0, 0);
}

export function say(text) {
  const live = document.getElementById('live');
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 50);
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; else if (!(el.name in out)) out[el.name] = ''; }
    else if (el.type === 'checkbox') out[el.name] = el.checked;
    else out[el.name] = el.value;
  }
  return out;
}
