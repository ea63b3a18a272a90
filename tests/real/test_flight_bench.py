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


def test_receive_benchmark_quick_reads_every_frame_both_ways(ros_domain: int) -> None:
    """``--only receive``: the rclpy-deserialized and the serialized-bytes listener both get the
    whole stream (with the large-image profile nothing is lost) and report finite latencies."""
    results = BENCHMARKS["receive"](True)
    assert [r.unit for r in results] == ["ms", "ms", "x"]
    for row in results[:2]:
        (run,) = row.details["runs"]
        assert run["received"] >= 0.95 * row.details["frames_per_run"], run
        assert math.isfinite(run["median_ms"]) and 0 < run["median_ms"] <= run["p99_ms"]
    assert math.isfinite(results[2].value) and results[2].value > 0
