"""``greenroom bench flight --only ros`` runs end to end (figures are reported, never asserted)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from greenroom.real.flight.bench import BENCHMARKS

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_ros_benchmark_quick(runs_dir: Path, ros_domain: int) -> None:
    results = BENCHMARKS["ros"](True)
    assert [r.unit for r in results] == ["ms", "ms", "% core"]
    assert all(math.isfinite(r.value) and r.value > 0 for r in results)
    median, p99, cpu = results
    assert median.value <= p99.value and p99.target == "<= 5.0" and cpu.passed in (True, False)
    details = median.details
    assert details["model"].startswith("shipped") and details["commands_matched"] > 10
    assert details["exit_codes"] == [0, 0] and details["nodes_alive_until_stop"]


def test_allocator_benchmark_quick_runs_both_modes(ros_domain: int) -> None:
    """``--only allocator``: a fresh ``flight_policy`` per glibc mode acts on the whole 640x480
    stream and both report finite latencies; the nodes exit cleanly."""
    results = BENCHMARKS["allocator"](True)
    assert [r.unit for r in results] == ["ms", "ms", "ms", "ms", "x"]
    for row in results[:4]:
        (run,) = row.details["runs"]
        assert run["acted"] > 0 and run["node_exit_code"] == 0, run
        assert math.isfinite(row.value) and row.value > 0
    assert results[-1].details["median_ms"].keys() == {"default", "tuned"}

