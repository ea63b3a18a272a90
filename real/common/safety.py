"""Safety at the hardware boundary: velocity clamps and a stale-input watchdog.

Twist convention (REP-103 body frame, shared with the flight env and runtime):
``[vx, vy, vz, yaw_rate]`` in m/s, m/s, m/s, rad/s (x forward, y left, z up).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

ZERO_TWIST = np.zeros(4, dtype=np.float32)


@dataclass(frozen=True)
class VelocityLimits:
    """Hard limits applied to every command, whatever the policy says.

    ``horizontal``: max |(vx, vy)| in m/s (the vector is scaled down, keeping its heading);
    ``vertical``: max |vz| in m/s; ``yaw_rate``: max |wz| in rad/s.
    """

    horizontal: float
    vertical: float
    yaw_rate: float

    def __post_init__(self) -> None:
        for name in ("horizontal", "vertical", "yaw_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ValueError(f"VelocityLimits.{name} must be finite and >= 0, got {value}")


def clamp_twist(twist: np.ndarray, limits: VelocityLimits) -> np.ndarray:
    """Clamp ``[vx, vy, vz, wz]`` to ``limits``; any non-finite or malformed input gives zero.

    Returns a new float32 array of shape (4,).
    """
    try:
        t = np.asarray(twist, dtype=np.float64).reshape(4)
    except (TypeError, ValueError):
        return ZERO_TWIST.copy()
    if not np.all(np.isfinite(t)):
        return ZERO_TWIST.copy()
    out = t.copy()
    speed = math.hypot(t[0], t[1])
    if speed > limits.horizontal:
        scale = limits.horizontal / speed if speed > 0 else 0.0
        out[0:2] *= scale
    out[2] = min(max(t[2], -limits.vertical), limits.vertical)
    out[3] = min(max(t[3], -limits.yaw_rate), limits.yaw_rate)
    return out.astype(np.float32)


class Watchdog:
    """Expires when :meth:`feed` has not been called for ``timeout_s`` seconds (monotonic clock).

    Starts expired: nothing has been seen yet.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = float(timeout_s)
        self._last: float | None = None

    def feed(self, now: float | None = None) -> None:
        self._last = time.monotonic() if now is None else now

    def expired(self, now: float | None = None) -> bool:
        if self._last is None:
            return True
        return ((time.monotonic() if now is None else now) - self._last) > self.timeout_s

    def age(self, now: float | None = None) -> float:
        """Seconds since the last feed (inf before the first)."""
        if self._last is None:
            return math.inf
        return (time.monotonic() if now is None else now) - self._last
