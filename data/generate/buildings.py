"""Seeded generator of SYNTHETIC buildings for the sample district (no real footprints exist).

Ground truth is built around the real sample address points: a 弄 or 新村 becomes a compound of
6–18-storey slabs, a 村 a village of 2–3-storey houses (some semi-detached), a 号 on a 公路 or in a
park a few industrial sheds, any other 号 a few mid-rise blocks. Two sources are then derived from
the truth the way real ones differ: ``survey`` (with floors; small shifts, a few merged neighbours,
missing and extra footprints) and ``osm`` (no floors; an imagery offset, simplified outlines,
buildings split into parts, merges, missing and extra). Everything is in EPSG:4549 here;
``generate_sample`` writes the files:

    .venv/bin/python -m data.generate.buildings data/sample   # regenerates data/sample/buildings/
"""

import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import Polygon, box

from data.generate.rasters import write_rasters
from spatial.buildings.sample import ADDRESSES_FILE, SAMPLE_SUBDIR
from spatial.coords import gcj02_to_wgs84

METRIC_CRS = 4549
SEED = 20226
STOREY_M = {"compound": 2.95, "village": 3.2, "industrial": 6.0, "midrise": 3.1}
ROOF_EXTRA_M = {"compound": 1.2, "village": 1.6, "industrial": 1.5, "midrise": 1.0}
SYNTHETIC_NOTE = "synthetic: seeded generator data/generate/buildings.py"


@dataclass(frozen=True)
class Anchor:
    x: float
    y: float
    kind: str


@dataclass(frozen=True)
class Degradation:
    """Rates of what goes wrong between the truth and one source."""

    name: str
    shift_m: float
    jitter_m: float
    simplify_m: float
    split: float
    merge: float
    missing: float
    extra: float
    with_floors: bool
    misplaced: float = 0.0  # traced 4–8 m off, or rotated, beyond what an offset explains


SURVEY = Degradation("survey", 0.6, 0.3, 0.0, 0.0, 0.5, 0.02, 0.01, True, 0.005)
OSM = Degradation("osm", 2.0, 0.5, 0.6, 0.08, 0.3, 0.04, 0.02, False, 0.02)


def anchor_kind(address: str) -> str:
    if "弄" in address or address.endswith(("新村", "小区", "花园", "苑")):
        return "compound"
    if address.endswith("村"):
        return "village"
    if "号" in address and ("公路" in address or "园" in address):
        return "industrial"
    return "midrise" if "号" in address else "village"


def _rect(cx: float, cy: float, w: float, d: float, angle: float) -> Polygon:
    return affinity.rotate(box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2), angle,
                           origin=(cx, cy))


def _layout(a: Anchor, rng: np.random.Generator) -> list[tuple[Polygon, int]]:
    """Footprints with floors around one anchor, in a rotated local frame."""
    angle = float(rng.uniform(-20, 20))
    out: list[tuple[Polygon, int]] = []
    if a.kind == "compound":
        rows, cols = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        base = int(rng.integers(6, 17))
        w, d = rng.uniform(45, 70), rng.uniform(11, 14)
        for r in range(rows):
            for c in range(cols):
                floors = int(np.clip(base + rng.integers(-1, 3), 6, 18))
                out.append((_rect((c - cols / 2) * (w + 25), (r - rows / 2) * 32, w, d, 0), floors))
    elif a.kind == "village":
        n = int(rng.integers(8, 22))
        side = int(np.ceil(np.sqrt(n)))
        for i in range(n):
            cx, cy = (i % side) * 19 + rng.normal(0, 1.5), (i // side) * 17 + rng.normal(0, 1.5)
            w, d, floors = rng.uniform(9, 13), rng.uniform(8, 11), int(rng.integers(2, 4))
            if rng.random() < 0.25:  # semi-detached: two houses sharing a wall
                out.append((_rect(cx - w / 4, cy, w / 2, d, 0), floors))
                out.append((_rect(cx + w / 4, cy, w / 2, d, 0), floors))
            else:
                out.append((_rect(cx, cy, w, d, 0), floors))
    elif a.kind == "industrial":
        for i in range(int(rng.integers(2, 7))):
            w, d = rng.uniform(40, 95), rng.uniform(25, 55)
            out.append((_rect((i % 3) * 110, (i // 3) * 75, w, d, 0), int(rng.integers(1, 3))))
    else:
        for i in range(int(rng.integers(1, 5))):
            w, d = rng.uniform(20, 40), rng.uniform(14, 20)
            out.append((_rect((i % 2) * 50, (i // 2) * 35, w, d, 0), int(rng.integers(4, 9))))
    return [(affinity.translate(affinity.rotate(p, angle, origin=(0, 0)), a.x, a.y), f)
            for p, f in out]


def generate_truth(anchors: Iterable[Anchor], *, seed: int = SEED) -> gpd.GeoDataFrame:
    """Truth buildings (truth_id, kind, floors, height_m) in EPSG:4549, without overlaps."""
    rng = np.random.default_rng(seed)
    geoms: list[Polygon] = []
    rows: list[tuple[str, int, float]] = []
    for a in anchors:
        for poly, floors in _layout(a, rng):
            height = floors * STOREY_M[a.kind] + ROOF_EXTRA_M[a.kind] + rng.normal(0, 0.3)
            geoms.append(poly)
            rows.append((a.kind, floors, round(float(height), 2)))
    keep = _without_overlaps(np.array(geoms, dtype=object))
    frame = gpd.GeoDataFrame(
        {"kind": [r[0] for r in rows], "floors": [r[1] for r in rows],
         "height_m": [r[2] for r in rows]}, geometry=geoms, crs=METRIC_CRS)[keep]
    frame = frame.reset_index(drop=True)
    frame.insert(0, "truth_id", np.arange(1, len(frame) + 1))
    return frame


def _without_overlaps(geoms: np.ndarray) -> np.ndarray:
    """Drop a footprint that overlaps an earlier one (clusters of close anchors collide)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = (left > right)
    touching_only = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    keep = np.ones(len(geoms), dtype=bool)
    for i, j, area in zip(left[pairs], right[pairs], touching_only, strict=True):
        if area > 0.01 and keep[j]:
            keep[i] = False
    return keep


def _nearest_partner(truth: gpd.GeoDataFrame, gap_m: float) -> dict[int, int]:
    """Pairs of neighbours (index → index) closer than ``gap_m``, each index used once."""
    geoms = truth.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=gap_m)
    partner: dict[int, int] = {}
    for i, j in zip(left, right, strict=True):
        if i < j and i not in partner and j not in partner:
            partner[int(i)] = int(j)
            partner[int(j)] = int(i)
    return partner


def _split(poly: Polygon, parts: int) -> list[Polygon]:
    """Cut a footprint across its long side into ``parts`` pieces (OSM building:part style)."""
    rect = shapely.minimum_rotated_rectangle(poly)
    xy = np.asarray(rect.exterior.coords)[:4]
    edge = xy[1] - xy[0] if np.hypot(*(xy[1] - xy[0])) >= np.hypot(*(xy[2] - xy[1])) \
        else xy[2] - xy[1]
    angle = float(np.degrees(np.arctan2(edge[1], edge[0])))
    c = poly.centroid
    flat = affinity.rotate(poly, -angle, origin=c)
    minx, miny, maxx, maxy = flat.bounds
    cuts = np.linspace(minx, maxx, parts + 1)
    pieces = [flat.intersection(box(cuts[k], miny - 1, cuts[k + 1], maxy + 1))
              for k in range(parts)]
    return [affinity.rotate(p, angle, origin=c) for p in pieces if p.area > 1]


def degrade(truth: gpd.GeoDataFrame, spec: Degradation, *, seed: int) -> gpd.GeoDataFrame:
    """One source derived from the truth: columns source_id, truth_ids, floors, building."""
    rng = np.random.default_rng(seed)
    partner = _nearest_partner(truth, 0.5)
    offset = rng.normal(0, spec.shift_m, 2)
    geoms: list[Polygon] = []
    truth_ids: list[str] = []
    floors: list[int | None] = []
    kinds: list[str] = []
    done: set[int] = set()
    for i, row in enumerate(truth.itertuples()):
        if i in done or rng.random() < spec.missing:
            continue
        members, poly = [i], row.geometry
        if i in partner and partner[i] not in done and rng.random() < spec.merge:
            members.append(partner[i])
            poly = shapely.union(poly, truth.geometry.iloc[partner[i]]).convex_hull
        done.update(members)
        pieces = [poly]
        if len(members) == 1 and poly.area > 300 and rng.random() < spec.split:
            pieces = _split(poly, int(rng.integers(2, 4)))
        for piece in pieces:
            c = piece.centroid
            jitter = offset + _drift(c.x, c.y, spec.shift_m / 2) + rng.normal(0, spec.jitter_m, 2)
            if rng.random() < spec.misplaced:
                angle = rng.uniform(0, 2 * np.pi)
                jitter = jitter + rng.uniform(4, 8) * np.array([np.cos(angle), np.sin(angle)])
                piece = affinity.rotate(piece, float(rng.uniform(-15, 15)))
            moved = affinity.translate(piece, float(jitter[0]), float(jitter[1]))
            if spec.simplify_m:
                moved = _traced(moved, spec.simplify_m, rng)
            geoms.append(moved)
            truth_ids.append(",".join(str(int(truth.truth_id.iloc[m])) for m in members))
            fl = int(truth.floors.iloc[members[0]])
            floors.append(fl + int(rng.choice([-1, 1])) if rng.random() < 0.03 else fl)
            kinds.append(str(row.kind))
    _add_extras(truth, spec, rng, geoms, truth_ids, floors, kinds)
    frame = gpd.GeoDataFrame(
        {"source_id": [f"{spec.name}-{k + 1}" for k in range(len(geoms))], "truth_ids": truth_ids,
         "floors": floors if spec.with_floors else [None] * len(geoms),
         "building": [_osm_value(k) for k in kinds]}, geometry=geoms, crs=METRIC_CRS)
    if spec.with_floors:  # a few surveys lack the floor count
        frame.loc[rng.random(len(frame)) < 0.05, "floors"] = None
    return frame


def _drift(x: float, y: float, amplitude: float) -> np.ndarray:
    """An offset that varies smoothly over a few kilometres, as imagery offsets do."""
    return amplitude * np.array([np.sin(x / 900.0 + y / 2300.0), np.cos(y / 1100.0 - x / 3100.0)])


def _traced(poly: Polygon, tolerance: float, rng: np.random.Generator) -> Polygon:
    """A hand-traced outline: each corner off by a little, then simplified."""
    coords = np.asarray(poly.exterior.coords)
    coords = coords + rng.normal(0, tolerance / 2, coords.shape)
    coords[-1] = coords[0]
    traced = Polygon(coords)
    return traced.simplify(tolerance) if traced.is_valid else poly.simplify(tolerance)


def _add_extras(truth: gpd.GeoDataFrame, spec: Degradation, rng: np.random.Generator,
                geoms: list[Polygon], truth_ids: list[str], floors: list[int | None],
                kinds: list[str]) -> None:
    """Footprints with no truth behind them (demolished, sheds, mistakes), on empty ground."""
    tree = shapely.STRtree(truth.geometry.values)
    for k in rng.choice(len(truth), int(len(truth) * spec.extra), replace=False):
        c = truth.geometry.iloc[int(k)].centroid
        cand = _rect(c.x + rng.uniform(-60, 60), c.y + rng.uniform(-60, 60),
                     rng.uniform(6, 14), rng.uniform(5, 10), float(rng.uniform(0, 90)))
        if len(tree.query(cand.buffer(2), predicate="intersects")) == 0:
            geoms.append(cand)
            truth_ids.append("")
            floors.append(1)
            kinds.append("extra")


def _osm_value(kind: str) -> str:
    return {"compound": "apartments", "village": "house", "industrial": "industrial"}.get(kind,
                                                                                         "yes")


def grid_anchors(count: int, *, seed: int = SEED, origin: tuple[float, float] = (500_000.0,
                 3_440_000.0), spacing_m: float = 420.0) -> list[Anchor]:
    """Anchors on a jittered lattice, for benchmarks larger than the sample district."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    kinds = rng.choice(["compound", "village", "village", "industrial", "midrise"], count)
    return [Anchor(origin[0] + (i % side) * spacing_m + rng.uniform(-40, 40),
                   origin[1] + (i // side) * spacing_m + rng.uniform(-40, 40), str(kinds[i]))
            for i in range(count)]


def sample_anchors(sample_dir: Path) -> list[Anchor]:
    """One anchor per distinct real address point, in EPSG:4549."""
    to_metric = Transformer.from_crs(4326, 4549, always_xy=True)
    anchors, seen = [], set()
    with (sample_dir / ADDRESSES_FILE).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            lng, lat = gcj02_to_wgs84(float(row["gcj02_lng"]), float(row["gcj02_lat"]))
            x, y = to_metric.transform(float(lng), float(lat))
            if (round(x), round(y)) not in seen:
                seen.add((round(x), round(y)))
                anchors.append(Anchor(x, y, anchor_kind(row["address"])))
    return anchors


def generate_sample(sample_dir: Path, *, seed: int = SEED) -> dict[str, int]:
    out = sample_dir / SAMPLE_SUBDIR
    out.mkdir(parents=True, exist_ok=True)
    truth = generate_truth(sample_anchors(sample_dir), seed=seed)
    truth.to_file(out / "truth_synthetic.gpkg", driver="GPKG", engine="pyogrio")
    links = []
    for k, spec in enumerate((SURVEY, OSM)):
        frame = degrade(truth, spec, seed=seed + 1 + k)
        links += [(spec.name, s, t) for s, t in zip(frame.source_id, frame.truth_ids, strict=True)]
        frame = frame.drop(columns="truth_ids")
        if spec.name == "osm":
            frame = frame.drop(columns="floors").to_crs(4326)
        frame.to_file(out / f"{spec.name}_synthetic.gpkg", driver="GPKG", engine="pyogrio")
    with (out / "truth_links_synthetic.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "source_id", "truth_ids"])
        writer.writerows(links)
    rasters = write_rasters(out, truth, seed=seed)
    return {"truth": len(truth), "source_rows": len(links), "raster_tiles": len(rasters)}


def read_truth(directory: Path) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    truth = gpd.read_file(directory / "truth_synthetic.gpkg", engine="pyogrio")
    with (directory / "truth_links_synthetic.csv").open(encoding="utf-8") as f:
        ids = {f"{r['source']}/{r['source_id']}": r["truth_ids"] for r in csv.DictReader(f)}
    return truth, ids


if __name__ == "__main__":
    print(generate_sample(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/sample")))
