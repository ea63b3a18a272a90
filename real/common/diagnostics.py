"""Rates and latencies for ``/diagnostics`` (diagnostic_msgs/DiagnosticArray).

:class:`RateMeter` counts events over a sliding window (Hz); :class:`LatencyStats` keeps the
last N samples (ms) for median/p99. :func:`status` builds one DiagnosticStatus.
"""
from __future__ import annotations

import collections
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue


class RateMeter:
    """Event rate in Hz over the last ``window_s`` seconds (monotonic clock)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._stamps: collections.deque[float] = collections.deque()
        self.count = 0

    def tick(self, now: float | None = None) -> None:
        self._stamps.append(time.monotonic() if now is None else now)
        self.count += 1

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._stamps and now - self._stamps[0] > self.window_s:
            self._stamps.popleft()
        return len(self._stamps) / self.window_s


class LatencyStats:
    """The last ``size`` latency samples in milliseconds."""

    def __init__(self, size: int = 300) -> None:
        self._samples: collections.deque[float] = collections.deque(maxlen=size)

    def add(self, ms: float) -> None:
        self._samples.append(float(ms))

    def percentile(self, q: float) -> float:
        return float(np.percentile(self._samples, q)) if self._samples else float("nan")

    def summary(self) -> dict[str, float]:
        return {"median_ms": self.percentile(50), "p99_ms": self.percentile(99), "samples": len(self._samples)}


LEVELS = {"ok": DiagnosticStatus.OK, "warn": DiagnosticStatus.WARN, "error": DiagnosticStatus.ERROR,
          "stale": DiagnosticStatus.STALE}


def status(name: str, hardware_id: str, level: str, message: str, values: Mapping[str, Any]) -> DiagnosticStatus:
    """A DiagnosticStatus; floats are formatted with 4 significant digits."""
    msg = DiagnosticStatus(level=LEVELS[level], name=name, message=message, hardware_id=hardware_id)
    msg.values = [KeyValue(key=str(k), value=(f"{v:.4g}" if isinstance(v, float) else str(v))) for k, v in values.items()]
    return msg
