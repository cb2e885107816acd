"""Conflation of building sources into the fused ``building`` layer, with lineage and review.

``conflate(conn, sources=[...])`` reads the footprints of the sources (first = highest priority),
matches them in EPSG:4549 (``spatial.buildings.match``) and writes one building per component.
Re-running is incremental: a component whose member rows and parameters did not change keeps its
building row (and its heights and address links); only changed, new and vanished components are
written. n:m components go to ``building_review``; a steward's decision is replayed on later runs
while the component stays the same.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from psycopg import Connection

from address.errors import BadRequest
from address.transactions import require_transaction
from spatial.buildings.match import (
    Component,
    MatchParams,
    Pairs,
    align,
    assign_to_primary,
    best_scores,
    components,
    match_pairs,
    merge_attributes,
)
from spatial.coords import transformer

METRIC_CRS = 4549


@dataclass
class Footprints:
    """The source rows taking part in a conflation, aligned by position."""

    ids: NDArray[np.int64]
    rank: NDArray[np.int64]
    keys: list[str]
    digests: list[str]
    attributes: list[dict[str, Any]]
    wgs84: NDArray[np.object_]
    metric: NDArray[np.object_]
    sources: list[str]
    ewkb: list[bytes]


@dataclass
class Planned:
    key: str
    digest: str
    kind: str
    members: list[int]
    geometry_from: list[int]


@dataclass
class Plan:
    buildings: list[Planned] = field(default_factory=list)
    reviews: list[tuple[Component, str]] = field(default_factory=list)


def load_footprints(conn: Connection, *, sources: Sequence[str]) -> Footprints:
    rows = conn.execute(
        "SELECT id, source, source_id, digest, attributes, ST_AsEWKB(geom) FROM building_source"
        " WHERE source = ANY(%s) ORDER BY id", [list(sources)]).fetchall()
    rank = {s: i for i, s in enumerate(sources)}
    wgs84 = shapely.from_wkb([bytes(r[5]) for r in rows]) if rows else np.array([], dtype=object)
    metric = shapely.transform(wgs84, lambda xy: np.column_stack(
        transformer(4326, METRIC_CRS).transform(xy[:, 0], xy[:, 1])))
    attributes = [dict(r[4], _source=r[1]) for r in rows]
    return Footprints(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        rank=np.array([rank[r[1]] for r in rows], dtype=np.int64),
        keys=[f"{r[1]}/{r[2]}" for r in rows], digests=[r[3] for r in rows],
        attributes=attributes, wgs84=np.asarray(wgs84, dtype=object),
        metric=np.asarray(metric, dtype=object), sources=list(sources),
        ewkb=[bytes(r[5]) for r in rows])


def _digest(fp: Footprints, members: Sequence[int], salt: str) -> str:
    parts = sorted(f"{fp.keys[m]}:{fp.digests[m]}:{fp.rank[m]}" for m in members)
    return hashlib.md5("\n".join([salt, *parts]).encode()).hexdigest()


def plan(fp: Footprints, comps: list[Component], decisions: dict[tuple[str, str], str],
         salt: str) -> Plan:
    """Buildings to have and components to review, given stewards' decisions so far."""
    result = Plan()
    for comp in comps:
        digest = _digest(fp, comp.members, salt)
        if comp.kind != "n:m":
            result.buildings.append(Planned(comp.key, digest, comp.kind, comp.members,
                                            comp.primary))
            continue
        decision = decisions.get((comp.key, digest))
        if decision == "merged":
            result.buildings.append(Planned(comp.key, digest, "n:m", comp.members, comp.primary))
        elif decision == "separate":
            for primary, group in assign_to_primary(fp.metric, comp).items():
                key = hashlib.md5(f"{comp.key}/{fp.keys[primary]}".encode()).hexdigest()
                result.buildings.append(Planned(key, digest, "n:m", group, [primary]))
        else:
            result.reviews.append((comp, digest))
    return result


def _geometry(fp: Footprints, members: Sequence[int]) -> str:
    if len(members) == 1:  # stored as it came, already a MultiPolygon in 4326
        return fp.ewkb[members[0]].hex()
    geom = shapely.union_all(fp.wgs84[members])
    if shapely.get_type_id(geom) == 3:
        geom = shapely.MultiPolygon([geom])
    elif shapely.get_type_id(geom) != 6:
        parts = [q for p in shapely.get_parts(geom) for q in shapely.get_parts(p)
                 if shapely.get_type_id(q) == 3]
        geom = shapely.MultiPolygon(parts)
    return str(shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True))


def _building_row(fp: Footprints, b: Planned, run_id: int) -> tuple[Any, ...]:
    ordered = sorted(b.members, key=lambda m: (fp.rank[m], fp.ids[m]))
    attrs = merge_attributes([fp.attributes[m] for m in ordered])
    attrs.pop("_source", None)
    sources = sorted({fp.sources[fp.rank[m]] for m in b.members}, key=fp.sources.index)
    height = attrs.get("height")
    floors = attrs.get("floors")
    return (b.key, b.digest, b.kind, b.kind == "unmatched", "{" + ",".join(sources) + "}",
            json.dumps(attrs, ensure_ascii=False, default=str),
            int(str(floors).split(".")[0]) if floors else None, height,
            "attribute" if height else None, run_id, _geometry(fp, b.geometry_from))


_BUILDING_COLUMNS = ("component_key, digest, match_kind, unmatched, sources, attributes, floors,"
                     " height_m, height_source, run_id, geom")


def _write_buildings(conn: Connection, fp: Footprints, todo: list[Planned], run_id: int,
                     scores: tuple[NDArray[np.float64], NDArray[np.float64]]) -> None:
    with conn.cursor() as cur:
        with cur.copy(f"COPY building ({_BUILDING_COLUMNS}) FROM STDIN") as copy:
            for b in todo:
                copy.write_row(_building_row(fp, b, run_id))
        cur.execute("SELECT component_key, id FROM building WHERE run_id = %s", [run_id])
        ids: dict[str, int] = dict(cur.fetchall())
        with cur.copy("COPY building_lineage (building_id, source_row_id, source, source_id,"
                      " role, match_kind, scores, run_id) FROM STDIN") as copy:
            for b in todo:
                geometry_from = set(b.geometry_from)
                for m in b.members:
                    source, source_id = fp.keys[m].split("/", 1)
                    role = "geometry" if m in geometry_from else "attributes"
                    score = f'{{"iou": {scores[0][m]:.4f}, "overlap": {scores[1][m]:.4f}}}'
                    copy.write_row((ids[b.key], int(fp.ids[m]), source, source_id, role,
                                    b.kind, score, run_id))


def _sync_reviews(conn: Connection, fp: Footprints, reviews: list[tuple[Component, str]],
                  pairs: Pairs) -> int:
    """Open a review for each new n:m component; supersede open ones no longer current."""
    current = {(c.key, d) for c, d in reviews}
    open_rows = conn.execute(
        "SELECT id, component_key, digest FROM building_review WHERE status = 'open'").fetchall()
    stale = [r[0] for r in open_rows if (r[1], r[2]) not in current]
    conn.execute("UPDATE building_review SET status = 'superseded', resolved_at = now()"
                 " WHERE id = ANY(%s)", [stale])
    have = {(r[1], r[2]) for r in open_rows}
    new = [(c, d) for c, d in reviews if (c.key, d) not in have]
    iou, overlap = best_scores(pairs, len(fp.ids))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO building_review (component_key, digest, source_row_ids, detail)"
            " VALUES (%s, %s, %s, %s)",
            [(c.key, d, [int(fp.ids[m]) for m in c.members], json.dumps({
                "members": [{"key": fp.keys[m], "iou": round(float(iou[m]), 3),
                             "overlap": round(float(overlap[m]), 3)} for m in c.members]}))
             for c, d in new])
    return len(new)


def conflate(conn: Connection, *, sources: Sequence[str],
             params: MatchParams | None = None) -> dict[str, Any]:
    """Fuse the sources (priority order) into ``building``, inside the caller's transaction;
    returns what the run did."""
    require_transaction(conn, "conflate")
    params = params or MatchParams()
    if len(set(sources)) != len(sources) or not sources:
        raise BadRequest("name one or more distinct sources, highest priority first")
    fp = load_footprints(conn, sources=sources)
    missing = set(sources) - {fp.sources[r] for r in set(fp.rank.tolist())}
    if missing:
        raise BadRequest(f"no footprints imported for source(s) {', '.join(sorted(missing))}")
    pairs = match_pairs(align(fp.metric, fp.rank), fp.rank, params)
    comps = components(pairs, fp.rank, fp.keys)
    salt = json.dumps({"sources": list(sources), **params.as_dict()}, sort_keys=True)
    decisions = {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT component_key, digest, status FROM building_review"
        " WHERE status IN ('merged', 'separate')")}
    todo = plan(fp, comps, decisions, salt)
    return _apply(conn, fp, todo, pairs, sources, params)


def _apply(conn: Connection, fp: Footprints, todo: Plan, pairs: Pairs,
           sources: Sequence[str], params: MatchParams) -> dict[str, Any]:
    existing: dict[str, str] = dict(
        conn.execute("SELECT component_key, digest FROM building").fetchall())
    wanted = {b.key: b.digest for b in todo.buildings}
    gone = [k for k, d in existing.items() if wanted.get(k) != d]
    new = [b for b in todo.buildings if existing.get(b.key) != b.digest]
    counts: dict[str, Any] = dict(Counter(b.kind for b in todo.buildings))
    counts.update(buildings=len(todo.buildings), inserted=len(new), deleted=len(gone),
                  unchanged=len(todo.buildings) - len(new), review=len(todo.reviews))
    run = conn.execute("INSERT INTO conflation_run (sources, params) VALUES (%s, %s) RETURNING id",
                       [list(sources), json.dumps(params.as_dict())]).fetchone()
    assert run is not None
    conn.execute("DELETE FROM building WHERE component_key = ANY(%s)", [gone])
    _write_buildings(conn, fp, new, int(run[0]), best_scores(pairs, len(fp.ids)))
    counts["review_opened"] = _sync_reviews(conn, fp, todo.reviews, pairs)
    conn.execute("UPDATE conflation_run SET counts = %s WHERE id = %s",
                 [json.dumps(counts), run[0]])
    counts["run_id"] = int(run[0])
    return counts
