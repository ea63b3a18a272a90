"""Ground truth for labels and oracles: ray-cast free distances and the label scale.

``grid_free_distances``: along the direction grid from the camera; ``ring_free_distances``:
horizontal rays all around the drone's centre. ``free_space_labels`` turns free distances
into the value scale the policy regresses (normalised discounted collision-free return, see
``greenroom.policies.flight.labels``), so oracles and the policy share one :class:`ActionSet`.

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


def _sub_rays(grid: DirectionGrid, across: int) -> np.ndarray:
    """(size * across, 3) unit rays (camera REP-103 frame): ``across`` rays spread evenly over
    each cell's width (at its centre height), cell-major; ``across = 1`` is the cell centres."""
    offsets = (np.arange(across) + 0.5) / across - 0.5                 # fractions of a cell width
    u = ((np.arange(grid.cols)[:, None] + 0.5 + offsets[None, :]) / grid.cols * 2.0 - 1.0)   # (cols, across)
    v = (np.arange(grid.rows) + 0.5) / grid.rows * 2.0 - 1.0
    uu = np.broadcast_to(u[None], (grid.rows, grid.cols, across))
    vv = np.broadcast_to(v[:, None, None], (grid.rows, grid.cols, across))
    rays = np.stack([np.ones_like(uu), -uu * np.tan(np.radians(grid.hfov_deg) / 2),
                     -vv * np.tan(np.radians(grid.vfov_deg) / 2)], axis=-1).reshape(-1, 3)
    return rays / np.linalg.norm(rays, axis=1, keepdims=True)


def grid_free_distances(model: mujoco.MjModel, data: mujoco.MjData, camera_id: int, exclude_body: int,
                        grid: DirectionGrid, geomgroup: np.ndarray, max_range: float, across: int = 1) -> np.ndarray:
    """(rows, cols) float32 distance (m) from the camera to the first geom of ``geomgroup`` hit
    along each grid direction (``mj_multiRay``), ``max_range`` when nothing is hit closer; with
    ``across > 1`` the smallest over ``across`` rays spread over the cell's width (thin
    furniture between centre rays is not missed)."""
    cam_dirs = _sub_rays(grid, across) @ _REP103_TO_MJCAM.T
    xmat = data.cam_xmat[camera_id].reshape(3, 3)
    world_dirs = np.ascontiguousarray((cam_dirs @ xmat.T).ravel())
    n = len(cam_dirs)
    geomid = np.zeros(n, np.int32)
    dist = np.zeros(n, np.float64)
    mujoco.mj_multiRay(model, data, data.cam_xpos[camera_id].copy(), world_dirs, geomgroup, 1, exclude_body,
                       geomid, dist, None, n, max_range)
    dist = np.where((geomid < 0) | (dist < 0), max_range, np.minimum(dist, max_range))
    return dist.reshape(grid.rows, grid.cols, across).min(axis=2).astype(np.float32)


def grid_clearances(model: mujoco.MjModel, data: mujoco.MjData, camera_id: int, exclude_body: int,
                    grid: DirectionGrid, geomgroup: np.ndarray, max_range: float, across: int,
                    beyond_fov: bool = True) -> np.ndarray:
    """(rows, cols) float64 clearance (m) of each grid direction: the smallest free distance
    (:func:`grid_free_distances`) over the cell and its left and right neighbours (:func:`widened`).

    ``beyond_fov``: the outer neighbour of an edge column is cast one cell width outside the image
    (:meth:`DirectionGrid.extended`); without it the edge columns have none (the image's edge
    stands in). An edge cell flies sideways and yaws toward its side, so the drone's body sweeps
    space the camera does not see: with the edge standing in, the depth oracle flew its side into
    a corner's edge that was clear in every ray it cast (measured on the validation worlds; README).
    """
    outer = 1 if beyond_fov else 0
    free = grid_free_distances(model, data, camera_id, exclude_body, grid.extended(outer), geomgroup, max_range, across)
    return widened(free.astype(np.float64))[:, outer:outer + grid.cols]


def oracle_index(free: np.ndarray, grid: DirectionGrid, tolerance: float = 0.1) -> int:
    """Index of the grid direction with the most clearance.

    Score of a cell = the smallest free distance over the cell and its left and right grid
    neighbours (a centre-line ray alone ignores the drone's width; vertical neighbours are left
    out because they end on floor or ceiling); among cells within ``tolerance`` m of the best
    score, the one closest to straight ahead wins.
    """
    score = widened(free).ravel()
    candidates = np.flatnonzero(score >= score.max() - tolerance)
    forwardness = grid.directions()[candidates, 0]
    return int(candidates[int(np.argmax(forwardness))])


def ring_free_distances(model: mujoco.MjModel, data: mujoco.MjData, body_id: int, geomgroup: np.ndarray,
                        yaw: float, count: int, max_range: float) -> np.ndarray:
    """(count,) float64 horizontal free distances (m) from the body's centre, ray ``k`` at world
    heading ``yaw + 2 pi k / count`` (rad, counter-clockwise; k = 0 straight ahead), capped at
    ``max_range``; centre-line rays (no drone radius)."""
    angles = yaw + 2.0 * np.pi * np.arange(count) / count
    dirs = np.ascontiguousarray(np.stack([np.cos(angles), np.sin(angles), np.zeros(count)], axis=1).ravel())
    geomid = np.zeros(count, np.int32)
    dist = np.zeros(count, np.float64)
    mujoco.mj_multiRay(model, data, data.xpos[body_id].copy(), dirs, geomgroup, 1, body_id, geomid, dist, None,
                       count, max_range)
    return np.where((geomid < 0) | (dist < 0), max_range, np.minimum(dist, max_range))


def discounted_fraction(steps: np.ndarray | int, gamma: float, horizon: int) -> np.ndarray:
    """y(n) = sum_{t < min(n, H)} gamma^t / sum_{t < H} gamma^t in [0, 1] for ``steps`` n survived."""
    n = np.clip(np.asarray(steps, dtype=np.float64), 0, horizon)
    if gamma == 1.0:
        return (n / horizon).astype(np.float32)
    return ((1.0 - gamma ** n) / (1.0 - gamma ** horizon)).astype(np.float32)


def step_lengths(grid: DirectionGrid) -> np.ndarray:
    """(rows, cols) metres flown per control step along each cell at the reference speed (|v| dt)."""
    speeds = np.linalg.norm(grid.twists()[:, :3].astype(np.float64), axis=1)
    return (speeds * grid.control_dt).reshape(grid.rows, grid.cols)


def free_space_steps(free_distances: np.ndarray, grid: DirectionGrid, collision_radius: float) -> np.ndarray:
    """(rows, cols) int collision-free steps along each cell given its free distance (m)."""
    distances = np.asarray(free_distances, dtype=np.float64)
    if distances.shape != grid.shape:
        raise ValueError(f"free_distances has shape {distances.shape}, the grid is {grid.shape}")
    return np.floor(np.maximum(distances - collision_radius, 0.0) / step_lengths(grid) + 1e-9).astype(np.int64)


def free_space_labels(free_distances: np.ndarray, grid: DirectionGrid, collision_radius: float,
                      gamma: float, horizon: int) -> np.ndarray:
    """(rows, cols) float32 values in [0, 1] from free distances (m): ``y(free_space_steps)``."""
    return discounted_fraction(free_space_steps(free_distances, grid, collision_radius), gamma, horizon)


def widened(free: np.ndarray) -> np.ndarray:
    """(rows, cols) free distance of each cell and its left and right neighbours (the minimum):
    a centre-line ray alone ignores the drone's width (vertical neighbours end on floor/ceiling)."""
    padded = np.pad(free, ((0, 0), (1, 1)), mode="edge")
    cols = free.shape[1]
    return np.min([padded[:, 1 + dc:1 + dc + cols] for dc in (-1, 0, 1)], axis=0)
