/* Sorting screen: follows every read over server-sent events, resuming from the last
   id seen after a drop; large shelf and pickup code, three tones, optional speech. */
"use strict";
(function () {
  var root = document.getElementById("sort");
  var S = JSON.parse(document.getElementById("strings").textContent);
  var lastId = parseInt(root.dataset.after, 10) || 0;
  var quietUpTo = parseInt(root.dataset.last, 10) || 0;  // backlog: shown, not sounded
  var $ = function (id) { return document.getElementById(id); };
  var history = $("history"), link = $("link"), current = null, source = null;
  var Sound = window.StationSound;

  function setText(id, v) { $(id).textContent = v == null ? "" : v; }

  function toggle(button, key, onText, offText, fallback) {
    function show() {
      var on = (localStorage.getItem(key) || fallback) === "on";
      button.textContent = on ? S[onText] : S[offText];
      button.classList.toggle("on", on);
      return on;
    }
    button.addEventListener("click", function () {
      var on = (localStorage.getItem(key) || fallback) === "on";
      localStorage.setItem(key, on ? "off" : "on");
      if (!on && key === "sound") { Sound.unlock(); Sound.play("ok"); }
      show();
    });
    return show;
  }
  var soundOn = toggle($("sound"), "sound", "sort.sound_on", "sort.sound_off", "on");
  var speakOn = toggle($("speak"), "speak", "sort.speak_on", "sort.speak_off", root.dataset.speak);
  soundOn(); speakOn();

  function say(text, always) {
    if (!text || !window.speechSynthesis || !(always ? Sound.on() : speakOn())) return;
    var u = new SpeechSynthesisUtterance(text);
    u.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN"; u.rate = 0.9;
    speechSynthesis.cancel(); speechSynthesis.speak(u);
  }

  function speak(code) {
    // Digit by digit, as stations announce it: 3-2-1045 -> "3 2 1 0 4 5".
    if (code) say(code.replace(/[^0-9A-Za-z]/g, "").split("").join(" "), false);
  }

  function archive(card) {
    var li = document.createElement("li");
    li.className = "tone-" + card.tone + (card.headline ? " kind-" + card.scan_type : "");
    li.innerHTML = "<b translate=no></b><span class=code translate=no></span><span class=m></span><time></time>";
    li.children[0].textContent = card.headline || card.pickup_code || card.shelf || "·";
    li.children[1].textContent = card.code || "";
    li.children[2].textContent = card.message;
    li.children[3].textContent = card.at + " " + (card.device || "");
    history.insertBefore(li, history.firstChild);
    while (history.children.length > 30) history.removeChild(history.lastChild);
  }

  // The mode each gun last scanned in: a scan in a new mode other than receive is spoken.
  var lastKind = {};

  function show(card) {
    if (current) archive(current);
    current = card;
    var other = !!card.headline;  // a recorded scan that is not a receive
    $("now").className = "now tone-" + card.tone + (other ? " kind-" + card.scan_type : "");
    // The pickup code is the biggest thing; a sign, dispatch or problem shows its own
    // word there instead, so it can never pass for a receive.
    setText("pickup", other ? card.headline : (card.pickup_code ||
      (card.tone === "bad" ? "\u2715" : card.shelf || "")));
    setText("shelf", other ? card.pickup_code : (card.pickup_code ? card.shelf : ""));
    var wb = card.waybill || "";
    setText("wb-head", wb.length > 4 ? wb.slice(0, -4) : "");
    setText("wb-tail", wb.length > 4 ? wb.slice(-4) : wb);
    setText("carrier", card.carrier);
    setText("weight", card.weight_g ? (card.weight_g / 1000).toFixed(2) + " kg" : "");
    setText("type", card.type);
    setText("device", card.device);
    setText("at", card.at);
    var msg = card.message;
    if (card.warnings.length) msg += " · " + card.warnings.join(" · ");
    if (card.code && !card.waybill) msg = card.code + " · " + msg;
    setText("msg", msg);
    $("now").dataset.id = card.id;
    var kindChanged = card.scan_type && lastKind[card.device] !== card.scan_type;
    if (card.scan_type) lastKind[card.device] = card.scan_type;
    if (card.id > quietUpTo) {
      Sound.play(card.tone);
      if (other && kindChanged) say(card.type, true);
      else if (card.status === "accepted" && !other) speak(card.pickup_code);
    }
  }

  function guns(list) {
    var box = $("guns");
    box.textContent = "";
    if (!list.length) {
      var none = document.createElement("div");
      none.className = "gun muted"; none.textContent = S["sort.no_guns"];
      box.appendChild(none);
    }
    list.forEach(function (g) {
      var div = document.createElement("div");
      div.className = "gun kind-" + g.mode;
      div.innerHTML = "<b translate=no></b> <span></span> <span class=who-op></span>";
      div.children[0].textContent = g.device;
      div.children[1].textContent = g.text;
      div.children[2].textContent = g.operator;
      box.appendChild(div);
    });
  }

  function online(ok) {
    link.className = "link " + (ok ? "on" : "off");
    link.textContent = ok ? S["sort.connected"] : S["sort.reconnecting"];
  }

  function connect() {
    // The browser resends Last-Event-ID itself when it reconnects; ?after= covers a
    // fresh EventSource after the server refused one (a closed source never retries).
    source = new EventSource(root.dataset.feed + "?after=" + lastId);
    source.onopen = function () { online(true); };
    source.addEventListener("read", function (e) {
      var card = JSON.parse(e.data);
      lastId = Math.max(lastId, parseInt(e.lastEventId, 10) || card.id);
      show(card);
    });
    source.addEventListener("desks", function (e) { guns(JSON.parse(e.data)); });
    source.onerror = function () {
      online(false);
      if (source.readyState !== EventSource.CLOSED) return;  // the browser retries itself
      // Refused outright: signed out (go and sign in) or too many screens (try again).
      fetch(root.dataset.session, { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) location.href = root.dataset.signin;
        else setTimeout(connect, 2000);
      }, function () { setTimeout(connect, 2000); });
    };
  }
  connect();

  var scan = $("scan");
  // One code at a time, in the order read: codes typed faster than the answers come
  // must not overtake each other on the way to the station.
  var queue = Promise.resolve();
  function send(code) {
    var data = new FormData(); data.set("code", code);
    var sent = queue.then(function () {
      return window.Station.post($("scan-form").dataset.api, data);
    }).then(function (card) {
      if (card.error) { setText("msg", card.error); $("now").className = "now tone-bad"; Sound.play("bad"); }
      return card;
    }, function () { setText("msg", S["err.network"]); $("now").className = "now tone-bad"; });
    queue = sent;
    return sent;
  }
  window.Station.scanField(scan, send);

  document.querySelectorAll("button[data-code]").forEach(function (b) {
    b.addEventListener("click", function () {
      send(b.dataset.code).then(function (card) {
        if (card && card.status === "accepted") {
          document.querySelectorAll("button.mode").forEach(function (m) { m.classList.remove("on"); });
          b.classList.add("on");
        }
        scan.focus({ preventScroll: true });
      });
    });
  });
})();
