// The park energy map: a park's occupied buildings coloured by consumption or kWh/m² for a month
// chosen on a time slider, and an enterprise panel (daily chart, totals, alarms) on click.
// Energy data is internal: the requests carry the key of the upload box (planner.js). Needs
// map.js, planner.js and energy_scale.js first; draws its charts as SVG itself (nothing
// fetched from outside).
(function () {
  "use strict";

  const map = window.dizhiMap;
  const box = document.getElementById("energy");
  const status = document.getElementById("energy-status");
  const slider = document.getElementById("energy-month");
  const label = document.getElementById("energy-month-label");
  const metric = document.getElementById("energy-metric");
  const panel = document.getElementById("energy-panel");
  const { monthsOf, paintFeatures, buildingsUrl, legend } = window.dizhiEnergyScale;
  const state = { park: null, months: [], scale: {}, ready: false };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function getJson(url) {
    return window.dizhiEnergyScale.getJson(url, window.dizhiAuth ? window.dizhiAuth() : {});
  }

  // Each feature carries the colour it is drawn with (energy_scale.js: one scale per metric for
  // the whole slider).
  function paint(data) {
    const top = paintFeatures(data.features, metric.value, state.scale);
    const source = map.getSource("energy-buildings");
    if (source) source.setData(data);
    else addLayers(data);
    document.getElementById("energy-legend").innerHTML = legend(top, metric.value);
  }

  async function showMonth() {
    const month = state.months[Number(slider.value)];
    label.textContent = month.label;
    box.dataset.ready = "false";
    const data = await getJson(buildingsUrl(state.park, month));
    state.data = data;
    paint(data);
    box.dataset.ready = "true";
    box.dataset.month = month.label;
  }

  function addLayers(data) {
    map.addSource("energy-buildings", { type: "geojson", data, promoteId: "building_id" });
    map.addLayer({ id: "energy-buildings-fill", type: "fill", source: "energy-buildings", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.9 } });
    map.addLayer({ id: "energy-buildings-line", type: "line", source: "energy-buildings", paint: { "line-color": "#5f2a00", "line-width": 1 } });
    if (state.park.bbox) map.fitBounds(state.park.bbox, { padding: 30, duration: 0 });
  }

  function chart(points, unit) {
    const w = 300, h = 120, values = points.map((p) => p.value ?? 0);
    const top = Math.max(1e-9, ...values);
    const bw = w / Math.max(values.length, 1);
    const bars = values.map((v, i) => `<rect x="${(i * bw).toFixed(1)}" y="${(h - (v / top) * h).toFixed(1)}" width="${Math.max(bw - 1, 1).toFixed(1)}" height="${((v / top) * h).toFixed(1)}" class="${points[i].quality}"></rect>`).join("");
    return `<svg class="energy-chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="daily ${escapeHtml(unit)}">${bars}</svg>`
      + `<div class="hint">daily ${escapeHtml(unit)}, max ${Math.round(top).toLocaleString()} · pale: estimated, red: suspect</div>`;
  }

  async function showEnterprise(enterprise) {
    const month = state.months[Number(slider.value)];
    const range = `start=${encodeURIComponent(month.start)}&end=${encodeURIComponent(month.end)}`;
    panel.dataset.ready = "false";
    try {
      const [series, summary, alarms] = await Promise.all([
        getJson(`/energy/enterprises/${enterprise.id}/series?interval=day&${range}`),
        getJson(`/energy/enterprises/${enterprise.id}/summary?${range}`),
        getJson(`/energy/alarms?enterprise_id=${enterprise.id}&${range}`),
      ]);
      const total = summary.kinds.map((k) => `${k.kind} ${Math.round(k.total).toLocaleString()}`).join(" · ")
        + ` · ${summary.tce.toFixed(2)} tce · ${summary.co2_t.toFixed(1)} tCO₂`;
      panel.innerHTML = `<h3>${escapeHtml(enterprise.name)}</h3><p class="hint">${escapeHtml(month.label)} · ${escapeHtml(total)}</p>`
        + chart(series.points, series.unit)
        + `<h4>Alarms (${alarms.length})</h4><ul class="energy-alarms">`
        + alarms.slice(0, 8).map((a) => `<li class="${escapeHtml(a.severity)}">${escapeHtml(a.kind)} · ${escapeHtml(a.meter_id)} · ${escapeHtml(a.start.slice(0, 16))} · ${escapeHtml(a.state)}</li>`).join("")
        + "</ul>";
    } catch (err) {
      panel.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
    }
    panel.dataset.ready = "true";
  }

  function showBuilding(props) {
    const list = typeof props.enterprises === "string" ? JSON.parse(props.enterprises) : props.enterprises;
    panel.innerHTML = "";
    const head = document.createElement("div");
    head.innerHTML = `<p class="hint">building ${escapeHtml(props.building_id)} · ${Math.round(props.kwh ?? 0).toLocaleString()} kWh · ${Number(props.kwh_per_m2 ?? 0).toFixed(2)} kWh/m²</p>`;
    for (const e of list) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = e.name;
      button.addEventListener("click", () => showEnterprise(e));
      head.appendChild(button);
    }
    panel.before(head);
    document.getElementById("energy-buildings-info")?.remove();
    head.id = "energy-buildings-info";
    return showEnterprise(list[0]);
  }

  async function start() {
    try {
      const parks = await getJson("/energy/parks");
      state.park = parks.find((p) => p.first_month) || null;
      if (!state.park) { status.textContent = "no park with data"; return; }
      state.months = monthsOf(state.park);
      slider.max = String(state.months.length - 1);
      slider.disabled = false;
      status.textContent = `${state.park.name}${state.park.synthetic ? " (synthetic)" : ""}`;
      await showMonth();
      state.ready = true;
    } catch (err) {
      status.textContent = `${err.message} — energy data needs an energy key (upload box)`;
    }
  }

  slider.addEventListener("input", () => { if (state.ready) showMonth(); });
  metric.addEventListener("change", () => { if (state.data) paint(state.data); });
  document.getElementById("apikey").addEventListener("change", () => { if (!state.ready) start(); });
  map.on("click", "energy-buildings-fill", (e) => { if (e.features.length) showBuilding(e.features[0].properties); });
  map.on("mouseenter", "energy-buildings-fill", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "energy-buildings-fill", () => { map.getCanvas().style.cursor = ""; });
  window.dizhiEnergy = { state, showMonth };
  // after map.js has drawn the district (its layers first, ours on top)
  (function whenDrawn() {
    if (document.body.dataset.loaded === "true") start(); else setTimeout(whenDrawn, 200);
  })();
})();
