"""The learner of parallel VPG training: one SGD step and one replay step per actor transition.

Actors (``actors.py``) execute and label; this process does, per transition in arrival order,
exactly the learning half of a single-process iteration (trainer.py): one SGD step on the
executed pixel with the actor's label, add the transition to the surprise replay, one replay
step; then it sends its weights to the actors every ``parallel.broadcast_every`` iterations.
Checkpoints are the single-process format (networks, optimizer, replay, rng, counters,
transition log), so a run can resume in either mode. ``perf/iteration_s`` is the learner's wall
time per transition (the parallel run's iteration rate); ``perf/sim_s`` is the actors' own
simulation time per transition and ``charts/policy_lag`` how many learner iterations the acting
weights were behind.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..common.device import pick_device
from ..common.rundir import MetricsLogger, RunDir, atomic_write_text
from .actors import make_pool, net_weights
from .config import PushGraspTrainConfig
from .learner import Learner
from .replay import SurpriseReplay
from .trainer import (LogWindow, epsilon_at, grasp_success_last, replay_step, restore_checkpoint,
                      transitions_csv)

ACTOR_TIMEOUT_S = 600.0  # no transition for this long: the actors are stuck


def train_parallel(config: PushGraspTrainConfig, run: RunDir, resume: bool = False,
                   progress: bool = True) -> dict[str, Any]:
    """Train into ``run`` with ``config.parallel.actors`` actors; returns the summary ``train`` returns."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    learner = Learner(config, pick_device(config.device))
    replay = SurpriseReplay(config.replay_capacity, config.env.heightmap_size)
    rng = np.random.default_rng(config.seed)
    start, restarts, episodes_before = 0, 0, 0
    log: list[tuple[int, int, float, int]] = []
    if resume:
        state = restore_checkpoint(run, learner, replay, rng)
        if state is not None:
            start, log = int(state["iteration"]), list(state["log"])
            restarts = int(state.get("restarts", 0)) + 1
            episodes_before = int(state.get("episode", 0))
    # the actors count their episodes from 0 again after a resume: ids continue above the logged ones
    episode_base = 1 + max((row[3] for row in log), default=-1)
    n = config.parallel.actors
    base = config.seed * 1_000_003 + restarts * 10_000_019
    pool = make_pool(config, [base + i for i in range(n)])  # actors import while the learner starts
    metrics = MetricsLogger(run)
    episodes: dict[int, int] = {}
    per_actor = [0] * n
    nodes: set[str] = set()

    def episodes_done() -> int:
        return episodes_before + sum(episodes.values())

    def checkpoint(iteration: int) -> None:
        run.save_checkpoint({"learner": learner.state_dict(), "replay": replay.state_dict(), "rng": rng.bit_generator.state,
                             "iteration": iteration, "episode": episodes_done(), "log": log,
                             "restarts": restarts, "config_variant": config.variant}, step=iteration, keep=2)
        atomic_write_text(run.path / "transitions.csv", transitions_csv(log))

    window = LogWindow(metrics)
    bar = tqdm(range(start, config.iterations), disable=not progress, desc=f"pushgrasp x{n} actors", unit="it")
    try:
        pool.broadcast(start, start, net_weights(learner))
        last = time.perf_counter()
        for it in bar:
            t = _next(pool)
            t1 = time.perf_counter()
            loss, _ = learner.train_step(t.color, t.height, t.action, t.label)
            replay.add(t.color, t.height, t.action, t.outcome, t.label, t.predicted)
            replay_loss = replay_step(learner, replay, t.action[0], t.outcome, rng)
            episodes[t.actor] = t.episode
            per_actor[t.actor] += 1
            nodes.add(t.node)
            log.append((it, t.action[0], t.outcome, episode_base + t.episode * n + t.actor))
            if (it + 1) % config.parallel.broadcast_every == 0:
                pool.broadcast(it + 1, it + 1, net_weights(learner))
            t2 = time.perf_counter()
            window.add((("losses/loss", loss), ("losses/replay_loss", replay_loss),
                        ("charts/epsilon", epsilon_at(config, t.policy_version)), ("charts/label", t.label),
                        ("perf/iteration_s", t2 - last), ("perf/sim_s", t.sim_s), ("perf/learn_s", t2 - t1),
                        ("charts/recovered", float(t.recovered)), ("charts/policy_lag", it - t.policy_version)))
            last = t2
            if (it + 1) % config.log_every == 0:
                scalars = window.flush(it + 1, log, episodes_done())
                bar.set_postfix(grasp=f"{scalars['charts/grasp_success_200']:.2f}", lag=f"{scalars['charts/policy_lag']:.1f}")
            if (it + 1) % config.checkpoint_every == 0:
                checkpoint(it + 1)
        checkpoint(config.iterations)
    finally:
        pool.close()
        metrics.close()
    return {"iterations": config.iterations, "episodes": episodes_done(),
            "grasp_success_200": grasp_success_last(log, 200), "actors": n, "backend": config.parallel.backend,
            "transitions_per_actor": per_actor, "actor_nodes": list(pool.nodes),
            "transition_nodes": sorted(x for x in nodes if x)}


def _next(pool: Any) -> Any:
    deadline = time.monotonic() + ACTOR_TIMEOUT_S
    while time.monotonic() < deadline:
        item = pool.get(timeout=1.0)
        if item is not None:
            return item
    raise RuntimeError(f"no transition from the actors for {ACTOR_TIMEOUT_S:.0f} s")
