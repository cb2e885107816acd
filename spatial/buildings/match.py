"""The pure core of building conflation: which footprints of different sources are one building.

Footprints are in EPSG:4549 (metres). Like Hootenanny's building matcher and HOT osm-merge, two
footprints of different sources match when they overlap enough: intersection over union, the
share of the smaller footprint that is covered, or the smaller one's centroid inside the larger
with a smaller overlap. Matches form a graph; each connected component is one decision:
1:1, 1:n (one footprint of the primary source, several of another — OSM building parts),
n:1, n:m (sent to review) or a lone footprint (kept, flagged unmatched).
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray


@dataclass(frozen=True)
class MatchParams:
    iou: float = 0.5
    overlap_smaller: float = 0.6
    centroid_overlap: float = 0.3

    def as_dict(self) -> dict[str, float]:
        return {"iou": self.iou, "overlap_smaller": self.overlap_smaller,
                "centroid_overlap": self.centroid_overlap}


@dataclass(frozen=True)
class Pairs:
    """Matched pairs ``left[k]``–``right[k]`` (row positions) with their scores."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]
    iou: NDArray[np.float64]
    overlap: NDArray[np.float64]


@dataclass
class Component:
    """One set of matched footprints (row positions), with the kind of decision it needs."""

    members: list[int]
    kind: str
    key: str
    primary: list[int] = field(default_factory=list)


def align(geoms: NDArray[np.object_], source: NDArray[np.int64], *, cell_m: float = 500.0,
          max_shift_m: float = 6.0, min_pairs: int = 8) -> NDArray[np.object_]:
    """Footprints of the other sources moved onto the first one (rank 0), like a rubber sheet.

    Sources are often offset by a few metres (imagery offsets). Each footprint is paired with the
    nearest rank-0 footprint of similar area whose centroid is within ``max_shift_m``; the median
    displacement of the pairs in each ``cell_m`` cell (or of the whole source where a cell has
    too few) is taken out before matching. Only the matching uses the moved geometries.
    """
    centroids = shapely.centroid(geoms)
    paired = align_pairs(geoms, centroids, source, max_shift_m=max_shift_m)
    shift = align_shifts(centroid_xy(centroids), source, paired, cell_m=cell_m,
                         min_pairs=min_pairs)
    return apply_shifts(geoms, shift)


def centroid_xy(centroids: NDArray[np.object_]) -> NDArray[np.float64]:
    """The points' coordinates as an (n, 2) array (NaN for an empty one)."""
    return np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])


def align_pairs(geoms: NDArray[np.object_], centroids: NDArray[np.object_],
                source: NDArray[np.int64], *, max_shift_m: float = 6.0,
                owned: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
    """``align``'s pairs (moving footprint, nearest rank-0 footprint of similar area) as rows of
    a (k, 2) array, for the moving footprints that are ``owned`` (all by default)."""
    base = np.flatnonzero(source == 0)
    moving = np.flatnonzero((source > 0) & (True if owned is None else owned))
    if len(base) == 0 or len(moving) == 0:
        return np.empty((0, 2), dtype=np.int64)
    src, dst = shapely.STRtree(centroids[base]).query_nearest(centroids[moving],
                                                              max_distance=max_shift_m)
    a, b = moving[src], base[dst]
    ratio = shapely.area(geoms[a]) / np.maximum(shapely.area(geoms[b]), 1e-9)
    ok = (ratio > 0.7) & (ratio < 1.4)
    return np.column_stack([a[ok], b[ok]]).astype(np.int64)


def align_shifts(centroids: NDArray[np.float64], source: NDArray[np.int64],
                 paired: NDArray[np.int64], *, cell_m: float = 500.0,
                 min_pairs: int = 8) -> NDArray[np.float64]:
    """Per footprint, the (dx, dy) ``align`` moves it by, from the footprints' centroids as an
    (n, 2) array: NaN where it is not moved (rank 0, or a source with fewer than ``min_pairs``
    pairs)."""
    shift = np.full((len(source), 2), np.nan)
    for rank in np.unique(source[source > 0]):
        mine = paired[source[paired[:, 0]] == rank]
        if len(mine) < max(min_pairs, 1):
            continue
        a, b = mine[:, 0], mine[:, 1]
        moving = np.flatnonzero(source == rank)
        shift[moving] = _cell_medians(centroids, a, centroids[b] - centroids[a], moving, cell_m,
                                      min_pairs)
    return shift


def apply_shifts(geoms: NDArray[np.object_], shift: NDArray[np.float64]) -> NDArray[np.object_]:
    """``geoms`` with those of a non-NaN ``shift`` moved by it."""
    out = geoms.copy()
    moving = np.flatnonzero(~np.isnan(shift[:, 0]))
    if len(moving):
        coords, index = shapely.get_coordinates(geoms[moving], return_index=True)
        out[moving] = shapely.set_coordinates(geoms[moving].copy(), coords + shift[moving][index])
    return out


def _cell_medians(centroids: NDArray[np.float64], paired: NDArray[np.int64],
                  d: NDArray[np.float64], moving: NDArray[np.int64], cell_m: float,
                  min_pairs: int) -> NDArray[np.float64]:
    """Per moving footprint, the median displacement of the pairs in its cell (or overall)."""
    def cells(idx: NDArray[np.int64]) -> NDArray[np.int64]:
        x, y = np.floor(centroids[idx] / cell_m).astype(np.int64).T
        return x * 1_000_003 + y

    overall = np.median(d, axis=0)
    paired_cells = cells(paired)
    keys, starts, counts = np.unique(np.sort(paired_cells), return_index=True,
                                     return_counts=True)
    medians = np.column_stack([_group_medians(paired_cells, d[:, k], starts, counts)
                               for k in range(2)])
    medians[counts < min_pairs] = overall
    wanted = cells(moving)  # a cell without pairs takes the overall median
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where((keys[at] == wanted)[:, None], medians[at], overall)


def _group_medians(groups: NDArray[np.int64], values: NDArray[np.float64],
                   starts: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """``np.median`` of the values of each group at once (the groups sorted, ``starts`` and
    ``counts`` as ``np.unique`` gives them): the middle value, or the mean of the middle two.
    The values are displacements of paired centroids, never NaN. Sorted by value, then stably
    by group: the order ``np.lexsort((values, groups))`` gives, in half its time."""
    by_value = np.argsort(values)
    ordered = values[by_value[np.argsort(groups[by_value], kind="stable")]]
    low, high = ordered[starts + (counts - 1) // 2], ordered[starts + counts // 2]
    return np.where(counts % 2 == 1, low, (low + high) / 2)


def match_pairs(geoms: NDArray[np.object_], source: NDArray[np.int64],
                params: MatchParams = MatchParams()) -> Pairs:
    """Every pair of footprints of different sources that overlap enough to be one building."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = (left < right) & (source[left] != source[right])
    left, right = left[keep], right[keep]
    inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    area_l, area_r = shapely.area(geoms[left]), shapely.area(geoms[right])
    smaller = np.minimum(area_l, area_r)
    iou = inter / np.maximum(area_l + area_r - inter, 1e-9)
    overlap = inter / np.maximum(smaller, 1e-9)
    small_is_left = area_l <= area_r
    small = np.where(small_is_left, left, right)
    large = np.where(small_is_left, right, left)
    inside = shapely.contains(geoms[large], shapely.centroid(geoms[small]))
    ok = (iou >= params.iou) | (overlap >= params.overlap_smaller) | (
        inside & (overlap >= params.centroid_overlap))
    return Pairs(left[ok].astype(np.int64), right[ok].astype(np.int64), iou[ok], overlap[ok])


def component_key(source_keys: Sequence[str]) -> str:
    """A stable name for a set of source rows (``source/source_id`` strings)."""
    return hashlib.md5("\n".join(sorted(source_keys)).encode("utf-8")).hexdigest()


def classify(counts: dict[int, int], primary_source: int) -> str:
    """The match kind from footprints per source; ``primary_source`` has the top priority."""
    if sum(counts.values()) == 1:
        return "unmatched"
    first = counts[primary_source]
    most_other = max(c for s, c in counts.items() if s != primary_source)
    if first > 1 and most_other > 1:
        return "n:m"
    if first > 1:
        return "n:1"
    return "1:n" if most_other > 1 else "1:1"


def components(pairs: Pairs, source: NDArray[np.int64], keys: Sequence[str]) -> list[Component]:
    """Connected components of the match graph; ``source`` holds priority ranks (0 = first)."""
    from scipy.sparse import coo_matrix  # scipy is imported with the first conflation, not
    from scipy.sparse.csgraph import connected_components  # with the API's start

    n = len(source)
    graph = coo_matrix((np.ones(len(pairs.left)), (pairs.left, pairs.right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    n_sources = int(source.max()) + 1 if n else 1
    per_source = np.zeros((int(labels.max()) + 1 if n else 0, n_sources), dtype=np.int64)
    np.add.at(per_source, (labels, source), 1)
    kinds = _kinds(per_source)
    result = []
    for group in np.split(order, bounds):
        members = group.tolist()
        label = int(labels[group[0]])
        top = int(np.flatnonzero(per_source[label])[0])
        result.append(Component(
            members=members, kind=kinds[label],
            key=component_key([keys[m] for m in members]),
            primary=[m for m in members if source[m] == top]))
    return result


def _kinds(per_source: NDArray[np.int64]) -> list[str]:
    """``classify`` for every component at once, from its footprint count per source."""
    total = per_source.sum(axis=1)
    top = np.argmax(per_source > 0, axis=1)
    first = per_source[np.arange(len(per_source)), top]
    others = per_source.copy()
    others[np.arange(len(per_source)), top] = 0
    most_other = others.max(axis=1)
    kind = np.where(first > 1, np.where(most_other > 1, "n:m", "n:1"),
                    np.where(most_other > 1, "1:n", "1:1"))
    return [str(k) for k in np.where(total == 1, "unmatched", kind)]


def best_scores(pairs: Pairs, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per footprint, the best IoU and overlap it reached with any partner (0 if none)."""
    iou, overlap = np.zeros(n), np.zeros(n)
    for side in (pairs.left, pairs.right):
        np.maximum.at(iou, side, pairs.iou)
        np.maximum.at(overlap, side, pairs.overlap)
    return iou, overlap


def assign_to_primary(geoms: NDArray[np.object_], comp: Component) -> dict[int, list[int]]:
    """For a component split by a steward: each member goes to the primary it overlaps most."""
    groups: dict[int, list[int]] = {p: [p] for p in comp.primary}
    prim = np.array(comp.primary)
    for m in comp.members:
        if m in groups:
            continue
        shared = shapely.area(shapely.intersection(geoms[prim], geoms[m], grid_size=0.01))
        groups[int(prim[int(np.argmax(shared))])].append(m)
    return groups


FLOOR_KEYS = ("floors", "building:levels", "levels", "FLOORS", "层数")
HEIGHT_KEYS = ("height", "height_m", "HEIGHT", "高度")
USE_KEYS = ("building", "use", "type")


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip().removesuffix("m").strip())
    except ValueError:
        return None
    return number if np.isfinite(number) and number > 0 else None


def merge_attributes(rows: Sequence[dict[str, object]]) -> dict[str, object]:
    """Attributes of one fused building; ``rows`` come in source-priority order.

    A key takes the first non-empty value in priority order, except floors and height, which
    take the largest value of the first source that has any (parts of one building differ).
    """
    merged: dict[str, object] = {}
    for row in rows:
        for key, value in row.items():
            if value not in (None, "") and key not in merged:
                merged[key] = value
    merged["floors"] = _first_max(rows, FLOOR_KEYS)
    merged["height"] = _first_max(rows, HEIGHT_KEYS)
    merged["use"] = next((str(r[k]) for r in rows for k in USE_KEYS if r.get(k)), None)
    return merged


def _first_max(rows: Sequence[dict[str, object]], names: Sequence[str]) -> float | None:
    best: float | None = None
    source = None
    for row in rows:
        found = [v for v in (_number(row[k]) for k in names if k in row) if v is not None]
        if found and source in (None, row.get("_source")):
            source = row.get("_source")
            best = max([*found, best or 0.0])
    return best
