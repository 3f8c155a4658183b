/* 我的培训券: register the offline helper and wire the print button. The pages work without it. */
(function () {
  "use strict";
  var me = document.currentScript;
  var printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
  if (!me || !("serviceWorker" in navigator)) return;

  if (me.getAttribute("data-clear") === "1") {
    // Signed out: forget the offline copies of this person's vouchers.
    if (window.caches) {
      caches.keys().then(function (keys) {
        keys.forEach(function (key) { if (key.indexOf("wallet-") === 0) caches.delete(key); });
      });
    }
    return;
  }
  var script = me.getAttribute("data-sw");
  if (!script) return;
  navigator.serviceWorker.register(script, { scope: me.getAttribute("data-scope") || "./" })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function (registration) {
      if (me.getAttribute("data-keep") !== "1" || !registration.active) return;
      // This page may have loaded before the helper was in charge: ask it to keep a copy now.
      var assets = [location.href];
      document.querySelectorAll("link[rel=stylesheet][href], script[src]").forEach(function (el) {
        assets.push(el.href || el.src);
      });
      registration.active.postMessage({ keep: assets });
    })
    .catch(function () { /* no offline copy; the page itself still works */ });
})();
