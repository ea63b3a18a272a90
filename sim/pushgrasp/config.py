"""Push-grasp simulator configuration and randomization ranges (no pybullet import).

Units: metres, radians, kilograms, seconds. World frame = VPG's simulated world frame: z up,
table top at z = 0, workspace x in [-0.724, -0.276], y in [-0.224, 0.224]; the arm's base sits
at x = -0.03 m facing -x (towards the workspace).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.randomization import Group, IntUniform, LogUniform, Randomization, Uniform, UniformVec
from .geometry import PrimitiveGeometry
from .heightmap import Intrinsics, Workspace

# the arm's hand-yaw rules (PushGraspEnvConfig.tool_yaw_model); an export's contract records its run's
TOOL_YAW_MODELS = ("either", "legacy")

SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class BlockAppearance(Group):
    """Block colours and textures."""

    color_seed: IntUniform = IntUniform(0, SEED_MAX)          # seeds per-block palette picks + jitter
    color_jitter: Uniform = Uniform(0.0, 0.15, nominal=0.0)   # +- RGB jitter around the palette colour ~ U(0, 0.15)
    textured_fraction: Uniform = Uniform(0.0, 0.5, nominal=0.0)  # share of blocks with a noise texture ~ U(0, 0.5)


@dataclass(frozen=True)
class TableAppearance(Group):
    """Table colour and texture."""

    texture_seed: IntUniform = IntUniform(0, SEED_MAX)        # picks one of the generated table textures
    brightness: Uniform = Uniform(0.35, 0.85, nominal=0.6)    # grey level of the table ~ U(0.35, 0.85)
    textured: Uniform = Uniform(0.0, 1.0, nominal=0.0)        # textured when > 0.5 (i.e. half the episodes)


@dataclass(frozen=True)
class Lighting(Group):
    """TinyRenderer lighting."""

    direction: UniformVec = UniformVec((-1.0, -1.0, 1.0), (1.0, 1.0, 3.0), nominal=(0.3, 0.3, 2.0))
    ambient: Uniform = Uniform(0.4, 0.8, nominal=0.6)         # ambient coefficient ~ U(0.4, 0.8)
    diffuse: Uniform = Uniform(0.3, 0.7, nominal=0.5)         # diffuse coefficient ~ U(0.3, 0.7)
    specular: Uniform = Uniform(0.0, 0.3, nominal=0.1)        # specular coefficient ~ U(0, 0.3)


@dataclass(frozen=True)
class CameraPose(Group):
    """Camera placement error around the nominal overhead pose (known to the heightmap: calibrated)."""

    eye_offset: UniformVec = UniformVec((-0.02, -0.02, -0.03), (0.02, 0.02, 0.03), nominal=(0.0, 0.0, 0.0))
    target_offset: UniformVec = UniformVec((-0.02, -0.02, 0.0), (0.02, 0.02, 0.0), nominal=(0.0, 0.0, 0.0))


@dataclass(frozen=True)
class CameraIntrinsics(Group):
    """Lens variation: focal length scale and principal point offset (pixels at the render size)."""

    focal_scale: Uniform = Uniform(0.97, 1.03, nominal=1.0)   # fx, fy scale ~ U(0.97, 1.03)
    principal_offset: UniformVec = UniformVec((-3.0, -3.0), (3.0, 3.0), nominal=(0.0, 0.0))


@dataclass(frozen=True)
class DepthNoise(Group):
    """RealSense-like depth artefacts."""

    noise_std: Uniform = Uniform(0.0, 0.002, nominal=0.0)     # additive Gaussian depth noise, m ~ U(0, 2 mm)
    hole_fraction: Uniform = Uniform(0.0, 0.02, nominal=0.0)  # share of pixels with no reading ~ U(0, 2 %)
    noise_seed: IntUniform = IntUniform(0, SEED_MAX)


@dataclass(frozen=True)
class Friction(Group):
    """Contact friction coefficients (the world turns them into Bullet's per-body factors)."""

    block_lateral: Uniform = Uniform(0.4, 1.0, nominal=0.7)   # block-block contact coefficient ~ U(0.4, 1.0)
    table_lateral: Uniform = Uniform(0.3, 0.9, nominal=0.6)   # block-table contact coefficient ~ U(0.3, 0.9)
    # rolling resistance of block-table and block-block contacts, m (Bullet: the largest rolling torque per
    # newton of normal force, i.e. the lever arm of rolling friction). Published lever arms: steel on steel
    # 0.5 mm, wood on steel 1.2-1.3 mm (Lust CDA3000 engineering guide, table 7.22; NORD's rolling-resistance
    # calculator), wood on wood 1.5 mm (eMachineShop, 0.06 in). The range runs from the hardest pairing
    # (steel on steel) to twice wood on wood ~ logU; nominal: wood on steel. (Until 2026-12-06 it was
    # 0.1-1 mm, below every published pairing; benches record the range they ran.)
    rolling: LogUniform = LogUniform(5e-4, 3e-3, nominal=1.2e-3)


@dataclass(frozen=True)
class Mass(Group):
    block_mass: LogUniform = LogUniform(0.03, 0.15, nominal=0.06)  # kg per block ~ logU(30 g, 150 g)


@dataclass(frozen=True)
class PushGraspRandomization(Randomization):
    """All randomization groups; switch one off with e.g. ``env.randomization.lighting.enabled=false``."""

    block_appearance: BlockAppearance = field(default_factory=BlockAppearance)
    table_appearance: TableAppearance = field(default_factory=TableAppearance)
    lighting: Lighting = field(default_factory=Lighting)
    camera_pose: CameraPose = field(default_factory=CameraPose)
    camera_intrinsics: CameraIntrinsics = field(default_factory=CameraIntrinsics)
    depth_noise: DepthNoise = field(default_factory=DepthNoise)
    friction: Friction = field(default_factory=Friction)
    mass: Mass = field(default_factory=Mass)


@dataclass(frozen=True)
class PushGraspEnvConfig:
    """Simulator + env settings (see the module docstring for frames)."""

    resolution: float = 0.004            # heightmap cell size, m (paper 0.002)
    num_rotations: int = 16              # k orientations (paper 16)
    num_objects: int = 10                # blocks dropped per episode (paper sim 10)
    num_objects_max: int = 0             # > num_objects: each default reset drops U{num_objects..this} blocks
                                         # (denser clutter in training; 0: always num_objects)
    edge_objects: int = 0                # of a default reset's blocks, this many land on the workspace edge,
                                         # partly outside the heightmap (PushGraspWorld.drop_on_edge; training)
    image_width: int = 320               # rendered RGB-D size, px (paper 640x480)
    image_height: int = 240
    camera_height: float = 0.75          # nominal camera height above the table, m
    workspace: Workspace = field(default_factory=Workspace)
    view_margin: float = 0.0             # the heightmap also covers this band (m) of table around the workspace:
                                         # blocks on the edge are seen whole and grasped there; pushes still end
                                         # inside the workspace and a block is lost when no part is over it
    geometry: PrimitiveGeometry = field(default_factory=PrimitiveGeometry)
    blocks: str = "project"              # "project" (procedural set) or a folder of .obj meshes (VPG's)
    robot_urdf: str = "franka_panda/panda.urdf"  # relative to pybullet_data or an absolute path
    max_no_change: int = 10              # reset after this many consecutive no-change actions (VPG)
    max_actions: int = 100               # truncate an episode after this many actions
    grasp_open_threshold: float = 0.004  # summed finger opening (m) above which a closed grasp holds something
    clear_min_cells_at_2mm: int = 300    # workspace clear when fewer cells than this (at 2 mm) are > 2 cm high
    fill_holes: bool = True
    friction_model: str = "contact"      # "contact": sampled friction = contact coefficients; "material": the
                                         # pre-fix behaviour (sampled values as Bullet body factors: contact = product)
    rolling_model: str = "contact"       # "contact": sampled rolling resistance of each contact; "legacy": the
                                         # pre-fix blocks (factor 1e-4, table 0: contacts ~4e-5 m, and a cylinder
                                         # lying on its side kept rolling, even sped up, until it left the table)
    grasp_descent_speed: float = 0.1     # m/s of the fingertips' straight descent to a grasp (and of the lift);
                                         # was 0.5: a policy trained at 0.1 grasps far more reliably (README)
    lost_rule: str = "out_of_view"       # a block is lost when no part is over the workspace (VPG's view);
                                         # "centre": the pre-fix rule (its centre > 1 cm outside)
    mesh_model: str = "hull"             # external .obj blocks (VPG's): "hull" = a convex mesh collides as its hull,
                                         # a concave one as voxel boxes; "boxes": all voxel boxes (the pre-fix model,
                                         # whose staircase cylinders and prisms never came to rest in contact)
    placement_separation_steps: int = 120  # steps at load in which overlaps of a placed test case resolve by position
                                         # only (velocities cleared); 0: the pre-fix load (it flung blocks away)
    drop_model: str = "settle"           # random drops: "settle" = after each block, step until every block is at
                                         # rest (or VPG's 2 s sleep per object have passed), so the next lands on a
                                         # resting pile; "legacy": 40 steps (0.17 s) per block, the pre-fix drop
    put_back_model: str = "legacy"       # a grasp that lifts a second block (or drags one): "gentle" = put it all
                                         # back down at the descent speed, then remove the grasped block; "legacy":
                                         # remove it first, put back at 0.5 m/s (fingers snapped onto the second
                                         # block and flung it off the workspace)
    tool_yaw_model: str = "legacy"       # "either": each primitive uses the hand yaw (theta or theta + pi: the
                                         # jaws are symmetric) the arm reaches better, as the ROS executor's IK;
                                         # "legacy": always the one in [-pi/2, pi/2), which the wrist cannot
                                         # reach for 10 % of the grasp poses, all near the base (README)
    finger_speed: float = 0.0            # m/s limit of each finger while the gripper closes or opens (electric
                                         # parallel grippers: 0.05-0.1); 0: none, Bullet's motor at full force
                                         # (fingers close at up to 0.7 m/s each; README)
    randomization: PushGraspRandomization = field(default_factory=PushGraspRandomization)

    def __post_init__(self) -> None:
        if not 0.0005 <= self.resolution <= 0.02:
            raise ValueError(f"resolution must be in [0.0005, 0.02] m/cell; got {self.resolution}")
        if self.num_rotations < 1 or self.num_rotations % 2:
            raise ValueError(f"num_rotations must be a positive even number (grasp symmetry); got {self.num_rotations}")
        if not 0 <= self.num_objects <= 60:
            raise ValueError(f"num_objects must be in 0..60; got {self.num_objects}")
        if self.num_objects_max and not self.num_objects <= self.num_objects_max <= 60:
            raise ValueError(f"num_objects_max must be 0 or in num_objects..60 ({self.num_objects}..60); "
                             f"got {self.num_objects_max}")
        if not 0 <= self.edge_objects <= self.num_objects:
            raise ValueError(f"edge_objects must be in 0..num_objects (0..{self.num_objects}); got {self.edge_objects}")
        if self.image_width < 32 or self.image_height < 32:
            raise ValueError(f"image size must be >= 32 px; got {self.image_width}x{self.image_height}")
        if self.friction_model not in ("contact", "material"):
            raise ValueError(f"friction_model must be 'contact' or 'material'; got {self.friction_model!r}")
        if self.rolling_model not in ("contact", "legacy"):
            raise ValueError(f"rolling_model must be 'contact' or 'legacy'; got {self.rolling_model!r}")
        if not 0.01 <= self.grasp_descent_speed <= 2.0:
            raise ValueError(f"grasp_descent_speed must be in [0.01, 2] m/s; got {self.grasp_descent_speed}")
        if self.lost_rule not in ("out_of_view", "centre"):
            raise ValueError(f"lost_rule must be 'out_of_view' or 'centre'; got {self.lost_rule!r}")
        if self.mesh_model not in ("hull", "boxes"):
            raise ValueError(f"mesh_model must be 'hull' or 'boxes'; got {self.mesh_model!r}")
        if not 0 <= self.placement_separation_steps <= 2400:
            raise ValueError(f"placement_separation_steps must be in 0..2400; got {self.placement_separation_steps}")
        if self.tool_yaw_model not in TOOL_YAW_MODELS:
            raise ValueError(f"tool_yaw_model must be one of {', '.join(TOOL_YAW_MODELS)}; got {self.tool_yaw_model!r}")
        if self.drop_model not in ("settle", "legacy"):
            raise ValueError(f"drop_model must be 'settle' or 'legacy'; got {self.drop_model!r}")
        if self.put_back_model not in ("gentle", "legacy"):
            raise ValueError(f"put_back_model must be 'gentle' or 'legacy'; got {self.put_back_model!r}")
        if self.finger_speed != 0.0 and not 0.01 <= self.finger_speed <= 1.0:
            raise ValueError(f"finger_speed must be 0 (no limit) or in [0.01, 1] m/s; got {self.finger_speed}")
        if not 0.0 <= self.view_margin <= 0.1:
            raise ValueError(f"view_margin must be in [0, 0.1] m; got {self.view_margin}")
        rows, cols = self.view.shape(self.resolution)
        if rows != cols:
            raise ValueError(f"the workspace (plus view_margin) must map to a square heightmap; got {rows}x{cols}")

    def valid_pushes(self):
        """(k, S, S) bool: the pushes that can move (:func:`.geometry.valid_push_mask`; cached, read-only)."""
        from .geometry import valid_push_mask

        return valid_push_mask(self.heightmap_size, self.view, self.resolution, self.num_rotations, self.geometry,
                               bounds=self.workspace)

    @property
    def view(self) -> Workspace:
        """The box the heightmap covers: the workspace grown by ``view_margin``."""
        return self.workspace.expanded(self.view_margin)

    @property
    def heightmap_size(self) -> int:
        return self.view.shape(self.resolution)[0]

    def intrinsics(self) -> Intrinsics:
        """Nominal camera intrinsics (RealSense-like, scaled to the render size)."""
        return Intrinsics.realsense_d415().scaled(self.image_width, self.image_height)

    @classmethod
    def smoke(cls) -> PushGraspEnvConfig:
        return cls(resolution=0.007, num_rotations=4, num_objects=4, image_width=160, image_height=120, max_actions=20)

    @classmethod
    def cpu(cls) -> PushGraspEnvConfig:
        return cls()

    @classmethod
    def paper(cls) -> PushGraspEnvConfig:
        return cls(resolution=0.002, num_rotations=16, image_width=640, image_height=480)
