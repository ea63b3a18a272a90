"""``greenroom bench flight --only turn_threshold``: when to turn in place (``env.actions.turn_below``).

The ``clearance`` action set flies the argmax cell unless its value is below ``turn_below``, then
turns in place. A learned value grid errs; flying on a direction the policy rates just above the
threshold is where it crashes. This bench picks the threshold without looking at the test sets:

1. the run's policy (``$GREENROOM_BENCH_FLIGHT_RUN``, else a ``cpu`` run trained now, as the
   corners bench) flies ``VALIDATION_EPISODES`` validation worlds, seeds from
   :data:`VALIDATION_SEED_START` (training never uses seeds >= ``eval.seed_start``; the held-out
   seeds start at ``eval.seed_start`` = 1,000,000), once per threshold of :data:`THRESHOLDS`;
   the threshold with the longest mean collision-free distance on the validation worlds (training
   appearance) is chosen (the validation appearance set is recorded, not used);
2. the run's own threshold and the chosen one then fly the corners bench's held-out worlds and
   held-out appearance set (30 each), with straight ahead, the depth oracle and the ground-truth
   planner on the same action set. PPO is not rerun: its actions (every cell at the reference
   speed, two turns) do not depend on the threshold.

``$GREENROOM_BENCH_FLIGHT_INFERENCE`` (e.g. ``network.mirror_average=true``) evaluates the run with
weight-free network settings switched (recorded in the details).

``--quick``: the smoke preset, two thresholds, 3 episodes.
"""
from __future__ import annotations

from typing import Any

from ..common.bench import BenchResult, check

THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.65)
VALIDATION_SEED_START = 2_000_000
VALIDATION_EPISODES = 30
HELD_OUT = ("heldout-worlds", "heldout-appearance")


def evaluate_at(run: Any, preset: str, turn_below: float, episodes: int, baselines: str,
                seed_start: int | None = None, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """``greenroom evaluate`` of ``run`` at ``turn_below`` (no video), with ``extra`` overrides."""
    from .bench_policy import bench_inference_overrides
    from .evaluate import evaluate

    overrides = [f"eval.episodes={episodes}", f"eval.baselines=[{baselines}]", "eval.video_episodes=0",
                 f"env.actions.turn_below={turn_below}", *bench_inference_overrides(), *extra]
    if seed_start is not None:
        overrides.append(f"eval.seed_start={seed_start}")
    return evaluate(run, None, preset, overrides)


def bench_turn_threshold(quick: bool) -> list[BenchResult]:
    from ..common.config import load_config
    from .bench_policy import bench_inference_overrides, bench_run
    from .config import FlightTrainConfig

    preset = "smoke" if quick else "cpu"
    run = bench_run(preset, "flight-corners")
    run_config = load_config(FlightTrainConfig, run.config_path)
    own, cap = run_config.env.actions.turn_below, run_config.env.max_distance
    thresholds = (own, 0.45) if quick else THRESHOLDS
    episodes = 3 if quick else VALIDATION_EPISODES
    validation: dict[float, dict[str, Any]] = {}
    for turn_below in thresholds:
        summary = evaluate_at(run, preset, turn_below, episodes, "", VALIDATION_SEED_START)
        validation[turn_below] = summary["metrics"]["policy"]
    chosen = max(thresholds, key=lambda t: validation[t]["heldout-worlds"]["mean_distance_m"])
    results = [BenchResult("turn", f"validation worlds mean distance (turn_below={t:g})",
                           m["heldout-worlds"]["mean_distance_m"], "m", "", None,
                           {"success_rate": m["heldout-worlds"]["success_rate"], "validation_appearance": m["heldout-appearance"],
                            "seed_start": VALIDATION_SEED_START, "episodes": episodes})
               for t, m in validation.items()]
    results.append(BenchResult("turn", "chosen turn_below", chosen, "", "inside the swept range",
                               None if quick else check(chosen, "<", max(thresholds)) and chosen > min(thresholds),
                               {"run": str(run.path), "own_turn_below": own, "thresholds": list(thresholds),
                                "rule": "longest mean distance on the validation worlds",
                                "inference": bench_inference_overrides()}))
    for label, turn_below in (("own", own), ("chosen", chosen)):
        summary = evaluate_at(run, preset, turn_below, 5 if quick else 30, "straight,oracle,gt_oracle")
        metrics = summary["metrics"]
        details = {"turn_below": turn_below, "metrics": metrics, "seeds": summary["seeds"], "cap_m": cap}
        for world_set in HELD_OUT:
            policy = metrics["policy"][world_set]
            gt = metrics["gt_oracle"][world_set]["mean_distance_m"]
            straight = metrics["straight"][world_set]["mean_distance_m"]
            results += [
                BenchResult("turn", f"{label}: policy mean distance ({world_set})", policy["mean_distance_m"], "m",
                            f">= {0.75 * cap:g}", check(policy["mean_distance_m"], ">=", 0.75 * cap), details),
                BenchResult("turn", f"{label}: policy success rate ({world_set})", 100 * policy["success_rate"], "%",
                            ">= 50", check(policy["success_rate"], ">=", 0.5)),
                BenchResult("turn", f"{label}: policy / ground-truth planner ({world_set})",
                            policy["mean_distance_m"] / max(gt, 1e-9), "x", ">= 0.9",
                            check(policy["mean_distance_m"] / max(gt, 1e-9), ">=", 0.9)),
                BenchResult("turn", f"{label}: policy / straight ahead ({world_set})",
                            policy["mean_distance_m"] / max(straight, 1e-9), "x", ">= 3",
                            check(policy["mean_distance_m"] / max(straight, 1e-9), ">=", 3)),
            ]
    return results
