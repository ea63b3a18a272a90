"""One offscreen renderer per env that survives world changes.

:class:`WorldRenderer` is a ``mujoco.Renderer`` that can switch to a newly compiled model while
keeping its EGL/OSMesa context. On llvmpipe a fresh ``mujoco.Renderer`` costs ~140 ms (context
creation and shader compilation), a new ``MjrContext`` in the existing context ~2 ms, so world
regeneration stays cheap. ``mujoco.Renderer`` has no public API for this; :meth:`set_model`
redoes the model-dependent part of its ``__init__`` (the only private attributes touched are
those ``__init__`` creates) and falls back to a full re-initialisation if they are missing.
"""
from __future__ import annotations

import mujoco
import numpy as np

_FONT_SCALE = mujoco.mjtFontScale.mjFONTSCALE_50
_MAX_GEOM = 1000


class WorldRenderer(mujoco.Renderer):
    """``mujoco.Renderer`` (RGB and depth, no shadows, no MSAA when the model says so) with
    :meth:`set_model`. Call ``mj_forward`` (or ``mj_kinematics`` + ``mj_camlight``) before
    ``update_scene``."""

    def __init__(self, model: mujoco.MjModel, height: int, width: int) -> None:
        super().__init__(model, height=height, width=width, max_geom=_MAX_GEOM, font_scale=_FONT_SCALE)

    def set_model(self, model: mujoco.MjModel) -> None:
        """Render ``model`` from now on, reusing the GL context (new MjrContext and MjvScene)."""
        gl = getattr(self, "_gl_context", None)
        old = getattr(self, "_mjr_context", None)
        if old is None or not hasattr(self, "_scene"):   # private layout changed: start over
            self.close()
            super().__init__(model, height=self.height, width=self.width, max_geom=_MAX_GEOM, font_scale=_FONT_SCALE)
            return
        if gl is not None:
            gl.make_current()
        old.free()
        self._mjr_context = mujoco.MjrContext(model, _FONT_SCALE.value)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN.value, self._mjr_context)
        self._mjr_context.readDepthMap = mujoco.mjtDepthMap.mjDEPTH_ZEROFAR
        self._scene = mujoco.MjvScene(model=model, maxgeom=_MAX_GEOM)
        self._model = model

    def render_depth(self) -> np.ndarray:
        """(H, W) float32 metric depth (m) of the scene last passed to ``update_scene``; the renderer
        stays in RGB mode afterwards."""
        self.enable_depth_rendering()
        try:
            return self.render()
        finally:
            self.disable_depth_rendering()
