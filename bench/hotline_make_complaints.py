"""Build the hotline evaluation sets in tests/data/ (seeded; run once, the output is committed).

    .venv/bin/python bench/hotline_make_complaints.py [--seed 20265]

``hotline_complaints.csv``: complaint texts written from the templates below around real sample
addresses (``data/sample/qingpu_addresses_covid2022_amap.csv``), plus hand-written ones from the
neighbouring districts. The expected town and community of a Qingpu complaint are those the
register holds for the real address it was written around (community polygons are synthetic, so
"expected community" means "the community the register assigns to that address's point"); a
road-level address has no expected community. ``hotline_masking.csv``: texts with planted mobile
numbers, landlines and ID numbers, and door numbers and dates that must stay.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import db  # noqa: E402
from spatial.coords import from_wgs84  # noqa: E402

OUT = ROOT / "tests" / "data"

TEMPLATES: dict[str, list[str]] = {
    "sanitation": [
        "{a}门口垃圾堆了好几天了没人来清理，天热了臭得不得了",
        "来电反映{a}边上的垃圾桶满出来了，苍蝇老多的，希望尽快处理",
        "{a}那边有人乱倒建筑垃圾，堆在路边好几天了",
        "我住{a}，楼道里堆满杂物，物业也不管，影响消防通道",
        "市民反映：{a}附近的公共厕所很脏，没人打扫",
        "{a}路边一堆生活垃圾，晚上还有野猫翻，麻烦派人来收一下",
        "投诉{a}旁边的小饭店把泔水直接倒在路边的窨井里",
        "在{a}这里有人占道经营摆摊，地上全是垃圾",
    ],
    "illegal_building": [
        "{a}有一户人家在屋顶上私自搭建彩钢板房，已经搭了两层了",
        "举报{a}违章搭建，院子里在打地基，天天施工",
        "{a}楼下的商铺把门面往外扩建，占了人行道",
        "来电人称{a}旁边新盖了一个违建的仓库，请城管来看看",
        "{a}的邻居把阳台封出去了一大截，还搭了个棚子",
        "反映{a}那里有人在河边违法搭建养鸡棚",
    ],
    "noise": [
        "{a}楼下的饭店每天晚上十一点以后还在搬东西，吵得睡不着",
        "来电反映{a}附近的KTV半夜唱歌声音很大，严重扰民",
        "{a}有家装修公司周末早上七点就开始电钻，太吵了",
        "{a}那个广场舞音响开得震天响，晚上九点多还不停",
        "投诉{a}旁边工地夜间施工，凌晨两点还在打桩",
        "我家在{a}，隔壁养的狗天天叫，影响休息",
        "{a}门口的烧烤摊到半夜还很吵，喝酒划拳的",
    ],
    "water": [
        "{a}门口下雨就积水，水都漫到家里来了",
        "{a}这里自来水发黄，已经好几天了，烧开了也有味道",
        "反映{a}附近的河道里漂了很多垃圾，水发黑发臭",
        "{a}边上的下水道堵了，污水冒出来淌到马路上",
        "{a}停水了，也没有提前通知，什么时候能恢复",
        "来电反映{a}旁边的小河有人偷偷排污水，水面上一层油",
        "{a}那边的雨水井盖附近老是积水，车子开过去溅一身",
    ],
    "road": [
        "{a}门口的路面坑坑洼洼的，电瓶车骑过去差点摔倒",
        "{a}那边的路灯坏了一个多月了，晚上黑乎乎的不安全",
        "反映{a}附近有个窨井盖没了，很危险，请赶紧处理",
        "{a}前面的人行道砖头翘起来了，老人走路容易绊倒",
        "{a}路口的红绿灯不亮了，车子乱开",
        "{a}旁边的路面塌了一个洞，用雪糕筒围着好几天了还没修",
    ],
    "greenery": [
        "{a}门口的大树树枝都快碰到电线了，刮风很危险，希望修剪一下",
        "{a}附近绿化带里杂草长得比人还高，还有蚊子",
        "反映{a}那边有人把绿化带里的草皮铲了种菜",
        "{a}旁边的行道树被台风刮倒了，压在路上没人管",
        "{a}小区外面的绿化好久没人养护了，树都枯死了",
    ],
    "traffic": [
        "{a}门口天天有车乱停，把消防通道都堵死了",
        "{a}附近的路边停满了大货车，视线被挡住很危险",
        "反映{a}那里的共享单车堆在路中间，人都过不去",
        "{a}路口早高峰有人逆行，电瓶车乱窜，希望交警管一管",
        "{a}旁边的人行道上停满了汽车，推婴儿车只能走马路",
    ],
    "pollution": [
        "{a}楼下饭店的油烟直接往居民楼里排，窗户都不敢开",
        "{a}附近有人晚上焚烧垃圾，烟很呛，气味难闻",
        "反映{a}那边的小作坊排废气，一股刺鼻的味道",
        "{a}旁边的工厂晚上偷排，空气里一股化学品味道",
        "{a}这里有人烧秸秆，烟雾很大，影响开车",
    ],
    "property": [
        "{a}小区物业不作为，电梯坏了一个礼拜没人修",
        "我是{a}的居民，物业乱收停车费，也不开发票",
        "{a}的物业把公共绿地改成了停车位收钱",
        "反映{a}物业管理混乱，门禁坏了外来人员随便进出",
        "{a}小区的化粪池满了，物业推说不归他们管",
    ],
    "other": [
        "{a}这边有人发小广告，贴得墙上到处都是",
        "咨询一下{a}附近的垃圾分类投放点在哪里",
        "{a}门口有只流浪狗好几天了，看着挺凶的，怕咬到小孩",
        "反映{a}那里有群租，一套房子住了十几个人",
    ],
}

NEIGHBOUR = [  # (text, service_code, district, town)
    ("松江区九亭镇涞寅路上的垃圾桶满了好几天没人收", "sanitation", "310117", "310117107"),
    ("九亭镇沪亭北路那边晚上施工太吵了", "noise", "310117", "310117107"),
    ("松江区泗泾镇古楼公路路灯坏了一排", "road", "310117", "310117102"),
    ("反映松江区佘山镇林荫新路旁边有人烧垃圾", "pollution", "310117", "310117103"),
    ("洞泾镇沈砖公路上大货车乱停", "traffic", "310117", "310117106"),
    ("松江区方松街道文诚路附近绿化带杂草很多", "greenery", "310117", "310117003"),
    ("松江中山街道中山中路有人占道摆摊", "sanitation", "310117", "310117004"),
    ("松江区小昆山镇有人在河边违章搭建", "illegal_building", "310117", "310117121"),
    ("石湖荡镇的河道里水发黑", "water", "310117", "310117116"),
    ("松江区新浜镇有家工厂偷排废水", "pollution", "310117", "310117117"),
    ("泖港镇那边的路面坑很多", "road", "310117", "310117109"),
    ("闵行区华漕镇纪翟路1455弄门口垃圾没人清理", "sanitation", "310112", "310112106"),
    ("闵行区七宝镇七莘路上晚上KTV很吵", "noise", "310112", "310112102"),
    ("七宝镇漕宝路有个窨井盖缺了", "road", "310112", "310112102"),
    ("闵行区新虹街道申长路附近共享单车乱停", "traffic", "310112", "310112008"),
    ("嘉定区安亭镇墨玉路上路灯不亮", "road", "310114", "310114103"),
    ("嘉定安亭镇曹安公路边上有人焚烧垃圾", "pollution", "310114", "310114103"),
    ("嘉定区江桥镇金沙江西路的小区物业乱收费", "property", "310114", "310114118"),
    ("江桥镇华江路附近河道有垃圾", "water", "310114", "310114118"),
    ("金山区枫泾镇亭枫公路旁边违章搭建", "illegal_building", "310116", "310116102"),
    ("金山枫泾镇老街那边下水道堵了", "water", "310116", "310116102"),
    ("长宁区程家桥街道虹桥路上树枝挡住了红绿灯", "greenery", "310105", "310105010"),
    ("长宁程家桥哈密路有车辆乱停", "traffic", "310105", "310105010"),
    ("我在松江区九亭镇，小区门口积水严重", "water", "310117", "310117107"),
]

GPS_ONLY = ["就在我家楼下，垃圾堆了三天了", "这里路灯坏了，晚上很黑", "门口这条路上有个大坑",
            "楼下饭店油烟太大了", "这边晚上工地施工很吵", "小区门口车子乱停"]

HOMOPHONES = dict(zip("华新盈浦泾港龙徐青金香赵鹤联崧业明珠园家东西南宅沈周庄塘湖泽安民胜城嘉志平阳"
                      "秀兴祥林汇源淀章诸高白练朱商重固夏虹桥陈王杨",
                      "花心营普经岗隆许清今乡照贺连松叶名朱元佳冬希楠窄审州装唐胡择按敏圣成加治萍杨"
                      "绣星翔琳会元店张朱糕百炼珠上崇故下红乔晨汪阳", strict=True))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
PII = ["，联系电话{m}", "，我姓{s}，电话{m}", "，我叫{s}{g}，手机{m}", "（来电人{s}先生，{m}）",
       "，有事打我座机021-{l}"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡沈顾陆"
GIVEN = ["建国", "秀英", "伟", "小红", "志强", "桂芳", "明", "海峰"]


def _register_rows(conn: psycopg.Connection) -> dict[int, dict[str, str]]:
    rows = conn.execute(
        """SELECT s.line_no, a.level, a.district_code, a.town_code, a.community_code, t.name
           FROM address_source_record s
           JOIN address a ON a.code = s.address_code AND a.valid_to IS NULL
           LEFT JOIN admin_area t ON t.code = a.town_code
           WHERE s.source = 'amap_covid2022'""").fetchall()
    return {r[0]: {"level": r[1], "district": r[2], "town": r[3], "community": r[4] or "",
                   "town_name": r[5]} for r in rows}


def _kind(level: str) -> str:
    return {"门牌号": "door", "单元": "door", "村庄": "village", "兴趣点": "poi",
            "道路": "road"}.get(level, "other")


def _typo(rng: random.Random, address: str) -> str | None:
    spots = [i for i, ch in enumerate(address[:-1]) if ch in HOMOPHONES and not ch.isdigit()]
    if not spots:
        return None
    i = rng.choice(spots)
    return address[:i] + HOMOPHONES[address[i]] + address[i + 1:]


def _written(rng: random.Random, address: str, reg: dict[str, str]) -> tuple[str, list[str]]:
    """How a caller writes the address, and the variants applied."""
    styles = [("", "no_district", 0.4), ("青浦区", "", 0.25), (reg["town_name"], "town_only", 0.2),
              ("青浦区" + reg["town_name"], "", 0.1), ("上海市青浦区", "", 0.05)]
    prefix, variant, _ = rng.choices(styles, weights=[w for _, _, w in styles])[0]
    variants = [variant] if variant else []
    text = address
    typo = _typo(rng, address) if rng.random() < 0.15 else None
    if typo:
        text = typo
        variants.append("typo")
    if rng.random() < 0.2 and any(ch.isdigit() for ch in text):
        text = text.translate(FULLWIDTH)
        variants.append("fullwidth")
    return prefix + text, variants


def _pii(rng: random.Random) -> str:
    mobile = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
    landline = rng.choice("56") + "".join(rng.choice("0123456789") for _ in range(7))
    return rng.choice(PII).format(m=mobile, s=rng.choice(SURNAMES), g=rng.choice(GIVEN),
                                  l=landline)


def complaints(conn: psycopg.Connection, rng: random.Random) -> list[dict[str, str]]:
    sample = list(csv.DictReader((ROOT / "data/sample/qingpu_addresses_covid2022_amap.csv")
                                 .open(encoding="utf-8")))
    register = _register_rows(conn)
    # a few sample points lie across the district boundary (the register puts them in a
    # Songjiang town): they are no Qingpu complaints, so they are left out
    lines = [i + 2 for i in range(len(sample)) if (i + 2) in register
             and (register[i + 2]["town"] or "").startswith("310118")]
    by_kind: dict[str, list[int]] = {}
    for line in lines:
        by_kind.setdefault(_kind(register[line]["level"]), []).append(line)
    quota = {"door": 120, "village": 30, "poi": 15, "road": 10, "other": 0}
    chosen = [line for kind, n in quota.items() for line in rng.sample(by_kind[kind], n)]
    out = []
    for line in chosen:
        row, reg = sample[line - 2], register[line]
        category = rng.choice(list(TEMPLATES))
        written, variants = _written(rng, row["address"], reg)
        text = rng.choice(TEMPLATES[category]).format(a=written)
        if rng.random() < 0.3:
            text += _pii(rng)
            variants.append("pii")
        lng = lat = ""
        if rng.random() < 0.2:
            far = rng.random() < 0.3
            dx = rng.uniform(0.02, 0.04) * rng.choice((-1, 1)) if far else 0.0
            x, y = from_wgs84(float(row["wgs84_lng"]) + dx, float(row["wgs84_lat"]), "gcj02")
            lng, lat = f"{float(x):.6f}", f"{float(y):.6f}"
            variants.append("gps_far" if far else "gps")
        out.append({"service_code": category, "text": text, "lng": lng, "lat": lat,
                    "coordsys": "gcj02" if lng else "", "expected_district": reg["district"],
                    "expected_town": reg["town"],
                    "expected_community": "" if reg["level"] == "道路" else reg["community"],
                    "address": row["address"], "kind": _kind(reg["level"]),
                    "variants": ";".join(variants)})
    out += _gps_only(conn, rng, sample, register, chosen)
    out += [{"service_code": sc, "text": text, "lng": "", "lat": "", "coordsys": "",
             "expected_district": d, "expected_town": t, "expected_community": "",
             "address": "", "kind": "neighbour", "variants": "neighbour"}
            for text, sc, d, t in NEIGHBOUR]
    rng.shuffle(out)
    return [{"id": str(i + 1), **r} for i, r in enumerate(out)]


def _gps_only(conn: psycopg.Connection, rng: random.Random, sample: list[dict[str, str]],
              register: dict[int, dict[str, str]], taken: list[int]) -> list[dict[str, str]]:
    """Texts with no address and the caller's GPS (GCJ-02) at a door of the sample."""
    doors = [line for line, reg in register.items() if reg["level"] == "门牌号"
             and line not in taken and (reg["town"] or "").startswith("310118")]
    out = []
    for line in rng.sample(doors, 12):
        row, reg = sample[line - 2], register[line]
        x, y = from_wgs84(float(row["wgs84_lng"]), float(row["wgs84_lat"]), "gcj02")
        category = rng.choice(["sanitation", "road", "pollution", "noise", "traffic"])
        out.append({"service_code": category, "text": rng.choice(GPS_ONLY),
                    "lng": f"{float(x):.6f}", "lat": f"{float(y):.6f}", "coordsys": "gcj02",
                    "expected_district": reg["district"], "expected_town": reg["town"],
                    "expected_community": reg["community"], "address": row["address"],
                    "kind": "gps_only", "variants": "gps_only"})
    return out


MASK_TEMPLATES = [
    "我叫{name}，电话{mobile}，住在{door}，{date}开始楼下就很吵",
    "联系人{name} {mobile}，{door}门口垃圾{date}到现在都没清",
    "身份证{id}，手机{mobile}，反映{door}的违建，{date}已经打过一次电话",
    "座机{landline}，{door}，{date}晚上停水",
    "{door}积水，{date}，回电{mobile}或者{landline}",
    "本人{name}，身份证号码{id}，{door}物业乱收费，{date}交的钱",
    "{surname}先生来电，号码{mobile}，{door}路灯坏了，{date}",
    "有事打{landline}找{name}，{door}，日期{date}",
]


def _mobile(rng: random.Random) -> str:
    digits = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    style = rng.randrange(5)
    if style == 1:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == 2:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 3:
        return "+86 " + digits
    return digits.translate(FULLWIDTH) if style == 4 else digits


def _landline(rng: random.Random) -> str:
    local = rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(7))
    return rng.choice([f"021-{local}", f"021{local}", f"(021){local}", local,
                       f"0512-{local}", f"021-{local[:4]}-{local[4:]}"])


def _id_number(rng: random.Random) -> str:
    head = rng.choice(["310118", "310229", "320583", "410102", "510107"])
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    tail = "".join(rng.choice("0123456789") for _ in range(3)) + rng.choice("0123456789X")
    return head + birth + tail


def _door(rng: random.Random) -> str:
    road = rng.choice(["华志路", "盈港东路", "外青松公路", "崧泽大道", "徐泾北路", "公园路"])
    n = rng.randint(1, 3999)
    room = f"{road}{n}弄{rng.randint(1, 99)}号{rng.randint(101, 2504)}室"
    return rng.choice([f"{road}{n}号", room,
                       f"{road}{n}号{rng.randint(1, 30)}栋", f"{road}{n}弄"])


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}",
                       f"{m}月{d}号", f"{y}/{m}/{d}", f"{y}.{m:02d}.{d:02d}"])


def masking(rng: random.Random, n: int = 200) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        surname = rng.choice(SURNAMES)
        values = {"name": surname + rng.choice(GIVEN), "surname": surname, "mobile": _mobile(rng),
                  "landline": _landline(rng), "id": _id_number(rng), "door": _door(rng),
                  "date": _date(rng)}
        template = MASK_TEMPLATES[i % len(MASK_TEMPLATES)]
        used = [k for k in values if "{" + k + "}" in template]
        planted = [[k.replace("surname", "name"), values[k]] for k in used
                   if k in ("mobile", "landline", "id", "name", "surname")]
        keep = [values[k] for k in used if k in ("door", "date")]
        out.append({"id": str(i + 1), "text": template.format(**values),
                    "planted": json.dumps(planted, ensure_ascii=False),
                    "keep": json.dumps(keep, ensure_ascii=False)})
    return out


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20265)
    parser.add_argument("--out", type=Path, default=OUT, help="directory (a held-out set: "
                        "another --seed into var/bench/…)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(db.database_url()) as conn:
        rows = complaints(conn, rng)
    _write(args.out / "hotline_complaints.csv", rows)
    _write(args.out / "hotline_masking.csv", masking(random.Random(args.seed + 1)))
    print(json.dumps({"complaints": len(rows), "masking": 200}))


if __name__ == "__main__":
    main()
