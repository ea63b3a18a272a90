"""Sinusoidal actuation baseline and its parametric grid search (one search per objective).

This quick grid is what ``greenroom evaluate`` reports; the full open-loop baseline (finer
frequencies, richer gait families, CMA-ES) is :mod:`.gait_search`, run by ``greenroom bench finray``.

Ray ``i`` (ray 0 at the head) gets the base target

    theta_i(t) = amplitude * sin(2 pi frequency t - i * phase_lag) + bias_gain * command / lateral_max * max_angle

so ``phase_lag > 0`` is a wave running head -> tail (tail rays lag), ``phase_lag < 0`` the
reversed wave and ``phase_lag = 0`` in-phase flapping. ``bias_gain`` only matters for the
lateral objective (it offsets all rays in proportion to the commanded lateral force).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .config import FinRayEnvConfig
from .env import FinRayEnv

Policy = Callable[[np.ndarray, dict[str, Any]], np.ndarray]
"""A policy for :func:`rollout`: (observation, last info) -> action in [-1, 1]^n_rays."""


@dataclass(frozen=True)
class Sinusoid:
    """Sinusoid parameters: amplitude (rad), frequency (Hz), phase_lag (rad per ray), bias_gain (-)."""

    amplitude: float
    frequency: float
    phase_lag: float
    bias_gain: float = 0.0

    def policy(self, config: FinRayEnvConfig) -> Policy:
        lags = np.arange(config.n_rays) * self.phase_lag

        def act(obs: np.ndarray, info: dict[str, Any]) -> np.ndarray:
            t = float(info.get("time", 0.0))
            bias = self.bias_gain * float(info.get("lateral_command", 0.0)) / config.lateral_max * config.max_angle
            theta = self.amplitude * np.sin(2.0 * math.pi * self.frequency * t - lags) + bias
            return np.clip(theta / config.max_angle, -1.0, 1.0).astype(np.float32)

        return act


def rollout(env: FinRayEnv, policy: Policy, seed: int) -> list[dict[str, Any]]:
    """One episode; returns the step infos (each with ``reward`` added)."""
    obs, info = env.reset(seed=seed)
    infos = []
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        info["reward"] = reward
        infos.append(info)
        done = terminated or truncated
    return infos


def episode_metrics(infos: Sequence[dict[str, Any]], skip_seconds: float = 0.5) -> dict[str, float]:
    """Figures of merit of one episode, skipping the first ``skip_seconds`` (start-up transient).

    thrust (N, mean Fx), power (W, mean actuator power), efficiency (N/W, mean thrust / mean
    power), lateral_error (N, mean |Fy_lp - command|), return (sum of rewards, whole episode).
    """
    kept = [i for i in infos if i["time"] > skip_seconds] or list(infos)
    thrust = float(np.mean([i["thrust"] for i in kept]))
    power = float(np.mean([i["power"] for i in kept]))
    return {
        "thrust": thrust, "power": power, "efficiency": thrust / max(power, 1e-9),
        "lateral_error": float(np.mean([abs(i["lateral_force_lp"] - i["lateral_command"]) for i in kept])),
        "return": float(sum(i["reward"] for i in infos)),
    }


def score(metrics: dict[str, float], objective: str) -> float:
    """The number a grid search maximizes for ``objective`` (higher is better)."""
    if objective == "thrust":
        return metrics["thrust"]
    if objective == "efficiency":
        return metrics["efficiency"]
    return -metrics["lateral_error"]


def evaluate_policy(config: FinRayEnvConfig, policy_factory: Callable[[], Policy], seeds: Iterable[int]) -> dict[str, float]:
    """Mean of :func:`episode_metrics` over ``seeds`` (a fresh policy from the factory per episode)."""
    env = FinRayEnv(config)
    rows = [episode_metrics(rollout(env, policy_factory(), seed)) for seed in seeds]
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


@dataclass(frozen=True)
class SinusoidGrid:
    """The parameter grid of the search (tuples of values, every combination is tried)."""

    amplitudes: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.9, 1.5)  # rad (above max_angle 0.6: overdriven, clipped)
    frequencies: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)  # Hz
    phase_lags: tuple[float, ...] = (-0.6, 0.0, 0.3, 0.45, 0.6, 0.9, 1.2)  # rad per ray
    bias_gains: tuple[float, ...] = (0.0,)

    def candidates(self) -> list[Sinusoid]:
        return [Sinusoid(*p) for p in itertools.product(self.amplitudes, self.frequencies, self.phase_lags, self.bias_gains)]

    @classmethod
    def for_objective(cls, objective: str) -> SinusoidGrid:
        if objective == "lateral":
            return cls(amplitudes=(0.1, 0.3, 0.5), frequencies=(1.0, 2.0, 3.0), phase_lags=(0.0, 0.9),
                       bias_gains=(0.0, 0.5, 1.0))
        return cls()


def grid_search(config: FinRayEnvConfig, grid: SinusoidGrid | None = None,
                seeds: Sequence[int] = (0,)) -> dict[str, Any]:
    """Evaluate every sinusoid of ``grid`` on ``config.objective``; the best one and the table.

    Returns ``{"objective", "best": {params..., metrics...}, "table": [rows sorted best first]}``.
    """
    grid = grid or SinusoidGrid.for_objective(config.objective)
    rows = []
    for candidate in grid.candidates():
        metrics = evaluate_policy(config, lambda c=candidate: c.policy(config), seeds)
        rows.append({**asdict(candidate), **metrics, "score": score(metrics, config.objective)})
    rows.sort(key=lambda r: r["score"], reverse=True)
    return {"objective": config.objective, "best": rows[0], "table": rows}
