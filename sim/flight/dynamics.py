"""Velocity-command inner loop of the simulated quadrotor (host side).

The Twist action ``[vx, vy, vz, yaw_rate]`` (m/s, m/s, m/s, rad/s; REP-103 body frame) is
clipped to the episode's limits, delayed by ``latency_steps`` control steps, and written to the
four velocity actuators of :mod:`.scene`, which track it with time constant ``tau`` inside
MuJoCo's step. Pose helpers convert the free joint's ``qpos`` to ``[x, y, z, yaw]``.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..core import rotations


class CommandPipeline:
    """Clip and delay Twist commands (latency in whole control steps; zero = applied at once)."""

    def __init__(self, limits: np.ndarray, latency_steps: int) -> None:
        if latency_steps < 0:
            raise ValueError(f"latency_steps must be >= 0, got {latency_steps}")
        self.limits = np.asarray(limits, dtype=np.float64)
        self.latency_steps = int(latency_steps)
        self.queue: deque[np.ndarray] = deque([np.zeros(4)] * self.latency_steps)

    def push(self, command: np.ndarray) -> np.ndarray:
        """Queue ``command`` and return the command to apply now (clipped, delayed)."""
        self.queue.append(np.clip(np.asarray(command, dtype=np.float64), -self.limits, self.limits))
        return self.queue.popleft()

    def get_state(self) -> np.ndarray:
        """(latency_steps, 4) pending commands, oldest first."""
        return np.array(list(self.queue), dtype=np.float64).reshape(self.latency_steps, 4)

    def set_state(self, pending: np.ndarray) -> None:
        pending = np.asarray(pending, dtype=np.float64).reshape(-1, 4)
        if len(pending) != self.latency_steps:
            raise ValueError(f"state holds {len(pending)} pending commands, this episode's latency is "
                             f"{self.latency_steps} steps")
        self.queue = deque(row.copy() for row in pending)


def validate_action(action: object) -> np.ndarray:
    """A (4,) float64 Twist from an action-like object; ValueError on a wrong shape or NaN/inf."""
    array = np.asarray(action, dtype=np.float64)
    if array.shape != (4,):
        raise ValueError(f"action must be a Twist [vx, vy, vz, yaw_rate] of shape (4,), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"action must be finite, got {array.tolist()}")
    return array


def yaw_of(quat_wxyz: np.ndarray) -> float:
    """Heading (rad, about world z) of a MuJoCo quaternion (w, x, y, z) (:mod:`..core.rotations`)."""
    return rotations.yaw_of(rotations.wxyz_to_xyzw(quat_wxyz))


def quat_of_yaw(yaw: float) -> np.ndarray:
    """MuJoCo quaternion (w, x, y, z) of a rotation by ``yaw`` about world z (:mod:`..core.rotations`)."""
    return rotations.xyzw_to_wxyz(rotations.quat_of_yaw(yaw))
