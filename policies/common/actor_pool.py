"""Actor processes feeding one learner: the plumbing fin-ray's async SAC and push-grasp's parallel
collection share (each task keeps its own ``actor_loop`` and its own ``get``).

Every actor runs ``target(actor_id, config, transitions, weights, stop, seed)`` and owns a one-slot
weights queue; all actors put into one bounded transitions queue, so they block instead of running
far ahead of a learner that falls behind. Two backends with the same queues' interface:

- :class:`LocalActors`: ``multiprocessing`` processes (spawn context: safe after torch has started
  threads) with ``multiprocessing`` queues and an ``Event`` as the stop flag;
- :class:`RayActors`: Ray actors (one CPU each) with ``ray.util.queue.Queue`` s, ended with
  ``ray.kill`` (their stop flag never fires). ``ray_address="local"`` starts a one-machine Ray on
  127.0.0.1 (:mod:`.ray_local`).

Hand-written because SB3 has no actor/learner split (its SubprocVecEnv steps envs in lock-step with
the learner's policy) and Ray RLlib's would replace our algorithms with its own.
"""
from __future__ import annotations

import importlib.util
import multiprocessing as mp
import os
import queue
import time
from typing import Any, Callable

from .ray_local import ensure_ray

# Actors run at a lower CPU priority than the learner: when they share a core, the learner (the
# bottleneck on few cores) is not preempted by acting; actors that fall behind only make the learner
# wait for data. Measured with fin-ray on 2 cores (cpu preset, 30k samples, 3 alternating runs
# each): 2483 vs 2437 samples/s, +2 %, about the run-to-run spread.
ACTOR_NICENESS = 5

ActorTarget = Callable[[int, Any, Any, Any, Any, int], None]


def start_actor(transitions: Any) -> int:
    """In an actor, first thing: lower its priority, let a multiprocessing queue exit without
    flushing to a dead learner; returns the learner's pid (see :func:`put_until_stopped`)."""
    os.nice(ACTOR_NICENESS)
    if hasattr(transitions, "cancel_join_thread"):
        transitions.cancel_join_thread()
    return os.getppid()


def learner_alive(parent: int) -> bool:
    """False once the learner that started this actor process is gone (do not linger as an orphan)."""
    return parent == os.getppid()


def put_until_stopped(transitions: Any, item: Any, stop: Any, parent: int) -> None:
    """Put ``item`` on the bounded queue, waiting while it is full, unless stopped or orphaned."""
    while not stop.is_set() and learner_alive(parent):
        try:
            transitions.put(item, timeout=0.2)
            return
        except queue.Full:
            continue


def latest_only_put(q: Any, item: Any) -> None:
    """Replace whatever is waiting in a one-slot queue with ``item``."""
    try:
        q.get_nowait()
    except queue.Empty:
        pass
    try:
        q.put_nowait(item)
    except queue.Full:
        pass


class _Actors:
    """One one-slot weights queue per actor (``self.weights``) and the shared transitions queue."""

    backend = ""
    transitions: Any
    weights: list[Any]
    nodes: list[str] = []

    def broadcast(self, *item: Any) -> None:
        """Offer ``item`` (the learner's version and weights) to every actor, replacing one it has not picked up."""
        for q in self.weights:
            latest_only_put(q, item)

    def raise_if_failed(self) -> None:
        raise NotImplementedError

    def before_read(self) -> None:
        """Call before reading ``transitions``: raises if that read could wait forever on a dead actor."""

    def close(self) -> None:
        raise NotImplementedError


class LocalActors(_Actors):
    """``len(seeds)`` actor processes named ``{name}-{i}``."""

    backend = "local"

    def __init__(self, name: str, target: ActorTarget, config: Any, seeds: list[int], queue_size: int,
                 close_timeout_s: float = 10.0) -> None:
        ctx = mp.get_context("spawn")
        self.close_timeout_s = close_timeout_s
        self.transitions = ctx.Queue(maxsize=queue_size)
        self.weights = [ctx.Queue(maxsize=1) for _ in seeds]
        self.stop_event = ctx.Event()
        self.procs = [ctx.Process(target=target, name=f"{name}-{i}", daemon=True,
                                  args=(i, config, self.transitions, self.weights[i], self.stop_event, seed))
                      for i, seed in enumerate(seeds)]
        for p in self.procs:
            p.start()

    def raise_if_failed(self) -> None:
        """RuntimeError naming the actors that exited (call it when no data came)."""
        dead = [p.name for p in self.procs if not p.is_alive() and p.exitcode != 0]
        if dead:
            raise RuntimeError(f"actor process(es) {', '.join(dead)} died (exit codes "
                               f"{[p.exitcode for p in self.procs]}); see their traceback above")

    def before_read(self) -> None:
        """An actor that crashed part-way through putting a chunk left half a message, which a read would
        wait on forever: report the crash instead (the window between this check and the read remains)."""
        self.raise_if_failed()

    def close(self) -> None:
        """Stop the actors (terminating any still running after ``close_timeout_s``); never reads the queue.

        Reading here could hang: an actor that exits while its queue feeder thread is part-way through
        a chunk larger than a pipe buffer leaves half a message behind, and ``Queue.get`` (even with a
        timeout) then blocks forever on the missing bytes. Nothing needs the reads either: actors put
        with a timeout and check the stop flag, and do not wait for their feeder threads at exit.
        """
        self.stop_event.set()
        deadline = time.monotonic() + self.close_timeout_s
        for p in self.procs:
            p.join(timeout=max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        # weights larger than a pipe buffer would block this process's queue feeder threads at exit
        for q in (self.transitions, *self.weights):
            q.cancel_join_thread()
            q.close()


class _RayStop:
    """Stop flag of Ray actors: they are ended with ``ray.kill`` instead."""

    def is_set(self) -> bool:
        return False


def ray_node_id() -> str:
    """The Ray node this process runs on; "" outside Ray (local processes)."""
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
    except ImportError:
        return ""


class _RayActor:
    """Where a Ray actor runs its task's ``target``."""

    def node_id(self) -> str:
        return ray_node_id()

    def run(self, target: ActorTarget, actor_id: int, config: Any, transitions: Any, weights: Any, seed: int) -> None:
        target(actor_id, config, transitions, weights, _RayStop(), seed)


class RayActors(_Actors):
    """``len(seeds)`` Ray actors (one CPU each) on ``ray_address`` ("local" = a loopback instance)."""

    backend = "ray"

    def __init__(self, target: ActorTarget, config: Any, seeds: list[int], queue_size: int, ray_address: str) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ModuleNotFoundError("the ray backend needs Ray: pip install greenroom[ray]")
        self._owns_ray = ensure_ray(ray_address, len(seeds), log_to_driver=True)
        import ray
        from ray.util.queue import Queue

        self._ray = ray
        self.transitions = Queue(maxsize=queue_size, actor_options={"num_cpus": 0})
        self.weights = [Queue(maxsize=1, actor_options={"num_cpus": 0}) for _ in seeds]
        remote = ray.remote(num_cpus=1)(_RayActor)
        self.actors = [remote.remote() for _ in seeds]
        self.nodes = ray.get([a.node_id.remote() for a in self.actors])  # where each actor was placed
        self.runs = [a.run.remote(target, i, config, self.transitions, self.weights[i], seed)
                     for i, (a, seed) in enumerate(zip(self.actors, seeds))]

    def raise_if_failed(self) -> None:
        """Re-raise the exception of an actor whose run ended (call it when no data came)."""
        done, _ = self._ray.wait(self.runs, timeout=0)
        for ref in done:
            self._ray.get(ref)

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)
        self.transitions.shutdown()
        for q in self.weights:
            q.shutdown()
        if self._owns_ray:
            self._ray.shutdown()


def make_actors(name: str, target: ActorTarget, config: Any, seeds: list[int], queue_size: int, backend: str,
                ray_address: str, close_timeout_s: float = 10.0) -> LocalActors | RayActors:
    """The ``backend`` ("local" or "ray") pool of actors running ``target``."""
    if backend == "ray":
        return RayActors(target, config, seeds, queue_size, ray_address)
    return LocalActors(name, target, config, seeds, queue_size, close_timeout_s)
