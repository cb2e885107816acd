"""Build ``layers/hotline/data/shanghai_roads.csv``: Shanghai road names → the districts they
are in, for handing a complaint over to the right district when it names only a road.

``python -m layers.hotline.roads_build /work/shared/data`` (never imported at run time). Pairs of
(district, road) come from real addresses that name both: the company addresses of the cpca
corpus (MIT) and the *train* splits of the two address-parsing corpora (CCKS 2021, NAACL 2019;
research use, the same terms as the shipped tagger). Their dev splits are left out: the hand-over
bench (``bench/hotline_handover.py``) draws its roads from them.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from address.parse import gazetteer
from address.parse.parser import parse
from address.text.standard import standardize

OUT = Path(__file__).resolve().parent / "data" / "shanghai_roads.csv"
SHANGHAI = "31"


def district_code(name: str, *, shanghai_named: bool) -> str | None:
    """The Shanghai district a written district name is (官方名, 浦东, 闸北区 …). A name other
    provinces have too (普陀区 is also in 舟山) counts only when the address names 上海."""
    found = [u.code for u in gazetteer.load().lookup(name, "district")]
    here = [c for c in found if c.startswith(SHANGHAI)]
    if len(here) != 1 or (len(found) > 1 and not shanghai_named):
        return None
    return here[0]


def labelled_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """(district code, road) of each Shanghai address in a token-per-line file (BIO/BIOES)."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        spans: dict[str, str] = {}
        for line in block.splitlines():
            token, _, tag = line.rpartition(" ")
            label = tag.split("-", 1)[-1].lower()
            if token and label in ("prov", "city", "district", "road"):
                spans[label] = spans.get(label, "") + token
        named = spans.get("prov", "") + spans.get("city", "")
        if named and "上海" not in named:
            continue
        code = district_code(spans.get("district", ""), shanghai_named=bool(named))
        if code and spans.get("road"):
            yield code, spans["road"]


def company_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["原始地址"]
            if "上海" not in text:
                continue
            form = standardize(parse(text))
            code, road = form.codes.get("district"), form.components.get("road")
            if code and code.startswith(SHANGHAI) and len(code) == 6 and road:
                yield code, road


def sources(shared: Path) -> dict[str, Iterable[tuple[str, str]]]:
    parsing = shared / "eval" / "address_parsing"
    companies = shared / "eval/unlabeled/company_addresses.csv"
    return {"cpca company addresses": company_pairs(companies),
            "CCKS 2021 train": labelled_pairs(parsing / "ccks2021/train.conll"),
            "NAACL 2019 train": labelled_pairs(parsing / "naacl2019/train.txt")}


def build(shared: Path, out: Path = OUT) -> Counter[tuple[str, str]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for pairs_of_source in sources(shared).values():
        pairs.update((d, r) for d, r in pairs_of_source if 2 <= len(r) <= 12)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["road", "district_code", "count"])
        for (district, road), n in sorted(pairs.items(), key=lambda p: (p[0][1], p[0][0])):
            writer.writerow([road, district, n])
    return pairs


if __name__ == "__main__":
    made = build(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
    print(f"{len(made)} (district, road) pairs, {len({r for _, r in made})} roads → {OUT}")
