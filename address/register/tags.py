"""地址标签: the documented vocabulary of address tags, validated on every write.

| tag | values |
|---|---|
| ``use`` | 住宅 商业 办公 工业 仓储 教育 医疗 政府机关 公共设施 农业 宗教 混合 |
| ``building_type`` | 高层 (≥ 10 floors) 多层 (4–9) 低层 (1–3) 平房 |
| ``occupant`` | the occupying enterprise or organisation, free text |
| ``occupant_credit_code`` | its 18-character 统一社会信用代码 |
| ``floors`` | an integer 1–200 |
| ``note`` | free text |
| ``merged_into`` | set by the register when an address is merged into another |
"""

import re
from typing import Any

from address.errors import BadRequest

VOCABULARY: dict[str, tuple[str, ...] | None] = {
    "use": ("住宅", "商业", "办公", "工业", "仓储", "教育", "医疗", "政府机关", "公共设施",
            "农业", "宗教", "混合"),
    "building_type": ("高层", "多层", "低层", "平房"),
    "occupant": None,
    "occupant_credit_code": None,
    "floors": None,
    "note": None,
}
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def validate_tags(tags: dict[str, Any]) -> dict[str, Any]:
    for name, value in tags.items():
        if name not in VOCABULARY:
            raise BadRequest(f"unknown tag {name!r}: use one of {', '.join(VOCABULARY)}")
        allowed = VOCABULARY[name]
        if allowed is not None and value not in allowed:
            raise BadRequest(f"tag {name} must be one of {', '.join(allowed)}")
    code = tags.get("occupant_credit_code")
    if code is not None and not _CREDIT_CODE.match(str(code)):
        raise BadRequest("occupant_credit_code must be an 18-character 统一社会信用代码")
    floors = tags.get("floors")
    if floors is not None and (not isinstance(floors, int) or not 1 <= floors <= 200):
        raise BadRequest("floors must be an integer from 1 to 200")
    return tags
