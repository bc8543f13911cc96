// Staff notifications: turn Web Push on or off for this device. Permission
// is asked only from a tap on the button, never on page load.
(function () {
  'use strict';
  var box = document.getElementById('push-box');
  if (!box) { return; }
  var on = document.getElementById('push-on');
  var off = document.getElementById('push-off');
  var label = document.getElementById('push-label');
  var controls = document.getElementById('push-controls');

  function show(name) {
    var els = box.querySelectorAll('[data-msg]');
    for (var i = 0; i < els.length; i++) { els[i].hidden = els[i].getAttribute('data-msg') !== name; }
  }

  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  var standalone = (window.matchMedia && window.matchMedia('(display-mode: standalone)').matches) ||
    navigator.standalone === true;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    // On iPhone and iPad outside the installed web app the page's own
    // note (always shown) says what to do.
    if (!(ios && !standalone)) { show('unsupported'); }
    return;
  }

  // Registering the worker asks for nothing; the permission prompt comes
  // only from the button.
  var registered = navigator.serviceWorker.register('/staff/sw.js', { scope: '/staff/' });
  controls.hidden = false;

  function key() {
    var s = box.getAttribute('data-key').replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) { s += '='; }
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function sameKey(sub) {
    var k = sub.options && sub.options.applicationServerKey;
    if (!k) { return true; }
    var a = new Uint8Array(k), b = key();
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }

  // A promise that rejects with a TimeoutError after ms: some browsers'
  // subscribe() never settles when no push service can be reached.
  function within(p, ms) {
    return new Promise(function (resolve, reject) {
      var t = setTimeout(function () { var e = new Error('timeout'); e.name = 'TimeoutError'; reject(e); }, ms);
      p.then(function (v) { clearTimeout(t); resolve(v); }, function (e) { clearTimeout(t); reject(e); });
    });
  }

  function send(method, sub, extra) {
    var body = sub.toJSON();
    if (extra) { for (var k in extra) { body[k] = extra[k]; } }
    return fetch('/api/v1/push/subscriptions', {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': box.getAttribute('data-csrf') },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.status === 422 && method === 'POST') {
        // The desk accepts the public push services only; say so when
        // this browser's is another one.
        return res.json().catch(function () { return {}; }).then(function (p) {
          var refused = (p.errors || []).some(function (e) { return e.field === 'endpoint'; });
          var e = new Error('HTTP 422');
          if (refused) { e.name = 'Service'; }
          throw e;
        });
      }
      if (!res.ok && !(method === 'DELETE' && res.status === 404)) { throw new Error('HTTP ' + res.status); }
    });
  }

  // A tap decides what the page says from then on: on a slow phone the
  // first look-up below can answer after the tap's own outcome.
  var tapped = false;

  registered.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
    if (tapped) { return; }
    if (sub && Notification.permission === 'granted') { off.hidden = false; show('on'); }
    else if (Notification.permission === 'denied') { show('denied'); }
    else { show('off'); }
  }).catch(function () { if (!tapped) { show('unsupported'); } });

  on.addEventListener('click', function () {
    tapped = true;
    on.disabled = true;
    show('working');
    var timeout = parseInt(box.getAttribute('data-timeout') || '30000', 10);
    Notification.requestPermission().then(function (perm) {
      if (perm !== 'granted') { var e = new Error('denied'); e.name = 'Denied'; throw e; }
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.getSubscription().then(function (sub) {
        if (sub && sameKey(sub)) { return sub; }
        var gone = sub ? sub.unsubscribe() : Promise.resolve(true);
        return gone.then(function () {
          return within(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key() }), timeout);
        });
      });
    }).then(function (sub) {
      return send('POST', sub, { label: label.value });
    }).then(function () {
      window.location.reload();
    }).catch(function (e) {
      show(e && e.name === 'Denied' ? 'denied' : e && e.name === 'TimeoutError' ? 'timeout' : e && e.name === 'Service' ? 'service' : 'failed');
    }).then(function () { on.disabled = false; });
  });

  off.addEventListener('click', function () {
    tapped = true;
    off.disabled = true;
    registered.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) { return null; }
      return send('DELETE', sub).then(function () { return sub.unsubscribe(); });
    }).then(function () {
      window.location.reload();
    }).catch(function () { show('failed'); off.disabled = false; });
  });
})();
