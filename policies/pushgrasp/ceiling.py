"""The simulator's grasp-success ceiling: a scripted oracle grasp on isolated and on touching blocks.

If a learned policy's grasp success is far below what a well-placed grasp achieves in the same
simulator, the limit is the policy, not the gripper physics. The oracle knows the scene:

- **isolated**: one block (each of the 9 project shapes, random position and yaw, resting on its
  base). Grasp at its true centre (pybullet pose), jaws closing along its narrower horizontal
  side (block frame extents turned by its settled yaw), snapped to the nearest of the k rotations.
- **isolated_heightmap**: the same scenes, but the grasp is read off the heightmap as a policy
  would: centroid of the block's cells (above 5 mm), jaws along the footprint's minor principal
  axis. The gap to ``isolated`` is what picking from the heightmap costs.
- **touching**: a pair of blocks pressed long side to long side, or a wall of 3-5 cuboids in a
  row (``sim.pushgrasp.testcases.hard_arrangement`` kinds ``pair`` and ``wall``). Grasp the first
  pair block / the middle wall block at its true centre (pybullet pose) with the jaws closing
  perpendicular to the line to its nearest neighbour (along the free side).
- **packed**: ``tight_cluster`` (4-6 blocks in a grid with 2-5 mm gaps): the same oracle on the
  corner block. A grasp has no free side here; these are the scenes a push should open up.

- **on_edge_heightmap** (:func:`run_edge_ceiling`): one block resting across the workspace edge
  (centre U(-1.5, +1) cm across a random side's line, random yaw), partly outside the heightmap,
  grasped as in ``isolated_heightmap``: the blocks VPG-protocol runs end stranded beside.

Each trial runs through ``PushGraspEnv.step`` (the planner, the Panda and the success test the
policy uses), with the training randomization (friction, mass, camera, depth noise). Success =
``info["grasp_success"]``. Rotations: k = 8 (the ``cpu`` preset) and 16 (the paper), so the cost
of the coarser angle shows.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
from tqdm import tqdm

from ...sim.core.rotations import yaw_of
from ..common.bench import BenchResult


def minor_axis_angle(height: np.ndarray, threshold: float = 0.005) -> tuple[int, int, float]:
    """(row, col) of the occupied cells' centroid and the angle (rad, world xy) of their minor axis."""
    rows, cols = np.nonzero(height > threshold)
    if rows.size < 3:
        raise ValueError("no block in the heightmap")
    points = np.stack([cols, rows], axis=1).astype(np.float64)  # x = col, y = row
    centre = points.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(np.cov((points - centre).T))
    minor = vectors[:, int(np.argmin(eigenvalues))]
    return int(round(centre[1])), int(round(centre[0])), float(np.arctan2(minor[1], minor[0]))


def nearest_rotation(angle: float, k: int) -> int:
    """Rotation index whose jaw direction is closest to ``angle`` (r and r + k/2 are the same grasp)."""
    return int(np.round(angle / (2 * np.pi / k))) % k


def run_ceiling(k: int, trials: dict[str, int], seed: int = 0, progress: bool = True) -> dict[str, dict[str, list[bool]]]:
    """{setting: {block kind: [success per trial]}} for settings isolated / touching / packed."""
    from ...sim.pushgrasp.blocks import BLOCK_NAMES, PALETTE, make_block_set
    from ...sim.pushgrasp.config import PushGraspEnvConfig
    from ...sim.pushgrasp.env import PushGraspEnv
    from ...sim.pushgrasp.geometry import GRASP, world_to_pixel
    from ...sim.pushgrasp.testcases import ObjectSpec, hard_arrangement

    config = dataclasses.replace(PushGraspEnvConfig.cpu(), num_rotations=k)
    ws, view, res = config.workspace, config.view, config.resolution
    half = {shape.name: float(shape.extent[2] / 2) for shape in make_block_set()}
    extent = {shape.name: shape.extent for shape in make_block_set()}
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    total = trials.get("isolated", 0) * len(BLOCK_NAMES) * 2 + 2 * trials.get("touching", 0) + trials.get("packed", 0)
    bar = tqdm(total=total, desc=f"grasp ceiling k={k}", unit="grasp", disable=not progress)

    def _grasp(env, action: tuple[int, int, int, int], setting: str) -> bool:
        _, _, _, _, info = env.step(np.array(action))
        bar.update()
        done = [s for v in out[setting].values() for s in v] + [bool(info["grasp_success"])]
        bar.set_postfix_str(f"{setting}, success so far {100 * float(np.mean(done)):.0f}%")
        return bool(info["grasp_success"])

    env = PushGraspEnv(config)
    try:
        for trial in range(trials.get("isolated", 0)):
            for name in BLOCK_NAMES:
                x, y = rng.uniform(ws.x_min + 0.12, ws.x_max - 0.12), rng.uniform(ws.y_min + 0.12, ws.y_max - 0.12)
                spec = ObjectSpec(name, tuple(PALETTE[trial % len(PALETTE)]), (x, y, half[name] + 0.001),
                                  (0.0, 0.0, float(rng.uniform(-np.pi, np.pi))))
                scene_seed = int(rng.integers(2**31 - 1))
                for setting in ("isolated", "isolated_heightmap"):
                    obs, _ = env.reset(seed=scene_seed, options={"objects": [spec]})
                    if setting == "isolated":
                        pose = env.world.object_poses()[0]
                        narrow = 0.0 if extent[name][0] <= extent[name][1] else np.pi / 2
                        angle = yaw_of(pose[3:]) + narrow
                        row, col = world_to_pixel(pose[0], pose[1], view, res)
                    else:
                        row, col, angle = minor_axis_angle(obs["height"])
                    out[setting][name].append(_grasp(env, (GRASP, nearest_rotation(angle, k), row, col), setting))
        for setting, kind in (("touching", "pair"), ("touching", "wall"), ("packed", "tight_cluster")):
            for _ in range(trials.get(setting, 0)):
                objects = hard_arrangement(kind, rng, ws)[:-1]  # without the isolated sanity block
                target = len(objects) // 2 if kind == "wall" else 0
                env.reset(seed=int(rng.integers(2**31 - 1)), options={"objects": objects})
                positions = env.world.object_positions()
                if len(positions) != len(objects):  # a block settled off the workspace: not this trial's point
                    continue
                others = np.delete(positions[:, :2], target, axis=0)
                gap = others[np.argmin(np.linalg.norm(others - positions[target, :2], axis=1))] - positions[target, :2]
                angle = float(np.arctan2(gap[1], gap[0]) + np.pi / 2)
                row, col = world_to_pixel(positions[target, 0], positions[target, 1], view, res)
                out[setting][kind].append(_grasp(env, (GRASP, nearest_rotation(angle, k), row, col), setting))
    finally:
        bar.close()
        env.close()
    return out


def run_edge_ceiling(k: int, trials: int, seed: int = 0, view_margin: float = 0.0) -> dict[str, list[bool]]:
    """{block kind: [success per trial]} of the heightmap-read grasp on a block across the edge, the
    heightmap covering ``view_margin`` m of table beyond the workspace (0: the block is cut off)."""
    from ...sim.pushgrasp.blocks import BLOCK_NAMES, PALETTE, make_block_set
    from ...sim.pushgrasp.config import PushGraspEnvConfig
    from ...sim.pushgrasp.env import PushGraspEnv
    from ...sim.pushgrasp.geometry import GRASP
    from ...sim.pushgrasp.placement import edge_position
    from ...sim.pushgrasp.testcases import ObjectSpec

    config = dataclasses.replace(PushGraspEnvConfig.cpu(), num_rotations=k, view_margin=view_margin)
    half = {shape.name: float(shape.extent[2] / 2) for shape in make_block_set()}
    rng = np.random.default_rng(seed)
    out: dict[str, list[bool]] = defaultdict(list)
    env = PushGraspEnv(config)
    try:
        for trial in tqdm(range(trials), desc=f"grasp ceiling on the edge k={k} margin={view_margin:g} m", unit="round"):
            for name in BLOCK_NAMES:
                x, y = edge_position(config.workspace, rng)
                spec = ObjectSpec(name, tuple(PALETTE[trial % len(PALETTE)]), (x, y, half[name] + 0.001),
                                  (0.0, 0.0, float(rng.uniform(-np.pi, np.pi))))
                obs, info = env.reset(seed=int(rng.integers(2**31 - 1)), options={"objects": [spec]})
                if info["num_objects"] != 1:  # settled entirely outside: not this trial's point
                    continue
                row, col, angle = minor_axis_angle(obs["height"])
                _, _, _, _, info = env.step(np.array((GRASP, nearest_rotation(angle, k), row, col)))
                out[name].append(bool(info["grasp_success"]))
    finally:
        env.close()
    return out


EDGE_VIEW_MARGIN = 0.032  # m: 8 cells at 4 mm, a 128 px heightmap


def bench_grasp_ceiling_edge(quick: bool) -> list[BenchResult]:
    """Scripted grasp success (%) on blocks across the workspace edge, read off the heightmap (k = 8):
    the heightmap ending at the workspace edge, and covering :data:`EDGE_VIEW_MARGIN` beyond it
    (the same blocks and poses: one seed)."""
    rounds = 1 if quick else 10
    return [_ceiling_row("on_edge_heightmap", 8, run_edge_ceiling(8, rounds)),
            _ceiling_row(f"on_edge_heightmap_margin{round(EDGE_VIEW_MARGIN * 1000)}mm", 8,
                         run_edge_ceiling(8, rounds, view_margin=EDGE_VIEW_MARGIN), view_margin=EDGE_VIEW_MARGIN)]


def _ceiling_row(setting: str, k: int, per_kind: dict[str, list[bool]], view_margin: float = 0.0) -> BenchResult:
    """Success (%) over every trial of ``setting`` at ``k`` rotations, with the per-kind rates."""
    flat = [s for v in per_kind.values() for s in v]
    details = {"rotations": k, "trials": len(flat), "preset": "cpu (4 mm heightmap)", "view_margin_m": view_margin,
               "per_kind": {kind: {"success": 100.0 * float(np.mean(v)), "trials": len(v)} for kind, v in per_kind.items()}}
    return BenchResult("pushgrasp", f"grasp_ceiling_{setting}_k{k}", 100.0 * float(np.mean(flat)), "%", "", None, details)


def bench_grasp_ceiling(quick: bool) -> list[BenchResult]:
    """Scripted-oracle grasp success (%), isolated / touching / packed, at k = 8 and 16 (quick: k = 8, few trials)."""
    trials = {"isolated": 1, "touching": 1} if quick else {"isolated": 5, "touching": 12, "packed": 10}
    rows = []
    for k in (8,) if quick else (8, 16):
        rows += [_ceiling_row(setting, k, per_kind) for setting, per_kind in run_ceiling(k, trials).items()]
    return rows
