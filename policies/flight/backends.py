"""Where rollout tasks run: local worker processes (default) or Ray (a laptop or a cluster).

Both backends run the same :class:`~.rollout.Worker` code and return results in task order,
so a list of tasks yields identical labels on either (tested). Workers are started once per
training run and keep their env (and its MuJoCo model) between tasks.

- ``process``: :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method
  (a fresh interpreter per worker: no forked torch thread pools or GL contexts), one
  :class:`Worker` per process built by the pool initializer. Workers exit on their own when
  the trainer dies (a watchdog thread polls the parent pid), so a SIGKILLed run leaves no orphans.
- ``ray``: one Ray actor per worker (``ray.util.ActorPool``, ordered ``map``). With
  ``rollout.ray_address`` None a local Ray instance bound to 127.0.0.1 without dashboard is
  started (and stopped on close); "auto" or ``ray://host:port`` joins an existing cluster.
"""
from __future__ import annotations

import importlib.util
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..common.ray_local import ensure_ray
from .config import FlightTrainConfig
from .rollout import RolloutResult, RolloutTask, Worker

_WORKER: Worker | None = None
_INIT_ERROR: Exception | None = None


def _exit_with_parent(parent_pid: int, period_s: float = 1.0) -> None:
    """Exit this worker when the trainer that spawned it dies (e.g. SIGKILL): no orphans left."""
    def watch() -> None:
        while True:
            time.sleep(period_s)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_process_worker(config: FlightTrainConfig, parent_pid: int) -> None:
    global _WORKER, _INIT_ERROR
    _exit_with_parent(parent_pid)
    try:
        _WORKER = Worker(config)
    except Exception as exc:  # an initializer that raises breaks the pool (BrokenProcessPool, no message):
        _INIT_ERROR = exc     # raise it with the first task instead, so the trainer gets the real error


def _run_in_process(task: RolloutTask) -> RolloutResult:
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    assert _WORKER is not None, "worker process was not initialised"
    return _WORKER.run(task)


class RolloutPool:
    """Runs tasks on ``config.rollout.workers`` workers of ``config.rollout.backend``; a context manager."""

    def __init__(self, config: FlightTrainConfig, workers: int | None = None, backend: str | None = None) -> None:
        self.config = config
        self.workers = int(workers or config.rollout.workers)
        self.backend = backend or config.rollout.backend
        self._executor: ProcessPoolExecutor | None = None
        self._actors: list[Any] = []
        self._ray_started = False
        if self.backend == "process":
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_process_worker, initargs=(config, os.getpid()))
        elif self.backend == "ray":
            self._start_ray()
        else:
            raise ValueError(f"unknown rollout backend {self.backend!r}; valid: process, ray")

    def _start_ray(self) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ImportError("rollout.backend=ray needs Ray: pip install 'greenroom[ray]'")
        address = self.config.rollout.ray_address
        if ensure_ray(address or "local", max(self.workers, 1), log_to_driver=False,
                      **({"runtime_env": {"env_vars": {"OMP_NUM_THREADS": "1"}}} if address is None else {})):
            self._ray_started = True
        import ray

        actor_cls = ray.remote(num_cpus=1)(_RayWorker)
        self._actors = [actor_cls.remote(self.config) for _ in range(self.workers)]

    def map(self, tasks: list[RolloutTask]) -> Iterator[RolloutResult]:
        """Results in task order (yielded as they become available in that order)."""
        if self._executor is not None:
            yield from self._executor.map(_run_in_process, tasks)
            return
        from ray.util import ActorPool

        yield from ActorPool(self._actors).map(lambda actor, task: actor.run.remote(task), tasks)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._actors:
            import ray

            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
            if self._ray_started:
                ray.shutdown()
                self._ray_started = False

    def __enter__(self) -> RolloutPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _RayWorker:
    """Ray actor body: the same :class:`Worker` as the process backend."""

    def __init__(self, config: FlightTrainConfig) -> None:
        from ...sim.core.headless import configure_headless_gl

        configure_headless_gl()
        self.worker = Worker(config)

    def run(self, task: RolloutTask) -> RolloutResult:
        return self.worker.run(task)
