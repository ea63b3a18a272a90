"""``greenroom evaluate RUN`` / ``--onnx FILE``: the policy against baselines on held-out worlds.

World sets (both never used in training):

- ``heldout-worlds``: episode seeds ``eval.seed_start + i`` (i < ``eval.episodes``), each its own
  freshly generated world; training seeds are always below ``eval.seed_start``.
- ``heldout-appearance``: the same worlds with every surface wearing textures from the held-out
  appearance set (:mod:`.appearance`), which training never renders.

Methods: ``policy`` (the trained network, torch; or the exported ONNX model with ``--onnx``,
through the action set of its contract) and the baselines of :mod:`.baselines` (straight,
random, oracle = depth oracle, gt_oracle = ground-truth planner, ppo), all on the same seeds.
Each flies Twists until a collision or truncation (distance cap / step limit).

Metrics per method and world set: mean and median collision-free distance (m), success rate
(reached the ``env.max_distance`` cap without collision), collisions per 100 m flown.

Outputs in ``RUN/eval/`` (``--onnx`` alone: ``runs/eval/flight/<timestamp>/``, never beside the
model, which may be read-only or inside an installed package): ``eval.json``,
``eval.md`` (table), ``bars.png``, ``trajectories.png``, ``learning_curve.png`` (runs only) and
``policy.mp4`` (see :mod:`.report`).
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..common.config import apply_overrides, load_config
from ..common.rundir import RunDir, atomic_write_json, runs_root
from .appearance import heldout_env_config
from .baselines import (Controller, gt_oracle_controller, load_or_train_ppo, oracle_controller, ppo_action_table,
                        ppo_controller, random_controller, straight_controller)
from .config import FlightTrainConfig

log = logging.getLogger(__name__)

IMAGE_FREE = {"straight", "random", "oracle", "gt_oracle"}   # controllers that never look at the image
WORLD_SETS = ("heldout-worlds", "heldout-appearance")


@dataclass
class Episode:
    """One evaluation flight: distance flown (m), collision, success (reached the cap), steps, x-y path (m)."""

    method: str
    world_set: str
    seed: int
    distance: float
    collided: bool
    success: bool
    steps: int
    trajectory: list[list[float]] = field(default_factory=list, repr=False)


class PolicyController:
    """A value function ``values_fn(image) -> (rows, cols)`` through an :class:`ActionSet` (the
    env's, or the exported model's contract's); keeps the last values."""

    def __init__(self, values_fn: Any, actions: Any = None) -> None:
        self.values_fn, self.actions = values_fn, actions
        self.last_values: np.ndarray | None = None

    def __call__(self, image: np.ndarray, env: Any) -> np.ndarray:
        self.last_values = np.asarray(self.values_fn(image))
        return (self.actions or env.actions).act(self.last_values)[1]


def torch_values(net: Any) -> Any:
    import torch

    net = net.eval()

    def values(image: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(np.ascontiguousarray(image))[None])[0].numpy()

    return values


def fly(env: Any, controller: Controller, seed: int, method: str, world_set: str, needs_image: bool,
        frames: list[np.ndarray] | None = None, values: list[np.ndarray] | None = None) -> Episode:
    """One episode with ``controller`` from ``env.reset(seed=seed)`` (a fresh world stream)."""
    from .envs import set_render

    obs, info = env.reset(seed=seed)
    path = [info["pose"][:2].tolist()]
    set_render(env, needs_image or frames is not None)
    try:
        while True:
            action = controller(obs, env)
            if frames is not None:
                frames.append(obs.copy())
                if values is not None and isinstance(controller, PolicyController) and controller.last_values is not None:
                    values.append(controller.last_values.copy())
            obs, _, terminated, truncated, info = env.step(action)
            path.append(info["pose"][:2].tolist())
            if terminated or truncated:
                break
    finally:
        set_render(env, True)
    collided = bool(info["collision"])
    success = not collided and info["distance"] >= env.config.max_distance - 1e-6
    return Episode(method, world_set, seed, float(info["distance"]), collided, bool(success), len(path) - 1, path)


def summarize(episodes: list[Episode]) -> dict[str, float]:
    distances = np.array([e.distance for e in episodes])
    collisions = sum(e.collided for e in episodes)
    return {"episodes": len(episodes), "mean_distance_m": float(distances.mean()),
            "median_distance_m": float(np.median(distances)),
            "success_rate": float(np.mean([e.success for e in episodes])),
            "collisions_per_100m": float(100.0 * collisions / max(distances.sum(), 1e-9))}


def _resolve(run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> FlightTrainConfig:
    if run is not None:
        return apply_overrides(load_config(FlightTrainConfig, run.config_path), overrides)
    assert onnx is not None
    beside = Path(onnx).with_suffix(".config.yaml")
    if beside.is_file():
        from ..common.export import config_sha256
        from ..runtime.contract import load_contract_for

        import yaml

        # the file as written at export is what the contract hashed; settings added since then load
        # with their defaults (the behaviour those exports were made with)
        written = yaml.safe_load(beside.read_text())
        if config_sha256(written if isinstance(written, dict) else {}) != load_contract_for(onnx).config_sha256:
            raise ValueError(f"{beside} does not match the config hash in {onnx}'s contract; re-export the model")
        return apply_overrides(load_config(FlightTrainConfig, beside), overrides)
    # no training config beside the model: the preset, flying the contract's action set (cad2rl for
    # contracts older than action sets), so the oracles fly the same actions as the policy

    from ...sim.flight.actions import ActionConfig
    from ..common.config import make_preset
    from ..runtime.contract import load_contract_for

    spec_actions = load_contract_for(onnx).spec.get("actions")
    base = make_preset(FlightTrainConfig, preset)
    base = base.with_env(actions=ActionConfig.from_dict(spec_actions))
    return apply_overrides(base, overrides)


def _check_contract_against(policy: Any, config: FlightTrainConfig, onnx: Path) -> None:
    """The contract's Twist table, limits and rate must be the evaluation env's (ValueError naming the field)."""
    from ...sim.flight.grid import DirectionGrid

    env = config.env
    contract = policy.contract
    wanted = dict(zip(("vx", "vy", "vz", "yaw_rate"), env.action_limits))
    differ = [f"limits.{k} {contract.limits[k]:g} (config {v:g})" for k, v in wanted.items()
              if abs(contract.limits[k] - float(v)) > 1e-6]
    if abs(contract.control_hz - env.control_hz) > 1e-6:
        differ.append(f"control_hz {contract.control_hz:g} (config env.control_hz {env.control_hz:g})")
    have, want = policy.grid.twists(), DirectionGrid.from_config(env).twists()
    if have.shape != want.shape or not np.allclose(have, want, atol=1e-5):
        differ.append(f"grid {contract.grid} (config grid speeds/fields of view differ)")
    if policy.actions.config != env.actions:
        differ.append(f"actions {policy.actions.config} (config env.actions {env.actions})")
    if differ:
        raise ValueError(f"{onnx}'s contract does not match the evaluation env: {'; '.join(differ)}; pass overrides "
                         f"that match the contract (e.g. env.control_hz=...)")


def _policy_controller(run: RunDir | None, onnx: Path | None, config: FlightTrainConfig) -> tuple[PolicyController, str]:
    if onnx is not None:
        from ..runtime.flight import FlightRuntimePolicy

        policy = FlightRuntimePolicy(onnx)
        if (policy.contract.image_height, policy.grid.rows, policy.grid.cols) != (
                config.env.image_size, config.env.grid_rows, config.env.grid_cols):
            raise ValueError(f"{onnx} takes {policy.contract.image_height} px images and a {policy.grid.rows}x"
                             f"{policy.grid.cols} grid, the evaluation config has {config.env.image_size} px and "
                             f"{config.env.grid_rows}x{config.env.grid_cols}: pass matching overrides")
        _check_contract_against(policy, config, onnx)
        return PolicyController(policy.values, policy.actions), f"onnx:{Path(onnx).name}"
    from .export import load_trained_network, with_inference_settings

    assert run is not None
    averaged = config.network.average_checkpoints
    _, net, checkpoint = load_trained_network(run, averaged)
    net = with_inference_settings(net, config)   # e.g. eval override network.mirror_average=true
    name = checkpoint.get("phase_name", "latest")
    return PolicyController(torch_values(net)), f"torch:{name}" if averaged == 1 else f"torch:mean of {averaged} to {name}"


def evaluate(run: RunDir | None, onnx: Path | None, preset: str = "cpu", overrides: list[str] | None = None,
             out_dir: Path | None = None) -> dict[str, Any]:
    """Evaluate the policy and the configured baselines; write the report; return the summary."""
    import torch

    if run is None and onnx is None:
        raise ValueError("evaluate needs a run directory or an ONNX model")
    config = _resolve(run, onnx, preset, list(overrides or []))
    from .task import TASK

    TASK.validate(config)  # user files (textures) before any output
    env = config.env
    if env.reachable_distance() < env.max_distance:
        raise ValueError(f"env.max_steps={env.max_steps} at {env.control_hz:g} Hz and {env.forward_speed:g} m/s covers "
                         f"{env.reachable_distance():.1f} m, less than the env.max_distance cap of {env.max_distance:g} "
                         f"m: success (reaching the cap) would be unreachable; raise env.max_steps")
    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)   # torch policy and PPO: same thread policy as training
    try:
        return _evaluate(run, onnx, config, out_dir)
    finally:
        torch.set_num_threads(threads)


def _onnx_eval_dir() -> Path:
    """Where ``evaluate --onnx`` writes: a fresh ``<runs root>/eval/flight/<timestamp>``."""
    return RunDir.create("flight", root=runs_root() / "eval").path


def _evaluate(run: RunDir | None, onnx: Path | None, config: FlightTrainConfig, out_dir: Path | None) -> dict[str, Any]:
    from .envs import LazyRenderEnv
    from .report import write_report

    started = time.perf_counter()
    policy, policy_source = _policy_controller(run, onnx, config)  # first: a bad model fails before any output
    out = Path(out_dir) if out_dir is not None else (run.eval_dir if run is not None else _onnx_eval_dir())
    out.mkdir(parents=True, exist_ok=True)
    methods: dict[str, tuple[Controller | None, bool]] = {"policy": (policy, True)}
    notes: dict[str, Any] = {}
    for name in config.eval.baselines:
        if name == "ppo":
            budget = config.eval.ppo_budget_s or float((run.read_meta() if run else {}).get("train_seconds", 0))
            if budget <= 0:
                notes["ppo"] = "skipped: no training time to match (set eval.ppo_budget_s)"
                continue
            model, meta = load_or_train_ppo(config, budget, out)
            notes["ppo"] = meta
            methods["ppo"] = (ppo_controller(model, ppo_action_table(config)), True)
        else:
            methods[name] = (None, name not in IMAGE_FREE)
    seeds = [config.eval.seed_start + i for i in range(config.eval.episodes)]
    env_configs = {"heldout-worlds": config.env,
                   "heldout-appearance": heldout_env_config(config.env, config.eval.appearance_textures,
                                                            config.eval.appearance, out / "appearance-textures")}
    episodes: list[Episode] = []
    maps: dict[str, np.ndarray] = {}
    frames: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for world_set, env_config in env_configs.items():
        env = LazyRenderEnv(env_config)
        for method, (controller, needs_image) in methods.items():
            bar = tqdm(seeds, desc=f"{world_set} {method}", unit="episode", leave=False)
            for i, seed in enumerate(bar):
                ctrl = controller
                if method == "straight":
                    ctrl = straight_controller(env.grid)
                elif method == "random":
                    ctrl = random_controller(env.grid, seed)
                elif method == "oracle":
                    ctrl = oracle_controller()
                elif method == "gt_oracle":
                    ctrl = gt_oracle_controller()
                record = method == "policy" and world_set == "heldout-worlds" and i < config.eval.video_episodes
                episode = fly(env, ctrl, seed, method, world_set, needs_image, frames if record else None,
                              values if record else None)
                episodes.append(episode)
                done = [e for e in episodes if e.method == method and e.world_set == world_set]
                bar.set_postfix(mean_m=f"{np.mean([e.distance for e in done]):.1f}",
                                success=f"{np.mean([e.success for e in done]):.0%}")
                if i == 0 and world_set == "heldout-worlds":
                    maps[method] = env.top_down_map(np.array(episode.trajectory))
            log.info("%s / %s: %s", world_set, method, summarize([e for e in episodes if e.method == method
                                                                 and e.world_set == world_set]))
        env.close()
    table: dict[str, dict[str, dict[str, float]]] = {}
    for method in methods:
        table[method] = {ws: summarize([e for e in episodes if e.method == method and e.world_set == ws])
                         for ws in WORLD_SETS}
        table[method]["all"] = summarize([e for e in episodes if e.method == method])
    summary = {"policy": policy_source, "seeds": seeds, "world_sets": list(WORLD_SETS), "metrics": table,
               "notes": notes, "seconds": time.perf_counter() - started, "out_dir": str(out),
               "config": {"max_distance_m": config.env.max_distance, "episodes": config.eval.episodes}}
    files = write_report(out, summary, episodes, maps, frames, values, run, config)
    summary["files"] = {k: str(v) for k, v in files.items()}
    atomic_write_json(out / "eval.json", {**summary, "episodes": [asdict(e) for e in episodes]})
    return summary


__all__ = ["Episode", "PolicyController", "evaluate", "fly", "summarize"]
