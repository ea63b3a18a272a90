"""Configuration and randomization ranges of the fin-ray environment.

Units: metres, kilograms, seconds, radians, newtons. Frames: the fin's base line lies on the
world x axis (x forward = toward the head, ray 0 is the head-most ray), rays hang toward -z and
sweep laterally toward +/-y about hinge axes parallel to x.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.randomization import Group, IntUniform, LogUniform, Randomization, Uniform

OBJECTIVES = ("thrust", "efficiency", "lateral")
HISTORY_FRAMES = ("compact", "full")


@dataclass(frozen=True)
class FluidRanges(Group):
    """Fluid properties, sampled per episode.

    Density: fresh water at 0-40 degC (992-1000 kg/m^3) to sea water (1020-1030). Viscosity: water
    from 50 degC (0.55 mPa s) to 0 degC (1.79 mPa s); sea water is ~8 % more viscous than fresh.
    Normal drag coefficient of a thin plate: ~1.2 for a square plate (3-D) to ~2.0 for a 2-D strip
    in steady flow, higher for an oscillating plate; the model's magnitudes are not calibrated, so
    C_D also stands for that uncertainty.
    """

    density: Uniform = Uniform(990.0, 1030.0, nominal=1000.0)  # kg/m^3 ~ U(990, 1030): fresh to sea water
    viscosity: LogUniform = LogUniform(0.55e-3, 1.8e-3, nominal=1.0e-3)  # Pa*s ~ logU: water at 50..0 degC
    drag_coef: Uniform = Uniform(1.4, 2.4, nominal=1.9)  # normal-plate drag coefficient C_D ~ U(1.4, 2.4)


@dataclass(frozen=True)
class RayRanges(Group):
    """Ray structure, sampled per episode (scales multiply the config's nominal values).

    Bending stiffness E*I of a cast or printed ray goes as E t^3: elastomer modulus varies +/-25 %
    between batches and with temperature, and a +/-15 % thickness tolerance on a ~1 mm ray gives
    x0.61-1.52 on t^3; together about x0.5-2 (the first bending mode, ~3 Hz nominal, then spans
    ~2.1-4.2 Hz). Elastomer loss factors change about twofold with temperature and frequency.
    """

    stiffness_scale: LogUniform = LogUniform(0.5, 2.0, nominal=1.0)  # bending stiffness x logU(0.5, 2)
    damping_scale: LogUniform = LogUniform(0.5, 2.0, nominal=1.0)  # bending damping x logU(0.5, 2)


@dataclass(frozen=True)
class ActuatorRanges(Group):
    """Base actuators, sampled per episode.

    Hobby and micro servos: stall torque scales with supply voltage (the 4.8 V and 6 V ratings of
    one servo differ by ~20-25 %, a battery sags further under load) and the effective position
    gain with voltage, load and unit-to-unit spread of the controller.
    """

    kp_scale: Uniform = Uniform(0.6, 1.4, nominal=1.0)  # position gain x U(0.6, 1.4)
    torque_scale: Uniform = Uniform(0.7, 1.3, nominal=1.0)  # torque limit x U(0.7, 1.3)


@dataclass(frozen=True)
class SensorRanges(Group):
    """Measurement noise standard deviations, sampled per episode (white noise each step).

    Up to ~1 degree on a potentiometer or magnetic encoder angle, its differentiated rate, and a
    few percent of the ~0.3 N thrust on a small load cell.
    """

    angle_noise: Uniform = Uniform(0.0, 0.02, nominal=0.0)  # rad ~ U(0, 0.02)
    velocity_noise: Uniform = Uniform(0.0, 0.2, nominal=0.0)  # rad/s ~ U(0, 0.2)
    force_noise: Uniform = Uniform(0.0, 0.01, nominal=0.0)  # N ~ U(0, 0.01)


@dataclass(frozen=True)
class LatencyRanges(Group):
    """Action latency in control steps (20 ms each), sampled per episode: a 50 Hz servo PWM frame
    plus serial/USB transfer delay the command by 0-40 ms."""

    action_delay: IntUniform = IntUniform(0, 2, nominal=0)  # control steps ~ U{0, 1, 2}


@dataclass(frozen=True)
class RandomizationConfig(Randomization):
    """All randomization groups; switch one off with e.g. ``randomization.fluid.enabled=false``."""

    fluid: FluidRanges = field(default_factory=FluidRanges)
    rays: RayRanges = field(default_factory=RayRanges)
    actuators: ActuatorRanges = field(default_factory=ActuatorRanges)
    sensors: SensorRanges = field(default_factory=SensorRanges)
    latency: LatencyRanges = field(default_factory=LatencyRanges)

    @classmethod
    def off(cls) -> RandomizationConfig:
        """Every group disabled: nominal values (used for validation and baselines)."""
        return cls().with_all(False)


@dataclass(frozen=True)
class FinRayEnvConfig:
    """Geometry, dynamics, control and objective of the fin-ray env (see ``FinRayEnv``)."""

    n_rays: int = 5  # rays along the base line, ray 0 at the head (+x)
    segments: int = 4  # hinged segments per ray (the first hinge is the actuated base)
    ray_length: float = 0.06  # m, base to tip
    ray_spacing: float = 0.02  # m between neighbouring rays along x
    segment_mass: float = 0.0005  # kg of ray structure per segment (added mass comes on top)
    added_mass_coef: float = 1.0  # x strip-theory added mass rho*pi*L^2/4 per unit fin length
    bend_stiffness: float = 0.015  # N*m/rad of the first passive hinge; tapers toward the tip
    stiffness_taper: float = 0.5  # tip hinge stiffness = (1 - taper) * bend_stiffness
    bend_damping: float = 2e-4  # N*m*s/rad per passive hinge
    kp: float = 0.12  # N*m/rad position gain of each base actuator
    base_damping: float = 1e-3  # N*m*s/rad at the base hinge (actuator/gearbox damping)
    torque_limit: float = 0.03  # N*m per base actuator
    max_angle: float = 0.6  # rad, base target range (action 1.0 -> max_angle)
    membrane_stiffness: float = 20.0  # N/m of the membrane between node pairs once stretched
    membrane_slack: float = 1.5  # membrane is slack until stretched to slack * ray_spacing
    skin_friction: bool = True  # laminar (Blasius) skin friction along panels, depends on viscosity
    control_hz: float = 50.0  # policy steps per second
    physics_dt: float = 0.005  # s per MuJoCo step (fluid forces are recomputed every step)
    episode_seconds: float = 4.0  # truncation
    objective: str = "thrust"  # thrust | efficiency | lateral
    phase_hz: float = 3.0  # clock in the observation: [sin, cos](2*pi*phase_hz*t); 0 = no clock (constant 0, 1)
    history_steps: int = 3  # previous control steps appended to the observation (system identification)
    history_frame: str = "full"  # per previous step: the full frame | compact (base angles, action, fluid force)
    force_scale: float = 0.2  # N; forces are divided by this in observation and reward
    power_scale: float = 1.0  # W; power is divided by this in the reward
    power_weight: float = 0.5  # efficiency objective: reward = thrust/force_scale - w * power/power_scale
    lateral_max: float = 0.03  # N, lateral objective commands ~ U(-lateral_max, lateral_max)
    lateral_tau: float = 0.25  # s, low-pass time constant of the tracked lateral force
    command_period: float = 2.0  # s between new lateral commands
    randomization: RandomizationConfig = field(default_factory=RandomizationConfig)

    def __post_init__(self) -> None:
        if self.n_rays < 2:
            raise ValueError(f"n_rays must be >= 2 (a membrane needs two rays), got {self.n_rays}")
        if self.segments < 1:
            raise ValueError(f"segments must be >= 1, got {self.segments}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        for name in ("ray_length", "ray_spacing", "segment_mass", "kp", "torque_limit", "max_angle",
                     "control_hz", "physics_dt", "episode_seconds", "force_scale", "power_scale"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.substeps < 1 or abs(self.substeps * self.physics_dt - 1.0 / self.control_hz) > 1e-9:
            raise ValueError(f"1/control_hz ({1.0 / self.control_hz} s) must be a whole multiple of "
                             f"physics_dt ({self.physics_dt} s)")
        if self.history_steps < 0:
            raise ValueError(f"history_steps must be >= 0, got {self.history_steps}")
        if self.history_frame not in HISTORY_FRAMES:
            raise ValueError(f"history_frame must be one of {HISTORY_FRAMES}, got {self.history_frame!r}")
        if not 0.0 <= self.stiffness_taper < 1.0:
            raise ValueError(f"stiffness_taper must be in [0, 1), got {self.stiffness_taper}")

    @property
    def substeps(self) -> int:
        """MuJoCo steps per control step."""
        return int(round(1.0 / (self.control_hz * self.physics_dt)))

    @property
    def max_steps(self) -> int:
        return int(round(self.episode_seconds * self.control_hz))

    @property
    def frame_dim(self) -> int:
        """Values in one observation frame (see ``FinRayEnv``)."""
        return 2 * self.n_rays * self.segments + 6 + self.n_rays

    @property
    def record_dim(self) -> int:
        """Values kept per previous control step: the whole frame, or base angles + action + force."""
        return self.frame_dim if self.history_frame == "full" else 2 * self.n_rays + 2

    @property
    def obs_dim(self) -> int:
        return self.frame_dim + self.history_steps * self.record_dim

    @classmethod
    def smoke(cls) -> FinRayEnvConfig:
        return cls(episode_seconds=1.0)

    @classmethod
    def cpu(cls) -> FinRayEnvConfig:
        return cls()

    @classmethod
    def paper(cls) -> FinRayEnvConfig:
        return cls(segments=6, episode_seconds=8.0)


OUT_OF_RANGE: dict[tuple[str, str], tuple[tuple[float, float], tuple[float, float]]] = {
    # (group, field): (interval below, interval above) the training range of RandomizationConfig()
    ("rays", "stiffness_scale"): ((0.35, 0.5), (2.0, 2.8)),
    ("rays", "damping_scale"): ((0.35, 0.5), (2.0, 2.8)),
    ("actuators", "kp_scale"): ((0.45, 0.6), (1.4, 1.6)),
    ("actuators", "torque_scale"): ((0.55, 0.7), (1.3, 1.45)),
    ("latency", "action_delay"): ((3, 3), (3, 3)),  # one step beyond U{0, 1, 2}
}
"""Quantities of an out-of-range episode and where they are drawn (see :func:`out_of_range_values`)."""


def out_of_range_values(seed: int) -> dict[str, dict[str, float]]:
    """Randomization overrides for one out-of-range episode (pass as ``reset(options={"randomization": ...})``).

    Every quantity of :data:`OUT_OF_RANGE` lies beyond the training range: the side (below or
    above) is drawn per quantity with probability 1/2, the value log-uniformly within that
    interval (latency: 3 steps). The other quantities keep the env's own draw for the seed.
    """
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(0x00D,)))
    values: dict[str, dict[str, float]] = {}
    for (group, name), intervals in OUT_OF_RANGE.items():
        low, high = intervals[int(rng.integers(2))]
        value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        values.setdefault(group, {})[name] = int(round(value)) if name == "action_delay" else value
    return values
