"""Stage 1 and stage 2 labels against hand-computed values and analytic ray geometry."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from greenroom.policies.flight.envs import LazyRenderEnv
from greenroom.policies.flight.labels import (
    discounted_fraction,
    free_space_labels,
    free_space_steps,
    monte_carlo_labels,
    rollout_branch,
    step_lengths,
)
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.grid import DirectionGrid

GAMMA, HORIZON = 0.9, 10


def _grid() -> DirectionGrid:
    return DirectionGrid(3, 5, 90.0, 90.0, 1.0, 0.5, 1.5, 0.1)


def test_discounted_fraction_by_hand() -> None:
    norm = sum(GAMMA ** t for t in range(HORIZON))
    np.testing.assert_allclose(discounted_fraction(0, GAMMA, HORIZON), 0.0)
    np.testing.assert_allclose(discounted_fraction(3, GAMMA, HORIZON), (1 + 0.9 + 0.81) / norm, rtol=1e-6)
    np.testing.assert_allclose(discounted_fraction(HORIZON + 7, GAMMA, HORIZON), 1.0)
    np.testing.assert_allclose(discounted_fraction(4, 1.0, 8), 0.5)


def test_free_space_labels_on_hand_built_distances() -> None:
    grid = _grid()
    lengths = step_lengths(grid)
    center = grid.cell(grid.center_index())
    assert lengths[center] == pytest.approx(0.1)   # 1 m/s straight ahead at 10 Hz
    radius = 0.15
    # A hand-built scene: a wall 2.5 steps beyond the collision radius along every cell.
    distances = radius + 2.5 * lengths
    distances[0, 0] = 0.1           # inside the radius: no free step
    distances[2, 4] = 100.0         # open: survives the whole horizon
    steps = free_space_steps(distances, grid, radius)
    assert steps[center] == 2 and steps[0, 0] == 0 and steps[2, 4] >= HORIZON
    labels = free_space_labels(distances, grid, radius, GAMMA, HORIZON)
    assert labels.shape == (3, 5) and labels.dtype == np.float32
    np.testing.assert_allclose(labels[center], (1 + 0.9) / sum(GAMMA ** t for t in range(HORIZON)), rtol=1e-6)
    assert labels[0, 0] == 0.0 and labels[2, 4] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"free_distances has shape \(2, 5\), the grid is \(3, 5\)"):
        free_space_labels(np.ones((2, 5)), grid, radius, GAMMA, HORIZON)


def _ray_box(origin: np.ndarray, direction: np.ndarray, center: np.ndarray, half: np.ndarray) -> float:
    """Slab-method distance along a unit ray to an axis-aligned box (inf if missed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (center - half - origin) / direction
        t2 = (center + half - origin) / direction
    near, far = np.nanmax(np.minimum(t1, t2)), np.nanmin(np.maximum(t1, t2))
    return float(near) if far >= max(near, 0.0) and near >= 0 else math.inf


def _ray_cylinder(origin: np.ndarray, direction: np.ndarray, center: np.ndarray, radius: float, half_h: float) -> float:
    """Distance along a unit ray to a vertical cylinder's side or caps (inf if missed)."""
    best = math.inf
    o, d = origin[:2] - center[:2], direction[:2]
    a, b, c = d @ d, 2 * o @ d, o @ o - radius ** 2
    if a > 1e-12 and b * b - 4 * a * c >= 0:
        for t in sorted(((-b - math.sqrt(b * b - 4 * a * c)) / (2 * a), (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a))):
            if t >= 0 and abs(origin[2] + t * direction[2] - center[2]) <= half_h:
                best = min(best, t)
                break
    for z in (center[2] - half_h, center[2] + half_h):
        if abs(direction[2]) > 1e-12:
            t = (z - origin[2]) / direction[2]
            p = origin + t * direction
            if t >= 0 and np.linalg.norm(p[:2] - center[:2]) <= radius:
                best = min(best, t)
    return best


def analytic_free_distances(env: LazyRenderEnv) -> np.ndarray:
    """Free distance along every grid ray from the nominal camera, intersecting the world's primitives."""
    cfg = env.config
    x, y, z, yaw = env.pose()
    rot = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    origin = np.array([x, y, z]) + rot @ np.array([0.5 * cfg.collision_radius, 0.0, 0.0])  # nominal mount
    out = []
    for direction in env.grid.directions() @ rot.T:
        hits = [cfg.max_range]
        for prim in env.layout.primitives:
            center = np.array(prim.pos)
            if prim.kind == "box":
                hits.append(_ray_box(origin, direction, center, np.array(prim.size)))
            else:
                hits.append(_ray_cylinder(origin, direction, center, prim.size[0], prim.size[1]))
        out.append(min(hits))
    return np.array(out).reshape(env.grid.shape)


@pytest.fixture(scope="module")
def nominal_env():  # type: ignore[no-untyped-def]
    config = replace(FlightEnvConfig.smoke(), max_steps=400, max_distance=40.0).without_randomization()
    env = LazyRenderEnv(config)
    yield env
    env.close()


@pytest.mark.parametrize("seed", [3, 11])
def test_free_space_labels_match_analytic_geometry(nominal_env: LazyRenderEnv, seed: int) -> None:
    env = nominal_env
    env.reset(seed=seed)
    grid = env.grid
    for _ in range(4):   # also off the start pose
        env.step(grid.twist(grid.center_index()))
    expected = analytic_free_distances(env)
    np.testing.assert_allclose(env.free_distances(), expected, atol=2e-3)
    radius = env.config.collision_radius
    labels = free_space_labels(env.free_distances(), grid, radius, GAMMA, HORIZON)
    by_hand = discounted_fraction(np.floor((expected - radius) / step_lengths(grid)), GAMMA, HORIZON)
    np.testing.assert_allclose(labels, by_hand, atol=1e-6)


def test_monte_carlo_branch_is_a_restorable_real_flight(nominal_env: LazyRenderEnv) -> None:
    env = nominal_env
    env.reset(seed=3)
    grid = env.grid
    straight = grid.center_index()
    while float(env.free_distances().reshape(-1)[straight]) > 3.0:   # fly up to 3 m before a wall
        assert not env.step(grid.twist(straight))[2]
    state = env.get_state()
    ahead = float(env.free_distances().reshape(-1)[straight])
    horizon = int(ahead / 0.1) + 15           # long enough to reach the wall ahead
    fly_straight = lambda image: grid.twist(straight)  # noqa: E731  (a policy: image -> Twist)
    first = rollout_branch(env, state, straight, fly_straight, commit_steps=horizon, horizon=horizon)
    second = rollout_branch(env, state, straight, fly_straight, commit_steps=1, horizon=horizon)
    assert first == second                    # restored state: the same flight, policy or commit
    assert first.collided
    flown = first.survived * 0.1
    # Flying straight at 1 m/s after a 0.2 s velocity lag, the sphere (radius r, centre 0.5 r behind
    # the camera) meets the wall after about ahead - 0.5 r metres.
    assert ahead - 0.5 * env.config.collision_radius - 0.4 <= flown <= ahead + 0.3
    # By hand: restore and fly the same steps.
    env.set_state(state)
    for _ in range(first.survived):
        *_, terminated, _, info = env.step(grid.twist(straight))
        assert not terminated
    assert env.step(grid.twist(straight))[2]
    labels, branches = monte_carlo_labels(env, state, np.array([straight]), fly_straight, 1, horizon, GAMMA)
    np.testing.assert_allclose(labels, discounted_fraction(first.survived, GAMMA, horizon))


def test_lazy_rendering_keeps_the_trajectory(nominal_env: LazyRenderEnv) -> None:
    env = nominal_env
    env.reset(seed=11)
    state = env.get_state()
    turns = [env.grid.index(1, c) for c in (0, 0, 1, 2, 2, 1, 1, 1)]
    poses = []
    for render in (True, False):
        env.set_state(state)
        env.render_enabled = render
        poses.append([env.step(env.grid.twist(a))[4]["pose"] for a in turns])
    env.render_enabled = True
    np.testing.assert_array_equal(np.array(poses[0]), np.array(poses[1]))


def test_on_policy_free_space_task_labels_every_cell_of_the_policys_states() -> None:
    """stage2.label_source=free_space: the states come from the network's own flight, every
    cell is labelled by ground truth (the same labels as stage 1), and weights are required."""
    import torch

    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.network import build_network
    from greenroom.policies.flight.rollout import POLICY_FREE_SPACE, RolloutTask, Worker
    from greenroom.policies.flight.trainer import cpu_weights

    config = FlightTrainConfig.smoke()
    torch.manual_seed(0)
    worker = Worker(config)
    try:
        with pytest.raises(ValueError, match="policy_free_space task needs the current network weights"):
            worker.run(RolloutTask(POLICY_FREE_SPACE, 0, 4, 0, None))
        result = worker.run(RolloutTask(POLICY_FREE_SPACE, 0, 6, 0, cpu_weights(build_network(config))))
        assert result.images.shape == (6, 32, 32, 3) and result.mask.all()
        assert ((result.targets >= 0) & (result.targets <= 1)).all() and result.targets.std() > 0
    finally:
        worker.env.close()
