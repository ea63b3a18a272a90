"""Blocks lost off the workspace under simulator settings before and after each fix (benches).

- ``edge_losses``: Table I's 30-block clutter (the project's blocks): friction model, lost rule,
  grasp descent speed, rolling resistance.
- ``mesh_losses``: VPG's 11 hard cases (VPG's meshes): collision shapes of the external meshes and
  how a test case is loaded.

Both run the bundled ONNX policy (or ``$GREENROOM_PUSHGRASP_ONNX``) under the deployment protocol
with the same seeds for every setting; ``$GREENROOM_BENCH_RUNS`` sets the runs per case (default
6 in clutter, 3 per hard case; quick: 1). Each row is the lost blocks per run, with completion,
grasp success and how the runs ended in its details.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from ..common.bench import BenchResult

# the first three descend at 0.5 m/s, the default when they were measured (now 0.1: slow_descent); the first
# four keep the blocks' rolling resistance of before the rolling fix (rolling_fix: the sampled contact value)
_LEGACY = {"rolling_model": "legacy"}
EDGE_SETTINGS = {"before": {"friction_model": "material", "lost_rule": "centre", "grasp_descent_speed": 0.5, **_LEGACY},
                 "friction_fix": {"friction_model": "contact", "lost_rule": "centre", "grasp_descent_speed": 0.5, **_LEGACY},
                 "after": {"friction_model": "contact", "lost_rule": "out_of_view", "grasp_descent_speed": 0.5, **_LEGACY},
                 "slow_descent": {"friction_model": "contact", "lost_rule": "out_of_view", "grasp_descent_speed": 0.1,
                                  **_LEGACY},
                 "rolling_fix": {"friction_model": "contact", "lost_rule": "out_of_view", "grasp_descent_speed": 0.1,
                                 "rolling_model": "contact"}}

# VPG's meshes: "boxes" = every mesh as voxel boxes and a test case loaded as given (before
# 2026-12-05: staircase cylinders and prisms kept walking untouched; overlaps flung blocks at load);
# "hull" = convex meshes collide as their hull, overlaps resolve by position at load (the default)
MESH_SETTINGS = {"boxes": {"mesh_model": "boxes", "placement_separation_steps": 0},
                 "hull": {"mesh_model": "hull", "placement_separation_steps": 120}}


def _loss_rows(settings_table: dict[str, dict[str, Any]], scenario: str, prefix: str, runs_per_case: int,
               quick: bool) -> list[BenchResult]:
    from ..common.config import resolve_config
    from .bench import BUNDLED_POLICY
    from .config import PushGraspTrainConfig
    from .evaluate import evaluate_policy, onnx_policy
    from .protocols import protocol_config

    onnx = Path(os.environ.get("GREENROOM_PUSHGRASP_ONNX", BUNDLED_POLICY))
    config, maps_fn = onnx_policy(onnx, resolve_config(PushGraspTrainConfig, "cpu"))
    config = protocol_config(config, "deployment", quick, runs=runs_per_case)
    rows = []
    for name, settings in settings_table.items():
        cfg = dataclasses.replace(config, env=dataclasses.replace(config.env, **settings))
        with tempfile.TemporaryDirectory() as tmp:
            r = evaluate_policy(cfg, maps_fn, Path(tmp), scenarios=(scenario,), max_layouts=1 if quick else None,
                                label=f"{prefix} {name}: ")[scenario]
        if "skipped" in r:
            rows.append(BenchResult("pushgrasp", f"{prefix}_lost_objects_per_run_{name}", float("nan"), "blocks", "",
                                    None, {"settings": settings, "skipped": r["skipped"]}))
            continue
        details = {"policy": str(onnx), "settings": settings, "scenario": scenario, "quick": quick,
                   **({"objects": cfg.evaluate.clutter_objects} if scenario == "clutter" else {}),
                   **{k: r[k] for k in ("runs", "completion", "grasp_success_all", "runs_with_lost_objects",
                                        "mean_actions", "push_share", "runs_ended")}}
        rows.append(BenchResult("pushgrasp", f"{prefix}_lost_objects_per_run_{name}", float(r["lost_objects_per_run"]),
                                "blocks", "", None, details))
    return rows


def bench_edge_losses(quick: bool) -> list[BenchResult]:
    """Blocks lost off the workspace in 30-block clutter, simulator before / after the fixes.

    ``before`` = Bullet friction factors set to the sampled values (contact = their product) and a
    block lost once its centre is 1 cm outside; ``friction_fix`` = sampled values are contact
    coefficients; ``after`` = also a block is lost only when no part of it is over the workspace
    (VPG: out of the camera's view); ``slow_descent`` = ``after`` with the grasp's descent and lift
    at 0.1 m/s instead of 0.5; ``rolling_fix`` = ``slow_descent`` with the sampled rolling
    resistance of each contact (before: a side-lying cylinder, once rolling, never slowed down and
    left the table). Runs per setting: ``$GREENROOM_BENCH_RUNS`` (default 6; quick 1).
    """
    from .bench import bench_runs

    return _loss_rows(EDGE_SETTINGS, "clutter", "edge", 1 if quick else (bench_runs() or 6), quick)


def bench_mesh_losses(quick: bool) -> list[BenchResult]:
    """Blocks lost off the workspace on VPG's 11 hard cases, VPG's meshes before / after the fix
    (``MESH_SETTINGS``). Runs per case: ``$GREENROOM_BENCH_RUNS`` (default 3; quick: 1 run of
    the first case); skipped rows when ../shared/vpg is absent."""
    from .bench import bench_runs

    return _loss_rows(MESH_SETTINGS, "vpg", "mesh", 1 if quick else (bench_runs() or 3), quick)
