/* The station's day: live counts polled from the store (so a gun's scans show too) and
   the courier's signature drawn on a canvas, sent as a PNG with the closing form. */
"use strict";
(function () {
  document.querySelectorAll("[data-poll]").forEach(function (box) {
    function fill(data) {
      box.querySelectorAll("[data-k]").forEach(function (el) { el.textContent = data[el.dataset.k]; });
      document.querySelectorAll("[data-list]").forEach(function (ul) {
        var items = data[ul.dataset.list] || [];
        if (ul.childElementCount === items.length) return;
        ul.textContent = "";
        items.forEach(function (w) { var li = document.createElement("li"); li.textContent = w; ul.appendChild(li); });
      });
    }
    function poll() {
      fetch(box.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) fill(data); }, function () {})
        .then(function () { setTimeout(poll, 1000); });
    }
    poll();
  });

  var canvas = document.getElementById("signature");
  if (!canvas) return;
  var ctx = canvas.getContext("2d"), drawn = false, last = null;
  function blank() { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height); drawn = false; }
  blank();
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function at(e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }
  canvas.addEventListener("pointerdown", function (e) { canvas.setPointerCapture(e.pointerId); last = at(e); e.preventDefault(); });
  canvas.addEventListener("pointermove", function (e) {
    if (!last) return;
    var p = at(e);
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p; drawn = true;
  });
  ["pointerup", "pointercancel"].forEach(function (n) { canvas.addEventListener(n, function () { last = null; }); });
  document.getElementById("signature-clear").addEventListener("click", blank);
  var form = canvas.closest("form");
  form.addEventListener("submit", function (e) {
    if (!drawn) { e.preventDefault(); alert(form.dataset.empty); return; }
    form.querySelector("input[name=signature]").value = canvas.toDataURL("image/png");
  });
})();
