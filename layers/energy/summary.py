"""A period's totals for a meter, enterprise, building or park: consumption per kind, tce by the
GB/T 2589 coefficient and CO₂ by the emission factor valid on each day (from the tables, never
constants), and the KPIs: kWh per m² of floor area, 万元产值能耗 and 单位工业增加值能耗 where output
is given, peak demand, load factor, data completeness, sub-meter reconciliation (a meter's
consumption minus its counted children's, as a loss share) and the change on the period before.
"""

from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from layers.energy.model import MEDIUM
from layers.energy.series import check_period, scope_kind

MEDIA = ", ".join(f"('{kind}', '{medium}')" for kind, medium in MEDIUM.items())
# per kind: consumption, tce (kgce → t), CO₂ (kg → t), peak 15 min, intervals, days without a
# coefficient or factor
TOTALS = f"""
SELECT r.kind, sum(r.value) AS total, sum(r.estimated) AS estimated, sum(r.suspect) AS suspect,
       sum(r.value * c.value) / 1000 AS tce, sum(r.value * f.value) / 1000 AS co2_t,
       max(r.peak_15min) AS peak_15min, sum(r.intervals) AS intervals,
       count(*) FILTER (WHERE c.value IS NULL) AS days_without_coefficient,
       count(*) FILTER (WHERE f.value IS NULL) AS days_without_factor,
       min(c.source) AS coefficient_source, min(f.source) AS factor_source
FROM (SELECT *, (ts AT TIME ZONE 'Asia/Shanghai')::date AS day FROM energy_rollup) r
JOIN (VALUES {MEDIA}) m(kind, medium) ON m.kind = r.kind
LEFT JOIN LATERAL (
  SELECT value, source FROM coefficient WHERE medium = m.medium AND basis = 'equivalent'
    AND region = 'CN' AND valid_from <= r.day
    AND (valid_to IS NULL OR valid_to >= r.day) ORDER BY valid_from DESC LIMIT 1) c ON true
LEFT JOIN LATERAL (
  SELECT value, source FROM emission_factor WHERE medium = m.medium AND scope = %(factor)s
    AND valid_from <= r.day AND (valid_to IS NULL OR valid_to >= r.day)
  ORDER BY valid_from DESC LIMIT 1) f ON true
WHERE r.scope = %(scope)s AND r.scope_id = %(id)s AND r.grain = 'day'
  AND r.ts >= %(start)s AND r.ts < %(end)s
GROUP BY r.kind ORDER BY r.kind
"""
AREA = {
    "building": "SELECT ST_Area(geom::geography) * coalesce(nullif(floors, 0), 1) FROM building"
                " WHERE id::text = %(id)s",
    "enterprise": "SELECT sum(eb.floor_share * ST_Area(b.geom::geography)"
                  " * coalesce(nullif(b.floors, 0), 1)) FROM enterprise_building eb"
                  " JOIN building b ON b.id = eb.building_id"
                  " WHERE eb.enterprise_id::text = %(id)s",
    "park": "SELECT sum(eb.floor_share * ST_Area(b.geom::geography)"
            " * coalesce(nullif(b.floors, 0), 1)) FROM enterprise_building eb"
            " JOIN building b ON b.id = eb.building_id JOIN enterprise e ON e.id ="
            " eb.enterprise_id WHERE e.park_code = %(id)s",
}
OUTPUT = """
SELECT sum(gross_output_10k_yuan), sum(value_added_10k_yuan) FROM enterprise_output o
WHERE o.month >= (%(start)s AT TIME ZONE 'Asia/Shanghai')::date
  AND o.month < (%(end)s AT TIME ZONE 'Asia/Shanghai')::date
  AND (o.enterprise_id::text = %(id)s AND %(scope)s = 'enterprise'
       OR o.enterprise_id IN (SELECT id FROM enterprise WHERE park_code = %(id)s)
          AND %(scope)s = 'park')
"""
CHILDREN = """
SELECT coalesce(sum(r.value), 0), count(DISTINCT m.id) FROM meter m
LEFT JOIN energy_rollup r ON r.scope = 'meter' AND r.scope_id = m.id AND r.grain = 'day'
  AND r.ts >= %(start)s AND r.ts < %(end)s
WHERE m.parent_id = %(id)s AND m.counted_in_parent
"""


def _totals(conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(TOTALS, params).fetchall()


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _kpis(conn: Connection, params: dict[str, Any], kinds: list[dict[str, Any]],
          hours: float) -> dict[str, Any]:
    power = next((k for k in kinds if k["kind"] == "electricity"), None)
    tce = sum(k["tce"] or 0 for k in kinds)
    co2 = sum(k["co2_t"] or 0 for k in kinds)
    area_sql = AREA.get(params["scope"])
    area = conn.execute(area_sql, params).fetchone()[0] if area_sql else None  # type: ignore[index]
    gross, added = conn.execute(OUTPUT, params).fetchone() or (None, None)
    peak_kw = power["peak_15min"] * 4 if power and power["peak_15min"] is not None else None
    kwh = power["total"] if power else None
    return {"floor_area_m2": area, "kwh_per_m2": _ratio(kwh, area),
            "tce_per_10k_yuan_output": _ratio(tce, gross),
            "tce_per_10k_yuan_value_added": _ratio(tce, added),
            "co2_t_per_10k_yuan_value_added": _ratio(co2, added),
            "peak_demand_kw": peak_kw,
            "load_factor": _ratio(_ratio(kwh, hours), peak_kw),
            "completeness": _ratio(power["intervals"], hours * 4) if power
            and params["scope"] == "meter" else None}


def _reconciliation(conn: Connection, params: dict[str, Any], own: float | None
                    ) -> dict[str, Any] | None:
    children, count = conn.execute(CHILDREN, params).fetchone() or (0, 0)
    if not count:
        return None
    return {"children": count, "children_total": children,
            "loss": (own or 0) - children, "loss_share": _ratio((own or 0) - children, own)}


def summary(conn: Connection, *, scope: str, scope_id: str, start: datetime, end: datetime,
            factor_scope: str = "shanghai", kind: str | None = None) -> dict[str, Any]:
    check_period(start, end)
    scope_kind(conn, scope=scope, scope_id=scope_id, kind=kind)
    params = {"scope": scope, "id": scope_id, "start": start, "end": end,
              "factor": factor_scope}
    kinds = _totals(conn, params)
    before = _totals(conn, {**params, "start": start - (end - start), "end": start})
    previous = {k["kind"]: k["total"] for k in before}
    for k in kinds:
        k["previous_total"] = previous.get(k["kind"])
        k["change"] = _ratio(k["total"] - previous[k["kind"]], previous[k["kind"]]) \
            if k["kind"] in previous else None
    hours = (end - start).total_seconds() / 3600
    power = next((k["total"] for k in kinds if k["kind"] == "electricity"), None)
    return {"scope": scope, "id": scope_id, "start": start, "end": end,
            "emission_factor_scope": factor_scope, "kinds": kinds,
            "tce": sum(k["tce"] or 0 for k in kinds),
            "co2_t": sum(k["co2_t"] or 0 for k in kinds),
            "kpis": _kpis(conn, params, kinds, hours),
            "reconciliation": _reconciliation(conn, params, power) if scope == "meter"
            else None}
