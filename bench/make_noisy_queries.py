"""Write bench/data/geocode_noisy_queries.csv: noisy queries for real sample addresses.

Each query takes one real address from data/sample (by its CSV line) and spoils it the way
people do: a homophone typo in the road or village name, no district, full-width digits, chatter
around it (as in a hotline call), 号 and 弄 mixed up, the town added, or two of these at once.
Seeded; the output is committed so the benchmark input stays fixed. Homophones come from the
characters of the unlabelled company addresses in ../shared/data (not an evaluation split).

    python bench/make_noisy_queries.py
"""

import csv
import random
import re
from collections import defaultdict
from pathlib import Path

from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data/sample/qingpu_addresses_covid2022_amap.csv"
CHARS_FROM = ROOT.parent / "shared/data/eval/unlabeled/company_addresses.csv"
OUT = ROOT / "bench/data/geocode_noisy_queries.csv"
SEED = 4242
PER_KIND = 20
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CHATTER = [("请问", "怎么走"), ("我家在", "，楼下噪音很大"), ("来电反映", "门口垃圾没人清理"),
           ("", "附近有人乱停车"), ("投诉", "的小区物业不作为"), ("麻烦查一下", "在哪里")]
DOOR = re.compile(r"^(.*?)(\d+)([号弄])$")


def homophones() -> dict[str, list[str]]:
    text = CHARS_FROM.read_text(encoding="utf-8")
    by_sound: dict[str, set[str]] = defaultdict(set)
    for char in set(text):
        if "\u4e00" <= char <= "\u9fff":
            by_sound[lazy_pinyin(char)[0]].add(char)
    return {c: sorted(group - {c}) for group in by_sound.values() for c in group if len(group) > 1}


def typo(name: str, sounds: dict[str, list[str]], rng: random.Random) -> str | None:
    m = DOOR.match(name)
    head = m.group(1) if m else name
    positions = [i for i, c in enumerate(head) if c in sounds and c not in "路村街道弄号镇"]
    if not positions:
        return None
    i = rng.choice(positions)
    return name[:i] + rng.choice(sounds[name[i]]) + name[i + 1:]


def swap_door(name: str) -> str | None:
    m = DOOR.match(name)
    return None if m is None else m.group(1) + m.group(2) + {"号": "弄", "弄": "号"}[m.group(3)]


def main() -> None:
    rng = random.Random(SEED)
    with SAMPLE.open(encoding="utf-8") as f:
        rows = [(line, r) for line, r in enumerate(csv.DictReader(f), start=2)]
    names = {r["address"] for _, r in rows}
    sounds = homophones()
    doors = [(line, r) for line, r in rows if DOOR.match(r["address"])
             and swap_door(r["address"]) not in names]
    kinds = {
        "typo": lambda r: typo(r["address"], sounds, rng),
        "no_district": lambda r: r["address"],
        "full_width": lambda r: "青浦区" + r["address"].translate(FULL_WIDTH),
        "chatter": lambda r: "{0}青浦区{2}{1}".format(*rng.choice(CHATTER), r["address"]),
        "hao_long": lambda r: "青浦区" + (swap_door(r["address"]) or ""),
        "with_town": lambda r: r["street_level"] + r["address"],
        "typo_full_width": lambda r: (typo(r["address"], sounds, rng) or "").translate(FULL_WIDTH),
    }
    out = []
    for kind, make in kinds.items():
        pool = doors if kind in ("hao_long", "full_width", "typo_full_width") else rows
        for line, row in rng.sample(pool, len(pool)):
            if sum(1 for o in out if o[2] == kind) == PER_KIND:
                break
            query = make(row)
            if (query and query != row["address"]) or kind == "no_district":
                out.append((query, line, kind))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["query", "sample_line", "noise"])
        writer.writerows(out)
    print(f"{len(out)} queries → {OUT}")


if __name__ == "__main__":
    main()
