"""Do not repeat an action that just failed on an unchanged scene (torch-free, numpy only).

A greedy Q policy is deterministic: after a grasp that slips on an unchanged heightmap it sees the
same input and chooses the same failing grasp until VPG's 10-no-change limit ends the run. VPG
escapes this with test-time learning (a backward pass after each failure), which needs torch and
the training code; a robot running the exported ONNX policy has neither. ``FailureMemory`` is the
deployment-side equivalent: it remembers the cells of the actions that changed nothing and masks
them (that primitive, every rotation, within ``radius_m``) until the scene changes.

A scene can also change without progress: a block at the workspace edge pushed one way, then
back, then the same way again (seen on VPG's hard case 08: about 490 pushes back and forth until
the block left the workspace). VPG's no-change rule never fires on it, every push changes the
heightmap. So an action whose heightmap is unchanged from one seen up to ``cycle_window`` actions
before counts as a failure as well: it is masked and the memory is kept.

"Changed" is the simulator's and VPG's own test (:func:`greenroom.sim.pushgrasp.heightmap.changed_cells`
above the area-scaled 300-cell threshold), applied to the heightmap before and after an action,
so the memory works from camera frames alone: the ROS node needs no success signal.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...sim.pushgrasp.heightmap import change_threshold, changed_cells


@dataclass
class FailureMemory:
    """Masks recently failed actions on heightmaps of ``resolution`` m/cell.

    Use: ``maps = memory.mask(maps)`` before the argmax, ``memory.executed(action, height_map)``
    after sending an action, and ``memory.observe(height_map)`` with each new heightmap (``mask``
    calls it for you when given the heightmap).
    """

    resolution: float
    radius_m: float = 0.02
    cycle_window: int = 4  # an action that returns the scene to one of the last N heightmaps made no progress
    failed: list[tuple[int, int, int]] = field(default_factory=list)  # (primitive, row, col)
    _pending: tuple[tuple[int, int, int, int], np.ndarray] | None = None
    _recent: list[np.ndarray] = field(default_factory=list)  # heightmaps the last actions were chosen on

    @property
    def radius_cells(self) -> int:
        return max(1, int(round(self.radius_m / self.resolution)))

    def executed(self, action: tuple[int, int, int, int], height_map: np.ndarray) -> None:
        """Remember ``action`` and the heightmap it was chosen on, to judge it on the next frame."""
        self._pending = (tuple(int(a) for a in action), np.array(height_map, np.float32, copy=True))  # type: ignore[assignment]

    def observe(self, height_map: np.ndarray) -> bool | None:
        """Judge the pending action against ``height_map``: True changed, False failed, None nothing pending.

        A change to a new scene clears the memory; a failure (no change, or back to a heightmap of
        the last ``cycle_window`` actions) adds the action's cell.
        """
        if self._pending is None:
            return None
        action, before = self._pending
        self._pending = None
        if before.shape != np.shape(height_map):
            self.failed.clear()
            self._recent.clear()
            return None
        self._recent = (self._recent + [before])[-self.cycle_window:]
        threshold = change_threshold(self.resolution)
        changed = changed_cells(before, height_map) > threshold
        revisited = changed and any(changed_cells(seen, height_map) <= threshold for seen in self._recent[:-1])
        if changed and not revisited:
            self.failed.clear()
        else:
            self.failed.append((action[0], action[2], action[3]))
        return changed and not revisited

    def mask(self, maps: np.ndarray, height_map: np.ndarray | None = None) -> np.ndarray:
        """``maps`` (2, k, S, S) with the remembered failures' neighbourhoods set to -inf (a copy).

        If every cell of both primitives would be masked the memory is forgotten instead, so there
        is always an action to take.
        """
        if height_map is not None:
            self.observe(height_map)
        if not self.failed:
            return maps
        masked = np.array(maps, np.float32, copy=True)
        size_r, size_c = masked.shape[-2:]
        r = self.radius_cells
        for primitive, row, col in self.failed:
            masked[primitive, :, max(0, row - r):min(size_r, row + r + 1), max(0, col - r):min(size_c, col + r + 1)] = -np.inf
        if not np.isfinite(masked).any():
            self.failed.clear()
            return maps
        return masked

    def reset(self) -> None:
        self.failed.clear()
        self._recent.clear()
        self._pending = None
