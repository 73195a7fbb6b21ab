/* Station page: scan fields that keep focus without a soft keyboard, and forms that
   post with the CSRF token and show the core's answer. No dependencies. */
"use strict";
(function () {
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function post(url, data) {
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return { error: r.status + " " + r.statusText }; })
        .then(function (body) { body.httpStatus = r.status; return body; });
    });
  }

  function editable(el) {
    return el && el !== document.body && (el.isContentEditable ||
      /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }

  /* A gun types fast and ends with Enter (or Tab). With a soft IME active, Android
     reports keys as keyCode 229 "Unidentified" and the Enter may come only as a
     beforeinput line break, a form submit, or a tab/newline inside the text: take
     whichever comes first and clear the field, so the others find nothing. */
  function scanField(input, onCode) {
    var last = "", lastAt = 0;
    function flush(text) {
      var code = (text || "").replace(/[\r\n\t]+/g, "").trim();
      input.value = "";
      if (!code) return;
      var now = Date.now();
      if (code === last && now - lastAt < 150) return;  // the same read seen twice
      last = code; lastAt = now;
      onCode(code);
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.keyCode === 13 || e.key === "Tab") {
        e.preventDefault(); flush(input.value);
      }
    });
    input.addEventListener("beforeinput", function (e) {
      if (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph") {
        e.preventDefault(); flush(input.value);
      }
    });
    input.addEventListener("input", function () {
      var v = input.value;
      if (/[\r\n\t]/.test(v)) {
        var parts = v.split(/[\r\n\t]+/);
        input.value = parts.pop();
        parts.forEach(flush);
      }
    });
    // A form that exists only for this field posts by script; a bigger form (pickup)
    // still submits normally from its own button.
    if (input.form && input.form.dataset.api) {
      input.form.addEventListener("submit", function (e) { e.preventDefault(); flush(input.value); });
    }
    keypad(input);
    if (input.dataset.keep !== "no") {
      input.addEventListener("blur", function () {
        setTimeout(function () {
          if (!editable(document.activeElement)) input.focus({ preventScroll: true });
        }, 150);
      });
      document.addEventListener("click", function (e) {
        if (!editable(e.target) && !e.target.closest("a,button,label,summary")) {
          input.focus({ preventScroll: true });
        }
      });
      input.focus({ preventScroll: true });
    }
    return flush;
  }

  /* A damaged label must be typable on a tablet with no keyboard: a toggle beside the
     field brings up the on-screen keyboard (inputmode text) and puts it away again
     (inputmode none, so the gun's keystrokes never pop it up). */
  var keypadLabel = document.querySelector('meta[name="keypad-label"]');
  function keypad(input) {
    if (!keypadLabel || input.inputMode !== "none") return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small keypad";
    button.textContent = keypadLabel.content;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var on = input.inputMode === "none";
      input.inputMode = on ? "text" : "none";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("on", on);
      input.blur();
      input.focus({ preventScroll: true });
    });
    var wrap = document.createElement("div");
    wrap.className = "scan-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(button);
  }

  function text(el, value) { if (el) el.textContent = value == null ? "" : value; }

  function showCard(box, card) {
    if (!box) return;
    box.hidden = false;
    box.className = "result tone-" + (card.error ? "bad" : card.tone);
    text(box.querySelector("[data-f=shelf]"), card.shelf || "");
    text(box.querySelector("[data-f=pickup]"), card.pickup_code || "");
    text(box.querySelector("[data-f=code]"), card.waybill || card.code || "");
    var msg = card.error || card.message || "";
    if (card.verdict_text) msg = card.verdict_text + " · " + msg;
    if (card.warnings && card.warnings.length) msg += " · " + card.warnings.join(" · ");
    text(box.querySelector("[data-f=msg]"), msg);
    text(box.querySelector("[data-f=carrier]"), card.carrier_text || "");
  }

  /* Forms whose scan field posts each code to data-api and shows the answer. */
  document.querySelectorAll("form[data-api]").forEach(function (form) {
    var input = form.querySelector("input.scan");
    if (!input || form.id === "scan-form") return;
    var box = document.querySelector(form.dataset.result || "#result");
    function send(code, override) {
      var data = new FormData(form);
      data.set("code", code);
      if (override) data.set("override", "1");
      post(form.dataset.api, data).then(function (card) {
        showCard(box, card);
        overrideButton(box, card, function () { send(card.waybill, true); });
        // Per-parcel fields (a phone's last 4) must not carry over to the next parcel.
        form.querySelectorAll("[data-clear]").forEach(function (f) { f.value = ""; });
        if (window.StationSound) window.StationSound.play(card.error ? "bad" : card.tone);
        if (card.verdict) stocktake(card);
      }, function () { showCard(box, { error: form.dataset.offline || "offline" }); });
    }
    scanField(input, function (code) { send(code, false); });
  });

  /* A supervisor may confirm that a parcel signed today really came back. */
  function overrideButton(box, card, confirm) {
    var slot = box && box.querySelector("[data-f=override]");
    if (!slot) return;
    slot.textContent = "";
    if (!card.override) return;
    var button = document.createElement("button");
    button.type = "button";
    button.id = "override";
    button.textContent = card.override;
    button.addEventListener("click", function () { button.disabled = true; confirm(); });
    slot.appendChild(button);
  }

  /* Stocktake: move the scanned parcel between the lists in place. A reload would lose
     the next code if the clerk scans on while the page loads. */
  function stocktake(card) {
    var sel = function (list) { return "#" + list + " li[data-w='" + card.waybill + "']"; };
    var missing = document.querySelector(sel("missing"));
    if (missing) missing.remove();
    if (!document.querySelector(sel(card.verdict))) {
      var li = document.createElement("li");
      li.dataset.w = card.waybill;
      li.textContent = card.waybill + " " + (card.shelf || "");
      document.querySelector("#" + card.verdict + " ul").prepend(li);
    }
    ["found", "missing", "extra"].forEach(function (list) {
      text(document.querySelector("#" + list + " .tag"),
        document.querySelectorAll("#" + list + " li").length);
    });
  }

  /* Pickup: scanning a parcel ticks it in the list. */
  var pick = document.getElementById("pick-scan");
  if (pick) {
    scanField(pick, function (code) {
      var box = document.getElementById("pick-result");
      var key = code.toUpperCase();
      var hit = Array.prototype.find.call(document.querySelectorAll("input[name=waybill]"),
        function (c) { return c.value.toUpperCase() === key || c.dataset.pickup === code; });
      if (hit) {
        hit.checked = true;
        hit.closest("li").classList.add("ticked");
        showCard(box, { tone: "ok", message: hit.dataset.label, code: hit.value });
      } else {
        showCard(box, { error: pick.dataset.missing + " " + code });
      }
    });
  }

  /* Three tones made by Web Audio, nothing fetched: a short high beep (accepted), two
     mid beeps (duplicate or warnings), a low buzz (refused). Browsers allow sound only
     after a tap or a key, so the first one unlocks it. */
  var Sound = (function () {
    var ctx = null;
    function unlock() {
      var A = window.AudioContext || window.webkitAudioContext;
      if (!ctx && A) ctx = new A();
      if (ctx && ctx.state === "suspended") ctx.resume();
    }
    function beep(freq, at, dur, type, vol) {
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = type; osc.frequency.value = freq;
      gain.gain.setValueAtTime(vol, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + dur);
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(at); osc.stop(at + dur + 0.02);
    }
    function play(tone) {
      if (!ctx || localStorage.getItem("sound") === "off") return;
      var t = ctx.currentTime;
      if (tone === "ok") beep(1046, t, 0.12, "sine", 0.35);
      else if (tone === "warn") { beep(660, t, 0.1, "square", 0.15); beep(660, t + 0.18, 0.1, "square", 0.15); }
      else beep(196, t, 0.5, "sawtooth", 0.25);
    }
    document.addEventListener("pointerdown", unlock, true);
    document.addEventListener("keydown", unlock, true);
    return { play: play, unlock: unlock, on: function () { return localStorage.getItem("sound") !== "off"; } };
  })();
  window.StationSound = Sound;

  window.Station = { post: post, scanField: scanField, showCard: showCard };
})();
