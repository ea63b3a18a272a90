"""RGB-D image -> orthographic heightmap (VPG's state representation), numpy only.

This module imports neither pybullet nor torch: the simulator and the ROS ``arm_policy``
node build heightmaps with the same :func:`heightmap` call.

Frames and units
----------------
- Camera frame: OpenCV convention, x right, y down, z forward (optical axis), metres.
- ``camera_pose``: 4x4 homogeneous transform *camera -> world* (``p_world = T @ p_cam``).
- World frame: z up, the table top at ``workspace.z_min``; heightmap cells are axis-aligned
  with world x/y (VPG convention): ``row = floor((y - y_min) / resolution)``,
  ``col = floor((x - x_min) / resolution)``. Heights are metres above ``workspace.z_min``.
- Depth images are metres along the optical axis (z, not ray length); 0 or NaN = no reading.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of a ``width`` x ``height`` image (pixels); no distortion."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.fx <= 0 or self.fy <= 0 or self.width <= 0 or self.height <= 0:
            raise ValueError(f"intrinsics need positive fx, fy, width, height; got {self}")

    def scaled(self, width: int, height: int) -> Intrinsics:
        """The same lens at another image size (both axes scaled independently)."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, width, height)

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    def to_dict(self) -> dict[str, float]:
        return {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy, "width": self.width, "height": self.height}

    @classmethod
    def realsense_d415(cls, width: int = 640, height: int = 480) -> Intrinsics:
        """RealSense-like colour intrinsics (VPG sim camera: fx = fy = 618.62 at 640x480)."""
        return cls(618.62, 618.62, 320.0, 240.0, 640, 480).scaled(width, height)


@dataclass(frozen=True)
class Workspace:
    """Axis-aligned workspace box in the world frame (metres). Default: VPG's simulated one."""

    x_min: float = -0.724
    x_max: float = -0.276
    y_min: float = -0.224
    y_max: float = 0.224
    z_min: float = -0.0001
    z_max: float = 0.4

    def __post_init__(self) -> None:
        if not (self.x_min < self.x_max and self.y_min < self.y_max and self.z_min < self.z_max):
            raise ValueError(f"workspace needs min < max on every axis; got {self}")

    @property
    def size(self) -> tuple[float, float]:
        return (self.x_max - self.x_min, self.y_max - self.y_min)

    @property
    def center(self) -> tuple[float, float]:
        return (0.5 * (self.x_min + self.x_max), 0.5 * (self.y_min + self.y_max))

    def shape(self, resolution: float) -> tuple[int, int]:
        """Heightmap (rows, cols) = (y cells, x cells) at ``resolution`` m/cell."""
        return (int(round(self.size[1] / resolution)), int(round(self.size[0] / resolution)))

    def expanded(self, margin: float) -> Workspace:
        """This box grown by ``margin`` m on each side in x and y (z unchanged)."""
        return Workspace(self.x_min - margin, self.x_max + margin, self.y_min - margin, self.y_max + margin,
                         self.z_min, self.z_max)

    def contains_xy(self, xy: np.ndarray, margin: float = 0.0) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64)
        return ((xy[..., 0] >= self.x_min - margin) & (xy[..., 0] <= self.x_max + margin)
                & (xy[..., 1] >= self.y_min - margin) & (xy[..., 1] <= self.y_max + margin))

    def to_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("x_min", "x_max", "y_min", "y_max", "z_min", "z_max")}


def depth_to_points(depth: np.ndarray, intrinsics: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    """Back-project a depth image (H, W) metres to camera-frame points (N, 3) and their flat pixel ids."""
    if depth.shape != (intrinsics.height, intrinsics.width):
        raise ValueError(f"depth image is {depth.shape[::-1]} (w x h) but the intrinsics are for "
                         f"{intrinsics.width}x{intrinsics.height}")
    z = depth.reshape(-1).astype(np.float32, copy=False)
    valid = np.flatnonzero(np.isfinite(z) & (z > 0))
    z = z[valid]
    u = (valid % intrinsics.width).astype(np.float32)
    v = (valid // intrinsics.width).astype(np.float32)
    x = (u - intrinsics.cx) * z / intrinsics.fx
    y = (v - intrinsics.cy) * z / intrinsics.fy
    return np.stack([x, y, z], axis=1), valid


def heightmap(color: np.ndarray, depth: np.ndarray, intrinsics: Intrinsics, camera_pose: np.ndarray,
              workspace: Workspace, resolution: float, below_tolerance: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic colour and height maps of the workspace seen by one RGB-D camera.

    Args:
        color: (H, W, 3) uint8 RGB image registered to ``depth``.
        depth: (H, W) float depth along the optical axis, metres; 0/NaN = hole.
        intrinsics: pinhole model of both images.
        camera_pose: (4, 4) camera -> world transform (OpenCV camera axes).
        workspace: the box that is mapped; points outside it are dropped.
        resolution: cell size in metres (VPG: 0.002).
        below_tolerance: points up to this far (m) below ``z_min`` count as table at height 0 (depth
            noise scatters the table around z_min; VPG drops them, which leaves holes).

    Returns:
        ``(color_map, height_map)``: (rows, cols, 3) uint8 and (rows, cols) float32 metres above
        ``workspace.z_min`` (clipped at ``z_max - z_min``); a cell no point fell into is 0 height
        and black (VPG's ``valid_depth_heightmap``). Each cell takes its *highest* point.
    """
    if color.shape[:2] != depth.shape or color.ndim != 3 or color.shape[2] != 3:
        raise ValueError(f"color must be (H, W, 3) matching depth {depth.shape}; got {color.shape}")
    pose = np.asarray(camera_pose, dtype=np.float64)
    if pose.shape != (4, 4) or not np.all(np.isfinite(pose)):
        raise ValueError(f"camera_pose must be a finite 4x4 transform; got shape {pose.shape}")
    if resolution <= 0:
        raise ValueError(f"resolution must be > 0 m/cell; got {resolution}")
    if depth.shape != (intrinsics.height, intrinsics.width):
        raise ValueError(f"depth image is {depth.shape[::-1]} (w x h) but the intrinsics are for "
                         f"{intrinsics.width}x{intrinsics.height}")
    rows, cols = workspace.shape(resolution)
    # camera-frame rays scaled by depth, then world coordinates, computed per image axis:
    # elementwise float32 work on the full image is ~10x faster than an (N, 3) @ (3, 3) matmul
    z = np.asarray(depth, dtype=np.float32)
    u = (np.arange(intrinsics.width, dtype=np.float32) - np.float32(intrinsics.cx)) / np.float32(intrinsics.fx)
    v = (np.arange(intrinsics.height, dtype=np.float32) - np.float32(intrinsics.cy)) / np.float32(intrinsics.fy)
    xc, yc = u[None, :] * z, v[:, None] * z
    r, t = pose[:3, :3].astype(np.float32), pose[:3, 3].astype(np.float32)
    wx = r[0, 0] * xc + r[0, 1] * yc + r[0, 2] * z + t[0]
    wy = r[1, 0] * xc + r[1, 1] * yc + r[1, 2] * z + t[1]
    wz = r[2, 0] * xc + r[2, 1] * yc + r[2, 2] * z + t[2]
    col = np.floor((wx - np.float32(workspace.x_min)) * np.float32(1.0 / resolution))
    row = np.floor((wy - np.float32(workspace.y_min)) * np.float32(1.0 / resolution))
    inside = ((z > 0) & (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
              & (wz >= np.float32(workspace.z_min - below_tolerance)))  # NaN depth fails every comparison
    cell = (row[inside] * cols + col[inside]).astype(np.int64)
    height = np.clip(wz[inside] - np.float32(workspace.z_min), 0.0, np.float32(workspace.z_max - workspace.z_min))
    rgba = np.zeros((*z.shape, 4), dtype=np.uint8)
    rgba[..., :3] = color
    packed = rgba.view(np.uint32)[..., 0][inside]  # RGB packed in one uint32 per pixel (byte order kept)

    best = np.full(rows * cols, -np.inf, dtype=np.float32)
    np.maximum.at(best, cell, height)  # scatter-max: the highest point of each cell
    top = height >= best[cell]
    color_packed = np.zeros(rows * cols, dtype=np.uint32)
    color_packed[cell[top]] = packed[top]
    color_map = color_packed.view(np.uint8).reshape(rows * cols, 4)[:, :3]
    height_map = np.where(np.isfinite(best), best, 0.0).astype(np.float32).reshape(rows, cols)
    return color_map.reshape(rows, cols, 3), height_map


def fill_holes(color_map: np.ndarray, height_map: np.ndarray, empty: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Fill empty cells (default: height 0 and black) with the max of their 3x3 neighbourhood.

    A perspective camera coarser than the heightmap leaves isolated empty cells; one 3x3 max
    pass closes them without growing objects (only empty cells change).
    """
    if empty is None:
        empty = (height_map <= 0) & ~color_map.any(axis=2)
    padded_h = np.pad(height_map, 1, mode="edge")
    padded_c = np.pad(color_map, ((1, 1), (1, 1), (0, 0)), mode="edge")
    rows, cols = height_map.shape
    stack_h = np.stack([padded_h[dy:dy + rows, dx:dx + cols] for dy in range(3) for dx in range(3)])
    stack_c = np.stack([padded_c[dy:dy + rows, dx:dx + cols] for dy in range(3) for dx in range(3)])
    arg = stack_h.argmax(axis=0)
    fill_h = np.take_along_axis(stack_h, arg[None], axis=0)[0]
    fill_c = np.take_along_axis(stack_c, arg[None, :, :, None], axis=0)[0]
    return (np.where(empty[..., None], fill_c, color_map).astype(np.uint8),
            np.where(empty, fill_h, height_map).astype(np.float32))


def changed_cells(before: np.ndarray, after: np.ndarray, low: float = 0.01, high: float = 0.3) -> int:
    """Number of cells whose height changed by more than ``low`` and at most ``high`` metres (VPG)."""
    diff = np.abs(np.asarray(after, np.float32) - np.asarray(before, np.float32))
    return int(np.count_nonzero((diff > low) & (diff <= high)))


def change_threshold(resolution: float, cells_at_2mm: int = 300) -> int:
    """VPG's 300-cell change threshold at 2 mm, scaled to the same area at ``resolution``."""
    return max(1, int(round(cells_at_2mm * (0.002 / resolution) ** 2)))


def look_at_pose(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([1.0, 0.0, 0.0])) -> np.ndarray:
    """4x4 camera -> world transform of an OpenCV camera at ``eye`` looking at ``target``.

    ``up`` is the world direction that appears at the *top* of the image (-y camera axis).
    """
    eye, target = np.asarray(eye, np.float64), np.asarray(target, np.float64)
    z = target - eye
    z /= np.linalg.norm(z)
    y = -np.asarray(up, np.float64)
    y = y - z * float(y @ z)
    if np.linalg.norm(y) < 1e-9:
        raise ValueError("look_at_pose: 'up' is parallel to the viewing direction")
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose
