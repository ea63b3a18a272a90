"""Why a trained push-grasp policy seldom pushes when it acts greedily: the scale of its Q maps.

VPG acts on the larger of the two maps' maxima. With rewards of at most 1 (a grasp; a push that
changes the scene earns 0.5) and discount gamma, no true Q value exceeds ``1 / (1 - gamma)``.
``bench_q_maxima`` loads the latest trained run's torch checkpoint and, on the first heightmap of
each scene (VPG's 11 hard cases, and 30-block clutter), records the push and grasp maxima, how
often the grasp map's maximum wins (greedy grasps), and how far the maxima sit above that bound
(overestimation: the maximum over k x S x S noisy cells).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from ..common.bench import BenchResult


@dataclass(frozen=True)
class QScale:
    """Push and grasp map maxima over a set of scenes (one value per scene)."""

    push_max: tuple[float, ...]
    grasp_max: tuple[float, ...]
    bound: float                       # 1 / (1 - gamma): no true value exceeds it

    @property
    def greedy_grasp_share(self) -> float:
        """Share (%) of scenes whose greedy action is a grasp (ties go to the grasp, as in VPG)."""
        return 100.0 * float(np.mean(np.array(self.grasp_max) >= np.array(self.push_max)))

    @property
    def over_bound_share(self) -> float:
        """Share (%) of scenes whose grasp maximum exceeds the bound on any true value."""
        return 100.0 * float(np.mean(np.array(self.grasp_max) > self.bound))

    def summary(self) -> dict[str, float]:
        return {"push_max_mean": float(np.mean(self.push_max)), "grasp_max_mean": float(np.mean(self.grasp_max)),
                "grasp_over_push": float(np.mean(np.array(self.grasp_max) / np.maximum(self.push_max, 1e-6))),
                "greedy_grasp_share": self.greedy_grasp_share, "grasp_over_bound_share": self.over_bound_share,
                "bound": self.bound, "scenes": len(self.push_max)}


def measure(maps: list[tuple[np.ndarray, np.ndarray]], gamma: float) -> QScale:
    """:class:`QScale` of a list of (push, grasp) map stacks."""
    return QScale(tuple(float(p.max()) for p, _ in maps), tuple(float(g.max()) for _, g in maps), 1.0 / (1.0 - gamma))


def bench_q_maxima(quick: bool) -> list[BenchResult]:
    """Push vs grasp map maxima of the latest trained run on the first frame of each test scene."""
    from ...sim.pushgrasp.env import PushGraspEnv
    from .bench import _load_learner, latest_trained_run
    from .evaluate import scenario_layouts

    run = latest_trained_run()
    if run is None:
        return [BenchResult("pushgrasp", "q_maxima_vpg_greedy_grasp_share", float("nan"), "%", "",
                            None, {"skipped": "no trained pushgrasp run with a checkpoint"})]
    config, learner, iteration = _load_learner(run)
    env = PushGraspEnv(config.env)
    scenes = {"vpg": scenario_layouts(config, "vpg"),
              "clutter": scenario_layouts(config, "clutter") * (1 if quick else 5)}
    rows = []
    try:
        for name, layouts in scenes.items():
            layouts = layouts[:2] if quick else layouts
            maps = []
            for seed, options in enumerate(tqdm(layouts, desc=f"q_maxima {name}", leave=False)):
                obs, _ = env.reset(seed=1000 + seed, options=options)
                maps.append(learner.q_maps(obs["color"], obs["height"]))
            scale = measure(maps, config.discount)
            details = {**scale.summary(), "policy": str(run.path), "iteration": iteration,
                       "push_max": scale.push_max, "grasp_max": scale.grasp_max}
            for key, unit in (("greedy_grasp_share", "%"), ("grasp_over_push", "x"), ("grasp_over_bound_share", "%")):
                rows.append(BenchResult("pushgrasp", f"q_maxima_{name}_{key}", float(details[key]), unit, "", None,
                                        details))
    finally:
        env.close()
    return rows
