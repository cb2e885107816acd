// What the 2D park energy map (energy.js) and the 3D view (cesium_energy.js) share: the months a
// park covers, their local (+08:00) bounds, the colour ramp, and a JSON fetch with a key.
(function () {
  "use strict";

  const COLORS = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];

  // Local (+08:00) month starts: the roll-ups' months are Asia/Shanghai months.
  function monthStart(year, month) {
    const y = year + Math.floor(month / 12), m = ((month % 12) + 12) % 12;
    return `${y}-${String(m + 1).padStart(2, "0")}-01T00:00:00+08:00`;
  }

  function monthsOf(park) {
    const first = new Date(Date.parse(park.first_month) + 8 * 3600e3);
    const last = new Date(Date.parse(park.last_month) + 8 * 3600e3);
    const out = [];
    for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); y * 12 + m <= last.getUTCFullYear() * 12 + last.getUTCMonth(); m++) {
      out.push({ label: `${y + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`, start: monthStart(y, m), end: monthStart(y, m + 1) });
    }
    return out;
  }

  // v on the ramp from 0 to top, as #rrggbb
  function colour(v, top) {
    const t = Math.min(Math.max(v / top, 0), 1) * (COLORS.length - 1);
    const i = Math.min(Math.floor(t), COLORS.length - 2), f = t - i;
    const rgb = (c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
    const [a, b] = [rgb(COLORS[i]), rgb(COLORS[i + 1])];
    return "#" + a.map((x, k) => Math.round(x + (b[k] - x) * f).toString(16).padStart(2, "0")).join("");
  }

  function metricValue(props, metric) {
    return metric === "intensity" ? props.kwh_per_m2 : props.kwh;
  }

  async function getJson(url, headers) {
    const response = await fetch(url, { headers: headers || {} });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function buildingsUrl(park, month) {
    return `/energy/parks/${encodeURIComponent(park.code)}/buildings.geojson?start=${encodeURIComponent(month.start)}&end=${encodeURIComponent(month.end)}`;
  }

  // One colour scale per metric for the whole period choice (set from the first period seen),
  // so that moving through the months shows more or less use, not a re-stretched ranking. Sets
  // each feature's properties.value and .colour; the scale's top.
  function paintFeatures(features, metric, scales) {
    for (const f of features) f.properties.value = metricValue(f.properties, metric) ?? 0;
    if (!scales[metric]) {
      scales[metric] = Math.max(1e-9, ...features.map((f) => f.properties.value)) * 1.2;
    }
    for (const f of features) f.properties.colour = colour(f.properties.value, scales[metric]);
    return scales[metric];
  }

  // the ramp's stops with their values (HTML)
  function legend(top, metric) {
    return COLORS.map((c, i) => `<span style="background:${c}"></span>${Math.round((top * i) / (COLORS.length - 1)).toLocaleString()}`).join(" ")
      + (metric === "intensity" ? " kWh/m²" : " kWh");
  }

  window.dizhiEnergyScale = { COLORS, monthsOf, colour, paintFeatures, getJson, buildingsUrl, legend };
})();
