"""Apply one episode's randomization samples to a compiled flight model, and degrade images.

Everything here writes ``mjModel`` fields that take effect without recompiling or re-uploading
textures (material texture ids, colours, lights, camera, actuator gains, damping), so it runs
every episode in well under a millisecond. Samples come from :func:`sample_groups` over
:class:`~greenroom.sim.flight.ranges.FlightRandomization`; the structured choices (which slot
wears which texture, where each light hangs) are drawn from the group's own ``seed`` sample, so a
switched-off group (nominal seed) makes the same choices every episode.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import cv2
import mujoco
import numpy as np

from ..core import rotations
from .attitude import AttitudeTilt
from .config import FlightEnvConfig
from .dynamics import CommandPipeline
from .ranges import MAX_LIGHTS, LightDraws, SlotColorDraws, SlotTextureDraws
from .scene import CAMERA_BASE_QUAT, CAMERA_NAME, DRONE_NAME
from .world import SLOTS, WorldLayout

_RGB_ROLE = int(mujoco.mjtTextureRole.mjTEXROLE_RGB)
WORLD_GROUPS = ("layout", "furniture_rotation", "doors", "textures")   # sampled per world, not per episode
APPEARANCE_GROUPS = ("textures", "colors", "lights", "image")   # what :func:`restyled` draws anew
_APPEARANCE_FIELDS = ("mat_texid", "mat_texrepeat", "mat_rgba", "mat_specular", "mat_shininess", "mat_emission",
                      "light_pos", "light_dir", "light_diffuse", "light_ambient", "light_specular", "light_active")


@dataclass(frozen=True)
class DynamicsParams:
    """The episode's inner-loop parameters (see :class:`DynamicsRanges`)."""

    tau: float               # velocity time constant (s)
    latency_steps: int       # command delay (control steps)
    limits: np.ndarray       # (4,) |vx|, |vy|, |vz| (m/s), |yaw_rate| (rad/s) after max_speed_scale
    drag: float              # linear drag rate (1/s)


def apply_textures(model: mujoco.MjModel, values: dict[str, Any], bank_size: int,
                   per_slot: SlotTextureDraws) -> dict[str, tuple]:
    """Give each slot material a bank texture and a texture scale; returns what was drawn per slot
    (``slot_textures``: bank index, ``slot_texrepeat``: repeats per metre; ``same_texture``: every
    slot wears the first slot's texture this episode)."""
    rng = np.random.default_rng(values["seed"])
    assignment = rng.integers(0, bank_size, len(SLOTS))
    scales = []
    for slot_id, tex in enumerate(assignment):
        model.mat_texid[slot_id, _RGB_ROLE] = int(tex)
        scale = values["texrepeat"] * per_slot.scale.sample(rng)
        model.mat_texrepeat[slot_id] = (scale, scale)
        scales.append(scale)
    same = per_slot.same_texture > 0.0 and bool(rng.random() < per_slot.same_texture)  # drawn last: off keeps the stream
    if same:
        assignment[:] = assignment[0]
        model.mat_texid[: len(SLOTS), _RGB_ROLE] = int(assignment[0])
    return {"slot_textures": tuple(int(t) for t in assignment), "slot_texrepeat": tuple(scales), "same_texture": same}


def apply_colors(model: mujoco.MjModel, values: dict[str, Any], per_slot: SlotColorDraws) -> dict[str, tuple]:
    """Per-slot tint (blend of white and a random colour), brightness and shading; returns the
    material values written per slot."""
    rng = np.random.default_rng(values["seed"])
    drawn: dict[str, list] = {"slot_rgba": [], "slot_specular": [], "slot_shininess": [], "slot_emission": []}
    for slot_id in range(len(SLOTS)):
        color = np.array(per_slot.color.sample(rng))
        rgb = values["brightness"] * ((1 - values["tint_strength"]) + values["tint_strength"] * color)
        model.mat_rgba[slot_id] = (*np.clip(rgb, 0.0, 1.0), 1.0)
        model.mat_specular[slot_id] = values["specular"] * per_slot.specular_scale.sample(rng)
        model.mat_shininess[slot_id] = min(1.0, values["shininess"] * per_slot.shininess_scale.sample(rng))
        model.mat_emission[slot_id] = values["emission"] * per_slot.emission_scale.sample(rng)
        drawn["slot_rgba"].append(tuple(float(v) for v in model.mat_rgba[slot_id]))
        for name, field_ in (("slot_specular", model.mat_specular), ("slot_shininess", model.mat_shininess),
                             ("slot_emission", model.mat_emission)):
            drawn[name].append(float(field_[slot_id]))
    return {name: tuple(v) for name, v in drawn.items()}


def apply_lights(model: mujoco.MjModel, values: dict[str, Any], layout: WorldLayout,
                 per_light: LightDraws) -> dict[str, tuple]:
    """Switch on ``count`` lights over random free floor spots near the ceiling; returns, for the
    active lights, ``positions`` (m, world), ``directions`` (unit vectors) and ``diffuse_rgb``."""
    rng = np.random.default_rng(values["seed"])
    spots = layout.light_spots
    picks = rng.choice(len(spots), size=MAX_LIGHTS, replace=len(spots) < MAX_LIGHTS)
    drawn: dict[str, list] = {"positions": [], "directions": [], "diffuse_rgb": []}
    for k in range(MAX_LIGHTS):
        x, y = spots[picks[k]]
        z = layout.ceiling_height - 0.1
        tilt, azimuth = values["direction_tilt"] * per_light.tilt_fraction.sample(rng), per_light.azimuth.sample(rng)
        model.light_pos[k] = (x, y, z)
        model.light_dir[k] = (math.sin(tilt) * math.cos(azimuth), math.sin(tilt) * math.sin(azimuth), -math.cos(tilt))
        model.light_diffuse[k] = values["diffuse"] * np.array(per_light.diffuse_scale.sample(rng))
        model.light_ambient[k] = values["ambient"]
        model.light_specular[k] = 0.2
        model.light_active[k] = k < values["count"]
        if k < values["count"]:
            drawn["positions"].append((float(x), float(y), float(z)))
            drawn["directions"].append(tuple(float(v) for v in model.light_dir[k]))
            drawn["diffuse_rgb"].append(tuple(float(v) for v in model.light_diffuse[k]))
    model.vis.headlight.diffuse[:] = values["headlight_diffuse"]
    model.vis.headlight.ambient[:] = values["headlight_ambient"]
    model.vis.headlight.specular[:] = 0.0
    return {name: tuple(v) for name, v in drawn.items()}


def apply_camera(model: mujoco.MjModel, values: dict[str, Any], config: FlightEnvConfig) -> None:
    """Camera field of view (square image: fovy = hfov), mount pitch and mount offset."""
    cam = model.camera(CAMERA_NAME).id
    model.cam_fovy[cam] = config.vfov_deg + values["fov_delta_deg"]
    model.cam_pos[cam] = np.array([0.5 * config.collision_radius, 0.0, 0.0]) + np.asarray(values["position"])
    pitch = math.radians(values["pitch_deg"])        # + = nose up: rotate about body -y
    q_pitch = rotations.xyzw_to_wxyz(rotations.euler_to_quat([-pitch], "y"))  # MuJoCo order (w, x, y, z)
    quat = np.empty(4)
    mujoco.mju_mulQuat(quat, q_pitch, CAMERA_BASE_QUAT)
    model.cam_quat[cam] = quat


def apply_dynamics(model: mujoco.MjModel, values: dict[str, Any], config: FlightEnvConfig) -> DynamicsParams:
    """Actuator gains for time constant tau and drag as joint damping (first-order loop)."""
    body = model.body(DRONE_NAME)
    mass, izz = float(body.mass[0]), float(np.ravel(body.inertia)[2])
    tau, drag = float(values["tau"]), float(values["drag"])
    for k, gain in enumerate((mass / tau,) * 3 + (izz / tau,)):
        model.actuator_gainprm[k, 0] = gain
        model.actuator_biasprm[k, 2] = -gain
    dof = model.joint("drone_free").dofadr[0]
    model.dof_damping[dof:dof + 3] = mass * drag
    model.dof_damping[dof + 5] = izz * drag
    model.dof_damping[dof + 3:dof + 5] = izz * 20.0      # keep roll/pitch level (rad/s decay ~0.05 s)
    limits = np.array(config.action_limits) * values["max_speed_scale"]
    return DynamicsParams(tau=tau, latency_steps=int(values["latency_steps"]), limits=limits, drag=drag)


class ImageDegrader:
    """Gaussian blur (sigma px), gamma (LUT) and additive Gaussian noise (std in 0..255 units).

    Nominal values (sigma 0, gamma 1, std 0) leave the image untouched. Noise comes from a
    per-episode bank of (2H, 2W, 3) Gaussian samples, cropped at a random offset every frame
    (4x cheaper than drawing H*W*3 normals per frame); the offsets come from a seeded generator
    whose state is part of the env state, so branching rollouts see the same noise.
    """

    def __init__(self, values: dict[str, Any], image_size: int) -> None:
        self.values = dict(values)
        self.sigma = float(values["blur_sigma"])
        self.std = float(values["noise_std"])
        gamma = float(values["gamma"])
        self.lut = None if abs(gamma - 1.0) < 1e-9 else np.clip(
            255.0 * (np.arange(256) / 255.0) ** gamma + 0.5, 0, 255).astype(np.uint8)
        self.rng = np.random.default_rng(values["seed"])
        self.size = int(image_size)
        self.noise = None
        if self.std > 1e-3:
            bank = self.rng.standard_normal((2 * self.size, 2 * self.size, 3), dtype=np.float32) * self.std
            self.noise = np.rint(bank).astype(np.int16)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        out = image
        if self.sigma > 1e-3:
            out = cv2.GaussianBlur(out, (0, 0), self.sigma)
        if self.lut is not None:
            out = cv2.LUT(out, self.lut)
        if self.noise is not None:
            oy, ox = self.rng.integers(0, self.size, 2)
            out = cv2.add(out, self.noise[oy:oy + self.size, ox:ox + self.size], dtype=cv2.CV_8U)
        return out


def apply_appearance(model: mujoco.MjModel, samples: dict[str, Any], config: FlightEnvConfig,
                     layout: WorldLayout) -> tuple[dict[str, tuple], dict[str, tuple], dict[str, tuple]]:
    """Write the slot textures, slot colours and lights of ``samples`` into ``model``; returns what each
    drew (:func:`apply_textures`, :func:`apply_colors`, :func:`apply_lights`)."""
    ranges = config.randomization
    return (apply_textures(model, samples["textures"], config.texture_bank, ranges.textures.per_slot),
            apply_colors(model, samples["colors"], ranges.colors.per_slot),
            apply_lights(model, samples["lights"], layout, ranges.lights.per_light))


@contextmanager
def restyled(model: mujoco.MjModel, samples: dict[str, Any], config: FlightEnvConfig,
             layout: WorldLayout) -> Iterator[ImageDegrader]:
    """Dress ``model`` in another draw of the appearance groups for the duration of the block.

    ``samples`` holds the :data:`APPEARANCE_GROUPS` (``sample_groups`` over them): slot textures
    from the current world's bank and their scale, slot colours and shading, lights and headlight.
    Yields the draw's image degrader (blur, gamma, noise). Geometry, camera and dynamics are not
    touched, and every model field written is restored on exit (call ``mj_camlight`` after either
    side so the lights' world poses follow).
    """
    saved = {name: getattr(model, name).copy() for name in _APPEARANCE_FIELDS}
    headlight = model.vis.headlight
    saved_head = (headlight.diffuse.copy(), headlight.ambient.copy(), headlight.specular.copy())
    try:
        apply_appearance(model, samples, config, layout)
        yield ImageDegrader(samples["image"], config.image_size)
    finally:
        for name, values in saved.items():
            getattr(model, name)[:] = values
        headlight.diffuse[:], headlight.ambient[:], headlight.specular[:] = saved_head


@dataclass
class EpisodeParts:
    """What an episode's samples build besides model fields: the dynamics parameters, the image
    degrader, the command pipeline, the camera mount pose (body frame: pos m, quat w x y z) and
    the attitude tilt state."""

    dynamics: DynamicsParams
    degrade: "ImageDegrader"
    commands: CommandPipeline
    mount: tuple[np.ndarray, np.ndarray]
    tilt: AttitudeTilt


def apply_episode(model: mujoco.MjModel, samples: dict[str, Any], config: FlightEnvConfig, layout: Any,
                  world_samples: dict[str, Any], bank_names: list[str]) -> EpisodeParts:
    """Write one episode's appearance, camera and dynamics samples into ``model`` and complete
    ``samples`` (in place) with what was derived from them (world samples, texture assignment,
    light positions), every list turned into a tuple (immutable leaves: infos share them)."""
    slot_textures, slot_colors, lights = apply_appearance(model, samples, config, layout)
    apply_camera(model, samples["camera"], config)
    cam = model.camera(CAMERA_NAME).id
    mount = (model.cam_pos[cam].copy(), model.cam_quat[cam].copy())
    tilt = AttitudeTilt(samples["attitude"]["tau"], samples["attitude"]["gain"], config.control_dt)
    dynamics = apply_dynamics(model, samples["dynamics"], config)
    parts = EpisodeParts(dynamics, ImageDegrader(samples["image"], config.image_size),
                         CommandPipeline(dynamics.limits, dynamics.latency_steps), mount, tilt)
    samples["layout"] = {**world_samples["layout"], **layout.draws}
    samples["furniture_rotation"] = dict(world_samples["furniture_rotation"])
    samples["doors"] = dict(world_samples["doors"])
    samples["textures"] = {**samples["textures"], "bank_seed": world_samples["textures"]["seed"],
                           "photo_fraction": world_samples["textures"]["photo_fraction"],
                           "bank": list(bank_names), **slot_textures}
    samples["colors"] = {**samples["colors"], **slot_colors}
    samples["lights"] = {**samples["lights"], **lights}
    for group in samples.values():
        for key, value in group.items():
            if isinstance(value, list):
                group[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return parts
