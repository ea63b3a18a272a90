"""Configuration of the CAD2RL-style flight env (pure data, no MuJoCo import).

Units: metres, seconds, radians (degrees where the name says ``_deg``); frames: REP-103 body
frame (x forward, y left, z up). Presets: :meth:`FlightEnvConfig.smoke` (tests, seconds),
:meth:`FlightEnvConfig.cpu` (default, a 2-core laptop), :meth:`FlightEnvConfig.paper` (bigger
images and grid, for a GPU machine). Override with ``key=value`` via
``greenroom.policies.common.config.resolve_config``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .actions import ActionConfig
from .ranges import MAX_LIGHTS, FlightRandomization
from .textures import check_families, check_photo_set

MAX_IMAGE_SIZE = 224


@dataclass(frozen=True)
class FlightEnvConfig:
    """Everything that shapes a :class:`~greenroom.sim.flight.env.FlightEnv`.

    Image and timing:
        image_size: square RGB observation side (px), 16..224.
        depth: also return a metric depth image (m, float32) under a Dict observation.
        control_hz: action rate (Hz); physics_hz: MuJoCo step rate (Hz), >= 200 and an integer
            multiple of control_hz.
    Episode:
        max_distance: truncate once this path length (m) has been flown.
        max_steps: truncate after this many control steps. Presets leave room to reach
            ``max_distance`` at the reference speed (``forward_speed``) with 50 % to spare for
            slowing down and turning in place (400 steps at 1 m/s and 10 Hz is under 40 m).
        collision_penalty: reward added on collision (<= 0).
    Direction grid (CAD2RL action representation, see :class:`DirectionGrid`):
        grid_rows, grid_cols: grid shape over the image; hfov_deg: nominal horizontal field of
        view (deg, square image so vertical = horizontal); forward_speed: speed of a grid
        action (m/s): the reference speed of the value labels and of the ``cad2rl`` actions.
    Actions: actions: how a value grid becomes a Twist (:class:`~.actions.ActionConfig`:
        ``clearance`` = speed from the predicted clearance and turn-in-place, or ``cad2rl``).
    Velocity limits of the Twist action [vx, vy, vz, yaw_rate] (body frame):
        max_forward_speed (m/s, |vx|), max_lateral_speed (m/s, |vy|), max_vertical_speed
        (m/s, |vz|), max_yaw_rate (rad/s).
    Vehicle: collision_radius: radius of the collision sphere (m); mass (kg).
    Ground truth: max_range: cap of free_distances() (m); clearance_beyond_fov: the edge columns'
        clearance (depth oracle, stage-1 labels) also checks one cell width beyond the image
        (``FlightEnv.clearances``; false: the image edge stands in, as before 2026-12-06).
    World and appearance:
        textures_dir: folder of the user's images (png/jpg/...) mixed into the texture bank.
        photo_set: built-in photographs mixed in as well (``none`` or ``skimage``, see
            :data:`~.textures.PHOTO_SETS`); both draw from ``randomization.textures.photo_fraction``.
        texture_size: side of every bank texture (px); texture_bank: textures per world.
        regenerate_every: build a new world every K episodes (appearance, lights, camera,
            dynamics and start pose are re-randomized every episode).
        randomization: the randomization groups (see :mod:`greenroom.sim.flight.ranges`).
    """

    image_size: int = 64
    depth: bool = False
    control_hz: float = 10.0
    physics_hz: float = 200.0
    max_distance: float = 40.0
    max_steps: int = 600
    collision_penalty: float = -10.0
    grid_rows: int = 3
    grid_cols: int = 5
    hfov_deg: float = 90.0
    forward_speed: float = 1.0
    actions: ActionConfig = field(default_factory=ActionConfig)
    max_forward_speed: float = 2.0
    max_lateral_speed: float = 1.0
    max_vertical_speed: float = 0.5
    max_yaw_rate: float = 1.5
    collision_radius: float = 0.15
    mass: float = 0.5
    max_range: float = 10.0
    clearance_beyond_fov: bool = True
    textures_dir: str | None = None
    photo_set: str = "none"
    texture_size: int = 64
    texture_bank: int = 12
    regenerate_every: int = 10
    randomization: FlightRandomization = field(default_factory=FlightRandomization)

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(message)

        need(16 <= self.image_size <= MAX_IMAGE_SIZE,
             f"image_size must be in [16, {MAX_IMAGE_SIZE}] px, got {self.image_size}")
        need(self.control_hz > 0, f"control_hz must be > 0 Hz, got {self.control_hz}")
        need(self.physics_hz >= 200, f"physics_hz must be >= 200 Hz, got {self.physics_hz}")
        ratio = self.physics_hz / self.control_hz if self.control_hz > 0 else 0.0
        need(abs(ratio - round(ratio)) < 1e-6 and round(ratio) >= 1,
             f"physics_hz ({self.physics_hz}) must be an integer multiple of control_hz ({self.control_hz})")
        need(self.max_distance > 0, f"max_distance must be > 0 m, got {self.max_distance}")
        need(self.max_steps >= 1, f"max_steps must be >= 1, got {self.max_steps}")
        need(self.collision_penalty <= 0, f"collision_penalty must be <= 0, got {self.collision_penalty}")
        need(self.grid_rows >= 1 and self.grid_cols >= 1,
             f"grid_rows and grid_cols must be >= 1, got {self.grid_rows}x{self.grid_cols}")
        need(0 < self.hfov_deg < 170, f"hfov_deg must be in (0, 170) deg, got {self.hfov_deg}")
        for name in ("forward_speed", "max_forward_speed", "max_lateral_speed", "max_vertical_speed",
                     "max_yaw_rate", "collision_radius", "mass", "max_range"):
            need(getattr(self, name) > 0, f"{name} must be > 0, got {getattr(self, name)}")
        need(self.forward_speed <= self.max_forward_speed,
             f"forward_speed ({self.forward_speed}) must be <= max_forward_speed ({self.max_forward_speed})")
        need(isinstance(self.actions, ActionConfig),
             f"actions must be an ActionConfig, got {type(self.actions).__name__}")
        if self.actions.mode == "clearance":
            need(self.actions.max_speed <= self.max_forward_speed,
                 f"actions.max_speed ({self.actions.max_speed}) must be <= max_forward_speed ({self.max_forward_speed})")
            need(self.actions.turn_rate <= self.max_yaw_rate,
                 f"actions.turn_rate ({self.actions.turn_rate}) must be <= max_yaw_rate ({self.max_yaw_rate})")
        need(self.collision_radius < 0.5, f"collision_radius must be < 0.5 m, got {self.collision_radius}")
        need(8 <= self.texture_size <= 1024, f"texture_size must be in [8, 1024] px, got {self.texture_size}")
        need(self.texture_bank >= 1, f"texture_bank must be >= 1, got {self.texture_bank}")
        need(self.regenerate_every >= 1, f"regenerate_every must be >= 1 episode, got {self.regenerate_every}")
        need(self.textures_dir is None or str(self.textures_dir).strip() != "",
             "textures_dir must be a folder path or None, got an empty string")
        check_photo_set(self.photo_set)
        need(isinstance(self.randomization, FlightRandomization),
             f"randomization must be a FlightRandomization, got {type(self.randomization).__name__}")
        r = self.randomization
        check_families(r.textures.families)
        need(0.0 <= r.textures.per_slot.same_texture <= 1.0,
             f"randomization.textures.per_slot.same_texture must be a probability in [0, 1], got "
             f"{r.textures.per_slot.same_texture}")
        need(r.layout.segments.low >= 1, f"randomization.layout.segments must be >= 1, got {r.layout.segments}")
        need(r.layout.hallway_width.low >= 1.2,
             f"randomization.layout.hallway_width must be >= 1.2 m (room for the drone and the furniture-free "
             f"band), got low={r.layout.hallway_width.low}")
        need(r.layout.ceiling_height.low >= 1.5,
             f"randomization.layout.ceiling_height must be >= 1.5 m, got low={r.layout.ceiling_height.low}")
        need(r.layout.segment_length.low >= 2.0,
             f"randomization.layout.segment_length must be >= 2 m, got low={r.layout.segment_length.low}")
        need(1 <= r.lights.count.low and r.lights.count.high <= MAX_LIGHTS,
             f"randomization.lights.count must lie in [1, {MAX_LIGHTS}], got {r.lights.count}")
        need(r.dynamics.tau.low > 0 and r.dynamics.latency_steps.low >= 0,
             f"randomization.dynamics needs tau > 0 s and latency_steps >= 0, got {r.dynamics.tau}, "
             f"{r.dynamics.latency_steps}")

    # ----------------------------------------------------------------- derived values
    @property
    def control_dt(self) -> float:
        """Seconds per control step."""
        return 1.0 / self.control_hz

    @property
    def substeps(self) -> int:
        """Physics steps per control step."""
        return int(round(self.physics_hz / self.control_hz))

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view (deg); images are square so it equals hfov_deg."""
        return self.hfov_deg

    @property
    def action_limits(self) -> tuple[float, float, float, float]:
        """|vx|, |vy|, |vz| (m/s) and |yaw_rate| (rad/s) bounds of the Twist action."""
        return (self.max_forward_speed, self.max_lateral_speed, self.max_vertical_speed, self.max_yaw_rate)

    def reachable_distance(self) -> float:
        """Distance (m) ``max_steps`` control steps cover at the reference ``forward_speed``."""
        return self.max_steps * self.control_dt * self.forward_speed

    def focal_px(self) -> float:
        """Pinhole focal length (px) of the nominal camera."""
        return 0.5 * self.image_size / math.tan(math.radians(self.hfov_deg) / 2)

    # ----------------------------------------------------------------- presets
    @classmethod
    def smoke(cls) -> "FlightEnvConfig":
        """Seconds-long runs for tests: small grid, short episodes, tiny texture bank."""
        return cls(image_size=32, max_steps=100, max_distance=8.0, grid_rows=3, grid_cols=3,
                   texture_bank=4, texture_size=32, regenerate_every=5)

    @classmethod
    def cpu(cls) -> "FlightEnvConfig":
        """Default for a 2-core laptop: 64 px RGB, 3x5 direction grid."""
        return cls()

    @classmethod
    def paper(cls) -> "FlightEnvConfig":
        """Closer to CAD2RL for a GPU machine: 224 px images, 9x9 grid, bigger texture bank.

        CAD2RL used a 41x41 grid; 9x9 keeps Monte Carlo rollouts per state affordable.
        """
        return cls(image_size=224, grid_rows=9, grid_cols=9, texture_bank=32, texture_size=128,
                   max_steps=900, max_distance=60.0)

    def without_randomization(self) -> "FlightEnvConfig":
        """A copy with every randomization group off (nominal world and appearance)."""
        return replace(self, randomization=self.randomization.with_all(False))
