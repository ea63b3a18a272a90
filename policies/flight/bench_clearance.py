"""``greenroom bench flight --only oracle_clearance``: the edge columns' clearance, beyond the image or not.

The depth oracle (and the stage-1 labels, which are its values) rates each grid direction by its
clearance: the smallest ray-cast free distance over the cell and its left and right neighbours
(:func:`greenroom.sim.flight.ground_truth.grid_clearances`). The edge columns have an outer
neighbour only if it is cast beyond the image (``env.clearance_beyond_fov``, default on); without
it the image's edge stands in. An edge cell flies sideways and yaws toward its side, so this
bench flies the depth oracle both ways over the same :data:`EPISODES` validation worlds (seeds
from :data:`~.bench_turn.VALIDATION_SEED_START`, neither training's nor the held-out sets') of the
``cpu`` preset, on the preset's action set (the oracles turn in place below ``speed_from``), with
the ground-truth planner beside them. No policy is involved: the oracle sees exact ray casts, so
the difference is the clearance rule's alone.

``--quick``: the smoke preset, 2 episodes.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from tqdm import tqdm

from ..common.bench import BenchResult

EPISODES = 90
PLANNERS = ("depth oracle, image edge", "depth oracle, beyond the image", "ground-truth planner")


def bench_oracle_clearance(quick: bool) -> list[BenchResult]:
    from ...sim.flight.env import FlightEnv
    from ..common.config import make_preset
    from .baselines import gt_oracle_controller, oracle_controller
    from .bench_turn import VALIDATION_SEED_START
    from .config import FlightTrainConfig
    from .evaluate import fly, summarize

    preset = "smoke" if quick else "cpu"
    base = make_preset(FlightTrainConfig, preset).env
    episodes = 2 if quick else EPISODES
    seeds = range(VALIDATION_SEED_START, VALIDATION_SEED_START + episodes)
    rows: dict[str, dict[str, Any]] = {}
    for planner in PLANNERS:
        env = FlightEnv(dataclasses.replace(base, clearance_beyond_fov=planner != PLANNERS[0]))
        controller = gt_oracle_controller() if planner == "ground-truth planner" else oracle_controller()
        try:   # the oracles read ray casts, not images: no rendering while flying
            flights = [fly(env, controller, seed, planner, "validation-worlds", needs_image=False)
                       for seed in tqdm(seeds, desc=planner, unit="episode", leave=False)]
        finally:
            env.close()
        summary = summarize(flights)
        rows[planner] = {"episodes": episodes, "mean_distance_m": summary["mean_distance_m"],
                         "success_rate": summary["success_rate"],
                         # seeds that did not reach the cap: a collision or the step limit
                         "failed_seeds": [e.seed for e in flights if not e.success]}
    details = {"preset": preset, "seed_start": VALIDATION_SEED_START, "cap_m": base.max_distance,
               "actions": dataclasses.asdict(base.actions)}
    results = []
    for planner, row in rows.items():
        results += [BenchResult("oracle_clearance", f"{planner}: mean distance", row["mean_distance_m"], "m", "", None,
                                {**details, **row}),
                    BenchResult("oracle_clearance", f"{planner}: success rate", 100 * row["success_rate"], "%")]
    before, after = (rows[p]["mean_distance_m"] for p in PLANNERS[:2])
    results.append(BenchResult("oracle_clearance", "depth oracle beyond the image / image edge", after / max(before, 1e-9),
                               "x"))
    return results
