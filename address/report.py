"""The one import report: what reading and importing a file did, row by row.

Every importer (address sources, building footprints, catalog layers) returns an
:class:`ImportReport`: rows read, rows imported, each failed row with its line and reason, plus the
importer's own counts (``created``/``matched``, ``inserted``/``updated``/…, ``repaired``) and facts
(the file's format and CRS, the import's id, conflicts). A row's line is the CSV's physical line
(the header is line 1) or, in other formats, the feature's position + 1.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_REPORTED = 200  # failed rows listed in as_dict (the count is always whole)


@dataclass(frozen=True)
class FailedRow:
    line: int
    reason: str
    text: str = ""  # what identifies the row to a person: its address text, its source id


@dataclass
class ImportReport:
    source: str = ""
    read: int = 0
    imported: int = 0
    failed_rows: list[FailedRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return len(self.failed_rows)

    def fail(self, line: int, reason: str, text: str = "") -> None:
        self.failed_rows.append(FailedRow(line, reason, text))

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "read": self.read, "imported": self.imported,
                "failed": self.failed,
                "failed_rows": [asdict(r) for r in self.failed_rows[:MAX_REPORTED]],
                **self.counts, **self.details}
