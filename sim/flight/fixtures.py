"""Furniture and door leaves of a flight world (pure numpy; :mod:`.world` places them).

World frame: x, y horizontal (m), z up, floor at z = 0; ``yaw`` (rad) turns a part about the
vertical axis through its own centre. Every size, kind and angle comes from a config range
(:class:`~.ranges.FurnitureShapes`, :class:`~.ranges.FurnitureRotationRanges`,
:class:`~.ranges.DoorRanges`) and is returned as a record for ``info["randomization"]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .ranges import FurnitureShapes

DOOR_WIDTH = 1.0               # doorway width (m)
DOOR_HEIGHT = 2.1              # doorway height (m); a lintel closes the wall above it
LEAF_THICKNESS = 0.04          # door leaf thickness (m)
LEAF_GAP = 0.03                # gap between the leaf and each jamb (m)
DOOR_STATES = ("none", "closed", "half_open", "open")


@dataclass(frozen=True)
class Primitive:
    """A solid: ``kind`` "box" (size = half extents x, y, z in its own frame, m) or "cylinder"
    (size = radius, half height, 0; m), centred at ``pos`` (world, m), turned by ``yaw`` (rad)
    about the vertical axis, drawn in appearance ``slot``."""

    kind: str
    pos: tuple[float, float, float]
    size: tuple[float, float, float]
    slot: str
    furniture: bool = False
    yaw: float = 0.0


@dataclass(frozen=True)
class Doorway:
    """A doorway into a side room: centre ``at`` of the hallway wall's face (m, world), unit
    vectors ``along`` (the hallway) and ``into`` (towards the room), the hallway's half width."""

    at: tuple[float, float]
    along: tuple[float, float]
    into: tuple[float, float]
    half_width: float


@dataclass(frozen=True)
class FurnitureDraw:
    """One furniture item: kind, centre (x, y) and footprint half sizes (m), height (m), yaw
    (rad), shelf boards (0 for other kinds)."""

    kind: str
    xy: tuple[float, float]
    half: tuple[float, float]
    height: float
    yaw: float
    levels: int


@dataclass(frozen=True)
class DoorDraw:
    """One doorway's leaf: state (``DOOR_STATES``), angle from closed (deg), hinge side (+1: the
    ``along`` end), the doorway (wall-face centre, m) and the unit vector into the room."""

    state: str
    angle_deg: float
    hinge_side: int
    at: tuple[float, float]
    into: tuple[float, float]


def footprint_half(sx: float, sy: float, yaw: float) -> tuple[float, float]:
    """Half extents (m) of the axis-aligned box around an (sx, sy) footprint turned by ``yaw``."""
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    return c * sx + s * sy, s * sx + c * sy


def draw_shape(shapes: FurnitureShapes, ceiling: float, rng: np.random.Generator) -> tuple[str, float, float, float]:
    """One item's kind, footprint half sizes (sx, sy) and height (m) from ``shapes``."""
    kind = str(rng.choice(list(shapes.kinds)))
    if kind == "shelf":
        sx, sy = shapes.shelf_half_long.sample(rng), shapes.shelf_half_depth.sample(rng)
        tall = float(rng.uniform(shapes.shelf_height.low, min(shapes.shelf_height.high, ceiling - 0.2)))
    elif kind == "table":
        sx, sy, tall = (shapes.table_half_long.sample(rng), shapes.table_half_short.sample(rng),
                        shapes.table_height.sample(rng))
    elif kind == "cylinder":
        sx = sy = shapes.cylinder_radius.sample(rng)
        tall = ceiling if rng.random() < shapes.cylinder_to_ceiling else shapes.cylinder_height.sample(rng)
    else:
        sx, sy, tall = shapes.box_half.sample(rng), shapes.box_half.sample(rng), shapes.box_height.sample(rng)
    if rng.random() < shapes.swap_axes:
        sx, sy = sy, sx
    return kind, float(sx), float(sy), float(tall)


def draw_yaw(values: dict[str, Any], rng: np.random.Generator) -> float:
    """An item's yaw (rad): U(-max_yaw_deg, max_yaw_deg) for a share ``rotated_share`` of items, else 0."""
    rotated = rng.random() < values["rotated_share"]
    yaw = rng.uniform(-values["max_yaw_deg"], values["max_yaw_deg"])
    return math.radians(float(yaw)) if rotated else 0.0


def furniture_parts(kind: str, x: float, y: float, sx: float, sy: float, height: float, yaw: float, slot: str,
                    levels: int) -> list[Primitive]:
    """Primitives of one item with footprint half sizes (sx, sy) centred at (x, y), turned by ``yaw``;
    ``levels``: boards of a shelf."""
    c, s = math.cos(yaw), math.sin(yaw)

    def box(px: float, py: float, pz: float, hx: float, hy: float, hz: float) -> Primitive:
        return Primitive("box", (x + c * px - s * py, y + s * px + c * py, pz), (hx, hy, hz), slot, True, yaw)

    if kind == "cylinder":
        r = min(sx, sy)
        return [Primitive("cylinder", (x, y, height / 2), (r, height / 2, 0.0), slot, furniture=True)]
    if kind == "table":
        leg, top = 0.03, 0.025
        parts = [box(0.0, 0.0, height - top, sx, sy, top)]
        for ox in (-1, 1):
            for oy in (-1, 1):
                parts.append(box(ox * (sx - leg), oy * (sy - leg), (height - 2 * top) / 2,
                                 leg, leg, (height - 2 * top) / 2))
        return parts
    if kind == "shelf":
        board, wide_x = 0.02, sx >= sy
        parts = []
        for o in (-1, 1):   # side panels at both ends of the long axis
            px, py = (o * (sx - board), 0.0) if wide_x else (0.0, o * (sy - board))
            hx, hy = (board, sy) if wide_x else (sx, board)
            parts.append(box(px, py, height / 2, hx, hy, height / 2))
        for k in range(levels):
            parts.append(box(0.0, 0.0, board + k * (height - 2 * board) / (levels - 1), sx, sy, board))
        return parts
    return [box(0.0, 0.0, height / 2, sx, sy, height / 2)]   # cabinet / crate


def door_leaf(doorway: Doorway, wall_depth: float, values: dict[str, Any], slot: str,
              rng: np.random.Generator) -> tuple[Primitive | None, DoorDraw]:
    """The leaf of one doorway (or None: no leaf) and its record.

    State ~ closed / half-open / open with the group's probabilities (else no leaf); the hinge
    side ~ U{-1, 1}; a half-open leaf stands at the world's ``half_open_deg`` from closed, an open
    one at 90 degrees, both swung into the room. The closed leaf sits mid-wall, ``wall_depth`` m behind
    the hallway's wall face.
    """
    u, hinge_side = rng.random(), int(rng.choice([-1, 1]))
    angle_deg = float(values["half_open_deg"])
    p_closed, p_half, p_open = values["closed_prob"], values["half_open_prob"], values["open_prob"]
    state = ("closed" if u < p_closed else "half_open" if u < p_closed + p_half
             else "open" if u < p_closed + p_half + p_open else "none")
    angle = {"closed": 0.0, "half_open": angle_deg, "open": 90.0}.get(state, 0.0)
    record = DoorDraw(state, angle, hinge_side, doorway.at, doorway.into)
    if state == "none":
        return None, record
    along, into = np.array(doorway.along), np.array(doorway.into)
    width = DOOR_WIDTH - 2 * LEAF_GAP
    hinge = np.array(doorway.at) + into * wall_depth + hinge_side * 0.5 * width * along
    theta = math.radians(angle)
    direction = math.cos(theta) * (-hinge_side * along) + math.sin(theta) * into
    centre = hinge + 0.5 * width * direction
    height = DOOR_HEIGHT - 0.02
    leaf = Primitive("box", (float(centre[0]), float(centre[1]), height / 2 + 0.01),
                     (0.5 * width, 0.5 * LEAF_THICKNESS, height / 2), slot, True,
                     float(math.atan2(direction[1], direction[0])))
    return leaf, record
