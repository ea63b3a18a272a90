"""``greenroom/Flight-v0``: CAD2RL-style monocular indoor flight in domain-randomized MuJoCo worlds."""
from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from ..core.randomization import sample_groups
from .config import FlightEnvConfig
from .dynamics import quat_of_yaw, validate_action, yaw_of
from .actions import ActionSet
from .grid import DirectionGrid
from .queries import GroundTruthQueries
from .randomize import APPEARANCE_GROUPS, WORLD_GROUPS, apply_episode, restyled
from .rendering import WorldRenderer
from .scene import CAMERA_NAME, COLLISION_GROUP, DRONE_NAME, VISUAL_GROUP, build_spec
from .state import FlightState
from .textures import load_photo_set, load_photos, make_bank
from .world import SPINE_HALF_WIDTH, WorldLayout, generate_layout

MAX_DEPTH = 100.0   # depth observations are clipped to this (m)
_WORLD_SALT = 0x5EED_F11E


class FlightEnv(GroundTruthQueries, gym.Env):
    """Fly a quadrotor through procedurally generated, domain-randomized indoor worlds from one
    forward RGB camera (Sadeghi & Levine, "CAD2RL", RSS 2017).

    ## Description
    Each world is a hallway of straight pieces with 90 degree turns, side branches (junctions),
    side rooms behind doorways and furniture (cabinets, cylinders, tables, shelves), floor and
    ceiling, built with ``mujoco.MjSpec``; with the ``furniture_rotation`` and ``doors`` groups on
    (off by default), furniture is turned about the vertical and doorways get closed, half-open or
    open door leaves. Every structural draw of the world (piece lengths, branches, rooms, turns,
    furniture, doors) is listed in ``info["randomization"]["layout"]``. A new world is generated every
    ``config.regenerate_every`` episodes; textures (procedural families and the user's photos in
    ``config.textures_dir``), colours, materials, lights, camera, image degradation, dynamics and
    the start pose are re-randomized every episode. Every sampled value is in
    ``info["randomization"]`` and each group can be switched off (``config.randomization``).

    The quadrotor is a free body whose velocity follows the commanded body-frame Twist with a
    first-order lag ``dv/dt = (v_cmd - v) / tau - drag * v`` (velocity actuators inside MuJoCo's
    step, gravity compensated; the body's roll and pitch stay level; with the ``attitude`` group
    on, the camera tilts as the airframe would for its acceleration, :mod:`.attitude`), after
    ``latency_steps`` control steps of delay. Contacts are checked after every physics step. Frames: world z up, floor at
    z = 0; body REP-103 (x forward, y left, z up).

    Rendering: one ``mujoco.Renderer`` per env, kept across worlds (:class:`WorldRenderer`),
    headless EGL (OSMesa fallback), no shadows, no MSAA; each surface class is one textured mesh
    so a frame costs a handful of draw calls; collision geometry is hidden from the camera.

    ## Action space
    ``Box(-limits, limits, (4,), float32)``, the geometry_msgs/Twist a real flight controller takes
    (values outside the episode's limits are clipped):

    | Num | Action   | Unit  | Default limit (config field)   |
    |-----|----------|-------|--------------------------------|
    | 0   | vx       | m/s   | 2.0 (max_forward_speed)        |
    | 1   | vy       | m/s   | 1.0 (max_lateral_speed)        |
    | 2   | vz       | m/s   | 0.5 (max_vertical_speed)       |
    | 3   | yaw_rate | rad/s | 1.5 (max_yaw_rate)             |

    CAD2RL's discrete action is a cell of :attr:`grid` (:class:`DirectionGrid`); :attr:`actions`
    (:class:`~.actions.ActionSet`, ``config.actions``) turns a value grid into this Twist
    (speed from clearance and turn-in-place, or ``cad2rl``'s fixed speed: ``grid.twist(index)``).

    ## Observation space
    ``Box(0, 255, (H, W, 3), uint8)``: the forward camera's RGB image (H = W =
    ``config.image_size``, 64 by default), after blur, gamma and noise. With ``config.depth`` the
    observation is ``Dict(rgb=that Box, depth=Box(0, 100, (H, W), float32))`` with metric depth
    (m, undegraded).

    ## Rewards
    ``reward = progress + collision``: ``progress`` = path length flown this step (m);
    ``collision`` = ``config.collision_penalty`` on the step that collides, else 0. The terms are
    in ``info["reward_terms"]`` and sum exactly to the reward.

    ## Starting state
    In the first hallway piece, ``along`` m from its start, laterally within the furniture-free
    band around the centre line, at a fraction of the ceiling height, heading along the hallway
    plus a yaw offset (the ``start`` group), at rest.

    ## Episode end
    Terminated: the collision sphere (``config.collision_radius`` m) touches a wall, furniture,
    floor or ceiling (``info["collision"]``). Truncated: ``config.max_distance`` m flown or
    ``config.max_steps`` control steps (10 Hz by default; physics at ``config.physics_hz``).

    ## Info
    ``pose`` [x, y, z, yaw] (world, m and rad), ``distance`` (m flown this episode),
    ``collision`` (bool), ``randomization`` (the samples of every group), ``reward_terms``,
    ``world_index`` and ``episode_index``.

    ## Arguments
    ``FlightEnv(config: FlightEnvConfig | None = None, render_mode: str | None = None)``;
    ``render_mode="rgb_array"`` makes :meth:`render` return the last camera image.
    ``gymnasium.make("greenroom/Flight-v0", config=FlightEnvConfig.smoke())`` works too.

    ## Ground truth and tools
    :meth:`free_distances` (ray-cast free distance along every grid direction),
    :meth:`clearances` (the same widened by the left/right neighbours, edge columns' outer ones
    beyond the image: the depth oracle's and the labels' input), :meth:`ring_distances` (horizontal rays all around), :meth:`depth_oracle_twist` and
    :meth:`map_oracle_twist` (:mod:`.oracles`, on :attr:`oracle_actions`: :attr:`actions` turning only below ``speed_from``), :meth:`get_state` / :meth:`set_state` (branching Monte Carlo rollouts),
    :meth:`top_down_map`, :meth:`camera_depth` (the camera's depth image, m). ``render_enabled = False``
    skips the camera in :meth:`step` (the
    returned image is the last rendered one, stale; physics, rewards and info are unaffected;
    :meth:`reset` always renders), :meth:`render_now` renders the current state and
    :meth:`render_restyled` the current state under another draw of the appearance groups.

    ## Seeding
    ``reset(seed=s)`` restarts the episode stream ``s``: episode k of stream s (and its world,
    number ``k // regenerate_every``) is the same in every process.

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, config: FlightEnvConfig | None = None, render_mode: str | None = None) -> None:
        self.config = config if config is not None else FlightEnvConfig()
        if not isinstance(self.config, FlightEnvConfig):
            raise TypeError(f"config must be a FlightEnvConfig, got {type(self.config).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        cfg = self.config
        self.metadata = {**self.metadata, "render_fps": cfg.control_hz}
        self.grid = DirectionGrid.from_config(cfg)
        self.actions = ActionSet(self.grid, cfg.actions)
        self.oracle_actions = self.actions.for_oracles()
        self.render_enabled = True
        self._photos = ((load_photos(cfg.textures_dir, cfg.texture_size) if cfg.textures_dir else [])
                        + load_photo_set(cfg.photo_set, cfg.texture_size))
        limits = np.array(cfg.action_limits, dtype=np.float32)
        self.action_space = spaces.Box(-limits, limits, (4,), np.float32)
        size = cfg.image_size
        rgb_space = spaces.Box(0, 255, (size, size, 3), np.uint8)
        self.observation_space: spaces.Space = (
            spaces.Dict({"rgb": rgb_space, "depth": spaces.Box(0.0, MAX_DEPTH, (size, size), np.float32)})
            if cfg.depth else rgb_space)
        self._groups = cfg.randomization.groups()
        self.model: mujoco.MjModel | None = None
        self.data: mujoco.MjData | None = None
        self.layout: WorldLayout | None = None
        self._renderer: WorldRenderer | None = None
        self._world_key: tuple | None = None
        self._bank_names: list[str] = []
        self._stream_seed: int | None = None
        self._episode_index = -1
        self._episode_seed = 0
        self._samples: dict[str, Any] = {}
        self._last_obs: Any = None
        self._done = True
        self.timing = {"physics": 0.0, "render": 0.0, "reset": 0.0, "world": 0.0, "steps": 0, "resets": 0, "worlds": 0}

    # ------------------------------------------------------------------ world and episode setup
    def _seed_of(self, *keys: int) -> int:
        return int(np.random.SeedSequence([int(self._stream_seed), *keys]).generate_state(1)[0] & 0x7FFFFFFF)

    def _ensure_world(self, world_index: int) -> None:
        """(Re)build the world of ``world_index`` unless the current one has the same samples."""
        world_samples = sample_groups({name: self._groups[name] for name in WORLD_GROUPS},
                                      self._seed_of(_WORLD_SALT, world_index))
        layout_values, bank_values = world_samples["layout"], world_samples["textures"]
        key = (tuple(sorted(layout_values.items())), tuple(sorted(world_samples["furniture_rotation"].items())),
               tuple(sorted(world_samples["doors"].items())), bank_values["seed"], bank_values["photo_fraction"])
        self._world_samples = world_samples
        if key == self._world_key:
            return
        start = time.perf_counter()
        cfg = self.config
        layout = generate_layout(layout_values, layout_values["seed"], min_length=cfg.max_distance + 5.0,
                                 ranges=self._groups["layout"], rotation=world_samples["furniture_rotation"],
                                 doors=world_samples["doors"])
        bank, names = make_bank(np.random.default_rng(bank_values["seed"]), cfg.texture_bank, cfg.texture_size,
                                self._photos, bank_values["photo_fraction"], self._groups["textures"].families)
        model = build_spec(layout, bank, cfg).compile()
        if self._renderer is None:
            self._renderer = WorldRenderer(model, cfg.image_size, cfg.image_size)
        else:
            self._renderer.set_model(model)
        self.model, self.data, self.layout = model, mujoco.MjData(model), layout
        self._scene_option = mujoco.MjvOption()
        self._scene_option.geomgroup[:] = 0
        self._scene_option.geomgroup[VISUAL_GROUP] = 1
        self._ray_groups = np.zeros(6, np.uint8)
        self._ray_groups[COLLISION_GROUP] = 1
        self._camera_id = model.camera(CAMERA_NAME).id
        self._drone_id = model.body(DRONE_NAME).id
        self._world_key, self._bank_names = key, names
        self.timing["world"] += time.perf_counter() - start
        self.timing["worlds"] += 1

    def _apply_episode(self, samples: dict[str, Any]) -> None:
        """Write one episode's samples into the model (:func:`.randomize.apply_episode`)."""
        parts = apply_episode(self.model, samples, self.config, self.layout, self._world_samples, self._bank_names)
        self._dynamics, self._degrade, self._commands = parts.dynamics, parts.degrade, parts.commands
        self._mount, self._tilt = parts.mount, parts.tilt

    def _start_pose(self, values: dict[str, Any]) -> None:
        cfg, data = self.config, self.data
        p0, heading = self.layout.start_frame()
        d = np.array([np.cos(heading), np.sin(heading)])
        perp = np.array([-d[1], d[0]])
        band = max(SPINE_HALF_WIDTH - cfg.collision_radius - 0.05, 0.0)
        xy = p0 + values["along"] * d + values["lateral"] * band * perp
        ceiling = self.layout.ceiling_height
        z = float(np.clip(values["height"] * ceiling, cfg.collision_radius + 0.1, ceiling - cfg.collision_radius - 0.1))
        mujoco.mj_resetData(self.model, data)
        data.qpos[:3] = (xy[0], xy[1], z)
        data.qpos[3:7] = quat_of_yaw(heading + values["yaw"])
        mujoco.mj_forward(self.model, data)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start the next episode of the stream (``seed`` restarts stream ``seed`` at episode 0).

        Builds a new world when the episode starts a new block of ``regenerate_every`` episodes
        (and the layout or texture-bank samples differ from the current world's), then applies
        this episode's randomization and start pose. ``options`` is accepted and unused.
        """
        super().reset(seed=seed)
        start = time.perf_counter()
        if seed is not None:
            self._stream_seed, self._episode_index = int(seed), -1
        elif self._stream_seed is None:
            self._stream_seed = int(self.np_random.integers(0, 2**31 - 1))
        self._episode_index += 1
        self._world_index = self._episode_index // self.config.regenerate_every
        self._ensure_world(self._world_index)
        self._episode_seed = self._seed_of(self._episode_index)
        self._start_episode(self._episode_seed)
        self.timing["reset"] += time.perf_counter() - start
        self.timing["resets"] += 1
        return self._last_obs, self._info()

    def _start_episode(self, episode_seed: int) -> None:
        self._samples = sample_groups(self._groups, episode_seed)
        self._apply_episode(self._samples)
        self._start_pose(self._samples["start"])
        self._steps, self._distance, self._done = 0, 0.0, False
        self._collision = False
        self._reward_terms = {"progress": 0.0, "collision": 0.0}
        self._last_obs = self.render_now()

    # ------------------------------------------------------------------ stepping
    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Apply a Twist [vx, vy, vz, yaw_rate] (body frame) for one control step.

        The command is clipped and delayed (dynamics group), then ``physics_hz / control_hz``
        MuJoCo steps run; the first step with a contact ends the episode (terminated).
        """
        if self.model is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode has ended (terminated or truncated); call reset()")
        command = validate_action(action)
        model, data = self.model, self.data
        data.ctrl[:] = self._commands.push(command)
        before, v_before = data.qpos[:3].copy(), data.qvel[:3].copy()
        start = time.perf_counter()
        collided = False
        for _ in range(self.config.substeps):
            mujoco.mj_step(model, data)
            if data.ncon:
                collided = True
                break
        if self._tilt.gain:
            self._tilt.update(v_before, data.qvel[:3], yaw_of(data.qpos[3:7]))
            self._tilt.apply(model, self._camera_id, *self._mount)
        mujoco.mj_kinematics(model, data)
        mujoco.mj_camlight(model, data)
        self.timing["physics"] += time.perf_counter() - start
        self.timing["steps"] += 1
        progress = float(np.linalg.norm(data.qpos[:3] - before))
        self._steps += 1
        self._distance += progress
        self._collision = collided
        self._reward_terms = {"progress": progress, "collision": self.config.collision_penalty if collided else 0.0}
        reward = self._reward_terms["progress"] + self._reward_terms["collision"]
        terminated = collided
        truncated = not terminated and (self._distance >= self.config.max_distance
                                        or self._steps >= self.config.max_steps)
        self._done = terminated or truncated
        self._last_obs = self._observe()
        return self._last_obs, reward, terminated, truncated, self._info()

    def _observe(self) -> Any:
        if not self.render_enabled and self._last_obs is not None:
            return self._last_obs
        return self.render_now()

    def render_now(self) -> Any:
        """Render the current state (also while ``render_enabled`` is False); the new observation."""
        start = time.perf_counter()
        renderer = self._renderer
        renderer.update_scene(self.data, camera=self._camera_id, scene_option=self._scene_option)
        rgb = self._degrade(renderer.render())
        if self.config.depth:
            depth = np.clip(renderer.render_depth(), 0.0, MAX_DEPTH).astype(np.float32)
            obs: Any = {"rgb": rgb, "depth": depth}
        else:
            obs = rgb
        self.timing["render"] += time.perf_counter() - start
        self._last_obs = obs
        return obs

    def render_restyled(self, seed: int) -> np.ndarray:
        """(H, W, 3) uint8: the current view under another draw (``seed``) of the appearance groups
        (:data:`.randomize.APPEARANCE_GROUPS`: slot textures from this world's bank, colours, lights,
        image degradation). Pose, camera and geometry are the current ones; the episode's own
        appearance is restored afterwards, so the next observation is as it would have been."""
        if self.config.depth:
            raise ValueError("render_restyled renders RGB observations only (config.depth is set)")
        samples = sample_groups({name: self._groups[name] for name in APPEARANCE_GROUPS}, int(seed))
        with restyled(self.model, samples, self.config, self.layout) as degrade:
            mujoco.mj_camlight(self.model, self.data)
            self._renderer.update_scene(self.data, camera=self._camera_id, scene_option=self._scene_option)
            rgb = degrade(self._renderer.render())
        mujoco.mj_camlight(self.model, self.data)
        return rgb

    def _info(self) -> dict[str, Any]:
        return {"pose": self.pose(), "distance": self._distance, "collision": self._collision,
                "randomization": {name: dict(values) for name, values in self._samples.items()},
                "reward_terms": dict(self._reward_terms),
                "world_index": self._world_index, "episode_index": self._episode_index}

    def pose(self) -> np.ndarray:
        """(4,) float64 [x, y, z, yaw] of the drone (world frame, m and rad)."""
        q = self.data.qpos
        return np.array([q[0], q[1], q[2], yaw_of(q[3:7])])

    def render(self) -> np.ndarray | None:
        """The last camera RGB image (H, W, 3) uint8 for ``render_mode="rgb_array"``, else None."""
        if self.render_mode != "rgb_array" or self._last_obs is None:
            return None
        return (self._last_obs["rgb"] if self.config.depth else self._last_obs).copy()

    def close(self) -> None:
        """Release the GL context (safe to call twice)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.model = self.data = None
        self._world_key = None
        super().close()

    # ------------------------------------------------------------------ snapshots
    def get_state(self) -> FlightState:
        """Snapshot for branching rollouts within this world (restore with :meth:`set_state`)."""
        if self.model is None:
            raise RuntimeError("call reset() before get_state()")
        d = self.data
        return FlightState(world_key=self._world_key, episode_seed=self._episode_seed, qpos=d.qpos.copy(),
                           qvel=d.qvel.copy(), qacc_warmstart=d.qacc_warmstart.copy(), ctrl=d.ctrl.copy(),
                           time=float(d.time), steps=self._steps, distance=self._distance,
                           pending_commands=self._commands.get_state(),
                           noise_rng_state=self._degrade.rng.bit_generator.state, done=self._done,
                           tilt=(self._tilt.roll, self._tilt.pitch))

    def set_state(self, state: FlightState) -> None:
        """Restore a :meth:`get_state` snapshot; the env must be in the same world."""
        if not isinstance(state, FlightState):
            raise TypeError(f"set_state needs a FlightState, got {type(state).__name__}")
        if self.model is None or state.world_key != self._world_key:
            raise ValueError("set_state: the state belongs to another world than the env's current one "
                             "(states only restore within the world they were taken in)")
        if state.episode_seed != self._episode_seed:
            self._episode_seed = state.episode_seed
            self._samples = sample_groups(self._groups, state.episode_seed)
            self._apply_episode(self._samples)
        d = self.data
        d.qpos[:], d.qvel[:], d.qacc_warmstart[:], d.ctrl[:] = state.qpos, state.qvel, state.qacc_warmstart, state.ctrl
        d.time = state.time
        self._commands.set_state(state.pending_commands)
        self._degrade.rng.bit_generator.state = state.noise_rng_state
        self._tilt.roll, self._tilt.pitch = state.tilt
        if self._tilt.gain:
            self._tilt.apply(self.model, self._camera_id, *self._mount)
        self._steps, self._distance, self._done = state.steps, state.distance, state.done
        mujoco.mj_forward(self.model, d)
        self._collision = bool(d.ncon)
