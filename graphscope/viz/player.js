// graphscope step-player: every step's picture is inlined below; no network access.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steps-data").textContent);
  var steps = data.steps;
  var rowsOf = data.rows || {};  // a listed matrix's one-line text -> its rows, columns lined up
  var last = steps.length - 1;
  var picture = document.getElementById("picture");
  var panel = document.getElementById("panel");
  var keys = Array.prototype.slice.call(document.querySelectorAll("footer .key[data-look]"));
  var slider = document.getElementById("slider");
  var number = document.getElementById("step-number");
  var phase = document.getElementById("phase");
  var playButton = document.getElementById("play");
  var help = document.getElementById("help");
  var zoomLabel = document.getElementById("zoom-level");
  var current = -1;
  var timer = null;
  // the view of the picture: "fit" (the whole graph in the pane) or a scale (1 = 100%: text at 12 px or more),
  // panned by tx, ty pixels; kept from step to step (every step is laid out the same)
  var view = { fit: true, scale: 1, tx: 0, ty: 0 };
  // a graph larger than the pane opens fitted (at 80% a card's 12pt text is still about 13 px); only below this
  // fitted scale, where its text would be too small to read, it opens at 100% on the current node
  var FIT_READABLE = 0.7;
  var MIN_SCALE = 0.05, MAX_SCALE = 8;

  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function breakable(text) {
    // names break after '/' ('block2/W'), never inside a name ('matmul_9')
    return esc(text).replace(/\//g, "/<wbr>");
  }


  function row(key, value, cls, after) {
    // a listed matrix ('[[1, 2], [3, 4]]', as every view writes it) stands one row a line under its name, its
    // columns lined up as in the pictures; a row is never broken (the panel scrolls sideways instead)
    var lines = rowsOf[value];
    var body = lines ? lines.map(esc).join("\n") : breakable(value);
    if (after) { body += '<span class="after">' + esc(after) + "</span>"; }
    cls = [cls, lines ? "rows" : ""].join(" ").trim();
    return "<dt" + (lines ? ' class="rows"' : "") + ">" + breakable(key) + "</dt><dd" +
           (cls ? ' class="' + cls + '"' : "") + ">" + body + "</dd>";
  }

  function pathRow(key, path) {
    // a source path breaks only after a '/', each folder and the file name whole; a name wider than the panel
    // loses its start ('…network_with_softmax.py:20', the line stays in view), the whole path on hover
    var parts = path.split("/");
    var html = parts.map(function (part, i) {
      return '<span class="path"><bdi>' + esc(part + (i < parts.length - 1 ? "/" : "")) + "</bdi></span>";
    }).join("");
    return "<dt>" + esc(key) + '</dt><dd title="' + esc(path) + '">' + html + "</dd>";
  }

  function beforeAfter(key, before, after, cls) {
    // 'before → after' on one line; listed matrices as two, 'before' then 'after'
    if (!rowsOf[before] && !rowsOf[after]) { return row(key, before + " \u2192 " + after, cls); }
    return row(key + " before", before, cls) + row(key + " after", after, cls);
  }

  function edgeHtml(e) {
    var head = "<h3>to " + esc(e.input) + " <small>(input " + e.slot + ", " + esc(e.shape) + ")</small></h3>";
    if (e.note) {
      return '<div class="edge">' + head + '<p class="note">' + esc(e.note) + "</p></div>";
    }
    var rows = row("local " + e.local_name, e.local) + row("Jacobian", e.jacobian);
    rows += row("contribution", e.product ? "upstream \u00d7 local = " + e.product : e.contribution, "grad");
    rows += row(e.accumulated_name, e.accumulated, "grad", e.complete ? "  (complete)" : "  (partial)");
    return '<div class="edge">' + head + "<dl>" + rows + "</dl></div>";
  }

  function updateHtml(d) {
    var rows = row("gradient " + d.grad_name, d.grad, "grad");
    d.state.forEach(function (st) {
      rows += beforeAfter(d.optimizer + " " + st.name, st.before, st.after);
    });
    rows += row("step", d.step_taken) + beforeAfter("value", d.value_before, d.value_after);
    rows += row("update/weight", d.ratio + "  (" + d.ratio_verdict + ")");
    return rows + "</dl>";
  }

  function panelHtml(s) {
    var d = s.details;
    var html = "<h2>" + breakable(d.node) + " <small>" + esc(d.op) + "</small></h2>";
    html += '<div class="title">' + esc(d.title) + "</div><dl>";
    html += row("phase", d.phase) + row("shape", d.shape);
    if (d.block) { html += row("folded", d.block); }
    if (d.scope) { html += row("scope", d.scope); }
    // a source path stays on one line, cut at its start when too long (the file and line stay), whole on hover
    if (d.source && d.source !== "<unknown>") { html += pathRow("made at", d.source); }
    if (d.phase === "forward") {
      html += row("value", d.value);
      html += "</dl>";
      return html;
    }
    if (d.phase === "update") {
      return html + updateHtml(d);
    }
    html += row("upstream " + d.upstream_name, d.upstream, "grad") + "</dl>";
    if (d.error) {  // the step whose VJP failed: what went wrong, where, and where the pass ends
      html += '<p class="note failed"><b>VJP failed: ' + esc(d.error) + "</b>" +
        (d.error_at ? "<br>" + breakable(d.error_at) : "") + "</p>";
      return html + '<p class="note">' + esc(d.stopped) + (d.unreached ? "<br>" + esc(d.unreached) : "") + "</p>";
    }
    if (d.edges.length) {
      html += '<p class="rule">local rule: ' + esc(d.rule) + "</p>";
      html += d.edges.map(edgeHtml).join("");
    } else {
      html += '<p class="note">a leaf: its gradient is complete</p>';
    }
    return html;
  }

  function svgOf() { return picture.querySelector("svg"); }

  function naturalSize(svg) {
    return { w: svg.width.baseVal.value || 1, h: svg.height.baseVal.value || 1 };
  }

  function fitScale(svg) {
    var size = naturalSize(svg);
    return Math.min(picture.clientWidth / size.w, picture.clientHeight / size.h);
  }

  function apply() {
    var svg = svgOf();
    if (!svg) { return; }
    var size = naturalSize(svg);
    if (view.fit) {
      view.scale = fitScale(svg);
      view.tx = (picture.clientWidth - size.w * view.scale) / 2;
      view.ty = Math.max(0, (picture.clientHeight - size.h * view.scale) / 2);
    }
    svg.style.transformOrigin = "0 0";
    svg.style.transform = "translate(" + view.tx + "px," + view.ty + "px) scale(" + view.scale + ")";
    picture.classList.toggle("fit", view.fit);
    zoomLabel.textContent = view.fit ? "fit (" + Math.round(view.scale * 100) + "%)" : Math.round(view.scale * 100) + "%";
  }

  function zoomAt(factor, x, y) {
    var scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.scale * factor));
    view.tx = x - (x - view.tx) * scale / view.scale;
    view.ty = y - (y - view.ty) * scale / view.scale;
    view.scale = scale;
    view.fit = false;
    apply();
  }

  function zoomCentre(factor) { zoomAt(factor, picture.clientWidth / 2, picture.clientHeight / 2); }

  function currentElement() {
    var key = steps[current].key;
    return key ? picture.querySelector("g#" + key) : null;
  }

  function follow(always) {
    // pan so the current node is in view (centred when it was outside, or when `always`)
    if (view.fit) { return; }
    var el = currentElement();
    if (!el) { return; }
    var r = el.getBoundingClientRect(), p = picture.getBoundingClientRect(), margin = 24;
    var inside = r.left >= p.left + margin && r.right <= p.right - margin &&
                 r.top >= p.top + margin && r.bottom <= p.bottom - margin;
    if (inside && !always) { return; }
    view.tx += (p.left + p.width / 2) - (r.left + r.width / 2);
    view.ty += (p.top + p.height / 2) - (r.top + r.height / 2);
    apply();
  }

  function actualSize() { view.fit = false; view.scale = 1; apply(); follow(true); }
  function fitView() { view.fit = true; apply(); }
  function toggleFit() { if (view.fit) { actualSize(); } else { fitView(); } }
  function pan(dx, dy) { if (view.fit) { return; } view.tx += dx; view.ty += dy; apply(); }
  function toggleHelp(on) { help.hidden = on === undefined ? !help.hidden : !on; }

  function show(k) {
    k = Math.max(0, Math.min(last, k));
    if (k === current) { return; }
    var first = current < 0;
    current = k;
    var s = steps[k];
    picture.innerHTML = s.svg;
    picture.setAttribute("data-step", String(k));
    if (first) {
      var svg = svgOf();
      view.fit = !svg || fitScale(svg) >= FIT_READABLE;
      if (!view.fit) { view.scale = 1; }
    }
    apply();
    follow(first);
    panel.innerHTML = panelHtml(s);
    slider.value = String(k);
    number.textContent = String(k);
    keys.forEach(function (key) { key.hidden = s.looks.indexOf(key.getAttribute("data-look")) < 0; });
    phase.textContent = s.details.phase;
    phase.className = "badge " + s.details.phase;
    try {  // the address keeps the step (#step=N); a page inside a notebook's iframe has no address to keep it in
      if (history.replaceState) { history.replaceState(null, "", "#step=" + k); }
    } catch (e) { /* about:srcdoc: nothing to keep */ }
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
  document.getElementById("zoom-in").addEventListener("click", function () { zoomCentre(1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomCentre(0.8); });
  document.getElementById("zoom-fit").addEventListener("click", toggleFit);
  document.getElementById("help-button").addEventListener("click", function () { toggleHelp(); });
  document.getElementById("help-close").addEventListener("click", function () { toggleHelp(false); });
  picture.addEventListener("wheel", function (ev) {
    var p = picture.getBoundingClientRect();
    zoomAt(Math.pow(1.0015, -ev.deltaY), ev.clientX - p.left, ev.clientY - p.top);
    ev.preventDefault();
  }, { passive: false });
  var drag = null;
  picture.addEventListener("mousedown", function (ev) {
    if (ev.button !== 0) { return; }
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
    ev.preventDefault();
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    if (view.fit) { view.fit = false; }
    drag.moved = true;
    picture.classList.add("dragging");
    view.tx += dx; view.ty += dy; drag.x = ev.clientX; drag.y = ev.clientY;
    apply();
  });
  window.addEventListener("mouseup", function () {
    if (drag && !drag.moved) { toggleFit(); }   // a click: fit / 100%
    drag = null;
    picture.classList.remove("dragging");
  });
  window.addEventListener("resize", apply);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var onSlider = ev.target === slider;
    var step = 80;
    if (ev.key === "?") { toggleHelp(); ev.preventDefault(); return; }
    if (ev.key === "Escape") { toggleHelp(false); return; }
    if (ev.key === "+" || ev.key === "=") { zoomCentre(1.25); ev.preventDefault(); return; }
    if (ev.key === "-" || ev.key === "_") { zoomCentre(0.8); ev.preventDefault(); return; }
    if (ev.key === "0") { actualSize(); ev.preventDefault(); return; }
    if (ev.key === "f") { toggleFit(); ev.preventDefault(); return; }
    if (ev.key === "c") { follow(true); ev.preventDefault(); return; }
    if (ev.shiftKey && ev.key.indexOf("Arrow") === 0) {
      var d = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] }[ev.key];
      pan(d[0], d[1]); ev.preventDefault(); return;
    }
    if (ev.key === "ArrowRight" && !onSlider) { stop(); show(current + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" && !onSlider) { stop(); show(current - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { stop(); show(0); ev.preventDefault(); }
    else if (ev.key === "End") { stop(); show(last); ev.preventDefault(); }
    else if (ev.key === " " && ev.target.tagName !== "BUTTON") { play(); ev.preventDefault(); }
  });

  slider.max = String(last);
  document.getElementById("step-last").textContent = String(last);
  number.style.minWidth = String(last).length + "ch";
  var m = /step=(\d+)/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : data.start);
})();
