"""``greenroom export RUN``: the flight policy as one ONNX file + contract, parity-checked.

Output (default ``RUN/export/``): ``policy.onnx`` (uint8 image (batch, H, W, 3) RGB ->
``values`` (batch, rows, cols), ``index`` (batch,), ``twist`` (batch, 4) from the env's action
set, recorded in the contract as ``spec["actions"]``; see
:mod:`greenroom.policies.runtime.flight`), ``policy.contract.json``, ``policy.config.yaml`` (the
training config, whose hash is in the contract) and ``parity.json``. ``env.actions.KEY=VALUE``
overrides change the action set in the graph, contract and config (e.g. the ``turn_below`` the
``turn_threshold`` bench chose on validation worlds); nothing the network was trained with can change.

Parity: torch and ONNX Runtime are compared on ``config.export_observations`` (>= 256)
observations recorded in the simulator: the newest frames of the run's training data, topped up
by flying the policy in training worlds when the run holds fewer. Any output differing by more
than 1e-5 fails the export (the ONNX file is removed) with the excess in the message.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...sim.flight.actions import ActionSet
from ...sim.flight.grid import DirectionGrid
from ..common.config import ConfigError, apply_overrides, load_config, save_config
from ..common.export import ParityError, check_parity, contract_from_onnx, export_onnx
from ..common.rundir import RunDir, atomic_write_json, load_weights
from ..runtime.flight import INPUT, OUTPUTS, FlightRuntimePolicy
from .config import FlightTrainConfig
from .network import FlightValueNet, PolicyGraph, build_network

log = logging.getLogger(__name__)

PARITY_ATOL = 1e-5
MODEL_NAME = "policy.onnx"


def flight_spec(config: FlightTrainConfig, grid: DirectionGrid) -> dict[str, Any]:
    """The task-specific part of the contract: camera, grid, action set, rate, label scale."""
    env = config.env
    vx, vy, vz, yaw = env.action_limits
    return {
        "image_height": env.image_size, "image_width": env.image_size, "encoding": "rgb8",
        "layout": "NHWC uint8 RGB, batch first; preprocessing (/255) is inside the graph",
        "hfov_deg": env.hfov_deg, "vfov_deg": env.vfov_deg,
        "grid": grid.to_dict(), "twists": grid.twists().tolist(), "actions": env.actions.to_dict(),
        "twist_order": ["vx", "vy", "vz", "yaw_rate"], "frame": "REP-103 body (x forward, y left, z up)",
        "limits": {"vx": vx, "vy": vy, "vz": vz, "yaw_rate": yaw},
        "control_hz": env.control_hz,
        "values": "normalised discounted collision-free return in (0, 1) per grid cell "
                  f"(gamma {config.labels.gamma}, horizon {config.labels.horizon} steps); index = argmax",
    }


def export_policy(net: FlightValueNet, config: FlightTrainConfig, out_dir: Path,
                  observations: np.ndarray) -> Path:
    """Export ``net`` to ``out_dir/policy.onnx`` + contract; parity on ``observations`` (N, H, W, 3) uint8."""
    if len(observations) < 256:
        raise ValueError(f"parity needs >= 256 recorded observations, got {len(observations)}")
    grid = DirectionGrid.from_config(config.env)
    graph = PolicyGraph(net.cpu().eval(), ActionSet(grid, config.env.actions)).eval()
    size = config.env.image_size
    path = export_onnx(graph, (torch.zeros(2, size, size, 3, dtype=torch.uint8),), Path(out_dir) / MODEL_NAME,
                       [INPUT], list(OUTPUTS))
    batches = [(observations[i:i + 64],) for i in range(0, len(observations), 64)]
    try:
        worst = check_parity(graph, path, batches, atol=PARITY_ATOL)
    except ParityError:
        path.unlink(missing_ok=True)
        raise
    contract_from_onnx(path, task="flight", config=config, spec=flight_spec(config, grid))
    save_config(config, path.with_suffix(".config.yaml"))  # lets `greenroom evaluate --onnx` rebuild the env
    atomic_write_json(Path(out_dir) / "parity.json", {"max_abs_diff": worst, "atol": PARITY_ATOL,
                                                      "observations": int(len(observations))})
    FlightRuntimePolicy(path)  # the runtime accepts what we wrote
    log.info("exported %s (parity max |diff| %.2g on %d observations)", path, worst, len(observations))
    return path


def recorded_observations(run: RunDir, config: FlightTrainConfig, net: FlightValueNet, count: int) -> np.ndarray:
    """``count`` simulator frames: the run's newest training frames, topped up by flying ``net``."""
    frames: list[np.ndarray] = []
    have = 0
    for shard in sorted((run.path / "data").glob("*.npz"), reverse=True):
        with np.load(shard) as data:
            frames.append(data["images"])
        have += len(frames[-1])
        if have >= count:
            break
    if have < count:
        from .rollout import fly_policy_frames

        frames.append(fly_policy_frames(config, net, count - have))
    return np.concatenate(frames)[:count]


def load_trained_network(run: RunDir, average_checkpoints: int = 1) -> tuple[FlightTrainConfig, FlightValueNet, dict[str, Any]]:
    """Config, network with the latest checkpoint's weights (with ``average_checkpoints`` > 1: the
    mean of the newest checkpoints' weights, :func:`averaged_weights`), and the latest checkpoint."""
    config = load_config(FlightTrainConfig, run.config_path)
    checkpoint = run.load_checkpoint()
    if checkpoint is None:
        raise FileNotFoundError(f"run {run.path} has no checkpoint yet: train it first (greenroom train flight)")
    net = build_network(config)
    if average_checkpoints > 1:
        load_weights(net, averaged_weights(run, average_checkpoints), f"the mean of {run.path}'s newest checkpoints")
    else:
        load_weights(net, checkpoint["model"], f"checkpoint {getattr(checkpoint, 'path', run.path)}")
    return config, net.eval(), checkpoint


def averaged_weights(run: RunDir, count: int) -> dict[str, torch.Tensor]:
    """The element-wise mean of the ``model`` weights of the run's newest ``count`` checkpoints
    (checkpoint averaging: the ends of the last ``count`` stage-2 rounds). A plain mean of saved
    state dicts; ``torch.optim.swa_utils.AveragedModel`` averages live modules during training by a
    running update. ValueError naming the run when it kept fewer, or when they hold different tensors."""
    paths = run.kept_checkpoints()
    if len(paths) < count:
        raise ValueError(f"{run.path}: network.average_checkpoints={count} needs {count} checkpoints, the run kept "
                         f"{len(paths)} ({', '.join(p.name for p in paths) or 'none'}); runs keep 3, or N when "
                         f"trained with network.average_checkpoints=N")
    states = [(path, run.load_checkpoint(path)["model"]) for path in paths[-count:]]
    newest = states[-1][1]
    for path, state in states[:-1]:
        if set(state) != set(newest) or any(state[k].shape != newest[k].shape for k in newest):
            raise ValueError(f"checkpoint {path} holds other tensors than {paths[-1]}: they cannot be averaged")
    return {key: torch.stack([state[key] for _, state in states]).mean(dim=0) if value.is_floating_point() else value
            for key, value in newest.items()}


EXPORT_OVERRIDES = "env.actions."
"""Keys ``greenroom export RUN key=value`` may change: the action set, i.e. how the value grid
becomes a Twist (inside the ONNX graph, recorded in the contract and the config beside it), and
:data:`INFERENCE_SETTINGS`. The rest is what the network was trained with."""

INFERENCE_SETTINGS = ("network.mirror_average", "network.average_checkpoints")
"""Network settings that train nothing, which a trained run may switch at export and evaluation."""


def deployment_config(config: FlightTrainConfig, overrides: list[str] | tuple[str, ...]) -> FlightTrainConfig:
    """``config`` with export-time ``overrides`` applied; ConfigError for a key outside the action set
    and :data:`INFERENCE_SETTINGS`."""
    valid = ", ".join([*(f"{EXPORT_OVERRIDES}{name}" for name in config.env.actions.to_dict()), *INFERENCE_SETTINGS])
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if not key.startswith(EXPORT_OVERRIDES) and key not in INFERENCE_SETTINGS:
            raise ConfigError(f"export override {item!r}: only the action set and {', '.join(INFERENCE_SETTINGS)} "
                              f"can change at export ({valid}); the rest is what the network was trained with")
    return apply_overrides(config, list(overrides))


def with_inference_settings(net: FlightValueNet, config: FlightTrainConfig) -> FlightValueNet:
    """``net`` switched to ``config``'s :data:`INFERENCE_SETTINGS` (an export or evaluation override)."""
    net.mirror_average = bool(config.network.mirror_average)
    return net


def export_run(run: RunDir, out_dir: Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Path:
    """Export a run's latest checkpoint (``greenroom export RUN [--out DIR] [env.actions.KEY=VALUE ...]``)."""
    config = deployment_config(load_config(FlightTrainConfig, run.config_path), overrides)
    _, net, _ = load_trained_network(run, config.network.average_checkpoints)
    net = with_inference_settings(net, config)
    observations = recorded_observations(run, config, net, config.export_observations)
    return export_policy(net, config, Path(out_dir) if out_dir is not None else run.export_dir, observations)
