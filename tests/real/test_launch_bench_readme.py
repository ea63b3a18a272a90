"""README "On the robot" quotes the committed launch latency results exactly
(``greenroom bench flight --only ros,launch`` -> benchmarks/results/flight-launch.json,
``greenroom bench pushgrasp --only arm_launch`` -> benchmarks/results/pushgrasp-launch.json)."""
from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
RUNNERS = ("ros2 launch", "greenroom launch")


def _values(name: str) -> dict[str, float]:
    return {r["name"]: r["value"] for r in json.loads((RESULTS / name).read_text())["results"]}


def _row(label: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    match = re.search(rf"^\| {re.escape(label)} \|(.*)\|$", readme, re.M)
    assert match, f"README has no table row {label!r}"
    return [cell.strip() for cell in match.group(1).split("|")]


def test_flight_launch_latency_row_is_the_committed_result() -> None:
    values = _values("flight-launch.json")
    cells = _row("flight_sim.launch.yaml: image -> cmd_vel, median / p99 (ms)")
    for runner, cell in zip((*RUNNERS, "SIL"), cells):  # SIL: the nodes started directly (bench "ros")
        median = values[f"image->cmd_vel latency median ({runner})"]
        p99 = values[f"image->cmd_vel latency p99 ({runner})"]
        assert cell == f"{median:.1f} / {p99:.1f}", (runner, cell)


def test_arm_launch_latency_row_is_the_committed_result() -> None:
    values = _values("pushgrasp-launch.json")
    cells = _row("arm.launch.yaml: frame -> waypoints, median (ms)")
    for runner, cell in zip(RUNNERS, cells):
        assert cell == f"{values[f'frame->waypoints latency median ({runner})']:.1f}", (runner, cell)
    direct = values.get("frame->waypoints latency (median)")  # started directly (arm_ros), when it ran
    assert cells[2] == (f"{direct:.1f}" if direct is not None else "—"), cells
