"""FlightTrainConfig presets, overrides, validation messages and the held-out seed split."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from greenroom.policies.common.config import ConfigError, resolve_config
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.network import ActionHead, PolicyGraph, build_network, parameter_count
from greenroom.policies.flight.trainer import masked_mse, mirror_half, random_convolution
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.actions import ActionConfig, ActionSet
from greenroom.sim.flight.grid import DirectionGrid


@pytest.mark.parametrize("preset", ["smoke", "cpu", "paper"])
def test_presets_build_a_network_of_the_grid(preset: str) -> None:
    config = resolve_config(FlightTrainConfig, preset)
    assert isinstance(config.env, FlightEnvConfig)
    net = build_network(config)
    size = min(config.env.image_size, 64) if preset != "paper" else config.env.image_size
    if preset != "paper":
        out = net(torch.zeros(2, size, size, 3, dtype=torch.uint8))
        assert out.shape == (2, config.env.grid_rows, config.env.grid_cols)
        assert torch.all((out > 0) & (out < 1))
    assert parameter_count(net) > 0


def test_paper_preset_is_bigger_than_cpu() -> None:
    cpu, paper = FlightTrainConfig.cpu(), FlightTrainConfig.paper()
    assert paper.env.image_size > cpu.env.image_size
    assert paper.env.grid_rows * paper.env.grid_cols > cpu.env.grid_rows * cpu.env.grid_cols
    assert parameter_count(build_network(paper)) > 20 * parameter_count(build_network(cpu))


def test_overrides_and_clear_errors() -> None:
    config = resolve_config(FlightTrainConfig, "smoke", ["rollout.backend=ray", "env.image_size=48", "labels.horizon=20"])
    assert (config.rollout.backend, config.env.image_size, config.labels.horizon) == ("ray", 48, 20)
    with pytest.raises(ConfigError, match="rollout.backend must be one of process, ray, got 'mpi'"):
        resolve_config(FlightTrainConfig, "cpu", ["rollout.backend=mpi"])
    with pytest.raises(ConfigError, match="unknown config key 'stage2.iteratons'.*iterations"):
        resolve_config(FlightTrainConfig, "cpu", ["stage2.iteratons=3"])
    with pytest.raises(ConfigError, match=r"labels.commit_steps must be in \[1, horizon=10\], got 20"):
        resolve_config(FlightTrainConfig, "cpu", ["labels.horizon=10", "labels.commit_steps=20"])
    with pytest.raises(ConfigError, match="export_observations must be >= 256"):
        resolve_config(FlightTrainConfig, "cpu", ["export_observations=100"])
    with pytest.raises(ConfigError, match="eval.baselines: unknown \\['dqn'\\]"):
        resolve_config(FlightTrainConfig, "cpu", ["eval.baselines=[straight,dqn]"])


def test_training_seeds_never_reach_the_held_out_range() -> None:
    for seed in (0, 1, 12345):
        config = resolve_config(FlightTrainConfig, "cpu", [f"seed={seed}"])
        seeds = np.array([config.train_seed(k) for k in range(0, 3_000_000, 997)])
        assert seeds.max() < config.eval.seed_start and seeds.min() >= 0


def test_mirror_half_flips_images_grid_columns_and_depth_maps_together() -> None:
    grid = DirectionGrid(3, 5, 90, 90, 1.0, 0.5, 1.5, 0.1)
    images = np.arange(4 * 8 * 8 * 3, dtype=np.uint8).reshape(4, 8, 8, 3)
    targets = np.tile(np.arange(15, dtype=np.float32), (4, 1))
    mask = np.zeros((4, 15), bool)
    mask[:, 0] = True
    depth = np.arange(4 * 4 * 4, dtype=np.float16).reshape(4, 4, 4)
    new_images, new_targets, new_mask, new_depth = mirror_half(images, targets, mask, 5, np.random.default_rng(1),
                                                               depth)
    flipped = [i for i in range(4) if not np.array_equal(new_images[i], images[i])]
    assert flipped and len(flipped) < 4
    for i in range(4):
        np.testing.assert_array_equal(new_depth[i], depth[i][:, ::-1] if i in flipped else depth[i])
    for i in flipped:
        np.testing.assert_array_equal(new_images[i], images[i][:, ::-1])
        np.testing.assert_array_equal(new_targets[i].reshape(3, 5), targets[i].reshape(3, 5)[:, ::-1])
        assert new_mask[i, 4] and not new_mask[i, 0]
    # without depth maps the same draw flips the same rows
    again = mirror_half(images, targets, mask, 5, np.random.default_rng(1))
    np.testing.assert_array_equal(again[0], new_images)
    assert again[3] is None
    # the grid really is mirror-symmetric: cell (r, c) and (r, cols-1-c) have mirrored twists
    twists = grid.twists().reshape(3, 5, 4)
    np.testing.assert_allclose(twists[:, ::-1, 1], -twists[:, :, 1], atol=1e-6)
    np.testing.assert_allclose(twists[:, ::-1, 3], -twists[:, :, 3], atol=1e-6)


def test_random_convolution_changes_colours_not_geometry() -> None:
    images = np.zeros((6, 16, 16, 3), np.uint8)
    images[:, :, 8:] = (200, 60, 20)          # a vertical edge between two colours
    images[:, :, :8] = (20, 90, 160)
    rng = np.random.default_rng(0)
    assert random_convolution(images, 0.0, rng) is images
    assert rng.random() == np.random.default_rng(0).random()   # off draws nothing: the training stream is unchanged
    out = random_convolution(images, 1.0, np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == np.uint8
    assert all(not np.array_equal(out[i], images[i]) for i in range(6))
    for i in range(6):   # each half stays uniform (inside the kernel's reach of the border excepted), the edge stays
        left, right = out[i, 2:-2, 2:6].reshape(-1, 3), out[i, 2:-2, 10:14].reshape(-1, 3)
        assert np.ptp(left, axis=0).max() <= 1 and np.ptp(right, axis=0).max() <= 1
        assert np.abs(left[0].astype(int) - right[0].astype(int)).max() > 0
    some = random_convolution(images, 0.5, np.random.default_rng(3))
    changed = sum(not np.array_equal(some[i], images[i]) for i in range(6))
    assert 0 < changed < 6
    with pytest.raises(ConfigError, match="augment_random_conv must be a share in \\[0, 1\\], got 1.5"):
        resolve_config(FlightTrainConfig, "smoke", ["augment_random_conv=1.5"])


def test_masked_mse_ignores_unlabelled_cells() -> None:
    pred = torch.tensor([[0.5, 0.9], [0.2, 0.0]])
    target = torch.tensor([[0.5, 0.0], [0.0, 1.0]])
    mask = torch.tensor([[True, False], [True, False]])
    assert masked_mse(pred, target, mask).item() == pytest.approx(0.02)


def test_policy_graph_picks_the_argmax_twist() -> None:
    config = FlightTrainConfig.smoke()
    grid = DirectionGrid.from_config(config.env)
    graph = PolicyGraph(build_network(config), ActionSet(grid, ActionConfig.cad2rl()))
    values, index, twist = graph(torch.randint(0, 256, (3, 32, 32, 3), dtype=torch.uint8))
    assert torch.equal(index, values.flatten(1).argmax(1))
    np.testing.assert_array_equal(twist.numpy(), grid.twists()[index.numpy()])


@pytest.mark.parametrize("action_config", [ActionConfig(turn_below=0.3, speed_from=0.3),
                                           ActionConfig(turn_below=0.55, speed_from=0.3)])
def test_action_head_is_the_numpy_action_set(action_config: ActionConfig) -> None:
    """The graph's clearance actions equal ActionSet.act on values that hit every branch: a
    turn in place (all values low), the speed ramp, full speed, and the ramp's ends; also with a
    turn threshold above the ramp's start."""
    config = FlightTrainConfig.smoke()
    actions = ActionSet(DirectionGrid.from_config(config.env), action_config)
    head = ActionHead(actions)
    rng = np.random.default_rng(0)
    batch = np.concatenate([rng.uniform(0.0, 0.29, (50, 9)), rng.uniform(0.0, 1.0, (200, 9)),
                            np.ones((1, 9)), np.full((1, 9), 0.3)]).astype(np.float32)
    batch[-3, 4] = 0.65
    index, twist = head(torch.from_numpy(batch))
    for i, row in enumerate(batch):
        want_index, want = actions.act(row)
        assert int(index[i]) == want_index
        np.testing.assert_allclose(twist[i].numpy(), want, atol=1e-6)
    assert (twist[:50, :3] == 0).all() and (twist[:50, 3] == actions.config.turn_rate).all()
    assert float(torch.linalg.norm(twist[-2, :2])) == pytest.approx(actions.config.max_speed, rel=1e-5)


def test_evaluation_refuses_a_step_limit_that_cannot_reach_the_cap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from greenroom.policies.flight.evaluate import evaluate

    bundled = Path(__file__).resolve().parents[2] / "assets" / "policies" / "flight" / "policy.onnx"
    with pytest.raises(ValueError, match=r"env.max_steps=300 at 10 Hz and 1 m/s covers 30.0 m, less than the "
                                         r"env.max_distance cap of 40 m: success \(reaching the cap\) would be unreachable"):
        evaluate(None, bundled, "cpu", ["env.max_steps=300"], out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_ppo_baseline_gets_the_trainers_parallel_envs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Same compute as the trainer: rollout.workers env processes; actions = grid cells + turns."""
    from greenroom.policies.flight.baselines import load_or_train_ppo, ppo_action_table

    config = resolve_config(FlightTrainConfig, "smoke", ["env.image_size=48", "rollout.workers=2"])
    model, meta = load_or_train_ppo(config, 6.0, tmp_path)
    assert meta["envs"] == 2 and model.n_envs == 2 and meta["timesteps"] > 0
    # the learning curve comes from SB3's monitor log of every training episode
    from greenroom.policies.flight.baselines import monitor_path, ppo_learning_curve

    lines = monitor_path(tmp_path / "ppo.zip").read_text().splitlines()
    assert lines[0].startswith("#") and lines[1].split(",")[:4] == ["r", "l", "t", "distance"]
    assert len(lines) > 2, "no training episode ended"
    curve = ppo_learning_curve(tmp_path / "ppo.zip", bin_s=1.0)
    assert sum(b["episodes"] for b in curve) == len(lines) - 2
    assert all(b["mean_distance_m"] >= 0 for b in curve) and meta["learning_curve"] == ppo_learning_curve(tmp_path / "ppo.zip")
    table = ppo_action_table(config)
    assert model.action_space.n == len(table) == 9 + 2
    np.testing.assert_allclose(table[-2:, 3], [config.env.actions.turn_rate, -config.env.actions.turn_rate])


def test_learning_curve_plot_shows_the_ppo_baseline_beside_the_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from greenroom.policies.flight.report import learning_curve

    metrics = tmp_path / "metrics.csv"
    metrics.write_text("time/elapsed_s,losses/value,charts/greedy_distance_m\n10,1.0,3.0\n20,0.5,6.0\n")
    ppo = [{"t_end_s": 60.0, "episodes": 4, "mean_distance_m": 2.5, "mean_return": 1.0}]
    assert learning_curve(tmp_path / "with.png", metrics, ppo) and learning_curve(tmp_path / "without.png", metrics)
    assert (tmp_path / "with.png").read_bytes() != (tmp_path / "without.png").read_bytes()
