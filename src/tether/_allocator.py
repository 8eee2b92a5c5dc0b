"""Allocator tuning for the ``tether`` command (an application owns its process).

Engines allocate arrays of a few MB per chunk. glibc serves those with fresh ``mmap``
pages, whose first touch page-faults, and adjusts its threshold by the process's
history: the same run measured anywhere from 77 to 140 us per replication. Raising the
mmap and trim thresholds keeps such blocks in the heap (55 us, steadily). The library
never calls this on import; programs using it can set ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` in the environment, or call this at start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["tune_allocator"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(mmap_threshold: int = 256 * 2**20) -> bool:
    """Keep blocks below ``mmap_threshold`` bytes in the heap; ``True`` if glibc took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok: bool = mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1
    trimmed: bool = mallopt(_M_TRIM_THRESHOLD, 2 * mmap_threshold) == 1
    return ok and trimmed
