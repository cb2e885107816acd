"""Conflation's matching on an engine: strips of the district, each with a halo.

The footprints are cut into vertical strips by their centroids' x (quantiles, so the strips
hold about as many each); a footprint is *owned* by the strip its centroid is in. A strip's
partition also holds every footprint whose bounding box reaches into the halo around it. The
halo is as wide as the largest footprint plus twice the largest alignment shift, so every
footprint that can overlap an owned one, before or after alignment, is in the partition.

Two passes run on the engine, as ``align`` and ``match_pairs`` run in one process:

1. each partition pairs its owned moving footprints with their nearest rank-0 footprints
   (``align_pairs``); the driver joins the pairs and takes the cell medians (``align_shifts``);
2. each partition moves its footprints by those shifts and matches them (``match_pairs``),
   keeping a pair only when its first footprint (the lower row) is owned, so a pair that
   straddles two strips is found in both and kept once.

The joined pairs, sorted by row, are the pairs ``match_pairs(align(...))`` finds (tested).
"""

from __future__ import annotations

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
    match_pairs,
)

MAX_SHIFT_M = 6.0  # align's default


@dataclass
class Partition:
    """One strip's footprints (rows of the whole set, ascending) and which of them it owns."""

    rows: NDArray[np.int64]
    owned: NDArray[np.bool_]
    geoms: NDArray[np.object_]
    rank: NDArray[np.int64]


def strips(geoms: NDArray[np.object_], centroids: NDArray[np.object_], rank: NDArray[np.int64],
           count: int, *, max_shift_m: float = MAX_SHIFT_M) -> list[Partition]:
    """The footprints cut into ``count`` strips (fewer if they are few), each with its halo."""
    x = shapely.get_x(centroids)
    bounds = shapely.bounds(geoms)
    if len(x) == 0:
        return []
    extent = float(np.max(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    halo = extent + 2 * max_shift_m + 1.0
    edges = np.unique(np.quantile(x, np.linspace(0, 1, count + 1)[1:-1]))
    owner = np.searchsorted(edges, x, side="right")
    lows = np.concatenate([[-np.inf], edges])
    highs = np.concatenate([edges, [np.inf]])
    parts = []
    for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
        rows = np.flatnonzero((bounds[:, 2] >= low - halo) & (bounds[:, 0] <= high + halo))
        owned = owner[rows] == i
        if owned.any():
            parts.append(Partition(rows, owned, geoms[rows], rank[rows]))
    return parts


def _align_task(worker: Worker, task: tuple[Partition]) -> NDArray[np.int64]:
    """Pass 1: the owned footprints' alignment pairs, as rows of the whole set."""
    (part,) = task
    local = align_pairs(part.geoms, shapely.centroid(part.geoms), part.rank, owned=part.owned)
    return part.rows[local]


def _match_task(worker: Worker, task: tuple[Partition, NDArray[np.float64], MatchParams]) -> Pairs:
    """Pass 2: the pairs whose first footprint is owned, in rows of the whole set."""
    part, shift, params = task
    pairs = match_pairs(apply_shifts(part.geoms, shift), part.rank, params)
    keep = part.owned[pairs.left]
    return Pairs(part.rows[pairs.left[keep]], part.rows[pairs.right[keep]], pairs.iou[keep],
                 pairs.overlap[keep])


def engine_pairs(engine: Engine, geoms: NDArray[np.object_], rank: NDArray[np.int64],
                 params: MatchParams | None = None, *, parts: int | None = None) -> Pairs:
    """``match_pairs(align(geoms, rank), rank, params)`` computed strip by strip on ``engine``,
    in (left, right) order."""
    params = params or MatchParams()
    centroids = shapely.centroid(geoms)
    todo = strips(geoms, centroids, rank, parts or 4 * engine.workers)
    stored = [engine.put(part) for part in todo]  # sent to the workers once for both passes
    paired = list(engine.map(_align_task, [(s,) for s in stored]))
    joined = np.concatenate(paired) if paired else np.empty((0, 2), dtype=np.int64)
    shift = align_shifts(centroids, rank, joined)
    return _joined(list(engine.map(_match_task, [(s, shift[p.rows], params)
                                                 for s, p in zip(stored, todo, strict=True)])))


def _joined(found: list[Pairs]) -> Pairs:
    """The strips' pairs as one, in (left, right) order."""
    if not found:
        return Pairs(*(np.empty(0, dtype=t) for t in (np.int64, np.int64, float, float)))
    left, right, iou, overlap = (np.concatenate([getattr(f, name) for f in found])
                                 for name in ("left", "right", "iou", "overlap"))
    order = np.lexsort((right, left))
    return Pairs(left[order], right[order], iou[order], overlap[order])
