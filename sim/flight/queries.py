"""Ground-truth queries of :class:`~.env.FlightEnv`: free distances along the direction grid, clearances,
horizontal rays all around, the camera's depth image, the two oracles' Twists and the top-down map.

:class:`GroundTruthQueries` is a mixin of ``FlightEnv``; it reads the env's current world (``model``,
``data``, ``layout``, ``grid``, ``config``, the oracle action set and the ids ``FlightEnv`` sets when
it builds a world) and changes nothing. Frames and units: see :mod:`.ground_truth` (rays in the
camera's REP-103 frame, distances in m, capped at ``config.max_range``).
"""
from __future__ import annotations

import mujoco
import numpy as np

from .actions import ActionSet
from .config import FlightEnvConfig
from .grid import DirectionGrid
from .ground_truth import grid_clearances, grid_free_distances, ring_free_distances
from .oracles import depth_oracle, map_oracle
from .render_map import draw_map
from .rendering import WorldRenderer
from .world import WorldLayout

ACROSS = 5          # rays per grid cell width of the depth oracle and the labels (free_distances)


class GroundTruthQueries:
    """Read-only ground truth of the env's current state (needs ``reset()`` first)."""

    # set by FlightEnv (__init__ and each world it builds); pose() is FlightEnv.pose
    config: FlightEnvConfig
    grid: DirectionGrid
    oracle_actions: ActionSet
    model: mujoco.MjModel | None
    data: mujoco.MjData | None
    layout: WorldLayout | None
    _camera_id: int
    _drone_id: int
    _ray_groups: np.ndarray
    _scene_option: mujoco.MjvOption
    _renderer: WorldRenderer | None

    def free_distances(self, across: int = 1) -> np.ndarray:
        """(rows, cols) float32 free distance (m) along each grid direction from the camera.

        Rays start at the camera and follow the grid directions in the camera's frame (body
        frame turned by the mount pitch); they hit collision geometry only (walls, furniture,
        floor, ceiling), are centre-line rays (no drone radius), and are capped at
        ``config.max_range``; ``across > 1``: the smallest of that many rays spread over each
        cell's width (the oracles and the labels use 5).
        """
        if self.model is None:
            raise RuntimeError("call reset() before free_distances()")
        return grid_free_distances(self.model, self.data, self._camera_id, self._drone_id, self.grid,
                                   self._ray_groups, self.config.max_range, across)

    def clearances(self, across: int = ACROSS) -> np.ndarray:
        """(rows, cols) float64 clearance (m) of every grid direction: :meth:`free_distances` widened by
        the left and right neighbours, the edge columns' outer neighbours cast one cell beyond the
        image unless ``config.clearance_beyond_fov`` is off (:func:`.ground_truth.grid_clearances`).
        The depth oracle and the stage-1 labels use it."""
        if self.model is None:
            raise RuntimeError("call reset() before clearances()")
        return grid_clearances(self.model, self.data, self._camera_id, self._drone_id, self.grid, self._ray_groups,
                               self.config.max_range, across, self.config.clearance_beyond_fov)

    def camera_depth(self) -> np.ndarray:
        """(H, W) float32 depth image (m, along the optical axis) of the forward camera at the current
        state, capped at ``config.max_range``: what the camera sees (visual geoms), undegraded. Rendered on
        request (also while ``render_enabled`` is False); the observation is not changed."""
        if self.model is None or self._renderer is None:
            raise RuntimeError("call reset() before camera_depth()")
        self._renderer.update_scene(self.data, camera=self._camera_id, scene_option=self._scene_option)
        return np.minimum(self._renderer.render_depth(), self.config.max_range).astype(np.float32)

    @property
    def camera_id(self) -> int:
        """MuJoCo id of the forward camera in the current world's model."""
        return self._camera_id

    @property
    def scene_option(self) -> mujoco.MjvOption:
        """The ``MjvOption`` the camera renders with (visual geom group only)."""
        return self._scene_option

    def ring_distances(self, count: int = 72) -> np.ndarray:
        """(count,) horizontal free distances (m) from the drone's centre, ray k at heading
        ``yaw + 2 pi k / count`` (k = 0 straight ahead, counter-clockwise), capped at ``max_range``."""
        if self.model is None:
            raise RuntimeError("call reset() before ring_distances()")
        return ring_free_distances(self.model, self.data, self._drone_id, self._ray_groups, float(self.pose()[3]),
                                   count, self.config.max_range)

    def depth_oracle_twist(self) -> np.ndarray:
        """Twist of the depth oracle on :attr:`actions` (:func:`.oracles.depth_oracle`; its turn threshold:
        :meth:`ActionSet.for_oracles`)."""
        return depth_oracle(self.clearances(), self.oracle_actions, self.config.collision_radius)

    def map_oracle_twist(self) -> np.ndarray:
        """Twist of the ground-truth map + all-around-rays planner on :attr:`actions` (:func:`.oracles.map_oracle`)."""
        return map_oracle(self.pose(), self.layout.spine, self.ring_distances(), self.oracle_actions,
                          self.config.collision_radius)

    def top_down_map(self, trajectory: np.ndarray | None = None) -> np.ndarray:
        """(H, W, 3) uint8 top-down map of the current world with an optional (n, >=2) world
        x, y trajectory (m); extent in metres: ``self.layout.bounds``."""
        if self.layout is None:
            raise RuntimeError("call reset() before top_down_map()")
        return draw_map(self.layout, trajectory)
