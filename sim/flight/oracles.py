"""Oracle planners: the ceilings the learned policy is compared with, on the policy's action set.

Both return a Twist ``[vx, vy, vz, yaw_rate]`` (m/s, rad/s, REP-103 body frame) chosen among
the actions of an :class:`~.actions.ActionSet` (the same set the policy flies), so "policy vs
oracle" measures perception, not a different action space.

- :func:`depth_oracle` sees what the camera sees, perfectly: the ray-cast clearance of every
  grid direction (:meth:`FlightEnv.clearances`: free distance widened by the left/right
  neighbours, the edge columns' outer ones cast just beyond the image), turned into values on
  the label scale (:func:`.ground_truth.free_space_labels`) and into a Twist by the action set
  (argmax, speed from clearance, turn in place when nothing ahead is free). It is the policy's
  ceiling given a perfect value grid of one image: the stage-1 labels are these values.
- :func:`map_oracle` uses ground truth freely: the map (the main hallway's centre line,
  ``WorldLayout.spine``) and horizontal rays all around the drone
  (:meth:`FlightEnv.ring_distances`). It pursues a point ``lookahead`` m further along the
  centre line than the drone's projection on it; when that point lies more than
  ``turn_above`` rad off the heading it turns in place toward it (``clearance`` mode; in
  ``cad2rl`` mode, which cannot turn in place, it takes the outermost cell on that side); else
  it flies the centre-row cell closest to the point's bearing at the speed the clearance along
  that bearing gives (the smallest ring distance within +-``width_rad``).
"""
from __future__ import annotations

import math

import numpy as np

from .actions import ActionSet
from .ground_truth import discounted_fraction, free_space_labels

GAMMA, HORIZON = 0.97, 40   # label scale of the values the oracles feed the action set (cpu preset's labels)


def depth_oracle_values(clearance: np.ndarray, actions: ActionSet, collision_radius: float, gamma: float = GAMMA,
                        horizon: int = HORIZON) -> np.ndarray:
    """(rows, cols) float32 values of the depth oracle from grid clearances (m, :meth:`FlightEnv.clearances`)."""
    return free_space_labels(np.asarray(clearance, dtype=np.float64), actions.grid, collision_radius, gamma, horizon)


def depth_oracle(clearance: np.ndarray, actions: ActionSet, collision_radius: float, gamma: float = GAMMA,
                 horizon: int = HORIZON) -> np.ndarray:
    """(4,) float32 Twist of the depth oracle (see the module docstring)."""
    return actions.act(depth_oracle_values(clearance, actions, collision_radius, gamma, horizon))[1]


def spine_progress(spine: np.ndarray, point: np.ndarray) -> float:
    """Arc length (m) along the polyline ``spine`` (k, 2) of the closest point to ``point`` (2,)."""
    best, best_s, start = math.inf, 0.0, 0.0
    for a, b in zip(spine[:-1], spine[1:]):
        ab = b - a
        length = float(np.linalg.norm(ab))
        t = float(np.clip((point - a) @ ab / max(length ** 2, 1e-12), 0.0, 1.0))
        d = float(np.linalg.norm(point - (a + t * ab)))
        if d < best:
            best, best_s = d, start + t * length
        start += length
    return best_s


def spine_point(spine: np.ndarray, s: float) -> np.ndarray:
    """(2,) point at arc length ``s`` (m) along ``spine`` (clamped to its ends)."""
    for a, b in zip(spine[:-1], spine[1:]):
        length = float(np.linalg.norm(b - a))
        if s <= length:
            return a + (b - a) * max(s, 0.0) / max(length, 1e-12)
        s -= length
    return spine[-1].copy()


def map_oracle(pose: np.ndarray, spine: np.ndarray, ring: np.ndarray, actions: ActionSet, collision_radius: float,
               lookahead: float = 1.2, turn_above: float = 0.5, width_rad: float = 0.3, gamma: float = GAMMA,
               horizon: int = HORIZON) -> np.ndarray:
    """(4,) float32 Twist of the ground-truth planner (see the module docstring).

    ``pose``: [x, y, z, yaw] (world, m and rad); ``spine``: (k, 2) centre line (m); ``ring``:
    (n,) horizontal free distances (m), ray k at heading ``yaw + 2 pi k / n``.
    """
    x, y, _, yaw = (float(v) for v in pose)
    here = np.array([x, y])
    target = spine_point(spine, spine_progress(spine, here) + lookahead)
    bearing = math.atan2(target[1] - y, target[0] - x) - yaw
    bearing = (bearing + math.pi) % (2 * math.pi) - math.pi
    grid = actions.grid
    azimuth = grid.angles()[:, 0]
    elevation = grid.angles()[:, 1]
    centre_row = np.abs(elevation) <= np.abs(elevation).min() + 1e-9
    cells = np.flatnonzero(centre_row)
    if abs(bearing) > turn_above and actions.config.mode == "clearance":
        return actions.turn(bearing)
    index = int(cells[np.argmin(np.abs(azimuth[cells] - bearing))])
    n = len(ring)
    offsets = np.arange(-int(math.ceil(width_rad / (2 * math.pi / n))), int(math.ceil(width_rad / (2 * math.pi / n))) + 1)
    k = int(round(azimuth[index] / (2 * math.pi / n)))
    clearance = float(np.min(ring[(k + offsets) % n]))
    step = float(np.linalg.norm(actions.unit[index, :3])) * grid.control_dt
    value = float(discounted_fraction(int(max(clearance - collision_radius, 0.0) / step), gamma, horizon))
    if actions.config.mode == "clearance" and value < actions.config.turn_below:
        return actions.turn(bearing)
    return actions.fly(index, value)
