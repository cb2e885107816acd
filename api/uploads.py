"""Upload limits and per-role quotas (``api.settings.LimitSettings``): files are copied in chunks
and refused with 413 once past the limit, never read whole first; layer files are read under
:class:`spatial.vector.VectorLimits` built from the same settings."""

from dataclasses import dataclass
from typing import IO, Annotated

from fastapi import Depends, Request, UploadFile

from address.errors import TooLarge
from api.auth import Principal
from api.settings import LimitSettings
from api.state import get_app_settings
from spatial.vector import VectorLimits

CHUNK = 2**20
MB = 2**20


def get_limits(request: Request) -> LimitSettings:
    return get_app_settings(request).limits


LimitsDep = Annotated[LimitSettings, Depends(get_limits)]


def save_upload(file: UploadFile, target: IO[bytes], *, max_mb: int) -> int:
    """Copy ``file`` into ``target``; TooLarge past ``max_mb``. The bytes copied."""
    size = 0
    while chunk := file.file.read(CHUNK):
        size += len(chunk)
        if size > max_mb * MB:
            raise TooLarge(f"the file is larger than {max_mb} MB")
        target.write(chunk)
    target.flush()
    return size


def vector_limits(limits: LimitSettings) -> VectorLimits:
    return VectorLimits(max_features=limits.features, max_vertices=limits.vertices,
                        max_inflated_bytes=limits.inflated_mb * MB, max_ratio=limits.zip_ratio)


@dataclass(frozen=True)
class BatchQuota:
    max_mb: int
    max_rows: int

    def check_rows(self, rows: int) -> None:
        if rows > self.max_rows:
            raise TooLarge(f"the batch has {rows:,} rows; your key may send {self.max_rows:,}")


def batch_quota(limits: LimitSettings, principal: Principal) -> BatchQuota:
    """A public key's batches are small; every other role's are up to the general limits."""
    if principal.role == "public":
        return BatchQuota(limits.batch_mb_public, limits.batch_rows_public)
    return BatchQuota(limits.batch_mb, limits.batch_rows)
