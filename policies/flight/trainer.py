"""``greenroom train flight``: CAD2RL training, free-space pretraining then Monte Carlo rounds.

Phases (typed: :mod:`.phases`; one checkpoint after each, holding a :class:`.phases.TrainState`,
so a killed run loses at most one phase):

1. Stage 1 data: ``stage1.states`` states from exploratory flights, labelled with ground-truth
   free space (:func:`.labels.free_space_labels`), stored as shard ``stage1``.
2. Stage 1 epochs (``stage1.epochs`` phases): masked MSE regression of the value grid.
3. Stage 2 rounds (``stage2.iterations`` phases, CAD2RL Fig. 1): sample states with the
   epsilon-greedy current policy, label ``labels.candidates`` directions per state by Monte
   Carlo rollouts that follow the current policy (:func:`.labels.monte_carlo_labels`; or, with
   ``stage2.label_source=free_space``, every cell by ground-truth free space), store the
   round's shard, then ``stage2.updates`` gradient steps on the newest ``stage2.replay`` states.

Rollouts run on :class:`.backends.RolloutPool` (worker processes or Ray). Logged scalars
(``metrics.csv`` + TensorBoard): ``losses/value`` (and ``losses/depth`` with ``aux_depth``: the
training-only depth head's MSE, added to the loss with that weight), ``charts/rollout_distance_m`` and
``charts/rollout_collision_rate`` (finished episodes of the epsilon-greedy behaviour policy while
sampling states), ``charts/greedy_distance_m`` (greedy flights in fixed training worlds after
stage 1 and every round: the learning curve), ``charts/label_mean``, ``perf/env_steps_per_s``, ``time/elapsed_s``.
``run.json`` gets ``train_seconds`` (wall clock, summed over resumes) for the PPO baseline.
Stage 2 stops early once ``stage2.time_budget_s`` is spent (the cpu preset's 20-minute budget).
"""
from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..common.device import pick_device
from ..common.rundir import KEPT_CHECKPOINTS, MetricsLogger, RunDir, atomic_write_text, load_weights
from .backends import RolloutPool
from .config import FlightTrainConfig
from .dataset import Batch, ShardStore
from .network import FlightValueNet, build_network
from .phases import Phase, PhaseKind, TrainState, plan_phases, validates_after
from .rollout import FREE_SPACE, MONTE_CARLO, POLICY_FREE_SPACE, VALIDATE, RolloutResult, RolloutTask

log = logging.getLogger(__name__)


def task_seed(config: FlightTrainConfig, task_id: int) -> int:
    return int(np.random.SeedSequence([config.seed, task_id]).generate_state(1)[0])


def make_tasks(config: FlightTrainConfig, kind: str, states: int, first_task_id: int,
               weights: dict[str, np.ndarray] | None) -> list[RolloutTask]:
    """Split ``states`` into tasks of :meth:`FlightTrainConfig.chunk_for` states (stage 1's
    ``sample_every`` for FREE_SPACE, stage 2's otherwise) with consecutive ids from ``first_task_id``."""
    sample_every = (config.stage1 if kind == FREE_SPACE else config.stage2).sample_every
    chunk = config.chunk_for(sample_every, states)
    sizes = [chunk] * (states // chunk) + ([states % chunk] if states % chunk else [])
    return [RolloutTask(kind, first_task_id + i, n, task_seed(config, first_task_id + i), weights)
            for i, n in enumerate(sizes)]


def cpu_weights(net: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}


def collect(pool: RolloutPool, tasks: list[RolloutTask], desc: str) -> RolloutResult:
    results = list(tqdm(pool.map(tasks), total=len(tasks), desc=desc, unit="task", leave=False))
    return RolloutResult.concat(results)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over labelled cells only. pred/target (B, cells) float, mask (B, cells) bool."""
    weight = mask.to(pred.dtype)
    return ((pred - target) ** 2 * weight).sum() / weight.sum().clamp_min(1.0)


def mirror_half(images: np.ndarray, targets: np.ndarray, mask: np.ndarray, cols: int,
                rng: np.random.Generator, depth: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Mirror a random half of a batch left-right: the image columns, the grid columns and (when
    given) the columns of the auxiliary depth maps (N, S, S).

    The DirectionGrid is symmetric about the camera axis (cell column c <-> cols - 1 - c), so a
    mirrored image with mirrored labels is another valid sample of the same world, mirrored.
    """
    flip = rng.random(len(images)) < 0.5
    if not flip.any():
        return images, targets, mask, depth
    images, targets, mask = images.copy(), targets.copy(), mask.copy()
    n = len(images)
    images[flip] = images[flip][:, :, ::-1]
    targets[flip] = targets.reshape(n, -1, cols)[flip][:, :, ::-1].reshape(int(flip.sum()), -1)
    mask[flip] = mask.reshape(n, -1, cols)[flip][:, :, ::-1].reshape(int(flip.sum()), -1)
    if depth is not None:
        depth = depth.copy()
        depth[flip] = depth[flip][:, :, ::-1]
    return images, targets, mask, depth


def random_convolution(images: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Pass a random ``fraction`` of a uint8 (N, H, W, 3) batch through a random convolution.

    Network randomization (Lee et al., ICLR 2020): each chosen image gets its own 3 -> 3 channel
    kernel (size 1 or 3, Xavier-normal weights), so colours and local texture change while the
    geometry stays; the result is min-max scaled back to uint8 per image. Labels are unchanged.
    torchvision and kornia have colour jitter but not this transform, hence the few lines here.
    """
    if fraction <= 0.0:   # off: draw nothing, so the batch stream is the one of a run without it
        return images
    chosen = np.flatnonzero(rng.random(len(images)) < fraction)
    if chosen.size == 0:
        return images
    images = images.copy()
    k = int(rng.choice([1, 3]))
    x = torch.from_numpy(images[chosen]).permute(0, 3, 1, 2).to(torch.float32) / 255.0    # (n, 3, H, W)
    n, _, h, w = x.shape
    std = float(np.sqrt(2.0 / (3 * k * k + 3 * k * k)))
    weight = torch.from_numpy(rng.normal(0.0, std, (n * 3, 3, k, k)).astype(np.float32))
    y = torch.nn.functional.conv2d(x.reshape(1, n * 3, h, w), weight, padding=k // 2, groups=n).reshape(n, 3, h, w)
    low = y.amin(dim=(1, 2, 3), keepdim=True)
    span = (y.amax(dim=(1, 2, 3), keepdim=True) - low).clamp_min(1e-6)
    images[chosen] = ((y - low) / span * 255.0 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return images


class Regressor:
    """Adam regression of the value grid on labelled states (masked MSE)."""

    def __init__(self, net: FlightValueNet, config: FlightTrainConfig, device: torch.device) -> None:
        self.net, self.config, self.device = net, config, device
        self.optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.rng = np.random.default_rng(config.seed + 17)

    def step(self, data: Batch, index: np.ndarray) -> dict[str, float]:
        """One Adam step on ``data`` rows ``index``: ``losses/value`` (and ``losses/depth`` with ``aux_depth``)."""
        aux = self.config.aux_depth
        if aux and data.depth is None:
            raise RuntimeError("aux_depth is set but the run's data shards hold no depth targets (collected "
                               "without aux_depth): start a new run")
        images, targets, masks = data.images[index], data.targets[index], data.mask[index]
        depth = data.depth[index] if aux else None
        if self.config.augment_flip:
            images, targets, masks, depth = mirror_half(images, targets, masks, self.config.env.grid_cols, self.rng,
                                                        depth)
        images = random_convolution(images, self.config.augment_random_conv, self.rng)
        images = torch.from_numpy(images).to(self.device)
        target = torch.from_numpy(targets).to(self.device)
        mask = torch.from_numpy(masks).to(self.device)
        self.net.train()
        if depth is None:
            losses = {"losses/value": masked_mse(self.net(images).flatten(1), target, mask)}
            loss = losses["losses/value"]
        else:
            values, predicted = self.net.values_and_depth(images)
            losses = {"losses/value": masked_mse(values.flatten(1), target, mask),
                      "losses/depth": torch.mean((predicted - torch.from_numpy(depth.astype(np.float32)).to(self.device)) ** 2)}
            loss = losses["losses/value"] + aux * losses["losses/depth"]
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {name: float(value.detach()) for name, value in losses.items()}

    @staticmethod
    def _scalars(losses: list[dict[str, float]]) -> dict[str, float]:
        """Each loss's mean over ``losses`` (one dict per step; NaN value loss when there were none)."""
        if not losses:
            return {"losses/value": float("nan")}
        return {name: float(np.mean([step[name] for step in losses])) for name in losses[0]}

    def epoch(self, data: Batch) -> tuple[dict[str, float], int]:
        """One pass over ``data`` in random order: (mean losses by name, gradient steps)."""
        order = self.rng.permutation(len(data))
        losses = [self.step(data, order[i:i + self.config.batch_size]) for i in range(0, len(data), self.config.batch_size)]
        return self._scalars(losses), len(losses)

    def updates(self, data: Batch, count: int) -> dict[str, float]:
        """``count`` steps on random minibatches: mean losses by name."""
        bs = min(self.config.batch_size, len(data))
        return self._scalars([self.step(data, self.rng.choice(len(data), size=bs, replace=False)) for _ in range(count)])


def _trim_metrics(run: RunDir, max_step: int) -> None:
    """Drop metrics rows logged after the checkpoint we resume from (they will be logged again)."""
    path = run.path / "metrics.csv"
    if not path.is_file():
        return
    with path.open() as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    kept = [rows[0]] + [r for r in rows[1:] if r and float(r[0]) <= max_step]
    atomic_write_text(path, "\n".join(",".join(r) for r in kept) + "\n")


def validate(pool: RolloutPool, net: FlightValueNet, config: FlightTrainConfig) -> dict[str, float]:
    """Greedy flights of the current network in fixed training worlds (the learning curve).

    The same episode streams after every phase (one task per worker), so the curve compares
    policies on the same worlds.
    """
    net.eval()
    weights = cpu_weights(net)
    episodes = config.stage2.validation_episodes
    workers = min(pool.workers, episodes)
    sizes = [episodes // workers + (1 if i < episodes % workers else 0) for i in range(workers)]
    tasks = [RolloutTask(VALIDATE, i, n, 0, weights) for i, n in enumerate(sizes)]
    result = RolloutResult.concat(list(pool.map(tasks)))
    return {"charts/greedy_distance_m": float(np.mean(result.episode_distances)),
            "charts/greedy_collision_rate": float(np.mean(result.episode_collisions))}


def phase_names(config: FlightTrainConfig) -> list[str]:
    """Names of the run's phases, in order (for logs and tests; the trainer uses :class:`Phase`)."""
    return [p.name for p in plan_phases(config)]


class _Training:
    """One training run: the network, its optimizer, the data and the typed state."""

    def __init__(self, config: FlightTrainConfig, run: RunDir, resume: bool) -> None:
        device = torch.device(pick_device(config.device))
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        checkpoint = run.load_checkpoint() if resume else None  # first: a bad one fails before anything is made
        self.config, self.run, self.phases = config, run, plan_phases(config)
        self.net = build_network(config).to(device)
        self.regressor = Regressor(self.net, config, device)
        self.store = ShardStore(run.path / "data")
        self.state = TrainState()
        if checkpoint is not None:
            where = f"checkpoint {getattr(checkpoint, 'path', run.path)}"
            load_weights(self.net, checkpoint["model"], where)
            load_weights(self.regressor.optimizer, checkpoint["optimizer"], where)
            self.regressor.rng.bit_generator.state = checkpoint["rng"]
            self.state = TrainState.from_dict(checkpoint["state"], where)
            for path in self.store.prune(self.state.shards):
                log.info("removed %s (a round the interrupted run did not finish)", path)
            _trim_metrics(run, self.state.global_step)
            done = self.state.phases_done
            print(f"resuming {run.path} after phase {done} ({self.phases[done - 1].name})", flush=True)
        elif resume:
            print(f"no checkpoint in {run.path}: starting from the beginning", flush=True)
        self.data: Batch | None = (self.store.load(self.state.shards, config.stage2.replay)
                                   if self.state.shards else None)
        self.started = time.perf_counter() - self.state.elapsed_s

    def save(self, phase: Phase) -> None:
        self.state.phases_done = phase.index + 1
        self.state.elapsed_s = time.perf_counter() - self.started
        self.run.save_checkpoint({"model": self.net.state_dict(), "optimizer": self.regressor.optimizer.state_dict(),
                                  "rng": self.regressor.rng.bit_generator.state, "state": self.state.to_dict(),
                                  "phase_name": phase.name}, step=phase.index + 1,
                                 keep=max(KEPT_CHECKPOINTS, self.config.network.average_checkpoints))

    def _store(self, shard: str, result: RolloutResult) -> None:
        self.store.write(shard, result.images, result.targets, result.mask, result.depth)
        self.state.shards.append(shard)
        self.data = self.store.load(self.state.shards, self.config.stage2.replay)

    def stage1_data(self, pool: RolloutPool) -> dict[str, float]:
        tasks = make_tasks(self.config, FREE_SPACE, self.config.stage1.states, self.state.next_task, None)
        t0 = time.perf_counter()
        result = collect(pool, tasks, "free-space labels")
        self.state.next_task += len(tasks)
        self._store("stage1", result)
        return {"charts/label_mean": float(result.targets.mean()),
                "perf/env_steps_per_s": result.env_steps / max(time.perf_counter() - t0, 1e-9)}

    def stage1_epoch(self) -> dict[str, float]:
        assert self.data is not None, "stage 1 data must precede its epochs"
        losses, steps = self.regressor.epoch(self.data)
        self.state.global_step += steps
        return losses

    def stage2_round(self, pool: RolloutPool, phase: Phase) -> dict[str, float]:
        config = self.config
        t0 = time.perf_counter()
        self.net.eval()
        kind = MONTE_CARLO if config.stage2.label_source == "monte_carlo" else POLICY_FREE_SPACE
        tasks = make_tasks(config, kind, config.stage2.states_per_iteration, self.state.next_task,
                           cpu_weights(self.net))
        result = collect(pool, tasks, "Monte Carlo labels" if kind == MONTE_CARLO else "on-policy free-space labels")
        collect_s = time.perf_counter() - t0
        self.state.next_task += len(tasks)
        self._store(f"stage2-{phase.index:04d}", result)
        assert self.data is not None
        losses = self.regressor.updates(self.data, config.stage2.updates)
        self.state.global_step += config.stage2.updates
        self.state.stage2_s += time.perf_counter() - t0
        labelled = result.targets[result.mask]
        scalars = {**losses, "charts/label_mean": float(labelled.mean()),
                   "perf/env_steps_per_s": result.env_steps / max(collect_s, 1e-9)}
        if result.episode_distances:
            scalars["charts/rollout_distance_m"] = float(np.mean(result.episode_distances))
            scalars["charts/rollout_collision_rate"] = float(np.mean(result.episode_collisions))
        return scalars

    def stage2_budget_spent(self) -> bool:
        budget = self.config.stage2.time_budget_s
        return bool(budget) and self.state.stage2_s >= budget


def train(config: FlightTrainConfig, run: RunDir, resume: bool = False) -> dict[str, Any]:
    """Train into ``run``; with ``resume`` continue after the last completed phase."""
    t = _Training(config, run, resume)
    metrics = MetricsLogger(run)
    bar = tqdm(total=len(t.phases), initial=t.state.phases_done, desc="flight", unit="phase")
    with RolloutPool(config) as pool:
        for phase in t.phases[t.state.phases_done:]:
            bar.set_description(phase.name)
            if phase.kind is PhaseKind.STAGE1_DATA:
                scalars = t.stage1_data(pool)
            elif phase.kind is PhaseKind.STAGE1_EPOCH:
                scalars = t.stage1_epoch()
            else:
                if t.stage2_budget_spent():
                    log.info("stage 2 time budget of %.0f s spent; stopping before %s", config.stage2.time_budget_s,
                             phase.name)
                    break
                scalars = t.stage2_round(pool, phase)
            if config.stage2.validation_episodes and validates_after(phase, t.phases):
                scalars.update(validate(pool, t.net, config))
            scalars.update({"time/elapsed_s": time.perf_counter() - t.started, "charts/phase": phase.index + 1,
                            "charts/states": float(len(t.data) if t.data is not None else 0)})
            metrics.log(t.state.global_step, scalars)
            t.save(phase)
            bar.update(1)
            bar.set_postfix({k.split("/")[-1]: f"{v:.3g}" for k, v in scalars.items() if k in
                             ("losses/value", "charts/greedy_distance_m")})
    bar.close()
    metrics.close()
    elapsed = time.perf_counter() - t.started
    run.write_meta(train_seconds=round(elapsed, 2), phases_done=t.state.phases_done, finished=True)
    return {"train_seconds": elapsed, "phases": t.state.phases_done, "global_step": t.state.global_step}


def load_curve(run_path: Path) -> list[dict[str, float]]:
    from ..common.rundir import read_metrics

    path = Path(run_path) / "metrics.csv"
    return read_metrics(path) if path.is_file() else []


__all__ = ["train", "masked_mse", "make_tasks", "phase_names", "load_curve"]
