"""Rollout workers: sample states in simulated worlds and label them (stage 1 or stage 2).

One :class:`RolloutTask` is self-contained: the episode seeds it flies (training range only,
``FlightTrainConfig.train_seed``), its exploration RNG seed and, for Monte Carlo labelling, the
current network weights. A worker (one process, one :class:`FlightEnv`, one CPU thread of
torch) turns a task into a :class:`RolloutResult` with the sampled images, their labels and a
mask of which cells are labelled. Because a result depends only on its task, the same tasks
give the same labels in any worker, on any backend (:mod:`.backends`).

Episode flow inside a task: reset with the next seed, fly the behaviour policy through the
env's action set (``FlightEnv.actions``: speed from clearance, turn in place), epsilon-greedy on
the free-space labels in stage 1 (i.e. the depth oracle) and on the current network in stage 2
(a random cell with probability epsilon), record a state every
``sample_every`` steps, label it, restore it (stage 2 branches move the env) and go on; a new
episode starts after a collision or truncation. A task whose window (``states * sample_every``
steps) is shorter than an episode first flies a random number of unsampled steps (uniform in
``[0, max_steps - window]``, its first episode only), so late states (corners, dead ends far
down a hallway) are sampled as often as early ones; without that, small tasks labelled only the
first metres of every episode.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import FlightTrainConfig
from .envs import set_render
from ...sim.flight.queries import ACROSS
from .labels import free_space_labels, monte_carlo_labels

FREE_SPACE, MONTE_CARLO, VALIDATE = "free_space", "monte_carlo", "validate"
POLICY_FREE_SPACE = "policy_free_space"
"""States visited by the current policy (epsilon-greedy), labelled with ground-truth free space
(``stage2.label_source=free_space``): the policy's own state distribution (DAgger-style),
where its mistakes are (close to walls it misjudged)."""
VALIDATION_STREAM = 765_432  # training-range episode streams of the greedy learning-curve flights
FRAMES_STREAM = 987_654      # episode stream of the frames recorded for export parity


@dataclass(frozen=True)
class RolloutTask:
    """Work for one worker: ``states`` labelled states of kind FREE_SPACE or MONTE_CARLO."""

    kind: str
    task_id: int
    states: int
    rng_seed: int
    weights: dict[str, np.ndarray] | None = None


@dataclass
class RolloutResult:
    """Sampled images (N, H, W, 3) uint8, labels (N, cells) float32, labelled-cell mask (N, cells) bool,
    and the task's statistics (env steps, completed episodes' distance (m) and collision flag, seconds)."""

    images: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    env_steps: int = 0
    episode_distances: list[float] = field(default_factory=list)
    episode_collisions: list[bool] = field(default_factory=list)
    seconds: float = 0.0
    state_steps: list[int] = field(default_factory=list)
    """Episode step (0 = the reset) of each sampled state."""
    depth: np.ndarray | None = None
    """With ``aux_depth``: (N, S, S) float16 encoded depth of each image's state (:func:`.network.depth_targets`)."""

    @staticmethod
    def concat(results: list[RolloutResult]) -> RolloutResult:
        return RolloutResult(
            np.concatenate([r.images for r in results]), np.concatenate([r.targets for r in results]),
            np.concatenate([r.mask for r in results]), sum(r.env_steps for r in results),
            [d for r in results for d in r.episode_distances], [c for r in results for c in r.episode_collisions],
            sum(r.seconds for r in results), [t for r in results for t in r.state_steps],
            None if any(r.depth is None for r in results) else np.concatenate([r.depth for r in results]))


class Worker:
    """One env + one network copy; :meth:`run` executes tasks (used in-process, in worker
    processes and inside Ray actors alike)."""

    def __init__(self, config: FlightTrainConfig) -> None:
        import torch

        from .envs import LazyRenderEnv
        from .network import build_network

        torch.set_num_threads(1)
        self.config = config
        self.env = LazyRenderEnv(config.env)
        self.grid = self.env.grid
        self.net = build_network(config).eval()
        self._torch = torch

    def depth_target(self) -> np.ndarray:
        """(S, S) float16 auxiliary depth target of the current state (``aux_depth``)."""
        from .network import depth_targets

        return depth_targets(self.env.camera_depth()[None], self.net.depth_side, self.config.env.max_range)[0]

    # -- policies ------------------------------------------------------------------------
    def load_weights(self, weights: dict[str, np.ndarray]) -> None:
        self.net.load_state_dict({k: self._torch.from_numpy(np.asarray(v)) for k, v in weights.items()})

    def values(self, image: np.ndarray) -> np.ndarray:
        """(cells,) float32 network values of one uint8 (H, W, 3) image."""
        with self._torch.no_grad():
            return self.net(self._torch.from_numpy(np.ascontiguousarray(image))[None]).flatten().numpy()

    def greedy(self, image: np.ndarray) -> np.ndarray:
        """(4,) Twist of the current policy: the action set applied to the network's values."""
        return self.env.actions.act(self.values(image))[1]

    def _free_space(self) -> np.ndarray:
        """(cells,) stage-1 labels: the depth oracle's values (:meth:`FlightEnv.clearances`, ``ACROSS`` rays
        per cell)."""
        labels = self.config.labels
        clearance = self.env.clearances(ACROSS)
        return free_space_labels(clearance, self.grid, self.config.env.collision_radius,
                                 labels.gamma, labels.horizon).reshape(-1)

    # -- tasks ---------------------------------------------------------------------------
    def run(self, task: RolloutTask) -> RolloutResult:
        if task.kind not in (FREE_SPACE, MONTE_CARLO, VALIDATE, POLICY_FREE_SPACE):
            raise ValueError(f"unknown rollout task kind {task.kind!r}")
        if task.kind == VALIDATE:
            return self._validate(task)
        on_policy = task.kind in (MONTE_CARLO, POLICY_FREE_SPACE)
        if on_policy:
            if task.weights is None:
                raise ValueError(f"a {task.kind} task needs the current network weights")
            self.load_weights(task.weights)
        start = time.perf_counter()
        cfg, cells = self.config, self.grid.size
        stage = cfg.stage1 if task.kind == FREE_SPACE else cfg.stage2
        rng = np.random.default_rng(task.rng_seed)
        images, targets, masks, depths = [], [], [], []
        views = cfg.appearance_views
        view_rng = np.random.default_rng([task.rng_seed, 1])   # its own stream: the flights are those of views=1
        result = RolloutResult(np.empty(0), np.empty(0), np.empty(0))
        window = task.states * stage.sample_every
        skip = int(rng.integers(cfg.env.max_steps - window + 1)) if window < cfg.env.max_steps else 0
        episode = 0
        while len(result.state_steps) < task.states:
            # One episode stream per task (FlightEnv seeding: episode k of stream s is the same in
            # every process): the first reset picks the stream, later ones continue it.
            obs, _ = self.env.reset(seed=cfg.train_seed(task.task_id) if episode == 0 else None)
            first = skip if episode == 0 else 0
            episode += 1
            phase = int(rng.integers(stage.sample_every))

            def on_grid(step: int, first: int = first, phase: int = phase) -> bool:
                return step >= first and (step - first) % stage.sample_every == phase

            for t in range(cfg.env.max_steps):
                sample = on_grid(t) and len(result.state_steps) < task.states
                needs_free = task.kind == FREE_SPACE or (sample and task.kind == POLICY_FREE_SPACE)
                free = self._free_space() if needs_free else None
                if sample:
                    target, mask, steps = self._label(task.kind, free, rng)
                    images.append(obs.copy())
                    images.extend(self.env.render_restyled(int(view_rng.integers(2**31 - 1))) for _ in range(views - 1))
                    targets.extend([target] * views), masks.extend([mask] * views)
                    if cfg.aux_depth > 0:
                        depths.extend([self.depth_target()] * views)
                    result.state_steps.append(t)
                    result.env_steps += steps
                values = self.values(obs) if on_policy else free
                index = int(rng.integers(cells)) if rng.random() < stage.epsilon else int(np.argmax(values))
                action = self.env.actions.twist_for(values, index)
                # stage 1 steers by ground truth: only the images of sampled states are rendered
                set_render(self.env, on_policy or on_grid(t + 1))
                obs, _, terminated, truncated, info = self.env.step(action)
                result.env_steps += 1
                if terminated or truncated:
                    result.episode_distances.append(float(info["distance"]))
                    result.episode_collisions.append(bool(info["collision"]))
                    break
                if len(result.state_steps) >= task.states:
                    break
        result.images = np.stack(images)
        result.targets = np.stack(targets).astype(np.float32)
        result.mask = np.stack(masks)
        result.depth = np.stack(depths) if depths else None
        result.seconds = time.perf_counter() - start
        return result

    def _validate(self, task: RolloutTask) -> RolloutResult:
        """Greedy flights (no exploration) for the learning curve: ``task.states`` episodes,
        episode stream ``train_seed(VALIDATION_STREAM + task.task_id)`` (training range)."""
        assert task.weights is not None, "a validation task needs the network weights"
        self.load_weights(task.weights)
        start = time.perf_counter()
        empty = np.zeros((0, self.grid.size), np.float32)
        result = RolloutResult(np.zeros((0, *self.env.observation_space.shape), np.uint8), empty, empty.astype(bool))
        obs, _ = self.env.reset(seed=self.config.train_seed(VALIDATION_STREAM + task.task_id))
        for episode in range(task.states):
            if episode:
                obs, _ = self.env.reset()
            while True:
                obs, _, terminated, truncated, info = self.env.step(self.greedy(obs))
                result.env_steps += 1
                if terminated or truncated:
                    result.episode_distances.append(float(info["distance"]))
                    result.episode_collisions.append(bool(info["collision"]))
                    break
        result.seconds = time.perf_counter() - start
        return result

    def _label(self, kind: str, free: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
        cells = self.grid.size
        if kind in (FREE_SPACE, POLICY_FREE_SPACE):
            assert free is not None
            return free.astype(np.float32), np.ones(cells, bool), 0
        labels = self.config.labels
        k = self.config.labels_per_state
        candidates = np.arange(cells) if k == cells else np.sort(rng.choice(cells, size=k, replace=False))
        state = self.env.get_state()
        values, branches = monte_carlo_labels(self.env, state, candidates, self.greedy, labels.commit_steps,
                                              labels.horizon, labels.gamma, labels.policy_every)
        self.env.set_state(state)
        target = np.zeros(cells, np.float32)
        mask = np.zeros(cells, bool)
        target[candidates], mask[candidates] = values, True
        return target, mask, sum(b.env_steps for b in branches)


def fly_policy_frames(config: FlightTrainConfig, net: Any, count: int) -> np.ndarray:
    """``count`` frames seen while flying ``net`` greedily in training worlds (for export parity)."""
    worker = Worker(config)
    worker.net.load_state_dict(net.state_dict())
    frames: list[np.ndarray] = []
    episode = 0
    while len(frames) < count:
        obs, _ = worker.env.reset(seed=config.train_seed(FRAMES_STREAM) if episode == 0 else None)
        episode += 1
        for _ in range(config.env.max_steps):
            frames.append(obs.copy())
            obs, _, terminated, truncated, _ = worker.env.step(worker.greedy(obs))
            if terminated or truncated or len(frames) >= count:
                break
    worker.env.close()
    return np.stack(frames[:count])


__all__ = ["FREE_SPACE", "MONTE_CARLO", "POLICY_FREE_SPACE", "VALIDATE", "RolloutResult", "RolloutTask", "Worker", "fly_policy_frames"]
