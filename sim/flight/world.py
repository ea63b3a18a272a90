"""Procedural indoor worlds: hallways with turns and junctions, side rooms behind doorways (with
door leaves when the ``doors`` group is on), furniture along the walls (turned when
``furniture_rotation`` is on). Pure numpy; :mod:`.scene` turns a :class:`WorldLayout` into MjSpec.

World frame: x, y horizontal (m), z up, floor at z = 0. The generator carves free rectangles
(hallway pieces, side branches, rooms, doorways) into an occupancy grid of ``CELL`` m cells;
every solid cell touching free space becomes wall, merged into as few axis-aligned boxes as
possible. The centre line of the main hallway (the *spine*) is kept free of furniture over
``SPINE_HALF_WIDTH`` m on each side, so every world has a collision-free path to fly. Every draw
(piece lengths, branches, rooms, turns, furniture, doors) comes from a config range and is
recorded in :attr:`WorldLayout.draws`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fixtures import (DOOR_HEIGHT, DOOR_WIDTH, Doorway, FurnitureDraw, Primitive, door_leaf, draw_shape,
                       draw_yaw, footprint_half, furniture_parts)
from .ranges import DoorRanges, FurnitureRotationRanges, LayoutRanges, PlanShapes

CELL = 0.25                    # occupancy cell side (m); also the wall thickness
SPINE_HALF_WIDTH = 0.55        # furniture-free half width around the main hallway centre line (m)
WALL_SLOTS = 4                 # walls are split among this many appearance slots
FURNITURE_SLOTS = 3
SLOTS = ("floor", "ceiling", *(f"wall{i}" for i in range(WALL_SLOTS)),
         *(f"furniture{i}" for i in range(FURNITURE_SLOTS)))
_HEADINGS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
# the nominal samples of the switched-off groups: no turned furniture, no door leaves
NO_ROTATION = FurnitureRotationRanges(enabled=False).sample(np.random.default_rng(0))
NO_DOORS = DoorRanges(enabled=False).sample(np.random.default_rng(0))
__all__ = ["CELL", "DOOR_HEIGHT", "DOOR_WIDTH", "Primitive", "SLOTS", "SPINE_HALF_WIDTH", "WorldLayout",
           "generate_layout"]


@dataclass
class WorldLayout:
    """A generated world: geometry, occupancy grid (for maps) and the main hallway spine.

    ``draws``: every structural draw, for ``info["randomization"]["layout"]``, as frozen records
    (infos of every step share them; ``dataclasses.asdict`` turns one into a dict): ``plan``
    (a :class:`PieceDraw` per hallway piece), ``furniture`` (a :class:`~.fixtures.FurnitureDraw`
    per item) and ``doors`` (a :class:`~.fixtures.DoorDraw` per doorway).
    """

    ceiling_height: float                  # m
    origin: np.ndarray                     # world (x, y) of the grid's corner (m)
    free: np.ndarray                       # (rows, cols) bool, True = free floor; row = y, col = x
    primitives: list[Primitive]
    spine: np.ndarray                      # (n, 2) polyline of the main hallway centre (m)
    light_spots: np.ndarray                # (k, 2) candidate light positions over free floor (m)
    values: dict[str, Any] = field(default_factory=dict)   # the layout samples that made it
    draws: dict[str, tuple[Any, ...]] = field(default_factory=dict)   # frozen draw records

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """xmin, xmax, ymin, ymax of the grid (m)."""
        rows, cols = self.free.shape
        return (float(self.origin[0]), float(self.origin[0] + cols * CELL),
                float(self.origin[1]), float(self.origin[1] + rows * CELL))

    def start_frame(self) -> tuple[np.ndarray, float]:
        """Start point of the spine (x, y) and the heading of its first piece (rad)."""
        d = self.spine[1] - self.spine[0]
        return self.spine[0].copy(), float(np.arctan2(d[1], d[0]))


@dataclass(frozen=True)
class BranchDraw:
    """A side branch: position along its piece (fraction), side (+1 left, -1 right), reach (m)
    beyond the hallway, half width as a share of the hallway's."""

    at: float
    side: float
    reach: float
    width_scale: float


@dataclass(frozen=True)
class RoomDraw:
    """A side room: doorway position along its piece (fraction), side, depth and length (m)."""

    at: float
    side: float
    depth: float
    length: float


@dataclass(frozen=True)
class PieceDraw:
    """One hallway piece: length (m), its branch and room (None: none), turn at its end (+1 left)."""

    length: float
    branch: BranchDraw | None
    room: RoomDraw | None
    turn: int


def _rect(a: np.ndarray, b: np.ndarray, half_width: float) -> tuple[float, float, float, float]:
    """Axis-aligned rectangle (xmin, ymin, xmax, ymax) around segment a-b widened by half_width."""
    lo, hi = np.minimum(a, b) - half_width, np.maximum(a, b) + half_width
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _carve_plan(values: dict[str, Any], plan: PlanShapes, rng: np.random.Generator, min_length: float):
    """Free rectangles, doorways, the spine polyline and the per-piece records of a random floor
    plan (``segments`` pieces, more while the spine is shorter than ``min_length`` m)."""
    half = 0.5 * float(values["hallway_width"])
    heading, p = 0, np.zeros(2)
    spine, free, doors, records = [p.copy()], [], [], []
    total, i = 0.0, 0
    while i < int(values["segments"]) or total < min_length:
        i += 1
        d = _HEADINGS[heading]
        perp = np.array([-d[1], d[0]])
        length = float(values["segment_length"]) * plan.length_scale.sample(rng)
        total += length
        q = p + length * d
        branch = room = None
        turn = 0
        free.append(_rect(p - half * d, q + half * d, half))   # overlap fills the corner
        if rng.random() < values["junction_prob"]:             # side branch (T junction)
            at_frac = plan.junction_at.sample(rng)
            at, sign = p + at_frac * length * d, float(rng.choice([-1.0, 1.0]))
            reach, width_scale = plan.junction_reach.sample(rng), plan.junction_width_scale.sample(rng)
            free.append(_rect(at, at + sign * perp * (half + reach), half * width_scale))
            branch = BranchDraw(at_frac, sign, reach, width_scale)
        if rng.random() < values["room_prob"]:                 # side room behind a doorway
            at_frac = plan.room_at.sample(rng)
            at, sign = p + at_frac * length * d, float(rng.choice([-1.0, 1.0]))
            side = perp * sign
            wall_in, depth = half + 2 * CELL, plan.room_depth.sample(rng)
            room_length = plan.room_length.sample(rng)
            c0, c1 = at + side * wall_in, at + side * (wall_in + depth)
            free.append(_rect(c0 - 0.5 * room_length * d, c1 + 0.5 * room_length * d, 0.0))
            door = _rect(at + side * (half - CELL), at + side * (wall_in + CELL), 0.5 * DOOR_WIDTH)
            free.append(door)
            face = at + side * half
            doors.append((door, Doorway((float(face[0]), float(face[1])), (float(d[0]), float(d[1])),
                                        (float(side[0]), float(side[1])), half)))
            room = RoomDraw(at_frac, sign, depth, room_length)
        spine.append(q.copy())
        if rng.random() < values["turn_prob"]:
            turn = int(rng.choice([-1, 1]))
            heading = (heading + turn) % 4
        records.append(PieceDraw(length, branch, room, turn))
        p = q
    return free, doors, np.array(spine), records


def _merge_runs(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Cover a bool mask with rectangles (r0, c0, r1, c1), end-exclusive: row runs merged down."""
    rects: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}   # (c0, c1) -> start row
    for r in range(mask.shape[0] + 1):
        row = mask[r] if r < mask.shape[0] else np.zeros(mask.shape[1], bool)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.view(np.int8), [0]])))
        runs = set(zip(edges[::2].tolist(), edges[1::2].tolist()))
        for run in list(open_runs):
            if run not in runs:
                rects.append((open_runs.pop(run), run[0], r, run[1]))
        for run in runs:
            open_runs.setdefault(run, r)
    return rects


def _segment_distance(points: np.ndarray, spine: np.ndarray) -> np.ndarray:
    """Distance (m) from each point (n, 2) to the polyline ``spine`` (k, 2)."""
    best = np.full(len(points), np.inf)
    for a, b in zip(spine[:-1], spine[1:]):
        ab = b - a
        t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    return best


def generate_layout(values: dict[str, Any], seed: int, min_length: float = 0.0, *,
                    ranges: LayoutRanges | None = None, rotation: dict[str, Any] | None = None,
                    doors: dict[str, Any] | None = None) -> WorldLayout:
    """Build a world from the ``layout`` group's samples (see :class:`LayoutRanges`).

    ``seed`` drives the structural choices (piece lengths, turns, rooms, furniture, drawn from
    ``ranges.plan`` and ``ranges.furniture``); the same values and seed give the same world.
    Hallway pieces are added beyond ``segments`` until the main hallway is at least
    ``min_length`` m long (the env asks for its distance cap plus margin, so a flawless flight can
    always reach truncation instead of a dead end). ``rotation`` and ``doors``: the world's
    ``furniture_rotation`` and ``doors`` samples (default: none), each drawn with its own
    generator, so they never move the layout's draws.
    """
    ranges = ranges or LayoutRanges()
    rng = np.random.default_rng(seed)
    height = float(values["ceiling_height"])
    free_rects, doorways, spine, plan_records = _carve_plan(values, ranges.plan, rng, min_length)
    rects = np.array(free_rects)
    lo = rects[:, :2].min(axis=0) - 3 * CELL
    hi = rects[:, 2:].max(axis=0) + 3 * CELL
    cols, rows = np.ceil((hi - lo) / CELL).astype(int)
    cx = lo[0] + (np.arange(cols) + 0.5) * CELL
    cy = lo[1] + (np.arange(rows) + 0.5) * CELL
    free = np.zeros((rows, cols), bool)
    for x0, y0, x1, y1 in free_rects:
        free[np.ix_((cy > y0) & (cy < y1), (cx > x0) & (cx < x1))] = True

    padded = np.pad(free, 1)
    near = np.zeros_like(free)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            near |= padded[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
    wall = near & ~free
    prims: list[Primitive] = []
    for r0, c0, r1, c1 in _merge_runs(wall):
        x0, y0 = lo + np.array([c0, r0]) * CELL
        x1, y1 = lo + np.array([c1, r1]) * CELL
        prims.append(Primitive("box", ((x0 + x1) / 2, (y0 + y1) / 2, height / 2),
                               ((x1 - x0) / 2, (y1 - y0) / 2, height / 2), f"wall{rng.integers(WALL_SLOTS)}"))
    for (x0, y0, x1, y1), _ in doorways:       # lintel above each doorway
        if height - DOOR_HEIGHT > 0.1:
            prims.append(Primitive("box", ((x0 + x1) / 2, (y0 + y1) / 2, (height + DOOR_HEIGHT) / 2),
                                   ((x1 - x0) / 2, (y1 - y0) / 2, (height - DOOR_HEIGHT) / 2),
                                   f"wall{rng.integers(WALL_SLOTS)}"))
    xmid, ymid = (lo + hi) / 2
    xh, yh = (hi - lo) / 2
    prims.append(Primitive("box", (xmid, ymid, -0.05), (xh, yh, 0.05), "floor"))
    prims.append(Primitive("box", (xmid, ymid, height + 0.05), (xh, yh, 0.05), "ceiling"))

    # furniture: on free cells away from the spine and doorways, no overlaps
    yy, xx = np.meshgrid(cy, cx, indexing="ij")
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1)
    allowed = free & (_segment_distance(centres, spine).reshape(rows, cols) > SPINE_HALF_WIDTH)
    for (x0, y0, x1, y1), _ in doorways:
        allowed[np.ix_((cy > y0 - 0.6) & (cy < y1 + 0.6), (cx > x0 - 0.6) & (cx < x1 + 0.6))] = False
    path_length = float(np.sum(np.linalg.norm(np.diff(spine, axis=0), axis=1)))
    wanted = min(ranges.max_furniture, int(round(values["furniture_density"] * path_length)))
    rotation = rotation or NO_ROTATION
    yaw_rng = np.random.default_rng(int(rotation["seed"]))
    placed, attempts, items = 0, 0, []
    free_idx = np.flatnonzero(allowed)
    while placed < wanted and attempts < 30 * max(wanted, 1) and len(free_idx):
        attempts += 1
        kind, sx, sy, tall = draw_shape(ranges.furniture, height, rng)
        yaw = 0.0 if kind == "cylinder" else draw_yaw(rotation, yaw_rng)
        ex, ey = footprint_half(sx, sy, yaw)
        r, c = divmod(int(rng.choice(free_idx)), cols)
        x, y = cx[c], cy[r]
        rsel = (cy > y - ey - CELL / 2) & (cy < y + ey + CELL / 2)
        csel = (cx > x - ex - CELL / 2) & (cx < x + ex + CELL / 2)
        if not allowed[np.ix_(rsel, csel)].all():
            continue
        allowed[np.ix_(rsel, csel)] = False
        slot = f"furniture{rng.integers(FURNITURE_SLOTS)}"
        levels = ranges.furniture.shelf_levels.sample(rng) if kind == "shelf" else 0
        prims += furniture_parts(kind, float(x), float(y), sx, sy, tall, yaw, slot, levels)
        items.append(FurnitureDraw(kind, (float(x), float(y)), (sx, sy), tall, yaw, levels))
        placed += 1
    doors = doors or NO_DOORS
    door_rng = np.random.default_rng(int(doors["seed"]))
    door_records = []
    for _, doorway in doorways:
        leaf, record = door_leaf(doorway, CELL, doors, f"furniture{door_rng.integers(FURNITURE_SLOTS)}", door_rng)
        door_records.append(record)
        if leaf is not None:
            prims.append(leaf)
    spots = centres[free.ravel()]
    light_spots = spots[rng.permutation(len(spots))[:64]]
    draws = {"plan": tuple(plan_records), "furniture": tuple(items), "doors": tuple(door_records)}
    return WorldLayout(ceiling_height=height, origin=lo, free=free, primitives=prims, spine=spine,
                       light_spots=light_spots, values=dict(values), draws=draws)
