"""Replay storage, the FCN rotations, the one-pixel update, configs and resume."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from greenroom.policies.common.config import ConfigError, resolve_config
from greenroom.policies.common.rundir import RunDir
from greenroom.policies.pushgrasp.config import ModelConfig, PushGraspTrainConfig
from greenroom.policies.pushgrasp.learner import Learner
from greenroom.policies.pushgrasp.model import PushGraspNet
from greenroom.policies.pushgrasp.replay import HEIGHT_UNIT, SurpriseReplay


def _state(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    height = np.zeros((size, size), np.float32)
    height[20:30, 25:40] = 0.045
    return rng.integers(0, 255, (size, size, 3), dtype=np.uint8), height


def test_replay_is_compact_bounded_and_round_trips() -> None:
    replay = SurpriseReplay(capacity=5, size=32)
    assert replay.color.dtype == np.uint8 and replay.height.dtype == np.uint16
    assert replay.nbytes < 5 * 32 * 32 * 6
    rng = np.random.default_rng(0)
    for i in range(8):
        color, height = _state(32, i)
        height = height + rng.uniform(0, 0.01, height.shape).astype(np.float32)
        replay.add(color, height, (i % 2, i % 4, i, i), outcome=float(i % 2), label=0.1 * i, predicted=0.0)
    assert len(replay) == 5 and replay.count == 8
    sample = replay.get((8 - 1) % 5)
    assert np.abs(sample.height - height).max() <= HEIGHT_UNIT / 2 + 1e-7
    assert (sample.color == color).all() and tuple(sample.action) == (1, 3, 7, 7)
    clone = SurpriseReplay(capacity=5, size=32)
    clone.load_state_dict(replay.state_dict())
    for name in ("color", "height", "action", "outcome", "label", "predicted"):
        assert np.array_equal(getattr(clone, name), getattr(replay, name))
    assert (clone.count, clone.next) == (replay.count, replay.next)
    with pytest.raises(ValueError, match="32x32"):
        replay.add(*_state(16), (0, 0, 0, 0), 0.0, 0.0, 0.0)


def test_replay_samples_other_outcome_and_favours_surprise() -> None:
    replay = SurpriseReplay(capacity=50, size=8)
    color, height = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32)
    for i in range(20):  # grasps: outcome 1 with surprise i, outcome 0 ones must never be drawn for outcome 0
        replay.add(color, height, (1, 0, i % 8, 0), outcome=1.0, label=1.0, predicted=1.0 - i / 20)
    replay.add(color, height, (1, 0, 0, 0), outcome=0.0, label=0.0, predicted=0.0)
    replay.add(color, height, (0, 0, 0, 0), outcome=0.5, label=0.5, predicted=0.0)
    rng = np.random.default_rng(0)
    picks = [replay.sample(1, 0.0, rng).index for _ in range(400)]
    assert all(replay.outcome[i] == 1.0 and replay.action[i, 0] == 1 for i in picks)
    assert np.mean(np.array(picks) >= 10) > 0.65  # the more surprising half is drawn more often (power law)
    assert replay.sample(0, 0.5, rng) is None  # no push with another outcome


def test_rotation_grids_follow_the_world_angle_convention() -> None:
    """A feature to the +y side (+row) is 'rightward' in the copy rotated by 90 degrees."""
    net = PushGraspNet(32, 4, ModelConfig(channels=(4, 4, 4, 4), head_channels=4))
    x = torch.zeros(1, 1, net.padded, net.padded)
    c = net.padded // 2
    x[0, 0, c + 6, c] = 1.0
    rotated = torch.nn.functional.grid_sample(x, net.grid_in[1:2], align_corners=False)
    row, col = divmod(int(rotated.argmax()), net.padded)
    assert abs(row - (c - 0.5)) <= 1 and col == c + 6
    back = torch.nn.functional.grid_sample(rotated, net.grid_out[1:2], align_corners=False)
    assert divmod(int(back.argmax()), net.padded) == (c + 6, c)


def test_all_maps_match_single_rotation_maps() -> None:
    config = PushGraspTrainConfig.smoke()
    learner = Learner(config)
    color, height = _state(config.env.heightmap_size)
    push, grasp = learner.q_maps(color, height)
    assert push.shape == (config.env.num_rotations, 64, 64)
    with torch.no_grad():
        p2, g2 = learner.net.maps_at(*learner._tensors(color, height), 2)
    assert np.allclose(p2[0, 0].numpy(), push[2], atol=1e-5) and np.allclose(g2[0, 0].numpy(), grasp[2], atol=1e-5)


def test_training_step_reduces_the_loss_on_a_fixed_sample() -> None:
    torch.manual_seed(0)
    config = replace(PushGraspTrainConfig.smoke(), lr=1e-3)
    learner = Learner(config)
    color, height = _state(config.env.heightmap_size)
    action = (1, 1, 25, 30)
    losses = [learner.train_step(color, height, action, label=1.0)[0] for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0], losses
    push, grasp = learner.q_maps(color, height)
    assert abs(grasp[1, 25, 30] - 1.0) < abs(losses[0]) + 1.0


def test_training_and_evaluation_never_choose_a_push_that_cannot_move() -> None:
    """The trainer's and the evaluation's greedy choice skip pushes along or out of the edge
    (valid_push_mask) even when their value is the highest; the best movable push wins instead."""
    from greenroom.policies.pushgrasp.evaluate import greedy

    config = PushGraspTrainConfig.smoke()
    learner = Learner(config)
    k, size = config.env.num_rotations, config.env.heightmap_size
    valid = config.env.valid_pushes()
    assert not valid.all()
    push = np.zeros((k, size, size), np.float32)
    push[np.nonzero(~valid)] = 5.0        # every immovable push is worth the most ...
    movable = tuple(int(i[0]) for i in np.nonzero(valid))
    push[movable] = 2.0                   # ... one movable push is next
    grasp = np.full((k, size, size), 1.0, np.float32)
    choice = learner.choose((push, grasp), epsilon=0.0, rng=np.random.default_rng(0))
    assert choice.action == (0, *movable) and choice.predicted == 2.0
    assert greedy((push, grasp), grasp_only=False, push_valid=valid) == (0, *movable)
    assert greedy((push, grasp), grasp_only=False)[0] == 0 and not valid[greedy((push, grasp), False)[1:]]


def test_labels_follow_vpg() -> None:
    learner = Learner(PushGraspTrainConfig.smoke())
    maps = (np.full((4, 8, 8), 0.4, np.float32), np.full((4, 8, 8), 0.8, np.float32))
    assert learner.label(1, True, True, False, maps) == pytest.approx(1.0 + 0.5 * 0.8)
    assert learner.label(0, False, True, False, maps) == pytest.approx(0.5 + 0.5 * 0.8)
    assert learner.label(0, False, False, False, maps) == 0.0  # no change: future 0
    # a push that sends a block out of the workspace earns no push reward (it can never be grasped)
    assert learner.label(0, False, True, False, maps, lost=1) == pytest.approx(0.5 * 0.8)
    noreward = Learner(replace(PushGraspTrainConfig.smoke(), variant="vpg-noreward"))
    assert noreward.label(0, False, True, False, maps) == pytest.approx(0.4)
    reactive = Learner(replace(PushGraspTrainConfig.smoke(), variant="pg-reactive"))
    assert reactive.label(0, False, True, False, maps) == 1.0 and reactive.config.epsilon_decay == 1.0


def test_variants_and_config_errors() -> None:
    assert resolve_config(PushGraspTrainConfig, "cpu", ["variant=vpg-myopic"]).discount == 0.2
    assert resolve_config(PushGraspTrainConfig, "cpu", ["variant=grasping-only"]).grasp_only
    with pytest.raises(ConfigError, match="variant"):
        resolve_config(PushGraspTrainConfig, "cpu", ["variant=vpg2"])
    with pytest.raises(ConfigError, match="valid keys"):
        resolve_config(PushGraspTrainConfig, "cpu", ["env.resolutoin=0.002"])
    paper = resolve_config(PushGraspTrainConfig, "paper")
    assert paper.env.heightmap_size == 224 and paper.env.num_rotations == 16 and paper.model.trunk == "densenet121"


def test_paper_trunk_needs_torchvision_with_a_clear_error() -> None:
    try:
        import torchvision  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install torchvision"):
            PushGraspNet(224, 16, ModelConfig(trunk="densenet121"))
    else:
        net = PushGraspNet(64, 2, ModelConfig(trunk="densenet121"))
        assert net.padded % 32 == 0


@pytest.mark.slow
def test_training_resumes_from_its_checkpoint(runs_dir) -> None:
    from greenroom.policies.pushgrasp.trainer import train

    config = replace(PushGraspTrainConfig.smoke(), iterations=3, checkpoint_every=3)
    run = RunDir.create("pushgrasp")
    train(config, run, progress=False)
    state = run.load_checkpoint()
    assert state["iteration"] == 3 and len(state["log"]) == 3 and state["replay"]["count"] == 3
    train(replace(config, iterations=5), run, resume=True, progress=False)
    state = run.load_checkpoint()
    assert state["iteration"] == 5 and [row[0] for row in state["log"]] == [0, 1, 2, 3, 4]
    assert state["replay"]["count"] == 5
    assert (run.path / "transitions.csv").read_text().count("\n") == 6
    assert math.isfinite(float(state["learner"]["net"]["push_net.head.2.weight"].sum()))


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["grasping-only", "pg-reactive"])
def test_reactive_variants_train_with_a_target_network(runs_dir, variant) -> None:
    from greenroom.policies.pushgrasp.trainer import train

    config = replace(PushGraspTrainConfig.smoke(), variant=variant, iterations=2, target_update_every=1)
    run = RunDir.create("pushgrasp")
    train(config, run, progress=False)
    state = run.load_checkpoint()
    assert state["learner"]["target"] is not None
    if variant == "grasping-only":
        assert all(primitive == 1 for _, primitive, _, _ in state["log"])
