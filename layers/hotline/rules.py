"""The responsibility table: which unit answers a ticket, by area and category.

A rule has an area code (a prefix of the ticket's admin codes: '' anywhere, '31' Shanghai,
'310118' the district, a town or community code), a category (``service_code``, or NULL for any)
and a unit template over the names of the ticket's chain. The rule with the longest matching area
wins; at equal area a rule for the category beats one for any; then ``priority``. A rule whose
template needs a name the ticket lacks (a community for 物业管理 on a town-level ticket) is skipped,
so the next one decides. The ticket keeps the rule's id and a sentence saying why.
"""

from __future__ import annotations

import string
import time
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest
from address.transactions import require_transaction
from layers.hotline.handover import admin_names, city_of

# Open311 services: code → (name, group, keywords the operators file under it).
SERVICES: dict[str, tuple[str, str]] = {
    "sanitation": ("市容环卫", "城市管理"),
    "illegal_building": ("违法建筑", "城市管理"),
    "noise": ("噪声扰民", "社会治安"),
    "water": ("水务（供排水、河道、积水）", "公共设施"),
    "road": ("道路设施（路面、井盖、路灯）", "公共设施"),
    "greenery": ("绿化养护", "城市管理"),
    "traffic": ("交通秩序（乱停车）", "社会治安"),
    "pollution": ("环境污染（油烟、焚烧、排污）", "生态环境"),
    "property": ("物业管理", "住房"),
    "other": ("其他", "其他"),
}
CHAIN_LEVELS = ("district", "town", "community", "grid")


@dataclass(frozen=True)
class Rule:
    id: int
    service_code: str | None
    area_code: str
    priority: int
    unit: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Assignment:
    unit: str | None
    rule_id: int | None
    rule: str


def check_service(code: str) -> str:
    if code not in SERVICES:
        raise BadRequest(f"unknown service_code {code!r}: use one of {', '.join(SERVICES)}")
    return code


def services() -> list[dict[str, Any]]:
    """GET /open311/v2/services: every category (no extra attributes)."""
    return [{"service_code": code, "service_name": name, "description": name, "metadata": False,
             "type": "realtime", "keywords": "", "group": group}
            for code, (name, group) in SERVICES.items()]


def load_rules(conn: Connection) -> list[Rule]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT id, service_code, area_code, priority, unit, note"
                           " FROM hotline_rule ORDER BY id").fetchall()
    return [Rule(**r) for r in rows]


# Filing a ticket reads the rules and the chain's names; both change rarely, so each process keeps
# them for a few seconds (a rule change reaches every worker within CACHE_SECONDS).
CACHE_SECONDS = 10.0
_rules_cache: dict[str, tuple[float, list[Rule]]] = {}
_names_cache: dict[str, tuple[float, str]] = {}


def _cache_key(conn: Connection) -> str:
    return f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"


def cached_rules(conn: Connection) -> list[Rule]:
    """:func:`load_rules`, at most CACHE_SECONDS old."""
    key, now = _cache_key(conn), time.monotonic()
    hit = _rules_cache.get(key)
    if hit is None or now - hit[0] > CACHE_SECONDS:
        hit = _rules_cache[key] = (now, load_rules(conn))
    return hit[1]


def replace_rules(conn: Connection, *, rules: list[dict[str, Any]]) -> list[Rule]:
    """Replace the whole table, inside the caller's transaction (a failing rule leaves the
    old table)."""
    require_transaction(conn, "replace_rules")
    _rules_cache.clear()
    for r in rules:
        if r.get("service_code") is not None:
            check_service(r["service_code"])
        if not r.get("unit"):
            raise BadRequest("every rule needs a `unit`")
        _fields(r["unit"])
    conn.execute("DELETE FROM hotline_rule")
    for r in rules:
        conn.execute("INSERT INTO hotline_rule (service_code, area_code, priority, unit, note)"
                     " VALUES (%s, %s, %s, %s, %s)",
                     [r.get("service_code"), r.get("area_code") or "", int(r.get("priority", 0)),
                      r["unit"], r.get("note") or ""])
    return load_rules(conn)


_KNOWN_FIELDS = {f"{level}_{part}" for level in (*CHAIN_LEVELS, "city")
                 for part in ("code", "name")}


def _fields(template: str) -> set[str]:
    names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    unknown = names - _KNOWN_FIELDS
    if unknown:
        raise BadRequest(f"unknown template fields {sorted(unknown)}; use {sorted(_KNOWN_FIELDS)}")
    return names


def chain_names(conn: Connection, chain: dict[str, str]) -> dict[str, str]:
    """Template values: {level}_code and {level}_name for the codes of ``chain``."""
    now, prefix = time.monotonic(), _cache_key(conn) + "#"
    names = {c: hit[1] for c in chain.values()
             if c and (hit := _names_cache.get(prefix + c)) and now - hit[0] <= CACHE_SECONDS}
    missing = [c for c in chain.values() if c and c not in names]
    if missing:
        rows = conn.execute("SELECT code, name FROM admin_area WHERE code = ANY(%s)", [missing]
                            ).fetchall()
        found = {code: name for code, name in rows}
        found = {**admin_names([c for c in missing if c not in found]), **found}
        for code, name in found.items():
            names[code] = name
            _names_cache[prefix + code] = (now, name)
    values = {}
    for level, code in chain.items():
        if code:
            values[f"{level}_code"] = code
            if code in names:
                values[f"{level}_name"] = names[code]
    return {**_city_values(chain), **values}


def _city_values(chain: dict[str, str]) -> dict[str, str]:
    """``city_code``/``city_name`` of the chain's district (a hand-over outside Shanghai goes to
    that city's hotline)."""
    code = chain.get("district") or chain.get("town") or chain.get("city")
    city = city_of(code) if code else None
    return {"city_code": city[0], "city_name": city[1]} if city else {}


def _matches(rule: Rule, service_code: str, codes: list[str]) -> bool:
    if rule.service_code is not None and rule.service_code != service_code:
        return False
    return rule.area_code == "" or any(c.startswith(rule.area_code) for c in codes)


def decide(rules: list[Rule], *, service_code: str, values: dict[str, str]) -> Assignment:
    """The unit for a ticket of ``service_code`` whose chain has the template ``values``."""
    codes = [values[f"{level}_code"] for level in CHAIN_LEVELS if f"{level}_code" in values]
    ranked = sorted((r for r in rules if _matches(r, service_code, codes)),
                    key=lambda r: (-len(r.area_code), r.service_code is None, -r.priority, r.id))
    for rule in ranked:
        if _fields(rule.unit) <= values.keys():
            unit = rule.unit.format(**values)
            scope = rule.service_code or "any category"
            area = rule.area_code or "anywhere"
            why = f"rule {rule.id}: {scope} in {area} → {rule.unit}"
            return Assignment(unit, rule.id, why + (f" ({rule.note})" if rule.note else ""))
    return Assignment(None, None, "no rule applies")
