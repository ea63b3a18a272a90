"""The ``~/values`` debug image: the policy's direction-grid values as a colour map.

Cell (r, c) of the ``(rows, cols)`` value grid (row 0 = image top, column 0 = left, the
DirectionGrid convention) becomes a ``CELL_PX`` square, coloured with OpenCV's viridis map
after min-max scaling (dark = low value, yellow = high); the best cell (the one the policy
flies toward) is outlined in white.
"""
from __future__ import annotations

import cv2
import numpy as np

CELL_PX = 24


def render_values(values: np.ndarray, cell_px: int = CELL_PX) -> np.ndarray:
    """``(rows, cols)`` float values -> ``(rows*cell_px, cols*cell_px, 3)`` uint8 RGB image."""
    grid = np.nan_to_num(np.atleast_2d(np.asarray(values, dtype=np.float32)), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(grid.min()), float(grid.max())
    scaled = np.zeros(grid.shape, np.uint8) if high - low < 1e-12 else ((grid - low) / (high - low) * 255).astype(np.uint8)
    big = cv2.resize(scaled, (grid.shape[1] * cell_px, grid.shape[0] * cell_px), interpolation=cv2.INTER_NEAREST)
    rgb = cv2.cvtColor(cv2.applyColorMap(big, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)
    row, col = divmod(int(np.argmax(grid)), grid.shape[1])
    cv2.rectangle(rgb, (col * cell_px, row * cell_px), ((col + 1) * cell_px - 1, (row + 1) * cell_px - 1),
                  (255, 255, 255), 2)
    return rgb
