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
