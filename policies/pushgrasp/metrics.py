"""VPG's test metrics and the push-grasp synergy measures, on logged runs (numpy only).

A run is the sequence of executed primitives (0 = push, 1 = grasp) and, per action, whether a
grasp held a block, from one reset until the run ends (VPG evaluate.py, shared/docs/papers.md 1.2):

- **completion**: the run's successful grasps reach its number of objects (VPG: "all objects
  picked without more than 10 consecutive failures"; the rollout ends the run at 10 consecutive
  no-change actions, so completion is just ``successes >= objects``). A block pushed or knocked
  off the workspace can no longer be grasped, so such a run cannot complete.
- **grasp success**: successful / attempted grasps of a run; averaged over *completed* runs
  (VPG's "average % grasp success per clearance"), and over all runs as ``grasp_success_all``.
- **action efficiency**: objects / actions of a run (VPG: #objects / #actions before
  completion); averaged over completed runs (``action_efficiency_all``: every run).
- **synergy** (this project, per evaluation): ``push_share`` = pushes / actions over all runs;
  ``grasp_success_after_push`` = success rate of the grasps whose previous action in the same
  run was a push, ``grasp_success_without_push`` = of the other grasps (first action or after a
  grasp), each with its count so a rate over a handful of grasps reads as such.
- **stuck on one spot** (this project): ``no_change_runs_on_one_spot`` counts the runs that ended
  after 10 no-change actions all of the same primitive within ``SPOT_PX`` pixels of the last one
  (any rotation): the greedy policy repeating one failing action until the end rule fires.
- **left on the edge** (this project): ``no_change_runs_left_on_edge`` counts the runs that ended
  after 10 no-change actions with every block still in the scene on the workspace edge (partly
  outside the heightmap); ``blocks_left`` / ``blocks_left_on_edge``: blocks in the scene at the end
  of the incomplete runs, and how many of them were on the edge.
- **per run** (this project): ``per_run`` lists each run's reset seed, how it ended, the blocks it
  lost and its rolling-resistance draw, so a bench's failed runs can be traced to their draws, and
  ``losses``: for each action that lost blocks, its index in the run, its primitive, whether that
  grasp held a block and how many blocks left the workspace. ``lost_by_primitive`` sums the lost
  blocks over all runs by the primitive whose action lost them (``grasp`` counts neighbours knocked
  off by a grasp, whether or not it held its own block).

All percentages are 0-100; a mean over no runs is reported as NaN (not 0: "nothing measured"
must not read as "0 % success").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...sim.pushgrasp.geometry import GRASP, PRIMITIVES, PUSH

SPOT_PX = 2            # heightmap pixels: actions this close count as "the same spot"
STUCK_ACTIONS = 10     # VPG's end rule: 10 consecutive no-change actions


@dataclass
class RunResult:
    """One test run: ``primitives[i]`` and ``grasped[i]`` of its i-th action (see module docstring)."""

    objects: int
    primitives: list[int] = field(default_factory=list)
    grasped: list[bool] = field(default_factory=list)
    lost: int = 0          # blocks that left the workspace (pushed or knocked off): they cannot be grasped
    ended: str = ""        # why the run stopped: cleared, no_change, action_cap, empty (nothing left, not all grasped)
    pixels: list[tuple[int, int]] = field(default_factory=list)  # (row, col) of each action, when recorded
    left: int = 0          # blocks still in the scene when the run ended
    left_on_edge: int = 0  # of those, blocks on the workspace edge (env info "objects_on_edge")
    seed: int | None = None  # the reset seed (every policy benched on a scenario meets the same draws)
    rolling_m: float = math.nan  # the run's sampled rolling resistance (Friction.rolling, m), when recorded
    losses: list[tuple[int, int, bool, int]] = field(default_factory=list)  # (action, primitive, held, blocks)

    def record(self, primitive: int, grasp_success: bool, pixel: tuple[int, int] | None = None, lost: int = 0) -> None:
        """One executed action; ``lost``: blocks that left the workspace during it."""
        self.primitives.append(int(primitive))
        self.grasped.append(bool(grasp_success) and primitive == GRASP)
        if pixel is not None:
            self.pixels.append((int(pixel[0]), int(pixel[1])))
        if lost:
            self.lost += int(lost)
            self.losses.append((len(self.primitives) - 1, int(primitive), self.grasped[-1], int(lost)))

    @property
    def final_repeats(self) -> int:
        """How many of the last actions share the last one's primitive and lie within ``SPOT_PX`` of it."""
        if not self.pixels or len(self.pixels) != len(self.primitives):
            return 0
        last, (row, col) = self.primitives[-1], self.pixels[-1]
        count = 0
        for primitive, (r, c) in zip(reversed(self.primitives), reversed(self.pixels)):
            if primitive != last or max(abs(r - row), abs(c - col)) > SPOT_PX:
                break
            count += 1
        return count

    @property
    def actions(self) -> int:
        return len(self.primitives)

    @property
    def grasps(self) -> int:
        return sum(p == GRASP for p in self.primitives)

    @property
    def pushes(self) -> int:
        return sum(p == PUSH for p in self.primitives)

    @property
    def successes(self) -> int:
        return sum(self.grasped)

    @property
    def completed(self) -> bool:
        return self.successes >= self.objects > 0

    @property
    def grasp_success(self) -> float:
        return self.successes / self.grasps if self.grasps else 0.0

    @property
    def efficiency(self) -> float:
        return self.objects / self.actions if self.actions else 0.0

    def grasps_after(self, after_push: bool) -> tuple[int, int]:
        """(successes, attempts) of the grasps whose previous action was (not) a push."""
        attempts = successes = 0
        for i, (primitive, held) in enumerate(zip(self.primitives, self.grasped)):
            if primitive != GRASP or (i > 0 and self.primitives[i - 1] == PUSH) != after_push:
                continue
            attempts += 1
            successes += int(held)
        return successes, attempts


def _pct(values: list[float]) -> float:
    return 100.0 * float(np.mean(values)) if values else math.nan


def summarize(results: list[RunResult]) -> dict[str, object]:
    """VPG's three metrics, the synergy measures and counts over ``results`` (see module docstring)."""
    done = [r for r in results if r.completed]
    actions = sum(r.actions for r in results)
    after = [r.grasps_after(True) for r in results]
    without = [r.grasps_after(False) for r in results]
    after_s, after_n = sum(s for s, _ in after), sum(n for _, n in after)
    without_s, without_n = sum(s for s, _ in without), sum(n for _, n in without)
    return {
        "runs": len(results), "completed_runs": len(done),
        "completion": _pct([r.completed for r in results]),
        "grasp_success": _pct([r.grasp_success for r in done]),
        "action_efficiency": _pct([r.efficiency for r in done]),
        "grasp_success_all": _pct([r.grasp_success for r in results]),
        "action_efficiency_all": _pct([r.efficiency for r in results]),
        "mean_actions": float(np.mean([r.actions for r in results])) if results else math.nan,
        "runs_with_lost_objects": _pct([r.lost > 0 for r in results]),
        "lost_objects_per_run": float(np.mean([r.lost for r in results])) if results else math.nan,
        "push_share": 100.0 * sum(r.pushes for r in results) / actions if actions else math.nan,
        "grasp_success_after_push": 100.0 * after_s / after_n if after_n else math.nan,
        "grasps_after_push": after_n,
        "grasp_success_without_push": 100.0 * without_s / without_n if without_n else math.nan,
        "grasps_without_push": without_n,
        "no_change_runs_on_one_spot": sum(r.ended == "no_change" and r.final_repeats >= STUCK_ACTIONS for r in results),
        "no_change_runs_left_on_edge": sum(r.ended == "no_change" and 0 < r.left == r.left_on_edge for r in results),
        "blocks_left": sum(r.left for r in results if not r.completed),
        "blocks_left_on_edge": sum(r.left_on_edge for r in results if not r.completed),
        "runs_hitting_action_cap": sum(r.ended == "action_cap" for r in results),
        "runs_ended": {reason: sum(r.ended == reason for r in results) for reason in sorted({r.ended for r in results})},
        "lost_by_primitive": {name: sum(n for r in results for _, p, _, n in r.losses if p == primitive)
                              for primitive, name in enumerate(PRIMITIVES)},
        "per_run": [{"seed": r.seed, "ended": r.ended, "lost": r.lost, "rolling_m": r.rolling_m,
                     "losses": [{"action": a, "primitive": PRIMITIVES[p], "held": held, "blocks": n}
                                for a, p, held, n in r.losses]}
                    for r in results],
    }
