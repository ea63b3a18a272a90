"""FinRay-v0: Gymnasium/SB3 checkers, reward terms, randomization, sinusoid grid search."""
from __future__ import annotations

import dataclasses
import warnings

import gymnasium as gym
import numpy as np
import pytest

import greenroom.sim  # noqa: F401  (registers the env ids)
from greenroom.sim.finray.config import FinRayEnvConfig, RandomizationConfig
from greenroom.sim.finray.env import FinRayEnv
from greenroom.sim.finray.sinusoid import Sinusoid, SinusoidGrid, grid_search, rollout


def test_gymnasium_and_sb3_checkers_pass() -> None:
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    env = gym.make("greenroom/FinRay-v0", config=FinRayEnvConfig.smoke())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        gym_check(env.unwrapped, skip_render_check=True)
        sb3_check(FinRayEnv(FinRayEnvConfig.smoke()), warn=True)


@pytest.mark.parametrize("objective", ["thrust", "efficiency", "lateral"])
def test_reward_terms_sum_to_the_reward(objective: str) -> None:
    env = FinRayEnv(dataclasses.replace(FinRayEnvConfig.smoke(), objective=objective))
    env.reset(seed=3)
    for _ in range(20):
        _, reward, _, _, info = env.step(env.action_space.sample())
        assert reward == pytest.approx(sum(info["reward_terms"].values()), abs=1e-12)
    expected = {"thrust": {"thrust"}, "efficiency": {"thrust", "power"}, "lateral": {"tracking"}}[objective]
    assert set(info["reward_terms"]) == expected


def test_same_seed_same_episode_and_truncation() -> None:
    cfg = FinRayEnvConfig.smoke()
    runs = []
    for _ in range(2):
        env = FinRayEnv(cfg)
        env.action_space.seed(1)
        infos = rollout(env, lambda obs, info: env.action_space.sample(), seed=11)
        runs.append(np.array([i["thrust"] for i in infos]))
    assert len(runs[0]) == cfg.max_steps
    np.testing.assert_array_equal(runs[0], runs[1])


def test_randomization_is_recorded_applied_and_switchable() -> None:
    env = FinRayEnv(FinRayEnvConfig.smoke())
    _, info_a = env.reset(seed=1)
    rnd_a = info_a["randomization"]
    assert set(rnd_a) == {"fluid", "rays", "actuators", "sensors", "latency"}
    assert env.fluid.params.density == rnd_a["fluid"]["density"]
    assert env.model.actuator_gainprm[0, 0] == pytest.approx(env.config.kp * rnd_a["actuators"]["kp_scale"])
    _, info_b = env.reset(seed=2)
    assert info_b["randomization"]["fluid"]["density"] != rnd_a["fluid"]["density"]
    step_info = env.step(env.action_space.sample())[-1]
    assert step_info["randomization"] == info_b["randomization"]
    # switching one group off gives its nominal values and leaves the other groups' draws alone
    cfg_off = dataclasses.replace(FinRayEnvConfig.smoke(), randomization=dataclasses.replace(
        RandomizationConfig(), fluid=dataclasses.replace(RandomizationConfig().fluid, enabled=False)))
    _, info_off = FinRayEnv(cfg_off).reset(seed=1)
    assert info_off["randomization"]["fluid"] == {"density": 1000.0, "viscosity": 1.0e-3, "drag_coef": 1.9}
    assert info_off["randomization"]["rays"] == rnd_a["rays"]
    _, info_nominal = FinRayEnv(dataclasses.replace(FinRayEnvConfig.smoke(), randomization=RandomizationConfig.off())).reset(seed=5)
    assert info_nominal["randomization"]["latency"]["action_delay"] == 0
    assert info_nominal["randomization"]["sensors"]["angle_noise"] == 0.0


def test_latency_delays_the_action_by_whole_control_steps() -> None:
    base = RandomizationConfig.off()
    delayed = dataclasses.replace(base, latency=dataclasses.replace(base.latency, enabled=True,
                                                                    action_delay=dataclasses.replace(base.latency.action_delay, low=1, high=1)))
    for rnd, zero_first in ((base, False), (delayed, True)):
        env = FinRayEnv(dataclasses.replace(FinRayEnvConfig.smoke(), randomization=rnd))
        env.reset(seed=0)
        env.step(np.ones(env.R, np.float32))
        assert (float(np.abs(env.data.ctrl).max()) == 0.0) == zero_first


def test_grid_search_finds_the_known_best_sinusoid() -> None:
    """Larger, faster, head->tail waves give more thrust: the tiny grid's known optimum."""
    cfg = dataclasses.replace(FinRayEnvConfig.smoke(), episode_seconds=2.0, randomization=RandomizationConfig.off())
    grid = SinusoidGrid(amplitudes=(0.2, 0.5), frequencies=(1.0, 2.5), phase_lags=(-0.6, 0.6))
    result = grid_search(cfg, grid)
    best = result["best"]
    assert (best["amplitude"], best["frequency"], best["phase_lag"]) == (0.5, 2.5, 0.6)
    assert len(result["table"]) == 8 and result["table"][-1]["thrust"] < 0  # a reversed wave is last


def test_sinusoid_policy_maps_to_base_targets() -> None:
    cfg = FinRayEnvConfig.smoke()
    act = Sinusoid(0.3, 1.0, 0.5).policy(cfg)(np.zeros(1), {"time": 0.25})
    expected = 0.3 * np.sin(2 * np.pi * 0.25 - 0.5 * np.arange(cfg.n_rays)) / cfg.max_angle
    np.testing.assert_allclose(act, expected, rtol=1e-6)


@pytest.mark.parametrize("history_frame", ["full", "compact"])
def test_history_appends_records_of_previous_frames_newest_first(history_frame: str) -> None:
    cfg = dataclasses.replace(FinRayEnvConfig.smoke(), history_steps=2, history_frame=history_frame)
    env = FinRayEnv(cfg)
    plain = FinRayEnv(dataclasses.replace(FinRayEnvConfig.smoke(), history_steps=0))
    frame = plain.observation_space.shape[0]
    n = env.R * env.S
    # compact record: base hinge angles, previous action, fluid force x/y of that frame
    keep = np.arange(frame) if history_frame == "full" else \
        np.r_[np.arange(env.R) * env.S, 2 * n + 6:2 * n + 6 + env.R, 2 * n + 2:2 * n + 4]
    assert env.observation_space.shape == (frame + 2 * len(keep),)
    obs, _ = env.reset(seed=5)
    first, _ = plain.reset(seed=5)
    np.testing.assert_array_equal(obs, np.concatenate([first, first[keep], first[keep]]))  # reset: repeated
    frames = [first, first]
    rng = np.random.default_rng(0)
    for _ in range(4):
        action = rng.uniform(-1, 1, env.R).astype(np.float32)
        obs, *_ = env.step(action)
        current = plain.step(action)[0]
        np.testing.assert_array_equal(obs, np.concatenate([current, frames[-1][keep], frames[-2][keep]]))
        frames.append(current)
    with pytest.raises(ValueError, match="history_steps"):
        FinRayEnvConfig(history_steps=-1)
    with pytest.raises(ValueError, match="history_frame must be one of"):
        FinRayEnvConfig(history_frame="all")
