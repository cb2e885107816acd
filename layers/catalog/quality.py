"""Data-quality rules: one declarative rule set per resource (a catalog layer or a built-in),
checked in SQL, stored as runs with a score.

A rule is a small dict: ``{"rule": "valid_geometry"}``, ``{"rule": "inside_district"}``,
``{"rule": "required", "field": "name"}``, ``{"rule": "pattern", "field": "code",
"regex": "^3101"}``, ``{"rule": "range", "field": "floors", "min": 1, "max": 200}``,
``{"rule": "unique", "field": "code"}``, ``{"rule": "no_overlap", "min_area_m2": 1}``.
The score is the mean pass rate over the rules, 0–100. On an engine (``address.engine``) each
rule runs over ranges of ids, one database connection per worker; counts add up and the sample
ids are the first of the ranges in order, so the run is the same.
"""

import json
import math
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from psycopg import Connection, sql
from psycopg import errors as pg
from psycopg.rows import dict_row

from address.engine import Engine, Worker
from address.errors import BadRequest
from layers.catalog.collections import Collection

SAMPLE = 20
NUMERIC_TYPES = frozenset({"smallint", "integer", "bigint", "real", "double precision", "numeric"})
Rule = dict[str, Any]


def _failing_valid(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    return sql.SQL("NOT ST_IsValid(t.{})").format(sql.Identifier(c.geom_column)), []


def _failing_inside(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM admin_area d WHERE d.level = 'district'"
        " AND ST_CoveredBy(t.{}, d.geom))").format(sql.Identifier(c.geom_column)), []


def _failing_required(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    return sql.SQL("coalesce(btrim(t.{}::text), '') = ''").format(_field(c, rule)), []


def _failing_pattern(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    if not isinstance(rule.get("regex"), str) or not rule["regex"]:
        raise BadRequest("a pattern rule needs a regex")
    return sql.SQL("t.{} IS NOT NULL AND NOT (t.{}::text ~ %s)").format(
        _field(c, rule), _field(c, rule)), [rule["regex"]]


def _failing_range(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    low, high = _range_bounds(rule)
    field = _field(c, rule)
    kind = next(f["type"] for f in c.fields if f["name"] == rule["field"])
    if kind not in NUMERIC_TYPES:
        raise BadRequest(f"a range rule needs a numeric field; {rule['field']!r} is {kind}")
    return sql.SQL("t.{f} IS NOT NULL AND (t.{f}::double precision < %s"
                   " OR t.{f}::double precision > %s)").format(f=field), [
        float("-inf") if low is None else float(low), float("inf") if high is None else float(high)]


def _range_bounds(rule: Rule) -> tuple[Any, Any]:
    low, high = rule.get("min"), rule.get("max")
    if low is None and high is None:
        raise BadRequest("a range rule needs min or max")
    for value in (low, high):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if value is not None and not (number and math.isfinite(value)):
            raise BadRequest("a range rule's min and max are finite numbers")
    return low, high


def _failing_unique(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    return sql.SQL(
        "t.{f} IN (SELECT u.{f} FROM {table} u WHERE {where} GROUP BY u.{f} HAVING count(*) > 1)"
    ).format(f=_field(c, rule), table=c.table, where=_aliased_where(c, "u")), []


def _failing_overlap(c: Collection, rule: Rule) -> tuple[sql.Composable, list[Any]]:
    geom = sql.Identifier(c.geom_column)
    return sql.SQL(
        "EXISTS (SELECT 1 FROM {table} o WHERE {where} AND o.{id} <> t.{id} AND o.{g} && t.{g}"
        " AND ST_Relate(o.{g}, t.{g}, '2********')"
        " AND ST_Area(ST_Transform(ST_Intersection(o.{g}, t.{g}), 4549)) > %s)"
    ).format(table=c.table, where=_aliased_where(c, "o"), id=sql.Identifier(c.id_column),
             g=geom), [float(rule.get("min_area_m2", 1.0))]


CHECKS: dict[str, Callable[[Collection, Rule], tuple[sql.Composable, list[Any]]]] = {
    "valid_geometry": _failing_valid,
    "inside_district": _failing_inside,
    "required": _failing_required,
    "pattern": _failing_pattern,
    "range": _failing_range,
    "unique": _failing_unique,
    "no_overlap": _failing_overlap,
}


def _field(c: Collection, rule: Rule) -> sql.Identifier:
    name = rule.get("field")
    if name not in c.field_names:
        raise BadRequest(f"rule {rule.get('rule')!r} names an unknown field {name!r} of "
                         f"{c.id!r} (fields: {', '.join(c.field_names)})")
    return sql.Identifier(name)


def _aliased_where(c: Collection, alias: str) -> sql.Composable:
    # Built-in filters are unqualified column predicates: inside the subquery they name ``alias``.
    return c.where


def default_rules(collection: Collection) -> list[Rule]:
    rules: list[Rule] = [{"rule": "valid_geometry"}, {"rule": "inside_district"}]
    if collection.id == "buildings":
        rules.append({"rule": "no_overlap", "min_area_m2": 1.0})
    return rules


def validate_rules(collection: Collection, rules: list[Rule]) -> list[Rule]:
    for rule in rules:
        kind = rule.get("rule") if isinstance(rule, dict) else None
        if kind not in CHECKS:
            raise BadRequest(f"unknown rule {kind!r}: use one of {', '.join(CHECKS)}")
        CHECKS[kind](collection, rule)
    return rules


def get_rules(conn: Connection, *, collection: Collection) -> list[Rule]:
    row = conn.execute("SELECT rules FROM quality_ruleset WHERE resource = %s",
                       [collection.id]).fetchone()
    return list(row[0]) if row else default_rules(collection)


def _check_regexes(conn: Connection, rules: list[Rule]) -> None:
    """Every pattern rule's regex compiled by PostgreSQL (whose dialect the runs use) now: a bad
    one is refused at save time, not saved to fail every run."""
    for rule in rules:
        if rule.get("rule") != "pattern":
            continue
        try:
            with conn.transaction():  # a savepoint: the caller's transaction goes on
                conn.execute("SELECT '' ~ %s", [rule["regex"]])
        except (pg.InvalidRegularExpression, pg.DataError) as exc:
            raise BadRequest(f"the regex {rule['regex']!r} is not valid") from exc


def set_rules(conn: Connection, *, collection: Collection, rules: list[Rule]) -> list[Rule]:
    validate_rules(collection, rules)
    _check_regexes(conn, rules)
    conn.execute(
        "INSERT INTO quality_ruleset (resource, rules) VALUES (%s, %s) ON CONFLICT (resource)"
        " DO UPDATE SET rules = excluded.rules, updated_at = now()",
        [collection.id, json.dumps(rules, ensure_ascii=False)])
    return rules


Bounds = tuple[Any, Any]  # ids low <= id < high; None: open on that side


def _check(conn: Connection, collection: Collection, rule: Rule,
           bounds: Bounds = (None, None)) -> tuple[int, list[str]]:
    """The rule's failing rows among ids in ``bounds``: their count and the first SAMPLE ids."""
    condition, params = CHECKS[rule["rule"]](collection, rule)
    ident = sql.Identifier(collection.id_column)
    low, high = bounds
    row = conn.execute(sql.SQL(
        "SELECT count(*), (array_agg(t.{id}::text ORDER BY t.{id}))[1:%s]"
        " FROM {table} t WHERE {where} AND ({condition})"
        " AND (%s::text IS NULL OR t.{id} >= %s) AND (%s::text IS NULL OR t.{id} < %s)"
    ).format(id=ident, table=collection.table, where=collection.where, condition=condition),
        [SAMPLE, *params, *_bound(low), *_bound(high)]).fetchone()
    assert row is not None
    return int(row[0]), list(row[1] or [])


def _bound(value: Any) -> list[Any]:
    return [None if value is None else str(value), value]


def _check_part(worker: Worker, part: tuple[Collection, Rule, Bounds]) -> tuple[int, list[str]]:
    collection, rule, bounds = part
    return _check(worker.conn, collection, rule, bounds)


def id_bounds(conn: Connection, *, collection: Collection, parts: int) -> list[Bounds]:
    """Ranges of the collection's ids holding about as many rows each, in id order."""
    ident = sql.Identifier(collection.id_column)
    row = conn.execute(sql.SQL(
        "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY t.{id}) FROM {table} t"
        " WHERE {where}").format(id=ident, table=collection.table, where=collection.where),
        [[i / parts for i in range(1, parts)]]).fetchone()
    edges = [e for e in dict.fromkeys(row[0] if row and row[0] else []) if e is not None]
    return list(zip([None, *edges], [*edges, None], strict=True))


def _result(rule: Rule, total: int, found: Iterable[tuple[int, list[str]]]) -> dict[str, Any]:
    """One rule's result from its parts' counts and samples (the parts in id order)."""
    failed, sample = 0, []
    for count, ids in found:
        failed += count
        sample += ids
    return {**rule, "checked": total, "failed": failed, "sample_ids": sample[:SAMPLE],
            "pass_rate": 1.0 if total == 0 else round(1 - failed / total, 6)}


def run_quality(conn: Connection, *, collection: Collection, engine: Engine | None = None,
                parts: int | None = None) -> dict[str, Any]:
    """Check every rule of the resource, store the run and return it. With an ``engine``, each
    rule is checked over id ranges on its workers (their own connections: they see committed
    rows only), with the same result."""
    rules = validate_rules(collection, get_rules(conn, collection=collection))
    total_row = conn.execute(sql.SQL("SELECT count(*) FROM {} t WHERE {}").format(
        collection.table, collection.where)).fetchone()
    total = int(total_row[0]) if total_row else 0
    if engine is None:
        results = [_result(rule, total, [_check(conn, collection, rule)]) for rule in rules]
    else:
        bounds = id_bounds(conn, collection=collection, parts=parts or 4 * engine.workers)
        found = iter(engine.map(_check_part, [(collection, rule, b) for rule in rules
                                              for b in bounds]))
        results = [_result(rule, total, islice(found, len(bounds))) for rule in rules]
    return _store_run(conn, collection, total, results)


def _store_run(conn: Connection, collection: Collection, total: int,
               results: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["pass_rate"] for r in results]
    score = round(100 * sum(rates) / len(rates), 2) if rates else 100.0
    row = conn.execute(
        "INSERT INTO quality_run (resource, score, feature_count, results) VALUES (%s, %s, %s, %s)"
        " RETURNING id, created_at",
        [collection.id, score, total, json.dumps(results, ensure_ascii=False)]).fetchone()
    assert row is not None
    return {"id": row[0], "resource": collection.id, "score": score, "feature_count": total,
            "results": results, "created_at": row[1]}


def list_runs(conn: Connection, *, resource: str, limit: int = 20) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT id, resource, score, feature_count, results, created_at FROM quality_run"
            " WHERE resource = %s ORDER BY id DESC LIMIT %s", [resource, limit]).fetchall()
    return [dict(r) for r in rows]


def latest_scores(conn: Connection) -> dict[str, dict[str, Any]]:
    """The newest score of every resource that has been checked."""
    rows = conn.execute(
        "SELECT DISTINCT ON (resource) resource, score, feature_count, created_at"
        " FROM quality_run ORDER BY resource, id DESC").fetchall()
    return {r[0]: {"score": r[1], "feature_count": r[2], "checked_at": r[3]} for r in rows}
