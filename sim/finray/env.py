"""``greenroom/FinRay-v0``: a tethered fin of flexible rays in a fluid, actuated at the ray bases.

Description
    A ribbon-like fin of ``n_rays`` rays (default 5) hangs from a fixed base line along the
    world x axis (x toward the head; ray 0 is the head-most ray), rays pointing toward -z. Each
    ray is a chain of ``segments`` hinged segments (hinge axes parallel to x, so rays sweep and
    bend laterally in y); the first hinge is driven by a position actuator (target and torque
    limits), the others are passive springs with damping. The membrane between rays is a set
    of thin-plate panels loaded by a resistive-force fluid model (:mod:`.fluid`), recomputed at
    every physics step and applied as generalized forces. The fin is tethered: the fluid force
    along +x is the thrust that the tether holds.

Action space
    ``Box(-1, 1, (n_rays,), float32)``: base angle targets, ``target_i = action_i * max_angle``
    (rad), held for one control step (``1 / control_hz`` s), optionally delayed by the sampled
    latency.

Observation space
    ``Box(-100, 100, (F + history_steps * H,), float32)``: the current frame (F = 2*n_rays*segments
    + 6 + n_rays values, table below) followed by one record per previous control step, newest
    first (at reset the records repeat the first frame's). A record is the whole frame (H = F,
    ``history_frame="full"``, the default) or (``"compact"``, H = 2*n_rays + 2) that frame's base
    hinge angles (R), previous action (R) and fluid force x, y (2). The frame (clipped):

    ==========================  =====================  ====================================
    slice                       quantity               unit / scaling
    ==========================  =====================  ====================================
    [0, R*S)                    hinge angles           rad (ray-major, base hinge first)
    [R*S, 2*R*S)                hinge rates            rad/s divided by 10
    next 2                      clock phase            sin, cos of 2*pi*phase_hz*t
    next 2                      fluid force x, y       N / force_scale, mean over the step
    next 2                      lateral command, low-pass lateral force    N / force_scale
    last R                      previous action        [-1, 1]
    ==========================  =====================  ====================================

    Angles, rates and forces carry the sampled sensor noise (drawn once per frame; a record keeps
    its frame's noise). The history lets a policy identify the sampled actuator, structure and
    fluid parameters from how the fin answered its last actions.

Rewards (terms in ``info["reward_terms"]`` sum to the reward)
    * ``thrust`` objective: ``thrust = Fx / force_scale``.
    * ``efficiency``: ``thrust`` plus ``power = -power_weight * P / power_scale`` where ``P`` is
      the actuator power sum_i |tau_i * omega_i| (W, no regeneration). The episode figure of
      merit is mean thrust / mean power (N/W), see :func:`episode_metrics`.
    * ``lateral``: ``tracking = -|Fy_lp - Fy_cmd| / force_scale`` where ``Fy_lp`` is the lateral
      fluid force low-passed with ``lateral_tau`` and ``Fy_cmd`` a command redrawn every
      ``command_period`` s from U(-lateral_max, lateral_max).

Starting state
    Rays at rest, straight down; the randomization groups (fluid, rays, actuators, sensors,
    latency) are sampled from the reset seed and recorded in ``info["randomization"]``.
    ``reset(options={"randomization": {group: {field: value}}})`` replaces any of the sampled
    values (the out-of-range evaluation set uses it, see ``config.out_of_range_values``).

Episode end
    Never terminated (tethered fin) unless the simulation diverges; truncated after
    ``episode_seconds``.

Arguments
    ``FinRayEnv(config: FinRayEnvConfig | None = None, render_mode: None = None)``.
"""
from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from ..core.randomization import sample_groups
from .config import FinRayEnvConfig
from .fluid import FinFluid, FluidParams
from .model import added_mass_per_segment, build_mjcf

VELOCITY_SCALE = 10.0  # rad/s per observation unit
OBS_LIMIT = 100.0  # observations are clipped to +/- this (only reached if the simulation blows up)


class FinRayEnv(gym.Env):
    """See the module docstring for spaces, rewards and episode rules."""

    metadata = {"render_modes": []}

    def __init__(self, config: FinRayEnvConfig | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None:
            raise ValueError(f"FinRayEnv has no render modes, got render_mode={render_mode!r}")
        self.config = cfg = config or FinRayEnvConfig()
        self.model = mujoco.MjModel.from_xml_string(build_mjcf(cfg))
        self.data = mujoco.MjData(self.model)
        self.R, self.S = cfg.n_rays, cfg.segments
        self.fluid = FinFluid(self.R, self.S, cfg.ray_length / self.S, cfg.ray_spacing,
                              FluidParams(skin_friction=cfg.skin_friction))
        self._base_dofs = np.arange(self.R) * self.S
        m = self.model
        self._nominal = {
            "stiffness": m.jnt_stiffness.copy(), "damping": m.dof_damping.copy(),
            "gain": m.actuator_gainprm[:, 0].copy(), "forcerange": m.actuator_forcerange.copy(),
        }
        self._seg_bodies = np.arange(1, m.nbody)
        self._added = added_mass_per_segment(cfg)
        self._inertia_per_mass = m.body_inertia[self._seg_bodies] / m.body_mass[self._seg_bodies, None]
        self._frame_dim = cfg.frame_dim
        n = self.R * self.S
        self._record_index = (np.arange(cfg.frame_dim) if cfg.history_frame == "full" else
                              np.r_[self._base_dofs, 2 * n + 6:2 * n + 6 + self.R, 2 * n + 2:2 * n + 4])
        obs_dim = cfg.obs_dim
        self.observation_space = gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT, (obs_dim,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (self.R,), np.float32)
        self._obs = np.zeros(obs_dim, np.float32)
        self._dt = 1.0 / cfg.control_hz
        self._alpha = 1.0 - math.exp(-self._dt / cfg.lateral_tau)
        self.randomization: dict[str, dict[str, Any]] = {}
        self._reset_state()

    # -- randomization ---------------------------------------------------------------------
    def _apply_randomization(self, values: dict[str, dict[str, Any]]) -> None:
        cfg, m, nom = self.config, self.model, self._nominal
        fl = values["fluid"]
        self.fluid.params = FluidParams(fl["density"], fl["viscosity"], fl["drag_coef"], cfg.skin_friction)
        mass = cfg.segment_mass + self._added * fl["density"] / 1000.0
        m.body_mass[self._seg_bodies] = mass
        m.body_inertia[self._seg_bodies] = self._inertia_per_mass * mass
        m.jnt_stiffness[:] = nom["stiffness"] * values["rays"]["stiffness_scale"]
        m.dof_damping[:] = nom["damping"]
        passive = np.setdiff1d(np.arange(m.nv), self._base_dofs)
        m.dof_damping[passive] *= values["rays"]["damping_scale"]
        kp = nom["gain"] * values["actuators"]["kp_scale"]
        m.actuator_gainprm[:, 0] = kp
        m.actuator_biasprm[:, 1] = -kp
        m.actuator_forcerange[:] = nom["forcerange"] * values["actuators"]["torque_scale"]
        self._noise = values["sensors"]
        self._delay = int(values["latency"]["action_delay"])

    def _reset_state(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        self._step = 0
        self._fx = self._fy = self._power = 0.0
        self._fy_lp = 0.0
        self._command = 0.0
        self._prev_action = np.zeros(self.R, np.float32)
        self._queue: list[np.ndarray] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        episode_seed = int(self.np_random.integers(2**31 - 1))
        options = options or {}
        self.randomization = sample_groups(self.config.randomization.groups(), episode_seed)
        self._override(options.get("randomization") or {})
        self._apply_randomization(self.randomization)
        self._reset_state()
        self._queue = [np.zeros(self.R, np.float32)] * self._delay
        self._fixed_command = options.get("lateral_command")
        self._command = self._draw_command()
        self._observe()
        self._obs[self._frame_dim:] = np.tile(self._obs[self._record_index], self.config.history_steps)
        return self._obs.copy(), self._info({})

    def _override(self, values: dict[str, dict[str, Any]]) -> None:
        """Replace sampled randomization values by given ones (``{group: {field: value}}``, any subset)."""
        for group, fields in values.items():
            if group not in self.randomization:
                raise ValueError(f"unknown randomization group {group!r} in reset options; valid: "
                                 f"{', '.join(self.randomization)}")
            unknown = sorted(set(fields) - set(self.randomization[group]))
            if unknown:
                raise ValueError(f"unknown field(s) {unknown} of randomization group {group!r}; valid: "
                                 f"{', '.join(self.randomization[group])}")
            self.randomization[group].update(fields)

    def _draw_command(self) -> float:
        if self.config.objective != "lateral":
            return 0.0
        if self._fixed_command is not None:
            return float(self._fixed_command)
        lim = self.config.lateral_max
        return float(self.np_random.uniform(-lim, lim))

    # -- stepping --------------------------------------------------------------------------
    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        cfg, m, d = self.config, self.model, self.data
        action = np.clip(np.asarray(action, np.float32).reshape(self.R), -1.0, 1.0)
        self._queue.append(action)
        applied = self._queue.pop(0)
        d.ctrl[:] = applied * cfg.max_angle
        q = d.qpos.reshape(self.R, self.S)
        qd = d.qvel.reshape(self.R, self.S)
        fx = fy = power = 0.0
        for _ in range(cfg.substeps):
            tau, fxi, fyi = self.fluid.forces(q, qd)
            d.qfrc_applied[:] = tau.reshape(-1)
            mujoco.mj_step(m, d)
            fx += fxi
            fy += fyi
            power += float(np.abs(d.actuator_force * d.qvel[self._base_dofs]).sum())
        n = cfg.substeps
        self._fx, self._fy, self._power = fx / n, fy / n, power / n
        self._fy_lp += self._alpha * (self._fy - self._fy_lp)
        self._step += 1
        if cfg.objective == "lateral" and self._step % max(1, int(round(cfg.command_period * cfg.control_hz))) == 0:
            self._command = self._draw_command()
        self._prev_action = action
        terms = self._reward_terms()
        reward = float(sum(terms.values()))
        diverged = not (np.all(np.isfinite(d.qpos)) and np.all(np.isfinite(d.qvel)))
        if diverged:
            self._reset_state()
        truncated = self._step >= cfg.max_steps
        return self._observe(), reward, diverged, truncated, self._info(terms)

    def _reward_terms(self) -> dict[str, float]:
        cfg = self.config
        if cfg.objective == "thrust":
            return {"thrust": self._fx / cfg.force_scale}
        if cfg.objective == "efficiency":
            return {"thrust": self._fx / cfg.force_scale, "power": -cfg.power_weight * self._power / cfg.power_scale}
        return {"tracking": -abs(self._fy_lp - self._command) / cfg.force_scale}

    def _observe(self) -> np.ndarray:
        """Shift the records one step down, record the last frame, write the current frame in front."""
        cfg, d, rng, noise = self.config, self.data, self.np_random, self._noise
        n = self.R * self.S
        stack, frame, record = self._obs, self._frame_dim, len(self._record_index)
        if cfg.history_steps:
            stack[frame + record:] = stack[frame:-record].copy()
            stack[frame:frame + record] = stack[self._record_index]
        obs = stack[:frame]
        obs[:n] = d.qpos
        obs[n:2 * n] = d.qvel / VELOCITY_SCALE
        phase = 2.0 * math.pi * cfg.phase_hz * self._step * self._dt
        fs = cfg.force_scale
        obs[2 * n:2 * n + 6] = (math.sin(phase), math.cos(phase), self._fx / fs, self._fy / fs,
                                self._command / fs, self._fy_lp / fs)
        obs[2 * n + 6:] = self._prev_action
        if noise["angle_noise"] > 0:
            obs[:n] += rng.normal(0.0, noise["angle_noise"], n)
        if noise["velocity_noise"] > 0:
            obs[n:2 * n] += rng.normal(0.0, noise["velocity_noise"] / VELOCITY_SCALE, n)
        if noise["force_noise"] > 0:
            obs[2 * n + 2:2 * n + 4] += rng.normal(0.0, noise["force_noise"] / fs, 2)
        np.clip(obs, -OBS_LIMIT, OBS_LIMIT, out=obs)
        return stack.copy()

    def _info(self, terms: dict[str, float]) -> dict[str, Any]:
        return {
            "thrust": self._fx, "lateral_force": self._fy, "lateral_force_lp": self._fy_lp,
            "lateral_command": self._command, "power": self._power, "time": self._step * self._dt,
            "base_angles": self.data.qpos[self._base_dofs].copy(),
            "reward_terms": terms,
            "randomization": {group: dict(values) for group, values in self.randomization.items()},
        }
