"""LeanSAC's gradient step against SB3's SAC.train, and the learner's batched replay writes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.logger import configure

from greenroom.policies.finray.lean_sac import LeanSAC
from greenroom.policies.finray.sac_common import add_transitions
from greenroom.sim.finray.config import FinRayEnvConfig
from greenroom.sim.finray.env import FinRayEnv


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the paper preset's learner)")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]


def _filled(cls: type, env: FinRayEnv, device: str = "cpu", **kwargs: object) -> SAC:
    model = cls("MlpPolicy", env, batch_size=64, learning_starts=0, seed=3, device=device,
                policy_kwargs={"net_arch": [32, 32], "optimizer_kwargs": {"fused": True}}, **kwargs)
    model.set_logger(configure(folder=None, format_strings=[]))
    rng = np.random.default_rng(0)
    shape = env.observation_space.shape
    for _ in range(500):
        model.replay_buffer.add(rng.normal(size=shape).astype(np.float32), rng.normal(size=shape).astype(np.float32),
                                rng.uniform(-1, 1, env.R).astype(np.float32), rng.normal(), rng.random() < 0.05, [{}])
    return model


def _train_both(env: FinRayEnv, steps: int, device: str = "cpu", **kwargs: object) -> tuple[SAC, SAC]:
    reference, lean = _filled(SAC, env, device, **kwargs), _filled(LeanSAC, env, device, **kwargs)
    lean.policy.load_state_dict(reference.policy.state_dict())
    for model in (reference, lean):
        np.random.seed(11)  # replay sampling
        torch.manual_seed(11)  # actions of the stochastic actor
        model.train(gradient_steps=steps, batch_size=64)
    return reference, lean


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("ent_coef", ["auto", 0.2])
def test_lean_step_matches_sb3_train(ent_coef: object, device: str) -> None:
    """On CPU and, where there is one, on CUDA (the replay batch must reach the model's device)."""
    torch.set_num_threads(1)
    env = FinRayEnv(FinRayEnvConfig.smoke())
    reference, lean = _train_both(env, 40, device, ent_coef=ent_coef)
    assert lean._n_updates == reference._n_updates == 40
    assert all(p.device.type == device for p in lean.policy.parameters())
    initial = _filled(SAC, env, device, ent_coef=ent_coef).policy.state_dict()  # same seed: the untrained networks
    moved = 0.0
    for name, ref_param in reference.policy.state_dict().items():
        torch.testing.assert_close(lean.policy.state_dict()[name], ref_param, rtol=1e-4, atol=1e-5,
                                   msg=f"{name} differs")
        moved = max(moved, float((ref_param - initial[name]).abs().max()))
    if ent_coef == "auto":  # the learned temperature lives outside the policy's state dict
        torch.testing.assert_close(lean.log_ent_coef, reference.log_ent_coef, rtol=1e-4, atol=1e-6)
        assert float(lean.log_ent_coef.detach()) != 0.0  # it moved from log(1)
    assert moved > 1e-3  # 40 updates did change the networks (targets included): the comparison means something
    for key in ("train/actor_loss", "train/critic_loss", "train/ent_coef"):
        assert lean.logger.name_to_value[key] == pytest.approx(reference.logger.name_to_value[key], rel=1e-4)
    assert ("train/ent_coef_loss" in lean.logger.name_to_value) == (ent_coef == "auto")
    # the critics are trainable again after the actor pass froze them
    assert all(p.requires_grad for p in lean.critic.parameters())


def test_uncovered_options_fall_back_to_sb3() -> None:
    env = FinRayEnv(FinRayEnvConfig.smoke())
    reference, lean = _train_both(env, 6, target_update_interval=2)
    assert not lean._lean_step_applies()
    for name, ref_param in reference.policy.state_dict().items():
        torch.testing.assert_close(lean.policy.state_dict()[name], ref_param, rtol=0, atol=0)


@pytest.mark.parametrize("start, chunk", [(0, 7), (17, 7), (10, 25)])
def test_add_transitions_equals_single_adds(start: int, chunk: int) -> None:
    obs_space = spaces.Box(-1, 1, (4,), np.float32)
    act_space = spaces.Box(-1, 1, (2,), np.float32)
    single, batched = (ReplayBuffer(20, obs_space, act_space, device="cpu") for _ in range(2))
    rng = np.random.default_rng(1)
    for buffer in (single, batched):
        for _ in range(start):
            buffer.add(np.zeros(4), np.zeros(4), np.zeros(2), 0.0, False, [{}])
    for _ in range(3):  # several chunks: wraps around the 20 slots, and a 25-chunk is larger than the buffer
        o, no = rng.normal(size=(chunk, 4)).astype(np.float32), rng.normal(size=(chunk, 4)).astype(np.float32)
        a, r = rng.uniform(-1, 1, (chunk, 2)).astype(np.float32), rng.normal(size=chunk).astype(np.float32)
        d = (rng.random(chunk) < 0.3).astype(np.float32)
        for k in range(chunk):
            single.add(o[k], no[k], a[k], r[k], d[k], [{}])
        add_transitions(batched, o, no, a, r, d)
        assert (batched.pos, batched.full) == (single.pos, single.full)
        for name in ("observations", "next_observations", "actions", "rewards", "dones", "timeouts"):
            np.testing.assert_array_equal(getattr(batched, name), getattr(single, name), err_msg=name)
    pos = batched.pos
    add_transitions(batched, o[:0], no[:0], a[:0], r[:0], d[:0])  # the learner's last chunk can be cut to nothing
    assert batched.pos == pos
