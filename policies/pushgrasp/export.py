"""Export a trained push-grasp run: both FCNs in one ONNX graph (all 2k maps per call) + contract.

Graph: inputs ``color`` (B, S, S, 3) uint8 and ``height`` (B, S, S) float32 metres; outputs
``push_q`` and ``grasp_q`` (B, k, S, S) float32 (normalization, padding and the rotations are
inside the graph). Parity with torch (max abs difference <= 1e-5) is checked on at least
:data:`PARITY_MIN_SAMPLES` (256) recorded heightmaps before the contract is written: the run's
replay buffer (real training states), topped up with simulator states (scenes of the run's env
observed under fresh randomization samples) when the replay holds fewer. An export that fails
parity leaves no ONNX file behind; ``parity.json`` beside the model records the check.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..common.config import load_config
from ..common.export import PARITY_MIN_SAMPLES, contract_from_onnx, export_onnx, parity_gate
from ..common.rundir import RunDir, atomic_write_json
from .config import PushGraspTrainConfig
from .learner import Learner
from .runtime import INPUTS, OUTPUTS, TASK


PARITY_ATOL = 1e-5


def contract_spec(config: PushGraspTrainConfig) -> dict[str, Any]:
    env = config.env
    return {
        "workspace": env.workspace.to_dict(), "view_margin": env.view_margin, "resolution": env.resolution,
        "heightmap_size": env.heightmap_size, "num_rotations": env.num_rotations,
        "rotation_convention": "rotation r: angle 2*pi*r/k from world +x towards +y; push along it, jaws close along it",
        "pixel_convention": "row = floor((y - (y_min - view_margin))/res), col = floor((x - (x_min - view_margin))/res);"
                            " height metres above z_min",
        "geometry": env.geometry.to_dict(), "variant": config.variant, "method": config.method,
        "grasp_only": config.grasp_only, "outputs": "push_q, grasp_q: (B, k, S, S); argmax over both picks the action",
        "reward": {"grasp": 1.0, "push": 0.5 if config.push_rewards else 0.0}, "gamma": config.discount,
        # the hand-yaw rule of the simulated arm it was trained on: an ONNX evaluation in the simulator
        # uses the same (a robot's executor picks the better-reaching yaw whatever this says)
        "tool_yaw_model": env.tool_yaw_model,
    }


Feeds = list[tuple[np.ndarray, np.ndarray]]


def replay_inputs(run: RunDir | None, count: int = PARITY_MIN_SAMPLES) -> Feeds:
    """Up to ``count`` heightmaps spread evenly over the run's checkpointed replay buffer."""
    state = run.load_checkpoint() if run is not None else None
    if state is None or not len(state["replay"]["action"]):
        return []
    replay = state["replay"]
    n = len(replay["action"])
    picks = np.unique(np.linspace(0, n - 1, min(count, n)).astype(int))
    return [(replay["color"][i][None].copy(), (replay["height"][i].astype(np.float32) * 1e-5)[None]) for i in picks]


def simulated_inputs(config: PushGraspTrainConfig, count: int, seed: int = 0, per_scene: int = 32) -> Feeds:
    """``count`` simulator heightmaps: random scenes of ``config.env``, each observed ``per_scene``
    times under freshly sampled appearance, lighting, camera and depth noise."""
    from ...sim.pushgrasp.env import PushGraspEnv

    feeds: Feeds = []
    env = PushGraspEnv(config.env)
    try:
        scene = 0
        while len(feeds) < count:
            obs, _ = env.reset(seed=seed + scene)
            for j in range(min(per_scene, count - len(feeds))):
                if j:
                    obs = env.observe_resampled(seed * 7919 + scene * per_scene + j)
                feeds.append((obs["color"][None].copy(), obs["height"][None].copy()))
            scene += 1
    finally:
        env.close()
    return feeds


def sample_inputs(run: RunDir | None, config: PushGraspTrainConfig, count: int = PARITY_MIN_SAMPLES) -> Feeds:
    """Parity inputs: ``count`` recorded heightmaps from the run's replay, topped up from the simulator."""
    feeds = replay_inputs(run, count)
    if len(feeds) < count:
        feeds += simulated_inputs(config, count - len(feeds))
    return feeds


def export_learner(learner: Learner, config: PushGraspTrainConfig, out_dir: Path,
                   feeds: Feeds | None = None, name: str = "pushgrasp") -> Path:
    """Export, check parity (<= 1e-5) and write the contract; returns the .onnx path.

    ``feeds``: recorded (colour (1, S, S, 3) uint8, height (1, S, S) float32) heightmaps; when fewer
    than :data:`PARITY_MIN_SAMPLES` are given, simulator states top them up (see module docstring).
    """
    feeds = list(feeds or [])
    if len(feeds) < PARITY_MIN_SAMPLES:
        feeds += simulated_inputs(config, PARITY_MIN_SAMPLES - len(feeds))
    net = learner.net.cpu().eval()
    size = config.env.heightmap_size
    example = (torch.zeros(1, size, size, 3, dtype=torch.uint8), torch.zeros(1, size, size, dtype=torch.float32))
    path = export_onnx(net, example, Path(out_dir) / f"{name}.onnx", list(INPUTS), list(OUTPUTS), dynamic_batch=False)
    worst = parity_gate(net, path, feeds, atol=PARITY_ATOL)
    spec = contract_spec(config)
    spec["parity_max_abs_diff"], spec["parity_samples"] = worst, len(feeds)
    contract_from_onnx(path, task=TASK, config=dataclasses.asdict(config), spec=spec)
    atomic_write_json(path.with_name(f"{name}.parity.json"),
                      {"max_abs_diff": worst, "atol": PARITY_ATOL, "samples": len(feeds)})
    return path


def export_run(run: RunDir, out_dir: Path | None = None) -> Path:
    config = load_config(PushGraspTrainConfig, run.config_path)
    state = run.load_checkpoint()
    if state is None:
        raise FileNotFoundError(f"run {run.path} has no checkpoint to export (train it first)")
    learner = Learner(config, "cpu")
    learner.load_state_dict(state["learner"])
    return export_learner(learner, config, Path(out_dir) if out_dir else run.export_dir, sample_inputs(run, config))
