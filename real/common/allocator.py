"""Keep freed image buffers in the process instead of handing them back to the kernel.

Every camera frame a node takes is a fresh ~1 MB buffer (640x480 rgb8 is 900 KB: the rmw's
serialized copy, then the Python bytes). glibc serves blocks that large with ``mmap`` or from
the top of the heap and, on ``free``, gives them back (``munmap`` / trim) whenever its dynamic
thresholds say so; the next frame then page-faults all ~225 of its pages again. Measured on
the 2-core CI machine (640x480 rgb8 at 30 Hz, Fast DDS shared memory, a plain listener process):
stamp -> callback was 1.4 ms while glibc happened to keep the memory and 3.4 ms in the runs
where it did not (about one run in five by default, every run with only
``MALLOC_MMAP_THRESHOLD_`` set); with both thresholds below it was 1.4 ms in 8 runs of 8.
``greenroom bench flight --only allocator`` measures the policy node both ways side by side.

:func:`keep_freed_memory` sets what ``MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=268435456`` would: blocks below 32 MB come from the heap and freed ones
stay for the next frame. The process keeps its peak heap (a few frames' worth), nothing more.
``GREENROOM_MALLOC=default`` leaves glibc's defaults (for that comparison); on a C library
without ``mallopt`` (musl, macOS) this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

ALLOCATOR_ENV = "GREENROOM_MALLOC"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's largest allowed on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Tune glibc as the module docstring says; True when it took effect."""
    choice = os.environ.get(ALLOCATOR_ENV, "tuned")
    if choice not in ("tuned", "default"):
        raise ValueError(f"{ALLOCATOR_ENV}={choice!r}: expected 'tuned' or 'default'")
    if choice == "default":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD,
                                                                                 TRIM_THRESHOLD_BYTES))
