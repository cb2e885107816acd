"""Scoring a conflation against the synthetic generator's truth.

A match is a pair of footprints of two different sources that were fused into one building.
The truth says which pairs are one building (their ``truth_ids`` share an id). Precision is the
share of fused pairs that are true, recall the share of true pairs that were fused; footprints
waiting in the review queue are not fused, so they count against recall.
"""

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
from psycopg import Connection

Pair = tuple[str, str]


def true_pairs(truth_ids: Mapping[str, str]) -> set[Pair]:
    """``truth_ids`` maps ``source/source_id`` → comma-separated truth ids ("" for extras)."""
    by_truth: dict[str, list[str]] = defaultdict(list)
    for key, ids in truth_ids.items():
        for tid in filter(None, ids.split(",")):
            by_truth[tid].append(key)
    return _cross_source_pairs(by_truth.values())


def fused_pairs(conn: Connection) -> set[Pair]:
    groups: dict[int, list[str]] = defaultdict(list)
    for building_id, source, source_id in conn.execute(
            "SELECT building_id, source, source_id FROM building_lineage"):
        groups[building_id].append(f"{source}/{source_id}")
    return _cross_source_pairs(groups.values())


def _cross_source_pairs(groups: object) -> set[Pair]:
    pairs: set[Pair] = set()
    for members in groups:  # type: ignore[attr-defined]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a.split("/", 1)[0] != b.split("/", 1)[0]:
                    pairs.add((a, b) if a < b else (b, a))
    return pairs


def precision_recall(conn: Connection, truth_ids: Mapping[str, str]) -> dict[str, float]:
    truth, fused = true_pairs(truth_ids), fused_pairs(conn)
    hits = len(truth & fused)
    return {"precision": round(hits / max(len(fused), 1), 4),
            "recall": round(hits / max(len(truth), 1), 4),
            "true_pairs": len(truth), "fused_pairs": len(fused)}


def height_rmse(conn: Connection, truth_heights: Mapping[str, float],
                truth_ids: Mapping[str, str]) -> dict[str, float]:
    """RMSE of fused heights against the truth building behind each fused building's geometry.

    A fused building whose geometry footprint stands for one truth building is compared with it
    (merged footprints, whose roofs differ, are left out and counted).
    """
    rows = conn.execute(
        "SELECT b.height_m, l.source || '/' || l.source_id FROM building b"
        " JOIN building_lineage l ON l.building_id = b.id AND l.role = 'geometry'"
        " WHERE b.height_m IS NOT NULL").fetchall()
    errors = []
    for height, key in rows:
        ids = [t for t in truth_ids.get(key, "").split(",") if t]
        if len(ids) == 1:
            errors.append(float(height) - truth_heights[ids[0]])
    err = np.asarray(errors)
    if not len(err):
        return {"height_rmse_m": -1.0, "height_compared": 0}
    p50, p90 = np.percentile(np.abs(err), [50, 90])
    return {"height_rmse_m": round(float(np.sqrt(np.mean(err ** 2))), 3),
            "height_abs_error_p50_m": round(float(p50), 3),
            "height_abs_error_p90_m": round(float(p90), 3), "height_compared": len(err)}
