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
design, ``policies/finray/actors.py``).
"""
from __future__ import annotations

import importlib.util
import multiprocessing as mp
import os
import queue
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..common.ray_local import ensure_ray

# actors yield the CPU to the learner when they share a core (the fin-ray measurement)
ACTOR_NICENESS = 5


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
    os.nice(ACTOR_NICENESS)
    if hasattr(transitions, "cancel_join_thread"):  # multiprocessing: exit without flushing to a dead learner
        transitions.cancel_join_thread()
    node = _ray_node_id()
    learner = Learner(config, "cpu")
    version, iteration = _wait_for_weights(learner, weights, stop)
    if version is None:
        return
    env = PushGraspEnv(config.env)
    rng = np.random.default_rng(seed)
    n = config.parallel.actors  # episode seeds: seed + episode * n (actor seeds differ by 0..n-1)
    episode = 0
    parent = os.getppid()
    try:
        obs, _ = env.reset(seed=seed + episode * n)
        maps = learner.q_maps(obs["color"], obs["height"])
        while not stop.is_set() and parent == os.getppid():
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
            while not stop.is_set() and parent == os.getppid():
                try:
                    transitions.put(item, timeout=0.2)
                    break
                except queue.Full:
                    continue
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


def _ray_node_id() -> str:
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
    except ImportError:
        return ""


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


class _Pool:
    weights: list[Any]

    def broadcast(self, version: int, iteration: int, state: dict[str, Any]) -> None:
        """Offer the learner's weights to every actor, replacing a version it has not picked up."""
        for q in self.weights:
            _latest_only_put(q, (version, iteration, state))


class LocalActorPool(_Pool):
    """Actor processes (multiprocessing, spawn: safe after torch has started threads)."""

    backend = "local"
    nodes: list[str] = []

    def __init__(self, config: Any, seeds: list[int]) -> None:
        ctx = mp.get_context("spawn")
        self.transitions = ctx.Queue(maxsize=config.parallel.queue_depth * len(seeds))
        self.weights = [ctx.Queue(maxsize=1) for _ in seeds]
        self.stop_event = ctx.Event()
        self.procs = [ctx.Process(target=actor_loop, name=f"pushgrasp-actor-{i}", daemon=True,
                                  args=(i, config, self.transitions, self.weights[i], self.stop_event, seed))
                      for i, seed in enumerate(seeds)]
        for p in self.procs:
            p.start()

    def get(self, timeout: float) -> Transition | None:
        """The next transition (None after ``timeout`` s); raises when an actor died."""
        try:
            return self.transitions.get(timeout=timeout)
        except queue.Empty:
            dead = [p.name for p in self.procs if not p.is_alive()]
            if dead:
                raise RuntimeError(f"actor process(es) {', '.join(dead)} died (exit codes "
                                   f"{[p.exitcode for p in self.procs]}); see their traceback above") from None
            return None

    def close(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + 15.0
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
        for q in (self.transitions, *self.weights):
            q.cancel_join_thread()
            q.close()


class _RayStop:
    """Ray actors are ended with ``ray.kill``."""

    def is_set(self) -> bool:
        return False


class _RayPushGraspActor:
    def node_id(self) -> str:
        return _ray_node_id()

    def run(self, actor_id: int, config: Any, transitions: Any, weights: Any, seed: int) -> None:
        actor_loop(actor_id, config, transitions, weights, _RayStop(), seed)


class RayActorPool(_Pool):
    """Ray actors running :func:`actor_loop` (one CPU each), queues are ``ray.util.queue.Queue`` s."""

    backend = "ray"

    def __init__(self, config: Any, seeds: list[int]) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ModuleNotFoundError("parallel.backend=ray needs Ray: pip install greenroom[ray]")
        # "local": a one-machine Ray bound to loopback
        self._owns_ray = ensure_ray(config.parallel.ray_address, len(seeds), log_to_driver=True)
        import ray
        from ray.util.queue import Queue

        self._ray = ray
        self.transitions = Queue(maxsize=config.parallel.queue_depth * len(seeds), actor_options={"num_cpus": 0})
        self.weights = [Queue(maxsize=1, actor_options={"num_cpus": 0}) for _ in seeds]
        remote = ray.remote(num_cpus=1)(_RayPushGraspActor)
        self.actors = [remote.remote() for _ in seeds]
        self.nodes = ray.get([a.node_id.remote() for a in self.actors])  # where each actor was placed
        self.runs = [a.run.remote(i, config, self.transitions, self.weights[i], seed)
                     for i, (a, seed) in enumerate(zip(self.actors, seeds))]

    def get(self, timeout: float) -> Transition | None:
        try:
            return self.transitions.get(timeout=timeout)
        except queue.Empty:
            done, _ = self._ray.wait(self.runs, timeout=0)
            for ref in done:
                self._ray.get(ref)  # raises the actor's exception
            return None

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)
        self.transitions.shutdown()
        for q in self.weights:
            q.shutdown()
        if self._owns_ray:
            self._ray.shutdown()


def make_pool(config: Any, seeds: list[int]) -> LocalActorPool | RayActorPool:
    return RayActorPool(config, seeds) if config.parallel.backend == "ray" else LocalActorPool(config, seeds)
