// The 3D view's energy colouring: a park's occupied buildings coloured by consumption or kWh/m²
// for a chosen month, from the endpoint the planners' map uses
// (/energy/parks/{code}/buildings.geojson); other buildings stay pale. Energy data is internal:
// the requests carry the key typed here (kept in localStorage like the 2D map's). Needs
// cesium.js (window.dizhiCesium) and energy_scale.js.
(function () {
  "use strict";

  const scale = window.dizhiEnergyScale;
  const box = document.getElementById("energy3d");
  const status = document.getElementById("energy3d-status");
  const keyInput = document.getElementById("energy3d-key");
  const month = document.getElementById("energy3d-month");
  const metric = document.getElementById("energy3d-metric");
  const OTHER = "rgba(230, 230, 230, 0.55)";
  const state = { park: null, months: [], scale: {}, colours: new Map(), ready: false };
  keyInput.value = localStorage.getItem("dizhiKey") || "";

  function headers() {
    const key = keyInput.value.trim();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  // a colour per building id, read for every feature the tileset draws
  function restyle() {
    const { Cesium } = window;
    const cache = new Map();
    const style = new Cesium.Cesium3DTileStyle();
    style.color = {
      evaluateColor(feature, result) {
        const css = state.colours.get(String(feature.getProperty("building_id"))) || OTHER;
        if (!cache.has(css)) cache.set(css, Cesium.Color.fromCssColorString(css));
        return Cesium.Color.clone(cache.get(css), result);
      },
    };
    window.dizhiCesium.tileset.style = style;
    window.dizhiCesium.viewer.scene.requestRender();
  }

  async function showMonth() {
    const chosen = state.months[Number(month.value)];
    box.dataset.ready = "false";
    const data = await scale.getJson(scale.buildingsUrl(state.park, chosen), headers());
    const top = scale.paintFeatures(data.features, metric.value, state.scale);
    state.colours = new Map(data.features.map((f) => [String(f.properties.building_id), f.properties.colour]));
    restyle();
    document.getElementById("energy3d-legend").innerHTML = scale.legend(top, metric.value);
    box.dataset.month = chosen.label;
    box.dataset.ready = "true";
  }

  async function start() {
    try {
      const parks = await scale.getJson("/energy/parks", headers());
      state.park = parks.find((p) => p.first_month) || null;
      if (!state.park) { status.textContent = "no park with data"; return; }
      state.months = scale.monthsOf(state.park);
      month.replaceChildren(...state.months.map((m, i) => new Option(m.label, String(i))));
      month.disabled = metric.disabled = false;
      status.textContent = `${state.park.name}${state.park.synthetic ? " (synthetic)" : ""}`;
      localStorage.setItem("dizhiKey", keyInput.value.trim());
      await showMonth();
      state.ready = true;
    } catch (err) {
      status.textContent = `${err.message} — energy data needs an energy key`;
    }
  }

  month.addEventListener("change", () => { if (state.ready) showMonth(); });
  metric.addEventListener("change", () => { if (state.ready) showMonth(); });
  keyInput.addEventListener("change", () => { if (!state.ready) start(); });
  window.dizhiCesiumEnergy = { state, showMonth };
  (function whenTileset() {  // cesium.js makes the tileset asynchronously
    if (window.dizhiCesium) { if (keyInput.value) start(); } else setTimeout(whenTileset, 200);
  })();
})();
