"""Which top-down grasps the simulated Panda reaches: a bench of the arm, not of a policy.

For a grid of points over the workspace (``step`` m apart, 1 cm inside the edges) and every one of
the k rotations, the grasp primitive's motion is replayed kinematically, as ``PushGraspWorld.execute``
runs it: home, :meth:`Arm.teleport` to the approach pose 15 cm above the target, then IK down to the
target 2 cm above the table. A pose counts as unreachable when the tool ends more than 1.5 cm from
the target (the test ``Arm.move_linear`` reports as ``reached``). ``tool_yaw_model`` ``legacy`` always
uses the hand yaw in [-pi/2, pi/2); ``either`` also tries that yaw + pi (the jaws are symmetric) and
keeps the branch that reaches. The policy chooses every (cell, rotation): an unreachable one is a
grasp that fails without changing the scene, and VPG's protocol (no failure mask) repeats it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..common.bench import BenchResult

REACH_TOLERANCE = 0.015  # m, as Arm.move_linear
TARGET_HEIGHT = 0.02     # m above the table: a grasp on a 5 cm block, 3 cm deep


def grasp_reach(tool_yaw_model: str, k: int = 16, step: float = 0.04) -> dict[str, object]:
    """{"unreachable": share of (point, rotation) poses, "poses": count, "by_x": {x (m): share}}."""
    from ...sim.pushgrasp.config import PushGraspEnvConfig
    from ...sim.pushgrasp.geometry import rotation_angle
    from ...sim.pushgrasp.world import PushGraspWorld

    config = dataclasses.replace(PushGraspEnvConfig.cpu(), num_rotations=k, tool_yaw_model=tool_yaw_model)
    ws, approach = config.workspace, config.geometry.approach_height
    world = PushGraspWorld(config)
    xs = np.arange(ws.x_min + 0.01, ws.x_max - 0.01 + 1e-9, step)
    ys = np.arange(ws.y_min + 0.01, ws.y_max - 0.01 + 1e-9, step)
    misses = np.zeros((len(xs), len(ys), k), dtype=bool)
    try:
        arm = world.arm
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                target = np.array([x, y, ws.z_min + TARGET_HEIGHT])
                above = target + np.array([0.0, 0.0, approach])
                for r in range(k):
                    yaw = float(np.mod(rotation_angle(r, k), np.pi))
                    arm.go_home()
                    arm.teleport(above, yaw, through=(target,), either_branch=tool_yaw_model == "either")
                    misses[i, j, r] = arm.solve(target, yaw) > REACH_TOLERANCE
    finally:
        world.close()
    return {"unreachable": float(misses.mean()), "poses": int(misses.size),
            "by_x": {f"{x:.3f}": float(misses[i].mean()) for i, x in enumerate(xs)}}


def bench_grasp_reach(quick: bool) -> list[BenchResult]:
    """Share (%) of top-down grasp poses the arm cannot reach, pre-fix arm vs either hand yaw (k = 16)."""
    rows = []
    for model in ("legacy", "either"):
        reach = grasp_reach(model, step=0.12 if quick else 0.04)
        details = {"tool_yaw_model": model, "rotations": 16, "poses": reach["poses"], "by_x_unreachable": reach["by_x"],
                   "tolerance_m": REACH_TOLERANCE, "target_height_m": TARGET_HEIGHT}
        rows.append(BenchResult("pushgrasp", f"grasp_unreachable_{model}", 100.0 * reach["unreachable"], "%", "", None,
                                details))
    return rows
