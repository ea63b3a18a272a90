"""Ground truth for labels and baselines: ray-cast free distances along the direction grid.

Frames: grid directions are REP-103 (x forward, y left, z up) in the camera's frame (the body
frame turned by the camera's mount pitch); MuJoCo cameras look along their -z with +y up, so a
direction (x, y, z) is (-y, z, -x) in MuJoCo camera axes.
"""
from __future__ import annotations

import mujoco
import numpy as np

from .grid import DirectionGrid

# REP-103 camera-frame vector -> MuJoCo camera-axes vector
_REP103_TO_MJCAM = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])


def grid_free_distances(model: mujoco.MjModel, data: mujoco.MjData, camera_id: int, exclude_body: int,
                        grid: DirectionGrid, geomgroup: np.ndarray, max_range: float) -> np.ndarray:
    """(rows, cols) float32 distance (m) from the camera to the first geom of ``geomgroup`` hit
    along each grid direction (``mj_multiRay``), ``max_range`` when nothing is hit closer."""
    cam_dirs = grid.directions() @ _REP103_TO_MJCAM.T
    xmat = data.cam_xmat[camera_id].reshape(3, 3)
    world_dirs = np.ascontiguousarray((cam_dirs @ xmat.T).ravel())
    n = grid.size
    geomid = np.zeros(n, np.int32)
    dist = np.zeros(n, np.float64)
    mujoco.mj_multiRay(model, data, data.cam_xpos[camera_id].copy(), world_dirs, geomgroup, 1, exclude_body,
                       geomid, dist, None, n, max_range)
    dist = np.where((geomid < 0) | (dist < 0), max_range, np.minimum(dist, max_range))
    return dist.reshape(grid.rows, grid.cols).astype(np.float32)


def oracle_index(free: np.ndarray, grid: DirectionGrid, tolerance: float = 0.1) -> int:
    """Index of the grid direction with the most clearance.

    Score of a cell = the smallest free distance over the cell and its left and right grid
    neighbours (a centre-line ray alone ignores the drone's width; vertical neighbours are left
    out because they end on floor or ceiling); among cells within ``tolerance`` m of the best
    score, the one closest to straight ahead wins.
    """
    padded = np.pad(free, ((0, 0), (1, 1)), mode="edge")
    cols = free.shape[1]
    score = np.min([padded[:, 1 + dc:1 + dc + cols] for dc in (-1, 0, 1)], axis=0).ravel()
    candidates = np.flatnonzero(score >= score.max() - tolerance)
    forwardness = grid.directions()[candidates, 0]
    return int(candidates[int(np.argmax(forwardness))])
