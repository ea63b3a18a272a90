"""Randomization ranges of the flight simulator, one :class:`Group` per switchable family.

Pure data (no MuJoCo import): each field documents its distribution and unit. A group that is
switched off (``enabled=False``) yields every range's nominal value, so the quantity it controls
stops changing between episodes. Every group carries a ``seed`` range: the seed of the
structured choices it makes (which texture goes on which surface, where each light sits...),
recorded in ``info["randomization"]`` like every other sample. Applying the samples lives in
:mod:`greenroom.sim.flight.randomize` (appearance, camera, dynamics) and
:mod:`greenroom.sim.flight.world` (layout).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.randomization import Group, IntUniform, LogUniform, Randomization, Uniform, UniformVec
from .textures import LEGACY_FAMILIES

SEED_RANGE = IntUniform(0, 2**31 - 1, nominal=0)
MAX_LIGHTS = 4          # lights compiled into every world; ``lights.count`` switches them on


@dataclass(frozen=True)
class PlanShapes:
    """Per-piece draws of the floor plan, made with the layout seed's generator for every hallway
    piece, side branch and room (not per world: they are listed in ``info["randomization"]
    ["layout"]["plan"]``, one entry per piece)."""

    length_scale: Uniform = Uniform(0.7, 1.3)            # piece length = segment_length x U(0.7, 1.3)
    junction_at: Uniform = Uniform(0.3, 0.8)             # branch position along its piece (fraction)
    junction_reach: Uniform = Uniform(2.0, 5.0)          # branch length beyond the hallway (m)
    junction_width_scale: Uniform = Uniform(0.6, 1.0)    # branch half width / hallway half width
    room_at: Uniform = Uniform(0.25, 0.75)               # doorway position along its piece (fraction)
    room_depth: Uniform = Uniform(3.0, 6.0)              # room depth behind the wall (m)
    room_length: Uniform = Uniform(3.0, 6.0)             # room length along the hallway (m)


@dataclass(frozen=True)
class FurnitureShapes:
    """Per-item furniture draws (layout seed's generator; listed in ``info["randomization"]
    ["layout"]["furniture"]``). Half sizes and heights in metres."""

    kinds: tuple[str, ...] = ("box", "cylinder", "table", "shelf")   # drawn uniformly per item
    box_half: Uniform = Uniform(0.15, 0.5)               # crate/cabinet half size, x and y drawn apart
    box_height: Uniform = Uniform(0.4, 1.8)
    cylinder_radius: Uniform = Uniform(0.12, 0.4)
    cylinder_height: Uniform = Uniform(0.4, 1.2)
    cylinder_to_ceiling: float = 0.3                     # P(a cylinder is a floor-to-ceiling column)
    table_half_long: Uniform = Uniform(0.3, 0.7)
    table_half_short: Uniform = Uniform(0.25, 0.45)
    table_height: Uniform = Uniform(0.7, 0.8)
    shelf_half_long: Uniform = Uniform(0.3, 0.75)
    shelf_half_depth: Uniform = Uniform(0.12, 0.22)
    shelf_height: Uniform = Uniform(1.2, 2.0)            # capped at ceiling - 0.2 m
    shelf_levels: IntUniform = IntUniform(3, 5)          # boards, bottom and top included
    swap_axes: float = 0.5                               # P(footprint turned by 90 degrees)


@dataclass(frozen=True)
class LayoutRanges(Group):
    """World layout, applied when the world is (re)generated (every ``regenerate_every`` episodes).

    The world is a hallway of ``segments`` straight pieces with 90 degree turns, optional side
    branches (junctions), side rooms behind doorways and furniture along the walls.
    """

    seed: IntUniform = SEED_RANGE                        # layout seed ~ U{0..2^31-1}
    segments: IntUniform = IntUniform(3, 6, nominal=4)   # hallway pieces ~ U{3..6}
    segment_length: Uniform = Uniform(5.0, 10.0)         # length of one piece (m) ~ U(5, 10)
    hallway_width: Uniform = Uniform(1.75, 3.0)          # free width (m) ~ U(1.75, 3)
    ceiling_height: Uniform = Uniform(2.5, 3.5)          # floor to ceiling (m) ~ U(2.5, 3.5)
    turn_prob: Uniform = Uniform(0.4, 0.8)               # P(turn) at each piece end ~ U(0.4, 0.8)
    junction_prob: Uniform = Uniform(0.2, 0.6)           # P(side branch) per piece ~ U(0.2, 0.6)
    room_prob: Uniform = Uniform(0.2, 0.6)               # P(side room + doorway) per piece
    furniture_density: Uniform = Uniform(0.1, 0.35)      # furniture items per metre of hallway
    max_furniture: int = 40                              # cap on furniture items per world
    plan: PlanShapes = field(default_factory=PlanShapes)             # per-piece draws (see above)
    furniture: FurnitureShapes = field(default_factory=FurnitureShapes)   # per-item draws (see above)


@dataclass(frozen=True)
class FurnitureRotationRanges(Group):
    """Furniture turned about the vertical axis (real rooms are not axis-aligned).

    Off by default, like ``attitude``: the shipped policy was trained on axis-aligned furniture.
    Per world, a share ``rotated_share`` of the items gets a yaw ~ U(-max_yaw_deg, max_yaw_deg),
    drawn with this group's own generator (``seed``), so switching it on moves no other draw of
    the world; per-item yaws are listed with the furniture in ``info["randomization"]["layout"]``.
    """

    enabled: bool = False
    seed: IntUniform = SEED_RANGE
    rotated_share: Uniform = Uniform(0.3, 1.0, nominal=0.0)    # share of items rotated
    max_yaw_deg: Uniform = Uniform(15.0, 45.0, nominal=0.0)    # per-item |yaw| bound (deg)


@dataclass(frozen=True)
class DoorRanges(Group):
    """Door leaves in the doorways of side rooms: closed, half-open or open (swung into the room).

    Off by default (nominal probabilities 0: open doorways without a leaf, as before this group
    existed). Per door, the state is drawn with probabilities ``closed_prob``, ``half_open_prob``,
    ``open_prob`` (the rest: no leaf), and the hinge side; half-open leaves stand at the world's
    ``half_open_deg``. Drawn with this group's own generator and listed per door in
    ``info["randomization"]["layout"]["doors"]``.
    Doors never stand on the main hallway, so a closed door shuts a room, not the flight path.
    """

    enabled: bool = False
    seed: IntUniform = SEED_RANGE
    closed_prob: Uniform = Uniform(0.1, 0.4, nominal=0.0)
    half_open_prob: Uniform = Uniform(0.1, 0.4, nominal=0.0)
    open_prob: Uniform = Uniform(0.1, 0.3, nominal=0.0)
    half_open_deg: Uniform = Uniform(25.0, 65.0)               # half-open leaf angle from closed (deg)


@dataclass(frozen=True)
class SlotTextureDraws:
    """Per appearance slot, every episode (the ``textures`` seed's generator; recorded as
    ``info["randomization"]["textures"]["slot_texrepeat"]`` and ``same_texture``). With
    probability ``same_texture`` walls, floor, ceiling and furniture all wear one texture, as in
    a hallway painted one colour: only shading and geometry tell the surfaces apart."""

    scale: Uniform = Uniform(0.7, 1.4)                   # slot texrepeat = texrepeat x U(0.7, 1.4)
    same_texture: float = 0.0                            # P(every slot wears one bank texture this episode)


@dataclass(frozen=True)
class SlotColorDraws:
    """Per appearance slot, every episode (the ``colors`` seed's generator; recorded as
    ``slot_rgba``, ``slot_specular``, ``slot_shininess``, ``slot_emission``)."""

    color: UniformVec = UniformVec((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))   # tint colour (RGB, 0..1)
    specular_scale: Uniform = Uniform(0.5, 1.5)          # slot specular = specular x U(0.5, 1.5)
    shininess_scale: Uniform = Uniform(0.5, 1.5)         # slot shininess = shininess x U(0.5, 1.5), <= 1
    emission_scale: Uniform = Uniform(0.5, 1.5)          # slot emission = emission x U(0.5, 1.5)


@dataclass(frozen=True)
class LightDraws:
    """Per light, every episode (the ``lights`` seed's generator; recorded for the active lights
    as ``directions`` and ``diffuse_rgb``)."""

    tilt_fraction: Uniform = Uniform(0.0, 1.0)           # tilt = direction_tilt x U(0, 1) (rad)
    azimuth: Uniform = Uniform(0.0, 6.283185307179586)   # tilt direction (rad)
    diffuse_scale: UniformVec = UniformVec((0.7, 0.7, 0.7), (1.3, 1.3, 1.3))   # RGB x diffuse: slightly coloured


@dataclass(frozen=True)
class TextureRanges(Group):
    """Texture bank (procedural families and the user's photos) and its use on surfaces.

    The bank (``texture_bank`` images) is regenerated with the world; which bank texture each
    surface wears and its scale are re-drawn every episode (no texture upload needed).
    """

    seed: IntUniform = SEED_RANGE                        # bank + assignment seed
    photo_fraction: Uniform = Uniform(0.0, 1.0, nominal=0.5)  # share of bank from textures_dir
    texrepeat: LogUniform = LogUniform(0.25, 2.0, nominal=0.5)  # texture repeats per metre
    families: tuple[str, ...] = LEGACY_FAMILIES          # procedural families the bank cycles through
    per_slot: SlotTextureDraws = field(default_factory=SlotTextureDraws)


@dataclass(frozen=True)
class ColorRanges(Group):
    """Surface colour tints and material properties (every episode)."""

    seed: IntUniform = SEED_RANGE                        # per-surface tint seed
    tint_strength: Uniform = Uniform(0.0, 0.8, nominal=0.0)  # blend toward a random colour
    brightness: Uniform = Uniform(0.6, 1.2, nominal=1.0)  # overall albedo scale
    specular: Uniform = Uniform(0.0, 0.6, nominal=0.2)   # material specular ~ U(0, 0.6)
    shininess: Uniform = Uniform(0.0, 0.8, nominal=0.3)  # material shininess ~ U(0, 0.8)
    emission: Uniform = Uniform(0.0, 0.2, nominal=0.0)   # material emission ~ U(0, 0.2)
    per_slot: SlotColorDraws = field(default_factory=SlotColorDraws)


@dataclass(frozen=True)
class LightRanges(Group):
    """Scene lights: count, placement, direction, intensities, and the headlight."""

    seed: IntUniform = SEED_RANGE                        # light placement seed
    count: IntUniform = IntUniform(1, MAX_LIGHTS, nominal=2)   # active lights ~ U{1..4}
    diffuse: Uniform = Uniform(0.3, 0.9, nominal=0.6)    # per-light diffuse ~ U(0.3, 0.9)
    ambient: Uniform = Uniform(0.05, 0.3, nominal=0.15)  # per-light ambient ~ U(0.05, 0.3)
    direction_tilt: Uniform = Uniform(0.0, 0.8, nominal=0.0)  # tilt from straight down (rad)
    headlight_diffuse: Uniform = Uniform(0.1, 0.7, nominal=0.4)   # camera headlight ~ U(0.1, 0.7)
    headlight_ambient: Uniform = Uniform(0.05, 0.4, nominal=0.2)  # ~ U(0.05, 0.4)
    per_light: LightDraws = field(default_factory=LightDraws)


@dataclass(frozen=True)
class CameraRanges(Group):
    """Forward camera: field of view, mount pitch and mount position jitter (body frame)."""

    fov_delta_deg: Uniform = Uniform(-8.0, 8.0, nominal=0.0)  # added to hfov_deg (deg)
    pitch_deg: Uniform = Uniform(-8.0, 8.0, nominal=0.0)      # mount pitch, + = nose up (deg)
    position: UniformVec = UniformVec((-0.03, -0.03, -0.03), (0.03, 0.03, 0.03),
                                      nominal=(0.0, 0.0, 0.0))  # mount offset (m, body frame)


@dataclass(frozen=True)
class ImageRanges(Group):
    """Image degradation applied to the rendered RGB: Gaussian noise, blur, gamma."""

    seed: IntUniform = SEED_RANGE                        # noise stream seed
    noise_std: Uniform = Uniform(0.0, 8.0, nominal=0.0)  # pixel noise std (0..255 units)
    blur_sigma: Uniform = Uniform(0.0, 1.0, nominal=0.0)  # Gaussian blur sigma (px)
    gamma: LogUniform = LogUniform(0.7, 1.4, nominal=1.0)  # out = 255 * (in/255) ** gamma


@dataclass(frozen=True)
class DynamicsRanges(Group):
    """Velocity-tracking inner loop of the quadrotor."""

    tau: Uniform = Uniform(0.1, 0.4, nominal=0.2)        # velocity time constant (s)
    latency_steps: IntUniform = IntUniform(0, 2, nominal=0)  # command delay (control steps)
    max_speed_scale: Uniform = Uniform(0.8, 1.2, nominal=1.0)  # scales every velocity limit
    drag: Uniform = Uniform(0.0, 0.3, nominal=0.0)       # linear drag rate (1/s): a = -drag * v


@dataclass(frozen=True)
class AttitudeRanges(Group):
    """Camera tilt from the attitude a quadrotor needs for its acceleration (:mod:`.attitude`).

    Off by default (nominal gain 0: a level camera, as before this group existed); switch it on
    with ``randomization.attitude.enabled=true`` (policies trained without it have not seen it).
    """

    enabled: bool = False
    tau: Uniform = Uniform(0.05, 0.25, nominal=0.1)      # attitude time constant (s)
    gain: Uniform = Uniform(0.7, 1.3, nominal=0.0)       # tilt = gain * atan(a / g); 0 = level camera


@dataclass(frozen=True)
class StartRanges(Group):
    """Start pose in the first hallway piece."""

    along: Uniform = Uniform(0.5, 2.5, nominal=1.0)      # distance from the hallway's start (m)
    lateral: Uniform = Uniform(-0.3, 0.3, nominal=0.0)   # fraction of the furniture-free half band
                                                         # (world.SPINE_HALF_WIDTH - radius - 0.05 m)
    height: Uniform = Uniform(0.35, 0.65, nominal=0.5)   # fraction of the ceiling height
    yaw: Uniform = Uniform(-0.35, 0.35, nominal=0.0)     # heading offset from the hallway (rad)


@dataclass(frozen=True)
class FlightRandomization(Randomization):
    """All randomization groups of the flight env (switch one off: ``<name>.enabled=false``)."""

    layout: LayoutRanges = field(default_factory=LayoutRanges)
    furniture_rotation: FurnitureRotationRanges = field(default_factory=FurnitureRotationRanges)
    doors: DoorRanges = field(default_factory=DoorRanges)
    textures: TextureRanges = field(default_factory=TextureRanges)
    colors: ColorRanges = field(default_factory=ColorRanges)
    lights: LightRanges = field(default_factory=LightRanges)
    camera: CameraRanges = field(default_factory=CameraRanges)
    image: ImageRanges = field(default_factory=ImageRanges)
    dynamics: DynamicsRanges = field(default_factory=DynamicsRanges)
    start: StartRanges = field(default_factory=StartRanges)
    attitude: AttitudeRanges = field(default_factory=AttitudeRanges)


GROUP_NAMES = tuple(FlightRandomization().groups())  # ("layout", "textures", ..., "start")
