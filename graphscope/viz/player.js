// graphscope step-player: every step's picture is inlined below; no network access.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steps-data").textContent);
  var steps = data.steps;
  var last = steps.length - 1;
  var picture = document.getElementById("picture");
  var panel = document.getElementById("panel");
  var slider = document.getElementById("slider");
  var number = document.getElementById("step-number");
  var phase = document.getElementById("phase");
  var playButton = document.getElementById("play");
  var current = -1;
  var timer = null;

  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function row(key, value, cls) {
    return "<dt>" + esc(key) + "</dt><dd" + (cls ? ' class="' + cls + '"' : "") + ">" + esc(value) + "</dd>";
  }

  function edgeHtml(e) {
    var head = "<h3>to " + esc(e.input) + " <small>(input " + e.slot + ", " + esc(e.shape) + ")</small></h3>";
    if (e.note) {
      return '<div class="edge">' + head + '<p class="note">' + esc(e.note) + "</p></div>";
    }
    var rows = row("local " + e.local_name, e.local) + row("Jacobian", e.jacobian);
    rows += row("contribution", e.product ? "upstream \u00d7 local = " + e.product : e.contribution, "grad");
    rows += row(e.accumulated_name, e.accumulated + (e.complete ? "  (complete)" : "  (partial)"), "grad");
    return '<div class="edge">' + head + "<dl>" + rows + "</dl></div>";
  }

  function updateHtml(d) {
    var rows = row("gradient " + d.grad_name, d.grad, "grad");
    d.state.forEach(function (st) {
      rows += row(d.optimizer + " " + st.name, st.before + " \u2192 " + st.after);
    });
    rows += row("step", d.step_taken) + row("value", d.value_before + " \u2192 " + d.value_after);
    rows += row("update/weight", d.ratio + "  (" + d.ratio_verdict + ")");
    return rows + "</dl>";
  }

  function panelHtml(s) {
    var d = s.details;
    var html = "<h2>" + esc(d.node) + " <small>" + esc(d.op) + "</small></h2>";
    html += '<div class="title">' + esc(d.title) + "</div><dl>";
    html += row("phase", d.phase) + row("shape", d.shape);
    if (d.scope) { html += row("scope", d.scope); }
    if (d.source && d.source !== "<unknown>") { html += row("made at", d.source); }
    if (d.phase === "forward") {
      html += row("value", d.value);
      html += "</dl>";
      return html;
    }
    if (d.phase === "update") {
      return html + updateHtml(d);
    }
    html += row("upstream " + d.upstream_name, d.upstream, "grad") + "</dl>";
    if (d.edges.length) {
      html += '<p class="rule">local rule: contribution = (local Jacobian)<sup>T</sup> \u00b7 upstream</p>';
      html += d.edges.map(edgeHtml).join("");
    } else {
      html += '<p class="note">a leaf: its gradient is complete</p>';
    }
    return html;
  }

  function show(k) {
    k = Math.max(0, Math.min(last, k));
    if (k === current) { return; }
    current = k;
    var s = steps[k];
    picture.innerHTML = s.svg;
    picture.setAttribute("data-step", String(k));
    panel.innerHTML = panelHtml(s);
    slider.value = String(k);
    number.textContent = String(k);
    phase.textContent = s.details.phase;
    phase.className = "badge " + s.details.phase;
    if (history.replaceState) { history.replaceState(null, "", "#step=" + k); }
    if (k === last) { stop(); }
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.innerHTML = "\u25B6 play";
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (current === last) { show(0); }
    playButton.innerHTML = "\u23F8 pause";
    timer = setInterval(function () { show(current + 1); }, data.interval);
  }

  document.getElementById("first").addEventListener("click", function () { stop(); show(0); });
  document.getElementById("prev").addEventListener("click", function () { stop(); show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { stop(); show(current + 1); });
  document.getElementById("last").addEventListener("click", function () { stop(); show(last); });
  playButton.addEventListener("click", play);
  picture.addEventListener("click", function () { picture.classList.toggle("fit"); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var onSlider = ev.target === slider;
    if (ev.key === "ArrowRight" && !onSlider) { stop(); show(current + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" && !onSlider) { stop(); show(current - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { stop(); show(0); ev.preventDefault(); }
    else if (ev.key === "End") { stop(); show(last); ev.preventDefault(); }
    else if (ev.key === " " && ev.target.tagName !== "BUTTON") { play(); ev.preventDefault(); }
  });

  slider.max = String(last);
  document.getElementById("step-last").textContent = String(last);
  var m = /step=(\d+)/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : data.start);
})();
