"""Perspective RGB-D rendering with pybullet's TinyRenderer from OpenCV-style intrinsics + pose.

TinyRenderer's *orthographic* depth is wrong (see docs/rendering.md), so the simulator renders a
perspective RGB-D image, exactly like a RealSense, and builds the heightmap by reprojection
(:func:`greenroom.sim.pushgrasp.heightmap.heightmap`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pybullet as p

from .heightmap import Intrinsics


@dataclass(frozen=True)
class LightSettings:
    direction: tuple[float, float, float] = (0.3, 0.3, 2.0)
    ambient: float = 0.6
    diffuse: float = 0.5
    specular: float = 0.1


def view_matrix(camera_pose: np.ndarray) -> list[float]:
    """OpenGL view matrix (column-major, 16 floats) of an OpenCV camera -> world pose."""
    world_to_cv = np.linalg.inv(camera_pose)
    cv_to_gl = np.diag([1.0, -1.0, -1.0, 1.0])
    return list((cv_to_gl @ world_to_cv).T.reshape(-1))


def projection_matrix(k: Intrinsics, near: float, far: float) -> list[float]:
    """OpenGL projection (column-major) reproducing pinhole intrinsics ``k`` (rows top-down)."""
    w, h = k.width, k.height
    m = np.array([
        [2 * k.fx / w, 0.0, 1.0 - 2 * k.cx / w, 0.0],
        [0.0, 2 * k.fy / h, 2 * k.cy / h - 1.0, 0.0],
        [0.0, 0.0, -(far + near) / (far - near), -2 * far * near / (far - near)],
        [0.0, 0.0, -1.0, 0.0]])
    return list(m.T.reshape(-1))


def render_rgbd(client: int, intrinsics: Intrinsics, camera_pose: np.ndarray, light: LightSettings,
                near: float = 0.05, far: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Render (H, W, 3) uint8 RGB and (H, W) float32 depth in metres along the optical axis."""
    _, _, rgba, depth_buffer, _ = p.getCameraImage(
        intrinsics.width, intrinsics.height, view_matrix(camera_pose), projection_matrix(intrinsics, near, far),
        lightDirection=list(light.direction), lightAmbientCoeff=light.ambient, lightDiffuseCoeff=light.diffuse,
        lightSpecularCoeff=light.specular, shadow=0, renderer=p.ER_TINY_RENDERER,
        flags=p.ER_NO_SEGMENTATION_MASK, physicsClientId=client)
    rgba = np.asarray(rgba, dtype=np.uint8).reshape(intrinsics.height, intrinsics.width, 4)
    buffer = np.asarray(depth_buffer, dtype=np.float32).reshape(intrinsics.height, intrinsics.width)
    depth = far * near / (far - (far - near) * buffer)
    depth[buffer >= 1.0] = 0.0  # background: no reading
    return np.ascontiguousarray(rgba[..., :3]), depth.astype(np.float32)


def corrupt_depth(depth: np.ndarray, noise_std: float, hole_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise (std metres) and random holes (depth 0) as a RealSense produces."""
    out = depth.copy()
    if noise_std > 0:
        out += rng.normal(0.0, noise_std, size=out.shape).astype(np.float32)
    if hole_fraction > 0:
        out[rng.random(out.shape) < hole_fraction] = 0.0
    out[depth <= 0] = 0.0
    return out
