"""glibc's mmap threshold held fixed in a worker: large passing buffers mapped, not left as holes.

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes (128 KiB at start) with a
mapping of its own, given back to the system when freed. By default it raises that threshold
to the size of every mapped block freed (up to 32 MiB), so after the first fetch responses
and producer batches of a few hundred KiB to a few MiB, later ones come from the main heap.
There they are freed between the shipment states' long-lived objects, which pin the pages:
the worker's resident memory keeps the holes (docs/benchmarks.md, session 33). Setting the
threshold with ``mallopt`` turns that raising off, so such buffers stay mapped and leave
nothing behind. Process-wide; another C library (macOS has no ``mallopt``, musl's ignores
it) is left as it is.
"""

from __future__ import annotations

import ctypes
from typing import Any

__all__ = ["MMAP_THRESHOLD_MAX", "MallInfo2", "fix_mmap_threshold", "mallinfo2"]

M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number for the threshold (glibc's ``malloc.h``)."""

MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
"""The largest threshold glibc accepts on 64-bit systems (``HEAP_MAX_SIZE / 2``)."""


_MALLINFO2_FIELDS = (
    "arena",
    "ordblks",
    "smblks",
    "hblks",
    "hblkhd",
    "usmblks",
    "fsmblks",
    "uordblks",
    "fordblks",
    "keepcost",
)


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2``: what its heap holds (for tests and benchmarks)."""

    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]
    arena: int  # bytes of the heap (the main arena and others), in use or free
    hblks: int  # blocks mapped on their own
    hblkhd: int  # bytes in them
    uordblks: int  # bytes in use in the heap
    fordblks: int  # bytes free in the heap


def mallinfo2() -> MallInfo2 | None:
    """glibc's figures for its heap now, or None where the C library has no ``mallinfo2``
    (before glibc 2.33, or another C library)."""
    try:
        function = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return None
    function.restype = MallInfo2
    return function()  # type: ignore[no-any-return]  # ctypes: restype set above


def _mallopt() -> Any | None:
    """The process's ``mallopt``, or None where the C library has none."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - every supported platform can open its own process
        return None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is not None:
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
    return mallopt


def fix_mmap_threshold(size: int) -> bool:
    """Serve every allocation of at least ``size`` bytes from a mapping of its own, for good
    (``0``: leave glibc's moving threshold). True once set; False when ``size`` is 0 or the
    C library does not take it (no ``mallopt``, or one that ignores it). Raises
    ``ValueError`` for a size outside what glibc accepts."""
    if size < 0 or size > MMAP_THRESHOLD_MAX:
        raise ValueError(f"mmap threshold {size} is outside 0..{MMAP_THRESHOLD_MAX} bytes")
    if size == 0:
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, size) == 1)
