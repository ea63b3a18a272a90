"""The push-grasp world in pybullet: table, arm, blocks, camera, primitives and recovery.

Frames: VPG's world (z up, metres, table top z = 0, workspace from the config). One
:class:`PushGraspWorld` owns one pybullet DIRECT client. Collision/visual shapes and textures
are created once per client and reused, so thousands of episodes do not grow memory; a broken
state (NaN poses, arm outside its limits, bodies flying off) triggers :meth:`rebuild`, which
resets the whole client (V-REP needed manual restarts for the same failures, VPG issue #64).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pybullet as p
import pybullet_data

from .blocks import BLOCK_NAMES, PALETTE, cache_dir, write_block_files
from .camera import LightSettings, corrupt_depth, render_rgbd
from .config import Friction, PushGraspEnvConfig
from .geometry import GRASP, plan_primitive
from .heightmap import Intrinsics, fill_holes, heightmap, look_at_pose
from .meshes import is_convex, mesh_boxes
from .placement import ScenePlacement
from .robot import Arm, ArmSpec
from .testcases import ObjectSpec

TIME_STEP = 1.0 / 240.0
FLOOR_DEPTH = 0.5  # m below the table top
BASE_POSITION = (-0.03, 0.0, 0.0)
# block-block, block-table contact coefficients of a world without randomization (the ROS sim bridge):
# what it had before the friction fix (block 0.7 x itself, block 0.7 x Bullet's default 0.5), inside the
# randomized ranges; the CI arm scenes were measured with them
NOMINAL_FRICTION = (0.49, 0.35)
NOMINAL_ROLLING = Friction().rolling.nominal_value()  # m, the Friction group's nominal rolling resistance
LEGACY_BLOCK_ROLLING = 1e-4  # rolling_model "legacy": the blocks' factor before the rolling fix (table 0)


@dataclass
class ActionResult:
    grasp_success: bool = False
    opening: float = 0.0
    reached: bool = True
    removed_out_of_workspace: int = 0
    broken: bool = False


def _noise_texture(path: Path, seed: int, size: int = 64) -> None:
    import imageio.v3 as iio

    rng = np.random.default_rng(seed)
    base = rng.uniform(60, 220, size=3)
    coarse = rng.normal(0, 35, size=(size // 8, size // 8, 3))
    image = np.clip(base + np.kron(coarse, np.ones((8, 8, 1))) + rng.normal(0, 12, (size, size, 3)), 0, 255)
    iio.imwrite(path, image.astype(np.uint8))


class PushGraspWorld(ScenePlacement):
    """Simulation of the arm, blocks and camera (see module docstring)."""

    def __init__(self, config: PushGraspEnvConfig) -> None:
        self.config = config
        self.workspace = config.workspace
        self.view = config.view  # the heightmap's box: the workspace plus config.view_margin
        self.client = p.connect(p.DIRECT)
        self.objects: list[int] = []
        self.light = LightSettings()
        self.intrinsics: Intrinsics = config.intrinsics()
        self.camera_pose = self.nominal_camera_pose()
        self.depth_rng = np.random.default_rng(0)
        self.noise = (0.0, 0.0)
        self.block_mass = 0.06
        self.rebuild()

    # -- construction -------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Reset the pybullet client and rebuild table, arm, shape and texture caches."""
        p.resetSimulation(physicsClientId=self.client)
        p.setGravity(0, 0, -9.81, physicsClientId=self.client)
        p.setTimeStep(TIME_STEP, physicsClientId=self.client)
        p.setPhysicsEngineParameter(numSolverIterations=30, physicsClientId=self.client)
        # a large floor far below catches fallen blocks; the table top (z = 0) is a textured box, solid
        # down to the floor: a finger pressing a block into a thin (4 cm) top pushed it past the box's
        # mid-plane, and Bullet's penetration recovery then pushed it out underneath (a block lost)
        p.loadURDF(str(Path(pybullet_data.getDataPath()) / "plane.urdf"), [0, 0, -FLOOR_DEPTH], physicsClientId=self.client)
        half = [0.7, 0.7, FLOOR_DEPTH / 2]
        self.plane = p.createMultiBody(
            0, p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=self.client),
            p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=[0.6, 0.6, 0.6, 1], physicsClientId=self.client),
            [-0.35, 0.0, -half[2]], physicsClientId=self.client)
        self.arm = Arm(self.client, ArmSpec(urdf=self.config.robot_urdf, finger_speed=self.config.finger_speed),
                       BASE_POSITION, np.pi, TIME_STEP)
        self.arm.go_home()
        self.objects = []
        self._shapes: dict[str, tuple[int, int]] = {}
        self._textures = self._load_textures()
        self.set_friction(*getattr(self, "_friction", (*NOMINAL_FRICTION, NOMINAL_ROLLING)))

    def _load_textures(self) -> list[int]:
        folder = cache_dir() / "textures"
        folder.mkdir(parents=True, exist_ok=True)
        ids = []
        for seed in range(8):
            path = folder / f"noise-{seed}.png"
            if not path.is_file():
                _noise_texture(path, seed)
            ids.append(p.loadTexture(str(path), physicsClientId=self.client))
        return ids

    def _shape(self, mesh: str) -> tuple[int, int]:
        """(collision, visual) shape ids of a project block name or an .obj mesh path (cached)."""
        if mesh in self._shapes:
            return self._shapes[mesh]
        if mesh in BLOCK_NAMES:
            files = [str(f) for f in write_block_files()[mesh]]
            collision = p.createCollisionShapeArray([p.GEOM_MESH] * len(files), fileNames=files,
                                                    physicsClientId=self.client)
            visual = p.createVisualShapeArray([p.GEOM_MESH] * len(files), fileNames=files,
                                              physicsClientId=self.client)
        else:
            path = Path(mesh)
            if not path.is_file():
                raise FileNotFoundError(f"block mesh {mesh} is neither a project block ({', '.join(BLOCK_NAMES)}) "
                                        "nor an existing .obj file")
            if self.config.mesh_model == "hull" and is_convex(path):  # a mesh file collides as its hull
                collision = p.createCollisionShape(p.GEOM_MESH, fileName=str(path), physicsClientId=self.client)
            else:
                half_extents, centers = mesh_boxes(path)
                collision = p.createCollisionShapeArray([p.GEOM_BOX] * len(half_extents), halfExtents=half_extents.tolist(),
                                                        collisionFramePositions=centers.tolist(), physicsClientId=self.client)
            visual = p.createVisualShape(p.GEOM_MESH, fileName=str(path), physicsClientId=self.client)
        if collision < 0 or visual < 0:
            raise ValueError(f"pybullet could not load the block mesh {mesh}")
        self._shapes[mesh] = (collision, visual)
        return self._shapes[mesh]

    # -- randomization --------------------------------------------------------------------------
    def nominal_camera_pose(self, eye_offset=(0.0, 0.0, 0.0), target_offset=(0.0, 0.0, 0.0)) -> np.ndarray:
        cx, cy = self.workspace.center
        eye = np.array([cx, cy, self.config.camera_height]) + np.asarray(eye_offset)
        target = np.array([cx, cy, 0.0]) + np.asarray(target_offset)
        return look_at_pose(eye, target, up=np.array([-1.0, 0.0, 0.0]))

    def apply_randomization(self, values: dict[str, dict[str, Any]]) -> None:
        """Apply sampled values (from ``sample_groups``) that take effect before blocks are added."""
        light = values["lighting"]
        self.light = LightSettings(tuple(light["direction"]), light["ambient"], light["diffuse"], light["specular"])
        cam = values["camera_pose"]
        self.camera_pose = self.nominal_camera_pose(cam["eye_offset"], cam["target_offset"])
        lens = values["camera_intrinsics"]
        k = self.config.intrinsics()
        self.intrinsics = Intrinsics(k.fx * lens["focal_scale"], k.fy * lens["focal_scale"],
                                     k.cx + lens["principal_offset"][0], k.cy + lens["principal_offset"][1],
                                     k.width, k.height)
        depth = values["depth_noise"]
        self.noise = (depth["noise_std"], depth["hole_fraction"])
        self.depth_rng = np.random.default_rng(depth["noise_seed"])
        table = values["table_appearance"]
        grey = table["brightness"]
        texture = self._textures[table["texture_seed"] % len(self._textures)] if table["textured"] > 0.5 else -1
        p.changeVisualShape(self.plane, -1, rgbaColor=[grey, grey, grey, 1], textureUniqueId=texture,
                            physicsClientId=self.client)
        friction = values["friction"]
        self.set_friction(friction["block_lateral"], friction["table_lateral"], friction["rolling"])
        self.block_mass = values["mass"]["block_mass"]
        self._appearance = values["block_appearance"]

    def set_friction(self, block_block: float, block_table: float, rolling: float = NOMINAL_ROLLING) -> None:
        """Contact friction coefficients of block-block and block-table contacts and their rolling
        resistance (m), for blocks added next.

        Bullet multiplies the two bodies' lateral coefficients of a contact. ``friction_model``
        "contact": the bodies get the factors block sqrt(mu_bb), table mu_bt / sqrt(mu_bb), fingers
        finger_friction * sqrt(mu_bb), so finger-block = finger_friction * mu_bb. "material" (the
        pre-fix ablation) sets the values as the factors: block-table contacts of 0.12-0.9 (mean
        0.42) over the randomization ranges, block-block 0.16-1.0.

        Rolling: Bullet's contact value is rolling_a * lateral_b + rolling_b * lateral_a.
        ``rolling_model`` "contact": block factor rolling / (2 lateral_block), so block-block =
        ``rolling``; the table's factor makes block-table = ``rolling`` too (or, when the blocks'
        share alone exceeds it -- block_table > 2 block_block, outside the default ranges -- the
        table adds nothing). "legacy": blocks 1e-4, table 0.
        """
        self._friction = (block_block, block_table, rolling)
        contact = self.config.friction_model == "contact"
        self.block_friction = float(np.sqrt(block_block)) if contact else block_block
        table_factor = block_table / self.block_friction if contact else block_table
        finger_factor = self.arm.spec.finger_friction * (self.block_friction if contact else 1.0)
        if self.config.rolling_model == "contact":
            self.block_rolling = rolling / (2.0 * self.block_friction)
            table_rolling = max(0.0, rolling - self.block_rolling * table_factor) / self.block_friction
        else:
            self.block_rolling, table_rolling = LEGACY_BLOCK_ROLLING, 0.0
        p.changeDynamics(self.plane, -1, lateralFriction=table_factor, rollingFriction=table_rolling,
                         physicsClientId=self.client)
        for finger in self.arm.fingers:
            p.changeDynamics(self.arm.body, finger, lateralFriction=finger_factor, physicsClientId=self.client)

    def block_colors(self, n: int) -> list[tuple[tuple[float, ...], int]]:
        """(rgb, texture id or -1) for n blocks from the sampled block appearance."""
        a = getattr(self, "_appearance", {"color_seed": 0, "color_jitter": 0.0, "textured_fraction": 0.0})
        rng = np.random.default_rng(a["color_seed"])
        out = []
        for _ in range(n):
            rgb = np.clip(PALETTE[rng.integers(len(PALETTE))] + rng.uniform(-1, 1, 3) * a["color_jitter"], 0, 1)
            texture = self._textures[rng.integers(len(self._textures))] if rng.random() < a["textured_fraction"] else -1
            out.append((tuple(float(c) for c in rgb), texture))
        return out

    # -- blocks -------------------------------------------------------------------------------
    def clear_blocks(self) -> None:
        for body in self.objects:
            p.removeBody(body, physicsClientId=self.client)
        self.objects = []

    def add_block(self, spec: ObjectSpec, texture: int = -1) -> int:
        collision, visual = self._shape(spec.mesh)
        body = p.createMultiBody(self.block_mass, collision, visual, list(spec.position),
                                 spec.quaternion(), physicsClientId=self.client)
        p.changeVisualShape(body, -1, rgbaColor=[*spec.color, 1.0], textureUniqueId=texture, physicsClientId=self.client)
        p.changeDynamics(body, -1, lateralFriction=self.block_friction, rollingFriction=self.block_rolling,
                         spinningFriction=1e-3, physicsClientId=self.client)
        self.objects.append(body)
        return body

    def settle(self, max_steps: int = 480, at_rest_rad_s: float = math.inf) -> None:
        """Step (24 at a time, at most ``max_steps``) until every block moves slower than 1 cm/s and turns
        slower than ``at_rest_rad_s``."""
        for _ in range(max_steps // 24):
            self.arm.step(24)
            velocities = [p.getBaseVelocity(b, physicsClientId=self.client) for b in self.objects]
            if all(np.linalg.norm(v) < 0.01 and np.linalg.norm(w) < at_rest_rad_s for v, w in velocities):
                break

    def object_positions(self) -> np.ndarray:
        if not self.objects:
            return np.zeros((0, 3))
        return np.array([p.getBasePositionAndOrientation(b, physicsClientId=self.client)[0] for b in self.objects])

    def object_poses(self) -> np.ndarray:
        """(n, 7) world poses of the blocks: x, y, z (m) and quaternion x, y, z, w."""
        if not self.objects:
            return np.zeros((0, 7))
        return np.array([[*pos, *quat] for pos, quat in
                         (p.getBasePositionAndOrientation(b, physicsClientId=self.client) for b in self.objects)])

    def remove_lost_objects(self) -> int:
        """Remove blocks outside the workspace (pushed out, fallen off); returns how many."""
        return sum(self.take_lost_objects())

    def in_view(self, body: int) -> bool:
        """Whether any part of ``body`` (its axis-aligned bounding box) is over the workspace, i.e. in
        VPG's heightmap (``view_margin`` does not widen it). VPG's simulator leaves blocks pushed past
        the edge on the floor: one still partly in view can be grasped; one entirely out of view is
        lost to the run."""
        ws = self.workspace
        if self.config.lost_rule == "centre":  # ablation: the pre-fix rule
            pos = p.getBasePositionAndOrientation(body, physicsClientId=self.client)[0]
            return bool(ws.contains_xy(np.array(pos[:2]), margin=0.01))
        low, high = p.getAABB(body, physicsClientId=self.client)
        return bool(high[0] > ws.x_min and low[0] < ws.x_max and high[1] > ws.y_min and low[1] < ws.y_max)

    def objects_on_edge(self, margin: float = 0.005) -> int:
        """Blocks whose bounding box crosses the workspace edge or lies within ``margin`` m of it: only
        part of such a block is in the heightmap (and the policy sees it cut off at the edge)."""
        ws = self.workspace
        boxes = [p.getAABB(body, physicsClientId=self.client) for body in self.objects]
        return sum(min(low[0] - ws.x_min, ws.x_max - high[0], low[1] - ws.y_min, ws.y_max - high[1]) < margin
                   for low, high in boxes)

    def take_lost_objects(self, lifted_above: float = 0.05) -> tuple[int, int]:
        """Remove blocks entirely outside the workspace (:meth:`in_view`); returns (carried, lost).

        carried: found outside while in the air (above ``lifted_above`` m) or touching a finger, i.e.
        taken out by the gripper; lost: resting outside (pushed or knocked out), fallen below the
        table, or with a non-finite pose.
        """
        positions = self.object_positions()
        carried = lost = 0
        for body, pos in zip(list(self.objects), positions):
            finite = bool(np.all(np.isfinite(pos)))
            if finite and pos[2] >= -0.05 and self.in_view(body):
                continue
            held = finite and (pos[2] > lifted_above or any(
                p.getContactPoints(self.arm.body, body, linkIndexA=f, physicsClientId=self.client) for f in self.arm.fingers))
            carried += int(held)
            lost += int(not held)
            p.removeBody(body, physicsClientId=self.client)
            self.objects.remove(body)
        return carried, lost

    def is_sane(self) -> bool:
        """False on NaN poses, bodies above 1 m, or an arm outside its limits."""
        positions = self.object_positions()
        if positions.size and (not np.all(np.isfinite(positions)) or positions[:, 2].max() > 1.0):
            return False
        return self.arm.is_sane()

    # -- sensing ------------------------------------------------------------------------------
    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """RGB (H, W, 3) uint8 and depth (H, W) float32 metres, with the sampled depth noise."""
        color, depth = render_rgbd(self.client, self.intrinsics, self.camera_pose, self.light)
        return color, corrupt_depth(depth, self.noise[0], self.noise[1], self.depth_rng)

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        """Colour (S, S, 3) uint8 and height (S, S) float32 metres heightmaps."""
        color, depth = self.render()
        color_map, height_map = heightmap(color, depth, self.intrinsics, self.camera_pose, self.view,
                                          self.config.resolution)
        if self.config.fill_holes:
            color_map, height_map = fill_holes(color_map, height_map)
        return color_map, height_map

    # -- primitives ---------------------------------------------------------------------------
    def execute(self, action: tuple[int, int, int, int], height_map: np.ndarray) -> ActionResult:
        """Run a push or grasp (see geometry.plan_primitive) and return to the home pose."""
        cfg = self.config
        plan = plan_primitive(action, height_map, self.view, cfg.resolution, cfg.num_rotations, cfg.geometry,
                              bounds=self.workspace)
        result = ActionResult()
        arm = self.arm
        either_yaw = cfg.tool_yaw_model == "either"
        if plan.primitive == GRASP:
            arm.go_home()
            arm.teleport(plan.approach, plan.yaw, through=(plan.target,), either_branch=either_yaw)
            result.reached = arm.move_linear(plan.approach, plan.target, plan.yaw, speed=cfg.grasp_descent_speed)
            arm.close_gripper(60)
            arm.move_linear(plan.target, plan.approach, plan.yaw, speed=cfg.grasp_descent_speed)
            arm.step(20)
            result.opening = arm.opening()
            held = self._held_object()
            result.grasp_success = result.opening > cfg.grasp_open_threshold and held is not None
            if cfg.put_back_model == "legacy" and result.grasp_success:
                self._remove(held)  # VPG teleports the grasped object away
            if self._touching_fingers(besides=held if result.grasp_success else None):
                # a failed grasp can drag a block along (wedged on a finger), a good one can lift a
                # second block with the first: put it back down where it was taken instead of
                # teleporting home with it (it would fall, or be flung, off the workspace); "gentle":
                # at the descent speed and before the grasped block leaves (removing it first let the
                # fingers snap onto the second block and fling it off the workspace)
                put_down = plan.target + np.array([0.0, 0.0, 0.02])
                gentle = cfg.put_back_model == "gentle"
                arm.move_linear(plan.approach, put_down, plan.yaw, speed=cfg.grasp_descent_speed if gentle else 0.5)
                arm.set_gripper(open_=True)
                arm.step(arm.gripper_steps(40))
                arm.move_linear(put_down, plan.approach, plan.yaw, speed=0.5)
            if result.grasp_success and held in self.objects:
                self._remove(held)  # VPG teleports the grasped object away
        else:
            arm.go_home()
            arm.hold_closed_instantly()
            push_yaw = plan.yaw  # closed fingers span across the push direction
            arm.teleport(plan.approach, push_yaw, through=(plan.target, plan.end), either_branch=either_yaw)
            arm.hold_closed_instantly()
            result.reached = arm.move_linear(plan.approach, plan.target, push_yaw, speed=0.5)
            arm.move_linear(plan.target, plan.end, push_yaw, speed=0.25)
            arm.move_linear(plan.end, plan.end + np.array([0, 0, cfg.geometry.approach_height]), push_yaw, speed=0.5)
        arm.go_home()
        self.settle(240)
        result.broken = not self.is_sane()
        result.removed_out_of_workspace = self.remove_lost_objects()
        return result

    def _remove(self, body: int) -> None:
        p.removeBody(body, physicsClientId=self.client)
        self.objects.remove(body)

    def _touching_fingers(self, besides: int | None = None) -> bool:
        """Whether a block other than ``besides`` touches a finger."""
        return any(p.getContactPoints(self.arm.body, body, linkIndexA=f, physicsClientId=self.client)
                   for body in self.objects if body != besides for f in self.arm.fingers)

    def _held_object(self) -> int | None:
        """The block touching both fingers and lifted above 3 cm, if any."""
        for body in self.objects:
            touching = [bool(p.getContactPoints(self.arm.body, body, linkIndexA=f, physicsClientId=self.client))
                        for f in self.arm.fingers]
            z = p.getBasePositionAndOrientation(body, physicsClientId=self.client)[0][2]
            if any(touching) and z > 0.03:
                return body
        return None

    def close(self) -> None:
        if self.client is not None and p.isConnected(self.client):
            p.disconnect(self.client)
        self.client = None  # type: ignore[assignment]
