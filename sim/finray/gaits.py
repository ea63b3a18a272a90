"""Open-loop gait families of the fin-ray baseline: what an engineer tuning a fin by hand would try.

A gait is a periodic base-angle target per ray, a function of time only (no feedback). Each
family maps a parameter vector to targets ``theta_i(t)`` (rad, ray 0 at the head); the env's
actuator range clips them to ``+/- max_angle``, so an amplitude above ``max_angle`` gives an
overdriven, clipped (near-square) stroke. ``phase_i`` is the phase delay of ray ``i`` (rad,
ray 0 = 0; positive = a head -> tail wave), parametrized by per-ray increments
``phase_i - phase_{i-1}`` so that a constant increment is the classic travelling wave.

==============  ====================================================  ===========================
family          theta_i(t)                                            parameters
==============  ====================================================  ===========================
sinusoid        A sin(2 pi f t - i * lag)                             A, f, lag
per_ray         A sin(2 pi f t - phase_i)                             A, f, R-1 phase increments
fourier         sum_k a_k sin(k (2 pi f t - phase_i) + psi_k), k<=3    f, a1, a2, psi2, a3, psi3,
                                                                      R-1 phase increments
trapezoid       A clip(tri(f t - phase_i / 2 pi) / r, -1, 1)          A, f, r, lag
==============  ====================================================  ===========================

``tri`` is the triangle wave in phase with a sine, ``(2/pi) arcsin(sin(2 pi u))``; ``r`` in
(0, 1] is the fraction of the half stroke spent ramping (1: triangle, -> 0: square wave).
Bounds (:data:`FAMILIES`) are the search ranges; units rad, Hz, rad per ray, -.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import FinRayEnvConfig

Policy = Callable[[np.ndarray, dict[str, Any]], np.ndarray]

AMPLITUDE = (0.1, 2.4)  # rad: up to 4x the default max_angle (0.6), overdriven strokes clip to square-ish
FREQUENCY = (1.0, 5.0)  # Hz: the rays' first bending mode spans ~2.1-4.2 Hz over the stiffness range
LAG = (-1.0, 2.0)  # rad per ray (negative: reversed wave)
HARMONIC = (0.0, 1.2)  # rad, amplitude of the 2nd and 3rd harmonic
PHASE = (-math.pi, math.pi)  # rad, phase of a harmonic
RAMP = (0.05, 1.0)  # fraction of the half stroke spent ramping (trapezoid)


@dataclass(frozen=True)
class Family:
    """A gait family: parameter names and search bounds (the same order as the parameter vector)."""

    name: str
    params: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]

    def check(self, values: tuple[float, ...]) -> None:
        if len(values) != len(self.params):
            raise ValueError(f"{self.name} gait takes {len(self.params)} parameters {self.params}, got {len(values)}")


def _increments(n_rays: int) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...]]:
    return tuple(f"dphase{i}" for i in range(1, n_rays)), (LAG,) * (n_rays - 1)


def families(n_rays: int = 5) -> dict[str, Family]:
    """The four families for a fin of ``n_rays`` rays."""
    inc_names, inc_bounds = _increments(n_rays)
    return {
        "sinusoid": Family("sinusoid", ("amplitude", "frequency", "phase_lag"), (AMPLITUDE, FREQUENCY, LAG)),
        "per_ray": Family("per_ray", ("amplitude", "frequency", *inc_names), (AMPLITUDE, FREQUENCY, *inc_bounds)),
        "fourier": Family("fourier", ("frequency", "a1", "a2", "psi2", "a3", "psi3", *inc_names),
                          (FREQUENCY, AMPLITUDE, HARMONIC, PHASE, HARMONIC, PHASE, *inc_bounds)),
        "trapezoid": Family("trapezoid", ("amplitude", "frequency", "ramp", "phase_lag"),
                            ((0.1, 0.6), FREQUENCY, RAMP, LAG)),
    }


FAMILIES = families()


@dataclass(frozen=True)
class Gait:
    """One open-loop gait: a family name and its parameter values (see the module table)."""

    family: str
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown gait family {self.family!r}; valid: {', '.join(FAMILIES)}")

    def named(self, n_rays: int = 5) -> dict[str, float]:
        return dict(zip(families(n_rays)[self.family].params, (float(v) for v in self.values)))

    def phases(self, n_rays: int) -> np.ndarray:
        """Phase delay of every ray (rad), ray 0 = 0."""
        v = self.values
        if self.family in ("sinusoid", "trapezoid"):
            return np.arange(n_rays) * v[-1]
        inc = np.asarray(v[2:] if self.family == "per_ray" else v[6:], float)
        return np.r_[0.0, np.cumsum(inc)]

    def targets(self, t: float, n_rays: int) -> np.ndarray:
        """Base-angle targets (rad) of every ray at time ``t`` (s), before the actuator's clipping."""
        families(n_rays)[self.family].check(self.values)
        return _waveform(self.family, self.values, self.phases(n_rays))(t)

    def policy(self, config: FinRayEnvConfig) -> Policy:
        """A rollout policy: normalized action ``clip(theta / max_angle, -1, 1)`` from ``info["time"]``."""
        n, scale = config.n_rays, 1.0 / config.max_angle
        families(n)[self.family].check(self.values)
        wave = _waveform(self.family, self.values, self.phases(n))

        def act(obs: np.ndarray, info: dict[str, Any]) -> np.ndarray:
            return np.clip(wave(float(info.get("time", 0.0))) * scale, -1.0, 1.0).astype(np.float32)

        return act

    def to_json(self, n_rays: int = 5) -> dict[str, Any]:
        return {"family": self.family, "values": [float(v) for v in self.values], "params": self.named(n_rays)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Gait:
        return cls(str(data["family"]), tuple(float(v) for v in data["values"]))

    @classmethod
    def from_sinusoid(cls, family: str, amplitude: float, frequency: float, lag: float, n_rays: int = 5,
                      max_angle: float = 0.6) -> Gait:
        """The member of ``family`` closest to the sinusoid (A, f, lag): a start point for its search."""
        inc = (lag,) * (n_rays - 1)
        if family == "sinusoid":
            return cls(family, (amplitude, frequency, lag))
        if family == "per_ray":
            return cls(family, (amplitude, frequency, *inc))
        if family == "fourier":
            return cls(family, (frequency, amplitude, 0.0, 0.0, 0.0, 0.0, *inc))
        # a sinusoid overdriven to A > max_angle ramps for about (2/pi) asin(max_angle / A) of its half stroke
        ramp = (2.0 / math.pi) * math.asin(min(1.0, max_angle / max(amplitude, 1e-9)))
        return cls(family, (min(amplitude, max_angle), frequency, max(ramp, RAMP[0]), lag))


def _waveform(family: str, v: tuple[float, ...], phases: np.ndarray) -> Callable[[float], np.ndarray]:
    """theta(t) (rad per ray) of one gait, with its constants bound once (it runs every control step)."""
    if family in ("sinusoid", "per_ray"):
        amplitude, omega = v[0], 2.0 * math.pi * v[1]
        return lambda t: amplitude * np.sin(omega * t - phases)
    if family == "fourier":
        omega, a1, a2, psi2, a3, psi3 = 2.0 * math.pi * v[0], *v[1:6]

        def fourier(t: float) -> np.ndarray:
            theta = omega * t - phases
            return a1 * np.sin(theta) + a2 * np.sin(2 * theta + psi2) + a3 * np.sin(3 * theta + psi3)

        return fourier
    amplitude, omega, ramp = v[0], 2.0 * math.pi * v[1], v[2]
    return lambda t: amplitude * np.clip((2.0 / math.pi) * np.arcsin(np.sin(omega * t - phases)) / ramp, -1.0, 1.0)
