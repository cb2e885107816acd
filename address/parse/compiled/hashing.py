"""Hash tables of integer keys: built in Python, probed in compiled code.

Every look-up the parse makes by key — a pair or triple of character ids (features), a
gazetteer name by the hash of its characters (pre-pass, resolution), the lengths of the names
with a given two-character start — goes to one shape of table: open addressing with linear
probing, as (slots, 2) uint64 rows of key | top bit, value, a zero key being an empty slot. Key
and value share a cache line, so a hit is one memory read. ``_mix`` (Python, when building) and
``mix64`` (compiled, when probing) are the same arithmetic.

Text hashes are polynomial (``h · HASH_MULT + code point`` modulo 2**64), so the hash of a
prefix is taken off by multiplying by ``HASH_INVERSE`` (the pre-pass tries a name's prefixes
longest first).
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value"
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

import address.parse.compiled.cache  # noqa: F401 (before any cache=True: see there)

HASH_MULT = 1000003
HASH_INVERSE = pow(HASH_MULT, -1, 1 << 64)  # so the hash of a prefix can be taken off
_MASK64 = (1 << 64) - 1
_TOP = 1 << 63


def _mix(x: int) -> int:
    """One multiply, its high bits folded onto the low ones (the same arithmetic as ``mix64``
    in the kernel)."""
    x = x * 0x9E3779B97F4A7C15 & _MASK64
    return x ^ (x >> 29)


def text_hash(text: str) -> int:
    h = 0
    for ch in text:
        h = (h * HASH_MULT + ord(ch)) & _MASK64
    return h


def hash_table(entries: dict[int, int]) -> np.ndarray:
    """Open addressing with linear probing, as (slots, 2) uint64 rows of key | top bit, value;
    a zero key is an empty slot. Key and value share a cache line."""
    size = 1 << max(4, (2 * len(entries)).bit_length())
    table = np.zeros((size, 2), dtype=np.uint64)
    for key, value in entries.items():
        key |= _TOP
        slot = _mix(key) & (size - 1)
        while table[slot, 0]:
            slot = (slot + 1) & (size - 1)
        table[slot] = key, value
    return table


@njit(cache=True, inline="always")
def mix64(x: np.uint64) -> np.uint64:
    x = x * np.uint64(0x9E3779B97F4A7C15)
    return x ^ (x >> np.uint64(29))


@njit(cache=True, inline="always")
def slot_of(table: np.ndarray, key: int) -> int:
    """Where the probe for ``key`` starts in a table made by ``hash_table``."""
    # (uint64 with int64 would be float64)
    return np.int64(mix64(np.uint64(key) | np.uint64(1 << 63)) & np.uint64(len(table) - 1))


@njit(cache=True, inline="always")
def find(table: np.ndarray, key: int) -> int:
    """The value stored under ``key`` in a table made by ``hash_table``; 0 when absent."""
    wanted = np.uint64(key) | np.uint64(1 << 63)
    mask = len(table) - 1
    slot = slot_of(table, key)
    while table[slot, 0]:
        if table[slot, 0] == wanted:
            return np.int64(table[slot, 1])
        slot = (slot + 1) & mask
    return 0


def _prefetch_intrinsic(typingctx: Any, array: Any, index: Any) -> tuple[Any, Callable[..., Any]]:
    """prefetch(array, index): ask the processor to bring array[index] (a 1-D array) into
    cache; no result."""
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        address = builder.gep(ary.data, [args[1]])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            _PREFETCH)
        builder.call(fn, [builder.bitcast(address, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(array, index), codegen


prefetch: Any = intrinsic(_prefetch_intrinsic)
# The intrinsic's name carries its pointer type: opaque pointers from LLVM 15 on.
_PREFETCH = "llvm.prefetch.p0" if llvm_version_info >= (15,) else "llvm.prefetch.p0i8"
