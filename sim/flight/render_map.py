"""Top-down map of a flight world: free floor, walls, furniture and a trajectory (numpy raster).

Row 0 of the image is the *largest* world y, so the picture reads like a map (x right, y up);
``PX_PER_CELL`` pixels per occupancy cell of ``world.CELL`` m.
"""
from __future__ import annotations

import cv2
import numpy as np

from .world import CELL, WorldLayout

PX_PER_CELL = 4
FREE_RGB = (235, 235, 230)
SOLID_RGB = (60, 60, 70)
FURNITURE_RGB = (150, 120, 90)
PATH_RGB = (220, 30, 30)
START_RGB = (30, 160, 30)


def _to_px(layout: WorldLayout, xy: np.ndarray, height: int) -> np.ndarray:
    """World (x, y) in metres -> (row, col) pixel coordinates (float)."""
    scale = PX_PER_CELL / CELL
    col = (xy[:, 0] - layout.origin[0]) * scale
    row = height - (xy[:, 1] - layout.origin[1]) * scale
    return np.stack([row, col], axis=1)


def draw_map(layout: WorldLayout, trajectory: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8 map; ``trajectory`` is an (n, >=2) array of world x, y (m)."""
    free = np.kron(layout.free[::-1], np.ones((PX_PER_CELL, PX_PER_CELL), bool))
    height, width = free.shape
    image = np.empty((height, width, 3), np.uint8)
    image[:] = SOLID_RGB
    image[free] = FREE_RGB
    scale = PX_PER_CELL / CELL
    for prim in layout.primitives:
        if not prim.furniture:
            continue
        if prim.kind == "cylinder":
            hx = hy = prim.size[0]
        else:
            hx, hy = prim.size[0], prim.size[1]
        c, s = np.cos(prim.yaw), np.sin(prim.yaw)
        local = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
        corners = np.array(prim.pos[:2]) + local @ np.array([[c, s], [-s, c]])
        rc = _to_px(layout, corners, height)
        cv2.fillConvexPoly(image, np.rint(rc[:, ::-1]).astype(np.int32), FURNITURE_RGB)
    if trajectory is not None and len(trajectory):
        xy = np.asarray(trajectory, dtype=np.float64)[:, :2]
        r, c = np.rint(_to_px(layout, xy[:1], height)[0]).astype(int)
        image[max(r - 3, 0):r + 4, max(c - 3, 0):c + 4] = START_RGB   # start square under the path
        dense = [xy[:1]]
        for a, b in zip(xy[:-1], xy[1:]):   # rasterize each segment at sub-pixel spacing
            n = max(2, int(np.linalg.norm(b - a) * scale * 2) + 1)
            dense.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
        px = np.rint(_to_px(layout, np.concatenate(dense), height)).astype(int)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = px[:, 0] + dr, px[:, 1] + dc
                ok = (rr >= 0) & (rr < height) & (cc >= 0) & (cc < width)
                image[rr[ok], cc[ok]] = PATH_RGB
    return image


def map_extent(layout: WorldLayout) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) in metres of :func:`draw_map`'s image (for ``imshow(extent=...)``)."""
    return layout.bounds
