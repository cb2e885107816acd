// The planners' map: catalog layers (vector tiles) and rasters the caller may read, feature info,
// legends, address search through the geocoder, and an upload form. Needs map.js first.
(function () {
  "use strict";

  const map = window.dizhiMap;
  const PALETTE = ["#e8710a", "#12b5cb", "#9334e6", "#188038", "#c5221f", "#f9ab00", "#5f6368", "#1967d2"];
  const LEVELS = { public: "公开", internal: "内部", restricted: "敏感" };
  const keyInput = document.getElementById("apikey");
  const styleIds = [];  // style layers of catalog layers, for feature info
  keyInput.value = localStorage.getItem("dizhiKey") || "";

  function auth() {
    const key = keyInput.value.trim();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }
  window.dizhiAuth = auth;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function table(rows) {
    return "<table>" + rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v ?? "")}</td></tr>`).join("") + "</table>";
  }

  async function fetchJson(url, options = {}) {
    const response = await fetch(url, { ...options, headers: { ...auth(), ...(options.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.detail || response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function styleLayers(layer, color) {
    const base = { source: `catalog-${layer.name}`, "source-layer": layer.name, layout: { visibility: "none" } };
    const kinds = (layer.geometry_type || "").split(",");
    const out = [];
    if (kinds.includes("POLYGON")) {
      out.push({ ...base, id: `catalog-${layer.name}-fill`, type: "fill", filter: ["==", "$type", "Polygon"], paint: { "fill-color": color, "fill-opacity": 0.35 } });
      out.push({ ...base, id: `catalog-${layer.name}-outline`, type: "line", filter: ["==", "$type", "Polygon"], paint: { "line-color": color, "line-width": 1 } });
    }
    if (kinds.includes("LINESTRING")) {
      out.push({ ...base, id: `catalog-${layer.name}-line`, type: "line", filter: ["==", "$type", "LineString"], paint: { "line-color": color, "line-width": 2 } });
    }
    if (kinds.includes("POINT") || out.length === 0) {
      out.push({ ...base, id: `catalog-${layer.name}-point`, type: "circle", filter: ["==", "$type", "Point"], paint: { "circle-color": color, "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    }
    return out;
  }

  function addVector(layer, color) {
    map.addSource(`catalog-${layer.name}`, {
      type: "vector", tiles: [`${location.origin}/tiles/${layer.name}/{z}/{x}/{y}.mvt`],
      maxzoom: 16, ...(layer.bbox ? { bounds: layer.bbox } : {}),
    });
    const ids = [];
    for (const style of styleLayers(layer, color)) {
      map.addLayer(style, "addresses");
      ids.push(style.id);
      styleIds.push(style.id);
    }
    return ids;
  }

  function addRaster(raster) {
    map.addSource(`raster-${raster.name}`, {
      type: "raster", tileSize: 256, bounds: raster.bounds, maxzoom: raster.maxzoom,
      tiles: [`${location.origin}/raster/${raster.name}/{z}/{x}/{y}.png?colormap=viridis`],
    });
    map.addLayer({ id: `raster-${raster.name}`, type: "raster", source: `raster-${raster.name}`, layout: { visibility: "none" }, paint: { "raster-opacity": 0.7 } }, "towns-fill");
    return [`raster-${raster.name}`];
  }

  function clearCatalog() {
    for (const style of map.getStyle().layers) {
      if (style.id.startsWith("catalog-") || style.id.startsWith("raster-")) map.removeLayer(style.id);
    }
    for (const id of Object.keys(map.getStyle().sources)) {
      if (id.startsWith("catalog-") || id.startsWith("raster-")) map.removeSource(id);
    }
    styleIds.length = 0;
  }

  function entry(name, title, level, swatch, ids, extra) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-layer="${escapeHtml(name)}">${swatch}${escapeHtml(title)}` +
      `<span class="level ${escapeHtml(level)}" title="${escapeHtml(level)}">${LEVELS[level] || escapeHtml(level)}</span> ${extra}`;
    label.querySelector("input").addEventListener("change", (e) => {
      for (const id of ids) map.setLayoutProperty(id, "visibility", e.target.checked ? "visible" : "none");
    });
    return label;
  }

  async function loadCatalog() {
    const list = document.getElementById("catalog-list");
    document.body.dataset.catalog = "loading";
    try {
      const [layers, rasters, ogc] = await Promise.all([
        fetchJson("/layers"), fetchJson("/raster").catch(() => ({ rasters: [] })),
        fetchJson("/ogc/collections").catch(() => ({ collections: [] }))]);
      // Built-ins other than the ones map.js draws (buildings, once that table exists).
      const names = new Set(layers.layers.map((l) => l.name));
      const builtins = ogc.collections.filter((c) => !["admin_areas", "addresses"].includes(c.id) && !names.has(c.id))
        .map((c) => ({ name: c.id, title: c.title, access_level: c.access_level, geometry_type: "POLYGON", feature_count: "" }));
      clearCatalog();
      list.innerHTML = layers.count || rasters.rasters.length || builtins.length ? "" : "<em>no layers for your access level</em>";
      [...builtins, ...layers.layers].forEach((layer, i) => {
        const color = PALETTE[i % PALETTE.length];
        const ids = addVector(layer, color);
        const swatch = `<span class="swatch catalog" style="border-color:${color};background:${color}55"></span>`;
        list.appendChild(entry(layer.name, layer.title, layer.access_level, swatch, ids, `<em>${layer.feature_count}</em>`));
      });
      for (const raster of rasters.rasters) {
        const swatch = '<span class="swatch" style="background:linear-gradient(90deg,#440154,#21918c,#fde725)"></span>';
        list.appendChild(entry(raster.name, raster.title, raster.access_level, swatch, addRaster(raster), "<em>raster</em>"));
      }
    } catch (err) {
      list.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
    }
    document.body.dataset.catalog = "true";
  }

  function featureInfo(point) {
    const ids = styleIds.filter((id) => map.getLayer(id));
    if (!ids.length) return "";
    const hits = map.queryRenderedFeatures(point, { layers: ids }).slice(0, 3);
    return hits.map((f) => `<h3>${escapeHtml(f.sourceLayer)} #${escapeHtml(f.id ?? "")}</h3>` +
      table(Object.entries(f.properties))).join("");
  }

  async function search(text) {
    const out = document.getElementById("search-result");
    out.dataset.ready = "false";
    try {
      const body = await fetchJson(`/geocode?address=${encodeURIComponent(text)}`);
      const best = body.best || (body.geocodes || [])[0] || (body.location ? body : null);
      if (!best || !best.location) {
        out.textContent = "没有找到 no match";
      } else {
        const [lng, lat] = best.location.split(",").map(Number);
        if (window.dizhiSearchMarker) window.dizhiSearchMarker.remove();
        window.dizhiSearchMarker = new maplibregl.Marker({ color: "#c5221f" }).setLngLat([lng, lat]).addTo(map);
        map.flyTo({ center: [lng, lat], zoom: 16, duration: 0 });
        const label = best.formatted_address || best.canonical || best.text || text;
        out.innerHTML = `${escapeHtml(label)} <em>${escapeHtml(best.level || "")} ${escapeHtml(best.confidence ?? "")}</em>`;
      }
    } catch (err) {
      out.innerHTML = err.status === 404 || err.status === 405
        ? "<em>geocoder not available on this server</em>"
        : `<span class="error">${escapeHtml(err.message)}</span>`;
    }
    out.dataset.ready = "true";
  }

  async function upload(form) {
    const out = document.getElementById("upload-result");
    out.dataset.ready = "false";
    try {
      const body = await fetchJson("/layers", { method: "POST", body: new FormData(form) });
      const r = body.report;
      out.innerHTML = `<p>layer <b>${escapeHtml(body.layer.name)}</b> v${body.layer.version}: ${r.imported} features` +
        ` (repaired ${r.repaired ?? 0}, rejected ${r.failed})</p>` +
        r.failed_rows.slice(0, 10).map((f) => `<div class="error">line ${f.line}: ${escapeHtml(f.reason)}</div>`).join("");
      await loadCatalog();
    } catch (err) {
      out.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
    }
    out.dataset.ready = "true";
  }

  document.getElementById("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = document.getElementById("search-text").value.trim();
    if (text) search(text);
  });
  document.getElementById("upload").addEventListener("submit", (e) => {
    e.preventDefault();
    upload(e.target);
  });
  keyInput.addEventListener("change", () => {
    localStorage.setItem("dizhiKey", keyInput.value.trim());
    loadCatalog();
  });

  window.dizhiPlanner = { featureInfo, loadCatalog };
  const start = () => (document.body.dataset.loaded === "true" ? loadCatalog() : setTimeout(start, 50));
  map.on("load", start);
})();
