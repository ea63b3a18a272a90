"""``greenroom bench flight --only turn_threshold``: when to turn in place (``env.actions.turn_below``).

The ``clearance`` action set flies the argmax cell unless its value is below ``turn_below``, then
turns in place. A learned value grid errs; flying on a direction the policy rates just above the
threshold is where it crashes. This bench picks the threshold without looking at the test sets:

1. the run's policy (``$GREENROOM_BENCH_FLIGHT_RUN``, else a ``cpu`` run trained now, as the
   corners bench) flies ``VALIDATION_EPISODES`` validation worlds, seeds from
   :data:`VALIDATION_SEED_START` (training never uses seeds >= ``eval.seed_start``; the held-out
   seeds start at ``eval.seed_start`` = 1,000,000), once with the training appearance and once
   dressed in the validation appearance set (``eval.appearance_textures=validation``:
   scikit-image's photographs, disjoint from training and from the held-out images), for every
   threshold of :data:`THRESHOLDS` and every inference candidate: the network as trained and,
   unless it was trained so, mirror-averaged (``network.mirror_average=true``, weight-free);
2. the candidate with the longest mean of the two validation mean distances is chosen;
3. the run's own threshold (as trained) and the chosen candidate then fly the corners bench's
   held-out worlds and held-out appearance set (30 each), with straight ahead, the depth oracle
   and the ground-truth planner on the same action set. PPO is not rerun: its actions (every cell
   at the reference speed, two turns) do not depend on the threshold.

``$GREENROOM_BENCH_FLIGHT_INFERENCE`` (e.g. ``network.average_checkpoints=3``) adds inference
settings to every evaluation (recorded in the details); when it sets ``network.mirror_average``,
mirror averaging is not a candidate of its own.

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
                seed_start: int | None = None, extra: tuple[str, ...] = (),
                inference: list[str] | None = None) -> dict[str, Any]:
    """``greenroom evaluate`` of ``run`` at ``turn_below`` (no video), with ``extra`` overrides and
    ``inference`` settings (default: ``$GREENROOM_BENCH_FLIGHT_INFERENCE``)."""
    from .bench_policy import bench_inference_overrides
    from .evaluate import evaluate

    settings = bench_inference_overrides() if inference is None else inference
    overrides = [f"eval.episodes={episodes}", f"eval.baselines=[{baselines}]", "eval.video_episodes=0",
                 f"env.actions.turn_below={turn_below}", *settings, *extra]
    if seed_start is not None:
        overrides.append(f"eval.seed_start={seed_start}")
    return evaluate(run, None, preset, overrides)


def inference_candidates(run_config: Any) -> list[list[str]]:
    """The inference settings the validation sweep tries: the environment's on every candidate; as
    trained and mirror-averaged, unless the run was trained mirror-averaged or the environment sets it."""
    from .bench_policy import bench_inference_overrides

    fixed = bench_inference_overrides()
    if run_config.network.mirror_average or any(item.startswith("network.mirror_average") for item in fixed):
        return [fixed]
    return [fixed, [*fixed, "network.mirror_average=true"]]


def candidate_label(turn_below: float, inference: list[str]) -> str:
    """``turn_below=0.5`` or ``turn_below=0.5, network.mirror_average=true`` (row names)."""
    return ", ".join([f"turn_below={turn_below:g}", *inference])


def bench_turn_threshold(quick: bool) -> list[BenchResult]:
    from ..common.config import load_config
    from .appearance import validation_set_seen
    from .bench_policy import bench_run
    from .config import FlightTrainConfig

    preset = "smoke" if quick else "cpu"
    run = bench_run(preset, "flight-corners")
    run_config = load_config(FlightTrainConfig, run.config_path)
    own, cap = run_config.env.actions.turn_below, run_config.env.max_distance
    thresholds = (own, 0.45) if quick else THRESHOLDS
    episodes = 3 if quick else VALIDATION_EPISODES
    candidates = [(t, inference) for inference in inference_candidates(run_config) for t in thresholds]
    validation: dict[str, dict[str, Any]] = {}
    for turn_below, inference in candidates:
        summary = evaluate_at(run, preset, turn_below, episodes, "", VALIDATION_SEED_START,
                              ("eval.appearance_textures=validation",), inference)
        validation[candidate_label(turn_below, inference)] = summary["metrics"]["policy"]

    def score(label: str) -> float:
        return 0.5 * sum(validation[label][world_set]["mean_distance_m"] for world_set in HELD_OUT)

    chosen_threshold, chosen_inference = max(candidates, key=lambda c: score(candidate_label(*c)))
    results = [BenchResult("turn", f"validation worlds mean distance ({label})",
                           m["heldout-worlds"]["mean_distance_m"], "m", "", None,
                           {"success_rate": m["heldout-worlds"]["success_rate"], "validation_appearance": m["heldout-appearance"],
                            "score_m": score(label), "seed_start": VALIDATION_SEED_START, "episodes": episodes})
               for label, m in validation.items()]
    results.append(BenchResult("turn", "chosen turn_below", chosen_threshold, "", "inside the swept range",
                               None if quick else check(chosen_threshold, "<", max(thresholds))
                               and chosen_threshold > min(thresholds),
                               {"run": str(run.path), "own_turn_below": own, "thresholds": list(thresholds),
                                "candidates": [candidate_label(*c) for c in candidates],
                                "rule": "longest mean of the validation worlds' and the validation appearance set's "
                                        "mean distances",
                                "validation_appearance": "scikit-image photographs",
                                "validation_appearance_seen_in_training": validation_set_seen(run_config.env),
                                "inference": chosen_inference}))
    own_inference = candidates[0][1]  # the fixed settings, else the network as trained
    for label, turn_below, inference in (("own", own, own_inference), ("chosen", chosen_threshold, chosen_inference)):
        summary = evaluate_at(run, preset, turn_below, 5 if quick else 30, "straight,oracle,gt_oracle",
                              inference=inference)
        metrics = summary["metrics"]
        details = {"turn_below": turn_below, "inference": inference, "metrics": metrics, "seeds": summary["seeds"],
                   "cap_m": cap}
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
