"""A seeded synthetic register of 1,000,000 addresses over 青浦区, for benchmarks.

Roads with door numbers (号 odd/even on either side, 弄 lanes), lane compounds with buildings
(号楼), units and rooms, and villages with groups (组) and houses, all inside the real town
polygons; keys and codes are made the way the register makes them (address.text.standard,
address.text.coding), then bulk-loaded with COPY into their own database. Labelled synthetic.

    python bench/make_registry.py [--addresses 1000000] [--database dizhi_bench_registry]
"""

import argparse
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg
import shapely
from pyproj import Transformer

from address.text.coding import name_grams, pinyin_forms
from api.db import embedded_cluster, migrate
from spatial.sample import load_admin_areas

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "310118"
SEED = 1_000_000
NAME_CHARS = ("华新盈浦香花桥朱家角练塘金泽赵巷徐泾白鹤重固夏阳青龙崧泽淀山湖城东西南北中"
              "明珠诸光纪鹤沪宁松江联民胜利建设友爱复兴文化和平康乐振兴星火红旗天平永安"
              "翔云腾飞凤凰嘉禾丰泰瑞祥")
ROAD_SUFFIX = ("路", "路", "路", "街", "公路", "大道")
COMPOUND_SUFFIX = ("小区", "花园", "新村", "苑", "公寓")
TO_METRIC = Transformer.from_crs(4326, 4549, always_xy=True)
TO_WGS = Transformer.from_crs(4549, 4326, always_xy=True)


@dataclass
class Registry:
    places: list[tuple[str, str, str, str, float, float]] = field(default_factory=list)
    rows: list[tuple[object, ...]] = field(default_factory=list)  # address columns
    names: set[str] = field(default_factory=set)


def unique_name(rng: random.Random, reg: Registry, suffixes: tuple[str, ...]) -> str:
    while True:
        name = "".join(rng.sample(NAME_CHARS, rng.choice((2, 2, 3)))) + rng.choice(suffixes)
        if name not in reg.names:
            reg.names.add(name)
            return name


def random_point(town: shapely.Geometry, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = town.bounds
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if town.contains(shapely.Point(x, y)):
            return x, y


def add(reg: Registry, code: str, town: str, detail: str, level: str, components: dict[str, str],
        xy: tuple[float, float], town_name: str) -> None:
    local = detail.upper()
    reg.rows.append((code, level, f"上海市青浦区{town_name}{detail}", f"{DISTRICT}|{local}", local,
                     code[:12], json.dumps(components, ensure_ascii=False), xy[0], xy[1], town))


def road(reg: Registry, rng: random.Random, town: tuple[str, str, shapely.Geometry],
         budget: int) -> None:
    code_t, town_name, geom = town
    name = unique_name(rng, reg, ROAD_SUFFIX)
    place = f"{DISTRICT}1{len(reg.places) + 1:05d}"
    x0, y0 = random_point(geom, rng)
    angle, length = rng.uniform(0, np.pi), rng.uniform(800, 3000)
    dx, dy = np.cos(angle), np.sin(angle)
    reg.places.append((place, "road", name, code_t, x0, y0))
    doors = sorted(rng.sample(range(1, 2000), min(budget // 60 + 5, 600)))
    for n in doors:
        if budget <= 0:
            return
        t, side = n / 2000 * length, (12 if n % 2 else -12)
        xy = (x0 + t * dx - side * dy, y0 + t * dy + side * dx)
        lane = rng.random() < 0.3
        door = f"{n}{'弄' if lane else '号'}"
        door_code = place + ("2" if lane else "1") + f"{n:04d}"
        add(reg, door_code, code_t, name + door, "门牌号", {"road": name, "roadno": door}, xy,
            town_name)
        budget -= 1
        if lane:
            budget -= compound(reg, rng, door_code, name + door, code_t, town_name, xy,
                               {"road": name, "roadno": door})


def compound(reg: Registry, rng: random.Random, door_code: str, head: str, town: str,
             town_name: str, xy: tuple[float, float], parts: dict[str, str]) -> int:
    made = 0
    for b in range(1, rng.randint(6, 30)):
        bxy = (xy[0] + rng.uniform(-150, 150), xy[1] + rng.uniform(-150, 150))
        building = f"{b}号楼"
        b_code = door_code + f"{b:04d}"
        add(reg, b_code, town, head + building, "楼栋", {**parts, "houseno": building}, bxy,
            town_name)
        units = rng.choice((0, 0, 2, 3))
        for floor in range(1, rng.randint(6, 19)):
            for unit in range(1, (units or 1) + 1):
                for flat in range(1, 3):
                    room = f"{floor}{flat:02d}室"
                    u_text = f"{unit}单元" if units else ""
                    u_code = f"{unit:02d}" if units else "00"
                    comp = {**parts, "houseno": building, "roomno": room}
                    if units:
                        comp["cellno"] = u_text
                    add(reg, b_code + u_code + f"{floor * 100 + flat:05d}", town,
                        head + building + u_text + room, "户室", comp, bxy, town_name)
                    made += 1
    return made + 1


def village(reg: Registry, rng: random.Random, town: tuple[str, str, shapely.Geometry],
            budget: int) -> None:
    code_t, town_name, geom = town
    name = unique_name(rng, reg, ("村",))
    place = f"{DISTRICT}3{len(reg.places) + 1:05d}"
    cx, cy = random_point(geom, rng)
    reg.places.append((place, "village", name, code_t, cx, cy))
    for g in range(1, rng.randint(4, 16)):
        gx, gy = cx + rng.uniform(-600, 600), cy + rng.uniform(-600, 600)
        group = f"{g}组"
        for h in range(1, rng.randint(10, 60)):
            if budget <= 0:
                return
            xy = (gx + rng.uniform(-80, 80), gy + rng.uniform(-80, 80))
            house = f"{h}号"
            add(reg, place + "3" + f"{g:04d}" + f"{h:04d}", code_t, name + group + house, "楼栋",
                {"community": name, "village_group": group, "houseno": house}, xy, town_name)
            budget -= 1


def generate(towns: list[tuple[str, str, shapely.Geometry]], total: int, seed: int) -> Registry:
    rng = random.Random(seed)
    reg = Registry()
    while len(reg.rows) < total:
        town = rng.choice(towns)
        budget = min(total - len(reg.rows), rng.randint(200, 4000))
        (village if rng.random() < 0.25 else road)(reg, rng, town, budget)
    del reg.rows[total:]
    return reg


def admin_codes(conn: psycopg.Connection, xs: np.ndarray, ys: np.ndarray,
                level: str) -> list[str | None]:
    rows = conn.execute("SELECT code, ST_AsBinary(geom) FROM admin_area WHERE level = %s"
                        " AND code LIKE %s", [level, DISTRICT + "%"]).fetchall()
    codes = [r[0] for r in rows]
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    tree = shapely.STRtree(geoms)
    point_idx, geom_idx = tree.query(shapely.points(xs, ys), predicate="intersects")
    found: list[str | None] = [None] * len(xs)
    for p, g in zip(point_idx, geom_idx, strict=True):
        found[p] = found[p] or codes[g]
    return found


def copy_rows(conn: psycopg.Connection, reg: Registry) -> None:
    arr = np.array([(r[7], r[8]) for r in reg.rows])
    lng, lat = TO_WGS.transform(arr[:, 0], arr[:, 1])
    community = admin_codes(conn, lng, lat, "community")
    grid = admin_codes(conn, lng, lat, "grid")
    with conn.cursor() as cur, cur.copy(
        "COPY address (code, level, canonical, address_key, local_key, place_code, components,"
        " point, district_code, town_code, community_code, grid_code, tags) FROM STDIN"
    ) as copy:
        for i, r in enumerate(reg.rows):
            copy.write_row((r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                            f"SRID=4326;POINT({lng[i]:.7f} {lat[i]:.7f})", DISTRICT, r[9],
                            community[i], grid[i], '{"synthetic": true}'))
    with conn.cursor() as cur, cur.copy(
        "COPY place (code, kind, name, district_code, town_code, pinyin, initials, bigrams,"
        " point) FROM STDIN"
    ) as copy:
        for code, kind, name, town, x, y in reg.places:
            pinyin, initials = pinyin_forms(name)
            plng, plat = TO_WGS.transform(x, y)
            copy.write_row((code, kind, name, DISTRICT, town, pinyin, initials, name_grams(name),
                            f"SRID=4326;POINT({plng:.7f} {plat:.7f})"))
    conn.execute("""UPDATE place p SET address_count = s.n FROM (
                        SELECT place_code, count(*) AS n FROM address GROUP BY place_code) s
                    WHERE p.code = s.place_code""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--database", default="dizhi_bench_registry")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    cluster = embedded_cluster()
    cluster.start()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    url = cluster.url(args.database)
    migrate(url)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            load_admin_areas(conn, sample_dir=ROOT / "data/sample")
        towns = [(code, name, shapely.transform(shapely.from_wkb(bytes(wkb)),
                                                lambda xy: np.column_stack(
                                                    TO_METRIC.transform(xy[:, 0], xy[:, 1]))))
                 for code, name, wkb in conn.execute(
                     "SELECT code, name, ST_AsBinary(geom) FROM admin_area WHERE level = 'town'"
                     " AND code LIKE %s ORDER BY code", [DISTRICT + "%"]).fetchall()]
        reg = generate(towns, args.addresses, args.seed)
        generated = time.perf_counter()
        copy_rows(conn, reg)
        conn.execute("ANALYZE address")
        conn.execute("ANALYZE place")
    print(json.dumps({"bench": "make_registry", "database": args.database,
                      "addresses": len(reg.rows), "places": len(reg.places),
                      "generate_s": round(generated - started, 1),
                      "load_s": round(time.perf_counter() - generated, 1)}))


if __name__ == "__main__":
    main()
