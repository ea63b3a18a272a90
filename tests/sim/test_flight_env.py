"""FlightEnv: Gymnasium/SB3 checkers, determinism, collisions, dynamics, ground truth, state, vector envs."""
from __future__ import annotations

import pickle
from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

from greenroom.sim.core.randomization import IntUniform
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv
from greenroom.sim.flight.ranges import GROUP_NAMES, DynamicsRanges

SMOKE = FlightEnvConfig.smoke()
NOMINAL = SMOKE.without_randomization()


@pytest.fixture
def env():
    e = FlightEnv(SMOKE)
    yield e
    e.close()


def forward(speed: float = 1.0) -> np.ndarray:
    return np.array([speed, 0.0, 0.0, 0.0], np.float32)


def test_gymnasium_and_sb3_checkers_pass():
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    e = FlightEnv(SMOKE, render_mode="rgb_array")
    try:
        gym_check(e, skip_render_check=False)
        sb3_check(e, warn=False)
    finally:
        e.close()


def test_registered_id_and_spaces():
    e = gym.make("greenroom/Flight-v0", config=SMOKE)
    try:
        obs, info = e.reset(seed=1)
        assert obs.shape == (32, 32, 3) and obs.dtype == np.uint8
        assert e.action_space.shape == (4,)
        assert set(info) >= {"pose", "distance", "collision", "randomization", "reward_terms"}
        assert set(info["randomization"]) == set(GROUP_NAMES)
    finally:
        e.close()


def test_same_seed_same_observations_other_seed_differs():
    a, b = FlightEnv(SMOKE), FlightEnv(SMOKE)
    try:
        rng = np.random.default_rng(0)
        actions = [a.grid.twist(int(rng.integers(a.grid.size))) for _ in range(8)]
        obs_a, _ = a.reset(seed=7)
        obs_b, _ = b.reset(seed=7)
        np.testing.assert_array_equal(obs_a, obs_b)
        for action in actions:
            out_a, out_b = a.step(action), b.step(action)
            np.testing.assert_array_equal(out_a[0], out_b[0])
            assert out_a[1:4] == out_b[1:4]
            if out_a[2] or out_a[3]:
                break
        assert not np.array_equal(a.reset(seed=8)[0], b.reset(seed=7)[0])
    finally:
        a.close()
        b.close()


def _ray_hit(origin: np.ndarray, direction: np.ndarray, primitives) -> float:
    """Independent reference: nearest hit of a ray with the layout's boxes and z-cylinders (m)."""
    best = np.inf
    for p in primitives:
        pos, size = np.array(p.pos), np.array(p.size)
        if p.kind == "box":
            with np.errstate(divide="ignore", invalid="ignore"):
                t1, t2 = (pos - size - origin) / direction, (pos + size - origin) / direction
            t_near, t_far = np.nanmax(np.minimum(t1, t2)), np.nanmin(np.maximum(t1, t2))
            if t_near <= t_far and t_far > 0:
                best = min(best, max(t_near, 0.0))
        else:
            r, h = size[0], size[1]
            o, d = origin[:2] - pos[:2], direction[:2]
            a, b, c = d @ d, 2 * o @ d, o @ o - r * r
            disc = b * b - 4 * a * c
            if a > 0 and disc >= 0:
                t = (-b - np.sqrt(disc)) / (2 * a)
                if t > 0 and abs(origin[2] + t * direction[2] - pos[2]) <= h:
                    best = min(best, t)
    return best


def test_free_distances_match_an_independent_ray_box_computation():
    e = FlightEnv(replace(NOMINAL, grid_rows=3, grid_cols=5))
    try:
        e.reset(seed=0)
        for _ in range(3):
            e.step(np.array([0.5, 0.0, 0.0, 0.4], np.float32))
        free = e.free_distances()
        cam = e.model.camera("fpv").id
        origin = e.data.cam_xpos[cam].copy()
        xmat = e.data.cam_xmat[cam].reshape(3, 3)
        body_to_world = xmat @ np.array([[0, -1, 0], [0, 0, 1], [-1, 0, 0]], float)
        for index, direction in enumerate(e.grid.directions()):
            expected = min(_ray_hit(origin, body_to_world @ direction, e.layout.primitives), e.config.max_range)
            assert free.ravel()[index] == pytest.approx(expected, abs=1e-4), index
        assert free.shape == (3, 5) and free.dtype == np.float32
        # the optical axis agrees with the rendered metric depth at the image centre
        assert 0 < free[1, 2] <= e.config.max_range
    finally:
        e.close()


def test_flying_straight_into_a_wall_terminates_with_a_collision():
    e = FlightEnv(replace(NOMINAL, max_steps=1000, max_distance=200.0, max_range=60.0))
    try:
        _, info = e.reset(seed=0)
        ahead = float(e.free_distances()[1, 1])      # straight ahead from the camera
        cam_x = e.data.cam_xpos[e.model.camera("fpv").id][0]
        for _ in range(1000):
            _, reward, terminated, truncated, info = e.step(forward(2.0))
            assert reward == pytest.approx(sum(info["reward_terms"].values()))
            if terminated or truncated:
                break
        assert terminated and not truncated and info["collision"]
        assert info["reward_terms"]["collision"] == e.config.collision_penalty
        # the sphere touched the wall: centre ~ one radius before it (camera is 0.5 r ahead)
        wall_x = cam_x + ahead
        assert info["pose"][0] == pytest.approx(wall_x - e.config.collision_radius, abs=0.05)
        with pytest.raises(RuntimeError, match="call reset"):
            e.step(forward())
    finally:
        e.close()


def test_truncation_at_the_step_cap():
    e = FlightEnv(replace(NOMINAL, max_steps=3))
    try:
        e.reset(seed=0)
        outcomes = [e.step(np.zeros(4, np.float32))[2:4] for _ in range(3)]
        assert outcomes == [(False, False), (False, False), (False, True)]
    finally:
        e.close()


def _body_velocity(e: FlightEnv) -> np.ndarray:
    yaw = e.pose()[3]
    c, s = np.cos(yaw), np.sin(yaw)
    v = e.data.qvel
    return np.array([c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2], v[5]])


def test_commanded_velocities_are_tracked_with_the_time_constant():
    e = FlightEnv(NOMINAL)           # dynamics off: tau = 0.2 s, no latency, no drag
    try:
        e.reset(seed=0)
        tau = e.config.randomization.dynamics.tau.nominal_value()
        # translation and yaw separately (with both, the body frame turns under the velocity)
        for command in (np.array([0.8, 0.3, -0.2, 0.0], np.float32), np.array([0.0, 0.0, 0.0, 0.6], np.float32)):
            e.reset(seed=0)
            e.step(command)
            e.step(command)                               # t = 0.2 s = one time constant
            np.testing.assert_allclose(_body_velocity(e), command * (1 - np.exp(-0.2 / tau)), atol=0.01)
            for _ in range(8):                            # t = 1.0 s = 5 tau
                e.step(command)
            np.testing.assert_allclose(_body_velocity(e), command * (1 - np.exp(-1.0 / tau)), atol=0.01)
        e.reset(seed=0)
        e.step(np.array([100.0, 0, 0, 0], np.float32))
        assert e.data.ctrl[0] == pytest.approx(e.config.max_forward_speed)   # clipped to the limit
        with pytest.raises(ValueError, match="shape \\(4,\\)"):
            e.step(np.zeros(3))
    finally:
        e.close()


def test_command_latency_delays_the_response():
    dyn = replace(DynamicsRanges(), latency_steps=IntUniform(2, 2, nominal=2), enabled=False)
    e = FlightEnv(replace(NOMINAL, randomization=replace(NOMINAL.randomization, dynamics=dyn)))
    try:
        _, info = e.reset(seed=0)
        assert info["randomization"]["dynamics"]["latency_steps"] == 2
        speeds = [e.step(forward(1.0)) and _body_velocity(e)[0] for _ in range(3)]
        assert speeds[0] == pytest.approx(0, abs=1e-9) and speeds[1] == pytest.approx(0, abs=1e-9)
        assert speeds[2] > 0.3
    finally:
        e.close()


def test_get_state_set_state_reproduces_the_future(env):
    env.reset(seed=3)
    env.step(forward(0.5))
    state = env.get_state()
    actions = [env.grid.twist(i % env.grid.size) for i in range(5)]

    def rollout():
        out = []
        for action in actions:
            obs, reward, terminated, truncated, info = env.step(action)
            out.append((obs.copy(), reward, info["pose"].copy()))
            if terminated or truncated:
                break
        return out

    first = rollout()
    env.set_state(pickle.loads(pickle.dumps(state)))    # states are picklable (Ray/multiprocessing)
    second = rollout()
    env.reset()                                         # next episode, same world (K = 5)
    env.set_state(state)                                # restores that episode's randomization too
    third = rollout()
    for other in (second, third):
        assert len(first) == len(other)
        for (o1, r1, p1), (o2, r2, p2) in zip(first, other):
            np.testing.assert_array_equal(o1, o2)   # image noise stream restored too
            assert r1 == r2
            np.testing.assert_array_equal(p1, p2)
    env.reset(seed=99)                          # a different world
    with pytest.raises(ValueError, match="another world"):
        env.set_state(state)


def test_depth_observation_is_metric():
    e = FlightEnv(replace(NOMINAL, depth=True, grid_rows=3, grid_cols=3, image_size=33, max_range=60.0))
    try:
        obs, _ = e.reset(seed=0)
        assert set(obs) == {"rgb", "depth"} and obs["depth"].dtype == np.float32
        assert e.observation_space.contains(obs)
        assert obs["depth"][16, 16] == pytest.approx(e.free_distances()[1, 1], rel=0.02)
    finally:
        e.close()


def test_top_down_map_draws_the_trajectory(env):
    _, info = env.reset(seed=2)
    poses = [info["pose"]]
    for _ in range(5):
        poses.append(env.step(forward(1.0))[4]["pose"])
    image = env.top_down_map(np.array(poses))
    assert image.dtype == np.uint8 and image.ndim == 3
    assert np.any(np.all(image == (220, 30, 30), axis=-1))     # trajectory pixels
    assert np.any(np.all(image == (60, 60, 70), axis=-1))      # walls


def test_sync_vector_env():
    envs = gym.vector.SyncVectorEnv([lambda: FlightEnv(SMOKE) for _ in range(2)])
    try:
        obs, _ = envs.reset(seed=[0, 1])
        assert obs.shape == (2, 32, 32, 3)
        for _ in range(3):
            obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert reward.shape == (2,) and "pose" in info
    finally:
        envs.close()


def test_async_vector_env():
    envs = gym.vector.AsyncVectorEnv([lambda: FlightEnv(SMOKE) for _ in range(2)], context="spawn")
    try:
        obs, _ = envs.reset(seed=5)
        assert obs.shape == (2, 32, 32, 3)
        for _ in range(3):
            obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert obs.dtype == np.uint8 and reward.shape == (2,)
    finally:
        envs.close()


def test_world_is_reused_for_k_episodes_and_then_regenerated():
    e = FlightEnv(replace(SMOKE, regenerate_every=2))
    try:
        infos = [e.reset(seed=11)[1]] + [e.reset()[1] for _ in range(3)]
        assert [i["world_index"] for i in infos] == [0, 0, 1, 1]
        layouts = [i["randomization"]["layout"]["seed"] for i in infos]
        assert layouts[0] == layouts[1] != layouts[2] == layouts[3]
        colors = [i["randomization"]["colors"]["seed"] for i in infos]
        assert len(set(colors)) == 4                  # appearance re-randomized every episode
        assert e.timing["worlds"] == 2
    finally:
        e.close()


def test_start_poses_are_collision_free_in_many_worlds():
    e = FlightEnv(replace(SMOKE, regenerate_every=1))
    try:
        for seed in range(15):
            _, info = e.reset(seed=seed)
            assert e.data.ncon == 0, seed
            assert not info["collision"]
            ceiling = info["randomization"]["layout"]["ceiling_height"]
            assert e.config.collision_radius < info["pose"][2] < ceiling - e.config.collision_radius
    finally:
        e.close()


def test_renderer_reused_across_worlds_matches_a_fresh_renderer():
    import mujoco

    e = FlightEnv(replace(SMOKE, regenerate_every=1))
    try:
        e.reset(seed=0)
        e.reset(seed=1)                                # second world: the renderer switched models
        assert e.timing["worlds"] == 2
        fresh = mujoco.Renderer(e.model, SMOKE.image_size, SMOKE.image_size)
        fresh.update_scene(e.data, camera="fpv", scene_option=e._scene_option)
        e._renderer.update_scene(e.data, camera="fpv", scene_option=e._scene_option)
        reused = e._renderer.render()
        np.testing.assert_array_equal(reused, fresh.render())
        assert reused.std() > 5                        # a real image, not a blank frame
        fresh.close()
    finally:
        e.close()


def test_oracle_prefers_clearance_then_straight_ahead():
    from greenroom.sim.flight.ground_truth import oracle_index
    from greenroom.sim.flight.grid import DirectionGrid

    grid = DirectionGrid(3, 5, 90, 90, 1.0, 0.5, 1.5, 0.1)
    free = np.full((3, 5), 2.0, np.float32)
    assert oracle_index(free, grid) == 7                    # all equal: straight ahead
    free[1, 0] = 9.0                                        # one long but narrow gap at the left edge
    free[1, 3:] = 6.0                                       # a wide opening on the right
    assert oracle_index(free, grid) == grid.index(1, 4)     # row min: col 4 -> min(6, 6) beats col 0 -> min(9, 2)
