"""From a parsed address to its standard form: canonical text, keys, level, place and segments.

Pure code, no database. The address code (see :mod:`address.text.coding`) is built from the
parts this module picks out, in the spirit of GB/T 39609: the district, the place the address
hangs off (a road, a compound or POI, a village), then door, building, unit and room.
"""

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from address.parse.parser import ParsedAddress
from address.text.format import address_key, format_address
from address.text.normalize import normalize

PLACE_KINDS = {"road": "1", "poi": "2", "village": "3", "community": "4", "devzone": "5"}

# Level names follow AMap's (门牌号, 道路, 乡镇 …) where AMap has one.
LEVELS = ("户室", "单元", "楼栋", "门牌号", "村民小组", "兴趣点", "道路", "村庄", "社区",
          "开发区", "乡镇", "区县", "城市", "省")

# A road that swallowed its number (明珠路416弄): split it. The tagger is trained on CCKS, where
# this happens on some lane (弄) addresses; the registry must not mint a "road" called 明珠路416弄.
_ROAD_WITH_NUMBER = re.compile(r"^(.+?(?:路|街|道|巷|公路|大道))(\d+[弄号])$")
_ADMIN_LABELS = {"prov", "city", "district", "devzone", "town", "community"}
_NOISE = re.compile(r"[\s,，。;；:：()（）\[\]【】\"'“”‘’、.·-]")
_PLAIN_NUMBER = re.compile(r"^(\d{1,5})(号楼|号|弄|组|幢|栋|座|单元|室|楼)?$")


@dataclass(frozen=True)
class Segment:
    """A coded piece below the place: door, building, unit or room."""

    kind: str  # door | building | unit | room
    text: str

    @property
    def number(self) -> int | None:
        m = _PLAIN_NUMBER.match(self.text)
        return int(m.group(1)) if m else None

    @property
    def signature(self) -> str:
        """What must agree for two spellings to be one address: a door keeps its kind (311弄 is
        not 311号), a building, unit or room only its number (3号楼 = 3号 = 3幢)."""
        number = self.number
        if number is None:
            return self.text
        return self.text if self.kind == "door" else str(number)


@dataclass(frozen=True)
class StandardForm:
    components: dict[str, str]
    codes: dict[str, str]
    canonical: str
    address_key: str
    local_key: str
    level: str
    place: tuple[str, str] | None  # (kind, name)
    segments: list[Segment] = field(default_factory=list)

    @property
    def district_code(self) -> str | None:
        return self.codes.get("district")


def repair_components(components: dict[str, str]) -> dict[str, str]:
    fixed = dict(components)
    m = _ROAD_WITH_NUMBER.match(fixed.get("road", ""))
    if m:
        fixed["road"] = m.group(1)
        if "roadno" in fixed and "houseno" not in fixed:
            fixed["houseno"] = fixed["roadno"]
        fixed["roadno"] = m.group(2)
    return fixed


def _place(components: dict[str, str]) -> tuple[str, str] | None:
    if components.get("road"):
        return ("road", components["road"])
    if components.get("poi"):  # a compound's part (万寿新村四区 / 五区) is its own place
        return ("poi", components["poi"] + components.get("subpoi", ""))
    community = components.get("community", "")
    if community:
        return ("village" if community.endswith("村") else "community", community)
    if components.get("devzone"):
        return ("devzone", components["devzone"])
    return None


def _segments(components: dict[str, str]) -> list[Segment]:
    door = components.get("roadno") or components.get("village_group")
    pieces = [("door", door), ("building", components.get("houseno")),
              ("unit", components.get("cellno")), ("room", components.get("roomno"))]
    return [Segment(kind, text) for kind, text in pieces if text]


def place_of(components: dict[str, str]) -> tuple[str, str] | None:
    """The place of stored components (``detail`` stands for the place when nothing else does)."""
    place = _place(components)
    if place is None and components.get("detail"):
        return ("poi", components["detail"])
    return place


def segments_of(components: dict[str, str]) -> list[Segment]:
    return _segments(components)


def same_address(a: StandardForm, b_components: dict[str, str]) -> bool:
    """A typo-level difference only: the same segments, the same kind of place, and place names at
    most one edit apart (two for names of six or more characters): 纪鹤公路/纪鹤路, 漕泾村/曹泾村.
    """
    b_place = place_of(b_components)
    if a.place is None or b_place is None or a.place[0] != b_place[0]:
        return False
    if [(s.kind, s.signature) for s in a.segments] != [
            (s.kind, s.signature) for s in _segments(b_components)]:
        return False
    allowed = 2 if max(len(a.place[1]), len(b_place[1])) >= 6 else 1
    return Levenshtein.distance(a.place[1], b_place[1], score_cutoff=allowed) <= allowed


def level_of(components: dict[str, str], codes: dict[str, str]) -> str:
    checks = (("roomno", "户室"), ("cellno", "单元"), ("houseno", "楼栋"), ("roadno", "门牌号"),
              ("village_group", "村民小组"), ("poi", "兴趣点"), ("road", "道路"))
    for label, level in checks:
        if components.get(label):
            return level
    community = components.get("community", "")
    if community:
        return "村庄" if community.endswith("村") else "社区"
    for label, level in (("devzone", "开发区"), ("town", "乡镇"), ("district", "区县"),
                         ("city", "城市"), ("prov", "省")):
        if components.get(label) or codes.get(label):
            return level
    return ""


_ADMIN_ORDER = ("prov", "city", "district", "devzone", "town", "community", "village_group")


def _named(level: str, written: set[str]) -> bool:
    """Whether the text writes the admin level or names a part of it (a village names its
    town), rather than the parser only inferring it (a road's town from the road table)."""
    if level not in _ADMIN_ORDER:
        return level in written
    return not written.isdisjoint(_ADMIN_ORDER[_ADMIN_ORDER.index(level):])


def written_codes(parsed: ParsedAddress) -> dict[str, str]:
    """The admin codes of the levels the text names (see ``_named``)."""
    written = {span.label for span in parsed.spans}
    return {level: code for level, code in parsed.codes.items() if _named(level, written)}


def with_codes(parsed: ParsedAddress, known: dict[str, str]) -> ParsedAddress:
    """The parse with the admin codes of the levels the text does not name taken from
    ``known`` (e.g. the point's areas): they replace what the parser only inferred (the town a
    road alone gets from the road table), so that a text naming only its road is spelled with
    the town its point is in, as its town code says."""
    written = {span.label for span in parsed.spans}
    given = {level: code for level, code in known.items() if code and not _named(level, written)}
    if all(parsed.codes.get(level) == code for level, code in given.items()):
        return parsed
    return ParsedAddress(parsed.text, parsed.spans, {**parsed.codes, **given})


def leftover(parsed: ParsedAddress) -> str:
    """The text no span covers, after the last admin span (a name the tagger had no label for)."""
    admin_end = max((s.end for s in parsed.spans if s.label in _ADMIN_LABELS), default=0)
    covered = [False] * len(parsed.text)
    for span in parsed.spans:
        covered[span.start:span.end] = [True] * (span.end - span.start)
    rest = "".join(c for i, c in enumerate(parsed.text) if i >= admin_end and not covered[i])
    return _NOISE.sub("", normalize(rest))


def standardize(parsed: ParsedAddress) -> StandardForm:
    """The standard form; the key joins the components' text, so repairs do not change it.

    With no road, POI or village, the unlabelled rest of the text (陆什泾, 城南3队) is kept as
    the ``detail`` component and the place, rather than dropping the address.
    """
    components = repair_components(parsed.components)
    key = address_key(parsed)
    district, _, local = key.rpartition("|")
    canonical = format_address(parsed)
    if _place(components) is None and (rest := leftover(parsed)):
        components["detail"] = rest
        canonical += rest
        local = rest
        key = f"{district}|{rest}"
    place = place_of(components)
    return StandardForm(
        components=components,
        codes=dict(parsed.codes),
        canonical=canonical,
        address_key=key,
        local_key=local,
        level=level_of(components, parsed.codes) if "detail" not in components else "兴趣点",
        place=place,
        segments=_segments(components),
    )


def renamed_components(components: dict[str, str], old: str, new: str) -> dict[str, str]:
    """Components with the place ``old`` (a road, compound, village …) named ``new``."""
    fixed = dict(components)
    if fixed.get("poi", "") + fixed.get("subpoi", "") == old and "subpoi" in fixed:
        fixed.pop("subpoi")
        fixed["poi"] = new
        return fixed
    for label in ("road", "poi", "community", "devzone", "detail"):
        if fixed.get(label) == old:
            fixed[label] = new
            return fixed
    return fixed


def renamed_texts(texts: dict[str, str], old: str, new: str) -> dict[str, str]:
    """``canonical``, ``address_key`` and ``local_key`` with the place's old name replaced (keys
    hold names upper-cased)."""
    return {"canonical": texts["canonical"].replace(old, new, 1),
            "address_key": texts["address_key"].replace(old.upper(), new.upper(), 1),
            "local_key": texts["local_key"].replace(old.upper(), new.upper(), 1)}


def with_place_name(form: StandardForm, name: str) -> StandardForm:
    """The form with its place under another name (an old name the register keeps as alias)."""
    if form.place is None or form.place[1] == name:
        return form
    old = form.place[1]
    texts = renamed_texts({"canonical": form.canonical, "address_key": form.address_key,
                           "local_key": form.local_key}, old, name)
    return StandardForm(components=renamed_components(form.components, old, name),
                        codes=form.codes, place=(form.place[0], name), level=form.level,
                        segments=form.segments, **texts)
