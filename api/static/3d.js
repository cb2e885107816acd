// The 3D view: fused buildings as fill-extrusions over the project's own vector tiles, coloured
// by height or by use, with the standard addresses on top. Nothing is fetched from outside.
(function () {
  "use strict";
  const HEIGHT_COLOURS = ["interpolate", ["linear"], ["get", "height"],
    0, "#ffffcc", 10, "#a1dab4", 20, "#41b6c4", 35, "#2c7fb8", 55, "#253494"];
  const USE_COLOURS = ["match", ["get", "use"],
    "apartments", "#e6550d", "house", "#fdae6b", "industrial", "#756bb1", "#969696"];
  const LEGENDS = {
    height: [["#ffffcc", "0"], ["#a1dab4", "10"], ["#41b6c4", "20"], ["#2c7fb8", "35"],
      ["#253494", "55 m"]],
    use: [["#e6550d", "apartments"], ["#fdae6b", "house"], ["#756bb1", "industrial"],
      ["#969696", "other"]],
  };

  const map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef2f3" } },
    ] },
    center: [121.1098, 31.1443], zoom: 15.5, pitch: 60, bearing: -20,
    attributionControl: { customAttribution: "buildings, heights: synthetic · addresses: AMap 2022" },
  });
  window.dizhi3d = map;
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-left");

  function legend(kind) {
    document.getElementById("legend").innerHTML = LEGENDS[kind]
      .map(([c, t]) => `<span style="background:${c}"></span> ${t} `).join("");
  }

  map.on("load", async () => {
    map.addSource("buildings", { type: "vector", minzoom: 12, maxzoom: 16,
      tiles: [location.origin + "/buildings/tiles/{z}/{x}/{y}.pbf"] });
    map.addLayer({ id: "buildings-3d", type: "fill-extrusion", source: "buildings",
      "source-layer": "buildings", minzoom: 12,
      paint: { "fill-extrusion-color": HEIGHT_COLOURS, "fill-extrusion-height": ["get", "height"],
        "fill-extrusion-base": 0, "fill-extrusion-opacity": 0.85 } });
    const addresses = await (await fetch("/addresses/geojson")).json();
    map.addSource("addresses", { type: "geojson", data: addresses });
    map.addLayer({ id: "addresses", type: "circle", source: "addresses",
      paint: { "circle-radius": 4, "circle-color": "#d7301f", "circle-stroke-color": "#fff",
        "circle-stroke-width": 1 } });
    legend("height");
    map.once("idle", () => { document.body.dataset.loaded = "true"; });
  });

  document.getElementById("colour-by").addEventListener("change", (e) => {
    const kind = e.target.value;
    map.setPaintProperty("buildings-3d", "fill-extrusion-color",
      kind === "use" ? USE_COLOURS : HEIGHT_COLOURS);
    legend(kind);
  });

  map.on("click", "buildings-3d", async (e) => {
    const info = document.getElementById("info");
    const id = e.features[0].id;
    info.dataset.ready = "false";
    const response = await fetch(`/buildings/${id}`);
    const b = await response.json();
    const addresses = (b.addresses || []).map((a) => `  ${a.formatted_address} (${a.method})`).join("\n");
    info.textContent = `building ${b.id} · ${b.match_kind} · ${(b.sources || []).join(", ")}\n` +
      `height ${b.height_m ?? "?"} m (${b.height_source ?? "none"}) · floors ${b.floors ?? "?"}\n` +
      `use ${b.use ?? "?"} · ${b.area_m2} m²\naddresses:\n${addresses || "  none"}`;
    info.dataset.ready = "true";
  });
  map.on("mouseenter", "buildings-3d", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "buildings-3d", () => { map.getCanvas().style.cursor = ""; });
})();
