"""Headless OpenGL defaults for MuJoCo rendering.

MuJoCo picks its GL backend from ``MUJOCO_GL`` when it is first imported, so this must run
before ``import mujoco``: :mod:`greenroom` calls :func:`configure_headless_gl` on import.
Defaults (never overriding what the user set): ``MUJOCO_GL=egl`` when libEGL can be loaded,
otherwise ``osmesa``; ``PYOPENGL_PLATFORM`` to match; ``LP_NUM_THREADS=0`` so Mesa's llvmpipe
rasterizes in the calling thread (fastest for small images and one process per core; see
shared/docs/rendering.md).
"""
from __future__ import annotations

import ctypes.util
import os


def _egl_available() -> bool:
    return ctypes.util.find_library("EGL") is not None


def configure_headless_gl() -> str:
    """Set headless GL defaults in ``os.environ``; return the chosen MuJoCo backend."""
    if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["MUJOCO_GL"] = "egl" if _egl_available() else "osmesa"
    backend = os.environ.get("MUJOCO_GL", "glfw")
    if backend in ("egl", "osmesa"):
        os.environ.setdefault("PYOPENGL_PLATFORM", backend)
    os.environ.setdefault("LP_NUM_THREADS", "0")
    return backend
