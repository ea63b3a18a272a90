"""The nodes' allocator setting (real/common/allocator.py): freed camera-frame-sized buffers stay
in the process instead of going back to the kernel. Each check runs in a fresh interpreter, the
only clean way to see glibc's per-process behaviour (and to leave this process's allocator alone)."""
from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import ctypes, ctypes.util, json, sys
from greenroom.real.common.allocator import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = MallInfo2
tuned = keep_freed_memory()
frames = [bytes(921_600) for _ in range(3)]  # three 640x480 rgb8 frames, then all freed
del frames
info = libc.mallinfo2()
print(json.dumps({"tuned": tuned, "free_in_heap": info.fordblks, "mmapped": info.hblkhd}))
"""


def _probe(mode: str) -> dict:
    import json
    import os

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "GREENROOM_MALLOC": mode})
    if "mallinfo2" in out.stderr:
        pytest.skip("this C library has no mallinfo2 (glibc < 2.33 or not glibc)")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_tuned_process_keeps_freed_frames_for_the_next_one() -> None:
    result = _probe("tuned")
    assert result["tuned"] is True
    assert result["free_in_heap"] >= 3 * 921_600, result  # kept, ready for the next frames


def test_default_glibc_gives_the_frames_back() -> None:
    """The comparison that makes the setting worth having: without it, glibc serves these frames
    with mmap and unmaps them on free (each new frame page-faults again)."""
    result = _probe("default")
    assert result["tuned"] is False
    assert result["free_in_heap"] < 921_600, result


def test_bad_setting_is_named() -> None:
    out = subprocess.run([sys.executable, "-c", "from greenroom.real.common.allocator import keep_freed_memory;"
                          "keep_freed_memory()"], capture_output=True, text=True, timeout=60,
                         env={"GREENROOM_MALLOC": "fast", "PATH": "/usr/bin:/bin"})
    assert out.returncode != 0
    assert "GREENROOM_MALLOC='fast'" in out.stderr and "'tuned' or 'default'" in out.stderr
