// The buildings' 3D Tiles in CesiumJS, offline: no imagery, no terrain, no Cesium ion.
// ?lng=&lat=&range= looks at a point; otherwise the whole tileset is shown.
(async () => {
  const info = document.getElementById("info");
  if (!window.Cesium) {
    info.textContent = "CesiumJS is not installed (make installs it under var/node).";
    return;
  }
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: false, baseLayerPicker: false, geocoder: false, timeline: false,
    animation: false, homeButton: false, sceneModePicker: false, navigationHelpButton: false,
    fullscreenButton: false, infoBox: false, selectionIndicator: false, skyBox: false,
    skyAtmosphere: false,
    // render only when something changes: an idle page costs no CPU
    requestRenderMode: true, maximumRenderTimeChange: Infinity,
  });
  viewer.scene.globe.baseColor = Cesium.Color.fromCssColorString("#e8e6df");
  const tileset = await Cesium.Cesium3DTileset.fromUrl("/3dtiles/tileset.json");
  viewer.scene.primitives.add(tileset);
  window.dizhiCesium = {viewer, tileset};

  const params = new URLSearchParams(location.search);
  if (params.has("lng") && params.has("lat")) {
    const target = Cesium.Cartesian3.fromDegrees(+params.get("lng"), +params.get("lat"), 10);
    viewer.camera.lookAt(target, new Cesium.HeadingPitchRange(0, -0.9, +(params.get("range") || 400)));
    viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
  } else {
    await viewer.zoomTo(tileset, new Cesium.HeadingPitchRange(0, -0.7, 0));
  }
  tileset.initialTilesLoaded.addEventListener(() => { document.body.dataset.loaded = "true"; });

  const show = (feature) => {
    info.replaceChildren();
    const list = document.createElement("dl");
    for (const id of feature.getPropertyIds()) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = id;
      dd.textContent = String(feature.getProperty(id) ?? "");
      list.append(dt, dd);
    }
    const link = document.createElement("a");
    link.href = `/buildings/${feature.getProperty("building_id")}`;
    link.textContent = "building record";
    info.append(list, link);
    info.dataset.ready = "true";
  };
  new Cesium.ScreenSpaceEventHandler(viewer.scene.canvas).setInputAction((click) => {
    const picked = viewer.scene.pick(click.position);
    if (picked instanceof Cesium.Cesium3DTileFeature) show(picked);
  }, Cesium.ScreenSpaceEventType.LEFT_CLICK);
})();
