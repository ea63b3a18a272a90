"""Open-loop gait families, their search, and the out-of-range episode set of the fin-ray env."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from greenroom.sim.finray.config import OUT_OF_RANGE, FinRayEnvConfig, RandomizationConfig, out_of_range_values
from greenroom.sim.finray.env import FinRayEnv
from greenroom.sim.finray.gait_search import (Episode, GaitEvaluator, Objective, episode_set, search_cma,
                                              search_sinusoid, summarize)
from greenroom.sim.finray.gaits import FAMILIES, Gait
from greenroom.sim.finray.sinusoid import Sinusoid


def test_families_reduce_to_the_same_sinusoid_and_overdrive_clips() -> None:
    cfg = FinRayEnvConfig()
    times = np.linspace(0.0, 1.0, 37)
    sinusoid = Sinusoid(0.5, 2.7, 0.45).policy(cfg)
    for family in ("sinusoid", "per_ray", "fourier"):
        act = Gait.from_sinusoid(family, 0.5, 2.7, 0.45).policy(cfg)
        for t in times:
            np.testing.assert_allclose(act(None, {"time": t}), sinusoid(None, {"time": t}), atol=1e-6)
    # an overdriven sinusoid is clipped by the actuator range into a near-square stroke
    actions = np.array([Gait("sinusoid", (2.4, 3.0, 0.0)).policy(cfg)(None, {"time": t}) for t in times])
    assert np.abs(actions).max() == pytest.approx(1.0)
    assert np.mean(np.isclose(np.abs(actions), 1.0)) > 0.7
    # the trapezoid goes from triangle (ramp 1) to square (ramp -> 0) with the same zero crossings
    tri = Gait("trapezoid", (0.6, 1.0, 1.0, 0.0)).targets(0.125, 5)[0]
    square = Gait("trapezoid", (0.6, 1.0, 0.05, 0.0)).targets(0.125, 5)[0]
    assert tri == pytest.approx(0.3) and square == pytest.approx(0.6)
    assert Gait("trapezoid", (0.6, 1.0, 0.05, 0.0)).targets(0.5, 5)[0] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="unknown gait family 'square'; valid: sinusoid, per_ray"):
        Gait("square", (1.0,))
    with pytest.raises(ValueError, match="fourier gait takes 10 parameters"):
        Gait("fourier", (1.0, 2.0)).policy(cfg)


def test_out_of_range_episodes_lie_beyond_every_training_range() -> None:
    groups = RandomizationConfig().groups()
    env = FinRayEnv(FinRayEnvConfig.smoke())
    sides = set()
    for episode in episode_set("out_of_range", 12, 950_000):
        _, info = env.reset(seed=episode.seed, options={"randomization": episode.overrides})
        for (group, name), _ in OUT_OF_RANGE.items():
            value, rng = info["randomization"][group][name], getattr(groups[group], name)
            assert value < rng.low or value > rng.high, (group, name, value)
            sides.add((name, value > rng.high))
        assert env._delay == 3 and info["randomization"]["rays"] == episode.overrides["rays"]
    assert len(sides) == 2 * len(OUT_OF_RANGE) - 1  # both sides drawn for every quantity (latency: only above)
    assert out_of_range_values(5) == out_of_range_values(5)
    with pytest.raises(ValueError, match="unknown field.*'stifness'.*valid: stiffness_scale, damping_scale"):
        env.reset(seed=0, options={"randomization": {"rays": {"stifness": 1.0}}})
    with pytest.raises(ValueError, match="unknown randomization group 'ray'"):
        env.reset(seed=0, options={"randomization": {"ray": {}}})


def test_efficiency_objective_ranks_every_gait_below_the_floor_last() -> None:
    objective = Objective("efficiency", thrust_floor=0.2)
    feasible = {"thrust": 0.21, "power": 10.0, "efficiency": 0.021}
    infeasible = {"thrust": 0.19, "power": 0.1, "efficiency": 1.9}
    assert objective.score(feasible) > objective.score(infeasible)
    assert objective.score({**infeasible, "thrust": 0.1}) < objective.score(infeasible)
    assert Objective("thrust").score(infeasible) == 0.19
    with pytest.raises(ValueError, match="thrust or efficiency"):
        Objective("lateral")


def test_searches_improve_on_their_start_within_budget() -> None:
    cfg = dataclasses.replace(FinRayEnvConfig(), randomization=RandomizationConfig.off(), episode_seconds=1.5)
    with GaitEvaluator(cfg, [Episode(0)]) as ev:
        grid = {"amplitude": (0.3, 0.9), "frequency": (2.0, 3.0), "phase_lag": (0.0, 0.5)}
        result = search_sinusoid(ev, Objective("thrust"), 20, grid)
        coarse = max(summarize(ev.cache[Gait("sinusoid", p)])["thrust"]
                     for p in [(a, f, lag) for a in (0.3, 0.9) for f in (2.0, 3.0) for lag in (0.0, 0.5)])
        assert result.evaluations == 20 and result.summary["thrust"] > coarse  # refinement helped
        assert result.best.values[2] > 0  # a head -> tail wave
        start = Gait.from_sinusoid("trapezoid", 0.5, 2.0, 0.3)
        cma = search_cma(ev, "trapezoid", start, Objective("thrust"), 16, seed=0)
        assert cma.evaluations <= 16 and cma.summary["thrust"] > summarize(ev.cache[start])["thrust"]
        assert set(cma.bounds) == set(FAMILIES["trapezoid"].params) and "CMA-ES" in cma.method
