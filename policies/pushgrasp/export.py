"""Export a trained push-grasp run: both FCNs in one ONNX graph (all 2k maps per call) + contract.

Graph: inputs ``color`` (B, S, S, 3) uint8 and ``height`` (B, S, S) float32 metres; outputs
``push_q`` and ``grasp_q`` (B, k, S, S) float32 (normalization, padding and the rotations are
inside the graph). Parity with torch (max abs difference <= 1e-5) is checked on heightmaps
from the replay buffer (real training states) before the contract is written.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..common.config import load_config
from ..common.export import check_parity, contract_from_onnx, export_onnx
from ..common.rundir import RunDir
from .config import PushGraspTrainConfig
from .learner import Learner
from .runtime import INPUTS, OUTPUTS, TASK


def contract_spec(config: PushGraspTrainConfig) -> dict[str, Any]:
    env = config.env
    return {
        "workspace": env.workspace.to_dict(), "resolution": env.resolution, "heightmap_size": env.heightmap_size,
        "num_rotations": env.num_rotations,
        "rotation_convention": "rotation r: angle 2*pi*r/k from world +x towards +y; push along it, jaws close along it",
        "pixel_convention": "row = floor((y - y_min)/res), col = floor((x - x_min)/res); height metres above z_min",
        "geometry": env.geometry.to_dict(), "variant": config.variant, "method": config.method,
        "grasp_only": config.grasp_only, "outputs": "push_q, grasp_q: (B, k, S, S); argmax over both picks the action",
        "reward": {"grasp": 1.0, "push": 0.5 if config.push_rewards else 0.0}, "gamma": config.discount,
    }


def sample_inputs(run: RunDir | None, config: PushGraspTrainConfig, count: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Parity inputs: recorded heightmaps from the run's replay, else a simulated scene."""
    feeds: list[tuple[np.ndarray, np.ndarray]] = []
    state = run.load_checkpoint() if run is not None else None
    if state is not None and len(state["replay"]["action"]):
        replay = state["replay"]
        for i in np.linspace(0, len(replay["action"]) - 1, min(count, len(replay["action"]))).astype(int):
            feeds.append((replay["color"][i][None].copy(), (replay["height"][i].astype(np.float32) * 1e-5)[None]))
    if not feeds:
        from ...sim.pushgrasp.env import PushGraspEnv

        env = PushGraspEnv(config.env)
        try:
            obs, _ = env.reset(seed=0)
            feeds.append((obs["color"][None], obs["height"][None]))
        finally:
            env.close()
    return feeds


def export_learner(learner: Learner, config: PushGraspTrainConfig, out_dir: Path,
                   feeds: list[tuple[np.ndarray, np.ndarray]], name: str = "pushgrasp") -> Path:
    """Export, check parity (<= 1e-5) and write the contract; returns the .onnx path."""
    net = learner.net.cpu().eval()
    size = config.env.heightmap_size
    example = (torch.zeros(1, size, size, 3, dtype=torch.uint8), torch.zeros(1, size, size, dtype=torch.float32))
    path = export_onnx(net, example, Path(out_dir) / f"{name}.onnx", list(INPUTS), list(OUTPUTS), dynamic_batch=False)
    worst = check_parity(net, path, feeds, atol=1e-5)
    spec = contract_spec(config)
    spec["parity_max_abs_diff"] = worst
    contract_from_onnx(path, task=TASK, config=dataclasses.asdict(config), spec=spec)
    return path


def export_run(run: RunDir, out_dir: Path | None = None) -> Path:
    config = load_config(PushGraspTrainConfig, run.config_path)
    state = run.load_checkpoint()
    if state is None:
        raise FileNotFoundError(f"run {run.path} has no checkpoint to export (train it first)")
    learner = Learner(config, "cpu")
    learner.load_state_dict(state["learner"])
    return export_learner(learner, config, Path(out_dir) if out_dir else run.export_dir, sample_inputs(run, config))
