"""Training labels of the CAD2RL value grid: free-space (stage 1) and Monte Carlo (stage 2).

Label scale (both stages). A flight that survives ``n`` control steps without collision, out
of a horizon of ``H`` steps, earns the *normalised discounted collision-free return*

    y(n) = sum_{t < min(n, H)} gamma^t / sum_{t < H} gamma^t        in [0, 1]

(1 = no collision within the horizon, 0 = collision on the first step). CAD2RL regresses a
per-direction collision-free probability over a horizon (shared/docs/papers.md 2.1); the
discount makes early collisions cost more than late ones. An episode that ends by truncation
(distance cap or step limit) without a collision counts as surviving the whole horizon.

Stage 1 (free space, CAD2RL's heuristic pretraining): flying along cell ``i`` at the grid's
reference speed covers ``|v_i| * dt`` metres per step; with ground-truth free distance ``d_i``
of the cell (``FlightEnv.clearances(ACROSS)``: the smallest of 5 rays over the cell's width,
then the smallest of the cell and its left/right neighbours, the edge columns' outer neighbours
cast one cell beyond the image, m) and the vehicle's
collision radius ``r``, the collision-free steps are ``n_i = floor(max(d_i - r, 0) / (|v_i|
dt))`` and the label is ``y(n_i)``: exactly the depth oracle's values
(``greenroom.sim.flight.oracles.depth_oracle_values``), so a perfect stage-1 net flies as the
depth oracle does. Straight-line geometry only: turning while flying is what stage 2 corrects.
The math lives in :mod:`greenroom.sim.flight.ground_truth` (re-exported here).

Stage 2 (Monte Carlo policy evaluation): from a state ``s`` (``env.get_state()``), for each
candidate cell ``k``: restore ``s``, fly ``k``'s Twist at the reference speed for
``commit_steps`` steps, then follow the current policy (the env's action set applied to the
network's values of a new image every ``policy_every`` steps: clearance speed or turn in place)
until ``H`` steps in total or a collision; the label is ``y(steps survived)``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...sim.flight.ground_truth import (discounted_fraction, free_space_labels, free_space_steps,  # noqa: F401
                                        step_lengths)
from .envs import set_render

PolicyFn = Callable[[np.ndarray], np.ndarray]
"""Current policy: uint8 (H, W, 3) image -> (4,) Twist (the env's ActionSet applied to its values)."""


@dataclass(frozen=True)
class BranchResult:
    """One Monte Carlo branch: steps survived, whether it ended in a collision, env steps used."""

    survived: int
    collided: bool
    env_steps: int


def rollout_branch(env, state, candidate: int, policy: PolicyFn, commit_steps: int, horizon: int,  # type: ignore[no-untyped-def]
                   policy_every: int = 1) -> BranchResult:
    """Restore ``state``; fly ``candidate`` for ``commit_steps`` steps, then ``policy``; count survival.

    ``env``: a FlightEnv (a :class:`~.envs.LazyRenderEnv` renders only the images the policy
    reads); ``state``: from ``env.get_state()`` in the env's current world. After the commit
    steps the policy picks a direction every ``policy_every`` steps and holds it in between.
    """
    grid = env.grid
    env.set_state(state)
    survived = 0
    action = grid.twist(candidate)
    try:
        for t in range(horizon):
            decide = t + 1 >= commit_steps and (t + 1 - commit_steps) % policy_every == 0 and t + 1 < horizon
            set_render(env, decide)
            obs, _, terminated, truncated, info = env.step(action)
            if info.get("collision", False) or terminated:
                return BranchResult(survived, True, t + 1)
            survived += 1
            if truncated:  # distance cap or step limit reached collision-free: the whole horizon counts
                return BranchResult(horizon, False, t + 1)
            if decide:
                action = policy(obs)
    finally:
        set_render(env, True)
    return BranchResult(survived, False, horizon)


def monte_carlo_labels(env, state, candidates: np.ndarray, policy: PolicyFn, commit_steps: int, horizon: int,  # type: ignore[no-untyped-def]
                       gamma: float, policy_every: int = 1) -> tuple[np.ndarray, list[BranchResult]]:
    """Stage 2 labels (len(candidates),) float32 for the given candidate cells from ``state``."""
    results = [rollout_branch(env, state, int(k), policy, commit_steps, horizon, policy_every) for k in candidates]
    labels = discounted_fraction(np.array([r.survived for r in results]), gamma, horizon)
    return labels, results
