"""Conflation's matching on an engine: strips of the district, each with a halo.

The footprints are cut into vertical strips by the x of their bounding boxes' centres
(quantiles, so the strips hold about as many each); a footprint is *owned* by the strip its
centre is in. A strip's partition also holds every footprint whose bounding box reaches into the
halo around it. The halo is as wide as the largest footprint plus twice the largest alignment
shift, so every footprint that can overlap an owned one, before or after alignment, is in the
partition (and every rank-0 footprint whose centroid is within a shift of an owned centroid).

Each strip's footprints go to the engine once, as plain arrays (``Packed``): a polygon without
holes, nearly every footprint, as its shell's coordinates (``shapely.get_coordinates``, rebuilt
on the worker with ``shapely.from_ragged_array``), anything else as WKB. At 1M + 1M footprints
that costs the driver about 0.9 CPU-s where WKB for all cost 1.8 (``to_wkb``, the join and
the lengths; ``to_ragged_array`` for all cost 2.8), and a worker rebuilds its strip as fast as
from WKB. Ray's object store holds the arrays once and a task reads them without a copy, where
pickled shapely objects cost the driver as much time as the matching saved. A strip is cut and
packed as the engine takes it, so the driver packs the next strips while the first ones run. Two
passes run on the engine, as ``align`` and ``match_pairs`` run in one process:

1. each partition pairs its owned moving footprints with their nearest rank-0 footprints
   (``align_pairs``) and returns them with its owned footprints' centroids; the driver joins
   them and takes the cell medians (``align_shifts``);
2. each partition moves its footprints by those shifts (stored once too) and matches them
   (``match_pairs``), keeping a pair only when its first footprint (the lower row) is owned, so
   a pair that straddles two strips is found in both and kept once, and sorts them. A worker
   keeps the footprints it decoded in pass 1 for the run, so a strip that comes back to it in
   pass 2 (every strip: the engine gives strip ``i`` to worker ``i % workers`` in both) is not
   decoded again.

The joined pairs, sorted by row, are the pairs ``match_pairs(align(...))`` finds (tested).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from address.engine import Engine, Worker
from spatial.buildings.match import (
    MatchParams,
    Pairs,
    align_pairs,
    align_shifts,
    apply_shifts,
    centroid_xy,
    match_pairs,
)

MAX_SHIFT_M = 6.0  # align's default


@dataclass
class Packed:
    """A strip's footprints as plain arrays: a polygon without holes (nearly every footprint)
    as its shell's coordinates, ``coords[ends[k]:ends[k + 1]]`` for the ``k``-th of them (the
    rows where ``simple``), and any other geometry as WKB, ``wkb[offsets[k]:offsets[k + 1]]``
    for the ``k``-th of the others."""

    simple: NDArray[np.bool_]
    coords: NDArray[np.float64]
    ends: NDArray[np.int64]
    wkb: NDArray[np.uint8]
    offsets: NDArray[np.int64]
    rank: NDArray[np.int64]

    @classmethod
    def of(cls, geoms: NDArray[np.object_], rank: NDArray[np.int64]) -> Packed:
        counts = shapely.get_num_coordinates(geoms)
        simple = ((shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON) & (counts > 0)
                  & (shapely.get_num_interior_rings(geoms) == 0)
                  & (shapely.get_coordinate_dimension(geoms) == 2))  # no Z, no M
        shells = geoms[simple]
        ends = np.concatenate([[0], np.cumsum(counts[simple])])
        wkb = shapely.to_wkb(geoms[~simple])
        lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=len(wkb))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls(simple, shapely.get_coordinates(shells), ends.astype(np.int64),
                   np.frombuffer(b"".join(wkb), dtype=np.uint8), offsets, rank)

    def geoms(self) -> NDArray[np.object_]:
        out = np.empty(len(self.simple), dtype=object)
        if len(self.ends) > 1:
            polygons = np.arange(len(self.ends), dtype=np.int64)  # one ring each
            out[self.simple] = shapely.from_ragged_array(
                shapely.GeometryType.POLYGON, self.coords, (self.ends, polygons))
        data = self.wkb.data
        spans = zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(), strict=True)
        out[~self.simple] = shapely.from_wkb([bytes(data[a:b]) for a, b in spans])
        return out


@dataclass
class Partition:
    """One strip: rows of the whole set (ascending) and which of them it owns."""

    rows: NDArray[np.int64]
    owned: NDArray[np.bool_]


def strips(bounds: NDArray[np.float64], count: int, *,
           max_shift_m: float = MAX_SHIFT_M) -> Iterator[Partition]:
    """The footprints of these ``shapely.bounds`` cut into ``count`` strips (fewer if they are
    few), each with its halo, cut as they are taken (the first goes to work sooner)."""
    if len(bounds) == 0:
        return
    x = (bounds[:, 0] + bounds[:, 2]) / 2
    extent = float(np.max(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    halo = extent + 2 * max_shift_m + 1.0
    edges = np.unique(np.quantile(x, np.linspace(0, 1, count + 1)[1:-1]))
    owner = np.searchsorted(edges, x, side="right")
    lows = np.concatenate([[-np.inf], edges])
    highs = np.concatenate([edges, [np.inf]])
    for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
        rows = np.flatnonzero((bounds[:, 2] >= low - halo) & (bounds[:, 0] <= high + halo))
        owned = owner[rows] == i
        if owned.any():
            yield Partition(rows, owned)


def _decoded(worker: Worker, packed: Packed, key: tuple[str, int], *,
             keep: bool) -> NDArray[np.object_]:
    """The strip's footprints: pass 1 decodes them and ``keep``s them on its worker for the
    run (``key`` is the run and the strip), pass 2 takes them when it runs on the same worker
    (always: the engine gives a strip the same worker in both) and decodes them again
    elsewhere. A new run drops what an older one left."""
    run, strip = key
    kept: tuple[str, dict[int, NDArray[np.object_]]] | None = worker.state.get("strips")
    if kept is None or kept[0] != run:
        kept = worker.state["strips"] = (run, {})
    geoms = kept[1].pop(strip, None)
    if geoms is None:
        geoms = packed.geoms()
    if keep:
        kept[1][strip] = geoms
    return geoms


def _align_task(worker: Worker, task: tuple[Packed, Partition, tuple[str, int]]
                ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Pass 1: the owned footprints' alignment pairs, as rows of the whole set, and their
    centroids."""
    packed, part, key = task
    geoms = _decoded(worker, packed, key, keep=True)
    centroids = shapely.centroid(geoms)
    local = align_pairs(geoms, centroids, packed.rank, owned=part.owned)
    return part.rows[local], centroid_xy(centroids[part.owned])


def _match_task(worker: Worker, task: tuple[Packed, Partition, tuple[str, int],
                                            NDArray[np.float64], MatchParams]) -> Pairs:
    """Pass 2: the pairs whose first footprint is owned, in rows of the whole set, in (left,
    right) order."""
    packed, part, key, shift, params = task
    moved = apply_shifts(_decoded(worker, packed, key, keep=False), shift[part.rows])
    pairs = match_pairs(moved, packed.rank, params)
    keep = part.owned[pairs.left]
    left, right = part.rows[pairs.left[keep]], part.rows[pairs.right[keep]]
    order = np.lexsort((right, left))
    return Pairs(left[order], right[order], pairs.iou[keep][order], pairs.overlap[keep][order])


def engine_pairs(engine: Engine, geoms: NDArray[np.object_], rank: NDArray[np.int64],
                 params: MatchParams | None = None, *, parts: int | None = None) -> Pairs:
    """``match_pairs(align(geoms, rank), rank, params)`` computed strip by strip on ``engine``,
    in (left, right) order."""
    params = params or MatchParams()
    run = uuid.uuid4().hex
    todo: list[Partition] = []
    tasks: list[tuple[Packed, Partition, tuple[str, int]]] = []

    def packed() -> Iterator[tuple[Packed, Partition, tuple[str, int]]]:
        # cut and packed as the engine takes them, stored once
        for i, part in enumerate(strips(shapely.bounds(geoms), parts or 4 * engine.workers)):
            todo.append(part)
            tasks.append((engine.put(Packed.of(geoms[part.rows], rank[part.rows])),
                          engine.put(part), (run, i)))
            yield tasks[-1]

    centroids = np.full((len(rank), 2), np.nan)
    paired = []
    for i, (pairs, owned_xy) in enumerate(engine.map(_align_task, packed())):
        paired.append(pairs)  # partition i was cut before its task was sent
        centroids[todo[i].rows[todo[i].owned]] = owned_xy
    joined = np.concatenate(paired) if paired else np.empty((0, 2), dtype=np.int64)
    shift = engine.put(align_shifts(centroids, rank, joined))
    return _joined(list(engine.map(_match_task, [(*t, shift, params) for t in tasks])))


def _joined(found: list[Pairs]) -> Pairs:
    """The strips' pairs as one, in (left, right) order: each strip's come in that order and a
    footprint is the left of pairs of one strip only (its owner), so a stable sort by left
    alone (a merge of the sorted runs) is that order."""
    if not found:
        return Pairs(*(np.empty(0, dtype=t) for t in (np.int64, np.int64, float, float)))
    left, right, iou, overlap = (np.concatenate([getattr(f, name) for f in found])
                                 for name in ("left", "right", "iou", "overlap"))
    order = np.argsort(left, kind="stable")
    return Pairs(left[order], right[order], iou[order], overlap[order])
