"""``greenroom/PushGrasp-v0``: VPG's push-and-grasp task as a Gymnasium env (pybullet).

## Description
A Franka Panda (parallel gripper) faces a 0.448 m square workspace on a table with toy blocks
dropped at random (10 by default; 30 for the clutter test), each onto a pile at rest as VPG's 2 s
wait per object leaves it (``config.drop_model``). Each step executes one motion
primitive chosen on the current heightmap: a 10 cm push or a top-down grasp at a cell in one of
``k`` orientations (Zeng et al., IROS 2018). A grasped block is removed from the scene.

## Observation space (``Dict``)
| key | shape | dtype | meaning |
|---|---|---|---|
| ``color`` | (S, S, 3) | uint8 | orthographic colour heightmap, RGB |
| ``height`` | (S, S) | float32 | metres above the table, in [0, z_max - z_min] |

Row ``i`` is world ``y = y_min + (i + 0.5) res``; column ``j`` is world ``x = x_min + (j + 0.5) res``
(VPG world frame, z up) of the heightmap's box ``config.view``: the workspace grown by
``view_margin`` (default 0: the workspace). ``S = (0.448 + 2 view_margin) / res`` (cpu 112, paper
224, smoke 64 at margin 0). Grasps may target any cell; pushes end inside the workspace.

## Action space (``MultiDiscrete([2, k, S, S])``)
``(primitive, rotation, row, col)``: primitive 0 = push, 1 = grasp; rotation r means the angle
``2 pi r / k`` from +x towards +y (push direction / jaw-closing direction); geometry in
``greenroom.sim.pushgrasp.geometry``.

## Reward (VPG)
``reward = grasp + push``: ``grasp`` = 1.0 when the grasp holds a block; ``push`` = 0.5 when a push
changed the heightmap (more than VPG's 300 cells at 2 mm, area-scaled, moved by 1-30 cm) and kept
every block in the workspace (VPG also rewards pushing blocks out, which then can never be
grasped). The terms are in ``info["reward_terms"]``.

## Episode end
- terminated: no block left in view (all grasped, or pushed entirely out of the heightmap).
- truncated: ``max_no_change`` (10) consecutive actions without change, ``max_actions``, or a
  broken simulator state that was recovered (``info["recovered"]``).

## Reset options
``{"objects": [ObjectSpec, ...]}`` places an arrangement (e.g. from ``load_vpg_test_case``);
``{"num_objects": n}`` drops n random blocks; default: ``config.num_objects`` random blocks (with
``config.num_objects_max``: a number drawn uniformly from ``num_objects..num_objects_max`` with the
reset's generator, reported in ``info["num_objects"]``; with ``config.edge_objects``, that many of
them land on the workspace edge instead, partly outside the heightmap);
``"blocks"``: a folder of .obj meshes to draw them from instead of ``config.blocks`` (this reset only).

## Info
``grasp_success``, ``changed`` (bool), ``changed_cells``, ``num_objects`` (blocks in the scene now),
``objects_on_edge`` (of those, blocks on the workspace edge: ``PushGraspWorld.objects_on_edge``),
``reward_terms``, ``randomization`` (samples of this episode), ``recovered``, ``lost_objects``.
"""
from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet as p
from gymnasium import spaces

from ..core.randomization import sample_groups
from .config import PushGraspEnvConfig
from .geometry import GRASP, PUSH
from .heightmap import change_threshold, changed_cells
from .world import PushGraspWorld

GRASP_REWARD = 1.0
PUSH_REWARD = 0.5


class PushGraspEnv(gym.Env):
    """See the module docstring."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(self, config: PushGraspEnvConfig | None = None, render_mode: str | None = None) -> None:
        self.config = config or PushGraspEnvConfig.cpu()
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array'; got {render_mode!r}")
        self.render_mode = render_mode
        size = self.config.heightmap_size
        z_range = self.config.workspace.z_max - self.config.workspace.z_min
        self.observation_space = spaces.Dict({
            "color": spaces.Box(0, 255, (size, size, 3), np.uint8),
            "height": spaces.Box(0.0, z_range, (size, size), np.float32),
        })
        self.action_space = spaces.MultiDiscrete([2, self.config.num_rotations, size, size])
        self.world = PushGraspWorld(self.config)
        self.change_cells = change_threshold(self.config.resolution)
        self.clear_cells = change_threshold(self.config.resolution, self.config.clear_min_cells_at_2mm)
        self._obs: dict[str, np.ndarray] | None = None
        self._randomization: dict[str, Any] = {}
        self._last_layout: dict[str, Any] = {}

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        episode_seed = int(self.np_random.integers(0, 2**31 - 1))
        self._randomization = sample_groups(self.config.randomization.groups(), episode_seed)
        if "objects" not in options and "num_objects" not in options:
            options["num_objects"] = self._default_object_count()  # kept for a recovery's re-population
            options["edge_objects"] = self.config.edge_objects
        self._last_layout = options
        self._populate(options)
        self.no_change, self.actions = 0, 0
        self._obs = self._observe()
        return self._obs, self._info(recovered=False)

    def _populate(self, options: dict[str, Any]) -> None:
        world = self.world
        world.rebuild()  # a fresh client per episode: deterministic given the seed, no leftover state
        world.apply_randomization(self._randomization)
        if options.get("objects"):
            world.place(list(options["objects"]))
        else:
            n = int(options.get("num_objects", self.config.num_objects))
            on_edge = min(int(options.get("edge_objects", 0)), n)
            meshes = self._mesh_set(options.get("blocks"))
            world.drop_random(n - on_edge, self.np_random, meshes)
            if on_edge:
                world.drop_on_edge(on_edge, self.np_random, meshes)
        world.remove_lost_objects()

    def _default_object_count(self) -> int:
        low, high = self.config.num_objects, self.config.num_objects_max
        return int(self.np_random.integers(low, high + 1)) if high > low else low

    def _mesh_set(self, blocks: str | None = None) -> list[str] | None:
        blocks = blocks or self.config.blocks
        if blocks == "project":
            return None
        from pathlib import Path

        folder = Path(blocks)
        meshes = sorted(str(f) for f in folder.glob("*.obj")) if folder.is_dir() else []
        if not meshes:
            raise FileNotFoundError(f"blocks {blocks!r} is neither 'project' nor a folder of .obj meshes")
        return meshes

    def step(self, action):
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        action = np.asarray(action, dtype=np.int64).reshape(-1)
        if action.shape != (4,) or not self.action_space.contains(action):
            raise ValueError(f"action must be (primitive 0-1, rotation 0-{self.config.num_rotations - 1}, row, col) "
                             f"inside {self.action_space}; got {action.tolist()}")
        before = self._obs["height"]
        recovered = False
        try:
            result = self.world.execute(tuple(int(a) for a in action), before)
            obs = self._observe()
            recovered = result.broken or not self.world.is_sane() or not np.all(np.isfinite(obs["height"]))
        except p.error:
            recovered = True
        if recovered:
            # broken simulator state: rebuild the client and restart the episode's layout
            self._populate(self._last_layout)
            self._obs = self._observe()
            info = self._info(recovered=True)
            info.update(grasp_success=False, changed=False, changed_cells=0, lost_objects=0,
                        reward_terms={"grasp": 0.0, "push": 0.0})
            return self._obs, 0.0, False, True, info
        cells = changed_cells(before, obs["height"])
        grasp_success = bool(action[0] == GRASP and result.grasp_success)
        changed = cells > self.change_cells or grasp_success
        lost = result.removed_out_of_workspace
        terms = {"grasp": GRASP_REWARD if grasp_success else 0.0,
                 "push": PUSH_REWARD if (action[0] == PUSH and changed and not lost) else 0.0}
        self.no_change = 0 if changed else self.no_change + 1
        self.actions += 1
        self._obs = obs
        terminated = len(self.world.objects) == 0
        truncated = (not terminated) and (self.no_change >= self.config.max_no_change
                                          or self.actions >= self.config.max_actions)
        info = self._info(recovered=False)
        info.update(grasp_success=grasp_success, changed=bool(changed), changed_cells=cells,
                    lost_objects=lost, reward_terms=terms)
        return obs, float(sum(terms.values())), terminated, truncated, info

    def render(self):
        if self.render_mode == "rgb_array":
            return self.world.render()[0]
        return None

    def close(self) -> None:
        if getattr(self, "world", None) is not None:
            self.world.close()
            self.world = None  # type: ignore[assignment]

    # -- helpers ------------------------------------------------------------------------------
    def _observe(self) -> dict[str, np.ndarray]:
        color, height = self.world.observe()
        z_range = self.config.workspace.z_max - self.config.workspace.z_min
        return {"color": color, "height": np.clip(np.nan_to_num(height), 0.0, z_range).astype(np.float32)}

    def observe_resampled(self, seed: int) -> dict[str, np.ndarray]:
        """The current scene observed again under freshly sampled appearance, lighting, camera and depth
        noise (``seed``); nothing moves. Cheap extra recorded states (e.g. for ONNX parity checks)."""
        if self._obs is None:
            raise RuntimeError("call reset() before observe_resampled()")
        self.world.apply_randomization(sample_groups(self.config.randomization.groups(), seed))
        return self._observe()

    def workspace_clear(self) -> bool:
        """VPG's heightmap test: fewer than 300 cells (at 2 mm, area-scaled) higher than 2 cm."""
        return bool(self._obs is not None and np.count_nonzero(self._obs["height"] > 0.02) < self.clear_cells)

    def _info(self, recovered: bool) -> dict[str, Any]:
        return {"num_objects": len(self.world.objects), "objects_on_edge": self.world.objects_on_edge(),
                "randomization": copy.deepcopy(self._randomization),
                "recovered": recovered, "no_change": getattr(self, "no_change", 0)}

    @property
    def camera(self) -> dict[str, Any]:
        """Current (randomized) intrinsics and camera -> world pose, for replays and the ROS bridge."""
        return {"intrinsics": self.world.intrinsics, "pose": self.world.camera_pose}
