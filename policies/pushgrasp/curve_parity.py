"""Does parallel collection learn like one process? Learning curves per iteration, side by side.

The ``parallel_curve`` bench compares a ``vpg`` run trained in one process (``parallel.actors=0``)
with one trained by simulator actors (``parallel.actors >= 1``), both from their transitions.csv
(one row per executed action, so the x axis is the training iteration of either mode):

- VPG's Fig. 4 measures every 1,000 iterations (:func:`.plots.checkpoints_of`) over the
  iterations both runs reached: grasp success over the last 200 grasps and the share of pushes;
- grasp success over every grasp of iterations ``[burn_in, common end)`` of each run, and the
  difference (parallel - single) with a 95 % normal-approximation interval of a difference of two
  proportions: an interval that holds 0 says no difference was detected at this sample size, not
  that the curves are equal;
- the figure of both curves (Fig. 4 style) in ``$GREENROOM_BENCH_FIGURES``.

Runs: ``$GREENROOM_PUSHGRASP_CURVE_RUNS`` ("SINGLE,PARALLEL" run folders), else the newest ``vpg``
run of each mode under ``runs/pushgrasp``. One run per mode: seed-to-seed spread is not measured.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.bench import BenchResult
from ..common.rundir import RunDir, runs_root
from .plots import checkpoints_of, read_transitions, variants_curve_plot

BURN_IN = 1000   # iterations left out of the overall comparison (epsilon 0.5 -> 0.41, mostly exploration)
Z95 = 1.959964


@dataclass(frozen=True)
class GraspRate:
    successes: int
    grasps: int

    @property
    def rate(self) -> float:
        return self.successes / self.grasps if self.grasps else math.nan


def grasp_rate(log: tuple[np.ndarray, ...], start: int, end: int) -> GraspRate:
    """Successful / attempted grasps among the actions of iterations ``[start, end)`` of a log
    (:func:`.plots.read_transitions`' columns)."""
    iterations, primitives, outcomes, _ = log
    grasps = (iterations >= start) & (iterations < end) & (primitives == 1)
    return GraspRate(int(np.sum(outcomes[grasps] >= 1.0)), int(np.sum(grasps)))


def difference_interval(single: GraspRate, parallel: GraspRate) -> tuple[float, float, float]:
    """(parallel - single, low, high) of two grasp-success proportions, 95 % normal approximation."""
    diff = parallel.rate - single.rate
    se = math.sqrt(single.rate * (1 - single.rate) / single.grasps + parallel.rate * (1 - parallel.rate) / parallel.grasps)
    return diff, diff - Z95 * se, diff + Z95 * se


def compare(single: Path, parallel: Path, burn_in: int = BURN_IN) -> dict:
    """The comparison of two transitions.csv files (see module docstring), as plain numbers."""
    logs = {"single": read_transitions(single), "parallel": read_transitions(parallel)}   # each file read once
    end = min(int(log[0].max(initial=-1)) for log in logs.values()) + 1
    if end <= burn_in:
        raise ValueError(f"the runs share only {end} iterations, not more than the burn-in of {burn_in}: "
                         f"{single}, {parallel}")
    curves = {name: checkpoints_of(log) for name, log in logs.items()}
    marks = sorted(set(curves["single"]["grasp_success"]) & set(curves["parallel"]["grasp_success"]))
    marks = [m for m in marks if m <= end]
    gaps = [curves["parallel"]["grasp_success"][m] - curves["single"]["grasp_success"][m] for m in marks]
    rates = {name: grasp_rate(log, burn_in, end) for name, log in logs.items()}
    diff, low, high = difference_interval(rates["single"], rates["parallel"])
    return {"common_iterations": end, "burn_in": burn_in, "checkpoints": marks,
            "curves": {name: {k: {m: v[m] for m in marks} for k, v in c.items()} for name, c in curves.items()},
            "checkpoint_gap_points": gaps, "mean_abs_gap_points": float(np.mean(np.abs(gaps))) if gaps else math.nan,
            **{f"{name}_grasp_success": 100 * r.rate for name, r in rates.items()},
            **{f"{name}_grasps": r.grasps for name, r in rates.items()},
            "difference_points": 100 * diff, "difference_ci95_points": [100 * low, 100 * high],
            "difference_detected": not (low <= 0.0 <= high)}


def curve_runs() -> tuple[RunDir, RunDir] | None:
    """(single-process run, actors run): ``$GREENROOM_PUSHGRASP_CURVE_RUNS`` or the newest vpg run of each mode."""
    from ..common.config import load_config
    from .config import PushGraspTrainConfig

    env = os.environ.get("GREENROOM_PUSHGRASP_CURVE_RUNS")
    if env:
        paths = [Path(p) for p in env.split(",") if p]
        if len(paths) != 2:
            raise ValueError(f"GREENROOM_PUSHGRASP_CURVE_RUNS needs two run folders (single,parallel); got {env!r}")
        return RunDir.open(paths[0]), RunDir.open(paths[1])
    root = runs_root() / "pushgrasp"
    newest: dict[bool, RunDir] = {}
    for path in sorted(root.glob("*")) if root.is_dir() else []:   # oldest first: newer runs replace older
        if (path / "config.yaml").is_file() and (path / "transitions.csv").is_file():
            config = load_config(PushGraspTrainConfig, path / "config.yaml")
            if config.variant == "vpg":
                newest[config.parallel.actors > 0] = RunDir(path)
    return (newest[False], newest[True]) if len(newest) == 2 else None


def bench_parallel_curve(quick: bool) -> list[BenchResult]:
    """Grasp success per iteration, one process vs simulator actors (see module docstring)."""
    from .bench import figures_dir

    runs = curve_runs()
    if runs is None:
        return [BenchResult("pushgrasp", "parallel_curve_difference", float("nan"), "points", "", None,
                            {"skipped": "needs a vpg run trained with parallel.actors=0 and one with actors >= 1 "
                                        "under runs/pushgrasp (or GREENROOM_PUSHGRASP_CURVE_RUNS=single,parallel)"})]
    single, parallel = runs
    try:
        result = compare(single.path / "transitions.csv", parallel.path / "transitions.csv", 0 if quick else BURN_IN)
    except ValueError as exc:   # a run still in its first iterations
        return [BenchResult("pushgrasp", "parallel_curve_difference", float("nan"), "points", "", None,
                            {"skipped": str(exc)})]
    figure = figures_dir() / "pushgrasp-parallel-curve.png"
    variants_curve_plot({"one process": single.path / "transitions.csv",
                         "simulator actors": parallel.path / "transitions.csv"}, figure)
    details = {**result, "single_run": str(single.path), "parallel_run": str(parallel.path), "figure": str(figure),
               "quick": quick}
    return [BenchResult("pushgrasp", "parallel_curve_difference", result["difference_points"], "points",
                        "95 % interval holds 0", None if quick else not result["difference_detected"], details),
            BenchResult("pushgrasp", "parallel_curve_mean_abs_checkpoint_gap", result["mean_abs_gap_points"], "points",
                        "", None, details)]
