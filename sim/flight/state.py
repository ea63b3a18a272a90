"""Snapshot of a flight episode for branching Monte Carlo rollouts (``FlightEnv.get_state``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FlightState:
    """Everything that decides the future of an episode in its world (picklable)."""

    world_key: tuple
    episode_seed: int
    qpos: np.ndarray
    qvel: np.ndarray
    qacc_warmstart: np.ndarray
    ctrl: np.ndarray
    time: float
    steps: int
    distance: float
    pending_commands: np.ndarray
    noise_rng_state: dict
    done: bool
    tilt: tuple[float, float] = (0.0, 0.0)    # camera attitude (roll, pitch) in rad (:mod:`.attitude`)
