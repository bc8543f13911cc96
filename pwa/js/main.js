// The outreach app: screens and wiring. Small modules, no framework.
import * as db from './db.js';
import * as vault from './vault.js';
import * as store from './store.js';
import * as sync from './sync.js';
import * as api from './api.js';
import * as outbox from './outbox.js';
import * as i18n from './i18n.js';
import { h, field, choices, select, button, show, say, formValues, SECRET } from './ui.js';
import { uuid, receipt, group, today } from './ids.js';
import { normalize, validate } from './validate.js';

const UI_LANGS = ['nl', 'en'];
let ui = UI_LANGS.includes(localStorage.getItem('gehoord.ui')) ? localStorage.getItem('gehoord.ui') : 'nl';
let cfg = null; // /app/config.json: the lists the form offers
let pendingToken = null; // between sign-in and choosing the passphrase
let current = null; // what the open screen wants saved on lock: async () => {}
let updateReady = false;
let persistent = null;

const KIND_LABEL = { report: 'app.kind.report', cards: 'app.kind.cards', round: 'app.kind.round' };
const T = (key, args) => i18n.t(ui, key, args);
const N = (key, count, args) => i18n.n(ui, key, count, args);

// ---- start ----

async function boot() {
  document.documentElement.lang = ui;
  registerWorker();
  try {
    [cfg] = await Promise.all([fetch('/app/config.json').then((r) => r.json()), i18n.load(ui)]);
  } catch {
    show(h('h1', null, 'Gehoord'), h('p', { class: 'notice' }, 'Offline: open the app once with a connection. / Open de app eerst één keer met verbinding.'));
    return;
  }
  vault.startIdleWatch();
  vault.onBeforeLock(async () => { if (current) await current(); });
  // Locking keeps sending: the outbox is sealed to the desk and needs no
  // passphrase.
  vault.onLock(() => { current = null; header(); unlockScreen(); });
  if (cfg.sent_keep_hours !== undefined) sync.setKeepHours(Number(cfg.sent_keep_hours));
  addEventListener('online', () => sync.syncNow());
  sync.subscribe(() => {
    header();
    if (!onHome) return;
    // A change of authorisation changes the notices: redraw the screen.
    if (shownUnauthorized !== sync.status.unauthorized) home();
    else homeQueue();
  });
  store.subscribe(() => { header(); if (onHome) homeQueue(); });
  checkStorage();
  header();
  if (await vault.exists()) unlockScreen();
  else signInScreen();
}

function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/', type: 'module' }).then((reg) => {
    const watch = (w) => w && w.addEventListener('statechange', () => {
      if (w.state === 'installed' && navigator.serviceWorker.controller) { updateReady = true; if (onHome) home(); }
    });
    if (reg.waiting && navigator.serviceWorker.controller) updateReady = true;
    watch(reg.installing);
    reg.addEventListener('updatefound', () => watch(reg.installing));
  }).catch(() => { /* the app still works online */ });
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'sent') sync.fromWorker(e.data.result);
  });
}

async function applyUpdate() {
  if (current) await current();
  const reg = await navigator.serviceWorker.getRegistration('/app/');
  if (reg && reg.waiting) {
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    reg.waiting.postMessage({ type: 'skipWaiting' });
  } else {
    location.reload();
  }
}

async function checkStorage() {
  if (!navigator.storage || !navigator.storage.persist) { persistent = false; return; }
  try {
    persistent = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch { persistent = false; }
  if (onHome) home();
}

// ---- header: the queue at a glance, lock now, language ----

function header() {
  const bar = document.getElementById('bar');
  const kids = [];
  if (vault.unlocked()) {
    kids.push(h('span', { id: 'queue-pill', class: 'pill' }, sync.status.running ? T('app.sync.running') : ''));
    kids.push(button(T('app.lock'), () => vault.lock(), 'secondary', { id: 'lock' }));
    store.counts().then((c) => {
      const pill = document.getElementById('queue-pill');
      if (pill && !sync.status.running) pill.textContent = N('app.queue.reports', c.reports);
    }).catch(() => {});
  }
  const other = ui === 'nl' ? 'en' : 'nl';
  kids.push(button(other === 'en' ? 'English' : 'Nederlands', () => switchUI(other), 'link', { lang: other, id: 'ui-lang' }));
  bar.replaceChildren(...kids);
}

async function switchUI(lang) {
  await i18n.load(lang);
  ui = lang;
  localStorage.setItem('gehoord.ui', lang);
  // The worker's language also goes with each sync, for rejection texts.
  const s = await outbox.sender().catch(() => null);
  if (s) await outbox.setSender({ ...s, lang });
  document.documentElement.lang = lang;
  header();
  if (!vault.unlocked()) { if (await vault.exists()) unlockScreen(); else signInScreen(); return; }
  if (onHome) home();
}

let onHome = false;
let shownUnauthorized = false;
function leaveHome() { onHome = false; }

// ---- first use: sign in, then choose the passphrase ----

function signInScreen(again = false, msg = '') {
  leaveHome();
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'signin' },
    msg ? h('p', { class: 'error-summary', role: 'alert' }, msg) : null,
    field({ label: T('app.signin.email'), name: 'email', type: 'email', attrs: { required: true } }),
    field({ label: T('app.signin.password'), name: 'password', type: 'password', attrs: { ...SECRET, required: true } }),
    field({ label: T('app.signin.code'), name: 'code', hint: T('app.signin.code_hint'), attrs: { inputmode: 'numeric', autocomplete: 'one-time-code', required: true } }),
    field({ label: T('app.signin.label'), name: 'label', hint: T('app.signin.label_hint'), attrs: { maxlength: 80 } }),
    h('button', { type: 'submit' }, T('app.signin.submit')),
    again ? button(T('app.common.cancel'), () => home(), 'secondary') : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = formValues(form);
    form.querySelector('button[type=submit]').disabled = true;
    try {
      const prev = again ? await outbox.sender().catch(() => null) : null;
      const res = await api.register({ email: v.email.trim(), password: v.password, code: v.code.trim(), label: v.label, previous_token: prev ? prev.token : undefined });
      if (again) {
        await store.setDevice(res, ui);
        await keepRevokeToken(res);
        sync.resetAuth();
        say(T('app.signin.done'));
        home();
        sync.syncNow();
      } else {
        pendingToken = res;
        passphraseScreen();
      }
    } catch (err) {
      // A 403 says which: no second factor yet, or a role without tablets.
      const forbidden = { 'urn:gehoord:problem:second-factor-not-set-up': 'app.signin.no_second_factor',
        'urn:gehoord:problem:role-not-allowed': 'app.signin.role_not_allowed' }[err.body && err.body.type] || 'app.signin.forbidden';
      const key = !err.status ? 'app.error.offline' : err.status === 403 ? forbidden
        : err.status === 429 ? 'app.signin.too_many' : 'app.signin.failed';
      signInScreen(again, T(key));
    }
  });
  show(h('h1', null, T(again ? 'app.signin.again_title' : 'app.signin.title')),
    h('p', null, T('app.signin.intro')), form);
}

function passphraseScreen(msg = '') {
  leaveHome();
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'passphrase' },
    msg ? h('p', { class: 'error-summary', role: 'alert' }, msg) : null,
    field({ label: T('app.passphrase.new'), name: 'p1', type: 'password', hint: T('app.passphrase.hint'), attrs: { ...SECRET, minlength: 8, required: true } }),
    field({ label: T('app.passphrase.repeat'), name: 'p2', type: 'password', attrs: { ...SECRET, required: true } }),
    h('button', { type: 'submit' }, T('app.passphrase.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = formValues(form);
    if ([...v.p1].length < 8) return passphraseScreen(T('app.passphrase.short'));
    if (v.p1 !== v.p2) return passphraseScreen(T('app.passphrase.mismatch'));
    form.querySelector('button').disabled = true;
    say(T('app.passphrase.working'));
    await db.clearAll();
    await vault.create(v.p1);
    await store.setDevice(pendingToken, ui);
    await keepRevokeToken(pendingToken);
    pendingToken = null;
    checkStorage();
    afterUnlock();
  });
  show(h('h1', null, T('app.passphrase.title')), h('p', null, T('app.passphrase.intro')), form);
}

// ---- locked ----

function unlockScreen(msg = '') {
  leaveHome();
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'unlock' },
    msg ? h('p', { class: 'error-summary', role: 'alert', id: 'unlock-error' }, msg) : null,
    field({ label: T('app.unlock.passphrase'), name: 'passphrase', type: 'password', attrs: { ...SECRET, required: true } }),
    h('button', { type: 'submit' }, T('app.unlock.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = formValues(form).passphrase;
    form.querySelector('button').disabled = true;
    say(T('app.passphrase.working'));
    if (await vault.unlock(p)) afterUnlock();
    else unlockScreen(T('app.unlock.wrong'));
  });
  const reset = h('details', { class: 'reset' },
    h('summary', null, T('app.reset.title')),
    h('p', null, T('app.reset.warning')),
    button(T('app.reset.confirm'), async () => {
      const withdrawn = await withdraw();
      await db.clearAll();
      say(T('app.reset.done'));
      signInScreen(false, withdrawn ? '' : T('app.reset.not_withdrawn'));
    }, 'danger', { id: 'reset' }));
  show(h('h1', null, T('app.unlock.title')), h('p', null, T('app.unlock.intro')), form, reset);
  const input = document.querySelector('#unlock input');
  if (input && msg) input.focus();
}

// The revoke-only token is kept outside the vault: it can do nothing but
// withdraw this tablet, which "erase everything" must be able to do when
// the passphrase is forgotten.
async function keepRevokeToken(res) {
  if (res.revoke_token) await db.put('meta', { id: 'revoke', token: res.revoke_token });
}

// withdraw asks the server to revoke this tablet before it is erased; false
// when that could not be done (offline, or no revoke token).
async function withdraw() {
  let rec = null;
  try { rec = await db.get('meta', 'revoke'); } catch { /* nothing kept */ }
  if (!rec || !rec.token || !navigator.onLine) return false;
  try {
    await api.revoke(rec.token);
    return true;
  } catch (err) {
    return !!err && err.status === 401; // unknown to the server: nothing left to withdraw
  }
}

async function afterUnlock() {
  vault.touch();
  // A tablet registered before sealing: its send record is made from the
  // registration in the vault (the desk's key is fetched when sending).
  if (!(await outbox.sender())) {
    const dev = await store.getMeta('device');
    if (dev && dev.token) await store.setDevice(dev, ui);
  }
  await migrateDraft();
  // The desk's keep time, not the built-in default.
  await store.reconcile(sync.sentKeepHours()).catch(() => {});
  header();
  await sync.loadStatus();
  home();
  sync.syncNow();
}

// ---- home: the round, new report, cards, the queue ----

async function home() {
  current = null;
  onHome = true;
  const round = await store.getMeta('round');
  const drafts = await listDrafts();
  const history = (await store.getMeta('history')) || {};
  if (!onHome) return;
  const notices = [];
  if (updateReady) {
    notices.push(h('div', { class: 'notice', id: 'update' }, h('p', null, T('app.update.ready')),
      button(T('app.update.reload'), applyUpdate)));
  }
  if (persistent === false) notices.push(h('p', { class: 'notice', id: 'not-persistent' }, T('app.storage.not_persistent')));
  shownUnauthorized = sync.status.unauthorized;
  if (sync.status.unauthorized) {
    notices.push(h('div', { class: 'error-summary', id: 'unauthorized', role: 'alert' },
      h('p', null, T('app.device.revoked')),
      button(T('app.device.register_again'), () => signInScreen(true))));
  }
  const sent = round && history[round.id];
  const roundBox = h('section', { 'aria-labelledby': 'round-h' },
    h('h2', { id: 'round-h' }, T('app.round.title')),
    round ? h('p', { id: 'round-now' }, roundText(round)) : h('p', null, T('app.round.none')),
    round ? h('p', { id: 'round-sent' }, sent
      ? T('app.round.sent', { reports: N('app.round.sent_reports', sent.reports), cards: N('app.round.sent_cards', sent.cards),
        time: new Date(sent.times[sent.times.length - 1]).toLocaleTimeString(ui, { hour: '2-digit', minute: '2-digit' }) })
      : T('app.round.sent_none')) : null,
    button(T(round ? 'app.round.change' : 'app.round.start'), () => roundScreen(round), 'secondary', { id: 'round-edit' }));
  const actions = h('div', { class: 'actions' },
    button(T('app.home.new_report'), () => (round ? reportScreen() : roundScreen(null, true)), 'big', { id: 'new-report' }),
    button(T('app.home.cards'), () => (round ? cardsScreen(round) : roundScreen(null, false, true)), 'big secondary', { id: 'cards' }));
  // One draft per person: each unfinished report is listed, to resume or
  // discard; "New report" always starts clean.
  const draftBox = drafts.length ? h('section', { 'aria-labelledby': 'drafts-h', id: 'drafts' },
    h('h2', { id: 'drafts-h' }, T('app.drafts.title')),
    h('ul', { class: 'drafts' }, drafts.map((d) => h('li', { 'data-id': d.body.id },
      h('p', null, T('app.drafts.item', { time: new Date(d.saved).toLocaleTimeString(ui, { hour: '2-digit', minute: '2-digit' }), language: langName(d.body.language) })),
      button(T('app.drafts.resume'), () => reportForm(d.body, { draft: true, fixing: d.fixing }), 'secondary', { class: 'secondary resume' }),
      button(T('app.drafts.discard'), async () => { await dropDraft(d.body.id); home(); }, 'link', { class: 'link discard' }))))) : null;
  const queue = h('section', { 'aria-labelledby': 'queue-h', id: 'queue' }, h('h2', { id: 'queue-h' }, T('app.queue.title')), h('div', { id: 'queue-body' }));
  show(h('h1', null, T('app.home.title')), notices, roundBox, actions, draftBox || [], queue);
  homeQueue();
}

const langName = (code) => ((cfg.languages.find((l) => l.code === code) || {}).name || code);

// ---- drafts: one per person, in the vault ----

async function listDrafts() {
  const all = (await store.getMeta('drafts')) || {};
  return Object.values(all).sort((a, b) => a.saved - b.saved);
}

async function putDraft(d) {
  const all = (await store.getMeta('drafts')) || {};
  all[d.body.id] = { ...d, saved: Date.now() };
  await store.setMeta('drafts', all);
}

async function dropDraft(id) {
  const all = (await store.getMeta('drafts')) || {};
  if (!(id in all)) return;
  delete all[id];
  await store.setMeta('drafts', Object.keys(all).length ? all : null);
}

// migrateDraft moves the single draft of earlier versions into the list.
async function migrateDraft() {
  const old = await store.getMeta('draft');
  if (!old || !old.body) return;
  await putDraft({ body: old.body, fixing: null });
  await store.setMeta('draft', null);
}

function roundText(r) {
  return [r.date, r.setting ? i18n.t(ui, `setting.${r.setting}`) : '', muniName(r.municipality), r.place].filter(Boolean).join(' · ');
}

// ---- municipalities: a choice from the list in /app/config.json ----

const fold = (s) => (s || '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

// muniCode turns a stored value into the list's value: a code stays, a
// name (a round or draft from before the list) becomes its code, anything
// else 'unknown'. The server codes what it receives the same way.
function muniCode(v) {
  if (v === 'unknown' || v === 'online') return v;
  const f = fold(v);
  const m = f && cfg.municipalities.find((x) => x.code.toLowerCase() === f || fold(x.name) === f);
  return m ? m.code : 'unknown';
}

function muniName(v) {
  if (!v || v === 'unknown') return '';
  if (v === 'online') return i18n.t(ui, 'form.municipality_online');
  const m = cfg.municipalities.find((x) => x.code === v);
  return m ? m.name : v;
}

// muniOptions: the two answers that are no place, then every municipality
// in the server's order (the same in every language of the form).
function muniOptions(unknownLabel, onlineLabel) {
  return [{ value: 'unknown', label: unknownLabel }, { value: 'online', label: onlineLabel },
    ...cfg.municipalities.map((m) => ({ value: m.code, label: m.name }))];
}

let queueSeq = 0;
async function homeQueue() {
  const box = document.getElementById('queue-body');
  if (!box || !vault.unlocked()) return;
  const mine = ++queueSeq;
  let all;
  try { all = (await store.queue()).filter((it) => it.state !== 'sent'); } catch { return; }
  if (mine !== queueSeq) return;
  const rejected = all.filter((it) => it.state === 'rejected');
  const reports = all.filter((it) => it.kind === 'report' && it.state !== 'rejected').length;
  const cards = all.filter((it) => it.kind === 'cards' && it.state !== 'rejected').length;
  const st = sync.status;
  const kids = [
    h('p', { id: 'queue-waiting' }, N('app.queue.reports', reports), cards ? ' · ' + N('app.queue.cards', cards) : ''),
    h('p', { id: 'queue-last' }, st.lastSync ? T('app.queue.last_sync', { time: new Date(st.lastSync).toLocaleString(ui) }) : T('app.queue.never')),
  ];
  if (st.running) kids.push(h('p', null, T('app.sync.running')));
  if (st.lastError && st.lastError !== 'unauthorized') {
    kids.push(h('p', { class: 'field-error', id: 'queue-error' },
      T(st.lastError === 'offline' ? 'app.queue.offline' : 'app.queue.server_error'),
      st.nextTry ? ' ' + T('app.queue.next_try', { time: new Date(st.nextTry).toLocaleTimeString(ui) }) : ''));
  }
  if (rejected.length) {
    kids.push(h('h3', null, N('app.queue.rejected', rejected.length)));
    kids.push(h('ul', { class: 'rejected', id: 'rejected' }, rejected.map((it) => h('li', { 'data-id': it.id },
      h('p', null, h('strong', null, T(KIND_LABEL[it.kind])), ' ',
        it.kind === 'cards' ? `${it.entry.batch} × ${it.entry.count}` : it.kind === 'report' ? langName(it.entry.language) : ''),
      h('ul', null, (it.errors || []).map((e) => h('li', { class: 'field-error' }, errorText(e, it)))),
      button(T('app.queue.fix'), () => fixItem(it), 'secondary')))));
  }
  kids.push(button(T('app.queue.sync_now'), async () => {
    await sync.syncNow();
    say(sync.status.lastError ? T('app.queue.offline') : T('app.queue.synced'));
  }, '', { id: 'sync-now', disabled: st.running }));
  box.replaceChildren(...kids);
}

// errorText: the desk's reason in the worker's language, with her
// language's text beside it when that differs (a report's errors are
// about what she said).
function errorText(e, it) {
  const mine = e.staff || e.detail;
  const hers = it.kind === 'report' && e.detail && e.detail !== mine ? e.detail : '';
  return [mine, hers ? h('span', { lang: it.entry.language, class: 'hers' }, ` (${hers})`) : null];
}

// ---- the round of a visit ----

function roundScreen(round, thenReport = false, thenCards = false) {
  leaveHome();
  const r = round || { date: today(), setting: '', municipality: '', place: '' };
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'round' },
    field({ label: T('app.round.date'), name: 'date', type: 'date', value: r.date, attrs: { required: true } }),
    select({ label: T('app.round.setting'), name: 'setting', value: r.setting,
      options: [{ value: '', label: T('app.round.setting_none') }, ...cfg.settings.map((s) => ({ value: s, label: i18n.t(ui, `setting.${s}`) }))] }),
    select({ label: T('app.round.municipality'), name: 'municipality', value: muniCode(r.municipality),
      options: muniOptions(T('app.round.municipality_none'), T('form.municipality_online')) }),
    field({ label: T('app.round.place'), name: 'place', value: r.place, hint: T('app.round.place_hint'), attrs: { maxlength: 200 } }),
    h('button', { type: 'submit' }, T('app.round.save')),
    button(T('app.common.cancel'), () => home(), 'secondary'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date)) v.date = today();
    // A changed visit is a new round: cases already made keep theirs.
    const nr = { id: uuid(), date: v.date, setting: v.setting, municipality: v.municipality, place: v.place.trim(), language: ui };
    await store.enqueue('round', nr);
    await store.setMeta('round', nr);
    sync.requestBackground();
    if (thenReport) reportScreen();
    else if (thenCards) cardsScreen(nr);
    else home();
  });
  show(h('h1', null, T('app.round.title')), h('p', null, T('app.round.intro')), form);
}

// ---- QR cards handed out on this round ----

function cardsScreen(round, msg = '', values = {}, fixing = null) {
  leaveHome();
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'cards-form' },
    msg ? h('p', { class: 'error-summary', role: 'alert' }, msg) : null,
    h('p', null, T('app.cards.round', { round: roundText(round) })),
    field({ label: T('app.cards.batch'), name: 'batch', value: values.batch || '', hint: T('app.cards.batch_hint'), attrs: { maxlength: 40, autocapitalize: 'characters', required: true } }),
    field({ label: T('app.cards.count'), name: 'count', type: 'number', value: values.count || '', attrs: { min: 1, max: 10000, inputmode: 'numeric', required: true } }),
    h('button', { type: 'submit' }, T('app.cards.save')),
    button(T('app.common.back'), () => home(), 'secondary'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const batch = v.batch.trim().toUpperCase();
    const count = Number(v.count);
    if (!batch) return cardsScreen(round, T('app.cards.batch_required'), v, fixing);
    if (!Number.isInteger(count) || count < 1 || count > 10000) return cardsScreen(round, T('app.cards.count_invalid'), v, fixing);
    await store.enqueue('cards', {
      id: uuid(), round: round.id, batch, setting: round.setting, municipality: round.municipality,
      date: round.date, count, language: ui,
    });
    // The rejected count goes only now that its correction is saved.
    if (fixing) await store.remove(fixing.id);
    sync.requestBackground();
    say(T('app.cards.saved'));
    if (navigator.onLine) sync.syncNow();
    home();
  });
  show(h('h1', null, T('app.cards.title')), form);
}

// ---- intake on her behalf ----

// emptyReport is the body a new intake starts from. Exported so the
// browser tests build their reports exactly as the form does.
export function emptyReport(round, lang) {
  return {
    id: uuid(), receipt: receipt(), kind: '', category: '', description: '', about: '',
    municipality: round ? muniCode(round.municipality) : 'unknown', happened_on: '', setting: round ? round.setting : '',
    wish: '', identity: { mode: '' }, share_identity: false, reporter: 'outreach', language: lang,
    round: round ? round.id : '', card: '', batch: '',
  };
}

// herLanguage: the language chosen last in this round, else the worker's.
async function herLanguage(round) {
  const last = await store.getMeta('lastlang');
  if (last && round && last.round === round.id && cfg.languages.some((l) => l.code === last.lang)) return last.lang;
  return cfg.languages.some((l) => l.code === ui) ? ui : 'nl';
}

async function rememberLanguage(lang) {
  const round = await store.getMeta('round');
  if (round) await store.setMeta('lastlang', { round: round.id, lang });
}

// reportScreen: "New report" always starts a clean form for the next
// person; unfinished ones wait on the home screen.
async function reportScreen() {
  const round = await store.getMeta('round');
  return reportForm(emptyReport(round, await herLanguage(round)), {});
}

// batches of the round: the card batches counted on it, to choose from.
async function roundBatches(roundId) {
  const list = await store.items('cards').catch(() => []);
  return [...new Set(list.filter((it) => it.entry && it.entry.round === roundId).map((it) => it.entry.batch))].sort();
}

async function fixItem(it) {
  if (it.kind === 'cards') {
    const e = it.entry;
    const round = { id: e.round, date: e.date, setting: e.setting, municipality: e.municipality };
    // The rejected count stays in the queue until the corrected one is saved.
    return cardsScreen(round, (it.errors || []).map((x) => x.staff || x.detail).join(' '), { batch: e.batch, count: e.count }, it);
  }
  if (it.kind === 'report') {
    // Her words were sealed for the desk and are not on the tablet: the
    // worker records the report again with her, under a new id, keeping
    // the receipt she was given (unless the desk refused it).
    const weak = (it.errors || []).some((e) => e.field === 'receipt');
    const round = await store.getMeta('round');
    // She told it when it was first saved: the desk's deadlines run from then.
    const body = { ...emptyReport(round, it.entry.language || 'nl'), round: it.entry.round || '', batch: it.entry.batch || '',
      recorded_at: new Date(it.created).toISOString() };
    if (it.entry.receipt && !weak) body.receipt = it.entry.receipt;
    return reportForm(body, { fixing: { id: it.id, errors: it.errors || [] } });
  }
  home();
}

async function reportForm(r, opts) {
  leaveHome();
  const lang = r.language;
  await i18n.load(lang);
  const L = (key, args) => i18n.t(lang, key, args);
  const errs = opts.errors || {};
  const srv = opts.serverErrors || {};
  const err = (f) => srv[f] || (errs[f] ? (f === 'card' ? T(errs[f]) : L(errs[f])) : null);

  const langSel = select({ label: T('app.report.language'), name: 'language', value: lang, options: cfg.languages.map((l) => ({ value: l.code, label: l.name })) });
  const catOptions = [];
  for (const g of cfg.groups) {
    catOptions.push({ group: L(`group.${g}`) });
    for (const c of cfg.categories.filter((x) => x.group === g)) catOptions.push({ value: c.id, label: L(`category.${c.id}.label`) });
  }
  const round = await store.getMeta('round');
  const batches = await roundBatches(r.round || (round && round.id));
  if (r.batch && !batches.includes(r.batch)) batches.push(r.batch);
  const fixNote = opts.fixing ? h('div', { class: 'error-summary', role: 'alert', id: 'fix-note', lang: ui },
    h('p', null, T('app.report.fix_sealed')),
    h('ul', null, (opts.fixing.errors || []).map((e) => h('li', null, errorText(e, { kind: 'report', entry: { language: lang } }))))) : null;
  const form = h('form', { novalidate: true, autocomplete: 'off', id: 'report', lang },
    Object.keys(errs).length || Object.keys(srv).length ? h('div', { class: 'error-summary', role: 'alert', id: 'report-errors' },
      h('p', null, L('form.errors_title')),
      h('ul', null, Object.keys({ ...errs, ...srv }).map((f) => h('li', null, err(f))))) : null,
    // The public form's reassurance, in her language, before anything is asked.
    h('div', { class: 'notice', id: 'reassure' }, h('p', null, L('form.no_police')), h('p', null, L('form.identity_hint'))),
    choices({ legend: L('form.kind'), name: 'kind', value: r.kind, error: err('kind'),
      options: cfg.kinds.map((k) => ({ value: k, label: L(`kind.${k}.label`) })) }),
    choices({ legend: L('form.category'), name: 'category', value: r.category, error: err('category'), hint: L('form.category_hint'), cls: 'tiles-set',
      options: catOptions }),
    field({ label: L('form.description'), name: 'description', value: r.description, hint: L('form.description_hint'), error: err('description'), multiline: true, attrs: { maxlength: cfg.max.description, autocapitalize: 'sentences' } }),
    field({ label: L('form.about'), name: 'about', value: r.about || '', hint: L('form.about_hint'), error: err('about'), attrs: { maxlength: cfg.max.short } }),
    select({ label: L('form.municipality'), name: 'municipality', value: muniCode(r.municipality), hint: L('form.municipality_hint'), error: err('municipality'),
      options: muniOptions(L('form.municipality_unknown'), L('form.municipality_online')) }),
    field({ label: L('form.happened_on'), name: 'happened_on', type: 'date', value: r.happened_on || '', error: err('happened_on') }),
    select({ label: L('form.setting'), name: 'setting', value: r.setting || '', error: err('setting'),
      options: [{ value: '', label: L('form.setting_none') }, ...cfg.settings.map((s) => ({ value: s, label: L(`setting.${s}`) }))] }),
    choices({ legend: L('form.wish'), name: 'wish', value: r.wish, error: err('wish'),
      options: cfg.wishes.map((w) => ({ value: w, label: L(`wish.${w}`) })) }),
    choices({ legend: L('form.identity'), name: 'identity.mode', value: r.identity.mode, error: err('identity.mode'), hint: L('form.identity_hint'),
      options: cfg.identity_modes.map((m) => ({ value: m, label: L(`identity.${m}`) })) }),
    field({ label: L('form.name'), name: 'identity.name', value: r.identity.name || '', hint: L('form.name_hint'), error: err('identity.name'), attrs: { maxlength: cfg.max.short } }),
    field({ label: L('form.contact'), name: 'identity.contact', value: r.identity.contact || '', hint: L('form.contact_hint'), error: err('identity.contact'), attrs: { maxlength: cfg.max.short } }),
    h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'share_identity', checked: !!r.share_identity }), L('form.share_identity')),
    // The worker's part: which card she handed over.
    h('div', { lang: ui, class: 'worker' },
      select({ label: T('app.report.batch'), name: 'batch', value: r.batch || '', hint: T('app.report.batch_hint'),
        options: [{ value: '', label: T('app.report.batch_none') }, ...batches.map((b) => ({ value: b, label: b }))] }),
      field({ label: T('app.report.card'), name: 'card', value: r.card || '', hint: T('app.report.card_hint'), error: err('card'), attrs: { maxlength: 20, autocapitalize: 'characters' } })),
    h('p', { class: 'visit', lang: ui }, T('app.report.visit', { round: round ? roundText(round) : T('app.round.none') })),
    h('div', { class: 'actions', lang: ui },
      h('button', { type: 'submit', id: 'save-report' }, T('app.report.save')),
      button(T('app.report.discard'), async () => { await dropDraft(r.id); current = null; home(); }, 'secondary', { id: 'discard' }),
      button(T('app.common.back'), async () => { await saveDraft(); current = null; home(); }, 'link', { id: 'back' })));

  const collect = () => {
    const v = formValues(form);
    return {
      ...r, kind: v.kind, category: v.category || '', description: v.description, about: v.about,
      municipality: v.municipality, happened_on: v.happened_on, setting: v.setting, wish: v.wish,
      identity: { mode: v['identity.mode'], name: v['identity.name'], contact: v['identity.contact'] },
      share_identity: !!v.share_identity, card: v.card || '', batch: v.batch || '',
    };
  };
  // The open form is saved (encrypted) as this person's draft while typing
  // and before locking, so neither a lock nor a closed tab loses what she said.
  let timer = null;
  const saveDraft = async () => {
    clearTimeout(timer);
    if (!vault.unlocked() || !document.body.contains(form)) return;
    await putDraft({ body: collect(), fixing: opts.fixing || null });
  };
  current = saveDraft;
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(saveDraft, 400); });
  langSel.querySelector('select').addEventListener('change', async (e) => {
    await saveDraft();
    await rememberLanguage(e.target.value);
    reportForm({ ...collect(), language: e.target.value }, { ...opts, errors: {}, serverErrors: {} });
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const body = normalize(collect());
    const problems = validate(body, cfg);
    if (body.card && !/^[0-9A-Z-]{1,20}$/.test(body.card)) problems.push({ field: 'card', key: 'app.report.card_invalid' });
    if (problems.length) {
      const m = {};
      for (const p of problems) if (!m[p.field]) m[p.field] = p.key;
      return reportForm(collect(), { ...opts, errors: m, serverErrors: {} });
    }
    if (!body.batch) delete body.batch;
    current = null;
    await saveReport(body, opts.fixing);
    receiptScreen(body);
  });
  show(h('h1', null, T(opts.fixing ? 'app.report.fix_title' : 'app.report.title')),
    opts.draft ? h('p', { class: 'notice' }, T('app.report.draft_restored')) : null,
    fixNote, h('p', null, T('app.report.intro')), langSel, form);
}

// saveReport seals and queues a report and drops its draft; a corrected
// report replaces the rejected one only now.
async function saveReport(body, fixing) {
  // When she told it: the desk's received time and deadlines start here.
  const rec = { ...body, recorded_at: body.recorded_at || new Date().toISOString() };
  await store.enqueue('report', rec);
  if (fixing && fixing.id !== body.id) await store.remove(fixing.id);
  await dropDraft(body.id);
  await rememberLanguage(body.language);
  sync.requestBackground();
  if (navigator.onLine) sync.syncNow();
}

function receiptScreen(body) {
  const lang = body.language;
  const L = (key, args) => i18n.t(lang, key, args);
  const check = h('input', { type: 'checkbox', id: 'receipt-ok' });
  const msg = h('p', { class: 'field-error', id: 'receipt-msg', hidden: true }, L('receipt.confirm_needed'));
  show(
    h('div', { lang }, h('h1', null, L('receipt.title')), h('p', null, L('receipt.your_number'))),
    h('p', { class: 'receipt', id: 'receipt', lang: 'zxx' }, h('span', null, group(body.receipt))),
    h('div', { lang }, h('p', null, h('strong', null, L('receipt.keep'))), h('p', null, L('receipt.keep_how'))),
    h('p', { class: 'notice', lang: ui }, T('app.receipt.card')),
    h('p', { lang: ui }, T('app.receipt.queued')),
    h('label', { class: 'choice', for: 'receipt-ok', lang }, check, L('receipt.confirm')),
    msg,
    h('button', { type: 'button', id: 'receipt-done', lang, onclick: async () => {
      if (!check.checked) { msg.hidden = false; check.focus(); return; }
      // Handed over: the tablet forgets her number.
      await store.handedOver(body.id).catch(() => {});
      home();
    } }, L('receipt.done')));
}

boot();
