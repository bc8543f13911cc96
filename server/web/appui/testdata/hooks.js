// The browser tests' way into the outreach app. It never ships: the tests
// add it to each tab through DevTools (Page.addScriptToEvaluateOnNewDocument),
// and TestAppBundleHasNoTestHooks keeps the app's own files free of hooks.
//
// window.gehoord holds the app's own module instances (a module imported
// again by the same URL is the one the page already runs), so the tests
// drive and read the app as it is, plus two helpers only tests need.
// window.gehoordReady resolves once window.gehoord is set (or failed to be).
(() => {
  if (!location.pathname.startsWith('/app/')) return;

  // Every IndexedDB connection the page opens, so a test can close them
  // behind the app's back, as a browser may do.
  const conns = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (...args) {
    const req = open.apply(this, args);
    req.addEventListener('success', () => conns.push(req.result));
    return req;
  };

  // Module scripts have run by DOMContentLoaded: importing only then never
  // starts the app ahead of its page.
  const loaded = new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  window.gehoordReady = loaded
    .then(() => Promise.all(['db', 'vault', 'store', 'sync', 'outbox', 'ids', 'validate', 'main'].map((m) => import(`/app/js/${m}.js`))))
    .then(([db, vault, store, sync, outbox, ids, validate, main]) => {
      window.gehoord = {
        db: {
          ...db,
          // dump: every record of every store, to check nothing readable is kept.
          async dump() {
            const [meta, items, ob] = await Promise.all([db.all('meta'), db.all('items'), db.all('outbox')]);
            return { meta, items, outbox: ob };
          },
          // closeForTest closes the app's open connections under it; its next
          // operation must recover.
          async closeForTest() {
            if (!conns.length) throw new Error('hooks: no IndexedDB connection to close');
            for (const c of conns.splice(0)) c.close();
          },
        },
        vault, store, sync, outbox,
        ids: { uuid: ids.uuid, receipt: ids.receipt },
        normalize: validate.normalize,
        emptyReport: main.emptyReport,
      };
    })
    .catch((err) => console.warn('hooks: the app did not load:', String(err)));
})();
