"""Training progress shared by both trainers: episode returns, throughput, time to a target return."""
from __future__ import annotations

import time
from collections import deque
from typing import Any

import numpy as np

from ..common.rundir import MetricsLogger, RunDir


class Progress:
    """Running mean return over ``window`` episodes, samples/s, and when ``target`` was first reached.

    ``wall_offset``/``samples`` continue a resumed run's clock and counters.
    """

    def __init__(self, run: RunDir, window: int, target: float | None, state: dict[str, Any] | None = None) -> None:
        self.logger = MetricsLogger(run)
        self.returns: deque[float] = deque(maxlen=window)
        self.target = target
        state = state or {}
        self.wall_offset = float(state.get("wall_time", 0.0))
        self.episodes = int(state.get("episodes", 0))
        self.reached = state.get("reached")
        self.returns.extend(state.get("returns", []))
        self.start = time.monotonic()

    def start_clock(self) -> float:
        """Start the training clock now (setup before it is not counted); returns the setup seconds."""
        now = time.monotonic()
        setup, self.start = now - self.start, now
        return setup

    def wall_time(self) -> float:
        return self.wall_offset + time.monotonic() - self.start

    def add_episodes(self, returns: list[float], samples: int) -> None:
        for r in returns:
            self.returns.append(float(r))
            self.episodes += 1
        if (self.target is not None and self.reached is None and len(self.returns) == self.returns.maxlen
                and self.mean_return() >= self.target):
            self.reached = {"wall_time": self.wall_time(), "samples": samples, "mean_return": self.mean_return()}

    def mean_return(self) -> float:
        return float(np.mean(self.returns)) if self.returns else float("nan")

    def log(self, samples: int, updates: int, extra: dict[str, float] | None = None) -> dict[str, float]:
        wall = self.wall_time()
        row = {
            "charts/mean_return": self.mean_return(), "charts/episodes": self.episodes,
            "perf/wall_time": wall, "perf/samples_per_s": samples / max(wall, 1e-9),
            "perf/updates": updates, "perf/updates_per_sample": updates / max(samples, 1),
            **(extra or {}),
        }
        self.logger.log(samples, row)
        return row

    def state(self) -> dict[str, Any]:
        return {"wall_time": self.wall_time(), "episodes": self.episodes, "reached": self.reached,
                "returns": list(self.returns)}

    def close(self) -> None:
        self.logger.close()
