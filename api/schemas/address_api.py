"""The address API: standardize, match and extract (field names as elsewhere in dizhi)."""

from pydantic import BaseModel, Field

from api.schemas.common import Public

MAX_BATCH = 10_000
MAX_TEXT = 2000


class SpanPublic(BaseModel):
    label: str = Field(description="a CCKS 2021 label (prov, city, district, town, road …)")
    start: int = Field(description="offset into `input`, in characters")
    end: int
    text: str


class ProblemPublic(BaseModel):
    kind: str = Field(description="missing, unresolved, ambiguous or dropped")
    detail: str
    start: int | None = None
    end: int | None = None


class StandardizedPublic(Public):
    input: str
    components: dict[str, str] = Field(description="CCKS label → normalized text")
    standard: str = Field(description="the canonical text: official admin names, then the rest"
                          " in CCKS order")
    address_key: str = Field(description="equal for two spellings of one address")
    level: str = Field(description="the deepest level given: 门牌号, 楼栋, 道路, 乡镇 …")
    codes: dict[str, str] = Field(description="prov, city, district, town, community codes"
                                  " where resolvable")
    spans: list[SpanPublic]
    confidence: float = Field(ge=0, le=1, description="the weakest component's tag probability"
                              " times the share of the text read")
    problems: list[ProblemPublic]


class StandardizeBatch(BaseModel):
    addresses: list[str] = Field(max_length=MAX_BATCH, description=f"up to {MAX_BATCH:,} texts")


class StandardizeResults(Public):
    results: list[StandardizedPublic] = Field(description="in input order")


class MatchPair(BaseModel):
    a: str = Field(max_length=MAX_TEXT)
    b: str = Field(max_length=MAX_TEXT)


class MatchBatch(BaseModel):
    pairs: list[MatchPair] = Field(max_length=MAX_BATCH)


class DifferencePublic(BaseModel):
    component: str
    a: str | None
    b: str | None


class MatchPublic(Public):
    a: str
    b: str
    relation: str = Field(description="完全匹配, 部分匹配 or 不匹配")
    score: float = Field(ge=0, le=1, description="the relation's probability")
    same_key: bool = Field(description="both have the same address_key")
    differences: list[DifferencePublic] = Field(description="components that differ or that"
                                                " one side lacks")


class MatchResults(Public):
    results: list[MatchPublic]


class ExtractRequest(BaseModel):
    text: str = Field(max_length=20_000, description="free text: a complaint, a message")


class ExtractedPublic(StandardizedPublic):
    start: int = Field(description="where the address starts in `text`")
    end: int


class ExtractResults(Public):
    text: str
    addresses: list[ExtractedPublic]
