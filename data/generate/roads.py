"""The road gazetteer the parser ships (address/data/roads.csv): each road of the sample
district's register source and the town it runs in.

The source is the register's sample of real addresses (data/sample/qingpu_addresses_covid2022_amap
.csv: AMap's address with its 街镇, street_level). Each address is parsed; its road component and
the row's town give a pair. A name seen in more than one town keeps every town (the parser then
does not guess).

    python -m data.generate.roads data/sample   # rewrites address/data/roads.csv
"""

import csv
import re
import sys
from pathlib import Path

from address.parse.gazetteer import load
from address.parse.parser import parse_many
from address.resources import DATA_DIR

_ROAD = re.compile(r"\D+(?:路|街|大道|大街|公路|巷)")  # not 华志路311弄 (a lane), 333弄
SOURCE = "qingpu_addresses_covid2022_amap.csv"
DISTRICT = "310118"


def road_towns(sample: Path) -> dict[str, set[str]]:
    with (sample / SOURCE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    gaz = load()
    out: dict[str, set[str]] = {}
    for row, parsed in zip(rows, parse_many([r["complete_address"] for r in rows]), strict=True):
        towns = [u.code for u in gaz.lookup(row["street_level"], "town")
                 if u.code.startswith(DISTRICT)]
        road = parsed.components.get("road")
        if road and len(towns) == 1 and _ROAD.fullmatch(road):
            out.setdefault(road, set()).add(towns[0])
    return out


def main(sample: Path) -> None:
    pairs = road_towns(sample)
    with (DATA_DIR / "roads.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "town_code"])
        for name in sorted(pairs):
            writer.writerows([name, town] for town in sorted(pairs[name]))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
