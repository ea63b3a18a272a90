"""The README's fin-ray speed rows are the committed `greenroom bench finray --only
env_steps,update_cost,sync_vs_async` result (benchmarks/results/finray-speed.json), rounded as
printed, and the targets the README marks as met are met there."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_speed_rows_are_the_committed_result() -> None:
    rows = {r["name"]: r for r in json.loads((REPO / "benchmarks/results/finray-speed.json").read_text())["results"]}
    value = {name: row["value"] for name, row in rows.items()}
    walls = rows["async/sync wall-clock to target return"]["details"]["mean_wall_to_target_s"]
    readme = (REPO / "README.md").read_text()
    expected = [
        f"| env control steps/s per core (4-frame observation) | {value['env control steps/s per core']:,.0f} | >= 5,000 |",
        f"| {value['SAC update, lean']:.2f} vs {value['SAC update, sb3']:.2f} ms "
        f"({value['LeanSAC / SB3 update time']:.2f}x) |",
        f"| {value['async SAC samples/s (2 actors)']:.0f} vs {value['sync SAC samples/s']:.0f} = "
        f"{value['async/sync samples/s']:.2f}x | >= 1.7x |",
        f"| {walls['async']:.1f} vs {walls['sync']:.1f} s = {value['async/sync wall-clock to target return']:.2f}x "
        "| >= 1.7x |",
    ]
    for text in expected:
        assert text in readme, f"README lacks {text!r}"
    assert rows["async/sync samples/s"]["passed"] and rows["async/sync wall-clock to target return"]["passed"]
    assert not rows["async/sync wall-clock to target return"]["details"]["missed"]  # every seed reached the target
