"""Training, evaluation and export settings of the CAD2RL flight policy.

Presets: ``smoke`` (seconds, tests), ``cpu`` (default: a 2-core laptop, a few minutes), ``paper``
(CAD2RL's sizes for a GPU machine: larger image, finer grid, VGG-like trunk, many rollouts).
Override anything with ``key=value`` (``greenroom train flight stage2.iterations=3
env.image_size=96 rollout.backend=ray``). The env settings are the simulator's own
:class:`~greenroom.sim.flight.config.FlightEnvConfig`, embedded under ``env``.

Seeds: training worlds use episode seeds ``seed * 1_000_003 + k`` taken modulo
``eval.seed_start``, so they never reach the held-out range ``[eval.seed_start,
eval.seed_start + eval.episodes)`` used by evaluation (checked in ``__post_init__``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ...sim.flight.config import FlightEnvConfig

BACKENDS = ("process", "ray")
LABEL_SOURCES = ("monte_carlo", "free_space")
BASELINES = ("straight", "random", "oracle", "gt_oracle", "ppo")
"""straight / random: fixed-speed grid cells; oracle: the depth oracle and gt_oracle: the
ground-truth map planner (both on the env's action set, :mod:`greenroom.sim.flight.oracles`);
ppo: SB3 PPO for the same wall-clock."""
DEVICES = ("auto", "cpu", "cuda")


INPUT_NORMS = ("none", "instance")
DEPTH_UPSCALE = 4
"""The auxiliary depth map (``aux_depth``) is this many times the trunk's last feature map a side
(16 px at the cpu preset's 64 px input)."""


def trunk_side(image_size: int, stages: int) -> int:
    """Side (px) of the value CNN's last feature map: ``image_size`` after ``stages`` stride-2 3x3 convs
    (padding 1)."""
    side = image_size
    for _ in range(stages):
        side = (side + 1) // 2
    return side


@dataclass(frozen=True)
class NetworkConfig:
    """Value CNN (see :mod:`.network`): stride-2 stage widths, convs per stage, FC width.

    input_norm: ``none`` (pixels / 255) or ``instance`` (each image's channels standardized to zero
    mean, unit standard deviation: a per-channel gain or offset of the whole image, as a dark or
    tinted texture set gives, does not reach the trunk); mirror_average: average the value grid of
    the image and of its mirror image (grid columns mirrored back), so the policy is left-right
    symmetric by construction; it has no weights, so ``greenroom export`` and ``evaluate`` may switch
    it on for a trained run. average_checkpoints: the policy's weights are the element-wise mean of
    the run's newest N checkpoints (one per stage-2 round) instead of the newest alone; it trains
    nothing, so ``export`` and ``evaluate`` may set it for a trained run that kept N checkpoints
    (every run keeps 3, a run trained with a larger N keeps N).
    """

    channels: tuple[int, ...] = (16, 32, 64, 64)
    convs_per_stage: int = 1
    hidden: int = 256
    input_norm: str = "none"
    mirror_average: bool = False
    average_checkpoints: int = 1

    def __post_init__(self) -> None:
        if self.input_norm not in INPUT_NORMS:
            raise ValueError(f"network.input_norm must be one of {', '.join(INPUT_NORMS)}, got {self.input_norm!r}")
        if not self.channels or any(c < 1 for c in self.channels):
            raise ValueError(f"network.channels must be positive widths, got {self.channels}")
        if self.average_checkpoints < 1:
            raise ValueError(f"network.average_checkpoints must be >= 1, got {self.average_checkpoints}")
        if self.convs_per_stage < 1 or self.hidden < 1:
            raise ValueError(f"network.convs_per_stage and hidden must be >= 1, got {self.convs_per_stage}, {self.hidden}")


@dataclass(frozen=True)
class LabelConfig:
    """Label scale shared by both stages (see :mod:`.labels`).

    gamma: discount per control step; horizon: steps of the return (candidate + policy steps);
    commit_steps: control steps flown along the candidate direction before the current policy
    takes over (stage 2); policy_every: the policy re-decides every this many steps inside a
    Monte Carlo branch (only those images are rendered); candidates: directions tried per state
    (0 = every grid cell). At 1 m/s and 10 Hz a step is 0.1 m: the cpu horizon looks 4 m ahead.
    """

    gamma: float = 0.97
    horizon: int = 40
    commit_steps: int = 5
    policy_every: int = 4
    candidates: int = 5

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.policy_every < 1:
            raise ValueError(f"labels.horizon and policy_every must be >= 1, got {self.horizon}, {self.policy_every}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"labels.gamma must be in (0, 1], got {self.gamma}")
        if not 1 <= self.commit_steps <= self.horizon:
            raise ValueError(f"labels.commit_steps must be in [1, horizon={self.horizon}], got {self.commit_steps}")
        if self.candidates < 0:
            raise ValueError(f"labels.candidates must be >= 0 (0 = all cells), got {self.candidates}")


@dataclass(frozen=True)
class Stage1Config:
    """Free-space pretraining: ``states`` labelled states, ``epochs`` passes over them.

    States come from exploratory flights: with probability ``epsilon`` a random direction, else
    the freest one (argmax of the free-space labels); a state is recorded every
    ``sample_every`` control steps.
    """

    states: int = 40000
    epochs: int = 10
    epsilon: float = 0.5
    sample_every: int = 2

    def __post_init__(self) -> None:
        if self.states < 1 or self.epochs < 0 or self.sample_every < 1 or not 0 <= self.epsilon <= 1:
            raise ValueError(f"stage1 needs states >= 1, epochs >= 0, sample_every >= 1, epsilon in [0, 1], got {self}")


@dataclass(frozen=True)
class Stage2Config:
    """Monte Carlo policy evaluation rounds (CAD2RL Fig. 1).

    iterations: rounds of (sample states with the current policy -> MC labels -> regress);
    states_per_iteration: labelled states per round; epsilon: probability of a random direction
    while sampling states (exploration); sample_every: control steps between sampled states; updates: gradient steps per round; replay: newest
    labelled states kept for training (stage 1 states included); time_budget_s: stop after
    this many seconds of stage 2 (0 = no limit); validation_episodes: greedy flights in training
    worlds after stage 1 and after every round, logged as the learning curve
    (``charts/greedy_distance_m``; 0 = off); label_source: ``monte_carlo`` (CAD2RL: branch
    rollouts under the current policy label ``labels.candidates`` cells) or ``free_space`` (the
    states the current policy visits, labelled with ground-truth free space in every cell: no
    branches, so many more states per second; DAgger-style aggregation).
    """

    iterations: int = 20
    states_per_iteration: int = 128
    epsilon: float = 0.2
    sample_every: int = 3
    updates: int = 300
    replay: int = 48000
    time_budget_s: float = 540.0
    validation_episodes: int = 4
    label_source: str = "monte_carlo"

    def __post_init__(self) -> None:
        if self.label_source not in LABEL_SOURCES:
            raise ValueError(f"stage2.label_source must be one of {', '.join(LABEL_SOURCES)}, got {self.label_source!r}")
        if self.sample_every < 1 or self.validation_episodes < 0:
            raise ValueError(f"stage2 needs sample_every >= 1 and validation_episodes >= 0, got {self}")
        if self.iterations < 0 or self.states_per_iteration < 1 or self.updates < 0 or self.replay < 1:
            raise ValueError(f"stage2 needs iterations >= 0, states_per_iteration >= 1, updates >= 0, replay >= 1, got {self}")
        if not 0 <= self.epsilon <= 1:
            raise ValueError(f"stage2.epsilon must be in [0, 1], got {self.epsilon}")
        if self.time_budget_s < 0:
            raise ValueError(f"stage2.time_budget_s must be >= 0 s, got {self.time_budget_s}")


@dataclass(frozen=True)
class RolloutConfig:
    """Where rollouts run: ``process`` (multiprocessing workers, default) or ``ray`` (tasks on a
    Ray cluster: ``ray_address`` None = start a local instance, "auto" = join the running one).

    chunk_states: labelled states per task; 0 (default) = :meth:`FlightTrainConfig.chunk_for`:
    one whole episode of samples (``ceil(env.max_steps / sample_every)``), fewer only so that
    every worker gets a task. A task's states come from consecutive steps of its episodes, so a
    window shorter than an episode starts at a random step of its first episode (the steps
    before it are flown, not sampled): the labelled states cover whole episodes either way.
    """

    backend: str = "process"
    workers: int = 2
    ray_address: str | None = None
    chunk_states: int = 0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"rollout.backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.workers < 1 or self.chunk_states < 0:
            raise ValueError(f"rollout.workers must be >= 1 and chunk_states >= 0 (0 = one episode), got "
                             f"{self.workers}, {self.chunk_states}")


@dataclass(frozen=True)
class EvalConfig:
    """Held-out evaluation (``greenroom evaluate``).

    seed_start: first held-out episode seed (training never uses seeds >= this); episodes:
    episodes per method and world set; appearance_textures: texture images of the held-out
    appearance set, worn by every surface ("heldout" = photos and colour-mapped rasters from
    matplotlib's sample data, written by :mod:`.appearance`; "validation" = scikit-image's
    photographs, the set benches choose settings on; or a folder of images);
    appearance: extra ``key=value`` env overrides for that set;
    baselines: methods run beside the policy (``BASELINES``); ppo_budget_s: wall-clock seconds for the PPO
    baseline (0 = the policy's own training time, from run.json); video_episodes: episodes
    recorded to the video.
    """

    seed_start: int = 1_000_000
    episodes: int = 10
    appearance_textures: str = "heldout"
    appearance: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ("straight", "random", "oracle", "gt_oracle", "ppo")
    ppo_budget_s: float = 0.0
    video_episodes: int = 1

    def __post_init__(self) -> None:
        if self.seed_start < 1000 or self.episodes < 1 or self.video_episodes < 0:
            raise ValueError(f"eval needs seed_start >= 1000, episodes >= 1, video_episodes >= 0, got {self}")
        unknown = [b for b in self.baselines if b not in BASELINES]
        if unknown:
            raise ValueError(f"eval.baselines: unknown {unknown}; valid: {', '.join(BASELINES)}")


@dataclass(frozen=True)
class FlightTrainConfig:
    """Everything ``greenroom train flight`` needs (nested sections documented on their classes).

    env: simulator settings; seed: master seed (worlds, exploration, init); lr, batch_size,
    weight_decay: Adam regression of the value grid; augment_flip: mirror half of every batch
    left-right (image and grid columns); augment_random_conv: share of every batch passed through a
    random convolution (:func:`~greenroom.policies.flight.trainer.random_convolution`; 0 = off);
    appearance_views: images per labelled state in both stages: the state as flown, plus
    ``appearance_views - 1`` renders of the same pose under other draws of the appearance groups
    (:meth:`~greenroom.sim.flight.env.FlightEnv.render_restyled`), all with the state's label, so a
    label is seen under several appearances (1 = off); aux_depth: weight of an auxiliary loss in
    training only: a head on the trunk predicts the camera's coarse log depth of every sampled state
    (:func:`~greenroom.policies.flight.network.depth_targets`), dense geometry supervision beside the
    grid's few labels; the acting network and its ONNX graph are unchanged (0 = off); device: auto (cuda when available) / cpu /
    cuda; threads: torch CPU threads of the trainer (1 is fastest on a busy 2-core machine, where
    rollout workers use the cores; 0 = torch's default); export_observations: recorded frames used for the ONNX parity check (>= 256).
    """

    env: FlightEnvConfig = field(default_factory=FlightEnvConfig.cpu)
    seed: int = 0
    network: NetworkConfig = field(default_factory=NetworkConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
    stage1: Stage1Config = field(default_factory=Stage1Config)
    stage2: Stage2Config = field(default_factory=Stage2Config)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    augment_flip: bool = True
    augment_random_conv: float = 0.0
    appearance_views: int = 1
    aux_depth: float = 0.0
    device: str = "auto"
    threads: int = 1
    export_observations: int = 256

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.lr <= 0 or self.batch_size < 1 or self.weight_decay < 0:
            raise ValueError(f"need lr > 0, batch_size >= 1, weight_decay >= 0, got {self.lr}, {self.batch_size}, {self.weight_decay}")
        if self.threads < 0:
            raise ValueError(f"threads must be >= 0 (0 = torch default), got {self.threads}")
        if not 0.0 <= self.augment_random_conv <= 1.0:
            raise ValueError(f"augment_random_conv must be a share in [0, 1], got {self.augment_random_conv}")
        if self.appearance_views < 1:
            raise ValueError(f"appearance_views must be >= 1 (1 = the flown view), got {self.appearance_views}")
        if self.aux_depth < 0:
            raise ValueError(f"aux_depth must be a loss weight >= 0 (0 = off), got {self.aux_depth}")
        side = trunk_side(self.env.image_size, len(self.network.channels))
        if self.aux_depth > 0 and self.env.image_size % (DEPTH_UPSCALE * side):
            raise ValueError(f"aux_depth needs env.image_size to be a multiple of the depth map's side "
                             f"{DEPTH_UPSCALE * side} px, got {self.env.image_size}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.export_observations < 256:
            raise ValueError(f"export_observations must be >= 256 (parity check size), got {self.export_observations}")
        if self.env.image_size < 2 ** len(self.network.channels):
            raise ValueError(f"env.image_size {self.env.image_size} px is too small for {len(self.network.channels)} "
                             f"stride-2 stages (network.channels)")

    def train_seed(self, k: int) -> int:
        """Episode seed of the k-th training episode: never in the held-out evaluation range."""
        return (self.seed * 1_000_003 + k) % self.eval.seed_start

    def chunk_for(self, sample_every: int, states: int) -> int:
        """States per rollout task when ``states`` are collected every ``sample_every`` steps:
        ``rollout.chunk_states``, or (0) one whole episode of samples, capped so that each of
        ``rollout.workers`` gets a task."""
        if self.rollout.chunk_states:
            return self.rollout.chunk_states
        episode = math.ceil(self.env.max_steps / sample_every)
        return max(1, min(episode, math.ceil(states / self.rollout.workers)))

    @property
    def labels_per_state(self) -> int:
        cells = self.env.grid_rows * self.env.grid_cols
        return cells if self.labels.candidates == 0 else min(cells, self.labels.candidates)

    @classmethod
    def smoke(cls) -> FlightTrainConfig:
        """Seconds: tiny net, a few states, one MC round, 2 eval episodes, no PPO."""
        return cls(env=FlightEnvConfig.smoke(), network=NetworkConfig(channels=(8, 16, 16), hidden=32),
                   labels=LabelConfig(horizon=12, commit_steps=3, policy_every=3, candidates=3),
                   stage1=Stage1Config(states=64, epochs=2),
                   stage2=Stage2Config(iterations=2, states_per_iteration=8, updates=10, replay=512, validation_episodes=2,
                                       time_budget_s=0.0),
                   rollout=RolloutConfig(workers=2, chunk_states=4),
                   eval=EvalConfig(episodes=2, baselines=("straight", "random", "oracle"), video_episodes=1),
                   batch_size=32)

    @classmethod
    def cpu(cls) -> FlightTrainConfig:
        """A 2-core laptop in under 20 minutes: 64 px, 3x5 grid, small CNN, 2 rollout workers,
        40k free-space states x 10 epochs, then Monte Carlo rounds for at most 9 minutes."""
        return cls()

    @classmethod
    def paper(cls) -> FlightTrainConfig:
        """CAD2RL's scale for a GPU: 224 px, 9x9 grid, VGG-like trunk, many MC rounds."""
        return cls(env=FlightEnvConfig.paper(),
                   network=NetworkConfig(channels=(64, 128, 256, 512, 512), convs_per_stage=2, hidden=1024),
                   labels=LabelConfig(horizon=60, commit_steps=5, policy_every=2, candidates=16),
                   stage1=Stage1Config(states=50_000, epochs=10),
                   stage2=Stage2Config(iterations=20, states_per_iteration=2000, updates=2000, replay=200_000,
                                       time_budget_s=0.0),
                   rollout=RolloutConfig(workers=16), eval=EvalConfig(episodes=50), batch_size=64, lr=3e-4)

    def with_env(self, **changes: object) -> FlightTrainConfig:
        return replace(self, env=replace(self.env, **changes))
