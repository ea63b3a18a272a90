"""Action geometry shared by the simulator, the trainer and the ROS nodes (numpy only).

An action is ``(primitive, rotation, row, col)`` on a heightmap (VPG's ``[0=push/1=grasp, rot, y, x]``):

- ``rotation`` r in 0..k-1 gives the angle ``theta = 2 pi r / k`` in the world xy plane, measured
  from +x towards +y (counter-clockwise seen from above).
- ``(row, col)`` is the heightmap cell; its centre is the world point
  ``x = x_min + (col + 0.5) res``, ``y = y_min + (row + 0.5) res``, ``z = z_min + height[row, col]``.
- **push**: the closed gripper's fingertips start ``push_depth_offset`` above the cell's surface and move
  ``push_length`` (VPG: 0.10 m) along ``(cos theta, sin theta)``, stopping ``push_edge_margin`` inside
  the workspace edge (VPG stops at the edge itself, which pushes edge blocks out). A push that starts
  within ``push_edge_margin`` of an edge must head inward, at least ``push_edge_min_inward`` (a
  cosine, default 0: not outward) across that edge, or it does not move (:func:`push_reach`; 0.7
  also stops fingers sliding along the edge, which can shove a block lying half over it out). Pushes that cannot travel :data:`MIN_PUSH_TRAVEL` are not
  actions: :func:`valid_push_mask` removes them before the argmax.
- **grasp**: top-down, jaws closing along ``(cos theta, sin theta)`` (so r and r + k/2 are the same
  grasp), fingertips ``grasp_depth`` below the cell's surface (VPG code: 0.04 m sim; paper: 0.03 m),
  never below ``min_grasp_height`` above the table.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from .heightmap import Workspace

PUSH, GRASP = 0, 1
PRIMITIVES = ("push", "grasp")
MIN_PUSH_TRAVEL = 0.01  # m: a push that may travel less is no action (valid_push_mask)


@dataclass(frozen=True)
class PrimitiveGeometry:
    """Sizes (metres) of the two motion primitives; exported in the policy contract."""

    push_length: float = 0.10          # straight push length (VPG: 10 cm)
    push_depth_offset: float = 0.01    # fingertip height above the local surface at the push start
    grasp_depth: float = 0.03          # fingertips below the surface at q (paper 3 cm; code 4 cm)
    min_grasp_height: float = 0.01     # fingertips never below this height above the table
    approach_height: float = 0.15      # pre-grasp / pre-push height above the target
    push_clearance_radius: float = 0.01  # push start height uses the max height within this radius
    push_edge_margin: float = 0.04     # pushes end this far inside the workspace edge (keeps blocks in)
    push_edge_min_inward: float = 0.0  # inside that margin a push must head inward this much (a cosine; 0: any
                                       # push but an outward one; 0.7 also stops pushes along the edge: no
                                       # effect measured on Table I, README)

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"primitive geometry {name} must be >= 0 m; got {value}")
        if self.push_edge_min_inward > 1:
            raise ValueError(f"primitive geometry push_edge_min_inward is a cosine in [0, 1]; got {self.push_edge_min_inward}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def rotation_angle(rotation: int, num_rotations: int) -> float:
    """World-frame angle (rad) of rotation index ``rotation`` out of ``num_rotations``."""
    if not 0 <= rotation < num_rotations:
        raise ValueError(f"rotation must be in 0..{num_rotations - 1}; got {rotation}")
    return 2.0 * np.pi * rotation / num_rotations


def pixel_to_world(row: int, col: int, height_map: np.ndarray, workspace: Workspace, resolution: float) -> np.ndarray:
    """World point (x, y, z) metres of a heightmap cell's centre at its surface height."""
    rows, cols = height_map.shape
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"pixel (row={row}, col={col}) is outside the {rows}x{cols} heightmap")
    return np.array([workspace.x_min + (col + 0.5) * resolution,
                     workspace.y_min + (row + 0.5) * resolution,
                     workspace.z_min + float(height_map[row, col])])


def world_to_pixel(x: float, y: float, workspace: Workspace, resolution: float) -> tuple[int, int]:
    """(row, col) of the cell containing world point (x, y)."""
    return int(np.floor((y - workspace.y_min) / resolution)), int(np.floor((x - workspace.x_min) / resolution))


def local_max_height(height_map: np.ndarray, row: int, col: int, radius_cells: int) -> float:
    r0, c0 = max(0, row - radius_cells), max(0, col - radius_cells)
    return float(height_map[r0:row + radius_cells + 1, c0:col + radius_cells + 1].max())


def push_reach(starts: np.ndarray, direction: np.ndarray, length: float, workspace: Workspace,
               margin: float, min_inward: float = 0.0) -> np.ndarray:
    """How far (m, in [0, length]) pushes from ``starts`` (n, >=2; x, y first) along unit ``direction``
    may go and end inside the workspace shrunk by ``margin``; (n,).

    VPG clips the push end to the workspace edge, but the block ahead of the fingers then ends up
    past the edge; stopping ``margin`` (about a block's half size plus a finger) short keeps it in.
    A push that starts outside the shrunk box gets length 0 unless it heads inward across that edge
    by at least ``min_inward`` (the direction's component towards the inside; an outward push never
    moves).
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    allowed = np.full(len(starts), float(length))
    bounds = ((workspace.x_min + margin, workspace.x_max - margin), (workspace.y_min + margin, workspace.y_max - margin))
    for axis, (low, high) in enumerate(bounds):
        step, at = float(direction[axis]), starts[:, axis]
        if step > 1e-9:
            allowed = np.minimum(allowed, (high - at) / step)
        elif step < -1e-9:
            allowed = np.minimum(allowed, (low - at) / step)
        tol = 1e-9
        allowed[(at < low) & (step < min_inward - tol)] = 0.0   # in the band at the low edge, not inward enough
        allowed[(at > high) & (-step < min_inward - tol)] = 0.0  # ... at the high edge
    return np.maximum(0.0, allowed)


def inside_length(start: np.ndarray, direction: np.ndarray, length: float, workspace: Workspace,
                  margin: float, min_inward: float = 0.0) -> float:
    """:func:`push_reach` of one push start (x, y[, z])."""
    return float(push_reach(np.asarray(start)[None], direction, length, workspace, margin, min_inward)[0])


@lru_cache(maxsize=8)
def valid_push_mask(size: int, workspace: Workspace, resolution: float, num_rotations: int,
                    geometry: PrimitiveGeometry, bounds: Workspace | None = None) -> np.ndarray:
    """(k, S, S) bool: the pushes (rotation, row, col) that may travel at least :data:`MIN_PUSH_TRAVEL`.

    ``workspace`` is the heightmap's box, ``bounds`` the box pushes must end in (default the same;
    smaller when the heightmap has a view margin). Depends on the cells' xy only (read-only,
    cached): outward pushes at the edge and pushes along it (:func:`push_reach`) are False.
    Choosers set the others' Q to -inf before the argmax.
    """
    bounds = workspace if bounds is None else bounds
    rows, cols = np.mgrid[0:size, 0:size]
    starts = np.stack([workspace.x_min + (cols.ravel() + 0.5) * resolution,
                       workspace.y_min + (rows.ravel() + 0.5) * resolution], axis=1)
    mask = np.empty((num_rotations, size, size), dtype=bool)
    for rotation in range(num_rotations):
        angle = rotation_angle(rotation, num_rotations)
        reach = push_reach(starts, np.array([np.cos(angle), np.sin(angle)]), geometry.push_length, bounds,
                           geometry.push_edge_margin, geometry.push_edge_min_inward)
        mask[rotation] = (reach >= MIN_PUSH_TRAVEL).reshape(size, size)
    mask.flags.writeable = False
    return mask


def mask_invalid_pushes(push_maps: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``push_maps`` (k, S, S) with the pushes :func:`valid_push_mask` rules out at -inf (a copy)."""
    return np.where(valid, push_maps, -np.inf).astype(push_maps.dtype, copy=False)


@dataclass(frozen=True)
class PrimitivePlan:
    """World-frame waypoints (metres) of one primitive; the arm executes them in order.

    ``yaw`` (rad, in [0, pi)) is the gripper's jaw-closing direction in the world xy plane: the grasp
    axis for grasps; for pushes it is perpendicular to the push, so the closed fingers push broadside.
    """

    primitive: int
    angle: float
    yaw: float
    target: np.ndarray      # (3,) grasp centre or push start (fingertip position)
    end: np.ndarray         # (3,) push end (== target for grasps)
    approach: np.ndarray    # (3,) point above ``target`` the arm comes from

    def waypoints(self) -> np.ndarray:
        """(n, 3) fingertip positions: approach, target, end, retreat."""
        retreat = self.end + (self.approach - self.target)
        return np.stack([self.approach, self.target, self.end, retreat])


def plan_primitive(action: tuple[int, int, int, int], height_map: np.ndarray, workspace: Workspace,
                   resolution: float, num_rotations: int, geometry: PrimitiveGeometry,
                   bounds: Workspace | None = None) -> PrimitivePlan:
    """Turn a heightmap action into fingertip waypoints in the world frame (see module docstring).

    ``workspace`` is the heightmap's box; pushes end inside ``bounds`` (default the same box).
    """
    bounds = workspace if bounds is None else bounds
    primitive, rotation, row, col = (int(a) for a in action)
    if primitive not in (PUSH, GRASP):
        raise ValueError(f"primitive must be 0 (push) or 1 (grasp); got {primitive}")
    angle = rotation_angle(rotation, num_rotations)
    point = pixel_to_world(row, col, height_map, workspace, resolution)
    direction = np.array([np.cos(angle), np.sin(angle), 0.0])
    floor = workspace.z_min
    if primitive == GRASP:
        z = max(point[2] - geometry.grasp_depth, floor + geometry.min_grasp_height)
        target = np.array([point[0], point[1], z])
        end = target.copy()
    else:
        radius = max(1, int(round(geometry.push_clearance_radius / resolution)))
        z = floor + local_max_height(height_map, row, col, radius) + geometry.push_depth_offset
        target = np.array([point[0], point[1], max(z, floor + geometry.min_grasp_height)])
        end = target + inside_length(target, direction, geometry.push_length, bounds,
                                     geometry.push_edge_margin, geometry.push_edge_min_inward) * direction
    approach = target + np.array([0.0, 0.0, geometry.approach_height])
    yaw = angle if primitive == GRASP else angle + np.pi / 2
    return PrimitivePlan(primitive, angle, float(np.mod(yaw, np.pi)), target, end, approach)
