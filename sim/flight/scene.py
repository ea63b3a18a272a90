"""Turn a :class:`WorldLayout` and a texture bank into a MuJoCo model with ``mujoco.MjSpec``.

Two copies of the geometry, because llvmpipe pays ~25 us per draw call:

- collision geoms: one box/cylinder per primitive, geom group ``COLLISION_GROUP`` (hidden from
  the camera, used by contacts and by ``mj_ray``);
- visual geoms: one triangle mesh per appearance slot (floor, ceiling, walls 0-3, furniture
  0-2), contype/conaffinity 0, group ``VISUAL_GROUP``, texture coordinates in metres (world
  aligned, so ``mat_texrepeat`` = repeats per metre). Each slot has its own material, so the
  texture, tint and shading of a slot change per episode by writing ``mat_*`` (no re-upload).

The quadrotor ("drone") is a free body with gravity compensation (``gravcomp=1``: the inner
loop holds altitude) and four ``velocity`` actuators on a body-frame site: vx, vy, vz (N, gain
``mass / tau``) and yaw rate (N m, gain ``Izz / tau``). That realises the first-order
velocity-tracking loop ``dv/dt = (v_cmd - v) / tau`` in the body frame, in MuJoCo's C step.
The forward camera "fpv" is mounted on the drone looking along body +x. (The constraint solver
stays on: switching it off also switches off MuJoCo's contact detection, which ends episodes.)
"""
from __future__ import annotations

import math

import mujoco
import numpy as np

from .config import FlightEnvConfig
from .ranges import MAX_LIGHTS
from .world import SLOTS, WorldLayout

COLLISION_GROUP = 3
VISUAL_GROUP = 1
CAMERA_NAME = "fpv"
DRONE_NAME = "drone"
# camera looks along body +x with image up = body +z (MuJoCo cameras look along their -z)
CAMERA_BASE_QUAT = np.array([0.5, 0.5, -0.5, -0.5])
_CORNERS = np.array([[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
                     [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], float)
_QUADS = ((0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (2, 3, 7, 6), (1, 2, 6, 5), (0, 4, 7, 3))
_QUAD_AXES = ((0, 1), (0, 1), (0, 2), (0, 2), (1, 2), (1, 2))   # world axes giving (u, v) per face


class MeshBuilder:
    """Accumulates boxes and cylinders into one triangle mesh with world-metre texcoords."""

    def __init__(self) -> None:
        self.verts: list[np.ndarray] = []
        self.texcoords: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.count = 0

    def _add(self, verts: np.ndarray, tex: np.ndarray, faces: np.ndarray) -> None:
        self.verts.append(verts)
        self.texcoords.append(tex)
        self.faces.append(faces + self.count)
        self.count += len(verts)

    def box(self, pos: np.ndarray, half: np.ndarray, yaw: float = 0.0) -> None:
        """A box centred at ``pos`` with half extents ``half`` (m) in its own frame, turned by
        ``yaw`` (rad) about the vertical; texture coordinates follow the box's own faces."""
        local = _CORNERS * half
        c, s = math.cos(yaw), math.sin(yaw)
        turned = np.c_[c * local[:, 0] - s * local[:, 1], s * local[:, 0] + c * local[:, 1], local[:, 2]]
        p, unturned = pos + turned, pos + local
        verts = np.concatenate([p[list(q)] for q in _QUADS])
        tex = np.concatenate([unturned[list(q)][:, ax] for q, ax in zip(_QUADS, _QUAD_AXES)])
        base = np.arange(6)[:, None] * 4
        faces = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]])
        self._add(verts, tex, faces)

    def cylinder(self, pos: np.ndarray, radius: float, half_height: float, sides: int = 12) -> None:
        """A z-axis cylinder (``sides``-gon with caps) centred at ``pos`` (m, world)."""
        a = np.linspace(0, 2 * math.pi, sides + 1)
        ring = np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1) + pos[:2]
        z0, z1 = pos[2] - half_height, pos[2] + half_height
        side = np.concatenate([np.c_[ring, np.full(sides + 1, z0)], np.c_[ring, np.full(sides + 1, z1)]])
        side_tex = np.c_[np.tile(a * radius, 2), side[:, 2]]
        i = np.arange(sides)
        side_faces = np.concatenate([np.c_[i, i + 1, i + sides + 2], np.c_[i, i + sides + 2, i + sides + 1]])
        self._add(side, side_tex, side_faces)
        for z, flip in ((z1, False), (z0, True)):
            cap = np.concatenate([[np.r_[pos[:2], z]], np.c_[ring[:-1], np.full(sides, z)]])
            tri = np.c_[np.zeros(sides, int), 1 + i, 1 + (i + 1) % sides]
            self._add(cap, cap[:, :2], tri[:, ::-1] if flip else tri)

    def arrays(self) -> tuple[list[float], list[float], list[int]]:
        """Flattened vertices, texture coordinates and faces for ``MjSpec.add_mesh``."""
        return (np.concatenate(self.verts).ravel().tolist(), np.concatenate(self.texcoords).ravel().tolist(),
                np.concatenate(self.faces).astype(int).ravel().tolist())


def build_spec(layout: WorldLayout, bank: list[np.ndarray], config: FlightEnvConfig) -> mujoco.MjSpec:
    """The MjSpec of one world: textures, slot materials and meshes, collision geoms, lights, drone."""
    spec = mujoco.MjSpec()
    spec.modelname = "greenroom_flight"
    spec.option.timestep = 1.0 / config.physics_hz
    spec.visual.quality.shadowsize = 0      # no shadows (5-10x slower on llvmpipe)
    spec.visual.quality.offsamples = 0      # no MSAA: halves the 64 px render time on llvmpipe
    spec.visual.global_.offwidth = max(640, config.image_size)
    spec.visual.global_.offheight = max(480, config.image_size)
    spec.stat.extent = 10.0
    for k, image in enumerate(bank):
        tex = spec.add_texture(name=f"bank{k}", type=mujoco.mjtTexture.mjTEXTURE_2D,
                               width=image.shape[1], height=image.shape[0], nchannel=3)
        tex.data = np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    builders = {slot: MeshBuilder() for slot in SLOTS}
    for prim in layout.primitives:
        pos, size = np.array(prim.pos), np.array(prim.size)
        if prim.kind == "box":
            builders[prim.slot].box(pos, size, prim.yaw)
            spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, pos=pos, size=size, group=COLLISION_GROUP,
                                    quat=[math.cos(prim.yaw / 2), 0.0, 0.0, math.sin(prim.yaw / 2)])
        else:
            builders[prim.slot].cylinder(pos, size[0], size[1])
            spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, pos=pos, size=[size[0], size[1], 0],
                                    group=COLLISION_GROUP)
    for k, slot in enumerate(SLOTS):
        material = spec.add_material(name=f"slot_{slot}")
        material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = f"bank{k % len(bank)}"
        builder = builders[slot]
        if not builder.count:   # keep one geom per slot so slot indices never shift
            builder.box(np.array([layout.origin[0], layout.origin[1], -1.0]), np.full(3, 0.01))
        verts, tex, faces = builder.arrays()
        mesh = spec.add_mesh(name=f"mesh_{slot}", uservert=verts, usertexcoord=tex, userface=faces)
        mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL
        spec.worldbody.add_geom(name=f"visual_{slot}", type=mujoco.mjtGeom.mjGEOM_MESH, meshname=f"mesh_{slot}",
                                material=f"slot_{slot}", contype=0, conaffinity=0, group=VISUAL_GROUP)
    for k in range(MAX_LIGHTS):
        spec.worldbody.add_light(name=f"light{k}", pos=[0, 0, layout.ceiling_height - 0.1], dir=[0, 0, -1],
                                 castshadow=False, cutoff=90.0, exponent=0.0)
    _add_drone(spec, config)
    return spec


def _add_drone(spec: mujoco.MjSpec, config: FlightEnvConfig) -> None:
    r, m = config.collision_radius, config.mass
    inertia = 0.4 * m * r * r
    body = spec.worldbody.add_body(name=DRONE_NAME, pos=[0, 0, 1.0], ipos=[0, 0, 0], gravcomp=1.0, mass=m,
                                   inertia=[inertia] * 3, explicitinertial=True)
    body.add_freejoint(name="drone_free")
    body.add_geom(name="drone_hull", type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[r, 0, 0], group=COLLISION_GROUP,
                  mass=0.0, density=0.0)
    body.add_site(name="body_frame")
    fovy = config.vfov_deg
    body.add_camera(name=CAMERA_NAME, pos=[0.5 * r, 0, 0], quat=CAMERA_BASE_QUAT, fovy=fovy)
    names = ("vx", "vy", "vz", "yaw_rate")
    for k, name in enumerate(names):
        gear = [0.0] * 6
        gear[k if k < 3 else 5] = 1.0
        act = spec.add_actuator(name=name, target="body_frame", trntype=mujoco.mjtTrn.mjTRN_SITE, gear=gear)
        act.set_to_velocity(kv=1.0)
        act.ctrllimited = False
        act.forcelimited = False
