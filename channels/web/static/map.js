// The live map (/admin/map): Leaflet, served by the gateway itself; the data from /admin/map.json.
// Filters change what is shown without reloading the page (the address follows them, so a reload or a
// shared link shows the same); the data is asked for again every data-poll-seconds.  No tiles unless
// MAP_TILE_URL is set: the pins and communes are then drawn on the map's plain background.
(function () {
  "use strict";
  var box = document.getElementById("map");
  var form = document.getElementById("map-filters");
  var status = document.getElementById("map-status");
  var updated = document.getElementById("map-updated");
  var tbody = document.querySelector("#communes tbody");
  if (!box || !form) return;
  var d = box.dataset;
  var PIN_COLOURS = {
    received: "#d97706", accepted: "#d97706", held: "#d97706", needs_information: "#d97706", failed: "#d97706",
    forwarded: "#0b4fa0", in_progress: "#0b4fa0", resolved: "#15803d", rejected: "#6b7280"
  };
  var map = null, pinLayer = null, communeLayer = null, timer = null, generation = 0, fitted = false;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  if (window.L) {
    var b = d.bounds.split(",").map(Number);
    map = L.map(box, { preferCanvas: false, zoomSnap: 0.25 });
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    if (d.tileUrl) {
      L.tileLayer(d.tileUrl, { attribution: d.tileAttribution, maxZoom: Number(d.tileMaxZoom) || 19 }).addTo(map);
    }
    communeLayer = L.featureGroup().addTo(map);
    pinLayer = L.featureGroup().addTo(map);
    var overlays = {};
    overlays[d.tCommunesLayer] = communeLayer;
    overlays[d.tPinsLayer] = pinLayer;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
  }

  function popupFor(pin) {
    var div = el("div");
    var title = el("strong", pin.code);
    div.appendChild(title);
    [pin.status_label, pin.field_label, pin.channel_label, pin.commune, d.tReceived + ": " + pin.received].forEach(function (line) {
      if (line) { div.appendChild(el("br")); div.appendChild(document.createTextNode(line)); }
    });
    div.appendChild(el("br"));
    var link = el("a", d.tOpen);
    link.href = "/admin/triage/" + encodeURIComponent(pin.code);
    div.appendChild(link);
    return div;
  }

  function draw(data) {
    var max = 1;
    data.communes.forEach(function (c) { if (c.count > max) max = c.count; });
    if (map) {
      communeLayer.clearLayers();
      pinLayer.clearLayers();
      data.communes.forEach(function (c) {
        if (c.lat === null || c.lon === null) return;
        var share = c.count / max;
        L.circleMarker([c.lat, c.lon], {
          radius: 10 + 22 * Math.sqrt(share), color: "#b91c1c", weight: 1, fillColor: "#dc2626",
          fillOpacity: 0.25 + 0.45 * share, className: "map-commune"
        }).bindTooltip(c.name + ": " + c.count).addTo(communeLayer);
      });
      data.pins.forEach(function (pin) {
        L.circleMarker([pin.lat, pin.lon], {
          radius: 7, color: "#ffffff", weight: 2, fillColor: PIN_COLOURS[pin.status] || "#d97706", fillOpacity: 1,
          className: "map-pin map-pin-" + pin.status
        }).bindPopup(popupFor(pin)).addTo(pinLayer);
      });
      var all = L.featureGroup([communeLayer, pinLayer]).getBounds();
      // Fitted once, and again after a filter changes: never while someone looks around between two polls.
      // No animation: the view is where it will stay as soon as the data is drawn.
      if (!fitted && all.isValid()) { map.fitBounds(all.pad(0.2), { maxZoom: 14, animate: false }); fitted = true; }
    }
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    data.communes.forEach(function (c) {
      var row = el("tr");
      row.dataset.code = c.code;
      var name = el("td", c.name);
      if (c.point_from === "") name.appendChild(el("span", " (" + d.tPointNone + ")", "hint"));
      if (c.point_from === "pins") name.appendChild(el("span", " (" + d.tPointPins + ")", "hint"));
      row.appendChild(name);
      row.appendChild(el("td", c.province || ""));
      row.appendChild(el("td", c.count, "n"));
      tbody.appendChild(row);
    });
    var lines = [fill(d.tSummary, { matched: data.matched, pins: data.pins.length, communes: data.communes.length })];
    if (data.without_commune) lines.push(fill(d.tWithoutCommune, { count: data.without_commune }));
    if (data.hidden_pins) lines.push(fill(d.tHiddenPins, { count: data.hidden_pins }));
    if (data.pins_left_out) lines.push(fill(d.tLeftOut, { count: data.pins_left_out, shown: data.pins.length }));
    // The live region changes only when what is shown does, not at every poll; the time is beside it.
    var summary = lines.join(" ");
    if (status.textContent !== summary) status.textContent = summary;
    updated.textContent = fill(d.tUpdated, { time: data.generated, seconds: d.pollSeconds });
    box.dataset.matched = String(data.matched);
    box.dataset.pins = String(data.pins.length);
    box.dataset.loaded = String(generation);
  }

  function query() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.value) params.set(input.name, input.value.trim());
    });
    return params.toString();
  }

  function load() {
    var mine = ++generation;
    var q = query();
    box.setAttribute("aria-busy", "true");
    window.clearTimeout(timer);
    fetch(d.source + (q ? "?" + q : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        return answer.json().then(function (body) { return { ok: answer.ok, code: answer.status, body: body }; });
      })
      .then(function (r) {
        if (mine !== generation) return;  // a newer filter was asked for meanwhile
        box.removeAttribute("aria-busy");
        if (r.code === 401) { status.textContent = d.tSignedOut; return; }  // no more polling
        if (!r.ok) { status.textContent = r.body.message || d.tFailed; return; }
        draw(r.body);
        timer = window.setTimeout(load, Number(d.pollSeconds) * 1000);
      })
      .catch(function () {
        if (mine !== generation) return;
        box.removeAttribute("aria-busy");
        status.textContent = d.tFailed;
        timer = window.setTimeout(load, Number(d.pollSeconds) * 1000);
      });
  }

  function changed(event) {
    if (event) event.preventDefault();
    var q = query();
    window.history.replaceState(null, "", window.location.pathname + (q ? "?" + q : ""));
    fitted = false;
    load();
  }
  form.addEventListener("submit", changed);
  Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
    select.addEventListener("change", changed);
  });
  load();
})();
