"""Validation of the fluid model: thrust sign vs wave direction and the (f*A)^2 thrust scaling.

Used by tests/sim/test_finray_fluid.py and quoted in the README. All runs use the nominal fin
(randomization off) with sinusoidal base actuation, and average thrust after a start-up
transient of ``skip_seconds``, over a whole number of actuation cycles.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .config import FinRayEnvConfig, RandomizationConfig
from .env import FinRayEnv
from .sinusoid import Sinusoid, rollout


def nominal_config(seconds: float = 3.0, **overrides: object) -> FinRayEnvConfig:
    """The default fin with every randomization group off and a ``seconds``-long episode."""
    return dataclasses.replace(FinRayEnvConfig(), randomization=RandomizationConfig.off(),
                               episode_seconds=seconds, **overrides)


def mean_forces(config: FinRayEnvConfig, sinusoid: Sinusoid, skip_seconds: float = 1.0) -> dict[str, float]:
    """Mean thrust Fx (N), lateral force Fy (N), actuator power (W), and the measured base amplitude
    (rad, half the peak-to-peak base angle, mean over rays) of one episode."""
    infos = rollout(FinRayEnv(config), sinusoid.policy(config), seed=0)
    end = infos[-1]["time"]
    cycles = np.floor((end - skip_seconds) * sinusoid.frequency) if sinusoid.frequency > 0 else 0
    if cycles < 1:
        raise ValueError(f"episode of {end} s leaves no whole cycle of {sinusoid.frequency} Hz after {skip_seconds} s")
    start = end - cycles / sinusoid.frequency  # average over whole cycles only
    kept = [i for i in infos if i["time"] > start + 1e-9]
    angles = np.array([i["base_angles"] for i in kept])
    return {"thrust": float(np.mean([i["thrust"] for i in kept])),
            "amplitude": float(np.mean(angles.max(axis=0) - angles.min(axis=0)) / 2.0),
            "lateral": float(np.mean([i["lateral_force"] for i in kept])),
            "power": float(np.mean([i["power"] for i in kept]))}


def wave_direction_thrust(config: FinRayEnvConfig, amplitude: float = 0.4, frequency: float = 2.0,
                          phase_lag: float = 0.9) -> dict[str, float]:
    """Mean thrust (N) for the head->tail wave, the reversed wave and in-phase flapping."""
    return {name: mean_forces(config, Sinusoid(amplitude, frequency, lag))["thrust"]
            for name, lag in (("travel", phase_lag), ("reverse", -phase_lag), ("in_phase", 0.0))}


def thrust_scaling(config: FinRayEnvConfig, amplitudes: Sequence[float], frequencies: Sequence[float],
                   phase_lag: float = 0.9, measured_amplitude: bool = True) -> dict[str, object]:
    """Fit ``thrust = C * (f*A)^p`` by least squares in log space over the grid of f and A.

    ``A`` is the measured base amplitude (the servo's gain varies with frequency), or the
    commanded one with ``measured_amplitude=False``. Returns the exponent ``p``, the separate exponents of A and f (a two-variable fit), and the
    table of (amplitude rad, frequency Hz, thrust N).
    """
    rows = []
    for a in amplitudes:
        for f in frequencies:
            m = mean_forces(config, Sinusoid(a, f, phase_lag))
            rows.append((m["amplitude"] if measured_amplitude else a, f, m["thrust"]))
    table = np.array(rows)
    if np.any(table[:, 2] <= 0):
        raise ValueError(f"non-positive thrust in the scaling grid, cannot fit a power law: {rows}")
    log_t = np.log(table[:, 2])
    p = float(np.polyfit(np.log(table[:, 0] * table[:, 1]), log_t, 1)[0])
    design = np.c_[np.log(table[:, 0]), np.log(table[:, 1]), np.ones(len(rows))]
    p_a, p_f = (float(v) for v in np.linalg.lstsq(design, log_t, rcond=None)[0][:2])
    return {"exponent": p, "exponent_amplitude": p_a, "exponent_frequency": p_f, "table": rows}


def prescribed_thrust(config: FinRayEnvConfig, amplitude: float, frequency: float, phase_lag: float,
                      samples: int = 256) -> float:
    """Cycle-mean thrust (N) of the fluid model alone for rigid rays on exact sinusoids.

    Isolates the force model from the structural dynamics (servo lag, ray bending): base
    angles ``A sin(2 pi f t - i phase_lag)``, all other hinges straight.
    """
    from .fluid import FinFluid

    fluid = FinFluid(config.n_rays, config.segments, config.ray_length / config.segments, config.ray_spacing)
    fluid.params.skin_friction = config.skin_friction
    lags = np.arange(config.n_rays) * phase_lag
    q = np.zeros((config.n_rays, config.segments))
    qd = np.zeros_like(q)
    omega = 2.0 * np.pi * frequency
    total = 0.0
    for t in np.arange(samples) / (samples * frequency):
        q[:, 0] = amplitude * np.sin(omega * t - lags)
        qd[:, 0] = amplitude * omega * np.cos(omega * t - lags)
        total += fluid.forces(q, qd)[1]
    return total / samples


def prescribed_scaling(config: FinRayEnvConfig, amplitudes: Sequence[float], frequencies: Sequence[float],
                       phase_lag: float = 0.9) -> dict[str, object]:
    """:func:`thrust_scaling` for :func:`prescribed_thrust` (fluid model alone)."""
    rows = [(a, f, prescribed_thrust(config, a, f, phase_lag)) for a in amplitudes for f in frequencies]
    table = np.array(rows)
    log_t = np.log(table[:, 2])
    p = float(np.polyfit(np.log(table[:, 0] * table[:, 1]), log_t, 1)[0])
    design = np.c_[np.log(table[:, 0]), np.log(table[:, 1]), np.ones(len(rows))]
    p_a, p_f = (float(v) for v in np.linalg.lstsq(design, log_t, rcond=None)[0][:2])
    return {"exponent": p, "exponent_amplitude": p_a, "exponent_frequency": p_f, "table": rows}
