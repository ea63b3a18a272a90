"""SB3 SAC pieces shared by the synchronous and asynchronous trainers.

Both trainers run :class:`~.lean_sac.LeanSAC`: SB3's SAC with a cheaper gradient step (same
losses and random draws, parameters equal to float rounding). The asynchronous learner's replay
buffer is filled from the actors' transition stream instead of ``collect_rollouts``. Actors hold
an SB3 :class:`~stable_baselines3.sac.policies.SACPolicy` and load the learner's actor weights.
Checkpoint dicts hold plain tensors/arrays (torch.save via RunDir, written atomically). The
synchronous trainer's SB3 model zip is restored with :func:`load_sb3_zip`, which reads only its
``.pth`` tensors (``weights_only``) and plain JSON counters and never SB3's cloudpickled entries.
"""
from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import torch

from ...sim.finray.env import FinRayEnv
from .config import FinRayTrainConfig


# fused Adam (one kernel per step instead of a Python loop over parameter tensors): the same
# update rule, 11 % less time per SAC gradient step on one CPU thread (3.7 vs 4.2 ms, 128x128 MLP)
ADAM_KWARGS = {"fused": True}


def make_sac(config: FinRayTrainConfig, env: Any | None = None, device: str = "cpu", lean: bool = True):
    """A LeanSAC (``lean=False``: SB3's plain SAC) for the fin env (``env``: a fresh FinRayEnv of ``config.env``)."""
    from stable_baselines3 import SAC
    from stable_baselines3.common.logger import configure

    from .lean_sac import LeanSAC

    sac = config.sac
    ups = sac.updates_per_sample
    train_freq, gradient_steps = (1, int(round(ups))) if ups >= 1 else (int(round(1 / ups)), 1)
    model = (LeanSAC if lean else SAC)(
        "MlpPolicy", env if env is not None else FinRayEnv(config.env), learning_rate=sac.learning_rate,
        buffer_size=sac.buffer_size, learning_starts=sac.learning_starts, batch_size=sac.batch_size, tau=sac.tau,
        gamma=sac.gamma, train_freq=train_freq, gradient_steps=gradient_steps, ent_coef=sac.sb3_ent_coef(),
        target_entropy=sac.sb3_target_entropy(),
        policy_kwargs={"net_arch": list(sac.net_arch), "optimizer_kwargs": ADAM_KWARGS},
        seed=config.seed, device=device, verbose=0,
    )
    model.set_logger(configure(folder=None, format_strings=[]))
    return model


def make_actor_policy(config: FinRayTrainConfig, observation_space: Any, action_space: Any):
    """The acting half for an actor process: an SB3 SACPolicy on CPU (only its actor is used)."""
    from stable_baselines3.sac.policies import SACPolicy

    policy = SACPolicy(observation_space, action_space, lambda _: 0.0, net_arch=list(config.sac.net_arch))
    return policy.eval()


def actor_weights(model: Any) -> dict[str, np.ndarray]:
    """The learner's actor parameters as numpy arrays (what gets broadcast to actors)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.actor.state_dict().items()}


def load_actor_weights(policy: Any, weights: dict[str, np.ndarray]) -> None:
    policy.actor.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})


BUFFER_FIELDS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def sac_state(model: Any) -> dict[str, Any]:
    """Networks, optimizers, entropy coefficient and update count of an SB3 SAC."""
    state = {
        "policy": model.policy.state_dict(),
        "actor_opt": model.actor.optimizer.state_dict(),
        "critic_opt": model.critic.optimizer.state_dict(),
        "n_updates": model._n_updates,
    }
    if model.ent_coef_optimizer is not None:
        state["log_ent_coef"] = model.log_ent_coef.detach().cpu()
        state["ent_opt"] = model.ent_coef_optimizer.state_dict()
    return state


def load_sac_state(model: Any, state: dict[str, Any]) -> None:
    from ..common.rundir import load_weights

    load_weights(model.policy, state["policy"], "the checkpoint's SAC networks")
    load_weights(model.actor.optimizer, state["actor_opt"], "the checkpoint's actor optimizer")
    load_weights(model.critic.optimizer, state["critic_opt"], "the checkpoint's critic optimizer")
    model._n_updates = int(state["n_updates"])
    if "log_ent_coef" in state and model.ent_coef_optimizer is not None:
        with torch.no_grad():
            model.log_ent_coef.copy_(state["log_ent_coef"])
        model.ent_coef_optimizer.load_state_dict(state["ent_opt"])


SB3_COUNTERS = ("num_timesteps", "_n_updates", "_episode_num")


def load_sb3_zip(model: Any, blob: bytes, where: str) -> None:
    """Restore an SB3 SAC saved by ``model.save`` into ``model`` (built from the run's config) safely.

    SB3's own ``SAC.load`` unpickles the zip's ``data`` entries with cloudpickle, which runs any
    code a tampered file carries. Here only the ``.pth`` state dicts and variables are read (the
    safe ``torch.load``) and, from ``data``, the plain JSON step counters; spaces, schedules and
    hyperparameters come from the config. Raises CheckpointError (naming ``where``) otherwise.
    """
    from ..common.rundir import CheckpointError, safe_torch_load

    try:
        with zipfile.ZipFile(io.BytesIO(bytes(blob))) as archive:
            data = json.loads(archive.read("data")) if "data" in archive.namelist() else {}
            tensors = {name[:-4]: safe_torch_load(io.BytesIO(archive.read(name)), f"{where} ({name})")
                       for name in archive.namelist() if name.endswith(".pth")}
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"{where}: the SB3 model inside is unreadable ({exc})") from None
    variables = tensors.pop("pytorch_variables", None) or {}
    try:
        model.set_parameters(tensors, exact_match=True, device=model.device)
        for name, value in dict(variables).items():
            if name not in ("log_ent_coef", "ent_coef_tensor") or not isinstance(value, torch.Tensor):
                raise ValueError(f"unexpected variable {name!r}")
            with torch.no_grad():
                getattr(model, name).copy_(value)
    except (ValueError, KeyError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(f"{where}: the SB3 model inside does not fit the run's config "
                              f"({str(exc).splitlines()[0]})") from None
    for key in SB3_COUNTERS:
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            setattr(model, key, value)


def buffer_state(buffer: Any) -> dict[str, Any]:
    """The filled part of an SB3 ReplayBuffer (arrays up to its size) plus its position."""
    size = buffer.buffer_size if buffer.full else buffer.pos
    state = {name: getattr(buffer, name)[:size].copy() for name in BUFFER_FIELDS}
    state.update(pos=buffer.pos, full=buffer.full)
    return state


def add_transitions(buffer: Any, obs: np.ndarray, next_obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray,
                    dones: np.ndarray) -> None:
    """Append n transitions (leading axis n) to a one-env SB3 ReplayBuffer in one slice write each.

    The same slots, ``pos`` and ``full`` as n calls of ``ReplayBuffer.add`` (timeouts stay 0:
    ``dones`` already holds only terminations), a few vectorized copies instead of n Python
    calls: SB3 has no batched ``add`` for a one-env buffer.
    """
    if buffer.optimize_memory_usage or buffer.n_envs != 1:
        raise ValueError("add_transitions needs a one-env ReplayBuffer without optimize_memory_usage")
    size = buffer.buffer_size
    n = len(rewards)
    if n == 0:
        return
    if n > size:  # only the newest `size` transitions survive, as with n single adds
        obs, next_obs, actions, rewards, dones = (x[n - size:] for x in (obs, next_obs, actions, rewards, dones))
        buffer.pos, n = (buffer.pos + n - size) % size, size
    slots = (buffer.pos + np.arange(n)) % size
    buffer.observations[slots, 0] = obs
    buffer.next_observations[slots, 0] = next_obs
    buffer.actions[slots, 0] = actions.reshape(n, -1)
    buffer.rewards[slots, 0] = rewards
    buffer.dones[slots, 0] = dones
    buffer.timeouts[slots, 0] = 0.0
    buffer.full = buffer.full or buffer.pos + n >= size
    buffer.pos = (buffer.pos + n) % size


def load_buffer_state(buffer: Any, state: dict[str, Any]) -> None:
    """Put a :func:`buffer_state` back; ValueError when its arrays do not fit ``buffer``."""
    try:
        size = len(state["observations"])
        if size > buffer.buffer_size:
            raise ValueError(f"checkpoint replay buffer holds {size} transitions, the buffer only {buffer.buffer_size}")
        for name in BUFFER_FIELDS:
            getattr(buffer, name)[:size] = state[name]
        buffer.pos, buffer.full = int(state["pos"]), bool(state["full"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"the checkpoint's replay buffer does not fit the run's config ({exc})") from None
