"""Controllers compared in ``greenroom evaluate``: the policy (torch or ONNX) and the baselines.

Every controller maps (image, env) to a Twist ``[vx, vy, vz, yaw_rate]`` (m/s, rad/s, body
frame) that the evaluation flies. Baselines:

- ``straight``: always the cell closest to straight ahead at the reference speed.
- ``random``: a uniformly random cell every step at the reference speed (seeded per episode).
- ``oracle``: the depth oracle (``FlightEnv.depth_oracle_twist``): perfect free distances
  along the grid, through the env's action set: the ceiling of a one-image value grid.
- ``gt_oracle``: the ground-truth planner (``FlightEnv.map_oracle_twist``): the map and rays
  all around, the same action set: what the task allows.
- ``ppo``: SB3 PPO with ``CnnPolicy`` trained on the same env (training world seeds) with the
  same compute as the policy (``rollout.workers`` env processes, the same torch threads and
  wall-clock budget), on :func:`grid_actions` (the grid cells at the reference speed, plus
  turn in place when the env's action set has it).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .config import FlightTrainConfig

log = logging.getLogger(__name__)

PPO_STREAM = 876_543
Controller = Callable[[np.ndarray, Any], np.ndarray]
"""(uint8 (H, W, 3) image, env) -> (4,) Twist."""


def straight_controller(grid: Any) -> Controller:
    twist = grid.twist(grid.center_index())
    return lambda image, env: twist


def random_controller(grid: Any, seed: int) -> Controller:
    rng = np.random.default_rng(seed)
    return lambda image, env: grid.twist(int(rng.integers(grid.size)))


def oracle_controller() -> Controller:
    return lambda image, env: env.depth_oracle_twist()


def gt_oracle_controller() -> Controller:
    return lambda image, env: env.map_oracle_twist()


def grid_actions(actions: Any) -> np.ndarray:
    """(n, 4) the PPO baseline's discrete Twists from an ActionSet: every cell at the reference
    speed, plus turn in place (left, right) when the action set can turn in place."""
    twists = [actions.grid.twists()]
    if actions.config.mode == "clearance":
        twists.append(np.stack([actions.turn(1.0), actions.turn(-1.0)]))
    return np.concatenate(twists).astype(np.float32)


def ppo_action_table(config: FlightTrainConfig) -> np.ndarray:
    """The PPO baseline's Twist per discrete action for ``config.env`` (:func:`grid_actions`)."""
    from ...sim.flight.actions import ActionSet

    return grid_actions(ActionSet.from_config(config.env))


def ppo_controller(model: Any, table: np.ndarray) -> Controller:
    return lambda image, env: table[int(model.predict(image, deterministic=True)[0])]


# -- PPO -----------------------------------------------------------------------------------
def _grid_env(config: FlightTrainConfig, rank: int = 0):  # type: ignore[no-untyped-def]
    """The PPO env: :class:`FlightEnv` with discrete :func:`grid_actions`, episode stream
    ``train_seed(PPO_STREAM + rank)`` (one stream per parallel env, all in the training range)."""
    import gymnasium as gym

    from ...sim.flight.env import FlightEnv

    class GridActions(gym.Wrapper):
        """Discrete actions = :func:`grid_actions`; resets cycle through training seeds."""

        def __init__(self, env: FlightEnv) -> None:
            super().__init__(env)
            self.table = grid_actions(env.actions)
            self.action_space = gym.spaces.Discrete(len(self.table))
            self._episode = 0

        def reset(self, *, seed: int | None = None, options: dict | None = None):  # type: ignore[override]
            # one training episode stream (seed outside the held-out range), continued across resets
            stream = config.train_seed(PPO_STREAM + rank) if self._episode == 0 else None
            self._episode += 1
            return self.env.reset(seed=stream, options=options)

        def step(self, action: int):  # type: ignore[override]
            return self.env.step(self.table[int(action)])

    return GridActions(FlightEnv(config.env))


def monitor_path(model_path: Path) -> Path:
    """The SB3 monitor log (``*.monitor.csv``) written beside a PPO model while it trains."""
    return model_path.with_name(model_path.stem + ".monitor.csv")


def ppo_learning_curve(model_path: Path, bin_s: float = 60.0) -> list[dict[str, float]]:
    """PPO's learning curve from its monitor log: per ``bin_s`` seconds of training, the episodes
    that ended in it and their mean flown distance (m) and return.

    Read with ``csv`` rather than SB3's ``load_results``: that one merges every ``*monitor.csv`` of
    a folder, while an evaluation folder may hold other runs' logs."""
    import csv

    path = monitor_path(model_path)
    if not path.is_file():
        return []
    with path.open() as handle:
        next(handle)                     # SB3's JSON header line
        rows = [(float(r["t"]), float(r["distance"]), float(r["r"])) for r in csv.DictReader(handle)]
    curve = []
    for start in np.arange(0.0, max((t for t, _, _ in rows), default=0.0) + 1e-9, bin_s):
        inside = [(d, r) for t, d, r in rows if start <= t < start + bin_s]
        if inside:
            curve.append({"t_end_s": float(start + bin_s), "episodes": len(inside),
                          "mean_distance_m": float(np.mean([d for d, _ in inside])),
                          "mean_return": float(np.mean([r for _, r in inside]))})
    return curve


def train_ppo(config: FlightTrainConfig, budget_s: float, path: Path, seed: int = 0) -> Any:
    """Train SB3 PPO (CnnPolicy) for ``budget_s`` wall-clock seconds; save to ``path`` (.zip),
    its training episodes to :func:`monitor_path` (SB3 ``VecMonitor``, with the flown distance).

    Same compute as our trainer: ``rollout.workers`` env processes (SB3 ``SubprocVecEnv``,
    spawn; our trainer runs that many rollout processes), the learner on ``threads`` torch
    threads, the same wall-clock budget.
    """
    from functools import partial

    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecMonitor

    if config.env.image_size < 36:
        raise ValueError(f"the PPO baseline's CnnPolicy (NatureCNN) needs images >= 36 px, env.image_size is "
                         f"{config.env.image_size}; drop 'ppo' from eval.baselines")

    class WallClock(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.deadline = time.perf_counter() + budget_s

        def _on_step(self) -> bool:
            return time.perf_counter() < self.deadline

    import torch

    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)   # same thread policy as our trainer
    workers = config.rollout.workers
    makers = [partial(_grid_env, config, rank) for rank in range(workers)]
    env = SubprocVecEnv(makers, start_method="spawn") if workers > 1 else DummyVecEnv(makers)
    # episode return, length, wall time and flown distance of every training episode: the learning curve
    env = VecMonitor(env, filename=str(monitor_path(path)), info_keywords=("distance",))
    model = PPO("CnnPolicy", env, n_steps=256, batch_size=64, n_epochs=4, learning_rate=3e-4, gamma=0.95,
                seed=seed, verbose=0, device="auto")
    started = time.perf_counter()
    try:
        model.learn(total_timesteps=10**9, callback=WallClock(), progress_bar=False)
    finally:
        torch.set_num_threads(threads)
    log.info("PPO trained %d steps in %.0f s on %d envs", model.num_timesteps, time.perf_counter() - started, workers)
    model.save(str(path))
    env.close()
    return model


def load_or_train_ppo(config: FlightTrainConfig, budget_s: float, folder: Path) -> tuple[Any, dict[str, float]]:
    """A PPO model trained for ``budget_s`` seconds (cached in ``folder/ppo.zip`` with its budget)
    and its metadata; its actions index :func:`ppo_action_table`."""
    import json

    from stable_baselines3 import PPO

    path, meta_path = folder / "ppo.zip", folder / "ppo.json"
    if path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if abs(meta.get("budget_s", -1) - budget_s) < 1.0 and meta.get("image_size") == config.env.image_size:
            # a fresh PPO of the same shape, then only the zip's .pth tensors (torch.load weights_only):
            # PPO.load would unpickle the zip's cloudpickled entries, i.e. run code from a shared run dir
            model = PPO("CnnPolicy", _grid_env(config), n_steps=256, batch_size=64, n_epochs=4, seed=config.seed,
                        verbose=0, device="cpu")
            try:
                model.set_parameters(str(path), exact_match=True, device="cpu")
                return model, meta
            except (ValueError, RuntimeError, KeyError, OSError) as exc:
                log.warning("cached PPO baseline %s is unusable (%s); training a new one", path, exc)
    started = time.perf_counter()
    model = train_ppo(config, budget_s, path, seed=config.seed)
    meta = {"budget_s": budget_s, "train_seconds": time.perf_counter() - started, "timesteps": int(model.num_timesteps),
            "envs": config.rollout.workers, "threads": config.threads,
            "image_size": config.env.image_size, "learning_curve": ppo_learning_curve(path)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return model, meta
