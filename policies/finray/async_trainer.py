"""Asynchronous parallel SAC (APT-style): actors stream transitions, the learner trains continuously.

Learner loop (this process): drain the actors' chunks into SB3's ReplayBuffer (one slice write
per chunk); once ``learning_starts`` transitions are in, run LeanSAC gradient steps (SB3's SAC
update, see ``lean_sac``) so that the update count follows ``updates_per_sample * (samples -
learning_starts)`` (it waits for data when ahead; the bounded transition queue makes actors wait
when it is behind); send the actor weights every ``broadcast_every`` updates. Every
``checkpoint_every`` transitions the networks, optimizers, entropy coefficient, replay buffer
and counters are written atomically through RunDir, so a killed run resumes (``greenroom train
--resume RUN``) with its buffer. Actors of a resumed run get fresh seeds. Differences from
APT-RL's ``asyncKS.py`` (papers.md 3.3): the next observation is stored correctly (its bug 2),
the update:sample ratio is enforced (the learner stops draining the queue while it is more than
max(K, ratio * chunk * n_actors) updates behind) instead of ``update_iter`` per fixed chunk, and
there is no 0.1 s sleep per loop. With ``stop_at_target`` the run ends (and is checkpointed)
once the running mean return reaches ``target_return``.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from ..common.device import pick_device
from ..common.rundir import RunDir
from .actors import make_pool
from .config import FinRayTrainConfig
from .progress import Progress
from .sac_common import (actor_weights, add_transitions, buffer_state, load_buffer_state, load_sac_state, make_sac,
                         sac_state)

log = logging.getLogger(__name__)


def train_async(config: FinRayTrainConfig, run: RunDir, resume: bool = False) -> dict[str, Any]:
    """Train with ``config.parallel.n_actors`` actors; returns the final progress summary."""
    torch.set_num_threads(config.torch_threads)
    ckpt = run.load_checkpoint() if resume else None
    restarts = int(ckpt["restarts"]) + 1 if ckpt else 0
    seeds = [config.seed * 10_000 + restarts * 100 + i for i in range(config.parallel.n_actors)]
    pool = make_pool(config, seeds)  # actors start importing while the learner builds its model
    try:
        model = make_sac(config, device=pick_device(config.device))
        samples, version = 0, 0
        if ckpt:
            load_sac_state(model, ckpt["sac"])
            load_buffer_state(model.replay_buffer, ckpt["buffer"])
            samples, version = int(ckpt["samples"]), int(ckpt["version"])
        progress = Progress(run, config.return_window, config.target_return, ckpt["progress"] if ckpt else None)
        return _learn(config, run, model, pool, progress, samples, version, restarts)
    finally:
        pool.close()


def _updates_due(config: FinRayTrainConfig, samples: int) -> int:
    return int(np.floor(config.sac.updates_per_sample * max(0, samples - config.sac.learning_starts) + 1e-9))


def _learn(config: FinRayTrainConfig, run: RunDir, model: Any, pool: Any, progress: Progress,
           samples: int, version: int, restarts: int) -> dict[str, Any]:
    sac, par = config.sac, config.parallel
    buffer = model.replay_buffer
    next_ckpt = (samples // config.checkpoint_every + 1) * config.checkpoint_every
    next_log = (samples // config.log_every + 1) * config.log_every
    lag: list[int] = []
    broadcast = samples >= sac.learning_starts
    if broadcast:
        pool.broadcast(version, actor_weights(model))
    # the learner takes new data only while it is at most `slack` updates behind the ratio; otherwise
    # it trains, the bounded transition queue fills up and the actors wait
    slack = max(par.broadcast_every, int(np.ceil(sac.updates_per_sample * par.chunk * par.n_actors)))
    setup_s = None
    while samples < config.total_steps and not (config.stop_at_target and progress.reached):
        behind = _updates_due(config, samples) - model._n_updates
        chunks = pool.get(timeout=0.0 if behind > 0 else 1.0) if behind <= slack else []
        if chunks and setup_s is None:
            # training clock starts with the first transition, as the sync run's starts after its
            # setup: actor start-up (spawning, imports) is reported separately as setup_s
            setup_s = progress.start_clock()
        for chunk in chunks:
            take = min(len(chunk.rewards), config.total_steps - samples)
            add_transitions(buffer, chunk.obs[:take], chunk.next_obs[:take], chunk.actions[:take],
                            chunk.rewards[:take], chunk.dones[:take])
            samples += take
            progress.add_episodes(chunk.episode_returns, samples)
            if chunk.policy_version >= 0:
                lag.append(version - chunk.policy_version)
            if config.stop_at_target and progress.reached:
                break  # the rest of this batch of chunks is past the target: the run ends here
        if not broadcast and samples >= sac.learning_starts:
            pool.broadcast(version, actor_weights(model))
            broadcast = True
        behind = _updates_due(config, samples) - model._n_updates
        if behind > 0:
            steps = min(behind, par.broadcast_every - model._n_updates % par.broadcast_every)
            model.train(gradient_steps=steps, batch_size=sac.batch_size)
            if model._n_updates % par.broadcast_every == 0:
                version += 1
                pool.broadcast(version, actor_weights(model))
        if samples >= next_log:
            next_log += config.log_every
            losses = {k.replace("train/", "losses/"): float(v) for k, v in model.logger.name_to_value.items()}
            row = progress.log(samples, model._n_updates, {**losses, "charts/policy_lag": float(np.mean(lag)) if lag else 0.0})
            lag.clear()
            log.info("samples %d updates %d mean return %.3f", samples, model._n_updates, row["charts/mean_return"])
        if samples >= next_ckpt:
            next_ckpt += config.checkpoint_every
            _checkpoint(run, model, samples, version, restarts, progress)
    # catch up so that the run ends with exactly updates_per_sample * (samples - learning_starts) updates
    behind = _updates_due(config, samples) - model._n_updates
    if behind > 0:
        model.train(gradient_steps=behind, batch_size=sac.batch_size)
    row = progress.log(samples, model._n_updates)
    _checkpoint(run, model, samples, version, restarts, progress)
    progress.close()
    summary = {"algo": "async", "backend": par.backend, "n_actors": par.n_actors, "samples": samples,
               "updates": model._n_updates, "updates_per_sample": model._n_updates / max(samples, 1),
               "configured_updates_per_sample": sac.updates_per_sample, "wall_time": row["perf/wall_time"],
               "samples_per_s": row["perf/samples_per_s"], "mean_return": row["charts/mean_return"],
               "target_reached": progress.reached, "restarts": restarts, "setup_s": setup_s}
    run.write_meta(result=summary)
    return summary


def _checkpoint(run: RunDir, model: Any, samples: int, version: int, restarts: int, progress: Progress) -> None:
    run.save_checkpoint({"algo": "async", "sac": sac_state(model), "buffer": buffer_state(model.replay_buffer),
                         "samples": samples, "version": version, "restarts": restarts,
                         "progress": progress.state()}, step=samples)
