"use strict";
(function(){
  var $ = function(id){ return document.getElementById(id); };
  // The page's settings come as data attributes: the CSP allows no inline script.
  var CFG = document.querySelector("main").dataset;
  var answers = [], sid = "", ended = true, busy = false;
  "1 2 3 4 5 6 7 8 9 * 0 # ⌫".split(" ").forEach(function(k){
    var b = document.createElement("button");
    b.type = "button"; b.textContent = k;
    b.onclick = function(){
      var a = $("answer");
      a.value = k === "⌫" ? a.value.slice(0, -1) : a.value + k;
    };
    $("keys").appendChild(b);
  });
  // The first strong letter decides a screen's direction, as on a phone. Each line is its own
  // paragraph with its own direction (dir="auto"): in an Arabic screen "2. 5-11" has no letter
  // and reads left to right as typed, instead of being turned into "5-11 .2"; lines are only
  // aligned to the screen's side.
  var STRONG = /[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
  var RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
  function show(text){
    var screen = $("screen"), first = text.match(STRONG);
    screen.dir = first && RTL.test(first[0]) ? "rtl" : "ltr";
    screen.textContent = "";
    text.split("\n").forEach(function(line){
      var div = document.createElement("div");
      div.className = "line";
      div.dir = "auto";
      div.textContent = line;
      screen.appendChild(div);
    });
  }
  function newSession(){
    var bytes = new Uint8Array(8), hex = "";
    crypto.getRandomValues(bytes);
    bytes.forEach(function(x){ hex += (x < 16 ? "0" : "") + x.toString(16); });
    return CFG.prefix + hex;
  }
  function hop(text, done){
    busy = true;
    var form = new URLSearchParams({sessionId: sid, serviceCode: CFG.service,
      phoneNumber: $("phone").value, networkCode: CFG.network, text: text});
    var headers = {};
    headers[CFG.header] = "1";
    fetch(CFG.url, {method: "POST", body: form, headers: headers})
      .then(function(r){
        if (!r.ok) return r.text().then(function(t){ throw new Error(t); });
        return r.json();
      })
      .then(function(d){
        ended = d.end;
        show(d.screen);
        $("meta").textContent = (d.end ? "END" : "CON") + " · " + d.used + "/" + d.limit + " " +
          d.encoding + " · " + d.characters + " characters" + (d.fits ? "" : " · TOO LONG");
        $("meta").className = d.fits ? "" : "over";
        done(true);
      })
      .catch(function(e){ $("meta").textContent = "Error: " + e.message; $("meta").className = "over"; done(false); })
      .then(function(){ busy = false; $("answer").focus(); });
  }
  function send(){
    if (busy) return;
    if (ended) { $("meta").textContent = "The session has ended: dial again."; return; }
    answers.push($("answer").value);
    hop(answers.join("*"), function(ok){ if (ok) $("answer").value = ""; else answers.pop(); });
  }
  function dial(){
    if (busy) return;
    answers = []; sid = newSession(); $("sid").textContent = sid; $("answer").value = "";
    hop("", function(){});
  }
  $("send").onclick = send;
  $("dial").onclick = dial;
  $("answer").onkeydown = function(e){ if (e.key === "Enter") send(); };
})();
