"""How much can knowing the fin gain? The per-episode-tuned open-loop gait (``greenroom bench finray
--only adaptation_ceiling``).

The open-loop baseline (:mod:`.baseline`) is one gait for every fin of the randomized evaluation
set. A learned closed-loop policy can only beat it by adapting to the fin it drives (stiffness,
damping, actuator gain and torque, latency, fluid). This bench measures how much adaptation of
the gait itself is worth: for each evaluation episode separately, the sinusoid family is
searched exactly as the baseline searches it (same grid, same refinement, same budget per
search), on that one episode (its seed fixes the fin and the fluid), i.e. a gait tuned with full
knowledge of that fin. Its mean thrust over the episodes, against the single best gait of the
baseline, is the gain an *oracle* adapting only the gait would get; a closed-loop policy may in
principle exceed it (feedback within a stroke), but a target far above it asks for more than
adapting the gait to the fin.

Rows: per-episode-tuned sinusoid vs the baseline's best sinusoid (same family) and vs its best
gait of any family (thrust, %), and the share of episodes where tuning gains >= 20 %.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...sim.finray.config import FinRayEnvConfig
from ...sim.finray.gait_search import GaitEvaluator, Objective, episode_set, search_sinusoid
from ..common.bench import BenchResult
from .baseline import BUDGET, EVAL_SEED_BASE

GROUP = "finray"


def per_episode_tuned(config: FinRayEnvConfig, episodes: int, budget: int, workers: int = 2,
                      grid: dict | None = None) -> list[dict[str, Any]]:
    """For each randomized evaluation episode: the best sinusoid searched on that episode alone."""
    rows = []
    for episode in episode_set("randomized", episodes, EVAL_SEED_BASE):
        with GaitEvaluator(config, [episode], workers) as evaluator:
            result = search_sinusoid(evaluator, Objective("thrust"), budget, grid=grid)
        rows.append({"seed": episode.seed, "thrust": result.summary["thrust"], "best": result.best.to_json(),
                     "evaluations": result.evaluations, "on_edge": result.on_edge})
    return rows


def ceiling_rows(record: dict[str, Any], tuned: list[dict[str, Any]]) -> list[BenchResult]:
    """Bench rows comparing ``tuned`` (:func:`per_episode_tuned`) with the baseline ``record``."""
    families = record["families"]
    best_family = record["best_family"]
    if [r["seed"] for r in tuned] != [r["seed"] for r in families["sinusoid"]["per_episode"][:len(tuned)]]:
        raise ValueError("the tuned episodes are not the baseline's evaluation episodes")
    tuned_thrust = np.array([r["thrust"] for r in tuned])
    rows, gains = [], {}
    for name in dict.fromkeys(("sinusoid", best_family)):
        reference = np.array([r["thrust"] for r in families[name]["per_episode"][:len(tuned)]])
        gain = 100.0 * (tuned_thrust.mean() - reference.mean()) / reference.mean()
        per_episode = gains[name] = 100.0 * (tuned_thrust - reference) / reference
        rows.append(BenchResult(
            GROUP, f"per-episode-tuned sinusoid vs the single best {name} (thrust)", float(gain), "%",
            details={"episodes": len(tuned), "tuned_mean_thrust": float(tuned_thrust.mean()),
                     "baseline_mean_thrust": float(reference.mean()), "baseline_gait": families[name]["best"],
                     "gain_pct_per_episode": [round(float(g), 2) for g in per_episode],
                     "episodes_gaining_20pct": int(np.sum(per_episode >= 20.0))}))
    rows.append(BenchResult(GROUP, f"episodes where tuning to the fin gains >= 20 % over the best {best_family}",
                            float(100.0 * np.mean(gains[best_family] >= 20.0)), "%",
                            details={"tuned": tuned, "budget_per_episode": tuned[0]["evaluations"] if tuned else 0}))
    return rows
