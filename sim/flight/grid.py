"""CAD2RL's action representation: a rows x cols grid of flight directions over the image.

Pure numpy (no MuJoCo): the trainer, the evaluation, the ONNX contract and the ROS node share
this one implementation.

Geometry. Cell (r, c) has index ``r * cols + c``; row 0 is the top of the image, column 0 the
left. Its direction is the ray of a pinhole camera through the cell centre, in the REP-103
body frame (x forward, y left, z up): with normalised image coordinates
``u = (c + 0.5) / cols * 2 - 1`` (right +) and ``v = (r + 0.5) / rows * 2 - 1`` (down +), the
unnormalised ray is ``(1, -u tan(hfov/2), -v tan(vfov/2))``.

Twist of a cell (``[vx, vy, vz, yaw_rate]``, m/s and rad/s, body frame): fly along the cell's
direction at ``forward_speed`` in the horizontal plane (vx = s cos(az), vy = s sin(az)), climb
at ``s tan(el)`` clipped to ``max_vertical_speed``, and turn toward the direction at
``az / control_dt`` clipped to ``max_yaw_rate`` (the heading would reach the direction within
one control step if the rate were unlimited).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


class DirectionGrid:
    """A rows x cols grid of image directions, each mapped to a body-frame Twist.

    Args:
        rows, cols: grid shape (>= 1 each).
        hfov_deg, vfov_deg: camera fields of view (deg), in (0, 180).
        forward_speed: horizontal speed of every grid action (m/s, > 0).
        max_vertical_speed: |vz| clip (m/s, >= 0).
        max_yaw_rate: |yaw_rate| clip (rad/s, >= 0).
        control_dt: control period (s, > 0).
    """

    def __init__(self, rows: int, cols: int, hfov_deg: float, vfov_deg: float, forward_speed: float,
                 max_vertical_speed: float, max_yaw_rate: float, control_dt: float) -> None:
        if int(rows) != rows or int(cols) != cols or rows < 1 or cols < 1:
            raise ValueError(f"DirectionGrid needs integer rows, cols >= 1, got {rows}x{cols}")
        for name, value in (("hfov_deg", hfov_deg), ("vfov_deg", vfov_deg)):
            if not 0 < value < 180:
                raise ValueError(f"DirectionGrid {name} must be in (0, 180) deg, got {value}")
        if forward_speed <= 0 or control_dt <= 0:
            raise ValueError(f"DirectionGrid needs forward_speed > 0 m/s and control_dt > 0 s, "
                             f"got {forward_speed} and {control_dt}")
        if max_vertical_speed < 0 or max_yaw_rate < 0:
            raise ValueError(f"DirectionGrid needs max_vertical_speed >= 0 and max_yaw_rate >= 0, "
                             f"got {max_vertical_speed} and {max_yaw_rate}")
        self.rows, self.cols = int(rows), int(cols)
        self.hfov_deg, self.vfov_deg = float(hfov_deg), float(vfov_deg)
        self.forward_speed = float(forward_speed)
        self.max_vertical_speed = float(max_vertical_speed)
        self.max_yaw_rate = float(max_yaw_rate)
        self.control_dt = float(control_dt)
        self._directions = self._compute_directions()
        self._twists = np.stack([self._twist_of(d) for d in self._directions]).astype(np.float32)
        self._extended: dict[int, DirectionGrid] = {0: self}   # extended(), built once per width

    @classmethod
    def from_config(cls, config: Any) -> "DirectionGrid":
        """Build from a :class:`~greenroom.sim.flight.config.FlightEnvConfig`."""
        return cls(config.grid_rows, config.grid_cols, config.hfov_deg, config.vfov_deg,
                   config.forward_speed, config.max_vertical_speed, config.max_yaw_rate, config.control_dt)

    def extended(self, extra: int) -> "DirectionGrid":
        """This grid with ``extra`` more columns on each side, beyond the image: the field of view
        grows so that every cell keeps its width in the image plane, and column ``c`` here is column
        ``c + extra`` there (same rays). For ground truth only (labels, oracles): rays can look
        outside the camera's view, the policy cannot. Built once per ``extra`` (the clearances ask
        for it every control step); ``extended(0)`` is this grid."""
        if int(extra) != extra or extra < 0:
            raise ValueError(f"extended needs an integer extra >= 0 columns, got {extra}")
        extra = int(extra)
        if extra not in self._extended:
            cols = self.cols + 2 * extra
            half = math.atan(math.tan(math.radians(self.hfov_deg) / 2) * cols / self.cols)
            self._extended[extra] = DirectionGrid(self.rows, cols, math.degrees(2 * half), self.vfov_deg,
                                                  self.forward_speed, self.max_vertical_speed, self.max_yaw_rate,
                                                  self.control_dt)
        return self._extended[extra]

    @property
    def size(self) -> int:
        """Number of cells (rows * cols)."""
        return self.rows * self.cols

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    def _compute_directions(self) -> np.ndarray:
        u = (np.arange(self.cols) + 0.5) / self.cols * 2.0 - 1.0   # right +
        v = (np.arange(self.rows) + 0.5) / self.rows * 2.0 - 1.0   # down +
        vv, uu = np.meshgrid(v, u, indexing="ij")
        rays = np.stack([np.ones_like(uu),
                         -uu * math.tan(math.radians(self.hfov_deg) / 2),
                         -vv * math.tan(math.radians(self.vfov_deg) / 2)], axis=-1).reshape(-1, 3)
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    def directions(self) -> np.ndarray:
        """(size, 3) float64 unit vectors in the body frame (x forward, y left, z up)."""
        return self._directions.copy()

    def angles(self) -> np.ndarray:
        """(size, 2) [azimuth (left +), elevation (up +)] in radians."""
        d = self._directions
        return np.stack([np.arctan2(d[:, 1], d[:, 0]), np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1]))], axis=1)

    def _twist_of(self, direction: np.ndarray) -> np.ndarray:
        azimuth = math.atan2(direction[1], direction[0])
        elevation = math.atan2(direction[2], math.hypot(direction[0], direction[1]))
        s = self.forward_speed
        vz = float(np.clip(s * math.tan(elevation), -self.max_vertical_speed, self.max_vertical_speed))
        yaw_rate = float(np.clip(azimuth / self.control_dt, -self.max_yaw_rate, self.max_yaw_rate))
        return np.array([s * math.cos(azimuth), s * math.sin(azimuth), vz, yaw_rate], dtype=np.float32)

    def twist(self, index: int) -> np.ndarray:
        """(4,) float32 Twist [vx, vy, vz, yaw_rate] (m/s, rad/s, body frame) of cell ``index``."""
        index_int = int(index)
        if index_int != index or not 0 <= index_int < self.size:
            raise IndexError(f"grid index must be an integer in [0, {self.size}), got {index}")
        return self._twists[index_int].copy()

    def twists(self) -> np.ndarray:
        """(size, 4) float32 Twists of every cell, in index order."""
        return self._twists.copy()

    def index(self, row: int, col: int) -> int:
        """Flat index of cell (row, col)."""
        if not (0 <= row < self.rows and 0 <= col < self.cols):
            raise IndexError(f"cell ({row}, {col}) outside a {self.rows}x{self.cols} grid")
        return int(row) * self.cols + int(col)

    def cell(self, index: int) -> tuple[int, int]:
        """(row, col) of a flat index."""
        if not 0 <= int(index) < self.size:
            raise IndexError(f"grid index must be in [0, {self.size}), got {index}")
        return divmod(int(index), self.cols)

    def center_index(self) -> int:
        """Index of the cell closest to straight ahead (smallest angle to the x axis)."""
        return int(np.argmax(self._directions[:, 0]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (embedded in the ONNX contract)."""
        return {"rows": self.rows, "cols": self.cols, "hfov_deg": self.hfov_deg, "vfov_deg": self.vfov_deg,
                "forward_speed": self.forward_speed, "max_vertical_speed": self.max_vertical_speed,
                "max_yaw_rate": self.max_yaw_rate, "control_dt": self.control_dt}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DirectionGrid":
        """Inverse of :meth:`to_dict`; a missing or unknown key is a ValueError naming it."""
        keys = ("rows", "cols", "hfov_deg", "vfov_deg", "forward_speed", "max_vertical_speed",
                "max_yaw_rate", "control_dt")
        missing = [k for k in keys if k not in d]
        unknown = [k for k in d if k not in keys]
        if missing or unknown:
            raise ValueError(f"DirectionGrid dict: missing keys {missing}, unknown keys {unknown}; "
                             f"expected exactly {', '.join(keys)}")
        return cls(int(d["rows"]), int(d["cols"]), *(float(d[k]) for k in keys[2:]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DirectionGrid) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"DirectionGrid({self.rows}x{self.cols}, hfov={self.hfov_deg} deg, vfov={self.vfov_deg} deg, "
                f"speed={self.forward_speed} m/s)")
