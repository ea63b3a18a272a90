"""Actors of asynchronous parallel SAC: each steps its own env with its own policy copy.

An actor sends :class:`Chunk` s of transitions to the learner over a queue and picks up the
newest actor weights from its own one-slot weights queue whenever the learner broadcasts
(random actions until the first weights arrive, as in APT-RL's ``asyncKS.py``). Queues are
``multiprocessing`` queues for the ``local`` backend and ``ray.util.queue.Queue`` (backed by a
Ray actor) for the ``ray`` backend; the same :func:`actor_loop` runs in both
(:mod:`greenroom.policies.common.actor_pool`, shared with push-grasp). The transition queue is
bounded, so actors block (instead of running arbitrarily far ahead of the learner) when the
learner falls behind.

Hand-written because SB3 has no actor/learner split (its SubprocVecEnv steps envs in lock-step
with one policy in the learner process); Ray RLlib has one but brings its own SAC, which
would not be the SB3 SAC the synchronous reference runs.
"""
from __future__ import annotations

import logging
import queue
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..common.actor_pool import learner_alive, make_actors, put_until_stopped, start_actor

log = logging.getLogger(__name__)

# chunks in flight per actor (200 transitions): deep enough that the learner rarely waits for
# data, bounded so that its newest data stays fresh
TRANSITION_QUEUE_CHUNKS = 8


@dataclass
class Chunk:
    """Transitions from one actor: arrays with a leading time axis (obs float32 (n, obs_dim) ...)."""

    actor: int
    obs: np.ndarray
    next_obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray  # terminated (not truncated): bootstrapping stops only here
    policy_version: int  # weights version that produced the actions (-1: random)
    episode_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)


def actor_loop(actor_id: int, config: Any, transitions: Any, weights: Any, stop: Any, seed: int) -> None:
    """Run one actor until ``stop`` is set (or is a Ray-killed process). ``config``: FinRayTrainConfig."""
    import torch

    from ...sim.finray.env import FinRayEnv
    from .sac_common import load_actor_weights, make_actor_policy

    torch.set_num_threads(1)
    parent = start_actor(transitions)
    env = FinRayEnv(config.env)
    policy = make_actor_policy(config, env.observation_space, env.action_space)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    version = -1
    rows: list[tuple] = []
    returns: list[float] = []
    lengths: list[int] = []
    ep_return, ep_len = 0.0, 0
    while not stop.is_set() and learner_alive(parent):
        try:
            version, state = weights.get_nowait()
            load_actor_weights(policy, state)
        except queue.Empty:
            pass
        if version < 0:
            action = env.action_space.sample()
        else:
            with torch.no_grad():
                action = policy.actor(torch.as_tensor(obs[None]), deterministic=False)[0].numpy()
        next_obs, reward, terminated, truncated, _ = env.step(action)
        rows.append((obs, next_obs, action, reward, terminated))
        ep_return += reward
        ep_len += 1
        obs = next_obs
        if terminated or truncated:
            returns.append(ep_return)
            lengths.append(ep_len)
            ep_return, ep_len = 0.0, 0
            obs, _ = env.reset()
        if len(rows) >= config.parallel.chunk:
            o, no, a, r, d = (np.asarray(x) for x in zip(*rows))
            chunk = Chunk(actor_id, o.astype(np.float32), no.astype(np.float32), a.astype(np.float32),
                          r.astype(np.float32), d.astype(np.float32), version, returns, lengths)
            rows, returns, lengths = [], [], []
            put_until_stopped(transitions, chunk, stop, parent)


def _drain(transitions: Any, timeout: float) -> list[Chunk]:
    """Every chunk waiting now (blocking up to ``timeout`` s for the first)."""
    chunks = []
    try:
        chunks.append(transitions.get(timeout=timeout))
        if hasattr(transitions, "get_nowait_batch"):  # ray.util.queue: one remote call for the rest
            chunks.extend(transitions.get_nowait_batch(transitions.qsize()))
        while True:
            chunks.append(transitions.get_nowait())
    except queue.Empty:
        pass
    return chunks


class ActorPool:
    """The fin-ray actors (``parallel.backend``: local processes or Ray actors) and their chunks."""

    def __init__(self, config: Any, seeds: list[int]) -> None:
        self.actors = make_actors("finray-actor", actor_loop, config, seeds, TRANSITION_QUEUE_CHUNKS * len(seeds),
                                  config.parallel.backend, config.parallel.ray_address)
        self.backend = self.actors.backend

    def broadcast(self, version: int, weights: dict[str, np.ndarray]) -> None:
        """Offer ``weights`` to every actor, replacing any version it has not picked up yet."""
        self.actors.broadcast(version, weights)

    def get(self, timeout: float) -> list[Chunk]:
        """Every chunk waiting now (blocking up to ``timeout`` s for the first); raises when an actor died."""
        self.actors.before_read()
        chunks = _drain(self.actors.transitions, timeout)
        if not chunks:
            self.actors.raise_if_failed()
        return chunks

    def close(self) -> None:
        self.actors.close()


def make_pool(config: Any, seeds: list[int]) -> ActorPool:
    return ActorPool(config, seeds)
