"""``greenroom bench pushgrasp --only variants`` / ``variants_curves``: VPG's variants table (Tables I-III)
and Fig. 4 over the newest trained run of each variant (see :mod:`.bench` for the protocol rows)."""
from __future__ import annotations

import os
from pathlib import Path

from ..common.bench import BenchResult
from ..common.rundir import RunDir, runs_root


def variant_runs() -> dict[str, RunDir]:
    """The newest run with a checkpoint of each variant under ``runs/pushgrasp`` (or ``$GREENROOM_PUSHGRASP_RUNS``,
    a comma-separated list of run folders)."""
    from ..common.config import load_config
    from .config import PushGraspTrainConfig

    env = os.environ.get("GREENROOM_PUSHGRASP_RUNS")
    root = runs_root() / "pushgrasp"
    paths = [Path(p) for p in env.split(",") if p] if env else (sorted(root.glob("*")) if root.is_dir() else [])
    found: dict[str, RunDir] = {}
    for path in paths:  # oldest first: a newer run of a variant replaces an older one
        run = RunDir(path)
        if (path / "config.yaml").is_file() and run.latest_checkpoint() is not None:
            found[load_config(PushGraspTrainConfig, run.config_path).variant] = run
    return found


def bench_variants(quick: bool) -> list[BenchResult]:
    """The paper's Tables I-III: every trained variant (vpg, vpg-noreward, vpg-myopic, grasping-only,
    pg-reactive) under VPG's protocol, with its share of pushes and push-then-grasp success. Train them at
    the same budget first (``greenroom train pushgrasp variant=NAME``); variants without a run are listed
    as skipped."""
    from .bench import _load_learner, _protocol_rows   # bench imports this module
    from .config import VARIANTS
    from .plots import curve_checkpoints

    runs = variant_runs()
    rows = []
    for variant in VARIANTS:
        if variant not in runs:
            rows.append(BenchResult("pushgrasp", f"variant_{variant}_table1_completion", float("nan"), "%", "", None,
                                    {"skipped": f"no trained run of variant {variant} (greenroom train pushgrasp "
                                                f"variant={variant})"}))
            continue
        config, learner, iteration = _load_learner(runs[variant])
        curves = curve_checkpoints(runs[variant].path / "transitions.csv")
        rows += _protocol_rows("vpg", config, learner.q_maps, learner, {"policy": str(runs[variant].path),
                               "iteration": iteration, "variant": variant, "training_curves": curves}, quick,
                               prefix=f"variant_{variant}_", method=variant)
    if runs:
        figure = variants_figure(runs)
        for row in rows:
            row.details.setdefault("figure", str(figure))
    return rows


def variants_figure(runs: dict[str, RunDir]) -> Path:
    """Draw VPG's Fig. 4 over ``runs`` (one per variant, in the paper's order) when there are any; its path."""
    from .bench import figures_dir
    from .config import VARIANTS
    from .plots import variants_curve_plot

    figure = figures_dir() / "pushgrasp-variants-fig4.png"
    if runs:
        variants_curve_plot({v: runs[v].path / "transitions.csv" for v in VARIANTS if v in runs}, figure)
    return figure


def bench_variants_curves(quick: bool) -> list[BenchResult]:
    """VPG's Fig. 4 over every trained variant (the training logs only): one row per variant, the grasp
    success over its last 200 training grasps, with its curves every 1,000 iterations."""
    from .config import VARIANTS
    from .plots import curve_checkpoints

    runs = variant_runs()
    figure = variants_figure(runs)
    rows = []
    for variant in VARIANTS:
        if variant not in runs:
            rows.append(BenchResult("pushgrasp", f"variant_curve_{variant}_grasp_success", float("nan"), "%", "",
                                    None, {"skipped": f"no trained run of variant {variant}"}))
            continue
        curves = curve_checkpoints(runs[variant].path / "transitions.csv")
        last = max(curves["grasp_success"], default=None)
        rows.append(BenchResult("pushgrasp", f"variant_curve_{variant}_grasp_success",
                                float("nan") if last is None else curves["grasp_success"][last], "%", "", None,
                                {"policy": str(runs[variant].path), "iteration": last, "training_curves": curves,
                                 "figure": str(figure)}))
    return rows
