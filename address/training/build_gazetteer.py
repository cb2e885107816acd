"""Build ``address/data/admin.csv.gz``, the gazetteer the parser resolves codes against.

Run once after the source lists change::

    .venv/bin/python -m address.training.build_gazetteer /work/shared/data/admin

It also writes ``address/data/variants.json``, the one-to-one 繁体 → 简体 character table used by
``address.text.normalize.fold``, taken from jionlp's ``tra2sim_char.txt`` (Apache-2.0; jionlp is a
bench extra, needed only to rebuild this file).

Sources (all under the admin folder of the reference data): the all-China NBS 2023 lists
(modood, WTFPL) for provinces, cities, counties and towns, and the Shanghai divisions with the
12-digit 居委会/村委会 codes (NBS 2021) overlaid by the Qingpu 2023 list, which wins on conflicts.
The output has one row per unit: ``code,name,level,parent``; level is one of prov, city,
district, town, community.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

from address.resources import DATA_DIR

OUT = DATA_DIR / "admin.csv.gz"
VARIANTS_OUT = DATA_DIR / "variants.json"
# Traditional characters whose simplified form would rename a place (乾县, 於姓): not folded.
_KEEP = frozenset("乾於")
_SH_LEVELS = {"1": "prov", "2": "city", "3": "district", "4": "town", "5": "community"}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _china_rows(china: Path) -> dict[str, tuple[str, str, str]]:
    """code → (name, level, parent) from the all-China lists."""
    rows: dict[str, tuple[str, str, str]] = {}
    for r in _read(china / "modood_provinces.csv"):
        rows[r["code"]] = (r["name"], "prov", "")
    for r in _read(china / "modood_cities.csv"):
        rows[r["code"]] = (r["name"], "city", r["provinceCode"])
    for r in _read(china / "modood_areas.csv"):
        rows[r["code"]] = (r["name"], "district", r["cityCode"])
    for r in _read(china / "modood_streets.csv"):
        rows[r["code"]] = (r["name"], "town", r["areaCode"])
    return rows


def _shanghai_rows(admin: Path) -> dict[str, tuple[str, str, str]]:
    rows: dict[str, tuple[str, str, str]] = {}
    for r in _read(admin / "shanghai_admin_divisions_2021.csv"):
        rows[r["code"]] = (r["name"], _SH_LEVELS[r["level"]], r["parent_code"])
    for r in _read(admin / "qingpu_admin_units_nbs2023.csv"):
        level = {"district": "district", "town": "town"}.get(r["level"], "community")
        parent = "3101" if level == "district" else r["parent_code"]
        rows[r["code"]] = (r["name"], level, parent)
    return rows


def build(admin: Path, out: Path = OUT) -> int:
    """Write the merged gazetteer; returns the number of rows."""
    rows = _china_rows(admin / "china")
    rows.update(_shanghai_rows(admin))
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name", "level", "parent"])
        for code in sorted(rows):
            writer.writerow([code, *rows[code]])
    return len(rows)


def build_variants(out: Path = VARIANTS_OUT) -> int:
    """Write the traditional → simplified table from jionlp's dictionary; returns its size."""
    import jionlp  # bench extra, only needed here

    source = Path(jionlp.__file__).parent / "dictionary" / "tra2sim_char.txt"
    table: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        if len(trad) == 1 and len(simp) == 1 and trad != simp and trad not in _KEEP:
            table[trad] = simp
    out.write_text(json.dumps(table, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return len(table)


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/admin")
    print(f"{build(src)} rows → {OUT}")
    print(f"{build_variants()} characters → {VARIANTS_OUT}")
