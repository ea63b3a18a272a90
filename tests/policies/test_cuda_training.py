"""Training on a CUDA device (what ``device=auto`` picks on a GPU machine, e.g. for the ``paper`` presets).

CI has no GPU, so these tests skip there; they run wherever torch sees a CUDA device. Each task
trains its smoke preset with ``device=cuda`` through the real CLI and exports the run to ONNX on
the CPU (a robot has no GPU): the learner's tensors must all reach the device, and a
checkpoint written from CUDA must load where there is none. Push-grasp's learner is also
stepped directly, so that it is checked where pybullet is missing.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from greenroom.policies.common.rundir import RunDir

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

CLI = [sys.executable, "-m", "greenroom.cli"]


def _greenroom(args: list[str], runs_dir: Path, timeout: float = 300) -> str:
    env = {**os.environ, "GREENROOM_RUNS": str(runs_dir)}
    out = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("task", ["flight", "finray", "pushgrasp"])
def test_smoke_training_on_cuda_exports_on_cpu(task: str, runs_dir: Path) -> None:
    if task == "pushgrasp":
        pytest.importorskip("pybullet")
    run = RunDir.open(Path(_greenroom(["train", task, "--preset", "smoke", "device=cuda"], runs_dir)))
    assert run.latest_checkpoint() is not None
    exported = Path(_greenroom(["export", str(run.path)], runs_dir))
    assert exported.is_file() and exported.suffix == ".onnx"


def test_pushgrasp_learner_steps_on_cuda() -> None:
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.learner import Learner

    config = PushGraspTrainConfig.smoke()
    learner = Learner(config, "cuda")
    size = config.env.heightmap_size
    rng = np.random.default_rng(0)
    color = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    height = rng.uniform(0.0, 0.05, (size, size)).astype(np.float32)
    push, grasp = learner.q_maps(color, height)
    assert push.shape == grasp.shape == (config.env.num_rotations, size, size)
    before = [p.detach().clone() for p in learner.net.parameters()]
    loss, _ = learner.train_step(color, height, (1, 0, size // 2, size // 2), 1.0)
    assert np.isfinite(loss)
    assert all(p.device.type == "cuda" for p in learner.net.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, learner.net.parameters()))


def test_flight_regression_step_on_cuda() -> None:
    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.dataset import Batch
    from greenroom.policies.flight.network import build_network
    from greenroom.policies.flight.trainer import Regressor

    config = replace(FlightTrainConfig.smoke(), batch_size=8)
    net = build_network(config).to("cuda")
    regressor = Regressor(net, config, torch.device("cuda"))
    rng = np.random.default_rng(0)
    n, side, cells = 16, config.env.image_size, config.env.grid_rows * config.env.grid_cols
    data = Batch(images=rng.integers(0, 255, (n, side, side, 3), dtype=np.uint8),
                 targets=rng.random((n, cells), dtype=np.float32), mask=np.ones((n, cells), bool))
    losses = regressor.updates(data, 3)
    assert np.isfinite(losses["losses/value"])
