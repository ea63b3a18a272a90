"""VPG's experience replay "prioritized by surprise", held compactly in memory (numpy).

Storage per transition: the state's colour heightmap (S, S, 3) uint8 and height heightmap
(S, S) uint16 in 1e-5 m units (VPG's PNG depth-heightmap units; 0.65 m range), the executed
action ``(primitive, rotation, row, col)``, the reward *outcome* (push 0.5 on change / grasp 1
on success, else 0), the label used for training and the last prediction at that pixel. A
ring buffer of ``capacity`` transitions: the oldest is overwritten (112x112: 63 KB per
transition; 3000 transitions = 190 MB).

Sampling (VPG main.py, experience replay): among past transitions of the *same primitive* whose
outcome differs from the current one, rank by surprise ``|prediction - label|`` and pick rank
``round(power(2) * (n - 1))`` -- a power-law that favours the most surprising. Labels are the
ones stored at collection time (VPG code, commit 164f182); only the prediction is refreshed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

HEIGHT_UNIT = 1e-5  # metres per uint16 step


@dataclass
class Sample:
    index: int
    color: np.ndarray        # (S, S, 3) uint8
    height: np.ndarray       # (S, S) float32 metres
    action: np.ndarray       # (4,) int64
    label: float


class SurpriseReplay:
    """Bounded ring buffer with VPG's surprise-ranked sampling (see module docstring)."""

    def __init__(self, capacity: int, size: int) -> None:
        if capacity < 1 or size < 1:
            raise ValueError(f"replay needs capacity >= 1 and size >= 1; got {capacity}, {size}")
        self.capacity, self.size = capacity, size
        self.color = np.zeros((capacity, size, size, 3), np.uint8)
        self.height = np.zeros((capacity, size, size), np.uint16)
        self.action = np.zeros((capacity, 4), np.int16)
        self.outcome = np.zeros(capacity, np.float32)
        self.label = np.zeros(capacity, np.float32)
        self.predicted = np.zeros(capacity, np.float32)
        self.count = 0      # transitions ever added
        self.next = 0       # slot written next

    def __len__(self) -> int:
        return min(self.count, self.capacity)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.color, self.height, self.action, self.outcome, self.label, self.predicted))

    def add(self, color: np.ndarray, height: np.ndarray, action: tuple[int, int, int, int], outcome: float,
            label: float, predicted: float) -> int:
        if color.shape != (self.size, self.size, 3) or height.shape != (self.size, self.size):
            raise ValueError(f"replay holds {self.size}x{self.size} heightmaps; got {color.shape} / {height.shape}")
        i = self.next
        self.color[i] = color
        self.height[i] = np.clip(np.round(np.nan_to_num(height) / HEIGHT_UNIT), 0, 65535).astype(np.uint16)
        self.action[i] = action
        self.outcome[i], self.label[i], self.predicted[i] = outcome, label, predicted
        self.next = (i + 1) % self.capacity
        self.count += 1
        return i

    def get(self, index: int) -> Sample:
        return Sample(index, self.color[index], self.height[index].astype(np.float32) * HEIGHT_UNIT,
                      self.action[index].astype(np.int64), float(self.label[index]))

    def sample(self, primitive: int, current_outcome: float, rng: np.random.Generator, min_candidates: int = 1
               ) -> Sample | None:
        """A surprising past transition of ``primitive`` whose outcome differs from ``current_outcome``."""
        n = len(self)
        candidates = np.flatnonzero((self.action[:n, 0] == primitive) & (self.outcome[:n] != current_outcome))
        if candidates.size < min_candidates or candidates.size == 0:
            return None
        surprise = np.abs(self.predicted[candidates] - self.label[candidates])
        ranked = candidates[np.argsort(surprise, kind="stable")]
        rank = int(np.round(rng.power(2) * (ranked.size - 1)))
        return self.get(int(ranked[rank]))

    def update_prediction(self, index: int, predicted: float) -> None:
        self.predicted[index] = predicted

    def state_dict(self) -> dict[str, Any]:
        n = len(self)
        return {"capacity": self.capacity, "size": self.size, "count": self.count, "next": self.next,
                "color": self.color[:n].copy(), "height": self.height[:n].copy(), "action": self.action[:n].copy(),
                "outcome": self.outcome[:n].copy(), "label": self.label[:n].copy(), "predicted": self.predicted[:n].copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["size"] != self.size:
            raise ValueError(f"replay in the checkpoint holds {state['size']}^2 heightmaps, this run {self.size}^2")
        n = min(len(state["action"]), self.capacity)
        for name in ("color", "height", "action", "outcome", "label", "predicted"):
            getattr(self, name)[:n] = state[name][:n]
        self.count = int(state["count"]) if state["capacity"] == self.capacity else n
        self.next = int(state["next"]) % self.capacity if state["capacity"] == self.capacity else n % self.capacity
