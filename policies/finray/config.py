"""Training config of the fin-ray task: env, SAC hyperparameters, asynchronous actor/learner layout.

``paper`` follows the public APT-RL demo (jx-wang-s-group/APT-RL asyncKS.py, see
shared/docs/papers.md 3.3): MLP [256, 256], gamma 0.977, lr 1e-3, polyak 0.995 (tau 0.005),
fixed alpha 0.2, batch 128, updates start after 1200 transitions, replay 1e6. The fin-ray FSI
paper's own values are not public; nothing here claims to reproduce its numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from ...sim.finray.config import FinRayEnvConfig

ALGOS = ("async", "sync")
BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class SACConfig:
    """Soft actor-critic hyperparameters (passed to stable_baselines3.SAC)."""

    learning_rate: float = 3e-4  # Adam lr of actor, critics and entropy coefficient
    gamma: float = 0.95  # discount per control step (50 Hz: horizon ~0.4 s, about one 3 Hz stroke)
    tau: float = 0.005  # polyak factor of the target critics
    batch_size: int = 128
    buffer_size: int = 200_000  # transitions
    learning_starts: int = 1_000  # transitions collected with random actions before updates
    net_arch: tuple[int, ...] = (128, 128)  # hidden sizes of actor and critics (paper: 256, 256)
    ent_coef: str = "auto"  # "auto" (learned toward target_entropy) or a fixed float as text, e.g. "0.2"
    target_entropy: str = "auto"  # entropy the learned coefficient aims at: "auto" (-dim(A)) or a float as text
    updates_per_sample: float = 1.0  # gradient updates per environment transition (>= 1 integer or 1/k)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.buffer_size < self.batch_size:
            raise ValueError(f"need 1 <= batch_size <= buffer_size, got {self.batch_size} and {self.buffer_size}")
        ups = self.updates_per_sample
        if ups <= 0:
            raise ValueError(f"updates_per_sample must be > 0, got {ups}")
        ok = abs(ups - round(ups)) < 1e-9 if ups >= 1 else abs(1 / ups - round(1 / ups)) < 1e-6
        if not ok:
            raise ValueError(f"updates_per_sample must be an integer >= 1 or 1/k (0.5, 0.25, ...), got {ups}")
        for name in ("ent_coef", "target_entropy"):
            value = getattr(self, name)
            if value != "auto":
                try:
                    float(value)
                except ValueError:
                    raise ValueError(f"{name} must be 'auto' or a number, got {value!r}") from None

    def sb3_ent_coef(self) -> str | float:
        return _auto_or_float(self.ent_coef)

    def sb3_target_entropy(self) -> str | float:
        return _auto_or_float(self.target_entropy)


def _auto_or_float(value: str) -> str | float:
    return value if value == "auto" else float(value)


@dataclass(frozen=True)
class AsyncConfig:
    """Asynchronous parallel training (actors stream transitions, the learner trains continuously)."""

    n_actors: int = 2  # actor processes, each with its own env and policy copy
    backend: str = "local"  # local: multiprocessing processes; ray: Ray actors (ray.init must reach a cluster)
    broadcast_every: int = 50  # learner sends actor weights every K gradient updates
    chunk: int = 25  # transitions per message from an actor to the learner
    ray_address: str = "local"  # address for ray.init when backend=ray ("local" starts one on this machine)

    def __post_init__(self) -> None:
        if self.n_actors < 1:
            raise ValueError(f"n_actors must be >= 1, got {self.n_actors}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.broadcast_every < 1 or self.chunk < 1:
            raise ValueError(f"broadcast_every and chunk must be >= 1, got {self.broadcast_every}, {self.chunk}")


@dataclass(frozen=True)
class FinRayTrainConfig:
    """Everything ``greenroom train finray`` needs; override with e.g. ``algo=sync sac.batch_size=128``."""

    algo: str = "async"  # async (APT-style actors + learner) or sync (SB3 SAC.learn, the reference)
    total_steps: int = 250_000  # environment transitions (all actors together; ~14 min on 2 cores)
    seed: int = 0
    device: str = "auto"  # learner device: auto picks cuda when available
    checkpoint_every: int = 10_000  # transitions between checkpoints (atomic, replay buffer included: ~0.5 GB)
    log_every: int = 1_000  # transitions between metric rows
    eval_episodes: int = 10  # episodes of `greenroom evaluate` (fixed seeds; gains vary a lot per episode)
    torch_threads: int = 1  # learner intra-op threads (actors always use 1)
    target_return: Optional[float] = None  # record wall time/samples when the mean episode return first reaches it
    stop_at_target: bool = False  # end training there (like SB3's StopTrainingOnRewardThreshold)
    return_window: int = 10  # episodes in the running mean return
    env: FinRayEnvConfig = field(default_factory=FinRayEnvConfig)
    sac: SACConfig = field(default_factory=SACConfig)
    parallel: AsyncConfig = field(default_factory=AsyncConfig)

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {self.total_steps}")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("checkpoint_every and log_every must be >= 1")
        if self.stop_at_target and self.target_return is None:
            raise ValueError("stop_at_target needs a target_return")

    @classmethod
    def smoke(cls) -> FinRayTrainConfig:
        return cls(total_steps=400, checkpoint_every=200, log_every=100, eval_episodes=1,
                   env=FinRayEnvConfig.smoke(),
                   sac=SACConfig(batch_size=32, buffer_size=2_000, learning_starts=100, net_arch=(32, 32)),
                   parallel=AsyncConfig(n_actors=2, broadcast_every=10, chunk=10))

    @classmethod
    def cpu(cls) -> FinRayTrainConfig:
        return cls()

    @classmethod
    def paper(cls) -> FinRayTrainConfig:
        return cls(total_steps=400_000, checkpoint_every=20_000, log_every=5_000, eval_episodes=20,
                   torch_threads=4, env=FinRayEnvConfig.paper(),
                   sac=SACConfig(learning_rate=1e-3, gamma=0.977, tau=0.005, batch_size=128, buffer_size=1_000_000,
                                 learning_starts=1_200, net_arch=(256, 256), ent_coef="0.2"),
                   parallel=AsyncConfig(n_actors=8, broadcast_every=50))

    def with_env(self, **changes: object) -> FinRayTrainConfig:
        return replace(self, env=replace(self.env, **changes))
