/* Receive page: the paired scale's live weight and stability, polled from the store. */
"use strict";
(function () {
  var box = document.getElementById("scale"), out = document.getElementById("scale-text");
  if (!box) return;
  function kg(g) { return (g / 1000).toFixed(3) + " kg"; }
  function tick() {
    fetch(box.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (!s.name) out.textContent = box.dataset.none;
        else if (!s.connected) out.textContent = box.dataset.off;
        else if (s.stable_g) out.textContent = kg(s.stable_g) + " · " + box.dataset.stable;
        else if (s.weight_g != null) out.textContent = kg(s.weight_g) + " · " + box.dataset.moving;
        else out.textContent = "—";
        box.className = "scale " + (s.stable_g ? "stable" : "");
      }, function () {})
      .then(function () { setTimeout(tick, 500); });
  }
  tick();
})();
