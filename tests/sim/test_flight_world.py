"""Procedural world generation: free spine, walls that enclose it, furniture placement, meshes."""
from __future__ import annotations

import numpy as np
import pytest

from greenroom.sim.core.randomization import sample_groups
from greenroom.sim.flight.ranges import LayoutRanges
from greenroom.sim.flight.world import CELL, SPINE_HALF_WIDTH, SLOTS, _merge_runs, generate_layout


def _layout(seed: int):
    values = sample_groups({"layout": LayoutRanges()}, seed)["layout"]
    return generate_layout(values, seed=values["seed"]), values


def _cell_of(layout, xy):
    return (np.floor((xy[:, 1] - layout.origin[1]) / CELL).astype(int),
            np.floor((xy[:, 0] - layout.origin[0]) / CELL).astype(int))


def test_merge_runs_covers_a_mask_exactly():
    rng = np.random.default_rng(0)
    mask = rng.random((30, 40)) < 0.3
    mask[5:15, 10:20] = True
    cover = np.zeros_like(mask, int)
    rects = _merge_runs(mask)
    for r0, c0, r1, c1 in rects:
        cover[r0:r1, c0:c1] += 1
    np.testing.assert_array_equal(cover, mask.astype(int))     # exact, no overlaps
    assert len(rects) < mask.sum()                              # and actually merged


@pytest.mark.parametrize("seed", range(6))
def test_layout_has_a_free_spine_inside_walls(seed: int):
    layout, values = _layout(seed)
    assert layout.ceiling_height == pytest.approx(values["ceiling_height"])
    assert len(layout.spine) == values["segments"] + 1            # min_length 0: exactly `segments`
    # every point of the spine is free floor, and the whole free area is enclosed (border solid)
    points = np.concatenate([a + np.linspace(0, 1, 50)[:, None] * (b - a)
                             for a, b in zip(layout.spine[:-1], layout.spine[1:])])
    rows, cols = _cell_of(layout, points)
    assert layout.free[rows, cols].all()
    assert not layout.free[[0, -1], :].any() and not layout.free[:, [0, -1]].any()
    walls = [p for p in layout.primitives if p.slot.startswith("wall")]
    furniture = [p for p in layout.primitives if p.furniture]
    assert walls and {p.slot for p in layout.primitives} <= set(SLOTS)
    # furniture stays out of the spine band and below the ceiling
    for p in furniture:
        corners = np.array([[p.pos[0] + sx * p.size[0], p.pos[1] + sy * p.size[1]] for sx in (-1, 1) for sy in (-1, 1)])
        for a, b in zip(layout.spine[:-1], layout.spine[1:]):
            lo, hi = np.minimum(a, b) - SPINE_HALF_WIDTH + 1e-6, np.maximum(a, b) + SPINE_HALF_WIDTH - 1e-6
            inside = np.all((corners > lo) & (corners < hi), axis=1)
            assert not inside.all(), "furniture inside the spine band"
        assert p.pos[2] + (p.size[1] if p.kind == "cylinder" else p.size[2]) <= layout.ceiling_height + 1e-6


def test_main_hallway_is_extended_to_the_requested_length():
    values = sample_groups({"layout": LayoutRanges()}, 0)["layout"]
    long = generate_layout(values, seed=values["seed"], min_length=80.0)
    assert np.linalg.norm(np.diff(long.spine, axis=0), axis=1).sum() >= 80.0
    assert len(long.spine) > values["segments"] + 1


def test_same_values_same_world_and_different_seeds_differ():
    a, _ = _layout(3)
    b, _ = _layout(3)
    c, _ = _layout(4)
    assert a.primitives == b.primitives
    np.testing.assert_array_equal(a.free, b.free)
    assert a.primitives != c.primitives


def test_worlds_have_turns_junctions_rooms_and_all_furniture_kinds():
    kinds, turns, area_ratio = set(), 0, []
    for seed in range(12):
        layout, _ = _layout(seed)
        headings = np.diff(layout.spine, axis=0)
        a, b = headings[:-1], headings[1:]
        turns += int(np.sum(np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]) > 1e-9))  # z of the 2-D cross product
        kinds |= {p.kind for p in layout.primitives if p.furniture}
        kinds |= {"table" for p in layout.primitives if p.furniture and p.size[0] <= 0.03}      # legs
        area_ratio.append(layout.free.sum() * CELL**2 / (np.linalg.norm(headings, axis=1).sum() * 1.75))
    assert turns > 0
    assert {"box", "cylinder", "table"} <= kinds
    assert max(area_ratio) > 1.3       # rooms and branches add floor beyond the main hallway
