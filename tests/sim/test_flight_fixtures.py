"""Rotated furniture and door leaves (randomization groups ``furniture_rotation`` and ``doors``), and
the recording of every structural draw of the world generator."""
from __future__ import annotations

import dataclasses
import math

import mujoco
import numpy as np
import pytest

from greenroom.sim.core.randomization import Uniform, sample_groups
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv
from greenroom.sim.flight.fixtures import DOOR_HEIGHT, footprint_half
from greenroom.sim.flight.ranges import DoorRanges, FurnitureRotationRanges, LayoutRanges, PlanShapes
from greenroom.sim.flight.scene import COLLISION_GROUP
from greenroom.sim.flight.world import CELL, generate_layout

ALL_ROTATED = {"seed": 5, "rotated_share": 1.0, "max_yaw_deg": 40.0}


def _doors(state: str) -> dict:
    probs = {"closed": (1.0, 0.0, 0.0), "half_open": (0.0, 1.0, 0.0), "open": (0.0, 0.0, 1.0)}[state]
    return {"seed": 9, "closed_prob": probs[0], "half_open_prob": probs[1], "open_prob": probs[2], "half_open_deg": 45.0}


def _values(seed: int) -> dict:
    values = sample_groups({"layout": LayoutRanges()}, seed)["layout"]
    return {**values, "room_prob": 1.0}          # a doorway on every piece


def _walls(layout) -> list:
    return [p for p in layout.primitives if not p.furniture]


def test_new_groups_are_off_by_default_and_their_nominal_world_has_no_leaves_or_turned_items():
    config = FlightEnvConfig().randomization
    assert not config.furniture_rotation.enabled and not config.doors.enabled
    off = {name: group.sample(np.random.default_rng(0)) for name, group in
           (("rotation", config.furniture_rotation), ("doors", config.doors))}
    layout = generate_layout(_values(1), 1, rotation=off["rotation"], doors=off["doors"])
    assert all(item.yaw == 0.0 for item in layout.draws["furniture"])
    assert layout.draws["doors"] and all(d.state == "none" for d in layout.draws["doors"])
    assert layout.primitives == generate_layout(_values(1), 1).primitives


@pytest.mark.parametrize("seed", range(4))
def test_rotation_and_doors_leave_every_other_draw_of_the_world_alone(seed: int):
    plain = generate_layout(_values(seed), seed)
    doors = generate_layout(_values(seed), seed, doors=_doors("closed"))
    turned = generate_layout(_values(seed), seed, rotation=ALL_ROTATED)
    for other in (doors, turned):
        assert other.draws["plan"] == plain.draws["plan"]
        np.testing.assert_array_equal(other.free, plain.free)
        assert _walls(other) == _walls(plain)
    assert doors.draws["furniture"] == plain.draws["furniture"]      # doors come after the furniture


@pytest.mark.parametrize("seed", range(4))
def test_turned_furniture_stays_on_free_floor_within_its_yaw_bound(seed: int):
    layout = generate_layout(_values(seed), seed, rotation=ALL_ROTATED)
    items = [i for i in layout.draws["furniture"] if i.kind != "cylinder"]
    assert items and all(0 < abs(i.yaw) <= math.radians(40.0) for i in items)
    for item in items:       # every corner of the turned footprint is over free floor
        c, s = math.cos(item.yaw), math.sin(item.yaw)
        hx, hy = item.half
        for ox, oy in ((-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)):
            x, y = item.xy[0] + c * ox - s * oy, item.xy[1] + s * ox + c * oy
            r, col = int((y - layout.origin[1]) // CELL), int((x - layout.origin[0]) // CELL)
            assert layout.free[r, col], f"{item} pokes into a wall"
    turned = [p for p in layout.primitives if p.furniture and p.yaw != 0.0]
    assert len(turned) >= len(items)


def test_footprint_half_bounds_the_turned_rectangle():
    assert footprint_half(0.5, 0.2, 0.0) == pytest.approx((0.5, 0.2))
    assert footprint_half(0.5, 0.2, math.pi / 2) == pytest.approx((0.2, 0.5))
    assert footprint_half(0.5, 0.5, math.pi / 4) == pytest.approx((math.sqrt(0.5), math.sqrt(0.5)))


def test_plan_ranges_come_from_the_config():
    values = _values(2)
    fixed = dataclasses.replace(LayoutRanges(), plan=PlanShapes(length_scale=Uniform(1.0, 1.0),
                                                                 room_depth=Uniform(4.0, 4.0)))
    layout = generate_layout(values, 2, ranges=fixed)
    assert all(p.length == pytest.approx(values["segment_length"], abs=1e-3) for p in layout.draws["plan"])
    assert all(p.room.depth == 4.0 for p in layout.draws["plan"])


def _env(doors: dict | None) -> FlightEnv:
    config = FlightEnvConfig.smoke()
    r = config.randomization
    r = dataclasses.replace(r, layout=dataclasses.replace(r.layout, room_prob=Uniform(1.0, 1.0)))
    if doors is not None:
        ranges = DoorRanges(enabled=True, **{k: Uniform(v, v) for k, v in doors.items() if k != "seed"})
        r = dataclasses.replace(r, doors=ranges)
    return FlightEnv(dataclasses.replace(config, randomization=r))


def _ray_through_doorways(env: FlightEnv) -> list[float]:
    """Distance (m) a ray travels from the hallway, 1 m above the floor, through each doorway."""
    groups = np.zeros(6, np.uint8)
    groups[COLLISION_GROUP] = 1
    out = []
    geom = np.array([-1], np.int32)
    for door in env.layout.draws["doors"]:
        at, into = np.array(door.at), np.array(door.into)
        start = np.r_[at - 0.3 * into, 1.0]
        out.append(mujoco.mj_ray(env.model, env.data, start, np.r_[into, 0.0], groups, 1, -1, geom))
    return out


def test_a_closed_door_shuts_its_doorway_and_an_open_one_swings_into_the_room():
    for state, blocked in (("closed", True), ("open", False)):
        env = _env(_doors(state))
        _, info = env.reset(seed=0)
        records = info["randomization"]["layout"]["doors"]
        assert records and all(d.state == state for d in records)
        assert info["randomization"]["doors"]["closed_prob"] == (1.0 if state == "closed" else 0.0)
        distances = _ray_through_doorways(env)
        if blocked:   # the leaf stands mid-wall, one cell behind the hallway's wall face
            assert all(abs(d - (0.3 + CELL)) < 0.1 for d in distances), distances
        else:         # the doorway is open: the ray reaches deep into the room
            assert all(d < 0 or d > 2.0 for d in distances), distances
        leaves = [p for p in env.layout.primitives if p.furniture and p.size[2] == pytest.approx((DOOR_HEIGHT - 0.02) / 2)]
        assert len(leaves) == len(records)
        env.close()


def test_info_records_the_world_draws_and_they_hold_for_the_whole_world():
    env = _env(_doors("half_open"))
    infos = [env.reset(seed=4)[1], env.reset()[1]]          # episodes 0 and 1: one world (regenerate_every 5)
    layout = infos[0]["randomization"]["layout"]
    assert set(layout) >= {"plan", "furniture", "doors", "segments", "seed"}
    assert len(layout["plan"]) == len(env.layout.spine) - 1
    assert all(d.angle_deg == 45.0 for d in layout["doors"])
    assert infos[1]["randomization"]["layout"] == layout
    assert infos[1]["randomization"]["doors"] == infos[0]["randomization"]["doors"]
    env.close()


def test_rotation_group_switches_on_from_a_config_override():
    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.flight.config import FlightTrainConfig

    config = resolve_config(FlightTrainConfig, "cpu", ["env.randomization.furniture_rotation.enabled=true",
                                                      "env.randomization.doors.enabled=true"])
    assert isinstance(config.env.randomization.furniture_rotation, FurnitureRotationRanges)
    assert config.env.randomization.furniture_rotation.enabled and config.env.randomization.doors.enabled
