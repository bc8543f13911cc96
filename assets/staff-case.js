// The case page works without this script: every form posts and the
// server answers with a redirect back to the section acted in. With it, a
// form is sent in the background and only the page's main part is
// replaced, at the same place: no reload, no jump to the top.
(function () {
  "use strict";
  var busy = false;
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (busy || !(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" ||
        form.getAttribute("action").indexOf("/staff/cases/") !== 0 || !window.fetch || !window.DOMParser) {
      return;
    }
    ev.preventDefault();
    var submitter = ev.submitter || null;
    var data;
    try {
      data = submitter ? new FormData(form, submitter) : new FormData(form);
    } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    var action = form.getAttribute("action");
    var anchor = action.indexOf("#") >= 0 ? action.slice(action.indexOf("#")) : "";
    busy = true;
    fetch(action.split("#")[0], { method: "POST", body: new URLSearchParams(data), credentials: "same-origin", redirect: "follow" })
      .then(function (res) {
        if (!res.ok && res.status !== 422) throw new Error(String(res.status));
        return res.text().then(function (html) { return { url: res.url, html: html }; });
      })
      .then(function (r) {
        var doc = new DOMParser().parseFromString(r.html, "text/html");
        var fresh = doc.querySelector("main");
        var main = document.querySelector("main");
        if (!fresh || !main) throw new Error("no main");
        main.innerHTML = fresh.innerHTML;
        document.title = doc.title;
        history.replaceState(null, "", r.url.split("#")[0] + anchor);
        var err = document.getElementById("case-error");
        var to = err || (anchor && document.getElementById(anchor.slice(1)));
        if (to) to.scrollIntoView({ block: "start" });
        var flash = main.querySelector(".flash");
        if (flash) { flash.setAttribute("tabindex", "-1"); flash.focus({ preventScroll: true }); }
        busy = false;
      })
      .catch(function () {
        // Anything unexpected: the ordinary way.
        busy = false;
        HTMLFormElement.prototype.submit.call(form);
      });
  });
})();
