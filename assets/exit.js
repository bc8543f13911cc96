// Quick exit: replace this page in the history, so Back does not return
// here, then leave. Without JavaScript the link still leaves.
(function () {
  var a = document.getElementById('quick-exit');
  if (!a) return;
  function leave(e) {
    if (e) e.preventDefault();
    try { history.replaceState(null, '', '/'); } catch (_) {}
    location.replace(a.href);
  }
  a.addEventListener('click', leave);
  // Three presses of Escape also leave, for a hurried hand on a keyboard.
  var n = 0, t;
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    n++; clearTimeout(t); t = setTimeout(function () { n = 0; }, 1200);
    if (n >= 3) leave();
  });
})();

// Back and Forward may bring a page back from the browser's memory (the
// back/forward cache) without asking the server — which shows a page with
// her receipt, her words or her messages only once. So a page is emptied
// as it goes into that memory, and one that comes back from it is asked
// for again. (Without JavaScript, the page's no-store icon keeps Chromium
// from keeping the page at all.)
(function () {
  window.addEventListener('pagehide', function (e) {
    if (!e.persisted) return;
    for (var i = 0; i < document.forms.length; i++) document.forms[i].reset();
    var main = document.getElementById('main');
    if (main) main.textContent = '';
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted) location.reload();
  });
})();
