"""Procedural indoor worlds: hallways with turns and junctions, side rooms behind doorways,
furniture along the walls. Pure numpy; :mod:`.scene` turns a :class:`WorldLayout` into MjSpec.

World frame: x, y horizontal (m), z up, floor at z = 0. The generator carves free rectangles
(hallway pieces, side branches, rooms, doorways) into an occupancy grid of ``CELL`` m cells;
every solid cell touching free space becomes wall, merged into as few axis-aligned boxes as
possible. The centre line of the main hallway (the *spine*) is kept free of furniture over
``SPINE_HALF_WIDTH`` m on each side, so every world has a collision-free path to fly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

CELL = 0.25                    # occupancy cell side (m); also the wall thickness
SPINE_HALF_WIDTH = 0.55        # furniture-free half width around the main hallway centre line (m)
DOOR_WIDTH = 1.0               # doorway width (m)
DOOR_HEIGHT = 2.1              # doorway height (m); a lintel closes the wall above it
WALL_SLOTS = 4                 # walls are split among this many appearance slots
FURNITURE_SLOTS = 3
SLOTS = ("floor", "ceiling", *(f"wall{i}" for i in range(WALL_SLOTS)),
         *(f"furniture{i}" for i in range(FURNITURE_SLOTS)))
_HEADINGS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])


@dataclass(frozen=True)
class Primitive:
    """An axis-aligned solid: ``kind`` "box" (size = half extents x, y, z, m) or "cylinder"
    (size = radius, half height, 0; m), centred at ``pos`` (world, m), drawn in ``slot``."""

    kind: str
    pos: tuple[float, float, float]
    size: tuple[float, float, float]
    slot: str
    furniture: bool = False


@dataclass
class WorldLayout:
    """A generated world: geometry, occupancy grid (for maps) and the main hallway spine."""

    ceiling_height: float                  # m
    origin: np.ndarray                     # world (x, y) of the grid's corner (m)
    free: np.ndarray                       # (rows, cols) bool, True = free floor; row = y, col = x
    primitives: list[Primitive]
    spine: np.ndarray                      # (n, 2) polyline of the main hallway centre (m)
    light_spots: np.ndarray                # (k, 2) candidate light positions over free floor (m)
    values: dict[str, Any] = field(default_factory=dict)   # the layout samples that made it

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


def _rect(a: np.ndarray, b: np.ndarray, half_width: float) -> tuple[float, float, float, float]:
    """Axis-aligned rectangle (xmin, ymin, xmax, ymax) around segment a-b widened by half_width."""
    lo, hi = np.minimum(a, b) - half_width, np.maximum(a, b) + half_width
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _carve_plan(values: dict[str, Any], rng: np.random.Generator, min_length: float):
    """Free rectangles, doorway rectangles and the spine polyline of a random floor plan
    (``segments`` pieces, more while the spine is shorter than ``min_length`` m)."""
    half = 0.5 * float(values["hallway_width"])
    heading, p = 0, np.zeros(2)
    spine, free, doors = [p.copy()], [], []
    total, i = 0.0, 0
    while i < int(values["segments"]) or total < min_length:
        i += 1
        d = _HEADINGS[heading]
        perp = np.array([-d[1], d[0]])
        length = float(values["segment_length"]) * rng.uniform(0.7, 1.3)
        total += length
        q = p + length * d
        free.append(_rect(p - half * d, q + half * d, half))   # overlap fills the corner
        if rng.random() < values["junction_prob"]:             # side branch (T junction)
            at = p + rng.uniform(0.3, 0.8) * length * d
            side = perp * rng.choice([-1.0, 1.0])
            free.append(_rect(at, at + side * (half + rng.uniform(2.0, 5.0)), half * rng.uniform(0.6, 1.0)))
        if rng.random() < values["room_prob"]:                 # side room behind a doorway
            at = p + rng.uniform(0.25, 0.75) * length * d
            side = perp * rng.choice([-1.0, 1.0])
            wall_in, depth = half + 2 * CELL, rng.uniform(3.0, 6.0)
            along = 0.5 * rng.uniform(3.0, 6.0)
            c0, c1 = at + side * wall_in, at + side * (wall_in + depth)
            free.append(_rect(c0 - along * d, c1 + along * d, 0.0))
            door = _rect(at + side * (half - CELL), at + side * (wall_in + CELL), 0.5 * DOOR_WIDTH)
            free.append(door)
            doors.append(door)
        spine.append(q.copy())
        if rng.random() < values["turn_prob"]:
            heading = (heading + int(rng.choice([-1, 1]))) % 4
        p = q
    return free, doors, np.array(spine)


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


def _furniture(kind: str, x: float, y: float, sx: float, sy: float, height: float, slot: str,
               rng: np.random.Generator) -> list[Primitive]:
    """Primitives of one furniture item with footprint half sizes (sx, sy) centred at (x, y)."""
    def box(px: float, py: float, pz: float, hx: float, hy: float, hz: float) -> Primitive:
        return Primitive("box", (px, py, pz), (hx, hy, hz), slot, furniture=True)

    if kind == "cylinder":
        r = min(sx, sy)
        return [Primitive("cylinder", (x, y, height / 2), (r, height / 2, 0.0), slot, furniture=True)]
    if kind == "table":
        leg, top = 0.03, 0.025
        parts = [box(x, y, height - top, sx, sy, top)]
        for ox in (-1, 1):
            for oy in (-1, 1):
                parts.append(box(x + ox * (sx - leg), y + oy * (sy - leg), (height - 2 * top) / 2,
                                 leg, leg, (height - 2 * top) / 2))
        return parts
    if kind == "shelf":
        board, wide_x = 0.02, sx >= sy
        parts = []
        for o in (-1, 1):   # side panels at both ends of the long axis
            px, py = (x + o * (sx - board), y) if wide_x else (x, y + o * (sy - board))
            hx, hy = (board, sy) if wide_x else (sx, board)
            parts.append(box(px, py, height / 2, hx, hy, height / 2))
        levels = int(rng.integers(3, 6))
        for k in range(levels):
            parts.append(box(x, y, board + k * (height - 2 * board) / (levels - 1), sx, sy, board))
        return parts
    return [box(x, y, height / 2, sx, sy, height / 2)]   # cabinet / crate


def generate_layout(values: dict[str, Any], max_furniture: int, seed: int, min_length: float = 0.0) -> WorldLayout:
    """Build a world from the ``layout`` group's samples (see :class:`LayoutRanges`).

    ``seed`` drives the structural choices (piece lengths, turns, rooms, furniture); the same
    values and seed give the same world. Hallway pieces are added beyond ``segments`` until the
    main hallway is at least ``min_length`` m long (the env asks for its distance cap plus
    margin, so a flawless flight can always reach truncation instead of a dead end).
    """
    rng = np.random.default_rng(seed)
    height = float(values["ceiling_height"])
    free_rects, doors, spine = _carve_plan(values, rng, min_length)
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
    for x0, y0, x1, y1 in doors:       # lintel above each doorway
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
    for x0, y0, x1, y1 in doors:
        allowed[np.ix_((cy > y0 - 0.6) & (cy < y1 + 0.6), (cx > x0 - 0.6) & (cx < x1 + 0.6))] = False
    path_length = float(np.sum(np.linalg.norm(np.diff(spine, axis=0), axis=1)))
    wanted = min(max_furniture, int(round(values["furniture_density"] * path_length)))
    placed, attempts = 0, 0
    free_idx = np.flatnonzero(allowed)
    while placed < wanted and attempts < 30 * max(wanted, 1) and len(free_idx):
        attempts += 1
        kind = str(rng.choice(["box", "cylinder", "table", "shelf"]))
        if kind == "shelf":
            sx, sy = rng.uniform(0.3, 0.75), rng.uniform(0.12, 0.22)
            tall = rng.uniform(1.2, min(2.0, height - 0.2))
        elif kind == "table":
            sx, sy, tall = rng.uniform(0.3, 0.7), rng.uniform(0.25, 0.45), rng.uniform(0.7, 0.8)
        elif kind == "cylinder":
            sx = sy = rng.uniform(0.12, 0.4)
            tall = height if rng.random() < 0.3 else rng.uniform(0.4, 1.2)
        else:
            sx, sy, tall = rng.uniform(0.15, 0.5), rng.uniform(0.15, 0.5), rng.uniform(0.4, 1.8)
        if rng.random() < 0.5:
            sx, sy = sy, sx
        r, c = divmod(int(rng.choice(free_idx)), cols)
        x, y = cx[c], cy[r]
        rsel = (cy > y - sy - CELL / 2) & (cy < y + sy + CELL / 2)
        csel = (cx > x - sx - CELL / 2) & (cx < x + sx + CELL / 2)
        if not allowed[np.ix_(rsel, csel)].all():
            continue
        allowed[np.ix_(rsel, csel)] = False
        prims += _furniture(kind, float(x), float(y), float(sx), float(sy), float(tall),
                            f"furniture{rng.integers(FURNITURE_SLOTS)}", rng)
        placed += 1
    spots = centres[free.ravel()]
    light_spots = spots[rng.permutation(len(spots))[:64]]
    return WorldLayout(ceiling_height=height, origin=lo, free=free, primitives=prims, spine=spine,
                       light_spots=light_spots, values=dict(values))
