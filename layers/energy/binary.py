"""PostgreSQL's binary COPY format for numpy columns, both ways, with no Python per row.

``pack(a, b, …)`` is a COPY … FROM STDIN (FORMAT binary) body of rows (a[i], b[i], …) for
int16/int32/int64/float64 and fixed-width bytes columns (None: NULLs); ``float8_arrays`` makes
such a column of ``float8[]`` values. ``unpack_float8`` reads what
``string_agg(float8send(x), '')`` gives back: big-endian doubles; ``unpack_array`` what
``array_send`` gives for an array without NULLs (``array_agg`` of a column costs the server about
half the ``string_agg`` of a ``…send`` per row).
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
TRAILER = b"\xff\xff"
ARRAY_HEADER = 20  # dimensions, has-NULLs flag, element type; one dimension's size, lower bound
FLOAT8_OID = 701
BIG_ENDIAN = {np.dtype(np.int16): ">i2", np.dtype(np.int32): ">i4", np.dtype(np.int64): ">i8",
              np.dtype(np.float64): ">f8"}


def pack(*columns: npt.NDArray[np.generic]) -> bytes:
    """The binary COPY body of the rows the columns (equal lengths) make."""
    return pack_body([columns])


def pack_body(parts: Sequence[tuple[npt.NDArray[np.generic] | None, ...]]) -> bytes:
    """One binary COPY body of several runs of rows, each run's columns of equal lengths;
    a bytes column (``S<n>``) is a text field of exactly n bytes, None a column of NULLs."""
    return HEADER + pack_rows(parts) + TRAILER


def pack_rows(parts: Sequence[tuple[npt.NDArray[np.generic] | None, ...]]) -> bytes:
    """The rows of ``pack_body`` without its header and trailer: a piece of a body that is
    written a piece at a time."""
    return b"".join(_rows(columns) for columns in parts)


def _rows(columns: tuple[npt.NDArray[np.generic] | None, ...]) -> bytes:
    n = next(len(c) for c in columns if c is not None)
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, column in enumerate(columns):
        fields.append((f"len{i}", ">i4"))
        if column is not None:
            kind = column.dtype.str if column.dtype.kind == "S" else BIG_ENDIAN[column.dtype]
            fields.append((f"col{i}", kind))
    rows = np.empty(n, np.dtype(fields))
    rows["count"] = len(columns)
    for i, column in enumerate(columns):
        rows[f"len{i}"] = -1 if column is None else column.dtype.itemsize
        if column is not None:
            rows[f"col{i}"] = column
    return rows.tobytes()


def unpack_float8(data: bytes | memoryview | None) -> npt.NDArray[np.float64]:
    """Doubles sent by ``float8send`` and joined (NULL: none)."""
    if data is None:
        return np.empty(0)
    return np.frombuffer(data, ">f8").astype(np.float64)


def unpack_array(data: bytes | memoryview | None, element: str) -> npt.NDArray[np.generic]:
    """The elements (``element``: their big-endian dtype, ``>f8``, ``>i8``, ``>i2``) of a
    one-dimensional array without NULLs as ``array_send`` sends it (NULL or empty: none)."""
    native = np.dtype(element).newbyteorder("=")
    if data is None or len(data) <= ARRAY_HEADER:
        return np.empty(0, native)
    dimensions, has_nulls = np.frombuffer(data, ">i4", 2).tolist()
    if dimensions != 1 or has_nulls:
        raise ValueError("not a one-dimensional array without NULLs")
    fields = np.frombuffer(data, [("length", ">i4"), ("value", element)], offset=ARRAY_HEADER)
    return fields["value"].astype(native)


def float8_arrays(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.bytes_]:
    """Each row of a 2-D array as a binary ``float8[]`` field, a ``pack`` column."""
    n, size = rows.shape
    fields = np.empty(n, [("header", ">i4", 5), ("values", [("length", ">i4"), ("value", ">f8")],
                                                  size)])
    fields["header"] = [1, 0, FLOAT8_OID, size, 1]
    fields["values"]["length"] = 8
    fields["values"]["value"] = rows
    return fields.view(f"S{fields.dtype.itemsize}")
