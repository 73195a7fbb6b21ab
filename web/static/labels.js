/* The label-printer alert on the sorting screen and the status page: asks every 10 s
   (and when the tablet wakes) which printers fail, so a printer that stops mid-shift
   shows without a reload. */
"use strict";
(function () {
  var box = document.getElementById("print-alert");
  if (!box) { return; }
  function show(printers) {
    box.textContent = "";
    printers.forEach(function (p) {
      var line = document.createElement("div"), link = document.createElement("a");
      link.href = box.dataset.href;
      link.textContent = p.text;
      line.appendChild(link);
      box.appendChild(line);
    });
    box.hidden = printers.length === 0;
  }
  function poll() {
    fetch(box.dataset.api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { show(body.printers); } })
      .catch(function () { /* offline: the feed shows that; keep the last answer */ });
  }
  setInterval(poll, 10000);
  // A tablet woken from sleep asks at once rather than showing an old answer.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); }
  });
})();
