"""PostgreSQL's binary COPY format for numpy columns, both ways, with no Python per row.

``pack(a, b, …)`` is a COPY … FROM STDIN (FORMAT binary) body of rows (a[i], b[i], …) for
int16/int32/int64/float64 columns (never NULL); ``unpack_float8`` reads what
``string_agg(float8send(x), '')`` gives back: big-endian doubles.
"""

import numpy as np
import numpy.typing as npt

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
TRAILER = b"\xff\xff"
BIG_ENDIAN = {np.dtype(np.int16): ">i2", np.dtype(np.int32): ">i4", np.dtype(np.int64): ">i8",
              np.dtype(np.float64): ">f8"}


def pack(*columns: npt.NDArray[np.generic]) -> bytes:
    """The binary COPY body of the rows the columns (equal lengths) make."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, column in enumerate(columns):
        fields += [(f"len{i}", ">i4"), (f"col{i}", BIG_ENDIAN[column.dtype])]
    rows = np.empty(len(columns[0]) if columns else 0, np.dtype(fields))
    rows["count"] = len(columns)
    for i, column in enumerate(columns):
        rows[f"len{i}"] = column.dtype.itemsize
        rows[f"col{i}"] = column
    return HEADER + rows.tobytes() + TRAILER


def unpack_float8(data: bytes | memoryview | None) -> npt.NDArray[np.float64]:
    """Doubles sent by ``float8send`` and joined (NULL: none)."""
    if data is None:
        return np.empty(0)
    return np.frombuffer(data, ">f8").astype(np.float64)
