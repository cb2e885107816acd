"""Validation against the official CityJSON 2.0.2 schemas shipped in ``schemas/`` (tests and
the bench use it; ``jsonschema-rs`` is a dev dependency)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def _validator(name: str) -> Any:
    import jsonschema_rs

    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """What the CityJSON (or CityJSONFeature) schema finds wrong; empty when valid."""
    name = ("cityjsonfeature.min.schema.json" if document.get("type") == "CityJSONFeature"
            else "cityjson.min.schema.json")
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in _validator(name).iter_errors(document)]


def seq_errors(lines: list[str]) -> list[str]:
    """Every error of a CityJSONSeq: the header, then each feature."""
    errors = []
    for number, line in enumerate(lines, 1):
        errors += [f"line {number}: {e}" for e in schema_errors(json.loads(line))]
    return errors
