"""Shared helpers of the flight README tests."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
CORNER_RUNS = ("flight-corners.json", "flight-corners-onpolicy.json", "flight-corners-onpolicy-long.json",
               "flight-corners-episodes.json")


def tour_text() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Tour: flight")
    return readme[start:readme.index("\n## ", start + 1)]


def committed(name: str) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((RESULTS / name).read_text())["results"]}


def cell_text(metrics: dict) -> str:
    return f"{metrics['mean_distance_m']:.1f} / {100 * metrics['success_rate']:.0f}"


def own_chosen_cells(rows: dict, world_set: str) -> str:
    """A turn_threshold bench's "own, chosen" cell pair for one held-out set ("m / %, m / %")."""
    return ", ".join(cell_text(rows[f"{label}: policy mean distance ({world_set})"]["details"]["metrics"]["policy"][world_set])
                     for label in ("own", "chosen"))
