"""VPG training loop: act, execute, label, backprop on the executed pixel, one replay step.

One iteration (VPG main.py): choose an action on the current maps (epsilon-greedy), execute it,
observe s', compute all maps of s' (they pick the next action *and* give the label's future
value), one SGD step on (s, a, label), then one replay step on a surprising past transition
with the other outcome. Episodes restart when the workspace is clear or after 10 no-change
actions (the env's terminated / truncated).

Checkpoints (atomic, ``RunDir.save_checkpoint``) hold the networks, optimizer, replay buffer,
rng state, counters and the transition log, so ``greenroom train --resume RUN`` continues where
a killed run stopped (the interrupted episode restarts with a new layout).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ...sim.pushgrasp.env import PushGraspEnv
from ..common.device import pick_device
from ..common.rundir import MetricsLogger, RunDir, atomic_write_text
from .config import PushGraspTrainConfig
from .learner import Learner, outcome_of
from .replay import SurpriseReplay


def epsilon_at(config: PushGraspTrainConfig, iteration: int) -> float:
    """VPG: max(0.5 * 0.9998^it, 0.1) with decay; reactive variants keep 0.5."""
    return max(config.explore_start * config.epsilon_decay ** iteration, config.explore_end)


def transitions_csv(log: list[tuple[int, int, float, int]]) -> str:
    rows = ["iteration,primitive,outcome,episode"] + [f"{i},{p},{o:g},{e}" for i, p, o, e in log]
    return "\n".join(rows) + "\n"


def replay_step(learner: Learner, replay: SurpriseReplay, primitive: int, outcome: float,
                rng: np.random.Generator) -> float | None:
    """One VPG replay update; returns its loss (None when no candidate exists)."""
    sample = replay.sample(primitive, outcome, rng, min_candidates=learner.config.replay_start)
    if sample is None:
        return None
    action = tuple(int(a) for a in sample.action)
    loss, predicted = learner.train_step(sample.color, sample.height, action, sample.label)  # type: ignore[arg-type]
    replay.update_prediction(sample.index, predicted)  # VPG: the replay forward's prediction refreshes the log
    return loss


def restore_checkpoint(run: RunDir, learner: Learner, replay: SurpriseReplay,
                       rng: np.random.Generator) -> dict[str, Any] | None:
    """Load ``run``'s latest checkpoint into the learner, replay and generator; returns its state
    (for the caller's own counters), or None when the run has no checkpoint yet."""
    state = run.load_checkpoint()
    if state is not None:
        learner.load_state_dict(state["learner"])
        replay.load_state_dict(state["replay"])
        rng.bit_generator.state = state["rng"]
    return state


def train(config: PushGraspTrainConfig, run: RunDir, resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train into ``run``; returns a summary (iterations, grasp success over the last 200 grasps).

    With ``parallel.actors > 0`` simulator actors collect the transitions (``parallel.py``).
    """
    if config.parallel.actors > 0:
        from .parallel import train_parallel

        return train_parallel(config, run, resume=resume, progress=progress)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    device = pick_device(config.device)
    learner = Learner(config, device)
    replay = SurpriseReplay(config.replay_capacity, config.env.heightmap_size)
    rng = np.random.default_rng(config.seed)
    start, episode = 0, 0
    log: list[tuple[int, int, float, int]] = []  # (iteration, primitive, outcome, episode)
    if resume:
        state = restore_checkpoint(run, learner, replay, rng)
        if state is not None:
            start, episode, log = int(state["iteration"]), int(state["episode"]), list(state["log"])
    env = PushGraspEnv(config.env)
    metrics = MetricsLogger(run)

    def checkpoint(iteration: int) -> None:
        run.save_checkpoint({"learner": learner.state_dict(), "replay": replay.state_dict(), "rng": rng.bit_generator.state,
                             "iteration": iteration, "episode": episode, "log": log,
                             "config_variant": config.variant}, step=iteration, keep=2)
        atomic_write_text(run.path / "transitions.csv", transitions_csv(log))

    obs, _ = env.reset(seed=config.seed * 1_000_003 + episode)
    maps = learner.q_maps(obs["color"], obs["height"])
    window = LogWindow(metrics)
    bar = tqdm(range(start, config.iterations), disable=not progress, desc="pushgrasp", unit="it")
    try:
        for it in bar:
            t0 = time.perf_counter()
            epsilon = epsilon_at(config, it)
            choice = learner.choose(maps, epsilon, rng)
            next_obs, _, terminated, truncated, info = env.step(np.array(choice.action))
            t1 = time.perf_counter()
            next_maps = learner.q_maps(next_obs["color"], next_obs["height"])
            future_maps = learner.q_maps(next_obs["color"], next_obs["height"], target=True) if learner.target else next_maps
            primitive = choice.action[0]
            lost = int(info["lost_objects"])
            label = learner.label(primitive, info["grasp_success"], info["changed"], terminated, future_maps, lost)
            loss, _ = learner.train_step(obs["color"], obs["height"], choice.action, label)
            outcome = outcome_of(primitive, info["grasp_success"], info["changed"], lost)
            replay.add(obs["color"], obs["height"], choice.action, outcome, label, choice.predicted)
            replay_loss = replay_step(learner, replay, primitive, outcome, rng)
            learner.maybe_update_target(it + 1)
            log.append((it, primitive, outcome, episode))
            if terminated or truncated:
                episode += 1
                next_obs, _ = env.reset(seed=config.seed * 1_000_003 + episode)
                next_maps = learner.q_maps(next_obs["color"], next_obs["height"])
            obs, maps = next_obs, next_maps
            t2 = time.perf_counter()
            window.add((("losses/loss", loss), ("losses/replay_loss", replay_loss), ("charts/epsilon", epsilon),
                        ("charts/label", label), ("perf/iteration_s", t2 - t0), ("perf/sim_s", t1 - t0),
                        ("perf/learn_s", t2 - t1), ("charts/recovered", float(info["recovered"]))))
            if (it + 1) % config.log_every == 0:
                scalars = window.flush(it + 1, log, episode)
                bar.set_postfix(grasp=f"{scalars['charts/grasp_success_200']:.2f}", eps=f"{epsilon:.2f}")
            if (it + 1) % config.checkpoint_every == 0:
                checkpoint(it + 1)
        checkpoint(config.iterations)
    finally:
        metrics.close()
        env.close()
    return {"iterations": config.iterations, "episodes": episode, "grasp_success_200": grasp_success_last(log, 200)}


class LogWindow:
    """Per-iteration scalars averaged over each ``log_every`` window, logged with the grasp success of the
    last 200 grasps and the episode count (the single-process and the parallel loop alike)."""

    def __init__(self, metrics: MetricsLogger) -> None:
        self.metrics = metrics
        self.values: dict[str, list[float]] = {}

    def add(self, pairs: tuple[tuple[str, float | None], ...]) -> None:
        """Record ``(key, value)`` pairs; None values (e.g. no replay step) are skipped."""
        for key, value in pairs:
            if value is not None:
                self.values.setdefault(key, []).append(float(value))

    def flush(self, iteration: int, log: list[tuple[int, int, float, int]], episodes: int) -> dict[str, float]:
        """Log the window's means at ``iteration``, start a new window; returns what was logged."""
        scalars = {k: float(np.mean(v)) for k, v in self.values.items()}
        scalars["charts/grasp_success_200"] = grasp_success_last(log, 200)
        scalars["charts/episodes"] = episodes
        self.metrics.log(iteration, scalars)
        self.values = {}
        return scalars


def grasp_success_last(log: list[tuple[int, int, float, int]], window: int) -> float:
    grasps = [o for _, p, o, _ in log if p == 1][-window:]
    return float(np.mean(grasps)) if grasps else 0.0
