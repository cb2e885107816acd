"""Open311 service definitions: the extra attributes a category asks the caller for, and the check
of the attributes a request brings (``attribute[code]=value``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from address.errors import BadRequest
from layers.hotline.rules import check_service, services


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, name) of a list
    variable: bool = True  # false: informational text only

    def as_dict(self, order: int) -> dict[str, Any]:
        return {"variable": self.variable, "code": self.code, "datatype": self.datatype,
                "required": self.required, "datatype_description": None, "order": order,
                "description": self.description,
                "values": [{"key": k, "name": n} for k, n in self.values]}


_WHEN = Attribute("time_of_day", "什么时段", "singlevaluelist", False,
                  (("day", "白天"), ("night", "夜间 22:00–6:00"), ("all_day", "全天")))
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "noise": (Attribute("noise_source", "噪声来源", "singlevaluelist", False,
                        (("construction", "建筑施工"), ("business", "商业经营"),
                         ("neighbour", "邻里生活"), ("traffic", "交通"))), _WHEN),
    "water": (Attribute("water_kind", "问题类别", "singlevaluelist", False,
                        (("supply", "供水"), ("drainage", "排水"), ("river", "河道"),
                         ("flooding", "积水"))),),
    "road": (Attribute("facility", "设施", "multivaluelist", False,
                       (("surface", "路面"), ("manhole", "井盖"), ("streetlight", "路灯"))),),
    "pollution": (Attribute("pollution_kind", "污染类别", "singlevaluelist", False,
                            (("fumes", "油烟"), ("burning", "焚烧"), ("discharge", "排污"))),
                  _WHEN),
}


def open311_services() -> list[dict[str, Any]]:
    """Every category; ``metadata`` is true where a definition has attributes."""
    return [{**s, "metadata": s["service_code"] in ATTRIBUTES} for s in services()]


def service_definition(code: str) -> dict[str, Any]:
    check_service(code)
    return {"service_code": code,
            "attributes": [a.as_dict(i + 1) for i, a in enumerate(ATTRIBUTES.get(code, ()))]}


def check_attributes(code: str, given: dict[str, list[str]]) -> dict[str, Any]:
    """The posted attributes of a request of ``code``, checked against its definition."""
    known = {a.code: a for a in ATTRIBUTES.get(code, ())}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise BadRequest(f"service {code} has no attribute {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for attr in known.values():
        values = [v for v in given.get(attr.code, []) if v]
        if not values:
            if attr.required:
                raise BadRequest(f"attribute[{attr.code}] ({attr.description}) is required")
            continue
        keys = {k for k, _ in attr.values}
        if keys and not set(values) <= keys:
            raise BadRequest(f"attribute[{attr.code}] is one of {', '.join(sorted(keys))}")
        out[attr.code] = values if attr.datatype == "multivaluelist" else values[0]
    return out
