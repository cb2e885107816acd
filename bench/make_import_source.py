"""Write a synthetic address source for bench/import_speed.py: N rows drawn from the register.

SYNTHETIC (seeded): every row is made up from the sample register's own addresses and places;
the ``kind`` column says what each row is (``place``: a typo row's made-up road), so the
benchmark can check where it ended:

- ``existing`` (35 %): an address of the register, spelt with or without 上海市, point ±10 m;
- ``new`` (50 %): a door (and sometimes a building and room) on a known road, village or
  compound, point ±300 m around the place;
- garbage (15 %): ``random`` strings (asdfqwer…), ``other_district`` (上海市黄浦区陕西南路100号,
  北京市…, or a bare road with a point in 闵行区) and ``typo`` roads (one character of a known
  road changed: 华芝路 for 华志路). None of these may end active.

    python bench/make_import_source.py OUT.csv --rows 100000 --database-url URL
"""

import argparse
import csv
import random
import string
from pathlib import Path

import psycopg

SEED = 1515
SHARES = (("existing", 35), ("new", 50), ("random", 5), ("other_district", 5), ("typo", 5))
TYPO_CHARS = "华新中东西南北一二三大小青金文明光志芝盈赵沈泾港"
OTHER = ("上海市黄浦区陕西南路{n}号", "北京市朝阳区建国路{n}号", "上海市长宁区天山路{n}号",
         "江苏省苏州市吴中区东吴北路{n}号")
MINHANG = (121.38, 31.11)  # a point in 闵行区, next to the register's district


def _register(conn: psycopg.Connection) -> tuple[list[tuple], list[tuple]]:
    addresses = conn.execute(
        "SELECT canonical, ST_X(point), ST_Y(point) FROM address WHERE valid_to IS NULL"
        " AND status = 'active' AND point IS NOT NULL ORDER BY code").fetchall()
    places = conn.execute(
        "SELECT kind, name, ST_X(point), ST_Y(point) FROM place WHERE point IS NOT NULL"
        " AND kind IN ('road', 'village', 'poi') ORDER BY code").fetchall()
    return addresses, places


def _jitter(rng: random.Random, x: float, y: float, metres: float) -> tuple[float, float]:
    d = metres / 111_000
    return round(x + rng.uniform(-d, d), 7), round(y + rng.uniform(-d, d), 7)


def _new(rng: random.Random, places: list[tuple]) -> tuple[str, float, float]:
    kind, name, x, y = rng.choice(places)
    door = f"{rng.randint(1, 2999)}号" if kind == "road" else (
        f"{rng.randint(1, 30)}组" if kind == "village" else f"{rng.randint(1, 80)}号楼")
    if kind == "road" and rng.random() < 0.3:
        door = f"{rng.randint(1, 999)}弄{rng.randint(1, 60)}号{rng.randint(1, 30)}01室"
    return (f"上海市青浦区{name}{door}", *_jitter(rng, x, y, 300))


def _typo(rng: random.Random, roads: list[str], known: set[str]) -> tuple[str, str]:
    """A door on a known road with one character changed; the text and the bogus road."""
    while True:
        name = rng.choice(roads)
        i = rng.randrange(len(name) - 1)  # not the 路/街 at the end
        typo = name[:i] + rng.choice(TYPO_CHARS) + name[i + 1:]
        if typo not in known:
            return f"青浦区{typo}{rng.randint(1, 2999)}号", f"road:{typo}"


def rows(n: int, addresses: list[tuple], places: list[tuple]) -> list[tuple]:
    rng = random.Random(SEED)
    kinds = [k for k, share in SHARES for _ in range(share)]
    # plain road names (2–5 characters): a longer one (京华中育才路) may hide a known road
    roads = [p[1] for p in places if p[0] == "road" and 3 <= len(p[1]) <= 5]
    known = {p[1] for p in places}
    out = []
    for _ in range(n):
        kind = rng.choice(kinds)
        x: float | None = None
        y: float | None = None
        bogus = ""  # the made-up road of a typo row
        if kind == "existing":
            text, x0, y0 = rng.choice(addresses)
            text = text.removeprefix("上海市") if rng.random() < 0.5 else text
            x, y = _jitter(rng, x0, y0, 10)
        elif kind == "new":
            text, x, y = _new(rng, places)
        elif kind == "random":
            text = "".join(rng.choices(string.ascii_lowercase + string.digits,
                                       k=rng.randint(4, 12)))
        elif kind == "other_district":
            if rng.random() < 0.7:
                text = rng.choice(OTHER).format(n=rng.randint(1, 999))
            else:
                text = f"{rng.choice(roads)}{rng.randint(1, 999)}号"
                x, y = _jitter(rng, *MINHANG, 2000)
        else:
            text, bogus = _typo(rng, roads, known)
        out.append((text, x, y, kind, bogus))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    with psycopg.connect(args.database_url) as conn:
        addresses, places = _register(conn)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["address", "lng", "lat", "kind", "place"])
        writer.writerows(rows(args.rows, addresses, places))


if __name__ == "__main__":
    main()
