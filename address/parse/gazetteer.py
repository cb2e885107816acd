"""The admin-division gazetteer: names and short names → codes, and a fast dictionary pre-pass.

The data ships as ``address/data/admin.csv.gz`` (built by
``address.training.build_gazetteer``). Short names (浦东 for 浦东新区, 浙江 for 浙江省,
张马村 for 张马村村委会) are derived here because people write them far more often than the
official names.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from address.loading import load_once
from address.resources import DATA_DIR

DATA = DATA_DIR / "admin.csv.gz"
LEVELS = ("prov", "city", "district", "town", "community")

_PROV_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟|自治州|林区)$")
_ETHNIC = re.compile(
    r"(土家|苗|藏|彝|壮|布依|侗|傣|白|哈尼|景颇|傈僳|朝鲜|蒙古|回|哈萨克|柯尔克孜|羌|黎|瑶|满|畲|仡佬|水|各|纳西"
    r"|拉祜|佤|达斡尔|鄂温克|鄂伦春|锡伯|土|撒拉|东乡|保安|裕固|毛南|仫佬|塔吉克|独龙|怒|普米|阿昌|德昂|基诺|京"
    r"|门巴|珞巴|俄罗斯|乌孜别克|塔塔尔|赫哲)族.*自治[州县旗]$"
)
_DISTRICT_SUFFIX = re.compile(r"(新区|区|县|市|旗)$")
_COMMUNITY_SUFFIX = re.compile(r"(村村委会|村民委员会|居民委员会|社区居委会|居委会|村委会)$")
# Units that were renamed or merged away but are still written: old name → current code.
RENAMED = {
    "闸北区": "310106", "南汇区": "310115", "卢湾区": "310101", "川沙县": "310115",
    "上海县": "310112", "南汇县": "310115", "崇明县": "310151", "青浦县": "310118",
    "松江县": "310117", "奉贤县": "310120", "金山县": "310116", "嘉定县": "310114",
    "宝山县": "310113", "江干区": "330102", "下城区": "330105", "萧山市": "330109",
    "余杭市": "330110", "沈巷镇": "310118102", "商榻镇": "310118104", "西岑镇": "310118104",
    "莲盛镇": "310118104", "蒸淀镇": "310118103", "小蒸镇": "310118103",
    "香花桥镇": "310118003",
}
_ROAD_AFTER = re.compile(r"[东西南北中]?[一二三四五六七八九十]?(?:路|街|大道|大街|巷|弄|里)")
_NOT_A_NAME = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True, slots=True)
class Unit:
    """One admin division: NBS code (2/4/6/9/12 digits), official name, level, parent code."""

    code: str
    name: str
    level: str
    parent: str


def short_names(name: str, level: str) -> list[str]:
    """Names people write for a unit besides the official one (only those of 2+ characters)."""
    out: list[str] = []
    if level == "prov":
        out.append(_PROV_SUFFIX.sub("", name))
        if "自治区" in name:
            out.append(name[:3] if name.startswith("内蒙古") else name[:2])
    elif level == "city":
        out.append(_ETHNIC.sub("", name))
        out.append(_CITY_SUFFIX.sub("", name))
    elif level == "district":
        out.append(_ETHNIC.sub("", name))
        if len(name) >= 3:
            out.append(_DISTRICT_SUFFIX.sub("", name))
    elif level == "town":
        if name.endswith("街道"):
            out.append(name[:-2])
        elif len(name) >= 3 and name[-1] in "镇乡":
            out.append(name[:-1])
    elif level == "community":
        base = _COMMUNITY_SUFFIX.sub("", name)
        village = name.endswith(("村委会", "村民委员会")) and not base.endswith("村")
        out.append(base + "村" if village else base)
        out.append(base)
    return [s for s in dict.fromkeys(out) if len(s) >= 2 and s != name]


@dataclass(frozen=True)
class Gazetteer:
    """Units by code, and name → codes per level (official and short names)."""

    units: dict[str, Unit]
    by_name: dict[str, dict[str, tuple[str, ...]]]
    children: dict[str, tuple[str, ...]]

    def lookup(self, name: str, level: str) -> tuple[Unit, ...]:
        """Units of ``level`` called ``name`` (official or short name)."""
        codes = self.by_name.get(level, {}).get(name, ())
        return tuple(self.units[c] for c in codes)

    def chain(self, code: str) -> list[Unit]:
        """The unit and all its ancestors, from the province down."""
        out: list[Unit] = []
        while code in self.units:
            unit = self.units[code]
            out.append(unit)
            code = unit.parent
        return out[::-1]


def _read_units(path: Path) -> dict[str, Unit]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return {r["code"]: Unit(r["code"], r["name"], r["level"], r["parent"])
                for r in csv.DictReader(fh)}


@load_once
def load() -> Gazetteer:
    """The packaged gazetteer, read once per process."""
    units = _read_units(DATA)
    by_name: dict[str, dict[str, list[str]]] = {lv: {} for lv in LEVELS}
    children: dict[str, list[str]] = {}
    for u in units.values():
        children.setdefault(u.parent, []).append(u.code)
        names = [u.name, *short_names(u.name, u.level)]
        if u.level == "city" and u.name in _NOT_A_NAME and u.parent in units:
            # 上海市's city level is 市辖区; people write 上海市 there: it gets the province names.
            prov = units[u.parent]
            names = [prov.name, *short_names(prov.name, "prov")]
        elif u.name in _NOT_A_NAME:
            continue
        for name in names:
            by_name[u.level].setdefault(name, []).append(u.code)
    for old, code in RENAMED.items():
        if code in units:
            level = units[code].level
            for name in (old, *short_names(old, level)):
                by_name[level].setdefault(name, []).append(code)
    return Gazetteer(
        units,
        {lv: {k: tuple(v) for k, v in names.items()} for lv, names in by_name.items()},
        {k: tuple(v) for k, v in children.items()},
    )


@load_once
def all_names() -> frozenset[str]:
    """Every official and short name of the packaged gazetteer, at any level."""
    return frozenset(name for names in load().by_name.values() for name in names)


@dataclass(frozen=True)
class Scanner:
    """Leftmost-longest dictionary matcher over admin names, used as a CRF feature.

    Town and community short names are left out: 新华路 (from 新华路街道) is far more often a road.
    A name followed by a road word is a road named after the place (陕西南路, 北京东路, 重庆路),
    so it is not a hit. ``prefixes`` maps each name's first two characters to the longest name
    length with them, so most positions cost one dict probe.
    """

    names: dict[str, str]
    prefixes: dict[str, int]

    def tags(self, text: str) -> list[str]:
        """One tag per character: ``B<level>``/``I<level>`` inside a dictionary hit, else ``O``."""
        n = len(text)
        out = ["O"] * n
        names, prefixes = self.names, self.prefixes
        i = 0
        while i < n - 1:
            longest = prefixes.get(text[i:i + 2])
            if longest is None:
                i += 1
                continue
            for j in range(min(n, i + longest), i + 1, -1):
                level = names.get(text[i:j])
                if level is not None and not _ROAD_AFTER.match(text, j):
                    out[i] = "B" + level
                    out[i + 1:j] = ["I" + level] * (j - i - 1)
                    i = j
                    break
            else:
                i += 1
        return out


@load_once
def scanner() -> Scanner:
    """The packaged scanner; higher levels win when a name exists at several levels."""
    gaz = load()
    names: dict[str, str] = {}
    for level in reversed(LEVELS):
        for name, codes in gaz.by_name[level].items():
            official = any(gaz.units[c].name == name for c in codes)
            if level in ("town", "community") and not official and not name.endswith("村"):
                continue
            names[name] = level
    prefixes: dict[str, int] = {}
    for name in names:
        prefixes[name[:2]] = max(prefixes.get(name[:2], 0), len(name))
    return Scanner(names, prefixes)
