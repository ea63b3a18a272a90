"""ROS message fields <-> numpy for the arm nodes: depth images, camera_info, poses, Q-maps.

ROS-free (plain attribute access on message objects), so it is unit-tested without DDS.

- Depth (REP-118): ``32FC1`` metres or ``16UC1`` millimetres along the optical axis; 0 / NaN
  = no reading. Returned as float32 metres (H, W).
- ``camera_info``: the ``K`` matrix (row-major 3x3, pixels) and image size -> Intrinsics.
- Camera pose parameter: xyz (m) + quaternion (x, y, z, w) of the *optical* camera frame
  (OpenCV axes: x right, y down, z forward) in the base frame -> 4x4 camera -> base transform:
  :func:`greenroom.sim.core.rotations.pose_matrix` (all rotation math lives there).
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ...policies.runtime.image import ImageError
from ...policies.runtime.pushgrasp import Intrinsics

DEPTH_ENCODINGS = {"32FC1": (np.dtype("<f4"), 1.0), "16UC1": (np.dtype("<u2"), 0.001)}
"""Depth encoding -> (little-endian element dtype, metres per unit)."""

MAX_DEPTH_M = 20.0
"""Readings beyond this many metres are treated as holes (sensor garbage)."""


def depth_msg_to_metres(msg: Any) -> np.ndarray:
    """A ``sensor_msgs/Image`` depth frame -> float32 (H, W) metres, holes as 0.

    Raises:
        ImageError: unsupported encoding, zero size, bad step or data length.
    """
    try:
        encoding, width, height, step = str(msg.encoding), int(msg.width), int(msg.height), int(msg.step)
        data, big_endian = msg.data, bool(msg.is_bigendian)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ImageError(f"not a depth image message: {exc}") from None
    if encoding not in DEPTH_ENCODINGS:
        raise ImageError(f"unsupported depth encoding {encoding!r}; expected 32FC1 (m) or 16UC1 (mm)")
    dtype, scale = DEPTH_ENCODINGS[encoding]
    if big_endian:
        dtype = dtype.newbyteorder(">")
    if width <= 0 or height <= 0:
        raise ImageError(f"depth image has zero size ({width}x{height} pixels)")
    row_bytes = width * dtype.itemsize
    if step < row_bytes:
        raise ImageError(f"depth step {step} bytes is shorter than a {encoding} row of {width} pixels ({row_bytes} bytes)")
    zero_copy = isinstance(data, (bytes, bytearray, memoryview)) or (isinstance(data, np.ndarray) and data.dtype == np.uint8)
    flat = np.frombuffer(data if zero_copy else bytes(data), np.uint8)
    if flat.size != step * height:
        raise ImageError(f"depth data has {flat.size} bytes; expected step*height = {step * height}")
    rows = flat.reshape(height, step)[:, :row_bytes]
    depth = np.ascontiguousarray(rows).view(dtype).reshape(height, width).astype(np.float32) * np.float32(scale)
    depth[~np.isfinite(depth) | (depth < 0) | (depth > MAX_DEPTH_M)] = 0.0
    return depth


def intrinsics_from_camera_info(msg: Any) -> Intrinsics:
    """``sensor_msgs/CameraInfo`` -> Intrinsics (pinhole from ``k``; distortion is ignored).

    Raises:
        ValueError: zero size or a non-positive focal length.
    """
    k = np.asarray(msg.k, dtype=np.float64).reshape(3, 3)
    width, height = int(msg.width), int(msg.height)
    if not np.all(np.isfinite(k)) or k[0, 0] <= 0 or k[1, 1] <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"camera_info has no usable intrinsics (k={k.ravel().tolist()}, size {width}x{height})")
    return Intrinsics(float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]), width, height)


def qmap_to_rgb(q_map: np.ndarray, pixel: tuple[int, int] | None = None) -> np.ndarray:
    """A Q-map (H, W) float -> (H, W, 3) uint8 RGB (JET colour map, min..max), chosen pixel ringed."""
    q = np.nan_to_num(np.asarray(q_map, dtype=np.float32))
    low, high = float(q.min()), float(q.max())
    scaled = np.zeros(q.shape, np.uint8) if high - low < 1e-12 else ((q - low) / (high - low) * 255).astype(np.uint8)
    rgb = cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    if pixel is not None:
        radius = max(2, q.shape[0] // 40)
        cv2.circle(rgb, (int(pixel[1]), int(pixel[0])), radius, (255, 255, 255), 1)
    return rgb
