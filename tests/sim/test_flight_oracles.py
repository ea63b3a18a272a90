"""Oracle planners on real worlds: the ground-truth planner flies whole hallways; the depth
oracle turns in place where the camera sees no way ahead."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from greenroom.sim.flight.actions import ActionConfig
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv
from greenroom.sim.flight.oracles import spine_point, spine_progress


def test_spine_progress_and_point_by_hand() -> None:
    spine = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 3.0]])
    assert spine_progress(spine, np.array([1.0, 0.5])) == pytest.approx(1.0)
    assert spine_progress(spine, np.array([4.5, 2.0])) == pytest.approx(6.0)
    np.testing.assert_allclose(spine_point(spine, 5.0), [4.0, 1.0])
    np.testing.assert_allclose(spine_point(spine, 99.0), [4.0, 3.0])


def _fly(env: FlightEnv, seed: int, planner: str) -> dict:
    env.reset(seed=seed)
    while True:
        twist = env.map_oracle_twist() if planner == "map" else env.depth_oracle_twist()
        _, _, terminated, truncated, info = env.step(twist)
        if terminated or truncated:
            return info


@pytest.mark.slow
def test_ground_truth_planner_reaches_the_cap_and_cad2rl_does_not_turn_in_place() -> None:
    """Held-out-range worlds of the cpu preset (40 m cap, turns, furniture): the map planner
    flies the whole cap without a collision on the clearance action set."""
    env = FlightEnv(FlightEnvConfig.cpu())
    env.render_enabled = False
    try:
        for seed in (1_000_000, 1_000_003):
            info = _fly(env, seed, "map")
            assert not info["collision"] and info["distance"] >= 40.0, (seed, info["distance"])
    finally:
        env.close()
    cad = FlightEnv(replace(FlightEnvConfig.smoke(), actions=ActionConfig.cad2rl()))
    try:
        cad.reset(seed=1)
        for _ in range(20):
            twist = cad.map_oracle_twist()
            assert twist[0] > 0.5                                   # always flying at the fixed speed
            if cad.step(twist)[2]:
                break
    finally:
        cad.close()


def test_depth_oracle_turns_in_place_facing_a_wall() -> None:
    """Fly straight at a hallway's end wall: before the drone touches it, the depth oracle's
    action is a turn in place (hover, yaw left), and the centre ray ends close ahead."""
    config = replace(FlightEnvConfig.smoke(), max_steps=400, max_distance=40.0).without_randomization()
    env = FlightEnv(config)
    try:
        env.reset(seed=3)
        grid = env.grid
        for _ in range(300):
            twist = env.depth_oracle_twist()
            if twist[0] == 0.0:
                break
            *_, terminated, _, _ = env.step(grid.twist(grid.center_index()))
            assert not terminated
        np.testing.assert_allclose(twist, [0, 0, 0, config.actions.turn_rate], atol=1e-6)
        assert float(env.free_distances()[1, 1]) < 1.5
        ring = env.ring_distances(8)
        assert ring.shape == (8,) and ring[0] < 1.5 and ring.max() > 2.0    # ray 0 looks straight ahead at the wall
    finally:
        env.close()


def test_clearances_of_the_edge_columns_look_beyond_the_image() -> None:
    """The same state with and without ``clearance_beyond_fov``: the inner columns' clearances are equal
    (the extended grid casts the same rays), the edge columns' can only shrink, and flying along a
    hallway they do shrink in the middle row: the side walls come closer at the outer neighbour's
    steeper angles, which the image edge hides."""
    base = replace(FlightEnvConfig.smoke(), max_steps=400, max_distance=40.0).without_randomization()
    envs = [FlightEnv(replace(base, clearance_beyond_fov=flag)) for flag in (False, True)]
    try:
        for env in envs:
            env.reset(seed=3)
        edge, beyond = (env.clearances() for env in envs)
        np.testing.assert_allclose(beyond[:, 1:-1], edge[:, 1:-1])
        assert np.all(beyond[:, [0, -1]] <= edge[:, [0, -1]] + 1e-6)
        assert np.all(beyond[1, [0, -1]] < edge[1, [0, -1]] - 0.05)
        free = envs[0].free_distances(5)
        assert edge[1, 0] == pytest.approx(min(free[1, 0], free[1, 1]), abs=1e-6)   # image edge stands in
    finally:
        for env in envs:
            env.close()


def test_render_switch_keeps_the_image_until_render_now() -> None:
    env = FlightEnv(FlightEnvConfig.smoke())
    try:
        first, _ = env.reset(seed=0)
        env.render_enabled = False
        stale = env.step(env.grid.twist(env.grid.center_index()))[0]
        assert stale is first
        fresh = env.render_now()
        assert fresh is not first and fresh.shape == first.shape
        env.render_enabled = True
    finally:
        env.close()
