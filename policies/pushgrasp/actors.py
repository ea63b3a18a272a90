"""Parallel data collection for VPG: simulator actors label transitions, one learner trains on them.

Each actor owns a :class:`PushGraspEnv` and a copy of the two FCNs. Per step it does what the
single-process loop does before learning (trainer.py): choose on the current maps
(epsilon-greedy at the learner's iteration), execute, observe s', compute the maps of s' (they
choose the next action and give the label's future value) and the VPG label
``reward + gamma * max Q(s')`` (future 0 without a change or at the episode's end). It sends a
:class:`Transition` to the learner and picks up the newest weights whenever the learner
broadcasts. Meaning kept from VPG: the label is computed with the network that acted, before
the step's own backprop, exactly as VPG's single thread does; the learner applies one SGD step
and one replay step per transition (``parallel.py``). The only difference: the acting network
may lag the learner by a few updates (``queue_depth`` x actors at most), which each
transition records (``policy_version``).

Backends: ``local`` = multiprocessing (spawn) processes with bounded queues; ``ray`` = Ray
actors with ``ray.util.queue.Queue`` s (``ray_address``: "local" starts a one-machine Ray on
127.0.0.1, else an existing cluster). The same :func:`actor_loop` runs in both (the fin-ray
design; the pool plumbing both share is :mod:`greenroom.policies.common.actor_pool`).
"""
from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..common.actor_pool import learner_alive, make_actors, put_until_stopped, ray_node_id, start_actor


@dataclass
class Transition:
    """One executed action, labelled by the actor (arrays: the state s the action was chosen on)."""

    actor: int
    episode: int            # the actor's own episode counter
    color: np.ndarray       # (S, S, 3) uint8
    height: np.ndarray      # (S, S) float32 metres
    action: tuple[int, int, int, int]
    outcome: float          # VPG's logged reward value (replay candidates)
    label: float
    predicted: float        # Q of the chosen action when it was chosen
    recovered: bool
    policy_version: int     # learner iteration of the weights that acted
    sim_s: float            # seconds the actor spent executing and observing
    node: str = ""          # Ray node id (ray backend), else ""


def actor_loop(actor_id: int, config: Any, transitions: Any, weights: Any, stop: Any, seed: int) -> None:
    """Run one actor until ``stop`` is set. ``config``: PushGraspTrainConfig."""
    import torch

    from ...sim.pushgrasp.env import PushGraspEnv
    from .learner import Learner, outcome_of
    from .trainer import epsilon_at

    torch.set_num_threads(config.parallel.actor_threads)
    parent = start_actor(transitions)
    node = ray_node_id()
    learner = Learner(config, "cpu")
    version, iteration = _wait_for_weights(learner, weights, stop)
    if version is None:
        return
    env = PushGraspEnv(config.env)
    rng = np.random.default_rng(seed)
    n = config.parallel.actors  # episode seeds: seed + episode * n (actor seeds differ by 0..n-1)
    episode = 0
    try:
        obs, _ = env.reset(seed=seed + episode * n)
        maps = learner.q_maps(obs["color"], obs["height"])
        while not stop.is_set() and learner_alive(parent):
            try:
                version, iteration, state = weights.get_nowait()
                load_weights(learner, state)
            except queue.Empty:
                pass
            t0 = time.perf_counter()
            choice = learner.choose(maps, epsilon_at(config, iteration), rng)
            next_obs, _, terminated, truncated, info = env.step(np.array(choice.action))
            next_maps = learner.q_maps(next_obs["color"], next_obs["height"])
            primitive, lost = choice.action[0], int(info["lost_objects"])
            label = learner.label(primitive, info["grasp_success"], info["changed"], terminated, next_maps, lost)
            item = Transition(actor_id, episode, obs["color"], obs["height"], choice.action,
                              outcome_of(primitive, info["grasp_success"], info["changed"], lost), label,
                              choice.predicted, bool(info["recovered"]), version, time.perf_counter() - t0, node)
            if terminated or truncated:
                episode += 1
                next_obs, _ = env.reset(seed=seed + episode * n)
                next_maps = learner.q_maps(next_obs["color"], next_obs["height"])
            obs, maps = next_obs, next_maps
            put_until_stopped(transitions, item, stop, parent)
    finally:
        env.close()


def _wait_for_weights(learner: Any, weights: Any, stop: Any) -> tuple[int | None, int]:
    """Block until the learner's first weights arrive (actors act with the learner's initial net)."""
    while not stop.is_set():
        try:
            version, iteration, state = weights.get(timeout=0.2)
        except queue.Empty:
            continue
        load_weights(learner, state)
        return version, iteration
    return None, 0


def net_weights(learner: Any) -> dict[str, np.ndarray]:
    """The learner's network weights as numpy arrays (what actors receive)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in learner.net.state_dict().items()}


def load_weights(learner: Any, state: dict[str, np.ndarray]) -> None:
    import torch

    learner.net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})


class ActorPool:
    """The push-grasp actors (``parallel.backend``: local processes or Ray actors) and their transitions."""

    def __init__(self, config: Any, seeds: list[int]) -> None:
        self.actors = make_actors("pushgrasp-actor", actor_loop, config, seeds, config.parallel.queue_depth * len(seeds),
                                  config.parallel.backend, config.parallel.ray_address, close_timeout_s=15.0)
        self.backend, self.nodes = self.actors.backend, self.actors.nodes

    def broadcast(self, version: int, iteration: int, state: dict[str, Any]) -> None:
        """Offer the learner's weights to every actor, replacing a version it has not picked up."""
        self.actors.broadcast(version, iteration, state)

    def get(self, timeout: float) -> Transition | None:
        """The next transition (None after ``timeout`` s); raises when an actor died."""
        self.actors.before_read()
        try:
            return self.actors.transitions.get(timeout=timeout)
        except queue.Empty:
            self.actors.raise_if_failed()
            return None

    def close(self) -> None:
        self.actors.close()


def make_pool(config: Any, seeds: list[int]) -> ActorPool:
    return ActorPool(config, seeds)
