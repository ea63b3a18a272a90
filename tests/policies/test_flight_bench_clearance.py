"""``greenroom bench flight --only oracle_clearance``: the depth oracle with the edge columns' clearance
beyond the image or not (``env.clearance_beyond_fov``), the ground-truth planner beside them."""
from __future__ import annotations

import pytest

from greenroom.sim.flight.config import FlightEnvConfig


def test_oracle_clearance_bench_flies_both_rules_and_the_planner_on_validation_worlds() -> None:
    """``greenroom bench flight --only oracle_clearance --quick``: three planners over the same validation
    seeds, each a mean distance and a success rate within the cap, and the ratio of the two depth oracles."""
    from greenroom.policies.flight.bench_clearance import PLANNERS, bench_oracle_clearance
    from greenroom.policies.flight.bench_turn import VALIDATION_SEED_START

    rows = {r.name: r for r in bench_oracle_clearance(quick=True)}
    cap = FlightEnvConfig.smoke().max_distance
    for planner in PLANNERS:
        distance = rows[f"{planner}: mean distance"]
        assert 0.0 < distance.value <= cap + 1.0
        assert distance.details["episodes"] == 2 and distance.details["seed_start"] == VALIDATION_SEED_START
        assert set(distance.details["failed_seeds"]) <= {VALIDATION_SEED_START, VALIDATION_SEED_START + 1}
        assert 0.0 <= rows[f"{planner}: success rate"].value <= 100.0
    ratio = rows["depth oracle beyond the image / image edge"].value
    assert ratio == pytest.approx(rows[f"{PLANNERS[1]}: mean distance"].value / rows[f"{PLANNERS[0]}: mean distance"].value)
