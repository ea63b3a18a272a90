"""Actors of asynchronous parallel SAC: each steps its own env with its own policy copy.

An actor sends :class:`Chunk` s of transitions to the learner over a queue and picks up the
newest actor weights from its own one-slot weights queue whenever the learner broadcasts
(random actions until the first weights arrive, as in APT-RL's ``asyncKS.py``). Queues are
``multiprocessing`` queues for the ``local`` backend and ``ray.util.queue.Queue`` (backed by a
Ray actor) for the ``ray`` backend; the same :func:`actor_loop` runs in both. The transition
queue is bounded, so actors block (instead of running arbitrarily far ahead of the learner)
when the learner falls behind.

Hand-written because SB3 has no actor/learner split (its SubprocVecEnv steps envs in lock-step
with one policy in the learner process); Ray RLlib has one but brings its own SAC, which
would not be the SB3 SAC the synchronous reference runs.
"""
from __future__ import annotations

import logging
import importlib.util
import multiprocessing as mp
import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..common.ray_local import ensure_ray

log = logging.getLogger(__name__)

# chunks in flight per actor (200 transitions): deep enough that the learner rarely waits for
# data, bounded so that its newest data stays fresh
TRANSITION_QUEUE_CHUNKS = 8
# actors run at a lower CPU priority than the learner: when actors and learner share a core, the
# learner (the bottleneck of asynchronous SAC on few cores) is not preempted by acting; actors
# that then fall behind only make the learner wait for data. Measured on 2 cores (cpu preset,
# 30k samples, 3 alternating runs each): 2483 vs 2437 samples/s, +2 %, about the run-to-run spread
ACTOR_NICENESS = 5


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
    os.nice(ACTOR_NICENESS)
    if hasattr(transitions, "cancel_join_thread"):  # multiprocessing: exit without flushing to a dead learner
        transitions.cancel_join_thread()
    env = FinRayEnv(config.env)
    policy = make_actor_policy(config, env.observation_space, env.action_space)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    version = -1
    rows: list[tuple] = []
    returns: list[float] = []
    lengths: list[int] = []
    ep_return, ep_len = 0.0, 0
    parent = os.getppid()
    while not stop.is_set():
        if parent != os.getppid():  # the learner was killed: do not linger as an orphan
            return
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
            while not stop.is_set() and parent == os.getppid():
                try:
                    transitions.put(chunk, timeout=0.2)
                    break
                except queue.Full:
                    continue


class _RayStop:
    """Stop flag for Ray actors: they are ended with ``ray.kill`` instead."""

    def is_set(self) -> bool:
        return False


def _latest_only_put(q: Any, item: Any) -> None:
    """Replace whatever is waiting in a one-slot queue with ``item``."""
    try:
        q.get_nowait()
    except queue.Empty:
        pass
    try:
        q.put_nowait(item)
    except queue.Full:
        pass


class _ActorPool:
    """What both pools share: one one-slot weights queue per actor (``self.weights``)."""

    weights: list[Any]

    def broadcast(self, version: int, weights: dict[str, np.ndarray]) -> None:
        """Offer ``weights`` to every actor, replacing any version it has not picked up yet."""
        for q in self.weights:
            _latest_only_put(q, (version, weights))


class LocalActorPool(_ActorPool):
    """``n`` actor processes (multiprocessing, spawn context: safe after torch has started threads)."""

    backend = "local"

    def __init__(self, config: Any, seeds: list[int]) -> None:
        ctx = mp.get_context("spawn")
        self.transitions = ctx.Queue(maxsize=TRANSITION_QUEUE_CHUNKS * len(seeds))
        self.weights = [ctx.Queue(maxsize=1) for _ in seeds]
        self.stop_event = ctx.Event()
        self.procs = [ctx.Process(target=actor_loop, name=f"finray-actor-{i}", daemon=True,
                                  args=(i, config, self.transitions, self.weights[i], self.stop_event, seed))
                      for i, seed in enumerate(seeds)]
        for p in self.procs:
            p.start()

    def get(self, timeout: float) -> list[Chunk]:
        """Every chunk waiting now (blocking up to ``timeout`` s for the first)."""
        chunks = []
        try:
            chunks.append(self.transitions.get(timeout=timeout))
            while True:
                chunks.append(self.transitions.get_nowait())
        except queue.Empty:
            pass
        dead = [p.name for p in self.procs if not p.is_alive() and p.exitcode not in (0, None)]
        if dead and not chunks:
            raise RuntimeError(f"actor process(es) {', '.join(dead)} died (exit codes "
                               f"{[p.exitcode for p in self.procs]}); see their traceback above")
        return chunks

    def close(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + 10.0
        for p in self.procs:
            while p.is_alive() and time.monotonic() < deadline:
                try:  # drain so a blocked put can return
                    self.transitions.get(timeout=0.05)
                except queue.Empty:
                    pass
                p.join(timeout=0.05)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        # weights larger than a pipe buffer would block this process's queue feeder threads at exit
        for q in (self.transitions, *self.weights):
            q.cancel_join_thread()
            q.close()


class RayActorPool(_ActorPool):
    """``n`` Ray actors running :func:`actor_loop`; queues are ``ray.util.queue.Queue`` s."""

    backend = "ray"

    def __init__(self, config: Any, seeds: list[int]) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ModuleNotFoundError("backend=ray needs Ray: pip install greenroom[ray]")
        # "local": a one-machine Ray bound to loopback
        self._owns_ray = ensure_ray(config.parallel.ray_address, len(seeds), log_to_driver=True)
        import ray
        from ray.util.queue import Queue

        self._ray = ray
        self.transitions = Queue(maxsize=TRANSITION_QUEUE_CHUNKS * len(seeds), actor_options={"num_cpus": 0})
        self.weights = [Queue(maxsize=1, actor_options={"num_cpus": 0}) for _ in seeds]
        remote_actor = ray.remote(num_cpus=1)(_RayFinActor)
        self.actors = [remote_actor.remote() for _ in seeds]
        self.runs = [a.run.remote(i, config, self.transitions, self.weights[i], seed)
                     for i, (a, seed) in enumerate(zip(self.actors, seeds))]

    def get(self, timeout: float) -> list[Chunk]:
        chunks = []
        try:
            chunks.append(self.transitions.get(timeout=timeout))
            chunks.extend(self.transitions.get_nowait_batch(self.transitions.qsize()))
        except queue.Empty:
            pass
        if not chunks:
            done, _ = self._ray.wait(self.runs, timeout=0)
            for ref in done:
                self._ray.get(ref)  # raises the actor's exception
        return chunks

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)
        self.transitions.shutdown()
        for q in self.weights:
            q.shutdown()
        if self._owns_ray:
            self._ray.shutdown()


class _RayFinActor:
    def run(self, actor_id: int, config: Any, transitions: Any, weights: Any, seed: int) -> None:
        actor_loop(actor_id, config, transitions, weights, _RayStop(), seed)


def make_pool(config: Any, seeds: list[int]) -> LocalActorPool | RayActorPool:
    return RayActorPool(config, seeds) if config.parallel.backend == "ray" else LocalActorPool(config, seeds)
